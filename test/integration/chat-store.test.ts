/**
 * The chat hot path's SQL (src/chat/chat-store.ts) on the real database —
 * SQLite, or PostgreSQL with TEST_DATABASE_URL: a report commits all or nothing,
 * and a failed one leaves the shared connection usable; a follow-up joins an
 * open case or reopens a closed one; and a write here never lands inside a
 * transaction the Prisma client has open on the same connection.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CaseStatus } from "../../src/cases/case-types.ts";
import { createChatStore, type FollowUp, type NewMessage, type NewReport } from "../../src/chat/chat-store.ts";
import { rawSqlOf } from "../../src/db/prisma-client.ts";
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

function residentMessage(conversationId: string, text: string): NewMessage {
  const at = new Date();
  return {
    id: randomUUID(),
    conversationId,
    role: "resident",
    text,
    clientMessageId: null,
    createdAt: at,
    purgeAfter: new Date(at.getTime() + 86_400_000),
  };
}

describe("lookup: the conversation and an earlier send, in one statement", () => {
  it.each([
    { conversation: "unknown", sent: "none", expectConversation: false, expectSent: false },
    { conversation: "known", sent: "none", expectConversation: true, expectSent: false },
    { conversation: "known", sent: "in scope", expectConversation: true, expectSent: true },
    { conversation: "known", sent: "out of scope", expectConversation: true, expectSent: false },
    { conversation: "unknown", sent: "in another conversation", expectConversation: false, expectSent: true },
    { conversation: "known", sent: "unknown client id", expectConversation: true, expectSent: false },
    { conversation: "absent", sent: "any conversation", expectConversation: false, expectSent: true },
    { conversation: "absent", sent: "unknown client id", expectConversation: false, expectSent: false },
  ])("conversation $conversation, send $sent", async ({ conversation, sent, expectConversation, expectSent }) => {
    const store = createChatStore(t.db);
    const r = report(randomUUID());
    const clientMessageId = `client-${randomUUID()}`;
    r.message.clientMessageId = clientMessageId;
    await store.commitReport(r);
    const conversationId = r.kase.conversationId;
    const conversationArg =
      conversation === "known" ? conversationId : conversation === "unknown" ? `nobody-${randomUUID()}` : null;
    const sentArg =
      sent === "none"
        ? null
        : {
            clientMessageId: sent === "unknown client id" ? `client-${randomUUID()}` : clientMessageId,
            conversationIds:
              sent === "out of scope"
                ? [`other-${randomUUID()}`]
                : sent === "in another conversation"
                  ? [`nobody-${randomUUID()}`, conversationId]
                  : conversation === "absent"
                    ? null
                    : [conversationId],
          };
    const found = await store.lookup(conversationArg, sentArg);
    if (expectConversation) {
      expect(found.conversation).toMatchObject({ id: conversationId, channel: "web", area: null });
      expect(found.conversation?.latestCase).toMatchObject({ id: r.kase.id, status: "new", closedAt: null });
    } else {
      expect(found.conversation).toBeNull();
    }
    if (expectSent) {
      expect(found.sent).toEqual({
        id: r.message.id,
        conversationId,
        createdAt: r.message.createdAt,
        purgeAfter: r.message.purgeAfter,
      });
    } else {
      expect(found.sent).toBeNull();
    }
  });
});

describe("commitExchange: exchanges committed at the same moment", () => {
  function exchange(opts: { conversationId: string; create: boolean; area?: string; unanswered?: boolean }) {
    const at = new Date();
    const purgeAfter = new Date(at.getTime() + 30 * 86_400_000);
    const residentId = randomUUID();
    const c = opts.conversationId;
    return {
      conversation: opts.create
        ? { id: c, channel: "web", area: null, createdAt: at, lastMessageAt: at, purgeAfter }
        : null,
      resident: {
        id: residentId,
        conversationId: c,
        role: "resident" as const,
        text: "家长学校在哪里",
        clientMessageId: randomUUID(),
        createdAt: at,
        purgeAfter,
      },
      unanswered: opts.unanswered
        ? {
            id: randomUUID(),
            conversationId: c,
            text: "家长学校在哪里",
            reason: "no_match",
            topScore: 0.12,
            area: opts.area ?? null,
            createdAt: at,
            purgeAfter,
          }
        : null,
      bot: {
        id: randomUUID(),
        conversationId: c,
        role: "bot" as const,
        text: "答复",
        kind: "answer",
        inReplyTo: residentId,
        payload: "{}",
        createdAt: at,
        purgeAfter,
      },
      area: opts.area ?? null,
    };
  }

  it("each is stored whole — new conversations, existing ones touched, unanswered questions — and one that fails fails alone", async () => {
    const store = createChatStore(t.db);
    const existing = Array.from({ length: 4 }, () => `store-${randomUUID()}`);
    for (const id of existing) await store.commitExchange(exchange({ conversationId: id, create: true }));
    const fresh = Array.from({ length: 4 }, () => `store-${randomUUID()}`);
    const xs = [
      ...fresh.map((id, i) => exchange({ conversationId: id, create: true, unanswered: i % 2 === 0 })),
      ...existing.map((id, i) =>
        exchange({ conversationId: id, create: false, area: i === 0 ? "沁园街道" : undefined }),
      ),
    ];
    // All good: on SQLite they share one group commit (raw-sql.ts), each in its savepoint.
    await Promise.all(xs.map((x) => store.commitExchange(x)));
    // A message to a conversation that does not exist fails its foreign key: it alone.
    const orphan = exchange({ conversationId: `missing-${randomUUID()}`, create: false });
    const others = Array.from({ length: 4 }, () => exchange({ conversationId: `store-${randomUUID()}`, create: true }));
    const outcomes = await Promise.allSettled(
      [...others.slice(0, 2), orphan, ...others.slice(2)].map((x) => store.commitExchange(x)),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
    const otherIds = others.flatMap((x) => [x.resident.id, x.bot.id]);
    expect(await t.db.message.count({ where: { id: { in: otherIds } } })).toBe(otherIds.length);

    const ids = xs.flatMap((x) => [x.resident.id, x.bot.id]);
    expect(await t.db.message.count({ where: { id: { in: ids } } })).toBe(ids.length);
    expect(await t.db.message.count({ where: { conversationId: orphan.bot.conversationId } })).toBe(0);
    expect(await t.db.conversation.count({ where: { id: { in: fresh } } })).toBe(fresh.length);
    const unanswered = xs.flatMap((x) => (x.unanswered ? [x.unanswered.id] : []));
    expect(await t.db.unansweredQuestion.count({ where: { id: { in: unanswered } } })).toBe(2);
    const touched = await t.db.conversation.findMany({ where: { id: { in: existing } }, orderBy: { id: "asc" } });
    for (const c of touched) {
      const x = xs.find((e) => e.bot.conversationId === c.id);
      expect(c.lastMessageAt.getTime()).toBe(x?.bot.createdAt.getTime());
      expect(c.area).toBe(x?.area ?? null);
    }
    const bot = await t.db.message.findUnique({ where: { id: xs[0]?.bot.id } });
    expect(bot).toMatchObject({ role: "bot", kind: "answer", payload: "{}", inReplyTo: xs[0]?.resident.id });
    expect(bot?.purgeAfter.getTime()).toBe(xs[0]?.bot.purgeAfter.getTime());
  });
});

/** A follow-up whose reply says which case status the commit handed it. */
function followUp(
  message: NewMessage,
  caseId: string,
  routing: FollowUp["routing"],
  severity: FollowUp["severity"],
  signals: string[] = [],
  area: string | null = null,
) {
  const replyId = randomUUID();
  const statuses: CaseStatus[] = [];
  const input: FollowUp = {
    conversation: null,
    message,
    caseId,
    routing,
    severity,
    signals,
    area,
    reply: (status) => {
      statuses.push(status);
      return {
        id: replyId,
        conversationId: message.conversationId,
        role: "bot",
        text: `reply while ${status}`,
        kind: "urgent",
        inReplyTo: message.id,
        payload: "{}",
        createdAt: message.createdAt,
        purgeAfter: message.purgeAfter,
      };
    },
  };
  return { input, replyId, statuses };
}

