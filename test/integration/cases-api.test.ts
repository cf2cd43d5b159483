import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  asStaff,
  buildCasesTestApp,
  type CasesTestApp,
  createStaffAndLogin,
  type StaffLogin,
} from "../helpers/staff-helpers.ts";

/** 北京时间 wall-clock → instant; 2026-11-30 is a Monday, 10:00 is inside the default staffed hours. */
const bj = (text: string) => new Date(`${text}+08:00`);
const MONDAY_10 = bj("2026-11-30T10:00:00");

const IMMEDIATE_DV = "我老公正在打我，他拿着刀，快来人";
const URGENT_DV = "他昨天又打我了 我好怕";
const URGENT_CHILD = "邻居家的小孩天天被他爸打，身上都是伤";

let t: CasesTestApp;
let dv: StaffLogin;
let dv2: StaffLogin;
let child: StaffLogin;
let sup: StaffLogin;

beforeAll(async () => {
  t = await buildCasesTestApp({ start: MONDAY_10 });
  dv = await createStaffAndLogin(t, { queues: ["fulian-dv"], displayName: "张妇联" });
  dv2 = await createStaffAndLogin(t, { queues: ["fulian-dv"], displayName: "刘妇联" });
  child = await createStaffAndLogin(t, { queues: ["minor-protection"], displayName: "王未保" });
  sup = await createStaffAndLogin(t, { role: "supervisor", displayName: "赵督导" });
});
afterAll(async () => t.close());

async function report(text: string, extra: Record<string, unknown> = {}) {
  const res = await t.app.inject({ method: "POST", url: "/api/chat", payload: { text, ...extra } });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  expect(body.kind).toBe("urgent");
  return body as { conversationId: string; escalation: { caseId: string; queue: string; severity: string } };
}

function get(login: StaffLogin, url: string) {
  return t.app.inject({ method: "GET", url, ...asStaff(login) });
}

function post(login: StaffLogin, url: string, payload: Record<string, unknown> = {}, opts: { csrf?: boolean } = {}) {
  return t.app.inject({ method: "POST", url, payload, ...asStaff(login, opts) });
}

async function eventTypes(caseId: string): Promise<string[]> {
  const rows = await t.db.caseEvent.findMany({ where: { caseId }, orderBy: { id: "asc" } });
  return rows.map((r) => r.type);
}

const STAFF_ROUTES = [
  ["GET", "/api/staff/queues"],
  ["GET", "/api/staff/cases"],
  ["GET", "/api/staff/cases/some-id"],
  ["POST", "/api/staff/cases/some-id/claim"],
  ["POST", "/api/staff/cases/some-id/reply"],
  ["POST", "/api/staff/cases/some-id/notes"],
  ["POST", "/api/staff/cases/some-id/transfer"],
  ["POST", "/api/staff/cases/some-id/mandatory-report"],
  ["POST", "/api/staff/cases/some-id/close"],
  ["GET", "/api/staff/events?after=0"],
] as const;

