/**
 * Every error a client can see, with a stable code. Codes are part of the API
 * (documented in the README) and are never reused for another meaning.
 * Messages are Chinese because residents read them.
 */
export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  constructor(code: string, message: string, statusCode: number) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.statusCode = statusCode;
  }
}

function define(code: string, message: string, statusCode: number) {
  const make = (detail?: string) => new AppError(code, detail ? `${message}${detail}` : message, statusCode);
  return Object.assign(make, { code, statusCode, message });
}

export const errors = {
  validation: define("ERR_VALIDATION", "输入有误：", 400),
  invalidJson: define("ERR_INVALID_JSON", "请求格式有误，无法读取内容。", 400),
  unsupportedMediaType: define("ERR_UNSUPPORTED_MEDIA_TYPE", "请以 JSON 格式发送消息。", 415),
  bodyTooLarge: define("ERR_BODY_TOO_LARGE", "内容太长了，请分几次发送，每条不超过2000字。", 413),
  frameTooLarge: define("ERR_FRAME_TOO_LARGE", "内容太长了，请分几次发送，每条不超过2000字。", 413),
  rateLimited: define("ERR_RATE_LIMITED", "发送太频繁了，请稍等一分钟再试。如果你现在有危险，请马上拨打110。", 429),
  notFound: define("ERR_NOT_FOUND", "没有找到这个地址。", 404),
  unavailable: define("ERR_UNAVAILABLE", "服务暂时不可用，请稍后再试。如果你现在有危险，请马上拨打110。", 503),
  internal: define("ERR_INTERNAL", "服务出了点问题，请稍后再试。如果你现在有危险，请马上拨打110。", 500),
} as const;

export type ErrorBody = { code: string; message: string };
