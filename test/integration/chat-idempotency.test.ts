import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/test-app.ts";

/** Idempotent intake (src/chat/chat-idempotency.ts), on SQLite and on PostgreSQL (TEST_DATABASE_URL). */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: "10000" });
});
afterAll(async () => t.close());

const REPORT = "他昨天又打我了 我好怕";
const cmid = () => randomBytes(12).toString("base64url"); // 16 characters

async function chat(payload: Record<string, unknown>) {
  const res = await t.app.inject({ method: "POST", url: "/api/chat", payload });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> & { conversationId: string } };
}

async function countsFor(clientMessageId: string) {
  const messages = await t.db.message.findMany({ where: { clientMessageId }, select: { conversationId: true } });
  const conversations = [...new Set(messages.map((m) => m.conversationId))];
  const cases = await t.db.case.count({ where: { conversationId: { in: conversations } } });
  return { messages: messages.length, conversations: conversations.length, cases };
}

describe("a resend with the same clientMessageId stores nothing twice", () => {
  it("the FIRST message of a conversation (no conversationId yet), resent: same reply, one case", async () => {
    const id = cmid();
    const a = await chat({ text: REPORT, clientMessageId: id });
    const b = await chat({ text: REPORT, clientMessageId: id });
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(a.body.kind).toBe("urgent");
    expect(await countsFor(id)).toEqual({ messages: 1, conversations: 1, cases: 1 });
  });

  it("eight identical first sends at once: all answered alike, one message, one case, no 500", async () => {
    const id = cmid();
    const results = await Promise.all(Array.from({ length: 8 }, () => chat({ text: REPORT, clientMessageId: id })));
    for (const r of results) expect(r.status).toBe(200);
    const caseIds = new Set(results.map((r) => (r.body.escalation as { caseId: string }).caseId));
    expect(caseIds.size).toBe(1);
    expect(new Set(results.map((r) => r.body.conversationId)).size).toBe(1);
    expect(await countsFor(id)).toEqual({ messages: 1, conversations: 1, cases: 1 });
  });

  it("identical sends at once in an existing conversation (a question): one message", async () => {
    const first = await chat({ text: "家长学校在哪里", clientMessageId: cmid() });
    const id = cmid();
    const payload = { text: "儿童之家有哪些活动", conversationId: first.body.conversationId, clientMessageId: id };
    const results = await Promise.all(Array.from({ length: 6 }, () => chat(payload)));
    for (const r of results) expect(r.status).toBe(200);
    expect(new Set(results.map((r) => r.body.reply)).size).toBe(1);
    expect(await countsFor(id)).toEqual({ messages: 1, conversations: 1, cases: 0 });
  });

  it("a report whose case was committed but whose reply was lost (crash) gets its reply on the retry, no second case", async () => {
    const id = cmid();
    const a = await chat({ text: REPORT, clientMessageId: id });
    const resident = await t.db.message.findFirstOrThrow({ where: { clientMessageId: id } });
    await t.db.message.deleteMany({ where: { inReplyTo: resident.id } });
    const b = await chat({ text: REPORT, clientMessageId: id });
    expect(b.status).toBe(200);
    expect(b.body.conversationId).toBe(a.body.conversationId);
    expect(b.body.escalation).toEqual(a.body.escalation);
    expect(b.body.kind).toBe("urgent");
    expect(await countsFor(id)).toEqual({ messages: 1, conversations: 1, cases: 1 });
  });

  it("a report sent in a conversation, resent without its conversationId: same reply, one message, one case", async () => {
    const first = await chat({ text: "家长学校在哪里" });
    const id = cmid();
    const a = await chat({ text: REPORT, clientMessageId: id, conversationId: first.body.conversationId });
    const b = await chat({ text: REPORT, clientMessageId: id });
    expect(a.body.kind).toBe("urgent");
    expect(b.body).toEqual(a.body);
    expect(await countsFor(id)).toEqual({ messages: 1, conversations: 1, cases: 1 });
  });

  it("a short clientMessageId without a conversation is not trusted across conversations", async () => {
    const a = await chat({ text: "家长学校在哪里", clientMessageId: "m1" });
    const b = await chat({ text: "家长学校在哪里", clientMessageId: "m1" });
    expect(a.body.conversationId).not.toBe(b.body.conversationId);
  });
});
