/**
 * The WeChat bot end to end: a real Wechaty on wechaty-puppet-mock, the
 * in-process core, and a real app on its own SQLite copy.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { types } from "wechaty";
import { chatServiceFor, type MockBot, startMockBot } from "../../bots/wechat/dev/harness.ts";
import { type MockResident, waitUntil } from "../../bots/wechat/dev/mock-world.ts";
import { createInProcessCore } from "../../bots/wechat/in-process-core.ts";
import { GREETING, GROUP_PRIVATE_FOLLOW_UP, NON_TEXT } from "../../bots/wechat/texts.ts";
import { contactRefOf, decryptContact, deriveContactKeys } from "../../src/channels/wechat/contact-crypto-fns.ts";
import { createWechatStore, type WechatStore } from "../../src/channels/wechat/wechat-store.ts";
import { asStaff, createStaffAndLogin } from "../helpers/staff-helpers.ts";
import { buildTestApp, sharedKnowledge, type TestApp } from "../helpers/test-app.ts";

const SECRET = "test-wechat-id-secret-0123456789abcdef";
const keys = deriveContactKeys(SECRET);
const FAST = { account: { capacity: 50, refillMs: 10 }, contact: { capacity: 10, refillMs: 10 } };

let t: TestApp;
let bot: MockBot;
const texts: string[] = [];

/** The app's own store once app.ts registers the channel; until then one built the same way. */
function storeOf(app: TestApp): WechatStore {
  if (app.app.hasDecorator("wechatStore")) return app.app.wechatStore;
  return createWechatStore({ db: app.db, chat: chatServiceFor(app.db, sharedKnowledge()) });
}

beforeAll(async () => {
  t = await buildTestApp();
  bot = await startMockBot({
    core: createInProcessCore(storeOf(t)),
    idSecret: SECRET,
    pacing: FAST,
    outbound: { pollMs: 50 },
  });
});
afterAll(async () => {
  await bot?.running.stop();
  await t?.close();
});

/** A resident says something; resolves with the next `count` private replies. */
async function ask(resident: MockResident, text: string, count = 1): Promise<string[]> {
  texts.push(text);
  const before = resident.inbox.length;
  resident.say(text);
  await waitUntil(() => resident.inbox.length >= before + count, 15_000, "private reply");
  return resident.inbox.slice(before, before + count);
}

/** The bot marks a row sent just after `say` resolved: wait for the database to catch up. */
async function rowReaches(id: string, status: string) {
  for (let i = 0; i < 500; i++) {
    const row = await t.db.outboundMessage.findUnique({ where: { id } });
    if (row?.status === status) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`outbound ${id} never became ${status}`);
}

async function conversationOf(resident: MockResident) {
  return t.db.conversation.findFirst({ where: { externalRef: contactRefOf(keys, resident.contact.id) } });
}

describe("private chat", () => {
  it("a plan question gets the cited answer", async () => {
    const resident = bot.world.resident("王芳");
    const [reply] = await ask(resident, "孕产妇死亡率的目标是多少");
    expect(reply).toContain("9.5/10万");
    expect(reply).toContain("《济源示范区妇女发展规划（2021—2030年）》");
    const conversation = await conversationOf(resident);
    expect(conversation).toMatchObject({ channel: "wechat" });
    // The contact id is stored only hashed and encrypted.
    expect(conversation?.externalRef).not.toContain(resident.contact.id);
    expect(conversation?.contactCipher).not.toContain(resident.contact.id);
    expect(decryptContact(keys, conversation?.contactCipher ?? "")).toBe(resident.contact.id);
  });

  it("the next message continues the same conversation", async () => {
    const resident = bot.world.resident("赵敏");
    await ask(resident, "你好");
    await ask(resident, "妇女维权热线是多少");
    const ref = contactRefOf(keys, resident.contact.id);
    expect(await t.db.conversation.count({ where: { externalRef: ref } })).toBe(1);
    const conversation = await conversationOf(resident);
    expect(await t.db.message.count({ where: { conversationId: conversation?.id, role: "resident" } })).toBe(2);
  });

  it("an urgent message creates a case and gets the safety reply with 110", async () => {
    const resident = bot.world.resident("李娜");
    const [reply] = await ask(resident, "我老公正在打我，他拿着刀，快来人");
    expect(reply?.split("\n")[0]).toContain("110");
    const conversation = await conversationOf(resident);
    const cases = await t.db.case.findMany({ where: { conversationId: conversation?.id } });
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ category: "domestic_violence", severity: "immediate", channel: "wechat" });
  });
});

