/**
 * Rate-limit counters several instances share: fixed windows in the
 * RateLimitBucket table (PostgreSQL), one atomic upsert per hit — the row's
 * window restarts when it is over, else its count goes up — on the
 * database's clock, so instances with skewed clocks agree. SQLite runs one
 * instance: the in-memory limiter (src/shared/rate-limiter.ts) serves there.
 */
import { type Db, rawSqlOf } from "../db/prisma-client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { createRateLimiter } from "./rate-limiter.ts";

export interface RateLimitHit {
  key: string;
  limit: number;
}

export interface AsyncRateLimiter {
  /** Counts one hit; false when the key is over its limit for this window. */
  hit(key: string, limit: number): Promise<boolean>;
  /** Counts one hit on each key at once (one round trip); false when any is over its limit. */
  hitAll(hits: readonly RateLimitHit[]): Promise<boolean>;
  /** Drops finished windows; called periodically. */
  sweep(): Promise<void>;
}

export function createMemoryRateLimiter(windowMs: number, now?: () => number): AsyncRateLimiter {
  const limiter = createRateLimiter(windowMs, now);
  return {
    hit: async (key, limit) => limiter.hit(key, limit),
    // Every key is counted, even after one is over (as separate hits would).
    hitAll: async (hits) => hits.map((h) => limiter.hit(h.key, h.limit)).every(Boolean),
    sweep: async () => limiter.sweep(),
  };
}

const NOW = `(now() AT TIME ZONE 'UTC')`;

export function createPostgresRateLimiter(db: Db, windowMs: number): AsyncRateLimiter {
  const seconds = windowMs / 1000;
  const sql = rawSqlOf(db);
  async function hitAll(hits: readonly RateLimitHit[]): Promise<boolean> {
    if (hits.length === 0) return true;
    // One statement for all keys: one commit per request, not one per key.
    // Keys sorted so that concurrent statements lock the rows in the same order (no deadlock),
    // and each once (an upsert may not touch a row twice): a repeated key keeps its lowest limit.
    const byKey = new Map<string, number>();
    for (const h of hits) byKey.set(h.key, Math.min(h.limit, byKey.get(h.key) ?? h.limit));
    const sorted = [...byKey]
      .map(([key, limit]) => ({ key, limit }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const now = Prisma.raw(NOW);
    const expired = Prisma.sql`"RateLimitBucket"."windowStart" <= ${now} - make_interval(secs => ${seconds}::float8)`;
    const upsert = Prisma.sql`INSERT INTO "RateLimitBucket" ("key", "windowStart", "count")
       VALUES ${Prisma.join(sorted.map((h) => Prisma.sql`(${h.key}, ${now}, 1)`))}
       ON CONFLICT ("key") DO UPDATE SET
         "count" = CASE WHEN ${expired} THEN 1 ELSE "RateLimitBucket"."count" + 1 END,
         "windowStart" = CASE WHEN ${expired} THEN ${now} ELSE "RateLimitBucket"."windowStart" END
       RETURNING "key", "count"`;
    // A counter need not survive a crash: its commit does not wait for the WAL flush
    // (synchronous_commit off for this transaction only), which was one disk sync per request.
    const rows = await sql.transaction(async (tx) => {
      await tx.execute(Prisma.sql`SET LOCAL synchronous_commit = off`);
      return tx.query<{ key: string; count: number | string }>(upsert);
    });
    const counts = new Map(rows.map((r) => [r.key, Number(r.count)]));
    return sorted.every((h) => (counts.get(h.key) ?? 1) <= h.limit);
  }

  return {
    hit: (key, limit) => hitAll([{ key, limit }]),
    hitAll,
    async sweep() {
      await db.$executeRawUnsafe(
        `DELETE FROM "RateLimitBucket" WHERE "windowStart" <= ${NOW} - make_interval(secs => $1::float8)`,
        seconds,
      );
    },
  };
}
