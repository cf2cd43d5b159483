/**
 * The rules of the rate-limit counters several instances share
 * (src/shared/shared-rate-limiter.ts), on each store that can hold them:
 * PostgreSQL's RateLimitBucket table (when the suite runs on PostgreSQL) and
 * Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379; .ci/run starts it).
 * Each "instance" is a limiter with a connection of its own; they sync only
 * when a test tells them to.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { type AddressInfo, createServer } from "node:net";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createPrismaClient, type Db } from "../../src/db/prisma-client.ts";
import { createLogger } from "../../src/shared/logger.ts";
import { createPostgresCounterStore } from "../../src/shared/pg-counter-store.ts";
import { createRateLimits } from "../../src/shared/rate-limits.ts";
import { createRedisCounterStore, type RedisCounterStore } from "../../src/shared/redis-counter-store.ts";
import { type CounterStore, createSharedRateLimiter } from "../../src/shared/shared-rate-limiter.ts";
import { sharedKnowledge } from "../helpers/test-app.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";

const onPostgres = inject("pgAdminUrl") !== "";
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A store as the tests see it: two connections to it ("instances"), and a look at what it holds. */
interface StoreUnderTest {
  open(): Promise<void>;
  close(): Promise<void>;
  /** The store as instance 0 or 1 reaches it. */
  store(instance: 0 | 1): CounterStore;
  /** The shared count of a key; null when the store holds none. */
  count(key: string): Promise<number | null>;
  /** Runs `fn` while syncs of `key` fail in the store itself. */
  failingFor(key: string, fn: () => Promise<void>): Promise<void>;
}

function postgresStore(): StoreUnderTest {
  let database: TestDatabase;
  const dbs: Db[] = [];
  return {
    async open() {
      database = await createTestDatabase("ratelimits");
      dbs.push(createPrismaClient(database.url), createPrismaClient(database.url));
    },
    async close() {
      for (const db of dbs) await db.$disconnect();
      await database?.drop();
    },
    store: (i) => createPostgresCounterStore(dbs[i] as Db),
    async count(key) {
      return (await (dbs[0] as Db).rateLimitBucket.findUnique({ where: { key } }))?.count ?? null;
    },
    async failingFor(_key, fn) {
      // The table out of reach for a moment (this database is this file's own).
      const db = dbs[0] as Db;
      await db.$executeRawUnsafe(`ALTER TABLE "RateLimitBucket" RENAME TO "RateLimitBucketAway"`);
      try {
        await fn();
      } finally {
        await db.$executeRawUnsafe(`ALTER TABLE "RateLimitBucketAway" RENAME TO "RateLimitBucket"`);
      }
    },
  };
}

function redisStore(): StoreUnderTest {
  // Every run under its own prefix: runs and other users of this Redis never meet.
  const keyPrefix = `fuer:test:${randomUUID()}:`;
  const stores: RedisCounterStore[] = [];
  const errors: unknown[] = [];
  let raw: Redis;
  return {
    async open() {
      raw = new Redis(REDIS_URL, { lazyConnect: true });
      await raw.connect();
      for (let i = 0; i < 2; i++) {
        const s = createRedisCounterStore(REDIS_URL, { keyPrefix, onError: (e) => errors.push(e) });
        await s.ready();
        stores.push(s);
      }
    },
    async close() {
      for (const s of stores) await s.close();
      const keys = await raw.keys(`${keyPrefix}*`);
      if (keys.length) await raw.del(...keys);
      await raw.quit();
      expect(errors).toEqual([]);
    },
    store: (i) => stores[i] as RedisCounterStore,
    async count(key) {
      const value = await raw.get(`${keyPrefix}${key}`);
      return value === null ? null : Number(value);
    },
    async failingFor(key, fn) {
      // A value INCRBY refuses: Redis itself answers the script with an error.
      await raw.set(`${keyPrefix}${key}`, "not a count", "PX", 60_000);
      try {
        await fn();
      } finally {
        await raw.del(`${keyPrefix}${key}`);
      }
    },
  };
}

const stores: { name: string; skip: boolean; make: () => StoreUnderTest }[] = [
  { name: "PostgreSQL table", skip: !onPostgres, make: postgresStore },
  { name: "Redis", skip: false, make: redisStore },
];