describe("commitFollowUp", () => {
  it("attach: an open case gets the message, the raised severity and a resident_message event; its status stays", async () => {
    const store = createChatStore(t.db);
    const r = report(randomUUID());
    await store.commitReport(r);
    await t.db.case.update({ where: { id: r.kase.id }, data: { status: "claimed", claimedBy: "someone" } });
    const message = residentMessage(r.kase.conversationId, "他拿刀了");
    const f = followUp(message, r.kase.id, "attach", "immediate", ["weapon"], "五龙口镇");
    const done = await store.commitFollowUp(f.input);
    expect(done).toMatchObject({ type: "resident_message", status: "claimed" });
    // The reply was made from the status the commit found, and stored with the message.
    expect(f.statuses).toEqual(["claimed"]);
    expect(await t.db.message.findUnique({ where: { id: f.replyId } })).toMatchObject({
      role: "bot",
      text: "reply while claimed",
      inReplyTo: message.id,
    });
    const conversation = await t.db.conversation.findUnique({ where: { id: r.kase.conversationId } });
    expect(conversation?.lastMessageAt.getTime()).toBe(message.createdAt.getTime());
    expect(conversation?.area).toBe("五龙口镇");
    const event = await t.db.caseEvent.findUnique({ where: { id: done.seq } });
    expect(event).toMatchObject({ caseId: r.kase.id, type: "resident_message" });
    expect(JSON.parse(event?.data ?? "{}")).toEqual({
      messageId: message.id,
      signals: ["weapon"],
      severity: "immediate",
    });
    expect(await t.db.case.findUnique({ where: { id: r.kase.id } })).toMatchObject({
      severity: "immediate",
      status: "claimed",
      claimedBy: "someone",
    });
    expect(await t.db.message.count({ where: { id: message.id } })).toBe(1);
  });

  it("attach to a case staff closed a moment ago: the case reopens, unclaimed, and the event carries the previous outcome", async () => {
    const store = createChatStore(t.db);
    const r = report(randomUUID());
    await store.commitReport(r);
    await t.db.case.update({
      where: { id: r.kase.id },
      data: { status: "closed", closedAt: new Date(), closedBy: "someone", outcome: "referred", claimedBy: "someone" },
    });
    await t.db.caseEvent.create({
      data: { caseId: r.kase.id, type: "closed", data: JSON.stringify({ outcome: "referred" }) },
    });
    const message = residentMessage(r.kase.conversationId, "他又回来了");
    const f = followUp(message, r.kase.id, "attach", "urgent");
    const done = await store.commitFollowUp(f.input);
    expect(done).toMatchObject({ type: "reopened", status: "new" });
    expect(f.statuses).toEqual(["new"]);
    expect(await t.db.message.count({ where: { id: { in: [message.id, f.replyId] } } })).toBe(2);
    const event = await t.db.caseEvent.findUnique({ where: { id: done.seq } });
    expect(JSON.parse(event?.data ?? "{}")).toMatchObject({ messageId: message.id, previousOutcome: "referred" });
    expect(await t.db.case.findUnique({ where: { id: r.kase.id } })).toMatchObject({
      status: "new",
      claimedBy: null,
      closedAt: null,
      outcome: null,
    });
  });

  it("reopen of a case someone else already reopened: the message joins it as it is", async () => {
    const store = createChatStore(t.db);
    const r = report(randomUUID());
    await store.commitReport(r);
    await t.db.case.update({ where: { id: r.kase.id }, data: { status: "claimed", claimedBy: "someone" } });
    const f = followUp(residentMessage(r.kase.conversationId, "谢谢"), r.kase.id, "reopen", "urgent");
    const done = await store.commitFollowUp(f.input);
    expect(done).toMatchObject({ type: "resident_message", status: "claimed" });
    expect(f.statuses).toEqual(["claimed"]);
    expect(await t.db.message.count({ where: { id: f.replyId } })).toBe(1);
  });

  it("all or nothing: a follow-up to a case that does not exist stores no message", async () => {
    const store = createChatStore(t.db);
    const r = report(randomUUID());
    await store.commitReport(r);
    const message = residentMessage(r.kase.conversationId, "还在吗");
    const f = followUp(message, randomUUID(), "reopen", "urgent");
    await expect(store.commitFollowUp(f.input)).rejects.toThrow();
    expect(await t.db.message.count({ where: { id: { in: [message.id, f.replyId] } } })).toBe(0);
  });
});

