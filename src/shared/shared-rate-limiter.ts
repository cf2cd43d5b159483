/**
 * Rate-limit counters several instances share: fixed windows in the
 * RateLimitBucket table (PostgreSQL). SQLite runs one instance: the in-memory
 * limiter (src/shared/rate-limiter.ts) serves there.
 *
 * Each instance decides at once, from what it knows: the key's count in the
 * table as of its last sync plus its own hits since. Every SYNC_MS it adds
 * its new hits to the table in one upsert — the row's window restarts when it
 * is over (on the database's clock, so instances with skewed clocks agree),
 * else its count goes up — and reads back the total every instance has
 * counted. So within one instance the limit is exact, and across instances it
 * holds to within what the others counted since the last sync.
 *
 * Why not one upsert per request: every request from one address counts on
 * the same row, and measured under load those upserts queued on its row lock
 * (~7 ms each) and held the whole chat route to that row's pace; a counter
 * write and its commit per request was also the largest share of the
 * database's work for a question.
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
  /** Counts one hit on each key at once; false when any is over its limit. */
  hitAll(hits: readonly RateLimitHit[]): Promise<boolean>;
  /** Drops finished windows; called periodically. */
  sweep(): Promise<void>;
  /** Stops syncing, after sending what was counted since the last sync. */
  stop(): Promise<void>;
}

export function createMemoryRateLimiter(windowMs: number, now?: () => number): AsyncRateLimiter {
  const limiter = createRateLimiter(windowMs, now);
  return {
    hit: async (key, limit) => limiter.hit(key, limit),
    // Every key is counted, even after one is over (as separate hits would).
    hitAll: async (hits) => hits.map((h) => limiter.hit(h.key, h.limit)).every(Boolean),
    sweep: async () => limiter.sweep(),
    stop: async () => {},
  };
}

/** How often an instance adds its hits to the shared counts and reads back the totals. */
export const SYNC_MS = 100;

export interface PostgresRateLimiterOptions {
  syncMs?: number;
  /** A sync that failed (its hits are sent again with the next). */
  onError: (err: unknown) => void;
  now?: () => number;
}

/** One key as this instance knows it. */
interface Counter {
  /** The table's count at the last sync (every instance's hits, this one's included). */
  shared: number;
  /** This instance's hits not yet in `shared`: counted since, or on their way in a sync. */
  pending: number;
  /** Of `pending`, the hits a sync in flight is sending. */
  sending: number;
  /** When the key's window ends, on this instance's clock. */
  windowEndsAt: number;
}

const NOW = `(now() AT TIME ZONE 'UTC')`;