describe("groups", () => {
  it("a message without @ gets nothing; with @ gets an answer with an @ back", async () => {
    const asker = bot.world.resident("陈静");
    const other = bot.world.resident("周婷");
    const group = bot.world.group("社区妈妈群", [asker, other]);
    group.say(other, "孕产妇死亡率的目标是多少", false);
    group.say(asker, "孕产妇死亡率的目标是多少", true);
    await waitUntil(() => group.messages.length >= 1, 15_000, "group reply");
    await new Promise((r) => setTimeout(r, 300));
    expect(group.messages).toHaveLength(1);
    expect(group.messages[0]).toMatch(/^@陈静/);
    expect(group.messages[0]).toContain("9.5/10万");
    // The message without @ was not read: no conversation for its sender.
    expect(await conversationOf(other)).toBeNull();
    expect(other.inbox).toEqual([]);
  });

  it("an @ with nothing else gets a hint", async () => {
    const asker = bot.world.resident("孙丽");
    const group = bot.world.group("家长群", [asker]);
    group.say(asker, "", true);
    await waitUntil(() => group.messages.length >= 1, 15_000, "group hint");
    expect(group.messages[0]).toContain("请在@我后面写上你想问的问题");
  });

  it("an urgent disclosure gets a private follow-up and a group reply without details", async () => {
    const victim = bot.world.resident("刘洋");
    const group = bot.world.group("小区群", [victim, bot.world.resident("邻居")]);
    const text = "我老公正在打我，他拿着刀，快来人";
    texts.push(text);
    group.say(victim, text, true);
    await waitUntil(() => victim.inbox.length >= 1 && group.messages.length >= 1, 15_000, "urgent replies");
    expect(victim.inbox[0]?.split("\n")[0]).toContain("110");
    expect(victim.inbox[0]).toContain("12338");
    expect(group.messages).toEqual([`@刘洋 ${GROUP_PRIVATE_FOLLOW_UP}`]);
    for (const detail of ["打我", "刀", "老公", "12338", "保护令"]) expect(group.messages[0]).not.toContain(detail);
    const conversation = await conversationOf(victim);
    expect(await t.db.case.count({ where: { conversationId: conversation?.id } })).toBe(1);
  });
});

describe("other message types and friend requests", () => {
  it("a voice message gets the text reply; a transcribed one is answered", async () => {
    const resident = bot.world.resident("吴红");
    resident.send(types.Message.Audio);
    await waitUntil(() => resident.inbox.length >= 1, 15_000, "voice reply");
    expect(resident.inbox[0]).toBe(NON_TEXT.voice);
    expect(resident.inbox[0]).toContain("打字");
    resident.send(types.Message.Audio, "孕产妇死亡率的目标是多少");
    await waitUntil(() => resident.inbox.length >= 2, 15_000, "transcript reply");
    expect(resident.inbox[1]).toContain("9.5/10万");
  });

  it.each([
    [types.Message.Image, NON_TEXT.image],
    [types.Message.Emoticon, NON_TEXT.sticker],
    [types.Message.Attachment, NON_TEXT.file],
    [types.Message.Url, NON_TEXT.link],
    [types.Message.MiniProgram, NON_TEXT.miniProgram],
    [types.Message.Transfer, NON_TEXT.money],
    [types.Message.RedEnvelope, NON_TEXT.money],
  ])("message type %i gets a short note on what the bot can read", async (type, expected) => {
    const resident = bot.world.resident(`居民${type}`);
    resident.send(type);
    await waitUntil(() => resident.inbox.length >= 1, 15_000, "non-text reply");
    expect(resident.inbox).toEqual([expected]);
  });

  it("a friend request is accepted with a greeting that says this is not a police line", async () => {
    const resident = bot.world.resident("新朋友");
    await resident.requestFriendship("你好，我想咨询");
    await waitUntil(() => resident.inbox.length >= 1, 15_000, "greeting");
    expect(resident.inbox[0]).toBe(GREETING);
    expect(GREETING).toContain("紧急情况请拨打110");
  });
});

