/**
 * Several instances on one PostgreSQL database (run with TEST_DATABASE_URL):
 * live case events cross instances (LISTEN/NOTIFY), a claim raced from two
 * instances has one winner, and the SLA alert fires once when every instance
 * checks at once. Skipped on SQLite (one instance by design). The shared
 * rate-limit counters have their own file: shared-rate-limits.test.ts.
 */
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createPrismaClient, type Db } from "../../src/db/prisma-client.ts";
import { createLogger } from "../../src/shared/logger.ts";
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
});
