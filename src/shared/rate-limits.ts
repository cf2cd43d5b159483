/**
 * The app's rate-limit counters (residents' messages, staff logins), one
 * 60-second fixed window per key, and where they live — decided once from the
 * config:
 *
 * - REDIS_URL set: Redis, shared by every instance that names it;
 * - else PostgreSQL: the RateLimitBucket table, shared likewise;
 * - else (SQLite, one instance): in memory.
 *
 * If the shared store becomes unreachable, each instance goes on deciding from
 * its own counts (exact for its own traffic) and logs the failed syncs; no
 * request waits on, or fails because of, a counter.
 */
import { type Db, providerOf } from "../db/prisma-client.ts";
import { createPostgresCounterStore } from "./pg-counter-store.ts";
import { createRedisCounterStore } from "./redis-counter-store.ts";
import { type AsyncRateLimiter, createMemoryRateLimiter, createSharedRateLimiter } from "./shared-rate-limiter.ts";

export const RATE_WINDOW_MS = 60_000;

/**
 * What of a store's error is logged: its name, code and message. Drivers attach
 * more (ioredis the command's arguments, pg a detail line), and the counters'
 * keys are residents' addresses and conversation ids.
 */
function withoutDetail(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const clean = new Error(err.message);
  clean.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") Object.assign(clean, { code });
  return clean;
}

export interface RateLimits {
  limiter: AsyncRateLimiter;
  where: "redis" | "postgresql" | "memory";
  /** Failed syncs, sweeps and store connections since start (GET /metrics). */
  failures(): number;
  /**
   * Sends what is not yet synced, stops the sweep and closes the store's connection. A last sync
   * that fails (the store out of reach) is reported like any other, not thrown: shutdown goes on.
   */
  close(): Promise<void>;
}

export interface RateLimitsOptions {
  db: Db;
  redisUrl?: string | undefined;
  /** A failed sync, sweep or store connection. */
  onError: (err: unknown) => void;
  /** The clock of the in-memory counters (tests). */
  now?: () => Date;
}

export async function createRateLimits(opts: RateLimitsOptions): Promise<RateLimits> {
  let failures = 0;
  const onError = (err: unknown) => {
    failures++;
    opts.onError(withoutDetail(err));
  };
  let where: RateLimits["where"] = "memory";
  let limiter: AsyncRateLimiter;
  let closeStore = async () => {};
  if (opts.redisUrl) {
    const store = createRedisCounterStore(opts.redisUrl, { onError });
    // A REDIS_URL that cannot be reached at start is a configuration error: fail loudly.
    await store.ready();
    limiter = createSharedRateLimiter(store, RATE_WINDOW_MS, { onError });
    closeStore = () => store.close();
    where = "redis";
  } else if (providerOf(opts.db) === "postgresql") {
    limiter = createSharedRateLimiter(createPostgresCounterStore(opts.db), RATE_WINDOW_MS, { onError });
    where = "postgresql";
  } else {
    const now = opts.now;
    limiter = createMemoryRateLimiter(RATE_WINDOW_MS, now ? () => now().getTime() : undefined);
  }
  const timer = setInterval(() => {
    limiter.sweep().catch(onError);
  }, RATE_WINDOW_MS);
  timer.unref();
  return {
    limiter,
    where,
    failures: () => failures,
    async close() {
      clearInterval(timer);
      await limiter.stop().catch(onError);
      await closeStore();
    },
  };
}
