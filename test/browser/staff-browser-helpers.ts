import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { Browser, BrowserContext, Locator, Page, WebSocket } from "playwright-core";
import { type AppDeps, buildApp } from "../../src/app.ts";
import { staffPageRoutes } from "../../src/channels/staff/staff-page-routes.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createPrismaClient } from "../../src/db/prisma-client.ts";
import { createLogger } from "../../src/shared/logger.ts";
import type { StaffRole, StaffUserView } from "../../src/staff/staff-plugin.ts";
import type { TestApp } from "../helpers/test-app.ts";
import { sharedKnowledge } from "../helpers/test-app.ts";
import { createTestDatabase } from "../helpers/test-db.ts";
import type { RunningApp } from "./browser-helpers.ts";

/** The desktop size the console is designed for. */
export const CONSOLE_VIEWPORT = { width: 1280, height: 800 };

/**
 * The real app on a real socket with the staff console mounted. buildTestApp()
 * calls ready(), after which no route can be added, so this builds the app the
 * same way and mounts /staff before ready() — unless src/app.ts already does.
 */
export async function startStaffApp(
  env: Record<string, string> = {},
  deps: Pick<AppDeps, "now" | "timers"> = {},
): Promise<RunningApp> {
  const database = await createTestDatabase("console");
  const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: "info", ...env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const db = createPrismaClient(config.DATABASE_URL);
  const app = await buildApp({ config, db, knowledge: sharedKnowledge(), logger: createLogger("info", sink), ...deps });
  if (!app.hasRoute({ method: "GET", url: "/staff" })) await app.register(staffPageRoutes);
  await app.ready();
  const t: TestApp = {
    app,
    db,
    logs,
    async close() {
      await app.close();
      await db.$disconnect();
      await database.drop();
    },
  };
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return { t, baseUrl: `http://127.0.0.1:${port}` };
}

export interface NewStaff {
  username: string;
  displayName: string;
  password: string;
  role?: StaffRole;
  queues?: string[];
}

/** A staff account made through the real staff service (password policy and all). */
export async function createStaff(t: TestApp, staff: NewStaff): Promise<StaffUserView> {
  return t.app.staffService.createUser({
    username: staff.username,
    displayName: staff.displayName,
    password: staff.password,
    role: staff.role ?? "staff",
    queues: staff.queues ?? [],
  });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught page errors and CSP violations seen so far. */
  problems: string[];
  /** Every text frame the page sent over /ws/staff, parsed. */
  wsSent: Array<Record<string, unknown>>;
  /** Every WebSocket the page opened. */
  sockets: WebSocket[];
  close(): Promise<void>;
}

export interface OpenConsoleOptions {
  /** Runs before the first navigation, e.g. to add an init script. */
  setup?: (page: Page) => Promise<void>;
}

/** A fresh desktop context on /staff; anything not for the app is aborted. */
export async function openConsole(
  browser: Browser,
  baseUrl: string,
  opts: OpenConsoleOptions = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({
    viewport: CONSOLE_VIEWPORT,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    serviceWorkers: "block",
  });
  await context.route(
    (url) => !url.href.startsWith(baseUrl),
    (route) => route.abort(),
  );
  const page = await context.newPage();
  const problems: string[] = [];
  const wsSent: Array<Record<string, unknown>> = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  const sockets: WebSocket[] = [];
  page.on("websocket", (ws) => {
    sockets.push(ws);
    ws.on("framesent", (frame) => {
      if (typeof frame.payload === "string") wsSent.push(JSON.parse(frame.payload) as Record<string, unknown>);
    });
  });
  await page.exposeFunction("__reportCsp", (detail: string) => problems.push(`csp: ${detail}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { __reportCsp: (d: string) => void }).__reportCsp;
      report(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  if (opts.setup) await opts.setup(page);
  await page.goto(`${baseUrl}/staff`);
  return { context, page, problems, wsSent, sockets, close: () => context.close() };
}

/** Signs in through the form and waits for the live connection. */
export async function loginConsole(page: Page, username: string, password: string): Promise<void> {
  await page.locator("#login-username").fill(username);
  await page.locator("#login-password").fill(password);
  await page.locator("#login-submit").click();
  await page.locator("#console-view").waitFor({ state: "visible" });
  await liveConnected(page);
}

export async function liveConnected(page: Page): Promise<void> {
  await page.locator('#conn[data-state="up"]').waitFor({ state: "attached" });
}

/** The queue row of one case. */
export function caseRow(page: Page, caseId: string): Locator {
  return page.locator(`#case-list .case-row[data-case-id="${caseId}"]`);
}

/** Event-log entries of the open case, of one type. */
export function logEntries(page: Page, type: string): Locator {
  return page.locator(`#event-log li[data-type="${type}"]`);
}

/** Counts the tones the page plays (OscillatorNode starts), as window.__tones. */
export async function countTones(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __tones: number };
    w.__tones = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...args: Parameters<typeof start>) {
      w.__tones += 1;
      return start.apply(this, args);
    };
  });
}

export function tonesPlayed(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __tones: number }).__tones);
}