describe("staff replies", () => {
  it("a staff reply from the console reaches the resident and is marked sent", async () => {
    const resident = bot.world.resident("黄梅");
    await ask(resident, "我老公昨天又打我了，我很害怕");
    const conversation = await conversationOf(resident);
    if (!conversation) throw new Error("no conversation");
    const id = randomUUID();
    const staffText = "您好，我是妇联的工作人员，请问现在方便通话吗？";
    // What the staff console inserts when staff reply to a WeChat conversation.
    await t.db.outboundMessage.create({
      data: { id, conversationId: conversation.id, channel: "wechat", text: staffText, status: "pending" },
    });
    await waitUntil(() => resident.inbox.includes(staffText), 15_000, "staff reply");
    await rowReaches(id, "sent");
    const row = await t.db.outboundMessage.findUnique({ where: { id } });
    expect(row).toMatchObject({ status: "sent", attempts: 1 });
    expect(row?.sentAt).toBeInstanceOf(Date);
    expect(resident.inbox.filter((m) => m === staffText)).toHaveLength(1);
  });

  it("a staff reply through the console API (claim, reply) reaches the resident on WeChat", async (ctx) => {
    if (!t.app.hasRoute({ method: "POST", url: "/api/staff/cases/:id/reply" })) ctx.skip();
    const resident = bot.world.resident("许静");
    await ask(resident, "他昨天又打我了 我好怕");
    const conversation = await conversationOf(resident);
    const open = await t.db.case.findFirst({ where: { conversationId: conversation?.id } });
    if (!open) throw new Error("no case");
    const staff = await createStaffAndLogin(t, { queues: [open.queue], displayName: "妇联工作人员" });
    const post = (url: string, payload: object = {}) =>
      t.app.inject({ method: "POST", url, payload, ...asStaff(staff) });
    expect((await post(`/api/staff/cases/${open.id}/claim`)).statusCode).toBe(200);
    const staffText = "我是妇联的工作人员，你现在安全吗？方便的话回复我。";
    expect((await post(`/api/staff/cases/${open.id}/reply`, { text: staffText })).statusCode).toBe(200);
    await waitUntil(() => resident.inbox.includes(staffText), 15_000, "staff reply on WeChat");
    const row = await t.db.outboundMessage.findFirst({ where: { conversationId: conversation?.id } });
    if (!row) throw new Error("no outbound row");
    await rowReaches(row.id, "sent");
    expect(resident.inbox.filter((m) => m === staffText)).toHaveLength(1);
  });

  it("a row whose contact cannot be decrypted is marked failed, never sent", async () => {
    const resident = bot.world.resident("郑洁");
    await ask(resident, "你好");
    const conversation = await conversationOf(resident);
    if (!conversation) throw new Error("no conversation");
    const other = bot.world.resident("别人");
    await ask(other, "你好");
    const otherConversation = await conversationOf(other);
    // A cipher that belongs to someone else must not be used for this conversation.
    await t.db.conversation.update({
      where: { id: conversation.id },
      data: { contactCipher: otherConversation?.contactCipher ?? null },
    });
    const id = randomUUID();
    await t.db.outboundMessage.create({
      data: { id, conversationId: conversation.id, channel: "wechat", text: "不该发出", status: "pending" },
    });
    await rowReaches(id, "failed");
    expect(await t.db.outboundMessage.findUnique({ where: { id } })).toMatchObject({
      status: "failed",
      lastError: "contact_unreadable",
    });
    expect(other.inbox).not.toContain("不该发出");
    expect(resident.inbox).not.toContain("不该发出");
  });
});

describe("privacy", () => {
  it("logs carry event kinds and ids, never contact ids, names or message text", async () => {
    const contacts = await t.db.conversation.findMany({ where: { channel: "wechat" } });
    expect(contacts.length).toBeGreaterThan(5);
    const logged = [...bot.logs, ...t.logs].join("\n");
    expect(bot.logs.some((l) => l.includes('"event":"wechat.reply"'))).toBe(true);
    for (const cipher of contacts) {
      const id = decryptContact(keys, cipher.contactCipher ?? "");
      expect(logged).not.toContain(id);
    }
    for (const name of ["王芳", "李娜", "刘洋", "黄梅"]) expect(logged).not.toContain(name);
    for (const text of texts) expect(logged).not.toContain(text);
    expect(logged).not.toContain("9.5/10万");
  });
});
