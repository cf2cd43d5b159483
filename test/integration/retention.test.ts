import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMISED_TEXT, runRetention } from "../../src/cases/retention-job.ts";
import {
  asStaff,
  buildCasesTestApp,
  type CasesTestApp,
  createStaffAndLogin,
  type StaffLogin,
} from "../helpers/staff-helpers.ts";

const bj = (text: string) => new Date(`${text}+08:00`);
const MONDAY_10 = bj("2026-11-30T10:00:00");
const DAY = 86_400_000;
const days = (n: number) => new Date(MONDAY_10.getTime() + n * DAY);

const REPORT = "我叫李金凤，电话13800138123，他昨天又打我了 我好怕";

let t: CasesTestApp;
let dv: StaffLogin;

beforeAll(async () => {
  t = await buildCasesTestApp({ start: MONDAY_10 });
  dv = await createStaffAndLogin(t, { queues: ["fulian-dv"] });
});
afterAll(async () => t.close());

const retention = () => ({
  db: t.db,
  caseRetentionDays: 180,
  purgeSessions: () => t.app.staffService.purgeSessions(),
});

/** A reported, answered and closed case on a WeChat conversation with a contact on file. */
async function closedCase(opts: { close?: boolean } = {}) {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/chat",
    payload: { text: REPORT, channel: "wechat", area: "沁园街道" },
  });
  const { conversationId, escalation } = res.json() as { conversationId: string; escalation: { caseId: string } };
  await t.db.conversation.update({
    where: { id: conversationId },
    // Each resident has their own contact ref (the column is unique).
    data: { externalRef: `hmac-of-wxid-${conversationId}`, contactCipher: "aes-gcm-ciphertext" },
  });
  const id = escalation.caseId;
  const post = (path: string, payload: Record<string, unknown> = {}) =>
    t.app.inject({ method: "POST", url: `/api/staff/cases/${id}/${path}`, payload, ...asStaff(dv) });
  await post("claim");
  await post("reply", { text: "李金凤你好，我们会打13800138123联系你。" });
  await post("notes", { text: "当事人李金凤，住沁园街道某小区" });
  if (opts.close !== false) await post("close", { outcome: "referred_service", note: "已转介李金凤到法律援助" });
  return { conversationId, caseId: id };
}

describe("closed cases are anonymised after CASE_RETENTION_DAYS (default 180)", () => {
  it("message texts, contact data, area and staff free text go; category, severity, timestamps and outcome stay", async () => {
    const { conversationId, caseId } = await closedCase();
    const before = await t.db.case.findUniqueOrThrow({ where: { id: caseId } });

    const early = await runRetention(retention(), days(179));
    expect(early.anonymisedCases).toBe(0);
    expect((await t.db.message.findFirst({ where: { conversationId, role: "resident" } }))?.text).toBe(REPORT);

    const report = await runRetention(retention(), days(181));
    expect(report.anonymisedCases).toBeGreaterThanOrEqual(1);

    const messages = await t.db.message.findMany({ where: { conversationId } });
    expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(new Set(messages.map((m) => m.text))).toEqual(new Set([ANONYMISED_TEXT]));
    expect(await t.db.conversation.findUnique({ where: { id: conversationId } })).toMatchObject({
      externalRef: null,
      contactCipher: null,
      area: null,
    });
    const outbound = await t.db.outboundMessage.findMany({ where: { conversationId } });
    expect(outbound.length).toBe(1);
    expect(outbound[0]).toMatchObject({ text: ANONYMISED_TEXT, status: "failed" });

    const after = await t.db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(after).toMatchObject({
      category: before.category,
      severity: before.severity,
      queue: before.queue,
      channel: "wechat",
      status: "closed",
      outcome: "referred_service",
      createdAt: before.createdAt,
      claimedAt: before.claimedAt,
      firstStaffReplyAt: before.firstStaffReplyAt,
      closedAt: before.closedAt,
      area: null,
    });
    const events = await t.db.caseEvent.findMany({ where: { caseId }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.type)).toEqual(["created", "claimed", "replied", "noted", "closed", "anonymised"]);
    const everything = JSON.stringify({ messages, events, outbound, after });
    for (const secret of ["李金凤", "13800138123", "沁园街道", "hmac-of-wxid", "aes-gcm-ciphertext"]) {
      expect(everything).not.toContain(secret);
    }
    expect(JSON.parse(events[4]?.data ?? "{}")).toEqual({ outcome: "referred_service", note: ANONYMISED_TEXT });

    const again = await runRetention(retention(), days(182));
    expect(again.anonymisedCases).toBe(0);
  });

  it("a conversation whose other case is still open is left alone", async () => {
    const { conversationId, caseId } = await closedCase();
    // The resident wrote again 8 days later: a new case on the same conversation, still open.
    t.clock.set(days(8));
    try {
      const res = await t.app.inject({
        method: "POST",
        url: "/api/chat",
        payload: { text: "他昨天又打我了 我好怕", conversationId },
      });
      expect(res.json().escalation.caseId).not.toBe(caseId);
    } finally {
      t.clock.set(MONDAY_10);
    }
    await runRetention(retention(), days(200));
    expect((await t.db.message.findFirst({ where: { conversationId, role: "resident" } }))?.text).toBe(REPORT);
    expect(await t.db.caseEvent.count({ where: { caseId, type: "anonymised" } })).toBe(0);
  });

  it("an open case is never anonymised, however old", async () => {
    const { conversationId } = await closedCase({ close: false });
    await runRetention(retention(), days(1000));
    expect((await t.db.message.findFirst({ where: { conversationId, role: "resident" } }))?.text).toBe(REPORT);
  });
});

