import type { Browser, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ask, launchBrowser, openChat, type RunningApp } from "./browser-helpers.ts";
import {
  type ConsolePage,
  caseRow,
  countTones,
  createStaff,
  liveConnected,
  logEntries,
  loginConsole,
  openConsole,
  startStaffApp,
  tonesPlayed,
} from "./staff-browser-helpers.ts";

const PASSWORD = "Lantern-harbor-7731";
const ZHANG = { username: "zhangmin", displayName: "张敏", password: PASSWORD, queues: ["fulian-dv"] };
const LI = { username: "liqiang", displayName: "李强", password: PASSWORD, queues: ["fulian-dv"] };
const REPORT = "我老公又打我了 我现在躲在厕所里";
const REPLY = "我们是妇联工作人员，你现在安全吗？";
/** Three browser contexts and a resident's chat: more than the default 30 s when the machine is busy. */
const LONG = 90_000;

let browser: Browser;
let running: RunningApp;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  [browser, running] = await Promise.all([launchBrowser(), startStaffApp({ RATE_LIMIT_PER_MINUTE: "1000" })]);
  await createStaff(running.t, ZHANG);
  await createStaff(running.t, LI);
});

afterAll(async () => {
  for (const page of opened) await page.close().catch(() => undefined);
  await browser?.close();
  await running?.t.close();
});

async function consoleFor(
  staff: { username: string; password: string },
  app: RunningApp = running,
  setup?: (page: Page) => Promise<void>,
): Promise<ConsolePage> {
  const c = await openConsole(browser, app.baseUrl, setup ? { setup } : {});
  opened.push(c);
  await loginConsole(c.page, staff.username, staff.password);
  return c;
}

/** What went wrong on a page, less the one expected 401 (the page asks whether it is signed in before login). */
function realProblems(c: ConsolePage): string[] {
  return c.problems.filter((p) => !/status of 401/.test(p));
}

async function eventTypesShown(page: Page): Promise<string[]> {
  return page
    .locator("#event-log li")
    .evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.type ?? ""));
}