describe("every staff case route without a session → 401 ERR_UNAUTHENTICATED, before the body is validated", () => {
  it.each(STAFF_ROUTES)("%s %s", async (method, url) => {
    for (const cookie of [undefined, "fuer_staff=not-a-session", `fuer_staff=${"A".repeat(43)}`]) {
      const res = await t.app.inject({
        method,
        url,
        headers: cookie ? { cookie } : {},
        // An invalid body: a 400 here would mean validation ran before authentication.
        ...(method === "POST" ? { payload: { nonsense: true } } : {}),
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe("ERR_UNAUTHENTICATED");
    }
  });
});

describe("a state-changing staff request without the CSRF token → 403 ERR_CSRF", () => {
  it.each(STAFF_ROUTES.filter(([m]) => m === "POST"))("%s %s", async (_method, url) => {
    const { escalation } = await report(URGENT_DV);
    const res = await post(dv, url.replace("some-id", escalation.caseId), { text: "你好" }, { csrf: false });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe("ERR_CSRF");
    expect(await eventTypes(escalation.caseId)).toEqual(["created"]);
  });
});

describe("another queue's case answers 404 ERR_CASE_NOT_FOUND, exactly like a case that does not exist", () => {
  const attempts: [
    string,
    (id: string) => Promise<{ statusCode: number; json(): { code: string; message: string } }>,
  ][] = [
    ["get", (id) => get(child, `/api/staff/cases/${id}`)],
    ["claim", (id) => post(child, `/api/staff/cases/${id}/claim`)],
    ["reply", (id) => post(child, `/api/staff/cases/${id}/reply`, { text: "你好" })],
    ["notes", (id) => post(child, `/api/staff/cases/${id}/notes`, { text: "记录" })],
    ["transfer", (id) => post(child, `/api/staff/cases/${id}/transfer`, { queue: "minor-protection", reason: "转" })],
    ["close", (id) => post(child, `/api/staff/cases/${id}/close`, { outcome: "advice_given" })],
    [
      "mandatory-report",
      (id) =>
        post(child, `/api/staff/cases/${id}/mandatory-report`, {
          reportedTo: "公安机关",
          reportedAt: "2026-11-30T09:00:00+08:00",
        }),
    ],
  ];
  it.each(attempts)("%s", async (_name, attempt) => {
    const { escalation } = await report(URGENT_DV);
    const hidden = await attempt(escalation.caseId);
    const missing = await attempt(randomUUID());
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json()).toEqual(missing.json());
    expect(hidden.json().code).toBe("ERR_CASE_NOT_FOUND");
    // Nothing happened to the case, not even an audit entry in its name.
    expect(await eventTypes(escalation.caseId)).toEqual(["created"]);
    const row = await t.db.case.findUnique({ where: { id: escalation.caseId } });
    expect(row).toMatchObject({ status: "new", queue: "fulian-dv", claimedBy: null });
  });

  it("and it is not listed", async () => {
    const { escalation } = await report(URGENT_DV);
    const res = await get(child, "/api/staff/cases?status=all");
    expect(res.json().cases.map((c: { id: string }) => c.id)).not.toContain(escalation.caseId);
    const filtered = await get(child, "/api/staff/cases?queue=fulian-dv");
    expect(filtered.json().cases).toEqual([]);
  });
});

describe("claiming is atomic", () => {
  it("two staff claim at once: exactly one 200, one 409 ERR_CASE_ALREADY_CLAIMED naming the holder", async () => {
    const { escalation } = await report(IMMEDIATE_DV);
    const url = `/api/staff/cases/${escalation.caseId}/claim`;
    const [a, b] = await Promise.all([post(dv, url), post(dv2, url)]);
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = a.statusCode === 200 ? a : b;
    const loser = a.statusCode === 200 ? b : a;
    const holder = winner.json().case.claimedBy;
    expect([dv.user.id, dv2.user.id]).toContain(holder.id);
    expect(loser.json()).toMatchObject({ code: "ERR_CASE_ALREADY_CLAIMED", claimedBy: holder });
    expect(loser.json().message).toContain(holder.displayName);
    expect(await eventTypes(escalation.caseId)).toEqual(["created", "claimed"]);
  });

  it("ten claims at once: still exactly one winner", async () => {
    const { escalation } = await report(IMMEDIATE_DV);
    const url = `/api/staff/cases/${escalation.caseId}/claim`;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => post(i % 2 ? dv : dv2, url)));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(9);
    expect((await eventTypes(escalation.caseId)).filter((e) => e === "claimed")).toHaveLength(1);
  });

  it("a closed case cannot be claimed: 409 ERR_CASE_CLOSED", async () => {
    const { escalation } = await report(URGENT_DV);
    expect((await post(sup, `/api/staff/cases/${escalation.caseId}/close`, { outcome: "duplicate" })).statusCode).toBe(
      200,
    );
    const res = await post(dv, `/api/staff/cases/${escalation.caseId}/claim`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe("ERR_CASE_CLOSED");
  });
});