describe.skipIf(inject("pgAdminUrl") === "")(
  "commitFollowUp on PostgreSQL: the case row stays locked until the commit",
  () => {
    it("a follow-up joining a case someone else reopened holds its row: staff cannot close it under the message", async () => {
      const store = createChatStore(t.db);
      const r = report(randomUUID());
      await store.commitReport(r);
      // The lookup saw the case closed (routing "reopen"); another message has reopened it since.
      await t.db.case.update({ where: { id: r.kase.id }, data: { status: "new" } });
      const [current] = await t.db.$queryRawUnsafe<{ name: string }[]>(`SELECT current_database()::text AS "name"`);
      const name = current?.name ?? "";
      const url = new URL(inject("pgAdminUrl"));
      url.pathname = `/${name}`;
      const holder = new pg.Client({ connectionString: url.toString() });
      const staff = new pg.Client({ connectionString: url.toString() });
      await holder.connect();
      await staff.connect();
      try {
        // Another write holds the conversation's row: the follow-up waits there, after joining the case.
        await holder.query("BEGIN");
        await holder.query(`UPDATE "Conversation" SET "lastMessageAt" = now() WHERE "id" = $1`, [
          r.kase.conversationId,
        ]);
        const f = followUp(residentMessage(r.kase.conversationId, "他又来了"), r.kase.id, "reopen", "urgent");
        const pending = store.commitFollowUp(f.input);
        await expect
          .poll(async () => {
            const rows = await staff.query(
              `SELECT count(*)::int AS "n" FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
              [name],
            );
            return rows.rows[0].n;
          })
          .toBe(1);
        // Staff closing the case now wait for the follow-up's commit (here: give up after 200 ms).
        await staff.query(`SET lock_timeout = '200ms'`);
        await expect(
          staff.query(`UPDATE "Case" SET "status" = 'closed' WHERE "id" = $1`, [r.kase.id]),
        ).rejects.toMatchObject({ code: "55P03" });
        await holder.query("COMMIT");
        expect(await pending).toMatchObject({ type: "resident_message", status: "new" });
        expect(f.statuses).toEqual(["new"]);
        expect((await t.db.case.findUnique({ where: { id: r.kase.id } }))?.status).toBe("new");
      } finally {
        await holder.end();
        await staff.end();
      }
    });
  },
);

describe("the client's transactions", () => {
  it("a question and answer committed while a client transaction is open survive that transaction's rollback", async () => {
    const store = createChatStore(t.db);
    const r = report(randomUUID());
    await store.commitReport(r);
    const question = residentMessage(r.kase.conversationId, "家长学校在哪里");
    const answer: NewMessage = {
      ...residentMessage(r.kase.conversationId, "在……"),
      role: "bot",
      inReplyTo: question.id,
    };
    let committed: Promise<void> | undefined;
    await expect(
      t.db.$transaction(async (tx) => {
        await tx.staffUser.count();
        // Another request's question arrives while this transaction is open on the shared connection.
        committed = store.commitExchange({
          conversation: null,
          resident: question,
          unanswered: null,
          bot: answer,
          area: null,
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error("rolled back on purpose");
      }),
    ).rejects.toThrow("rolled back on purpose");
    await committed;
    expect(await t.db.message.count({ where: { id: { in: [question.id, answer.id] } } })).toBe(2);
  });

  it("a report committed while a client transaction is open survives that transaction's rollback", async () => {
    const store = createChatStore(t.db);
    const r = report(randomUUID());
    let committed: Promise<number> | undefined;
    await expect(
      t.db.$transaction(async (tx) => {
        await tx.staffUser.count();
        // Another request's report arrives while this transaction is open on the shared connection.
        committed = store.commitReport(r);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error("rolled back on purpose");
      }),
    ).rejects.toThrow("rolled back on purpose");
    const seq = await committed;
    expect(await t.db.caseEvent.findUnique({ where: { id: seq } })).toMatchObject({ caseId: r.kase.id });
    expect(await t.db.case.count({ where: { id: r.kase.id } })).toBe(1);
  });
});

describe("transactions that become ready together (group commit on SQLite)", () => {
  it("each is all or nothing: one that fails leaves the others committed, and each caller hears its own outcome", async () => {
    const store = createChatStore(t.db);
    const first = report(randomUUID());
    await store.commitReport(first);
    const good = Array.from({ length: 5 }, () => report(randomUUID()));
    const clash = report(first.kase.id); // its case insert fails after its message insert
    const settled = await Promise.allSettled([
      ...good.slice(0, 2).map((r) => store.commitReport(r)),
      store.commitReport(clash),
      ...good.slice(2).map((r) => store.commitReport(r)),
    ]);
    expect(settled.map((s) => s.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    const seqs = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    expect(new Set(seqs).size).toBe(5);
    for (const r of good) expect(await t.db.case.count({ where: { id: r.kase.id } })).toBe(1);
    expect(await t.db.message.count({ where: { id: clash.message.id } })).toBe(0);
    expect(await t.db.conversation.count({ where: { id: clash.kase.conversationId } })).toBe(0);
  });
});

describe.skipIf(inject("pgAdminUrl") !== "")("the write gate (SQLite: closed while a WAL RESTART runs)", () => {
  it("holds a transaction back until it opens, and the event loop runs meanwhile", async () => {
    const store = createChatStore(t.db);
    let open: () => void = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    let inside = 0;
    rawSqlOf(t.db).setWriteGate({
      enter: async () => {
        await opened;
        inside++;
      },
      leave: () => {
        inside--;
      },
    });
    try {
      const r = report(randomUUID());
      let committed = false;
      const commit = store.commitReport(r).then(() => (committed = true));
      // Timers still fire while the commit waits: the wait is not a sleep on the event loop.
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(committed).toBe(false);
      open();
      await commit;
      expect(inside).toBe(0); // it left after its commit
      expect(await t.db.case.count({ where: { id: r.kase.id } })).toBe(1);
    } finally {
      rawSqlOf(t.db).setWriteGate(null);
    }
  });
});
