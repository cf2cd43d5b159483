/**
 * Hands residents' messages to the core, one at a time per resident (so a
 * follow-up reaches the open case after the report that opened it, and replies
 * keep their order). While the service is unreachable a message is retried with
 * backoff and the same clientMessageId, so the server stores it once and a late
 * reply is the same reply; the resident is told once that the reply is delayed.
 */
import type { Logger } from "pino";
import { type Clock, realClock, sleep } from "./clock.ts";
import {
  type ChatResponse,
  type CoreClient,
  CoreRejectedError,
  CoreUnavailableError,
  type WechatInbound,
} from "./core-client.ts";
import { type BackoffSpec, backoffMs } from "./pacing-fns.ts";

export type InboundResult =
  | { ok: true; response: ChatResponse }
  | { ok: false; reason: "rejected"; userMessage: string }
  | { ok: false; reason: "overloaded" | "stopped" };

export interface InboundOptions {
  core: CoreClient;
  clock?: Clock;
  retry?: BackoffSpec;
  /** Messages waiting for the core, all residents together; beyond it a resident is told to resend later. */
  maxPending?: number;
  /** One "reply delayed" notice per resident per this long. */
  delayNoticeEveryMs?: number;
  logger?: Logger;
  random?: () => number;
}

export interface SubmitHandlers {
  /** Called (at most once per resident per window) when the first attempt failed. */
  onDelayed?: () => void;
  /**
   * Called with the result before the resident's next message is handled, so
   * whatever it enqueues keeps the order of the messages.
   */
  deliver(result: InboundResult): void;
}

export interface Inbound {
  submit(key: string, input: WechatInbound, handlers: SubmitHandlers): Promise<InboundResult>;
  pending(): number;
  stop(): void;
}

export function createInbound(options: InboundOptions): Inbound {
  const clock = options.clock ?? realClock;
  const retry = options.retry ?? { baseMs: 1000, maxMs: 60_000 };
  const maxPending = options.maxPending ?? 2000;
  const noticeEvery = options.delayNoticeEveryMs ?? 10 * 60_000;
  const random = options.random ?? Math.random;
  const tails = new Map<string, Promise<unknown>>();
  const lastNotice = new Map<string, number>();
  const stopper = new AbortController();
  let pendingCount = 0;

  async function attemptUntilDone(
    key: string,
    input: WechatInbound,
    onDelayed: (() => void) | undefined,
  ): Promise<InboundResult> {
    for (let attempt = 1; ; attempt++) {
      if (stopper.signal.aborted) return { ok: false, reason: "stopped" };
      try {
        return { ok: true, response: await options.core.handleMessage(input) };
      } catch (err) {
        if (err instanceof CoreRejectedError) return { ok: false, reason: "rejected", userMessage: err.userMessage };
        const status = err instanceof CoreUnavailableError ? err.status : null;
        options.logger?.warn({ event: "wechat.core.retry", attempt, status }, "core unavailable, will retry");
        if (attempt === 1 && onDelayed) {
          const last = lastNotice.get(key);
          const now = clock.now();
          if (last === undefined || now - last >= noticeEvery) {
            if (lastNotice.size > 10_000) lastNotice.clear(); // a bound, not a cache worth keeping exact
            lastNotice.set(key, now);
            onDelayed();
          }
        }
        try {
          await sleep(clock, backoffMs(attempt, retry, random), stopper.signal);
        } catch {
          return { ok: false, reason: "stopped" };
        }
      }
    }
  }

  return {
    async submit(key, input, handlers) {
      if (pendingCount >= maxPending) {
        const overloaded: InboundResult = { ok: false, reason: "overloaded" };
        handlers.deliver(overloaded);
        return overloaded;
      }
      pendingCount++;
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(async () => {
        const r = await attemptUntilDone(key, input, handlers.onDelayed);
        try {
          handlers.deliver(r);
        } catch (err) {
          options.logger?.error(
            { event: "wechat.deliver.error", err: { name: (err as Error)?.name } },
            "deliver failed",
          );
        }
        return r;
      });
      tails.set(key, result);
      try {
        return await result;
      } finally {
        pendingCount--;
        if (tails.get(key) === result) tails.delete(key);
      }
    },
    pending: () => pendingCount,
    stop() {
      stopper.abort(new Error("inbound stopped"));
    },
  };
}