describe("only the claimer (or a supervisor) replies to the resident", () => {
  it("before anyone claims: 409 ERR_CASE_NOT_CLAIMED", async () => {
    const { escalation } = await report(URGENT_DV);
    const res = await post(dv, `/api/staff/cases/${escalation.caseId}/reply`, { text: "你好" });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe("ERR_CASE_NOT_CLAIMED");
  });

  it("another member of the queue: 403 ERR_CASE_CLAIMED_BY_OTHER; a supervisor may", async () => {
    const { escalation } = await report(URGENT_DV);
    await post(dv, `/api/staff/cases/${escalation.caseId}/claim`);
    const other = await post(dv2, `/api/staff/cases/${escalation.caseId}/reply`, { text: "你好" });
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe("ERR_CASE_CLAIMED_BY_OTHER");
    const bySup = await post(sup, `/api/staff/cases/${escalation.caseId}/reply`, { text: "我是督导，我们在跟进。" });
    expect(bySup.statusCode).toBe(200);
  });

  it("a reply is stored as a staff Message with its author; the first reply time is set once", async () => {
    const { conversationId, escalation } = await report(URGENT_DV);
    await post(dv, `/api/staff/cases/${escalation.caseId}/claim`);
    const first = await post(dv, `/api/staff/cases/${escalation.caseId}/reply`, {
      text: "  您好，我是妇联工作人员。  ",
    });
    expect(first.statusCode).toBe(200);
    const firstAt = first.json().case.firstStaffReplyAt;
    expect(firstAt).toBe(MONDAY_10.toISOString());
    t.clock.advance(60_000);
    const second = await post(dv, `/api/staff/cases/${escalation.caseId}/reply`, { text: "请问你现在安全吗？" });
    t.clock.set(MONDAY_10);
    expect(second.json().case.firstStaffReplyAt).toBe(firstAt);
    const staffMessages = await t.db.message.findMany({
      where: { conversationId, role: "staff" },
      orderBy: { createdAt: "asc" },
    });
    expect(staffMessages.map((m) => [m.text, m.authorId])).toEqual([
      ["您好，我是妇联工作人员。", dv.user.id],
      ["请问你现在安全吗？", dv.user.id],
    ]);
    const transcript = second.json().transcript;
    expect(transcript.filter((m: { role: string }) => m.role === "staff")).toEqual([
      expect.objectContaining({ text: "您好，我是妇联工作人员。", author: "张妇联" }),
      expect.objectContaining({ text: "请问你现在安全吗？", author: "张妇联" }),
    ]);
  });

  it.each([
    ["empty", 400, "   "],
    ["2001 characters", 400, "好".repeat(2001)],
    ["a control character", 400, "你好\u0007"],
    ["exactly 2000 characters", 200, "好".repeat(2000)],
  ])("reply text %s → %i", async (_name, status, text) => {
    const { escalation } = await report(URGENT_DV);
    await post(dv, `/api/staff/cases/${escalation.caseId}/claim`);
    const res = await post(dv, `/api/staff/cases/${escalation.caseId}/reply`, { text });
    expect(res.statusCode).toBe(status);
    if (status === 400) expect(res.json().code).toBe("ERR_VALIDATION");
  });
});

