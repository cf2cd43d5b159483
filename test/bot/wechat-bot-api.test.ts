/** The bot API (/api/bot/wechat/*) that a bot on another machine uses, and the store behind it. */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBotApiServer, chatServiceFor } from "../../bots/wechat/dev/harness.ts";
import { clientMessageIdFor } from "../../bots/wechat/message-fns.ts";
import { contactRefOf, deriveContactKeys, encryptContact } from "../../src/channels/wechat/contact-crypto-fns.ts";
import { wechatChannel } from "../../src/channels/wechat/wechat-plugin.ts";
import { createWechatStore, MAX_OUTBOUND_ATTEMPTS } from "../../src/channels/wechat/wechat-store.ts";
import type { ChatService } from "../../src/chat/chat-service.ts";
import { buildTestApp, sharedKnowledge, type TestApp } from "../helpers/test-app.ts";

const TOKEN = "test-bot-api-token-api-0123456789abcdefgh";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const keys = deriveContactKeys("test-wechat-id-secret-api-0123456789abc");

let t: TestApp;
let chat: ChatService;
let api: FastifyInstance;
const logLines: string[] = [];

/** The app itself once app.ts mounts the channel with a token; until then a server with only the channel. */
beforeAll(async () => {
  t = await buildTestApp({ BOT_API_TOKEN: TOKEN });
  chat = chatServiceFor(t.db, sharedKnowledge());
  api = t.app.hasRoute({ method: "POST", url: "/api/bot/wechat/messages" })
    ? t.app
    : await buildBotApiServer({ db: t.db, chat, token: TOKEN, logLines });
});
afterAll(async () => {
  if (api !== t.app) await api?.close();
  await t?.close();
});

function resident(contactId = `wxid_${randomUUID()}`) {
  const contactRef = contactRefOf(keys, contactId);
  return {
    contactId,
    contactRef,
    message: (text: string, messageId = randomUUID()) => ({
      contactRef,
      contactCipher: encryptContact(keys, contactId),
      text,
      clientMessageId: clientMessageIdFor(contactRef, messageId),
      isGroup: false,
    }),
  };
}

async function post(payload: unknown, headers: Record<string, string> = AUTH) {
  return api.inject({ method: "POST", url: "/api/bot/wechat/messages", payload: payload as object, headers });
}

describe("authentication", () => {
  const routes = [
    { method: "POST" as const, url: "/api/bot/wechat/messages", payload: {} },
    { method: "GET" as const, url: "/api/bot/wechat/outbound?botId=b1" },
    { method: "POST" as const, url: "/api/bot/wechat/outbound/x/sent" },
    {
      method: "POST" as const,
      url: "/api/bot/wechat/outbound/x/failed",
      payload: { error: "x", retryAfterSeconds: 1 },
    },
  ];
  it.each(
    routes.flatMap((r) => [
      { ...r, headers: {} as Record<string, string>, label: "no token" },
      { ...r, headers: { authorization: `Bearer ${TOKEN}x` }, label: "wrong token" },
      { ...r, headers: { authorization: TOKEN }, label: "no Bearer scheme" },
    ]),
  )("$method $url with $label → 401", async ({ method, url, payload, headers }) => {
    const res = await api.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: "ERR_BOT_UNAUTHORIZED" });
    expect(res.headers["www-authenticate"]).toContain("Bearer");
  });

  it("without BOT_API_TOKEN the routes do not exist, and a short token is refused at start", async () => {
    const bare = await buildBotApiServerWithout();
    const res = await bare.inject({ method: "POST", url: "/api/bot/wechat/messages", payload: {}, headers: AUTH });
    expect(res.statusCode).toBe(404);
    expect(bare.hasDecorator("wechatStore")).toBe(true);
    await bare.close();
    await expect(buildBotApiServer({ db: t.db, chat, token: "short" })).rejects.toThrow(/BOT_API_TOKEN/);
  });
});

async function buildBotApiServerWithout() {
  const { default: Fastify } = await import("fastify");
  const app = Fastify();
  await app.register(wechatChannel, { db: t.db, chat });
  await app.ready();
  return app;
}