describe("staff console in Chromium", () => {
  it("a report reaches two consoles live; A claims, replies, closes while B sees it taken", {
    timeout: LONG,
  }, async () => {
    const a = await consoleFor(ZHANG);
    const b = await consoleFor(LI);
    await expect(a.page.locator("#me-name").textContent()).resolves.toBe("张敏");

    // A resident reports domestic violence on the web chat.
    const resident = await openChat(browser, running.baseUrl);
    opened.push(resident);
    const urgentReply = await ask(resident.page, REPORT);
    expect(await urgentReply.getAttribute("class")).toContain("msg-urgent");
    const record = await running.t.db.case.findFirstOrThrow({ where: { category: "domestic_violence" } });
    expect(record.queue).toBe("fulian-dv");

    // It appears on both consoles without a reload, highlighted as new.
    for (const c of [a, b]) {
      const row = caseRow(c.page, record.id);
      await row.waitFor();
      expect(await row.locator(".row-category").textContent()).toBe("家庭暴力");
      expect(await row.getAttribute("class")).toContain("case-row-new");
      expect(await row.locator(".row-claim").textContent()).toBe("未认领");
      await row.locator(".row-sla", { hasText: /剩余|超时/ }).waitFor();
    }

    // Both open it; the resident's words are in the transcript.
    for (const c of [a, b]) {
      await caseRow(c.page, record.id).click();
      await c.page.locator("#transcript .bubble-resident", { hasText: REPORT }).waitFor();
      await c.page.locator("#claim-btn").waitFor({ state: "visible" });
    }
    await a.page.screenshot({ path: "/tmp/console-new-case.png" });

    // A claims; B sees it taken, in the open case and in the list, live.
    await a.page.locator("#claim-btn").click();
    await a.page.locator("#claim-state.claim-mine", { hasText: "由你负责" }).waitFor();
    await b.page.locator("#claim-state.claim-other", { hasText: "已被张敏认领" }).waitFor();
    await b.page.locator("#claim-btn").waitFor({ state: "hidden" });
    await caseRow(b.page, record.id).locator(".row-claim", { hasText: "已被张敏认领" }).waitFor();
    expect(await b.page.locator("#reply-send").isDisabled()).toBe(true);

    // A replies; the resident's page shows it as a message from 工作人员.
    await a.page.locator("#reply-input").fill(REPLY);
    await a.page.locator("#reply-send").click();
    await a.page.locator("#transcript .bubble-staff", { hasText: REPLY }).waitFor();
    const staffMsg = resident.page.locator("#messages .msg-staff", { hasText: REPLY });
    await staffMsg.waitFor();
    expect(await staffMsg.textContent()).toContain("工作人员");
    await b.page.locator("#transcript .bubble-staff", { hasText: REPLY }).waitFor();
    await a.page.screenshot({ path: "/tmp/console.png" });

    // A closes it with an outcome.
    await a.page.locator("#close-card > summary").click();
    await a.page.locator("#close-outcome").selectOption("referred_service");
    await a.page.locator("#close-note").fill("已转介区妇联维权站跟进");
    await a.page.locator("#close-btn").click();
    await a.page.locator("#case-status", { hasText: "已结案" }).waitFor();
    await logEntries(a.page, "closed").waitFor();

    // The event log shows each step, in order.
    const shown = (await eventTypesShown(a.page)).filter((t) =>
      ["created", "claimed", "replied", "closed"].includes(t),
    );
    expect(shown).toEqual(["created", "claimed", "replied", "closed"]);
    expect(await logEntries(a.page, "claimed").textContent()).toContain("张敏");
    expect(await logEntries(a.page, "closed").textContent()).toContain("已转介服务机构");
    await logEntries(b.page, "closed").waitFor();
    // It left B's open list live.
    await caseRow(b.page, record.id).waitFor({ state: "detached" });
    await a.page.screenshot({ path: "/tmp/console-closed.png" });

    // The database holds the same steps, in order.
    const events = await running.t.db.caseEvent.findMany({ where: { caseId: record.id }, orderBy: { id: "asc" } });
    const steps = events.map((e) => e.type).filter((t) => ["created", "claimed", "replied", "closed"].includes(t));
    expect(steps).toEqual(["created", "claimed", "replied", "closed"]);
    const closed = await running.t.db.case.findUniqueOrThrow({ where: { id: record.id } });
    expect(closed.status).toBe("closed");
    expect(closed.outcome).toBe("referred_service");

    // Both consoles asked to resume after connecting; nothing broke the CSP or threw.
    for (const c of [a, b]) {
      expect(c.wsSent.some((f) => f.type === "resume")).toBe(true);
      expect(realProblems(c)).toEqual([]);
    }
    expect(resident.problems).toEqual([]);
  });

  it("works a child-harm case: note, transfer, claim, 强制报告, close as reported", { timeout: LONG }, async () => {
    const ZHAO = {
      username: "zhaoli",
      displayName: "赵丽",
      password: PASSWORD,
      queues: ["minor-protection", "fulian-dv"],
    };
    await createStaff(running.t, ZHAO);
    const c = await consoleFor(ZHAO);
    const { page } = c;
    const res = await running.t.app.inject({
      method: "POST",
      url: "/api/chat",
      payload: { text: "邻居家孩子身上都是伤 他爸天天打他", channel: "web", area: "克井镇" },
    });
    expect(res.statusCode).toBe(200);
    const record = await running.t.db.case.findFirstOrThrow({ where: { category: "child_harm" } });
    expect(record.queue).toBe("minor-protection");

    await caseRow(page, record.id).click();
    await page.locator("#case-category", { hasText: "儿童受害" }).waitFor();
    await page.locator("#case-signals li", { hasText: "身上可见伤痕" }).waitFor();
    await page.locator("#report-card").waitFor({ state: "visible" });
    // 强制报告 and closing wait for a claim.
    expect(await page.locator("#report-add").isDisabled()).toBe(true);
    expect(await page.locator("#close-btn").isDisabled()).toBe(true);

    await page.locator("#note-input").fill("已联系社区儿童主任上门查看");
    await page.locator("#note-add").click();
    await logEntries(page, "noted").filter({ hasText: "已联系社区儿童主任上门查看" }).waitFor();

    await page.locator("#transfer-card > summary").click();
    await page.locator("#transfer-queue").selectOption("fulian-dv");
    await page.locator("#transfer-reason").fill("施暴人同时对母亲施暴");
    await page.locator("#transfer-btn").click();
    await logEntries(page, "transferred").filter({ hasText: "施暴人同时对母亲施暴" }).waitFor();
    await page.locator("#case-queue", { hasText: "妇联家暴求助" }).waitFor();

    await page.locator("#claim-btn").click();
    await page.locator("#claim-state.claim-mine", { hasText: "由你负责" }).waitFor();

    await page.locator("#report-card > summary").click();
    await page.locator("#report-to").fill("公安机关");
    await page.locator("#report-ref").fill("JY-2026-0042");
    await page.locator("#report-add").click();
    await page.locator("#report-list li", { hasText: "公安机关" }).waitFor();
    expect(await page.locator("#report-list").textContent()).toContain("JY-2026-0042");
    await logEntries(page, "referred").waitFor();

    await page.locator("#close-card > summary").click();
    await page.locator("#close-outcome").selectOption("mandatory_report_filed");
    await page.locator("#close-btn").click();
    await page.locator("#case-status", { hasText: "已结案" }).waitFor();
    await page.screenshot({ path: "/tmp/console-child-harm.png" });

    const shown = (await eventTypesShown(page)).filter((t) => t !== "viewed");
    expect(shown).toEqual(["created", "noted", "transferred", "claimed", "referred", "closed"]);
    const reports = await running.t.db.mandatoryReport.findMany({ where: { caseId: record.id } });
    expect(reports).toMatchObject([{ reportedTo: "公安机关", referenceNumber: "JY-2026-0042" }]);
    expect(realProblems(c)).toEqual([]);
  });

  it("reconnects after the live connection drops and resumes from the last event it saw", async () => {
    const sockets: WebSocketRoute[] = [];
    const fromPage: Array<Record<string, unknown>> = [];
    const toPage: Array<Record<string, unknown>> = [];
    const c = await consoleFor(LI, running, async (page) => {
      // The real server behind a tap, so the test can cut the line and read both directions.
      await page.routeWebSocket(/\/ws\/staff$/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((m) => {
          fromPage.push(JSON.parse(String(m)) as Record<string, unknown>);
          server.send(m);
        });
        server.onMessage((m) => {
          toPage.push(JSON.parse(String(m)) as Record<string, unknown>);
          ws.send(m);
        });
        sockets.push(ws);
      });
    });
    const { page } = c;
    const resumes = () => fromPage.filter((f) => f.type === "resume");
    await expect.poll(() => resumes().length).toBe(1);

    // Before reconnecting the page checks its session: held here until the resident has written.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/api/staff/me", async (route) => {
      await held;
      await route.continue();
    });
    await sockets[0]?.close({ code: 4000, reason: "line cut" });
    await page.locator('#conn[data-state="down"]').waitFor({ state: "attached" });

    const res = await running.t.app.inject({
      method: "POST",
      url: "/api/chat",
      payload: { text: "他又动手了 我跑到邻居家了", channel: "web", area: "济水街道" },
    });
    expect(res.statusCode).toBe(200);
    const missed = await running.t.db.case.findFirstOrThrow({
      where: { category: "domestic_violence", status: "new" },
      include: { events: { where: { type: "created" } } },
    });
    release();

    await liveConnected(page);
    const row = caseRow(page, missed.id);
    await row.waitFor();
    expect(await row.getAttribute("class")).toContain("case-row-new");
    await expect.poll(() => resumes().length).toBe(2);
    const [first, second] = resumes();
    const createdSeq = missed.events[0]?.id ?? 0;
    expect(Number(second?.after)).toBeGreaterThanOrEqual(Number(first?.after));
    expect(Number(second?.after)).toBeLessThan(createdSeq);
    // The missed event came down the new socket as a replay.
    expect(toPage.some((f) => f.type === "case_event" && f.seq === createdSeq)).toBe(true);
    expect(realProblems(c)).toEqual([]);
  });

  it("logs out: the socket closes and the page forgets the cases", async () => {
    const c = await consoleFor(ZHANG);
    await liveConnected(c.page);
    expect(c.sockets.filter((s) => s.url().endsWith("/ws/staff") && !s.isClosed())).toHaveLength(1);
    await c.page.locator("#logout").click();
    await c.page.locator("#login-view").waitFor({ state: "visible" });
    await c.page.locator('#conn[data-state="down"]').waitFor({ state: "attached" });
    expect(await c.page.locator("#case-list li").count()).toBe(0);
    await expect.poll(() => c.sockets.every((s) => s.isClosed())).toBe(true);
    // The session is over on the server too: a reload lands on the login form.
    await c.page.reload();
    await c.page.locator("#login-view").waitFor({ state: "visible" });
    expect(realProblems(c)).toEqual([]);
  });
});

