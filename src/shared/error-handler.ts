import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError, type ErrorBody, errors } from "./errors.ts";

/** Maps anything thrown to the contract's { code, message }; only real faults become 500. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError)
    return { status: error.statusCode, body: { code: error.code, message: error.message } };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const first = error.validation[0];
    const field = first?.instancePath?.replace(/^\//, "").replace(/\//g, ".") || "";
    const detail = first ? `${field ? `${field}：` : ""}${first.message ?? ""}` : "";
    return { status: 400, body: { code: errors.validation.code, message: `${errors.validation.message}${detail}` } };
  }
  const fe = error as Partial<FastifyError> & { name?: string };
  switch (fe.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, body: { code: errors.bodyTooLarge.code, message: errors.bodyTooLarge.message } };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return {
        status: 415,
        body: { code: errors.unsupportedMediaType.code, message: errors.unsupportedMediaType.message },
      };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return { status: 400, body: { code: errors.invalidJson.code, message: errors.invalidJson.message } };
  }
  if (fe.statusCode === 400 && fe.name === "SyntaxError") {
    return { status: 400, body: { code: errors.invalidJson.code, message: errors.invalidJson.message } };
  }
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { code: "ERR_BAD_REQUEST", message: "请求有误，请检查后重试。" } };
  }
  return { status: 500, body: { code: errors.internal.code, message: errors.internal.message } };
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorBody(error);
    if (status >= 500) request.log.error({ err: error }, "request failed");
    reply.status(status).send(body);
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.status(404).send({ code: errors.notFound.code, message: errors.notFound.message });
  });
}