describe("POST /api/bot/wechat/messages", () => {
  it("answers with the chat response and keys the conversation by the contact ref", async () => {
    const r = resident();
    const res = await post(r.message("孕产妇死亡率的目标是多少"));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ kind: "answer", escalation: null });
    expect(body.reply).toContain("9.5/10万");
    const conversation = await t.db.conversation.findUnique({ where: { id: body.conversationId } });
    expect(conversation).toMatchObject({ channel: "wechat", externalRef: r.contactRef });
    expect(conversation?.contactCipher).toMatch(/^v1\./);

    const next = (await post(r.message("妇女维权热线是多少"))).json();
    expect(next.conversationId).toBe(body.conversationId);
  });

  it("a retry with the same clientMessageId gets the same reply and stores nothing twice", async () => {
    const r = resident();
    const message = r.message("他昨天又打我了 我好怕");
    const a = (await post(message)).json();
    const b = (await post({ ...message, contactCipher: encryptContact(keys, r.contactId) })).json();
    expect(b).toEqual(a);
    expect(a.kind).toBe("urgent");
    expect(await t.db.case.count({ where: { conversationId: a.conversationId } })).toBe(1);
    expect(await t.db.message.count({ where: { conversationId: a.conversationId, role: "resident" } })).toBe(1);
  });

  it("an urgent message commits the case before the reply", async () => {
    const body = (await post(resident().message("我老公正在打我，他拿着刀，快来人"))).json();
    expect(body.kind).toBe("urgent");
    expect(body.reply.split("\n")[0]).toContain("110");
    const row = await t.db.case.findUnique({ where: { id: body.escalation.caseId } });
    expect(row).toMatchObject({ channel: "wechat", status: "new", category: "domestic_violence" });
  });

  it("adopts the conversation a failed first attempt left without its contact ref", async () => {
    const r = resident();
    const message = r.message("你好");
    // As if the service died between the chat reply and labelling the conversation.
    const first = await chat.handle({
      text: message.text,
      channel: "wechat",
      clientMessageId: message.clientMessageId,
    });
    const retried = (await post(message)).json();
    expect(retried.conversationId).toBe(first.conversationId);
    expect(await t.db.conversation.count({ where: { externalRef: r.contactRef } })).toBe(1);
  });

  it.each([
    [{ contactRef: "wxid_plain" }, "ERR_VALIDATION"],
    [{ contactCipher: "wxid_plain" }, "ERR_VALIDATION"],
    [{ clientMessageId: "has spaces" }, "ERR_VALIDATION"],
    [{ text: "   " }, "ERR_TEXT_EMPTY"],
    [{ text: "字".repeat(2001) }, "ERR_TEXT_TOO_LONG"],
    [{ extra: 1 }, "ERR_VALIDATION"],
  ])("refuses %o with %s", async (override, code) => {
    const res = await post({ ...resident().message("你好"), ...override });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe(code);
  });
});

