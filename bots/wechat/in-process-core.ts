import type { WechatStore } from "../../src/channels/wechat/wechat-store.ts";
import { AppError } from "../../src/shared/errors.ts";
import { type CoreClient, CoreRejectedError, CoreUnavailableError } from "./core-client.ts";

/** Client errors (bad text) are final; anything else (database busy, a bug) is worth a retry. */
function translate(err: unknown): Error {
  if (err instanceof AppError && err.statusCode >= 400 && err.statusCode < 500) {
    return new CoreRejectedError(err.code, err.message);
  }
  return new CoreUnavailableError(err instanceof Error ? err.name : "error", null, { cause: err });
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translate(err);
  }
}

/** The bot inside the service: the same store the bot API routes use, without HTTP. */
export function createInProcessCore(store: WechatStore): CoreClient {
  return {
    handleMessage: (input) => guarded(() => store.handleMessage(input)),
    leaseOutbound: (request) => guarded(() => store.leaseOutbound(request)),
    markSent: (id) => guarded(() => store.markSent(id)),
    markFailed: (id, report) => guarded(() => store.markFailed(id, report)),
  };
}
