import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  asStaff,
  buildCasesTestApp,
  type CasesTestApp,
  createStaffAndLogin,
  type Frame,
  listen,
  openStaffSocket,
  type StaffLogin,
} from "../helpers/staff-helpers.ts";

const onPostgres = inject("pgAdminUrl") !== "";
const IMMEDIATE_DV = "我老公正在打我，他拿着刀，快来人";
const URGENT_CHILD = "邻居家的小孩天天被他爸打，身上都是伤";

let t: CasesTestApp;
let base: string;
let dv: StaffLogin;
let child: StaffLogin;
let sup: StaffLogin;

beforeAll(async () => {
  t = await buildCasesTestApp({ realClock: true });
  base = await listen(t);
  dv = await createStaffAndLogin(t, { queues: ["fulian-dv"], displayName: "张妇联" });
  child = await createStaffAndLogin(t, { queues: ["minor-protection"], displayName: "王未保" });
  sup = await createStaffAndLogin(t, { role: "supervisor", displayName: "赵督导" });
});
afterAll(async () => t.close());

async function report(text: string) {
  const res = await fetch(`${base}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { conversationId: string; escalation: { caseId: string } };
}

async function refusal(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (err) {
    return (err as { statusCode?: number }).statusCode ?? -1;
  }
  throw new Error("the upgrade was accepted");
}

const caseEventOf = (caseId: string, type: string) => (f: Frame) =>
  f.type === "case_event" &&
  (f.event as { caseId: string; type: string }).caseId === caseId &&
  (f.event as { type: string }).type === type;

describe("/ws/staff only upgrades for a signed-in staff member on the console's own origin", () => {
  it("a foreign Origin is refused with 403 before the upgrade", async () => {
    expect(await refusal(openStaffSocket(base, dv, { origin: "http://evil.example" }))).toBe(403);
    // Same host, other scheme or port: still another origin.
    expect(await refusal(openStaffSocket(base, dv, { origin: base.replace("http:", "https:") }))).toBe(403);
    expect(await refusal(openStaffSocket(base, dv, { origin: base.replace(/:\d+$/, ":1") }))).toBe(403);
  });

  it("a missing Origin is refused with 403", async () => {
    expect(await refusal(openStaffSocket(base, dv, { origin: null }))).toBe(403);
  });

  it("no session (or a dead one) is refused with 401, whatever the Origin", async () => {
    expect(await refusal(openStaffSocket(base, null))).toBe(401);
    expect(await refusal(openStaffSocket(base, { cookie: "fuer_staff=nope" }))).toBe(401);
  });

  it("the app's own Origin with a valid session is accepted", async () => {
    const s = await openStaffSocket(base, dv);
    expect(await s.next((f) => f.type === "hello")).toMatchObject({ staff: { id: dv.user.id, displayName: "张妇联" } });
    s.ws.send(JSON.stringify({ type: "ping" }));
    expect((await s.next()).type).toBe("pong");
    s.ws.send("not json");
    expect(await s.next()).toMatchObject({ type: "error", code: "ERR_INVALID_JSON" });
    s.ws.send(JSON.stringify({ type: "subscribe-all" }));
    expect(await s.next()).toMatchObject({ type: "error", code: "ERR_VALIDATION" });
    s.close();
  });

  it("behind a trusted proxy the origin is the public one (X-Forwarded-Proto / X-Forwarded-Host)", async () => {
    const proxied = await buildCasesTestApp({ realClock: true, env: { TRUST_PROXY: "true" } });
    try {
      const url = await listen(proxied);
      const login = await createStaffAndLogin(proxied, { queues: ["fulian-dv"] });
      const headers = { "x-forwarded-proto": "https", "x-forwarded-host": "fuer.example.cn" };
      const s = await openStaffSocket(url, login, { origin: "https://fuer.example.cn", headers });
      s.close();
      expect(await refusal(openStaffSocket(url, login, { origin: url, headers }))).toBe(403);
    } finally {
      await proxied.close();
    }
  });
});

describe("live case events reach every connected member who may see the case's queue", () => {
  it("created, claimed, replied… pushed with the case summary; never `viewed`; never to other queues", async () => {
    const dvSocket = await openStaffSocket(base, dv);
    const childSocket = await openStaffSocket(base, child);
    const supSocket = await openStaffSocket(base, sup);
    for (const s of [dvSocket, childSocket, supSocket]) await s.next((f) => f.type === "hello");

    const dvReport = await report(IMMEDIATE_DV);
    const dvCase = dvReport.escalation.caseId;
    const created = await dvSocket.next(caseEventOf(dvCase, "created"));
    expect(created).toMatchObject({
      type: "case_event",
      event: { caseId: dvCase, type: "created", actor: null },
      case: { id: dvCase, queue: "fulian-dv", queueName: "妇联家暴求助", status: "new", severity: "immediate" },
    });
    expect(created.seq).toBe((created.event as { seq: number }).seq);
    await supSocket.next(caseEventOf(dvCase, "created"));

    await t.app.inject({ method: "GET", url: `/api/staff/cases/${dvCase}`, ...asStaff(dv) });
    const claim = await t.app.inject({ method: "POST", url: `/api/staff/cases/${dvCase}/claim`, ...asStaff(dv) });
    expect(claim.statusCode).toBe(200);
    const claimed = await dvSocket.next(caseEventOf(dvCase, "claimed"));
    expect(claimed).toMatchObject({
      event: { actor: { id: dv.user.id, displayName: "张妇联" } },
      case: { status: "claimed", claimedBy: { id: dv.user.id, displayName: "张妇联" } },
    });

    // The child-protection member got nothing about the DV case: their first frame is their own queue's.
    const childReport = await report(URGENT_CHILD);
    const first = await childSocket.next((f) => f.type === "case_event");
    expect((first.event as { caseId: string }).caseId).toBe(childReport.escalation.caseId);

    const all = [...dvSocket.frames, ...childSocket.frames, ...supSocket.frames];
    expect(all.some((f) => f.type === "case_event" && (f.event as { type: string }).type === "viewed")).toBe(false);
    for (const s of [dvSocket, childSocket, supSocket]) s.close();
  });

  it("a resident's follow-up pushes `resident_message`", async () => {
    const s = await openStaffSocket(base, dv);
    const first = await report(IMMEDIATE_DV);
    await s.next(caseEventOf(first.escalation.caseId, "created"));
    await fetch(`${base}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "他还在门外", conversationId: first.conversationId }),
    });
    const f = await s.next(caseEventOf(first.escalation.caseId, "resident_message"));
    expect(f.case).toMatchObject({ id: first.escalation.caseId });
    s.close();
  });

  it("`resume` replays the missed events in order, then continues live without duplicates", async () => {
    const s1 = await openStaffSocket(base, dv);
    await s1.next((f) => f.type === "hello");
    const a = await report(IMMEDIATE_DV);
    const createdA = await s1.next(caseEventOf(a.escalation.caseId, "created"));
    s1.close();

    // While the console is away:
    const b = await report(IMMEDIATE_DV);
    await t.app.inject({ method: "POST", url: `/api/staff/cases/${a.escalation.caseId}/claim`, ...asStaff(dv) });

    const s2 = await openStaffSocket(base, dv);
    s2.ws.send(JSON.stringify({ type: "resume", after: createdA.seq }));
    const replayed: Frame[] = [];
    for (;;) {
      const f = await s2.next();
      if (f.type === "resumed") break;
      if (f.type === "case_event") replayed.push(f);
    }
    // The replay starts a little before `after` (events numbered earlier may commit later);
    // the console drops by seq what it already has.
    expect(replayed.some((f) => f.seq === createdA.seq)).toBe(true);
    const missed = replayed.filter((f) => (f.seq as number) > (createdA.seq as number));
    const mine = missed.map((f) => [(f.event as { caseId: string }).caseId, (f.event as { type: string }).type]);
    expect(mine).toEqual([
      [b.escalation.caseId, "created"],
      [a.escalation.caseId, "claimed"],
    ]);
    const seqs = missed.map((f) => f.seq as number);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);

    const c = await report(IMMEDIATE_DV);
    await s2.next(caseEventOf(c.escalation.caseId, "created"));
    const createdC = s2.frames.filter(caseEventOf(c.escalation.caseId, "created"));
    expect(createdC).toHaveLength(1);
    s2.close();
  });
});

