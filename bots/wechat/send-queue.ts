/**
 * Every message the bot sends goes through here: replies to residents, private
 * follow-ups, greetings and staff replies. Messages of one conversation go out
 * in order; the pacer (pacing-fns) decides when. A failed send is retried with
 * backoff; `enqueue` resolves only once the puppet's `say` has resolved, which
 * is what the outbound sender waits for before marking a staff reply sent.
 */
import type { Logger } from "pino";
import { type Clock, realClock } from "./clock.ts";
import {
  type BackoffSpec,
  backoffMs,
  DEFAULT_PACING,
  decide,
  initialPacer,
  type PacerState,
  type PacingSpec,
  prune,
} from "./pacing-fns.ts";

export interface SendTarget {
  /** Pacing key: one per conversation (a contact or a group). Kept in memory only. */
  key: string;
  say(text: string): Promise<void>;
}

export interface SendQueueOptions {
  pacing?: PacingSpec;
  clock?: Clock;
  /** Attempts before `enqueue` rejects. */
  maxAttempts?: number;
  retry?: BackoffSpec;
  logger?: Logger;
  random?: () => number;
}

export interface SendQueue {
  /** Resolves when sent; rejects after maxAttempts failures, or when aborted before it was sent. */
  enqueue(target: SendTarget, text: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Messages waiting (not counting one being sent). */
  size(): number;
  /** Resolves when nothing waits or is being sent, or after `timeoutMs` (real time), whichever is first. */
  drain(timeoutMs: number): Promise<void>;
  /** Sends nothing more; rejects what waits; resolves once a send in progress has finished. */
  stop(): Promise<void>;
}

interface Item {
  target: SendTarget;
  text: string;
  seq: number;
  notBefore: number;
  attempts: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  detach: () => void;
}

export class SendAbortedError extends Error {
  constructor() {
    super("send aborted before it was sent");
    this.name = "SendAbortedError";
  }
}

export function createSendQueue(options: SendQueueOptions = {}): SendQueue {
  const pacing = options.pacing ?? DEFAULT_PACING;
  const clock = options.clock ?? realClock;
  const maxAttempts = options.maxAttempts ?? 5;
  const retry = options.retry ?? { baseMs: 2000, maxMs: 60_000 };
  const random = options.random ?? Math.random;
  const queues = new Map<string, Item[]>();
  let pacer: PacerState = initialPacer(pacing, clock.now());
  let seq = 0;
  let pumping = false;
  let cancelTimer: (() => void) | null = null;
  let inFlight: Promise<void> | null = null;
  let stopped = false;
  let drained: Array<() => void> = [];

  function notifyIfEmpty() {
    if (queues.size > 0 || inFlight) return;
    const waiters = drained;
    drained = [];
    for (const w of waiters) w();
  }

  function remove(item: Item): boolean {
    const q = queues.get(item.target.key);
    const i = q ? q.indexOf(item) : -1;
    if (!q || i === -1) return false;
    q.splice(i, 1);
    if (q.length === 0) queues.delete(item.target.key);
    return true;
  }

  function schedule(ms: number) {
    cancelTimer?.();
    cancelTimer = clock.setTimer(() => {
      cancelTimer = null;
      void pump();
    }, ms);
  }

  async function sendOne(item: Item): Promise<void> {
    item.attempts++;
    try {
      await item.target.say(item.text);
      item.detach();
      item.resolve();
    } catch (err) {
      options.logger?.warn({ event: "wechat.send.failed", attempt: item.attempts }, "send failed");
      if (item.attempts >= maxAttempts || stopped) {
        item.detach();
        item.reject(err);
        return;
      }
      // Back to the front of its conversation: later messages must not overtake it.
      item.notBefore = clock.now() + backoffMs(item.attempts, retry, random);
      const q = queues.get(item.target.key) ?? [];
      q.unshift(item);
      queues.set(item.target.key, q);
    }
  }

  async function pump(): Promise<void> {
    if (pumping || stopped) return;
    pumping = true;
    try {
      for (;;) {
        if (stopped) return;
        const heads = [...queues.values()]
          .map((q) => q[0])
          .filter((i): i is Item => i !== undefined)
          .sort((a, b) => a.seq - b.seq)
          .map((i) => ({ key: i.target.key, notBefore: i.notBefore }));
        const now = clock.now();
        const decision = decide(pacer, pacing, heads, now);
        if (decision.action === "idle") {
          pacer = prune(pacer, pacing, now);
          notifyIfEmpty();
          return;
        }
        if (decision.action === "wait") {
          schedule(decision.ms);
          return;
        }
        pacer = decision.state;
        const q = queues.get(decision.key);
        const item = q?.shift();
        if (q && q.length === 0) queues.delete(decision.key);
        if (!item) continue;
        inFlight = sendOne(item);
        await inFlight;
        inFlight = null;
      }
    } finally {
      pumping = false;
    }
  }

  return {
    enqueue(target, text, opts) {
      if (stopped) return Promise.reject(new SendAbortedError());
      return new Promise<void>((resolve, reject) => {
        const signal = opts?.signal;
        const onAbort = () => {
          if (remove(item)) reject(new SendAbortedError());
        };
        const item: Item = {
          target,
          text,
          seq: seq++,
          notBefore: 0,
          attempts: 0,
          resolve,
          reject,
          detach: () => signal?.removeEventListener("abort", onAbort),
        };
        if (signal?.aborted) {
          reject(new SendAbortedError());
          return;
        }
        signal?.addEventListener("abort", onAbort, { once: true });
        const q = queues.get(target.key) ?? [];
        q.push(item);
        queues.set(target.key, q);
        // A new message may be sendable at once even while a timer waits for another conversation.
        if (!pumping) {
          cancelTimer?.();
          cancelTimer = null;
          void pump();
        }
      });
    },
    drain(timeoutMs) {
      if (queues.size === 0 && !inFlight) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        drained.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    size() {
      let n = 0;
      for (const q of queues.values()) n += q.length;
      return n;
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = null;
      for (const q of queues.values()) {
        for (const item of q) {
          item.detach();
          item.reject(new SendAbortedError());
        }
      }
      queues.clear();
      await inFlight;
      notifyIfEmpty();
    },
  };
}
