import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACK_CLAIMED, ACK_OPEN } from "../../src/cases/case-fns.ts";
import {
  asStaff,
  buildCasesTestApp,
  type CasesTestApp,
  createStaffAndLogin,
  type Frame,
  probe,
  type StaffLogin,
} from "../helpers/staff-helpers.ts";

const bj = (text: string) => new Date(`${text}+08:00`);
/** Monday 10:00 北京时间: inside the default staffed hours. */
const MONDAY_10 = bj("2026-11-30T10:00:00");
/** Monday 22:00: outside them; staff are back Tuesday 08:30. */
const MONDAY_22 = bj("2026-11-30T22:00:00");

const IMMEDIATE_DV = "我老公正在打我，他拿着刀，快来人";
const URGENT_DV = "他昨天又打我了 我好怕";

let t: CasesTestApp;
let dv: StaffLogin;

beforeAll(async () => {
  t = await buildCasesTestApp({ start: MONDAY_10 });
  dv = await createStaffAndLogin(t, { queues: ["fulian-dv"], displayName: "张妇联" });
});
afterAll(async () => t.close());

type ChatBody = {
  conversationId: string;
  kind: string;
  reply: string;
  escalation: { caseId: string; severity: string; queue: string } | null;
};

async function chat(payload: Record<string, unknown>): Promise<ChatBody> {
  const res = await t.app.inject({ method: "POST", url: "/api/chat", payload });
  expect(res.statusCode).toBe(200);
  return res.json();
}

function staffPost(login: StaffLogin, url: string, payload: Record<string, unknown> = {}) {
  return t.app.inject({ method: "POST", url, payload, ...asStaff(login) });
}

async function claim(caseId: string, login = dv) {
  const res = await staffPost(login, `/api/staff/cases/${caseId}/claim`);
  expect(res.statusCode).toBe(200);
}

async function residentSocket() {
  return probe(await t.app.injectWS("/ws/chat"));
}

const isStaffReply = (f: Frame) => f.type === "staff_reply" && f.role === "staff";

