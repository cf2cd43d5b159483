/**
 * Staff replies are durable: whatever restarts (the service under an HTTP
 * bot, or the bot's outbound sender), every pending message is sent exactly
 * once, and a resident's message sent while the service is down is answered
 * once it is back.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CoreClient, CoreUnavailableError } from "../../bots/wechat/core-client.ts";
import { buildBotApiServer, chatServiceFor, type MockBot, startMockBot } from "../../bots/wechat/dev/harness.ts";
import { type MockResident, waitUntil } from "../../bots/wechat/dev/mock-world.ts";
import { createHttpCore } from "../../bots/wechat/http-core.ts";
import { createInProcessCore } from "../../bots/wechat/in-process-core.ts";
import { createOutboundSender, wechatyTargetFinder } from "../../bots/wechat/plugins/outbound-sender.ts";
import { DELAYED } from "../../bots/wechat/texts.ts";
import { contactRefOf, deriveContactKeys } from "../../src/channels/wechat/contact-crypto-fns.ts";
import { createWechatStore } from "../../src/channels/wechat/wechat-store.ts";
import type { ChatService } from "../../src/chat/chat-service.ts";
import { createLogger } from "../../src/shared/logger.ts";
import { buildTestApp, sharedKnowledge, type TestApp } from "../helpers/test-app.ts";

const SECRET = "test-wechat-id-secret-outbound-0123456789";
const TOKEN = "test-bot-api-token-0123456789abcdefghijkl";
const keys = deriveContactKeys(SECRET);
/** Slow enough that a batch is still going out when the test pulls the plug. */
const PACED = { account: { capacity: 1, refillMs: 60 }, contact: { capacity: 1, refillMs: 60 } };
const QUICK_RETRY = { baseMs: 40, maxMs: 250 };

let t: TestApp;
let chat: ChatService;
let bot: MockBot | undefined;

beforeAll(async () => {
  t = await buildTestApp();
  chat = chatServiceFor(t.db, sharedKnowledge());
});
afterEach(async () => {
  await bot?.running.stop();
  bot = undefined;
});
afterAll(async () => t?.close());

async function conversationId(resident: MockResident): Promise<string> {
  const c = await t.db.conversation.findFirst({ where: { externalRef: contactRefOf(keys, resident.contact.id) } });
  if (!c) throw new Error("no conversation");
  return c.id;
}

async function insertStaffReplies(convId: string, prefix: string, n: number): Promise<string[]> {
  const texts = Array.from({ length: n }, (_, i) => `${prefix}-${i}：工作人员回复`);
  for (const [i, text] of texts.entries()) {
    await t.db.outboundMessage.create({
      data: {
        id: randomUUID(),
        conversationId: convId,
        channel: "wechat",
        text,
        status: "pending",
        createdAt: new Date(Date.now() + i),
      },
    });
  }
  return texts;
}

async function allSent(convId: string): Promise<boolean> {
  return (await t.db.outboundMessage.count({ where: { conversationId: convId, status: { not: "sent" } } })) === 0;
}

