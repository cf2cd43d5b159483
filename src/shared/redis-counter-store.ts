/**
 * Shared rate-limit counts in Redis (REDIS_URL): one integer key per counter,
 * expiring with its window, so a finished window restarts with the next hit
 * and nothing is left to sweep. One sync is one script call: its keys are
 * added atomically, whatever other instances do meanwhile.
 */
import { Redis } from "ioredis";
import type { CounterStore, CounterTotal } from "./shared-rate-limiter.ts";

/**
 * KEYS: the counters. ARGV[1]: the window (ms); ARGV[i + 1]: KEYS[i]'s hits.
 * A key without an expiry is new (or was left by hand without one): its
 * window starts now. Returns each key's count and the ms left of its window.
 */
const ADD_HITS = `
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCRBY', key, ARGV[i + 1])
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    left = tonumber(ARGV[1])
  end
  out[i] = { count, left }
end
return out`;

type AddHits = (numKeys: number, ...keysThenArgs: (string | number)[]) => Promise<[number, number][]>;

export interface RedisCounterStoreOptions {
  /** Put before every key, so that one Redis can serve other applications too. */
  keyPrefix?: string;
  /** A connection error (Redis unreachable; it reconnects by itself). */
  onError: (err: unknown) => void;
}

export interface RedisCounterStore extends CounterStore {
  /** Resolves once connected; rejects when Redis cannot be reached. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function createRedisCounterStore(url: string, options: RedisCounterStoreOptions): RedisCounterStore {
  const redis = new Redis(url, {
    keyPrefix: options.keyPrefix ?? "fuer:rate:",
    lazyConnect: true,
    // A sync that cannot be sent fails at once, and its hits go with the next one: a limiter
    // must never hold a request up waiting for Redis to come back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
  });
  redis.on("error", options.onError);
  redis.defineCommand("fuerAddHits", { lua: ADD_HITS });
  const addHits = (redis as unknown as { fuerAddHits: AddHits }).fuerAddHits.bind(redis);
  return {
    async ready() {
      await redis.connect();
    },
    async add(deltas, windowMs) {
      if (deltas.length === 0) return [];
      const rows = await addHits(
        deltas.length,
        ...deltas.map((d) => d.key),
        Math.max(1, Math.round(windowMs)),
        ...deltas.map((d) => d.delta),
      );
      return deltas.map((d, i): CounterTotal => {
        const row = rows[i];
        if (!row) throw new Error("rate-limit script returned fewer counts than keys");
        return { key: d.key, count: Number(row[0]), ageMs: windowMs - Number(row[1]) };
      });
    },
    async sweep() {
      // Keys expire with their windows.
    },
    async close() {
      // QUIT waits for replies still due; a connection that is already down just closes.
      if (redis.status === "ready") await redis.quit();
      else redis.disconnect();
    },
  };
}