describe("outbound lease and acknowledgement", () => {
  async function conversationWithContact() {
    const r = resident();
    const { conversationId } = (await post(r.message("你好"))).json();
    return { ...r, conversationId: conversationId as string };
  }
  async function pending(conversationId: string, n: number) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      ids.push(id);
      await t.db.outboundMessage.create({
        data: { id, conversationId, channel: "wechat", text: `回复${i}`, createdAt: new Date(Date.now() + i) },
      });
    }
    return ids;
  }
  const lease = async (botId: string, limit: number) =>
    (
      await api.inject({ method: "GET", url: `/api/bot/wechat/outbound?botId=${botId}&limit=${limit}`, headers: AUTH })
    ).json().items as Array<{ id: string; contactRef: string; contactCipher: string; attempts: number }>;

  it("leases each pending row to one bot, oldest first, and marks it sent idempotently", async () => {
    await t.db.outboundMessage.updateMany({ where: { status: "pending" }, data: { status: "sent" } });
    const c = await conversationWithContact();
    const ids = await pending(c.conversationId, 3);
    const first = await lease("bot-a", 2);
    expect(first.map((i) => i.id)).toEqual(ids.slice(0, 2));
    expect(first[0]).toMatchObject({ contactRef: c.contactRef, attempts: 1 });
    const second = await lease("bot-b", 5);
    expect(second.map((i) => i.id)).toEqual(ids.slice(2));
    expect(await lease("bot-c", 5)).toEqual([]);

    const id = ids[0] as string;
    for (let i = 0; i < 2; i++) {
      const res = await api.inject({ method: "POST", url: `/api/bot/wechat/outbound/${id}/sent`, headers: AUTH });
      expect(res.statusCode).toBe(200);
    }
    expect(await t.db.outboundMessage.findUnique({ where: { id } })).toMatchObject({ status: "sent", leasedBy: null });
    const missing = await api.inject({ method: "POST", url: "/api/bot/wechat/outbound/nope/sent", headers: AUTH });
    expect(missing.statusCode).toBe(404);
  });

  it("a failure puts the row back with its backoff; giveUp marks it failed; error must be a kind", async () => {
    const c = await conversationWithContact();
    const [a, b] = await pending(c.conversationId, 2);
    await lease("bot-a", 10);
    const fail = (id: string | undefined, payload: object) =>
      api.inject({ method: "POST", url: `/api/bot/wechat/outbound/${id}/failed`, headers: AUTH, payload });
    expect((await fail(a, { error: "send_failed", retryAfterSeconds: 0 })).statusCode).toBe(200);
    expect((await fail(b, { error: "contact_unreadable", retryAfterSeconds: 0, giveUp: true })).statusCode).toBe(200);
    expect((await fail(a, { error: "他打我", retryAfterSeconds: 0 })).statusCode).toBe(400);
    const again = await lease("bot-b", 10);
    expect(again.map((i) => i.id)).toEqual([a]);
    expect(again[0]?.attempts).toBe(2);
    expect(await t.db.outboundMessage.findUnique({ where: { id: b as string } })).toMatchObject({
      status: "failed",
      lastError: "contact_unreadable",
    });
  });

  it("an expired lease is taken again; rows that cannot be delivered are marked failed", async () => {
    let now = new Date("2030-01-01T00:00:00Z");
    const store = createWechatStore({ db: t.db, chat, now: () => now });
    await t.db.outboundMessage.updateMany({ where: { status: "pending" }, data: { status: "sent" } });
    const c = await conversationWithContact();
    const [id] = await pending(c.conversationId, 1);
    expect(await store.leaseOutbound({ botId: "a", limit: 5, leaseMs: 60_000 })).toHaveLength(1);
    now = new Date(now.getTime() + 30_000);
    expect(await store.leaseOutbound({ botId: "b", limit: 5, leaseMs: 60_000 })).toHaveLength(0);
    now = new Date(now.getTime() + 31_000);
    expect((await store.leaseOutbound({ botId: "b", limit: 5, leaseMs: 60_000 })).map((i) => i.id)).toEqual([id]);

    const noContact = await t.db.conversation.create({
      data: { id: randomUUID(), channel: "wechat", purgeAfter: new Date(Date.now() + 86_400_000) },
    });
    const [orphan] = await pending(noContact.id, 1);
    await t.db.outboundMessage.update({ where: { id: id as string }, data: { attempts: MAX_OUTBOUND_ATTEMPTS } });
    now = new Date(now.getTime() + 61_000);
    expect(await store.leaseOutbound({ botId: "c", limit: 5, leaseMs: 60_000 })).toEqual([]);
    expect(await t.db.outboundMessage.findUnique({ where: { id: orphan as string } })).toMatchObject({
      status: "failed",
      lastError: "no_contact",
    });
    expect(await t.db.outboundMessage.findUnique({ where: { id: id as string } })).toMatchObject({
      status: "failed",
      lastError: "too_many_attempts",
    });
  });
});

describe("privacy", () => {
  it("the API logs no message text and no contact data", () => {
    const logged = [...logLines, ...t.logs].join("\n");
    expect(logged).toContain("wechat.message");
    for (const text of ["孕产妇死亡率", "打我", "回复0", "wxid_"]) expect(logged).not.toContain(text);
  });
});
