/**
 * The chat hot path's SQL (src/chat/chat-store.ts) on the real database —
 * SQLite, or PostgreSQL with TEST_DATABASE_URL: a report commits all or nothing,
 * and a failed one leaves the shared connection usable.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatStore, type NewReport } from "../../src/chat/chat-store.ts";
import { buildTestApp, type TestApp } from "../helpers/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

function report(caseId: string): NewReport {
  const at = new Date();
  const purgeAfter = new Date(at.getTime() + 86_400_000);
  const conversationId = `store-${randomUUID()}`;
  const messageId = randomUUID();
  return {
    conversation: { id: conversationId, channel: "web", area: null, createdAt: at, lastMessageAt: at, purgeAfter },
    message: { id: messageId, conversationId, role: "resident", text: "他又打我了", createdAt: at, purgeAfter },
    reply: {
      id: randomUUID(),
      conversationId,
      role: "bot",
      text: "如果你现在有危险，请马上拨打110报警。",
      kind: "urgent",
      inReplyTo: messageId,
      payload: "{}",
      createdAt: at,
      purgeAfter,
    },
    area: null,
    kase: {
      id: caseId,
      conversationId,
      category: "domestic_violence",
      severity: "urgent",
      queue: "fulian-dv",
      channel: "web",
      area: null,
      signals: "[]",
      source: "chat",
      createdAt: at,
    },
    eventData: JSON.stringify({ messageId }),
  };
}

describe("commitReport", () => {
  it("stores conversation, message, case and its created event, and returns the event's seq", async () => {
    const store = createChatStore(t.db);
    const r = report(randomUUID());
    const seq = await store.commitReport(r);
    const event = await t.db.caseEvent.findUnique({ where: { id: seq } });
    expect(event).toMatchObject({ caseId: r.kase.id, type: "created" });
    const kase = await t.db.case.findUnique({ where: { id: r.kase.id } });
    expect(kase).toMatchObject({ status: "new", queue: "fulian-dv", conversationId: r.kase.conversationId });
    expect(kase?.createdAt.getTime()).toBe(r.kase.createdAt.getTime());
    expect(await t.db.message.count({ where: { id: r.message.id } })).toBe(1);
    expect(await t.db.message.findUnique({ where: { id: r.reply.id } })).toMatchObject({
      role: "bot",
      inReplyTo: r.message.id,
    });
  });

  it("all or nothing: a report whose case cannot be stored leaves no conversation or message, and the connection works on", async () => {
    const store = createChatStore(t.db);
    const first = report(randomUUID());
    await store.commitReport(first);
    const clash = report(first.kase.id); // the same case id: the case insert fails after the message insert
    await expect(store.commitReport(clash)).rejects.toThrow();
    expect(await t.db.conversation.count({ where: { id: clash.kase.conversationId } })).toBe(0);
    expect(await t.db.message.count({ where: { id: { in: [clash.message.id, clash.reply.id] } } })).toBe(0);
    // No transaction was left open on the shared connection: the client's own transactions still run.
    const next = report(randomUUID());
    await store.commitReport(next);
    await t.db.$transaction(async (tx) => {
      await tx.caseEvent.create({ data: { caseId: next.kase.id, type: "noted", data: "{}" } });
    });
    expect(await t.db.caseEvent.count({ where: { caseId: next.kase.id } })).toBe(2);
  });
});