export function createPostgresRateLimiter(
  db: Db,
  windowMs: number,
  options: PostgresRateLimiterOptions,
): AsyncRateLimiter & { sync(): Promise<void> } {
  const seconds = windowMs / 1000;
  const syncMs = options.syncMs ?? SYNC_MS;
  const now = options.now ?? Date.now;
  const sql = rawSqlOf(db);
  const counters = new Map<string, Counter>();
  let timer: NodeJS.Timeout | null = null;
  let syncing: Promise<void> | null = null;
  let stopped = false;

  function counter(key: string, t: number): Counter {
    let c = counters.get(key);
    if (!c) {
      c = { shared: 0, pending: 0, sending: 0, windowEndsAt: t + windowMs };
      counters.set(key, c);
    } else if (t >= c.windowEndsAt) {
      // The window is over here; the table restarts it with the next sync. Its hits not yet
      // sent count for nothing now (those on their way are settled when their sync returns).
      c.shared = 0;
      c.pending = c.sending;
      c.windowEndsAt = t + windowMs;
    }
    return c;
  }

  /** Sends the hits counted since the last sync, in one statement, and reads back every key's total. */
  async function send(): Promise<void> {
    const batch = [...counters].filter(([, c]) => c.pending > c.sending);
    if (batch.length === 0) return;
    // Keys sorted so that concurrent syncs lock the rows in the same order (no deadlock).
    batch.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const deltas = batch.map(([key, c]) => {
      const delta = c.pending - c.sending;
      c.sending += delta;
      return { key, c, delta };
    });
    const sentAt = now();
    const nowSql = Prisma.raw(NOW);
    const expired = Prisma.sql`"RateLimitBucket"."windowStart" <= ${nowSql} - make_interval(secs => ${seconds}::float8)`;
    // A counter need not survive a crash: set_config(…, true) turns synchronous_commit off for
    // this statement's own transaction, so its commit does not wait for the WAL flush.
    const upsert = Prisma.sql`INSERT INTO "RateLimitBucket" ("key", "windowStart", "count")
       SELECT v."key", ${nowSql}, v."delta"
       FROM (VALUES ${Prisma.join(deltas.map((d) => Prisma.sql`(${d.key}::text, ${d.delta}::int)`))}) AS v("key", "delta"),
            (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
       ORDER BY v."key"
       ON CONFLICT ("key") DO UPDATE SET
         "count" = CASE WHEN ${expired} THEN EXCLUDED."count" ELSE "RateLimitBucket"."count" + EXCLUDED."count" END,
         "windowStart" = CASE WHEN ${expired} THEN ${nowSql} ELSE "RateLimitBucket"."windowStart" END
       RETURNING "key", "count", (EXTRACT(EPOCH FROM (${nowSql} - "windowStart")) * 1000)::float8 AS "ageMs"`;
    let rows: { key: string; count: number | string; ageMs: number | string }[];
    try {
      rows = await sql.query(upsert);
    } catch (err) {
      // Not sent: the hits stay pending and go with the next sync.
      for (const d of deltas) d.c.sending -= d.delta;
      throw err;
    }
    const byKey = new Map(rows.map((r) => [r.key, r]));
    for (const d of deltas) {
      d.c.sending -= d.delta;
      d.c.pending -= d.delta;
      const row = byKey.get(d.key);
      if (!row) continue;
      d.c.shared = Number(row.count);
      d.c.windowEndsAt = sentAt - Number(row.ageMs) + windowMs;
    }
  }

  function sync(): Promise<void> {
    // One sync at a time: hits counted meanwhile go with the next.
    syncing ??= send().finally(() => {
      syncing = null;
    });
    return syncing;
  }

  function schedule(): void {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = null;
      sync().catch(options.onError);
    }, syncMs);
    timer.unref();
  }

  function hitAll(hits: readonly RateLimitHit[]): boolean {
    const t = now();
    // Each key once, at its lowest limit; every key counted, even after one is over.
    const byKey = new Map<string, number>();
    for (const h of hits) byKey.set(h.key, Math.min(h.limit, byKey.get(h.key) ?? h.limit));
    let ok = true;
    for (const [key, limit] of byKey) {
      const c = counter(key, t);
      c.pending++;
      if (c.shared + c.pending > limit) ok = false;
    }
    if (byKey.size > 0) schedule();
    return ok;
  }

  return {
    hit: async (key, limit) => hitAll([{ key, limit }]),
    hitAll: async (hits) => hitAll(hits),
    sync,
    async sweep() {
      const t = now();
      // Keys whose window is over are forgotten, with any hits of theirs not yet sent: memory stays
      // bounded by the keys of one window even while the database is out of reach.
      for (const [key, c] of counters) if (t >= c.windowEndsAt && c.sending === 0) counters.delete(key);
      await db.$executeRawUnsafe(
        `DELETE FROM "RateLimitBucket" WHERE "windowStart" <= ${NOW} - make_interval(secs => $1::float8)`,
        seconds,
      );
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      // A sync in flight settles first (its failure reaches onError through whoever started it).
      await syncing?.then(
        () => undefined,
        () => undefined,
      );
      await sync();
    },
  };
}
