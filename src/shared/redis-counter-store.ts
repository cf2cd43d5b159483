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

/**
 * The error without what ioredis attaches to it: `command.args` holds the keys,
 * and the keys hold residents' addresses and conversation ids, which logs must
 * never carry.
 */
function redisError(err: unknown): Error {
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  const clean = new Error(`redis: ${typeof e.message === "string" ? e.message : String(err)}`);
  if (typeof e.name === "string") clean.name = e.name;
  if (typeof e.code === "string") Object.assign(clean, { code: e.code });
  return clean;
}

export function createRedisCounterStore(url: string, options: RedisCounterStoreOptions): RedisCounterStore {
  const redis = new Redis(url, {
    keyPrefix: options.keyPrefix ?? "fuer:rate:",
    lazyConnect: true,
    // A sync that cannot be sent fails at once, and one that gets no answer within a second
    // fails then; its hits go with the next. A limiter never holds a request up waiting for
    // Redis, and a Redis that stops answering shows in the failures, not in a sync stuck forever.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
  });
  redis.on("error", (err) => options.onError(redisError(err)));
  redis.defineCommand("fuerAddHits", { lua: ADD_HITS });
  const addHits = (redis as unknown as { fuerAddHits: AddHits }).fuerAddHits.bind(redis);
  return {
    async ready() {
      try {
        await redis.connect();
      } catch (err) {
        // Stop reconnecting: the caller gives up on this store.
        redis.disconnect();
        const { host } = new URL(url);
        throw new Error(`REDIS_URL: cannot reach ${host}: ${redisError(err).message}`);
      }
    },
    async add(deltas, windowMs) {
      if (deltas.length === 0) return [];
      let rows: [number, number][];
      try {
        rows = await addHits(
          deltas.length,
          ...deltas.map((d) => d.key),
          Math.max(1, Math.round(windowMs)),
          ...deltas.map((d) => d.delta),
        );
      } catch (err) {
        throw redisError(err);
      }
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
      // QUIT waits for replies still due; a connection that is down, or a QUIT that gets no
      // answer within the command timeout, is closed outright (the latter reported).
      if (redis.status === "ready") {
        try {
          await redis.quit();
          return;
        } catch (err) {
          options.onError(redisError(err));
        }
      }
      redis.disconnect();
    },
  };
}