describe.skipIf(!onPostgres)(
  "PostgreSQL: an event numbered earlier but committed later still reaches the console",
  () => {
    /** A case event inserted in a transaction that stays open until `commit()` (a slow instance). */
    async function slowEvent(caseId: string) {
      let commit!: () => void;
      const gate = new Promise<void>((r) => {
        commit = r;
      });
      let seq!: (n: number) => void;
      const numbered = new Promise<number>((r) => {
        seq = r;
      });
      const done = t.db.$transaction(
        async (tx) => {
          const e = await tx.caseEvent.create({
            data: { caseId, type: "noted", data: JSON.stringify({ text: "慢事务" }) },
          });
          seq(e.id);
          await gate;
        },
        { timeout: 20_000 },
      );
      return {
        seq: await numbered,
        commit: async () => {
          commit();
          await done;
        },
      };
    }

    it("a resume after a higher seq replays the late one", async () => {
      const a = await report(IMMEDIATE_DV);
      const late = await slowEvent(a.escalation.caseId);
      const s1 = await openStaffSocket(base, dv);
      await s1.next((f) => f.type === "hello");
      const b = await report(IMMEDIATE_DV);
      const createdB = await s1.next(caseEventOf(b.escalation.caseId, "created"));
      expect(createdB.seq as number).toBeGreaterThan(late.seq);
      s1.close();
      await late.commit();

      const s2 = await openStaffSocket(base, dv);
      s2.ws.send(JSON.stringify({ type: "resume", after: createdB.seq }));
      const seqs: number[] = [];
      for (;;) {
        const f = await s2.next();
        if (f.type === "resumed") break;
        if (f.type === "case_event") seqs.push(f.seq as number);
      }
      expect(seqs).toContain(late.seq);
      s2.close();
    });

    it("a live console that resumed after a higher seq still gets the late one when it commits", async () => {
      const a = await report(IMMEDIATE_DV);
      const late = await slowEvent(a.escalation.caseId);
      const b = await report(IMMEDIATE_DV);
      const s = await openStaffSocket(base, dv);
      await s.next((f) => f.type === "hello");
      const last = await t.db.caseEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
      s.ws.send(JSON.stringify({ type: "resume", after: last?.id }));
      await s.next((f) => f.type === "resumed");
      expect(s.frames.some(caseEventOf(b.escalation.caseId, "created"))).toBe(true);
      await late.commit();
      // No NOTIFY was sent for it (the slow instance "died"): the bus's sweep finds it.
      const f = await s.next((x) => x.type === "case_event" && x.seq === late.seq, 15_000);
      expect((f.event as { type: string }).type).toBe("noted");
      s.close();
    });
  },
);

describe("a session's sockets close when the session closes", () => {
  it("logout closes the console's socket with 4401", async () => {
    const login = await createStaffAndLogin(t, { queues: ["fulian-dv"] });
    const s = await openStaffSocket(base, login);
    await s.next((f) => f.type === "hello");
    const out = await t.app.inject({ method: "POST", url: "/api/staff/logout", ...asStaff(login) });
    expect(out.statusCode).toBe(204);
    expect((await s.closed).code).toBe(4401);
  });

  it("revoking all of a user's sessions closes all their sockets; others stay open", async () => {
    const login = await createStaffAndLogin(t, { queues: ["fulian-dv"] });
    const other = await openStaffSocket(base, dv);
    const a = await openStaffSocket(base, login);
    const b = await openStaffSocket(base, login);
    await t.app.staffService.revokeAllForUser(login.user.id);
    expect((await a.closed).code).toBe(4401);
    expect((await b.closed).code).toBe(4401);
    other.ws.send(JSON.stringify({ type: "ping" }));
    expect((await other.next((f) => f.type === "pong")).type).toBe("pong");
    other.close();
  });
});
