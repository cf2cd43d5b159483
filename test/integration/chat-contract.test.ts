import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helpers/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: "1000" });
});
afterAll(async () => t.close());

async function chat(payload: Record<string, unknown>) {
  const res = await t.app.inject({ method: "POST", url: "/api/chat", payload });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe("the chat contract (DESIGN §4)", () => {
  it("a plan question gets an extractive answer citing the clause", async () => {
    const body = await chat({ text: "孕产妇死亡率的目标是多少" });
    expect(body.kind).toBe("answer");
    expect(body.escalation).toBeNull();
    expect(body.citations.length).toBeGreaterThan(0);
    const c = body.citations[0];
    expect(c.plan).toBe("women");
    expect(c.section).toBe("goal");
    expect(body.reply).toContain("9.5/10万");
    expect(body.reply.length).toBeLessThanOrEqual(600);
  });

  it("a service question gets service entries", async () => {
    const body = await chat({ text: "妇女维权热线是多少" });
    expect(["services", "answer"]).toContain(body.kind);
    expect(body.services.map((s: { phone: string | null }) => s.phone)).toContain("12338");
  });

  it("an immediate-danger report commits a case before replying, and the reply starts with 110", async () => {
    const body = await chat({ text: "我老公正在打我，他拿着刀，快来人" });
    expect(body.kind).toBe("urgent");
    expect(body.escalation).toMatchObject({ category: "domestic_violence", severity: "immediate" });
    expect(body.reply.split("\n")[0]).toContain("110");
    const row = await t.db.case.findUnique({ where: { id: body.escalation.caseId } });
    expect(row).toMatchObject({ category: "domestic_violence", severity: "immediate", status: "new" });
    const events = await t.db.caseEvent.findMany({ where: { caseId: body.escalation.caseId } });
    expect(events.map((e) => e.type)).toEqual(["created"]);
    expect(JSON.parse(row?.signals ?? "[]").length).toBeGreaterThan(0);
  });

  it("a follow-up in the same conversation attaches to the open case instead of opening another", async () => {
    const first = await chat({ text: "邻居家的小孩天天被他爸打，身上都是伤" });
    expect(first.kind).toBe("urgent");
    const second = await chat({ text: "他现在又在打了，孩子一直在哭", conversationId: first.conversationId });
    expect(second.kind).toBe("urgent");
    expect(second.escalation.caseId).toBe(first.escalation.caseId);
    const cases = await t.db.case.count({ where: { conversationId: first.conversationId } });
    expect(cases).toBe(1);
  });

  it("an out-of-scope question is answered honestly as unknown, names 12345 and is kept for review", async () => {
    const body = await chat({ text: "明天济源下雨吗" });
    expect(body.kind).toBe("unknown");
    expect(body.reply).toContain("12345");
    expect(body.citations).toEqual([]);
    const kept = await t.db.unansweredQuestion.count({ where: { conversationId: body.conversationId } });
    expect(kept).toBe(1);
  });

  it("a retry with the same clientMessageId gets the same reply and stores nothing twice", async () => {
    const a = await chat({ text: "他昨天又打我了 我好怕", clientMessageId: "retry-1" });
    const b = await chat({
      text: "他昨天又打我了 我好怕",
      clientMessageId: "retry-1",
      conversationId: a.conversationId,
    });
    expect(b).toEqual(a);
    expect(await t.db.case.count({ where: { conversationId: a.conversationId } })).toBe(1);
    expect(await t.db.message.count({ where: { conversationId: a.conversationId, role: "resident" } })).toBe(1);
  });

  it("an unknown conversationId is not adopted: the resident gets a fresh one", async () => {
    const body = await chat({ text: "你好", conversationId: "made-up-id-123" });
    expect(body.conversationId).not.toBe("made-up-id-123");
  });

  it("GET /api/search finds clauses and services, area first", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: `/api/search?q=${encodeURIComponent("儿童之家")}&area=${encodeURIComponent("克井镇")}&type=service`,
    });
    expect(res.statusCode).toBe(200);
    const results = res.json().results;
    expect(results.length).toBeGreaterThan(0);
    expect(results[0].type).toBe("service");
    expect(results[0].service.area).toBe("克井镇");
  });

  it("GET /healthz → 200 with the database reachable", async () => {
    const res = await t.app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json().database).toBe("ok");
  });

  it("every response is no-store and carries a strict CSP", async () => {
    const res = await t.app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(String(res.headers["content-security-policy"])).toContain("script-src 'self'");
  });
});

describe("privacy: logs never carry what residents wrote", () => {
  it("a planted name, phone number and WeChat id appear in no log line", async () => {
    const canaries = ["王秀英", "13912345678", "wxid_canary9x7"] as const;
    await chat({ text: `我叫${canaries[0]}，电话${canaries[1]}，微信${canaries[2]}，他正在打我` });
    await chat({ text: `${canaries[0]}想问家长学校在哪` });
    await t.app.inject({ method: "GET", url: `/api/search?q=${encodeURIComponent(canaries[1])}` });
    await t.app.inject({ method: "POST", url: "/api/chat", payload: { text: canaries[2], channel: "sms" } });
    const all = t.logs.join("\n");
    expect(t.logs.length).toBeGreaterThan(0);
    for (const c of canaries) expect(all).not.toContain(c);
  });
});
