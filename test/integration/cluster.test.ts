/**
 * Several instances on one PostgreSQL database (run with TEST_DATABASE_URL):
 * live case events cross instances (LISTEN/NOTIFY), a claim raced from two
 * instances has one winner, and the SLA alert fires once when every instance
 * checks at once. Skipped on SQLite (one instance by design).
 */
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createPrismaClient, type Db } from "../../src/db/prisma-client.ts";
import { createLogger } from "../../src/shared/logger.ts";
import { createPostgresRateLimiter } from "../../src/shared/shared-rate-limiter.ts";
import { asStaff, createStaffAndLogin, listen, openStaffSocket } from "../helpers/staff-helpers.ts";
import { sharedKnowledge } from "../helpers/test-app.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";

const onPostgres = inject("pgAdminUrl") !== "";
const REPORT = "他昨天又打我了 我好怕";
const MIN = 60_000;

type Instance = { app: FastifyInstance; db: Db; url: string };
let database: TestDatabase;
let a: Instance;
let b: Instance;
const clock = { now: new Date() };

async function instance(url: string): Promise<Instance> {
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: "info", RATE_LIMIT_PER_MINUTE: "1000" });
  const db = createPrismaClient(url);
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const app = await buildApp({
    config,
    db,
    knowledge: sharedKnowledge(),
    logger: createLogger("info", sink),
    now: () => clock.now,
    timers: false,
  });
  await app.ready();
  return { app, db, url: await listen({ app }) };
}