describe("the event log records each step, with who did it", () => {
  it("created → viewed → claimed → replied → noted → referred → closed", async () => {
    const { escalation } = await report(URGENT_CHILD);
    const id = escalation.caseId;
    expect(escalation.queue).toBe("minor-protection");
    expect((await get(child, `/api/staff/cases/${id}`)).statusCode).toBe(200);
    await post(child, `/api/staff/cases/${id}/claim`);
    await post(child, `/api/staff/cases/${id}/reply`, { text: "我们已经收到，会尽快核实。" });
    await post(child, `/api/staff/cases/${id}/notes`, { text: "已联系社区儿童主任上门查看。" });
    const early = await post(child, `/api/staff/cases/${id}/close`, { outcome: "mandatory_report_filed" });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe("ERR_MANDATORY_REPORT_MISSING");
    const referred = await post(child, `/api/staff/cases/${id}/mandatory-report`, {
      reportedTo: "公安机关",
      reportedAt: "2026-11-30T09:40:00+08:00",
      referenceNumber: "JY-2026-0042",
    });
    expect(referred.statusCode).toBe(200);
    expect(referred.json().case.mandatoryReports).toEqual([
      expect.objectContaining({
        reportedTo: "公安机关",
        reportedAt: bj("2026-11-30T09:40:00").toISOString(),
        referenceNumber: "JY-2026-0042",
        createdBy: { id: child.user.id, displayName: "王未保" },
      }),
    ]);
    const closed = await post(child, `/api/staff/cases/${id}/close`, {
      outcome: "mandatory_report_filed",
      note: "已报警并强制报告。",
    });
    expect(closed.statusCode).toBe(200);
    const body = closed.json();
    expect(body.case).toMatchObject({
      status: "closed",
      outcome: "mandatory_report_filed",
      closedAt: MONDAY_10.toISOString(),
    });
    expect(body.events.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "viewed",
      "claimed",
      "replied",
      "noted",
      "referred",
      "closed",
    ]);
    const [created, ...rest] = body.events;
    expect(created.actor).toBeNull();
    for (const e of rest) expect(e.actor).toEqual({ id: child.user.id, displayName: "王未保" });
    const byType = Object.fromEntries(body.events.map((e: { type: string; data: unknown }) => [e.type, e.data]));
    expect(byType.noted).toEqual({ text: "已联系社区儿童主任上门查看。" });
    expect(byType.closed).toEqual({ outcome: "mandatory_report_filed", note: "已报警并强制报告。" });
    expect(byType.referred).toMatchObject({ reportedTo: "公安机关", referenceNumber: "JY-2026-0042" });
    const seqs = body.events.map((e: { seq: number }) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // Once closed, the claimer can do no more than note.
    const again = await post(child, `/api/staff/cases/${id}/reply`, { text: "还在吗" });
    expect(again.json().code).toBe("ERR_CASE_CLOSED");
  });

  it("every GET of a case appends a viewed event (the access audit)", async () => {
    const { escalation } = await report(URGENT_DV);
    await get(dv, `/api/staff/cases/${escalation.caseId}`);
    await get(dv2, `/api/staff/cases/${escalation.caseId}`);
    await get(sup, `/api/staff/cases/${escalation.caseId}`);
    const views = await t.db.caseEvent.findMany({
      where: { caseId: escalation.caseId, type: "viewed" },
      orderBy: { id: "asc" },
    });
    expect(views.map((v) => v.actor)).toEqual([dv.user.id, dv2.user.id, sup.user.id]);
  });

  it("the detail carries the transcript, the triage signals and the summary fields", async () => {
    const { escalation } = await report(IMMEDIATE_DV, { area: "沁园街道" });
    const res = await get(dv, `/api/staff/cases/${escalation.caseId}`);
    const body = res.json();
    expect(body.case).toMatchObject({
      id: escalation.caseId,
      category: "domestic_violence",
      severity: "immediate",
      queue: "fulian-dv",
      queueName: "妇联家暴求助",
      status: "new",
      channel: "web",
      area: "沁园街道",
      createdAt: MONDAY_10.toISOString(),
      claimedAt: null,
      claimedBy: null,
      deadline: new Date(MONDAY_10.getTime() + 3 * 60_000).toISOString(),
      overdue: false,
      outcome: null,
      closedAt: null,
      firstStaffReplyAt: null,
      mandatoryReports: [],
    });
    expect(body.case.signals.length).toBeGreaterThan(0);
    expect(body.case.lastEventSeq).toBe(body.events.find((e: { type: string }) => e.type === "created").seq);
    expect(body.transcript.map((m: { role: string }) => m.role)).toEqual(["resident", "bot"]);
    expect(body.transcript[0]).toMatchObject({ text: IMMEDIATE_DV, author: null });
  });
});