describe.each(stores)("shared rate limits on the $name", ({ skip, make }) => {
  const s = make();
  beforeAll(async () => {
    if (!skip) await s.open();
  });
  afterAll(async () => {
    if (!skip) await s.close();
  });

  /** A limiter on instance `i` that syncs only when told (a sync interval no test reaches). */
  function limiterOn(i: 0 | 1, windowMs = 60_000) {
    const errors: unknown[] = [];
    const limiter = createSharedRateLimiter(s.store(i), windowMs, {
      syncMs: 3_600_000,
      onError: (e) => errors.push(e),
    });
    return { limiter, errors };
  }
  const uniqueKey = (prefix: string) => `${prefix}:test-${randomUUID()}`;

  it.skipIf(skip)("within one instance the limit is exact, before any sync", async () => {
    const { limiter } = limiterOn(0);
    const key = uniqueKey("c");
    const results = await Promise.all(Array.from({ length: 8 }, () => limiter.hit(key, 5)));
    expect(results.filter(Boolean).length).toBe(5);
    expect(await s.count(key)).toBeNull();
    await limiter.stop();
    expect(await s.count(key)).toBe(8);
  });

  it.skipIf(skip)(
    "an instance learns every instance's count when it syncs, so at most its hits since then get past",
    async () => {
      const la = limiterOn(0).limiter;
      const lb = limiterOn(1).limiter;
      const key = uniqueKey("c");
      for (let i = 0; i < 3; i++) expect(await la.hit(key, 5)).toBe(true);
      for (let i = 0; i < 2; i++) expect(await lb.hit(key, 5)).toBe(true);
      await la.sync();
      await lb.sync();
      expect(await s.count(key)).toBe(5);
      // B synced after A: it read back 5 and refuses.
      expect(await lb.hit(key, 5)).toBe(false);
      // A last read 3: one more gets past it, and its next sync brings it up to date.
      expect(await la.hit(key, 5)).toBe(true);
      await la.sync();
      expect(await la.hit(key, 5)).toBe(false);
      await Promise.all([la.stop(), lb.stop()]);
      expect(await s.count(key)).toBe(8);
    },
  );

  it.skipIf(skip)("one request's address and resident keys count together, refused when either is over", async () => {
    const la = limiterOn(0).limiter;
    const lb = limiterOn(1).limiter;
    const ip = uniqueKey("ip");
    const resident = uniqueKey("c");
    const hits = [
      { key: ip, limit: 10 },
      { key: resident, limit: 3 },
    ];
    for (const l of [la, lb, la, lb]) expect(await l.hitAll(hits)).toBe(true);
    await la.sync();
    await lb.sync();
    expect([await s.count(ip), await s.count(resident)]).toEqual([4, 4]);
    await la.hitAll(hits);
    await la.sync();
    // The resident is over on both instances; their address is not: another resident there is served.
    expect(await la.hitAll(hits)).toBe(false);
    expect(await lb.hitAll(hits)).toBe(false);
    expect(
      await la.hitAll([
        { key: ip, limit: 10 },
        { key: uniqueKey("c"), limit: 3 },
      ]),
    ).toBe(true);
    await Promise.all([la.stop(), lb.stop()]);
  });

  it.skipIf(skip)("a window that is over restarts, on the instance and in the store", async () => {
    const windowMs = 400;
    const { limiter } = limiterOn(0, windowMs);
    const key = uniqueKey("c");
    expect(await limiter.hit(key, 1)).toBe(true);
    expect(await limiter.hit(key, 1)).toBe(false);
    await limiter.sync();
    expect(await s.count(key)).toBe(2);
    await new Promise((r) => setTimeout(r, windowMs + 100));
    expect(await limiter.hit(key, 1)).toBe(true);
    await limiter.sync();
    expect(await s.count(key)).toBe(1);
    await limiter.stop();
  });

  it.skipIf(skip)("a key whose window is over is forgotten by the sweep, with its hits not yet sent", async () => {
    const windowMs = 300;
    const { limiter } = limiterOn(0, windowMs);
    const key = uniqueKey("c");
    expect(await limiter.hit(key, 1)).toBe(true);
    await new Promise((r) => setTimeout(r, windowMs + 50));
    await limiter.sweep();
    await limiter.stop();
    expect(await s.count(key)).toBeNull();
  });

  it.skipIf(skip)("stop() sends the hits counted since the last sync (a graceful shutdown keeps them)", async () => {
    const { limiter, errors } = limiterOn(0);
    const key = uniqueKey("ip");
    await limiter.hitAll([{ key, limit: 100 }]);
    await limiter.hitAll([{ key, limit: 100 }]);
    await limiter.stop();
    expect(await s.count(key)).toBe(2);
    expect(errors).toEqual([]);
  });

  it.skipIf(skip)("a sync that fails keeps its hits counted here; the next sync sends them", async () => {
    const { limiter } = limiterOn(0);
    const key = uniqueKey("c");
    await limiter.hit(key, 10);
    await s.failingFor(key, async () => {
      await expect(limiter.sync()).rejects.toThrow();
    });
    expect(await limiter.hit(key, 2)).toBe(true);
    expect(await limiter.hit(key, 2)).toBe(false);
    await limiter.sync();
    expect(await s.count(key)).toBe(3);
    await limiter.stop();
  });
});