describe("claim deadline alerts", () => {
  const SUPERVISOR = { username: "wangsup", displayName: "王督导", password: PASSWORD, role: "supervisor" as const };
  /** The app's clock runs this far from the real one (cases are created "in the past"). */
  let offsetMs = 0;
  let clocked: RunningApp;

  beforeAll(async () => {
    clocked = await startStaffApp(
      { RATE_LIMIT_PER_MINUTE: "1000" },
      { now: () => new Date(Date.now() + offsetMs), timers: false },
    );
    await createStaff(clocked.t, SUPERVISOR);
  });

  afterAll(async () => {
    await clocked?.t.close();
  });

  it("turns the countdown red, shows a banner and beeps when an unclaimed case passes its deadline (a supervisor, for any queue)", {
    timeout: LONG,
  }, async () => {
    const sup = await consoleFor(SUPERVISOR, clocked, countTones);
    // Signing in was a click: the page may now make sound.
    await sup.page.locator("#sound.sound-on").waitFor();
    const tonesBefore = await tonesPlayed(sup.page);

    // A report made "2 min 54 s ago": its 3-minute claim deadline is 6 s away.
    offsetMs = -(3 * 60_000 - 6_000);
    const res = await clocked.t.app.inject({
      method: "POST",
      url: "/api/chat",
      payload: { text: REPORT, channel: "web", area: "沁园街道" },
    });
    expect(res.statusCode).toBe(200);
    offsetMs = 0;
    const record = await clocked.t.db.case.findFirstOrThrow({ where: { category: "domestic_violence" } });
    expect(record.severity).toBe("immediate");

    const row = caseRow(sup.page, record.id);
    await row.waitFor();
    expect(await row.locator(".row-sla").textContent()).toMatch(/^剩余 00:0\d$/);
    expect(await sup.page.locator("#alert-banner").isHidden()).toBe(true);

    // The deadline passes with nobody claiming: red countdown, banner, tone, tab title.
    await row.locator(".row-sla.sla-overdue", { hasText: /^超时 \d\d:\d\d$/ }).waitFor();
    const banner = sup.page.locator("#alert-banner");
    await banner.waitFor({ state: "visible" });
    expect(await banner.textContent()).toContain("家庭暴力");
    expect(await banner.textContent()).toContain("还没有人认领");
    await expect.poll(() => tonesPlayed(sup.page)).toBeGreaterThan(tonesBefore);
    expect(await sup.page.title()).toContain("超时");
    await sup.page.screenshot({ path: "/tmp/console-alert.png" });

    // The server's SLA monitor records the breach; it reaches the open case's log live.
    await sup.page.locator("#alert-open").click();
    await sup.page.locator("#case-category", { hasText: "家庭暴力" }).waitFor();
    expect(await clocked.t.app.slaMonitor.check(new Date())).toContain(record.id);
    await logEntries(sup.page, "sla_breached").waitFor();

    // Claiming ends the alert.
    await sup.page.locator("#claim-btn").click();
    await sup.page.locator("#claim-state.claim-mine", { hasText: "由你负责" }).waitFor();
    await banner.waitFor({ state: "hidden" });
    expect(await row.locator(".row-sla").textContent()).toBe("超时后认领");
    expect(await sup.page.title()).not.toContain("超时");
    expect(realProblems(sup)).toEqual([]);
  });
});