describe.skipIf(!onPostgres)("two instances on one PostgreSQL database", () => {
  beforeAll(async () => {
    database = await createTestDatabase("cluster");
    a = await instance(database.url);
    b = await instance(database.url);
  });
  afterAll(async () => {
    for (const i of [a, b]) {
      await i?.app.close();
      await i?.db.$disconnect();
    }
    await database?.drop();
  });

  async function report() {
    const res = await a.app.inject({ method: "POST", url: "/api/chat", payload: { text: REPORT } });
    expect(res.statusCode).toBe(200);
    return (res.json() as { escalation: { caseId: string; queue: string } }).escalation;
  }

  it("a report made on instance A reaches a console connected to instance B", async () => {
    const staff = await createStaffAndLogin(b, { role: "staff", queues: ["fulian-dv"] });
    const socket = await openStaffSocket(b.url, staff);
    await socket.next((f) => f.type === "hello");
    const escalation = await report();
    const frame = await socket.next(
      (f) => f.type === "case_event" && (f.event as { caseId: string }).caseId === escalation.caseId,
    );
    expect((frame.event as { type: string }).type).toBe("created");
    socket.close();
  });

  it("a claim raced from both instances has exactly one winner", async () => {
    for (let round = 0; round < 5; round++) {
      const escalation = await report();
      const s1 = await createStaffAndLogin(a, { queues: ["fulian-dv"] });
      const s2 = await createStaffAndLogin(b, { queues: ["fulian-dv"] });
      const url = `/api/staff/cases/${escalation.caseId}/claim`;
      const [r1, r2] = await Promise.all([
        a.app.inject({ method: "POST", url, ...asStaff(s1) }),
        b.app.inject({ method: "POST", url, ...asStaff(s2) }),
      ]);
      expect([r1.statusCode, r2.statusCode].sort()).toEqual([200, 409]);
      const claims = await a.db.caseEvent.count({ where: { caseId: escalation.caseId, type: "claimed" } });
      expect(claims).toBe(1);
    }
  });

  it("every instance checks the SLA at once: the alert fires once", async () => {
    const start = new Date();
    clock.now = start;
    const escalation = await report();
    const at = new Date(start.getTime() + 20 * MIN);
    const results = await Promise.all([a.app.slaMonitor.check(at), b.app.slaMonitor.check(at)]);
    const alerted = results.flat().filter((id) => id === escalation.caseId);
    expect(alerted.length).toBe(1);
    const events = await a.db.caseEvent.count({ where: { caseId: escalation.caseId, type: "sla_breached" } });
    expect(events).toBe(1);
  });

  /** A limiter that syncs only when told (a sync interval no test reaches). */
  function limiterOn(db: Db, windowMs = 60_000) {
    const errors: unknown[] = [];
    const limiter = createPostgresRateLimiter(db, windowMs, { syncMs: 3_600_000, onError: (e) => errors.push(e) });
    return { limiter, errors };
  }
  const uniqueKey = (prefix: string) => `${prefix}:test-${Date.now()}-${Math.random()}`;

  it("rate limits: within one instance the limit is exact, before any sync", async () => {
    const { limiter } = limiterOn(a.db);
    const key = uniqueKey("c");
    const results = await Promise.all(Array.from({ length: 8 }, () => limiter.hit(key, 5)));
    expect(results.filter(Boolean).length).toBe(5);
    expect(await a.db.rateLimitBucket.findUnique({ where: { key } })).toBeNull();
    await limiter.stop();
  });

  it("rate limits are shared: an instance learns every instance's count when it syncs, so at most its hits since then get past", async () => {
    const la = limiterOn(a.db).limiter;
    const lb = limiterOn(b.db).limiter;
    const key = uniqueKey("c");
    for (let i = 0; i < 3; i++) expect(await la.hit(key, 5)).toBe(true);
    for (let i = 0; i < 2; i++) expect(await lb.hit(key, 5)).toBe(true);
    await la.sync();
    await lb.sync();
    expect((await a.db.rateLimitBucket.findUnique({ where: { key } }))?.count).toBe(5);
    // B synced after A: it read back 5 and refuses.
    expect(await lb.hit(key, 5)).toBe(false);
    // A last read 3: one more gets past it, and its next sync brings it up to date.
    expect(await la.hit(key, 5)).toBe(true);
    await la.sync();
    expect(await la.hit(key, 5)).toBe(false);
    await Promise.all([la.stop(), lb.stop()]);
    expect((await a.db.rateLimitBucket.findUnique({ where: { key } }))?.count).toBe(8);
  });

  it("rate limits: one request's address and resident keys count together, refused when either is over", async () => {
    const la = limiterOn(a.db).limiter;
    const lb = limiterOn(b.db).limiter;
    const ip = uniqueKey("ip");
    const resident = uniqueKey("c");
    const hits = [
      { key: ip, limit: 10 },
      { key: resident, limit: 3 },
    ];
    for (const l of [la, lb, la, lb]) expect(await l.hitAll(hits)).toBe(true);
    await la.sync();
    await lb.sync();
    const rows = await a.db.rateLimitBucket.findMany({ where: { key: { in: [ip, resident] } } });
    expect(Object.fromEntries(rows.map((r) => [r.key, r.count]))).toEqual({ [ip]: 4, [resident]: 4 });
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

  it("rate limits: a window that is over restarts, on the instance and in the table", async () => {
    const windowMs = 400;
    const { limiter } = limiterOn(a.db, windowMs);
    const key = uniqueKey("c");
    expect(await limiter.hit(key, 1)).toBe(true);
    expect(await limiter.hit(key, 1)).toBe(false);
    await limiter.sync();
    expect((await a.db.rateLimitBucket.findUnique({ where: { key } }))?.count).toBe(2);
    await new Promise((r) => setTimeout(r, windowMs + 100));
    expect(await limiter.hit(key, 1)).toBe(true);
    await limiter.sync();
    expect((await a.db.rateLimitBucket.findUnique({ where: { key } }))?.count).toBe(1);
    await limiter.stop();
  });

  it("rate limits: a key whose window is over is forgotten by the sweep, with its hits not yet sent", async () => {
    const windowMs = 300;
    const { limiter } = limiterOn(a.db, windowMs);
    const key = uniqueKey("c");
    expect(await limiter.hit(key, 1)).toBe(true);
    await new Promise((r) => setTimeout(r, windowMs + 50));
    await limiter.sweep();
    await limiter.stop();
    expect(await a.db.rateLimitBucket.findUnique({ where: { key } })).toBeNull();
  });

  it("rate limits: stop() sends the hits counted since the last sync (a graceful shutdown keeps them)", async () => {
    const { limiter, errors } = limiterOn(a.db);
    const key = uniqueKey("ip");
    await limiter.hitAll([{ key, limit: 100 }]);
    await limiter.hitAll([{ key, limit: 100 }]);
    await limiter.stop();
    expect((await a.db.rateLimitBucket.findUnique({ where: { key } }))?.count).toBe(2);
    expect(errors).toEqual([]);
  });

  it("rate limits: a sync that fails keeps its hits counted here; the next sync sends them", async () => {
    const { limiter } = limiterOn(a.db);
    const key = uniqueKey("c");
    await limiter.hit(key, 10);
    // The table out of reach for a moment (the tests of this file run one at a time).
    await a.db.$executeRawUnsafe(`ALTER TABLE "RateLimitBucket" RENAME TO "RateLimitBucketAway"`);
    try {
      await expect(limiter.sync()).rejects.toThrow();
    } finally {
      await a.db.$executeRawUnsafe(`ALTER TABLE "RateLimitBucketAway" RENAME TO "RateLimitBucket"`);
    }
    expect(await limiter.hit(key, 2)).toBe(true);
    expect(await limiter.hit(key, 2)).toBe(false);
    await limiter.sync();
    expect((await a.db.rateLimitBucket.findUnique({ where: { key } }))?.count).toBe(3);
    await limiter.stop();
  });
});