describe("a staff reply reaches the resident through the channel they used", () => {
  it("live on the resident's /ws/chat socket", async () => {
    const resident = await residentSocket();
    resident.ws.send(JSON.stringify({ type: "message", text: IMMEDIATE_DV, clientMessageId: "m1" }));
    const reply = await resident.next((f) => f.type === "reply");
    const escalation = reply.escalation as { caseId: string };
    await claim(escalation.caseId);
    const res = await staffPost(dv, `/api/staff/cases/${escalation.caseId}/reply`, {
      text: "我是妇联的，你现在安全吗？",
    });
    expect(res.statusCode).toBe(200);
    const pushed = await resident.next((f) => f.type === "staff_reply");
    expect(pushed).toMatchObject({
      type: "staff_reply",
      role: "staff",
      text: "我是妇联的，你现在安全吗？",
      caseId: escalation.caseId,
      at: MONDAY_10.toISOString(),
    });
    expect(typeof pushed.id).toBe("string");
    expect(res.json().events.at(-1)).toMatchObject({ type: "replied", data: { channel: "web", delivery: "live" } });
    resident.close();
  });

  it("later, to a page that comes back: `resume` replays what was written after a time, then stays live", async () => {
    const first = await chat({ text: URGENT_DV, channel: "web" });
    const caseId = first.escalation?.caseId as string;
    await claim(caseId);
    t.clock.advance(60_000);
    await staffPost(dv, `/api/staff/cases/${caseId}/reply`, { text: "第一条回复" });
    t.clock.advance(60_000);
    await staffPost(dv, `/api/staff/cases/${caseId}/reply`, { text: "第二条回复" });
    t.clock.set(MONDAY_10);

    const back = await residentSocket();
    back.ws.send(
      JSON.stringify({ type: "resume", conversationId: first.conversationId, after: MONDAY_10.toISOString() }),
    );
    const replayed = [await back.next(isStaffReply), await back.next(isStaffReply)];
    expect(replayed.map((f) => f.text)).toEqual(["第一条回复", "第二条回复"]);
    expect(replayed.every((f) => f.caseId === caseId)).toBe(true);
    expect(await back.next((f) => f.type === "resumed")).toMatchObject({ conversationId: first.conversationId });

    // Without `after`: everything, the bot's own reply included (role tells them apart).
    const fresh = await residentSocket();
    fresh.ws.send(JSON.stringify({ type: "resume", conversationId: first.conversationId }));
    const all: Frame[] = [];
    for (;;) {
      const f = await fresh.next();
      if (f.type === "resumed") break;
      all.push(f);
    }
    expect(all.map((f) => f.role)).toEqual(["bot", "staff", "staff"]);
    expect(all[0]?.kind).toBe("urgent");

    // And live from then on.
    await staffPost(dv, `/api/staff/cases/${caseId}/reply`, { text: "第三条回复" });
    expect((await back.next(isStaffReply)).text).toBe("第三条回复");
    back.close();
    fresh.close();
  });

  it("`resume` of an unknown conversation → ERR_CONVERSATION_NOT_FOUND; a malformed one → ERR_VALIDATION", async () => {
    const s = await residentSocket();
    s.ws.send(JSON.stringify({ type: "resume", conversationId: "unknown-conversation-1" }));
    expect(await s.next()).toMatchObject({ type: "error", code: "ERR_CONVERSATION_NOT_FOUND" });
    s.ws.send(JSON.stringify({ type: "resume", conversationId: "x" }));
    expect(await s.next()).toMatchObject({ type: "error", code: "ERR_VALIDATION" });
    s.ws.send(JSON.stringify({ type: "ping" }));
    expect((await s.next()).type).toBe("pong");
    s.close();
  });

  it("and in GET /api/chat/history (the conversation id is the secret)", async () => {
    const first = await chat({ text: URGENT_DV });
    const caseId = first.escalation?.caseId as string;
    await claim(caseId);
    await staffPost(dv, `/api/staff/cases/${caseId}/reply`, { text: "我们看到了你的求助。" });
    const res = await t.app.inject({ method: "GET", url: `/api/chat/history?conversationId=${first.conversationId}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().conversationId).toBe(first.conversationId);
    expect(
      res.json().messages.map((m: { role: string; text: string }) => [m.role, m.role === "bot" ? "…" : m.text]),
    ).toEqual([
      ["resident", URGENT_DV],
      ["bot", "…"],
      ["staff", "我们看到了你的求助。"],
    ]);
    expect(res.json().messages[2]).toMatchObject({ caseId, kind: null });
    // Staff names are not shown to residents.
    expect(res.body).not.toContain("张妇联");
    const unknown = await t.app.inject({ method: "GET", url: "/api/chat/history?conversationId=unknown-conv-123" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe("ERR_CONVERSATION_NOT_FOUND");
    const bad = await t.app.inject({ method: "GET", url: "/api/chat/history?conversationId=a%20b" });
    expect(bad.statusCode).toBe(400);
    const missing = await t.app.inject({ method: "GET", url: "/api/chat/history" });
    expect(missing.statusCode).toBe(400);
  });

  it("a WeChat conversation gets a pending OutboundMessage for the WeChat bot (and no live push)", async () => {
    const first = await chat({ text: URGENT_DV, channel: "wechat" });
    const caseId = first.escalation?.caseId as string;
    await claim(caseId);
    const res = await staffPost(dv, `/api/staff/cases/${caseId}/reply`, { text: "您好，这里是妇联。" });
    expect(res.json().events.at(-1)).toMatchObject({
      type: "replied",
      data: { channel: "wechat", delivery: "outbox" },
    });
    const outbound = await t.db.outboundMessage.findMany({ where: { conversationId: first.conversationId } });
    expect(outbound).toEqual([
      expect.objectContaining({ channel: "wechat", text: "您好，这里是妇联。", status: "pending", attempts: 0 }),
    ]);
    // The Message row is the record there too.
    expect(await t.db.message.count({ where: { conversationId: first.conversationId, role: "staff" } })).toBe(1);
  });

  it("a web conversation gets no OutboundMessage", async () => {
    const first = await chat({ text: URGENT_DV, channel: "web" });
    await claim(first.escalation?.caseId as string);
    await staffPost(dv, `/api/staff/cases/${first.escalation?.caseId}/reply`, { text: "好的" });
    expect(await t.db.outboundMessage.count({ where: { conversationId: first.conversationId } })).toBe(0);
  });
});

describe("what the chat service does with a message to a conversation that has a case", () => {
  it("a follow-up attaches to the open case and its severity only rises", async () => {
    const first = await chat({ text: URGENT_DV });
    expect(first.escalation?.severity).toBe("urgent");
    const second = await chat({ text: "他又来了，在门外", conversationId: first.conversationId });
    expect(second.escalation).toMatchObject({ caseId: first.escalation?.caseId, severity: "immediate" });
    const third = await chat({ text: "谢谢", conversationId: first.conversationId });
    expect(third.escalation).toMatchObject({ caseId: first.escalation?.caseId, severity: "immediate" });
    const events = await t.db.caseEvent.findMany({
      where: { caseId: first.escalation?.caseId },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => e.type)).toEqual(["created", "resident_message", "resident_message"]);
    expect(await t.db.case.count({ where: { conversationId: first.conversationId } })).toBe(1);
  });

  it("a quiet message to an unclaimed case is passed on with a short acknowledgement", async () => {
    const first = await chat({ text: URGENT_DV });
    const quiet = await chat({ text: "谢谢", conversationId: first.conversationId });
    expect(quiet.kind).toBe("urgent");
    expect(quiet.reply).toBe(ACK_OPEN);
  });

  it("while staff hold the case the bot only acknowledges — unless someone is in danger now", async () => {
    const first = await chat({ text: URGENT_DV });
    await claim(first.escalation?.caseId as string);
    const ack = await chat({ text: URGENT_DV, conversationId: first.conversationId });
    expect(ack).toMatchObject({ kind: "urgent", reply: ACK_CLAIMED, escalation: { caseId: first.escalation?.caseId } });
    const danger = await chat({ text: IMMEDIATE_DV, conversationId: first.conversationId });
    expect(danger.escalation).toMatchObject({ caseId: first.escalation?.caseId, severity: "immediate" });
    expect(danger.reply.split("\n")[0]).toContain("110");
    expect(danger.reply).not.toBe(ACK_CLAIMED);
    const row = await t.db.case.findUnique({ where: { id: first.escalation?.caseId } });
    expect(row?.status).toBe("claimed");
  });

  it("a follow-up to a case closed days ago reopens it (new, unclaimed) instead of opening a second one", async () => {
    const first = await chat({ text: URGENT_DV });
    const caseId = first.escalation?.caseId as string;
    await claim(caseId);
    await staffPost(dv, `/api/staff/cases/${caseId}/close`, { outcome: "advice_given" });
    t.clock.advance(2 * 86_400_000);
    try {
      const again = await chat({ text: "他又来了，在门外", conversationId: first.conversationId });
      expect(again.escalation?.caseId).toBe(caseId);
      const row = await t.db.case.findUnique({ where: { id: caseId } });
      expect(row).toMatchObject({
        status: "new",
        claimedBy: null,
        closedAt: null,
        outcome: null,
        severity: "immediate",
      });
      const last = await t.db.caseEvent.findFirst({ where: { caseId }, orderBy: { id: "desc" } });
      expect(last?.type).toBe("reopened");
      expect(JSON.parse(last?.data ?? "{}")).toMatchObject({ previousOutcome: "advice_given", severity: "immediate" });
      expect(await t.db.case.count({ where: { conversationId: first.conversationId } })).toBe(1);
    } finally {
      t.clock.set(MONDAY_10);
    }
  });

  it("a quiet message to a recently closed case does not reopen it", async () => {
    const first = await chat({ text: URGENT_DV });
    const caseId = first.escalation?.caseId as string;
    await claim(caseId);
    await staffPost(dv, `/api/staff/cases/${caseId}/close`, { outcome: "advice_given" });
    const thanks = await chat({ text: "谢谢你们", conversationId: first.conversationId });
    expect(thanks.escalation).toBeNull();
    expect((await t.db.case.findUnique({ where: { id: caseId } }))?.status).toBe("closed");
  });

  it("more than 7 days after closing, an urgent report opens a new case", async () => {
    const first = await chat({ text: URGENT_DV });
    const caseId = first.escalation?.caseId as string;
    await claim(caseId);
    await staffPost(dv, `/api/staff/cases/${caseId}/close`, { outcome: "advice_given" });
    t.clock.advance(8 * 86_400_000);
    try {
      const again = await chat({ text: URGENT_DV, conversationId: first.conversationId });
      expect(again.escalation?.caseId).not.toBe(caseId);
      expect((await t.db.case.findUnique({ where: { id: caseId } }))?.status).toBe("closed");
    } finally {
      t.clock.set(MONDAY_10);
    }
  });
});

describe("out of hours the resident is told when staff are back and given the 24-hour numbers", () => {
  it("a report at 22:00 on Monday: 明天 08:30, 110, 12356, 12338 — and the case still queues", async () => {
    t.clock.set(MONDAY_22);
    try {
      const body = await chat({ text: IMMEDIATE_DV });
      expect(body.reply.split("\n")[0]).toContain("110");
      expect(body.reply).toContain("现在是非工作时间，工作人员将于明天 08:30上班后在这里回复你");
      for (const n of ["110", "12356", "12338"]) expect(body.reply).toContain(n);
      const row = await t.db.case.findUnique({ where: { id: body.escalation?.caseId } });
      expect(row?.status).toBe("new");
      // A follow-up out of hours says so too.
      const follow = await chat({ text: "谢谢", conversationId: body.conversationId });
      expect(follow.reply).toContain("明天 08:30");
    } finally {
      t.clock.set(MONDAY_10);
    }
  });

  it("on Friday evening: staff are back on Monday", async () => {
    t.clock.set(bj("2026-12-04T19:00:00"));
    try {
      const body = await chat({ text: URGENT_DV });
      expect(body.reply).toContain("工作人员将于12月7日（周一）08:30上班后在这里回复你");
    } finally {
      t.clock.set(MONDAY_10);
    }
  });

  it("in staffed hours there is no such line", async () => {
    const body = await chat({ text: URGENT_DV });
    expect(body.reply).not.toContain("非工作时间");
  });
});

describe("privacy: what residents and staff wrote never reaches a log", () => {
  it("a planted name, phone number and WeChat id appear in no log line", async () => {
    const canaries = ["李金凤", "13800138123", "wxid_canary42q"] as const;
    const planted = `我叫${canaries[0]}，电话${canaries[1]}，微信${canaries[2]}`;
    const resident = await residentSocket();
    resident.ws.send(JSON.stringify({ type: "message", text: `${planted}，他正在打我` }));
    const reply = await resident.next((f) => f.type === "reply");
    const caseId = (reply.escalation as { caseId: string }).caseId;
    const conversationId = reply.conversationId as string;
    await chat({ text: `${planted}，还在门外`, conversationId, channel: "wechat" });
    await t.app.inject({ method: "GET", url: `/api/staff/cases/${caseId}`, ...asStaff(dv) });
    await claim(caseId);
    await staffPost(dv, `/api/staff/cases/${caseId}/reply`, {
      text: `${canaries[0]}你好，我们会打${canaries[1]}联系你`,
    });
    await staffPost(dv, `/api/staff/cases/${caseId}/notes`, { text: `已加微信${canaries[2]}` });
    await staffPost(dv, `/api/staff/cases/${caseId}/reply`, { text: "" });
    await staffPost(dv, `/api/staff/cases/${caseId}/transfer`, { queue: "crisis-intervention", reason: planted });
    await t.app.inject({ method: "GET", url: `/api/chat/history?conversationId=${conversationId}` });
    resident.ws.send(JSON.stringify({ type: "resume", conversationId }));
    await resident.next((f) => f.type === "resumed");
    resident.close();
    const all = t.logs.join("\n");
    expect(t.logs.length).toBeGreaterThan(0);
    for (const c of canaries) expect(all).not.toContain(c);
    expect(all).not.toContain(conversationId);
  });
});