describe("REDIS_URL: instances share the residents' and logins' counters in Redis", () => {
  let database: TestDatabase;
  const apps: { app: Awaited<ReturnType<typeof buildApp>>; db: Db }[] = [];
  let raw: Redis;

  beforeAll(async () => {
    database = await createTestDatabase("redis-limits");
    raw = new Redis(REDIS_URL, { lazyConnect: true });
    await raw.connect();
    for (let i = 0; i < 2; i++) {
      const db = createPrismaClient(database.url);
      const config = loadConfig({
        DATABASE_URL: database.url,
        REDIS_URL,
        LOG_LEVEL: "info",
        RATE_LIMIT_PER_MINUTE: "2",
      });
      const sink = new Writable({ write: (_c, _e, done) => done() });
      const app = await buildApp({
        config,
        db,
        knowledge: sharedKnowledge(),
        logger: createLogger("info", sink),
        timers: false,
      });
      await app.ready();
      apps.push({ app, db });
    }
  });
  afterAll(async () => {
    for (const { app, db } of apps) {
      await app.close();
      await db.$disconnect();
    }
    await raw?.quit();
    await database?.drop();
  });

  /** An address of this test's own (the counters are per address): 10.x.y.z from a fresh uuid. */
  function freshAddress(): string {
    const b = Buffer.from(randomUUID().replaceAll("-", ""), "hex");
    return `10.${b[0]}.${b[1]}.${b[2]}`;
  }

  it("messages from one address on instance A count on instance B: over the limit there too, 429", async () => {
    const [a, b] = apps;
    if (!a || !b) throw new Error("two instances expected");
    const remoteAddress = freshAddress();
    const ask = (app: typeof a.app) =>
      app.inject({ method: "POST", url: "/api/chat", remoteAddress, payload: { text: "家长学校在哪里" } });
    // Per address: 5 × RATE_LIMIT_PER_MINUTE, each message a new conversation.
    for (let i = 0; i < 10; i++) expect((await ask(a.app)).statusCode).toBe(200);
    // A syncs within a tenth of a second; B reads the total with its own next sync.
    await expect.poll(() => raw.get(`fuer:rate:ip:${remoteAddress}`), { timeout: 5_000 }).toBe("10");
    expect((await ask(b.app)).statusCode).toBe(200);
    await expect.poll(async () => (await ask(b.app)).statusCode, { timeout: 5_000 }).toBe(429);
    expect((await ask(a.app)).statusCode).toBe(429);
  });

  it("staff login attempts from one address count across instances too", async () => {
    const [a, b] = apps;
    if (!a || !b) throw new Error("two instances expected");
    const remoteAddress = freshAddress();
    // A new name each time: a name tried too often is locked (423) before the address is limited.
    const login = (app: typeof a.app) =>
      app.inject({
        method: "POST",
        url: "/api/staff/login",
        remoteAddress,
        payload: { username: `nobody-${randomUUID().slice(0, 8)}`, password: "wrong password here" },
      });
    for (let i = 0; i < 10; i++) expect((await login(a.app)).statusCode).toBe(401);
    await expect.poll(() => raw.get(`fuer:rate:login:${remoteAddress}`), { timeout: 5_000 }).toBe("10");
    await expect.poll(async () => (await login(b.app)).statusCode, { timeout: 5_000 }).toBe(429);
  });
});

