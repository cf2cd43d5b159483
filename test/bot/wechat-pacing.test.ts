/**
 * A resident sends 20 messages within a second: every one is answered, in
 * order, at the paced rate (burst of 3, then one per 2 s). The send queue runs
 * on a manual clock, so the test asserts the schedule, not wall-clock time.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { chatServiceFor, type MockBot, startMockBot } from "../../bots/wechat/dev/harness.ts";
import { createManualClock } from "../../bots/wechat/dev/manual-clock.ts";
import { waitUntil } from "../../bots/wechat/dev/mock-world.ts";
import { createInProcessCore } from "../../bots/wechat/in-process-core.ts";
import { DEFAULT_PACING } from "../../bots/wechat/pacing-fns.ts";
import { contactRefOf, deriveContactKeys } from "../../src/channels/wechat/contact-crypto-fns.ts";
import { createWechatStore } from "../../src/channels/wechat/wechat-store.ts";
import { buildTestApp, sharedKnowledge, type TestApp } from "../helpers/test-app.ts";

const SECRET = "test-wechat-id-secret-pacing-0123456789";
const clock = createManualClock(1_000_000);
let t: TestApp;
let bot: MockBot;

beforeAll(async () => {
  t = await buildTestApp();
  const store = t.app.hasDecorator("wechatStore")
    ? t.app.wechatStore
    : createWechatStore({ db: t.db, chat: chatServiceFor(t.db, sharedKnowledge()) });
  bot = await startMockBot({
    core: createInProcessCore(store),
    idSecret: SECRET,
    pacing: DEFAULT_PACING,
    pacingClock: clock,
  });
});
afterAll(async () => {
  await bot?.running.stop();
  await t?.close();
});

it("20 messages from one contact in one second are all answered, in order, at the paced rate", async () => {
  const resident = bot.world.resident("连发的居民");
  const received: Array<{ text: string; at: number }> = [];
  let seen = 0;
  const record = () => {
    while (seen < resident.inbox.length) received.push({ text: resident.inbox[seen++] ?? "", at: clock.now() });
  };
  // Alternating questions with recognisable answers, so the order of the replies can be checked.
  const questions = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? "孕产妇死亡率的目标是多少" : "你好"));
  const start = clock.now();
  for (const q of questions) resident.say(q);

  // Triage and answers run in real time; the queue holds the replies until the manual clock allows them.
  await waitUntil(
    () => {
      record();
      return received.length === 3 && bot.running.bot.queue.size() === 17;
    },
    20_000,
    "all 20 replies queued",
  );
  for (let sent = 3; sent < 20; sent++) {
    clock.advance(2000);
    await waitUntil(
      () => {
        record();
        return received.length === sent + 1;
      },
      5000,
      `reply ${sent + 1}`,
    );
  }
  clock.advance(60_000);
  await new Promise((r) => setTimeout(r, 200));
  record();

  expect(received).toHaveLength(20);
  expect(received.map((r) => r.at - start)).toEqual(questions.map((_, i) => Math.max(0, (i - 2) * 2000)));
  received.forEach((r, i) => {
    if (i % 2 === 0) expect(r.text).toContain("9.5/10万");
    else expect(r.text).toContain("济源妇儿服务助手");
  });

  // None dropped on the way in either: 20 resident messages and 20 replies stored, once each.
  const keys = deriveContactKeys(SECRET);
  const conversation = await t.db.conversation.findFirst({
    where: { externalRef: contactRefOf(keys, resident.contact.id) },
  });
  expect(await t.db.message.count({ where: { conversationId: conversation?.id, role: "resident" } })).toBe(20);
  expect(await t.db.message.count({ where: { conversationId: conversation?.id, role: "bot" } })).toBe(20);
});
