/**
 * The mini-program API on the real app: the structured report form (a case that
 * reaches the staff console live, exactly like a chat report), its consent
 * text, the directory and hotlines, and CORS for the resident API only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCasesTestApp,
  type CasesTestApp,
  createStaffAndLogin,
  type Frame,
  listen,
  openStaffSocket,
  type StaffLogin,
} from "../helpers/staff-helpers.ts";
import { buildTestApp, type TestApp } from "../helpers/test-app.ts";

const PHONE = "13912345678";
const WECHAT = "canaryWx_7731";

let t: CasesTestApp;
let base: string;
let dv: StaffLogin;
let consentVersion: string;

beforeAll(async () => {
  t = await buildCasesTestApp({ realClock: true });
  base = await listen(t);
  dv = await createStaffAndLogin(t, { queues: ["fulian-dv"], displayName: "张妇联" });
  const consent = await t.app.inject({ url: "/api/reports/consent" });
  expect(consent.statusCode).toBe(200);
  consentVersion = (consent.json() as { version: string }).version;
});

afterAll(async () => {
  await t?.close();
});

type Report = {
  conversationId: string;
  kind: string;
  reply: string;
  escalation: { caseId: string; category: string; severity: string; queue: string } | null;
};

function form(overrides: Record<string, unknown> = {}) {
  return {
    category: "domestic_violence",
    area: "沁园",
    whatHappened: "丈夫经常打我，昨天又动手了，我想有人帮帮我。",
    contact: { method: "phone", phone: PHONE },
    consent: { accepted: true, textVersion: consentVersion },
    ...overrides,
  };
}

async function submit(payload: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({ method: "POST", url: "/api/reports", payload: payload as object, headers });
}

const caseEventOf = (caseId: string, type: string) => (f: Frame) =>
  f.type === "case_event" &&
  (f.event as { caseId: string; type: string }).caseId === caseId &&
  (f.event as { type: string }).type === type;

describe("POST /api/reports", () => {
  it("commits a form case with its created event, pushes it to the staff console live, and returns the safety reply", async () => {
    const socket = await openStaffSocket(base, dv);
    await socket.next((f) => f.type === "hello");

    const res = await submit(form());
    expect(res.statusCode).toBe(200);
    const body = res.json() as Report;
    expect(body.kind).toBe("urgent");
    expect(body.reply).toContain("110");
    expect(body.escalation).toMatchObject({ category: "domestic_violence", queue: "fulian-dv" });
    expect(["urgent", "immediate"]).toContain(body.escalation?.severity);
    const caseId = body.escalation?.caseId ?? "";

    const frame = await socket.next(caseEventOf(caseId, "created"));
    expect(frame).toMatchObject({ case: { id: caseId, queue: "fulian-dv", status: "new" } });
    socket.close();

    const record = await t.db.case.findUniqueOrThrow({ where: { id: caseId }, include: { events: true } });
    expect(record).toMatchObject({
      source: "form",
      category: "domestic_violence",
      area: "沁园街道",
      channel: "miniprogram",
      conversationId: body.conversationId,
    });
    expect(record.events.map((e) => e.type)).toEqual(["created"]);
    const messages = await t.db.message.findMany({
      where: { conversationId: body.conversationId },
      orderBy: { createdAt: "asc" },
    });
    expect(messages.map((m) => m.role).sort()).toEqual(["bot", "resident"]);
    const resident = messages.find((m) => m.role === "resident");
    // Staff read the form in the transcript, contact line included (they call back).
    expect(resident?.text).toContain("【求助表单】");
    expect(resident?.text).toContain("类别：家庭暴力");
    expect(resident?.text).toContain(`电话回访：${PHONE}`);
    const created = JSON.parse(record.events[0]?.data ?? "{}") as { messageId?: string };
    expect(created.messageId).toBe(resident?.id);

    // The staff API shows the case and the resident's form to a member of the queue.
    const detail = await t.app.inject({
      url: `/api/staff/cases/${caseId}`,
      headers: { cookie: dv.cookie },
    });
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain(PHONE);
  });

  it("uses the chosen category and never goes below urgent; triage can raise it to immediate", async () => {
    const mild = await submit(
      form({ category: "child_harm", whatHappened: "想反映一下邻居家孩子的情况。", contact: { method: "anonymous" } }),
    );
    expect(mild.statusCode).toBe(200);
    const mildBody = mild.json() as Report;
    expect(mildBody.escalation).toMatchObject({
      category: "child_harm",
      severity: "urgent",
      queue: "minor-protection",
    });

    const now = await submit(
      form({ whatHappened: "我老公又打我了 我现在躲在厕所里", contact: { method: "wechat", wechatId: WECHAT } }),
    );
    expect(now.statusCode).toBe(200);
    const nowBody = now.json() as Report;
    expect(nowBody.escalation?.severity).toBe("immediate");
    expect(nowBody.reply.indexOf("110")).toBeGreaterThanOrEqual(0);
  });

  it("files into an existing conversation with contact this_chat, and a retry with the same clientMessageId stores nothing twice", async () => {
    const chat = await t.app.inject({ method: "POST", url: "/api/chat", payload: { text: "家长学校在哪里" } });
    const { conversationId } = chat.json() as { conversationId: string };
    const payload = form({
      category: "self_harm",
      whatHappened: "最近很难受，不想活了。",
      contact: { method: "this_chat", conversationId },
      clientMessageId: "form-1",
    });
    const first = await submit(payload);
    expect(first.statusCode).toBe(200);
    const again = await submit(payload);
    expect(again.json()).toEqual(first.json());
    const body = first.json() as Report;
    expect(body.conversationId).toBe(conversationId);
    const cases = await t.db.case.findMany({ where: { conversationId } });
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ source: "form", category: "self_harm" });

    // Without a conversation: a long random clientMessageId makes the retry safe too (chat-idempotency.ts).
    const anonymous = form({ contact: { method: "anonymous" }, clientMessageId: "form-3f9c1a7e5b2d4c80a1e6" });
    const sent = await submit(anonymous);
    const resent = await submit(anonymous);
    expect(sent.statusCode).toBe(200);
    expect(resent.json()).toEqual(sent.json());
    const anonCases = await t.db.case.findMany({ where: { conversationId: (sent.json() as Report).conversationId } });
    expect(anonCases).toHaveLength(1);

    const unknown = await submit(form({ contact: { method: "this_chat", conversationId: "nope-nope-nope" } }));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: "ERR_CONVERSATION_NOT_FOUND" });
  });

  it("refuses without consent, with an outdated consent version, an unknown area, bad contact details or empty text", async () => {
    const noConsent = await submit(form({ consent: { accepted: false, textVersion: consentVersion } }));
    expect(noConsent.statusCode).toBe(400);
    expect(noConsent.json()).toMatchObject({ code: "ERR_VALIDATION" });
    expect((noConsent.json() as { message: string }).message).toContain("同意");

    const stale = await submit(form({ consent: { accepted: true, textVersion: "2020-01-01.deadbeef" } }));
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: "ERR_CONSENT_OUTDATED" });

    const area = await submit(form({ area: "火星街道" }));
    expect(area.statusCode).toBe(400);
    expect(area.json()).toMatchObject({ code: "ERR_AREA_UNKNOWN" });
    expect((area.json() as { message: string }).message).toContain("沁园街道");

    const phone = await submit(form({ contact: { method: "phone", phone: "12345" } }));
    expect(phone.statusCode).toBe(400);
    expect(phone.json()).toMatchObject({ code: "ERR_VALIDATION" });

    const empty = await submit(form({ whatHappened: "   " }));
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ code: "ERR_TEXT_EMPTY" });

    const category = await submit(form({ category: "noise" }));
    expect(category.statusCode).toBe(400);
  });

  it("keeps phone numbers, WeChat ids and what happened out of the logs", async () => {
    const logs = t.logs.join("\n");
    expect(logs).not.toContain(PHONE);
    expect(logs).not.toContain(WECHAT);
    expect(logs).not.toContain("躲在厕所");
  });

  it("serves a versioned consent text that covers PIPL's points", async () => {
    const res = await t.app.inject({ url: "/api/reports/consent" });
    const doc = res.json() as { version: string; title: string; summary: string[]; paragraphs: string[] };
    const text = doc.paragraphs.join("\n");
    for (const point of ["敏感个人信息", "未成年人", "用于", "工作人员", "保存", "撤回", "110"])
      expect(text).toContain(point);
    expect(text).toContain("180天");
    expect(doc.version).toMatch(/^\d{4}-\d{2}-\d{2}\.[0-9a-f]{8}$/);
  });
});

describe("the directory for the mini-program", () => {
  it("lists the 16 街道/镇 with aliases", async () => {
    const res = await t.app.inject({ url: "/api/directory/areas" });
    expect(res.statusCode).toBe(200);
    const { areas } = res.json() as { areas: { name: string; kind: string; aliases: string[] }[] };
    expect(areas).toHaveLength(16);
    expect(areas.filter((a) => a.kind === "subdistrict")).toHaveLength(5);
    expect(areas.find((a) => a.name === "沁园街道")?.aliases).toContain("沁园");
  });

  it("filters by area (aliases accepted: the area's own points first, then district-wide) and by category", async () => {
    const res = await t.app.inject({ url: `/api/directory?area=${encodeURIComponent("克井")}` });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { area: string; entries: { area: string | null; category: string }[] };
    expect(body.area).toBe("克井镇");
    expect(body.entries.length).toBeGreaterThan(0);
    expect(body.entries.every((e) => e.area === "克井镇" || e.area === null)).toBe(true);
    const firstDistrict = body.entries.findIndex((e) => e.area === null);
    expect(body.entries.slice(firstDistrict).every((e) => e.area === null)).toBe(true);

    const hotlines = await t.app.inject({ url: "/api/directory?category=hotline" });
    const h = hotlines.json() as { entries: { category: string }[] };
    expect(h.entries.length).toBeGreaterThan(0);
    expect(h.entries.every((e) => e.category === "hotline")).toBe(true);
  });

  it("answers an unknown area with 400 ERR_AREA_UNKNOWN and a Chinese message naming how to write it", async () => {
    const res = await t.app.inject({ url: `/api/directory?area=${encodeURIComponent("济南")}` });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { code: string; message: string };
    expect(body.code).toBe("ERR_AREA_UNKNOWN");
    for (const name of ["济南", "沁园街道", "克井镇", "五龙口镇", "沁园"]) expect(body.message).toContain(name);
    const bad = await t.app.inject({ url: "/api/directory?category=nonsense" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: "ERR_VALIDATION" });
  });

  it("lists the national hotlines, 110 first, each with what it is for", async () => {
    const res = await t.app.inject({ url: "/api/hotlines" });
    expect(res.statusCode).toBe(200);
    const { hotlines } = res.json() as { hotlines: { phone: string; description: string }[] };
    expect(hotlines[0]?.phone).toBe("110");
    expect(hotlines.map((h) => h.phone)).toEqual(expect.arrayContaining(["120", "12338", "12355", "12348"]));
    expect(hotlines.every((h) => h.description.length > 10)).toBe(true);
  });
});

describe("CORS: the resident API only, for the configured origins only", () => {
  const MINI = "https://servicewechat.com";
  let c: TestApp;

  beforeAll(async () => {
    c = await buildTestApp({ CORS_ORIGINS: `${MINI}, https://h5.example.cn` });
  });
  afterAll(async () => {
    await c?.close();
  });

  const preflight = (app: TestApp, url: string, origin: string) =>
    app.app.inject({
      method: "OPTIONS",
      url,
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });

  it("answers a preflight and a request from an allowed origin on the resident routes", async () => {
    for (const url of ["/api/chat", "/api/reports", "/api/search", "/api/directory", "/api/hotlines"]) {
      const res = await preflight(c, url, MINI);
      expect(res.statusCode).toBe(204);
      expect(res.headers["access-control-allow-origin"]).toBe(MINI);
      expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
    }
    const get = await c.app.inject({ url: "/api/hotlines", headers: { origin: "https://h5.example.cn" } });
    expect(get.headers["access-control-allow-origin"]).toBe("https://h5.example.cn");
  });

  it("gives no CORS headers to other origins, nor to staff or admin routes", async () => {
    const foreign = await preflight(c, "/api/chat", "https://evil.example");
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
    for (const url of ["/api/staff/login", "/api/staff/me", "/api/admin/directory"]) {
      const res = await preflight(c, url, MINI);
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      const get = await c.app.inject({ url, headers: { origin: MINI } });
      expect(get.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  it("is off when CORS_ORIGINS is not set", async () => {
    const res = await preflight(t, "/api/chat", MINI);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });
});