describe("a Redis that goes away", () => {
  /** A Redis server of this test's own, on a free port, so that it can be stopped. */
  async function startRedis(): Promise<{ url: string; pause(): void; stop(): Promise<void> }> {
    const port = await freePort();
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    const url = `redis://127.0.0.1:${port}`;
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
    probe.on("error", () => {}); // refused while it starts: polled below
    await expect
      .poll(
        () =>
          probe.connect().then(
            () => true,
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    probe.disconnect();
    return {
      url,
      // Stopped, not gone: its connections stay open and nothing answers on them.
      pause: () => child.kill("SIGSTOP"),
      stop: () =>
        new Promise((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    };
  }

  it("a Redis that stops answering: syncs fail within a second instead of hanging, and shutdown finishes", async () => {
    const redis = await startRedis();
    const db = createPrismaClient(inject("pgAdminUrl") || "file::memory:");
    const errors: unknown[] = [];
    const limits = await createRateLimits({ db, redisUrl: redis.url, onError: (e) => errors.push(e) });
    try {
      redis.pause();
      expect(await limits.limiter.hit(`ip:${randomUUID()}`, 5)).toBe(true);
      // The sync 100 ms later gets no answer; the command timeout fails it, and it is counted.
      await expect.poll(() => limits.failures(), { timeout: 5_000 }).toBeGreaterThan(0);
      await limits.close();
    } finally {
      await redis.stop();
      await db.$disconnect();
    }
  });

  it("a REDIS_URL that cannot be reached at start fails the start, loudly", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const db = createPrismaClient(inject("pgAdminUrl") || "file::memory:");
    try {
      await expect(createRateLimits({ db, redisUrl: url, onError: () => {} })).rejects.toThrow(
        `REDIS_URL: cannot reach ${new URL(url).host}`,
      );
    } finally {
      await db.$disconnect();
    }
  });

  it("while Redis is down each instance decides from its own counts, and logs the failed syncs", async () => {
    const redis = await startRedis();
    const db = createPrismaClient(inject("pgAdminUrl") || "file::memory:");
    const errors: unknown[] = [];
    const limits = await createRateLimits({ db, redisUrl: redis.url, onError: (e) => errors.push(e) });
    let closed = false;
    try {
      expect(limits.where).toBe("redis");
      await redis.stop();
      const key = `ip:${randomUUID()}`;
      // Decided at once, without waiting for Redis: within the limit yes, beyond it no.
      expect(await limits.limiter.hit(key, 2)).toBe(true);
      expect(await limits.limiter.hit(key, 2)).toBe(true);
      expect(await limits.limiter.hit(key, 2)).toBe(false);
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
      expect(limits.failures()).toBe(errors.length); // what /metrics reports
      // Shutdown goes on: the last sync's failure is reported like the others, not thrown.
      const before = errors.length;
      closed = true;
      await limits.close();
      expect(errors.length).toBeGreaterThan(before);
    } finally {
      if (!closed) await limits.close();
      await db.$disconnect();
    }
  });
});

describe("what a failed sync logs", () => {
  it("names neither the address nor the conversation whose counts it carried", async () => {
    const db = createPrismaClient(inject("pgAdminUrl") || "file::memory:");
    const raw = new Redis(REDIS_URL, { lazyConnect: true });
    await raw.connect();
    const lines: string[] = [];
    const log = createLogger("info", new Writable({ write: (c, _e, done) => done(void lines.push(String(c))) }));
    const errors: unknown[] = [];
    const limits = await createRateLimits({
      db,
      redisUrl: REDIS_URL,
      onError: (err) => {
        errors.push(err);
        log.warn({ err }, "rate limit counters: sync, sweep or connection failed"); // as src/app.ts logs it
      },
    });
    const address = `198.51.100.${1 + Math.floor(Math.random() * 250)}-${randomUUID().slice(0, 8)}`;
    const conversation = `conversation-${randomUUID()}`;
    // A value INCRBY refuses: Redis answers the sync with an error about these very keys.
    await raw.set(`fuer:rate:ip:${address}`, "not a count", "PX", 60_000);
    try {
      await limits.limiter.hitAll([
        { key: `ip:${address}`, limit: 100 },
        { key: `c:${conversation}`, limit: 10 },
      ]);
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
      const text = lines.join("");
      expect(text).toContain("rate limit counters");
      expect(text).toContain("redis:");
      expect(text).not.toContain(address);
      expect(text).not.toContain(conversation);
    } finally {
      await raw.del(`fuer:rate:ip:${address}`, `fuer:rate:c:${conversation}`);
      await limits.close();
      await raw.quit();
      await db.$disconnect();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
