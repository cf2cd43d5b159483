import type { FastifyRequest } from "fastify";
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

/**
 * Message text, names, phone numbers and WeChat ids must never reach a log
 * (PIPL art. 28: victims' and minors' data is sensitive). Handlers do not log
 * them on purpose; redact is the safety net for anything that slips through.
 */
export const redactPaths = [
  "text",
  "*.text",
  "reply",
  "*.reply",
  "body",
  "*.body",
  "name",
  "*.name",
  "phone",
  "*.phone",
  "contact",
  "*.contact",
  "wechatId",
  "*.wechatId",
  "whatHappened",
  "*.whatHappened",
  "wxid",
  "*.wxid",
  "query",
  "*.query",
  "q",
  "*.q",
  "password",
  "*.password",
  "req.headers.cookie",
  "req.headers.authorization",
  'req.headers["x-csrf-token"]',
];

/** Path only: query strings carry the resident's words (/api/search?q=…). */
function pathOnly(url: string): string {
  const i = url.indexOf("?");
  return i === -1 ? url : url.slice(0, i);
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: "[redacted]" },
    serializers: {
      // No IP, no query string, no headers: a request is its method and path.
      req: (req: FastifyRequest) => ({ method: req.method, url: pathOnly(req.url), id: req.id }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
