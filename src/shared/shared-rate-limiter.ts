/**
 * Rate-limit counters several instances share: fixed windows in the
 * RateLimitBucket table (PostgreSQL), one atomic upsert per hit — the row's
 * window restarts when it is over, else its count goes up — on the
 * database's clock, so instances with skewed clocks agree. SQLite runs one
 * instance: the in-memory limiter (src/shared/rate-limiter.ts) serves there.
 */
import type { Db } from "../db/prisma-client.ts";
import { createRateLimiter } from "./rate-limiter.ts";

export interface AsyncRateLimiter {
  /** Counts one hit; false when the key is over its limit for this window. */
  hit(key: string, limit: number): Promise<boolean>;
  /** Drops finished windows; called periodically. */
  sweep(): Promise<void>;
}

export function createMemoryRateLimiter(windowMs: number, now?: () => number): AsyncRateLimiter {
  const limiter = createRateLimiter(windowMs, now);
  return {
    hit: async (key, limit) => limiter.hit(key, limit),
    sweep: async () => limiter.sweep(),
  };
}

const NOW = `(now() AT TIME ZONE 'UTC')`;

export function createPostgresRateLimiter(db: Db, windowMs: number): AsyncRateLimiter {
  const seconds = windowMs / 1000;
  return {
    async hit(key, limit) {
      const rows = await db.$queryRawUnsafe<{ count: number }[]>(
        `INSERT INTO "RateLimitBucket" ("key", "windowStart", "count") VALUES ($1, ${NOW}, 1)
         ON CONFLICT ("key") DO UPDATE SET
           "count" = CASE WHEN "RateLimitBucket"."windowStart" <= ${NOW} - make_interval(secs => $2::float8)
                          THEN 1 ELSE "RateLimitBucket"."count" + 1 END,
           "windowStart" = CASE WHEN "RateLimitBucket"."windowStart" <= ${NOW} - make_interval(secs => $2::float8)
                          THEN ${NOW} ELSE "RateLimitBucket"."windowStart" END
         RETURNING "count"`,
        key,
        seconds,
      );
      return Number(rows[0]?.count ?? 1) <= limit;
    },
    async sweep() {
      await db.$executeRawUnsafe(
        `DELETE FROM "RateLimitBucket" WHERE "windowStart" <= ${NOW} - make_interval(secs => $1::float8)`,
        seconds,
      );
    },
  };
}