describe("transfer puts the case back to new in the other queue", () => {
  it("moves it, unclaims it, restarts its deadline and logs from, to and reason", async () => {
    const { escalation } = await report(URGENT_DV);
    const id = escalation.caseId;
    await post(dv, `/api/staff/cases/${id}/claim`);
    t.clock.advance(5 * 60_000);
    const res = await post(dv, `/api/staff/cases/${id}/transfer`, {
      queue: "minor-protection",
      reason: "受害的是孩子",
    });
    const movedAt = new Date(t.clock.now);
    t.clock.set(MONDAY_10);
    expect(res.statusCode).toBe(200);
    expect(res.json().case).toMatchObject({
      queue: "minor-protection",
      queueName: "未成年人保护",
      status: "new",
      claimedBy: null,
      claimedAt: null,
      deadline: new Date(movedAt.getTime() + 15 * 60_000).toISOString(),
    });
    expect(res.json().events.at(-1)).toMatchObject({
      type: "transferred",
      data: { from: "fulian-dv", to: "minor-protection", reason: "受害的是孩子" },
    });
    expect((await get(child, `/api/staff/cases/${id}`)).statusCode).toBe(200);
    expect((await get(dv2, `/api/staff/cases/${id}`)).statusCode).toBe(404);
  });

  it("to an unknown queue → 400 ERR_QUEUE_UNKNOWN; to its own queue → 400 ERR_TRANSFER_SAME_QUEUE", async () => {
    const { escalation } = await report(URGENT_DV);
    const unknown = await post(dv, `/api/staff/cases/${escalation.caseId}/transfer`, {
      queue: "no-such-queue",
      reason: "x",
    });
    expect(unknown.json().code).toBe("ERR_QUEUE_UNKNOWN");
    const same = await post(dv, `/api/staff/cases/${escalation.caseId}/transfer`, { queue: "fulian-dv", reason: "x" });
    expect(same.json().code).toBe("ERR_TRANSFER_SAME_QUEUE");
  });
});

describe("the queue list", () => {
  async function insertCase(severity: string, queue: string, createdAt: Date, status = "new") {
    const conversationId = randomUUID().replace(/-/g, "");
    await t.db.conversation.create({
      data: { id: conversationId, channel: "web", createdAt, purgeAfter: new Date(createdAt.getTime() + 86_400_000) },
    });
    const id = randomUUID();
    await t.db.case.create({
      data: {
        id,
        conversationId,
        category: "domestic_violence",
        severity,
        queue,
        status,
        channel: "web",
        signals: "[]",
        createdAt,
      },
    });
    await t.db.caseEvent.create({ data: { caseId: id, type: "created", createdAt } });
    return id;
  }

  it("is ordered immediate, urgent, concern, then longest waiting first, with deadline and overdue flag", async () => {
    const fresh = await buildCasesTestApp({ start: MONDAY_10 });
    const prev = t;
    t = fresh;
    try {
      const me = await createStaffAndLogin(t, { queues: ["fulian-dv"] });
      const min = 60_000;
      const ids = {
        concernOld: await insertCase("concern", "fulian-dv", new Date(MONDAY_10.getTime() - 300 * min)),
        urgentNew: await insertCase("urgent", "fulian-dv", new Date(MONDAY_10.getTime() - 5 * min)),
        immediateNew: await insertCase("immediate", "fulian-dv", new Date(MONDAY_10.getTime() - 1 * min)),
        urgentOld: await insertCase("urgent", "fulian-dv", new Date(MONDAY_10.getTime() - 20 * min)),
        immediateOld: await insertCase("immediate", "fulian-dv", new Date(MONDAY_10.getTime() - 4 * min)),
        otherQueue: await insertCase("immediate", "minor-protection", new Date(MONDAY_10.getTime() - 9 * min)),
        closed: await insertCase("immediate", "fulian-dv", new Date(MONDAY_10.getTime() - 9 * min), "closed"),
      };
      const res = await get(me, "/api/staff/cases?status=open");
      expect(res.statusCode).toBe(200);
      const cases = res.json().cases as { id: string; overdue: boolean; deadline: string }[];
      expect(cases.map((c) => c.id)).toEqual([
        ids.immediateOld,
        ids.immediateNew,
        ids.urgentOld,
        ids.urgentNew,
        ids.concernOld,
      ]);
      expect(cases.map((c) => c.overdue)).toEqual([true, false, true, false, false]);
      expect(cases[0]?.deadline).toBe(new Date(MONDAY_10.getTime() - 1 * min).toISOString());
      const closed = await get(me, "/api/staff/cases?status=closed");
      expect(closed.json().cases.map((c: { id: string }) => c.id)).toEqual([ids.closed]);
      expect(closed.json().cases[0].overdue).toBe(false);
      const all = await get(me, "/api/staff/cases?status=all");
      expect(all.json().cases).toHaveLength(6);
      const bad = await get(me, "/api/staff/cases?status=pending");
      expect(bad.statusCode).toBe(400);
    } finally {
      t = prev;
      await fresh.close();
    }
  });

  it("GET /api/staff/queues: the queues the member sees, staffed now or when next", async () => {
    const mine = await get(dv, "/api/staff/queues");
    expect(mine.json()).toEqual({
      queues: [{ id: "fulian-dv", name: "妇联家暴求助", openNow: true, nextOpenAt: null }],
    });
    const all = await get(sup, "/api/staff/queues");
    expect(
      all
        .json()
        .queues.map((q: { id: string }) => q.id)
        .sort(),
    ).toEqual(
      ["crisis-intervention", "fulian-dv", "minor-protection", "sexual-violence", "trafficking-missing"].sort(),
    );
    t.clock.set(bj("2026-11-30T20:00:00"));
    try {
      // Signed in this evening (the daytime sessions have gone idle by now).
      const nightSup = await createStaffAndLogin(t, { role: "supervisor" });
      const evening = await get(nightSup, "/api/staff/queues");
      expect(evening.json().queues[0]).toMatchObject({
        openNow: false,
        nextOpenAt: bj("2026-12-01T08:30:00").toISOString(),
      });
    } finally {
      t.clock.set(MONDAY_10);
    }
  });
});

