/**
 * Rate-limit counters several instances share: fixed windows whose counts
 * live in a CounterStore — Redis when REDIS_URL is set (redis-counter-store.ts),
 * else PostgreSQL's RateLimitBucket table (pg-counter-store.ts). SQLite alone
 * runs one instance: the in-memory limiter (src/shared/rate-limiter.ts) serves there.
 *
 * Each instance decides at once, from what it knows: the key's count in the
 * store as of its last sync plus its own hits since. Every SYNC_MS it adds
 * its new hits to the store in one round trip — a key's window restarts when
 * it is over (on the store's clock, so instances with skewed clocks agree),
 * else its count goes up — and reads back the total every instance has
 * counted. So within one instance the limit is exact, and across instances it
 * holds to within what the others counted since the last sync.
 *
 * Why not one write per request: every request from one address counts on
 * the same key, and measured under load on PostgreSQL those upserts queued on
 * its row lock (~7 ms each) and held the whole chat route to that row's pace;
 * a counter write per request was also the largest share of the database's
 * work for a question.
 */
import { createRateLimiter } from "./rate-limiter.ts";

/** A key's hits to add to the shared count. */
export interface CounterDelta {
  key: string;
  delta: number;
}

/** A key's shared count after a sync, and how long ago its window started (on the store's clock). */
export interface CounterTotal {
  key: string;
  count: number;
  ageMs: number;
}

/** Where the counts every instance shares live. */
export interface CounterStore {
  /**
   * Adds each key's hits in one round trip — a key whose window is over
   * starts a new one with them — and returns every key's total. Keys come
   * sorted, so that concurrent syncs take row locks in one order.
   */
  add(deltas: readonly CounterDelta[], windowMs: number): Promise<CounterTotal[]>;
  /** Deletes the counts of finished windows (nothing to do where keys expire by themselves). */
  sweep(windowMs: number): Promise<void>;
}

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

export interface SharedRateLimiterOptions {
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

export function createSharedRateLimiter(
  store: CounterStore,
  windowMs: number,
  options: SharedRateLimiterOptions,
): AsyncRateLimiter & { sync(): Promise<void> } {
  const syncMs = options.syncMs ?? SYNC_MS;
  const now = options.now ?? Date.now;
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
    let rows: CounterTotal[];
    try {
      rows = await store.add(
        deltas.map((d) => ({ key: d.key, delta: d.delta })),
        windowMs,
      );
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
      d.c.shared = row.count;
      d.c.windowEndsAt = sentAt - row.ageMs + windowMs;
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
      // bounded by the keys of one window even while the store is out of reach.
      for (const [key, c] of counters) if (t >= c.windowEndsAt && c.sending === 0) counters.delete(key);
      await store.sweep(windowMs);
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
