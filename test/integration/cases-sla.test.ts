import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  asStaff,
  buildCasesTestApp,
  type CasesTestApp,
  createStaffAndLogin,
  type Frame,
  listen,
  openStaffSocket,
  type StaffLogin,
} from "../helpers/staff-helpers.ts";

const bj = (text: string) => new Date(`${text}+08:00`);
const MONDAY_10 = bj("2026-11-30T10:00:00");
const MIN = 60_000;
const plus = (ms: number) => new Date(MONDAY_10.getTime() + ms);

const URGENT_DV = "他昨天又打我了 我好怕";

let t: CasesTestApp;
let base: string;
let dv: StaffLogin;
let child: StaffLogin;
let sup: StaffLogin;

beforeAll(async () => {
  t = await buildCasesTestApp({ start: MONDAY_10 });
  base = await listen(t);
  dv = await createStaffAndLogin(t, { queues: ["fulian-dv"] });
  child = await createStaffAndLogin(t, { queues: ["minor-protection"] });
  sup = await createStaffAndLogin(t, { role: "supervisor" });
});
afterAll(async () => t.close());

async function report(text: string) {
  const res = await t.app.inject({ method: "POST", url: "/api/chat", payload: { text } });
  return res.json() as { escalation: { caseId: string } };
}

async function breaches(caseId: string) {
  return t.db.caseEvent.findMany({ where: { caseId, type: "sla_breached" }, orderBy: { id: "asc" } });
}

const breachOf = (caseId: string) => (f: Frame) =>
  f.type === "case_event" &&
  (f.event as { caseId: string; type: string }).caseId === caseId &&
  (f.event as { type: string }).type === "sla_breached";

describe("an unclaimed case past its deadline alerts the queue and every supervisor, once per deadline", () => {
  it("urgent: nothing at 14 min, one alert at 16 min, no second alert later", async () => {
    const dvSocket = await openStaffSocket(base, dv);
    const childSocket = await openStaffSocket(base, child);
    const supSocket = await openStaffSocket(base, sup);
    const { escalation } = await report(URGENT_DV);

    expect(await t.app.slaMonitor.check(plus(14 * MIN))).not.toContain(escalation.caseId);
    expect(await breaches(escalation.caseId)).toHaveLength(0);

    expect(await t.app.slaMonitor.check(plus(16 * MIN))).toContain(escalation.caseId);
    const [breach] = await breaches(escalation.caseId);
    expect(JSON.parse(breach?.data ?? "{}")).toEqual({
      deadline: plus(15 * MIN).toISOString(),
      severity: "urgent",
      waitingSince: MONDAY_10.toISOString(),
    });

    const pushed = await dvSocket.next(breachOf(escalation.caseId));
    expect(pushed).toMatchObject({ case: { id: escalation.caseId, status: "new" }, event: { actor: null } });
    await supSocket.next(breachOf(escalation.caseId));

    expect(await t.app.slaMonitor.check(plus(17 * MIN))).not.toContain(escalation.caseId);
    expect(await t.app.slaMonitor.check(plus(60 * MIN))).not.toContain(escalation.caseId);
    expect(await breaches(escalation.caseId)).toHaveLength(1);

    // The other queue's member was not alerted.
    await new Promise((r) => setTimeout(r, 100));
    expect(childSocket.frames.some(breachOf(escalation.caseId))).toBe(false);
    for (const s of [dvSocket, childSocket, supSocket]) s.close();
  });

  it("thousands of waiting cases: the pass still runs and alerts the one past its deadline", async () => {
    const conv = await t.db.conversation.create({
      data: { id: "sla-bulk-conversation", channel: "web", purgeAfter: plus(30 * 24 * 60 * MIN) },
    });
    await t.db.case.createMany({
      data: Array.from({ length: 5000 }, (_, i) => ({
        id: `sla-bulk-${i}`,
        conversationId: conv.id,
        category: "domestic_violence",
        severity: "concern",
        queue: "fulian-dv",
        channel: "web",
        signals: "[]",
        // Old enough for the pass to read (concern: 24 h) — but transferred since, so not due.
        createdAt: plus(76 * MIN - 25 * 60 * MIN),
      })),
    });
    await t.db.caseEvent.createMany({
      data: Array.from({ length: 5000 }, (_, i) => ({
        caseId: `sla-bulk-${i}`,
        type: "transferred",
        data: "{}",
        createdAt: plus(60 * MIN),
      })),
    });
    const { escalation } = await report(URGENT_DV);
    expect(await t.app.slaMonitor.check(plus(76 * MIN))).toEqual([escalation.caseId]);
    // The console's list of a long queue too (its summaries query events per case, in slices).
    const list = await t.app.inject({ method: "GET", url: "/api/staff/cases?status=open", ...asStaff(sup) });
    expect(list.statusCode).toBe(200);
    expect((list.json() as { cases: unknown[] }).cases.length).toBeGreaterThan(999);
    await t.db.case.updateMany({ where: { id: { startsWith: "sla-bulk-" } }, data: { status: "closed" } });
  });

  it("a case claimed in time is never alerted", async () => {
    const { escalation } = await report(URGENT_DV);
    await t.app.inject({ method: "POST", url: `/api/staff/cases/${escalation.caseId}/claim`, ...asStaff(dv) });
    expect(await t.app.slaMonitor.check(plus(30 * MIN))).not.toContain(escalation.caseId);
    expect(await breaches(escalation.caseId)).toHaveLength(0);
  });

  it("a transfer restarts the clock: the new deadline alerts once more", async () => {
    const { escalation } = await report(URGENT_DV);
    await t.app.slaMonitor.check(plus(16 * MIN));
    expect(await breaches(escalation.caseId)).toHaveLength(1);
    t.clock.set(plus(20 * MIN));
    try {
      const res = await t.app.inject({
        method: "POST",
        url: `/api/staff/cases/${escalation.caseId}/transfer`,
        payload: { queue: "minor-protection", reason: "是孩子受到伤害" },
        ...asStaff(sup),
      });
      expect(res.statusCode).toBe(200);
    } finally {
      t.clock.set(MONDAY_10);
    }
    expect(await t.app.slaMonitor.check(plus(34 * MIN))).not.toContain(escalation.caseId);
    expect(await t.app.slaMonitor.check(plus(36 * MIN))).toContain(escalation.caseId);
    expect(await t.app.slaMonitor.check(plus(40 * MIN))).not.toContain(escalation.caseId);
    expect((await breaches(escalation.caseId)).map((b) => JSON.parse(b.data).deadline)).toEqual([
      plus(15 * MIN).toISOString(),
      plus(35 * MIN).toISOString(),
    ]);
  });

  it("the list marks it overdue", async () => {
    const { escalation } = await report(URGENT_DV);
    t.clock.set(plus(16 * MIN));
    try {
      const res = await t.app.inject({ method: "GET", url: "/api/staff/cases", ...asStaff(dv) });
      const c = res.json().cases.find((x: { id: string }) => x.id === escalation.caseId);
      expect(c).toMatchObject({ overdue: true, deadline: plus(15 * MIN).toISOString() });
    } finally {
      t.clock.set(MONDAY_10);
    }
  });
});