describe("GET /api/staff/events backfills what a console missed", () => {
  it("returns the events after a sequence number that the member may see, in order, without views", async () => {
    const start = (await get(dv, "/api/staff/events?after=0")).json();
    let after = 0;
    let page = start;
    while (page.more) {
      after = page.next;
      page = (await get(dv, `/api/staff/events?after=${after}`)).json();
    }
    const cursor = page.next;
    const mineCase = await report(URGENT_DV);
    const otherCase = await report(URGENT_CHILD);
    await get(dv, `/api/staff/cases/${mineCase.escalation.caseId}`);
    await post(dv, `/api/staff/cases/${mineCase.escalation.caseId}/claim`);
    const res = await get(dv, `/api/staff/events?after=${cursor}`);
    expect(res.statusCode).toBe(200);
    const frames = res.json().events as { type: string; seq: number; event: { type: string; caseId: string } }[];
    expect(frames.map((f) => [f.event.caseId, f.event.type])).toEqual([
      [mineCase.escalation.caseId, "created"],
      [mineCase.escalation.caseId, "claimed"],
    ]);
    expect(frames.every((f) => f.type === "case_event")).toBe(true);
    expect(frames.map((f) => f.event.caseId)).not.toContain(otherCase.escalation.caseId);
    const supFrames = (await get(sup, `/api/staff/events?after=${cursor}`)).json().events;
    expect(supFrames.map((f: { event: { caseId: string } }) => f.event.caseId)).toContain(otherCase.escalation.caseId);
  });

  it("a case transferred out of my queue: I get its transferred event, not the rest", async () => {
    const { escalation } = await report(URGENT_DV);
    const before = await t.db.caseEvent.findFirst({ where: { caseId: escalation.caseId }, orderBy: { id: "asc" } });
    await post(dv, `/api/staff/cases/${escalation.caseId}/transfer`, { queue: "minor-protection", reason: "是孩子" });
    await post(child, `/api/staff/cases/${escalation.caseId}/claim`);
    const mine = (await get(dv, `/api/staff/events?after=${(before?.id ?? 1) - 1}`))
      .json()
      .events.filter((f: { event: { caseId: string } }) => f.event.caseId === escalation.caseId);
    expect(mine.map((f: { event: { type: string } }) => f.event.type)).toEqual(["transferred"]);
    const theirs = (await get(child, `/api/staff/events?after=${(before?.id ?? 1) - 1}`))
      .json()
      .events.filter((f: { event: { caseId: string } }) => f.event.caseId === escalation.caseId);
    expect(theirs.map((f: { event: { type: string } }) => f.event.type)).toEqual(["created", "transferred", "claimed"]);
  });
});
