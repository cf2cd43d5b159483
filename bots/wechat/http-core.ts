import type { z } from "zod";
import { chatResponseSchema, leaseResponseSchema, okSchema } from "../../src/channels/wechat/wechat-schemas.ts";
import { errorBodySchema } from "../../src/chat/chat-schemas.ts";
import { type CoreClient, CoreRejectedError, CoreUnavailableError } from "./core-client.ts";

export interface HttpCoreOptions {
  /** BOT_SERVICE_URL, e.g. https://fuer.example.cn */
  baseUrl: string;
  /** BOT_API_TOKEN */
  token: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * The bot on another machine. Network errors, timeouts, 5xx, 429 and 401
 * (a token being rotated) are CoreUnavailableError, so the caller retries;
 * a 4xx with the contract's { code, message } is final and its message is for the resident.
 */
export function createHttpCore(options: HttpCoreOptions): CoreClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 15_000;
  const doFetch = options.fetch ?? fetch;

  async function call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.infer<S>> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new CoreUnavailableError(err instanceof Error ? err.name : "network", null, { cause: err });
    }
    const payload: unknown = await res.json().catch(() => null);
    if (res.ok) {
      const parsed = schema.safeParse(payload);
      if (!parsed.success) throw new CoreUnavailableError("unexpected response", res.status);
      return parsed.data;
    }
    const error = errorBodySchema.safeParse(payload);
    const retryable = res.status >= 500 || res.status === 429 || res.status === 401 || res.status === 408;
    if (!retryable && error.success) throw new CoreRejectedError(error.data.code, error.data.message);
    throw new CoreUnavailableError(`HTTP ${res.status}`, res.status);
  }

  return {
    handleMessage: (input) => call("POST", "/api/bot/wechat/messages", chatResponseSchema, input),
    async leaseOutbound({ botId, limit, leaseMs }) {
      const q = new URLSearchParams({
        botId,
        limit: String(limit),
        leaseSeconds: String(Math.max(5, Math.ceil(leaseMs / 1000))),
      });
      const { items } = await call("GET", `/api/bot/wechat/outbound?${q}`, leaseResponseSchema);
      return items;
    },
    async markSent(id) {
      await call("POST", `/api/bot/wechat/outbound/${encodeURIComponent(id)}/sent`, okSchema);
    },
    async markFailed(id, report) {
      await call("POST", `/api/bot/wechat/outbound/${encodeURIComponent(id)}/failed`, okSchema, {
        error: report.error,
        retryAfterSeconds: Math.min(86_400, Math.ceil(report.retryAfterMs / 1000)),
        ...(report.giveUp ? { giveUp: true } : {}),
      });
    },
  };
}