describe("what has no case is purged after its purgeAfter", () => {
  it("a conversation without a case goes, with its messages; one with a case stays", async () => {
    const res = await t.app.inject({ method: "POST", url: "/api/chat", payload: { text: "家长学校在哪" } });
    const { conversationId } = res.json() as { conversationId: string };
    const purgeAfter = (await t.db.conversation.findUniqueOrThrow({ where: { id: conversationId } })).purgeAfter;
    const withCase = await closedCase({ close: false });

    await runRetention(retention(), new Date(purgeAfter.getTime() - 1000));
    expect(await t.db.conversation.count({ where: { id: conversationId } })).toBe(1);

    const report = await runRetention(retention(), new Date(purgeAfter.getTime() + 1000));
    expect(report.purgedConversations).toBeGreaterThanOrEqual(1);
    expect(await t.db.conversation.count({ where: { id: conversationId } })).toBe(0);
    expect(await t.db.message.count({ where: { conversationId } })).toBe(0);
    expect(await t.db.conversation.count({ where: { id: withCase.conversationId } })).toBe(1);
  });

  it("unanswered questions past their purgeAfter go; newer ones stay", async () => {
    const old = randomUUID();
    const fresh = randomUUID();
    await t.db.unansweredQuestion.createMany({
      data: [
        { id: old, text: "济源明天下雨吗", reason: "unknown", createdAt: MONDAY_10, purgeAfter: days(30) },
        { id: fresh, text: "济源后天下雨吗", reason: "unknown", createdAt: MONDAY_10, purgeAfter: days(90) },
      ],
    });
    await runRetention(retention(), days(31));
    expect(await t.db.unansweredQuestion.count({ where: { id: old } })).toBe(0);
    expect(await t.db.unansweredQuestion.count({ where: { id: fresh } })).toBe(1);
  });

  it("expired and revoked staff sessions go", async () => {
    const user = await t.db.staffUser.findFirstOrThrow();
    await t.db.staffSession.createMany({
      data: [
        {
          id: "expired-session",
          userId: user.id,
          csrfToken: "x",
          createdAt: days(-2),
          lastSeenAt: days(-2),
          expiresAt: days(-1),
        },
        {
          id: "revoked-session",
          userId: user.id,
          csrfToken: "x",
          createdAt: MONDAY_10,
          lastSeenAt: MONDAY_10,
          expiresAt: days(1),
          revokedAt: MONDAY_10,
        },
      ],
    });
    const report = await runRetention(retention(), MONDAY_10);
    expect(report.purgedSessions).toBeGreaterThanOrEqual(2);
    expect(await t.db.staffSession.count({ where: { id: { in: ["expired-session", "revoked-session"] } } })).toBe(0);
  });

  it("the hourly job runs the same pass through app.retention", async () => {
    const report = await t.app.retention.runNow(days(400));
    expect(report).toMatchObject({ purgedQuestions: expect.any(Number), anonymisedCases: expect.any(Number) });
  });
});