async function waitAsync(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function expectEachOnce(inbox: string[], texts: string[]) {
  for (const text of texts)
    expect(
      inbox.filter((m) => m === text),
      text,
    ).toHaveLength(1);
}

describe("HTTP mode: the service stops and starts again mid-conversation", () => {
  it("loses no staff reply, sends none twice, and answers the message sent while it was down", async () => {
    let server: FastifyInstance = await buildBotApiServer({ db: t.db, chat, token: TOKEN });
    await server.listen({ port: 0, host: "127.0.0.1" });
    const address = server.server.address();
    if (!address || typeof address === "string") throw new Error("no port");
    const port = address.port;

    bot = await startMockBot({
      core: createHttpCore({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 2000 }),
      idSecret: SECRET,
      pacing: PACED,
      coreRetry: QUICK_RETRY,
      outbound: { pollMs: 40, retry: QUICK_RETRY, batch: 5 },
    });
    const resident = bot.world.resident("韩雪");
    resident.say("孕产妇死亡率的目标是多少");
    await waitUntil(() => resident.inbox.some((m) => m.includes("9.5/10万")), 15_000, "first answer");
    const convId = await conversationId(resident);

    const staffTexts = await insertStaffReplies(convId, "http", 10);
    await waitUntil(() => resident.inbox.filter((m) => m.startsWith("http-")).length >= 2, 15_000, "first sends");
    await server.close(); // the service goes away mid-batch

    const question = "宫颈癌筛查率的目标是多少";
    resident.say(question);
    await waitUntil(() => resident.inbox.includes(DELAYED), 15_000, "the delayed notice");
    await new Promise((r) => setTimeout(r, 400)); // confirmations and the message are being retried

    server = await buildBotApiServer({ db: t.db, chat, token: TOKEN });
    await server.listen({ port, host: "127.0.0.1" });
    try {
      await waitUntil(
        () => staffTexts.every((s) => resident.inbox.includes(s)) && resident.inbox.some((m) => m.includes("宫颈癌")),
        20_000,
        "every staff reply and the late answer",
      );
      await waitAsync(() => allSent(convId), 20_000, "every row marked sent");
      await new Promise((r) => setTimeout(r, 300)); // nothing more may arrive
      expectEachOnce(resident.inbox, staffTexts);
      expect(resident.inbox.filter((m) => m.includes("宫颈癌"))).toHaveLength(1);
      // Retried with the same clientMessageId: stored once.
      expect(await t.db.message.count({ where: { conversationId: convId, role: "resident", text: question } })).toBe(1);
    } finally {
      await bot.running.stop();
      bot = undefined;
      await server.close();
    }
  });
});

describe("in process: the outbound sender stops mid-batch and starts again", () => {
  it("sends every pending message exactly once", async () => {
    const store = createWechatStore({ db: t.db, chat });
    bot = await startMockBot({
      core: createInProcessCore(store),
      idSecret: SECRET,
      pacing: PACED,
      outbound: { pollMs: 40, retry: QUICK_RETRY, batch: 8 },
    });
    const resident = bot.world.resident("钱琳");
    resident.say("你好");
    await waitUntil(() => resident.inbox.length >= 1, 15_000, "first reply");
    const convId = await conversationId(resident);

    const staffTexts = await insertStaffReplies(convId, "stop", 8);
    await waitUntil(() => resident.inbox.filter((m) => m.startsWith("stop-")).length >= 3, 15_000, "first sends");
    await bot.running.bot.outbound.stop(); // like a restart: what is still queued is released

    const afterStop = resident.inbox.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(resident.inbox.length).toBe(afterStop); // nothing is sent while stopped
    expect(await allSent(convId)).toBe(false);

    // A new sender (as after a restart of the bot), with its own lease id.
    const sender = createOutboundSender({
      core: createInProcessCore(store),
      queue: bot.running.bot.queue,
      keys,
      findTarget: wechatyTargetFinder(bot.world.wechaty),
      botId: "restarted-bot",
      logger: createLogger("silent"),
      pollMs: 40,
      retry: QUICK_RETRY,
    });
    sender.start();
    try {
      await waitAsync(() => allSent(convId), 20_000, "every row marked sent");
      await new Promise((r) => setTimeout(r, 300));
      expectEachOnce(resident.inbox, staffTexts);
    } finally {
      await sender.stop();
    }
  });

  it("a confirmation that fails until the lease expires does not make the message go out twice", async () => {
    const store = createWechatStore({ db: t.db, chat });
    const inner = createInProcessCore(store);
    let failConfirmations = 6;
    const flaky: CoreClient = {
      ...inner,
      async markSent(id) {
        if (failConfirmations-- > 0) throw new CoreUnavailableError("HTTP 503", 503);
        return inner.markSent(id);
      },
    };
    bot = await startMockBot({
      core: flaky,
      idSecret: SECRET,
      pacing: PACED,
      // A lease far shorter than the outage of confirmations: the rows come back while unconfirmed.
      outbound: { pollMs: 30, leaseMs: 50, retry: QUICK_RETRY },
    });
    const resident = bot.world.resident("冯晓");
    resident.say("你好");
    await waitUntil(() => resident.inbox.length >= 1, 15_000, "first reply");
    const convId = await conversationId(resident);
    const staffTexts = await insertStaffReplies(convId, "flaky", 2);
    await waitAsync(() => allSent(convId), 20_000, "every row marked sent");
    await new Promise((r) => setTimeout(r, 300));
    expectEachOnce(resident.inbox, staffTexts);
    const rows = await t.db.outboundMessage.findMany({ where: { conversationId: convId } });
    expect(rows.some((r) => r.attempts > 1)).toBe(true); // it was leased again, and only confirmed
  });
});
