import type { AddressInfo } from "node:net";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { buildTestApp, type TestApp } from "../helpers/test-app.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** A mid-range phone, the size most residents will use. */
export const PHONE_VIEWPORT = { width: 390, height: 844 };

/** Where the quick exit goes; intercepted so no test touches the outside network. */
export const EXIT_URL_PREFIX = "https://www.baidu.com/s?wd=";

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export interface RunningApp {
  t: TestApp;
  baseUrl: string;
}

/** The real app on a real socket (a copy of the migrated database), as a browser needs it. */
export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const t = await buildTestApp(env);
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = t.app.server.address() as AddressInfo;
  return { t, baseUrl: `http://127.0.0.1:${port}` };
}

export interface ChatPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught page errors and CSP violations seen so far. */
  problems: string[];
  /** Every text frame the page sent over /ws/chat, parsed. */
  wsSent: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface OpenChatOptions {
  /** Runs before the first navigation, e.g. to route the WebSocket. */
  setup?: (page: Page) => Promise<void>;
  /** Navigate to this path first (so history has an entry before the chat). */
  before?: string;
  /** Wait until the page reports a connected WebSocket (default true). */
  waitForSocket?: boolean;
}

/**
 * A fresh phone-sized context on the chat page. Every request that is not for
 * the app is answered locally (the neutral exit page) or aborted.
 */
export async function openChat(browser: Browser, baseUrl: string, opts: OpenChatOptions = {}): Promise<ChatPage> {
  const context = await browser.newContext({
    viewport: PHONE_VIEWPORT,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
    serviceWorkers: "block",
  });
  await context.route(
    (url) => !url.href.startsWith(baseUrl),
    (route) => {
      if (route.request().url().startsWith(EXIT_URL_PREFIX)) {
        return route.fulfill({
          status: 200,
          contentType: "text/html; charset=utf-8",
          body: "<!doctype html><title>天气</title><p>天气</p>",
        });
      }
      return route.abort();
    },
  );
  const page = await context.newPage();
  const problems: string[] = [];
  const wsSent: Array<Record<string, unknown>> = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("websocket", (ws) => {
    ws.on("framesent", (frame) => {
      if (typeof frame.payload === "string") wsSent.push(JSON.parse(frame.payload) as Record<string, unknown>);
    });
  });
  // CSP violations are also logged to the console; this catches any that are not.
  await page.exposeFunction("__reportCsp", (detail: string) => problems.push(`csp: ${detail}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { __reportCsp: (d: string) => void }).__reportCsp;
      report(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  if (opts.setup) await opts.setup(page);
  if (opts.before) await page.goto(`${baseUrl}${opts.before}`);
  await page.goto(`${baseUrl}/`);
  if (opts.waitForSocket !== false) await socketState(page, "ws");
  return { context, page, problems, wsSent, close: () => context.close() };
}

/** Waits until the page says which transport it would use now ("ws" or "http"). */
export async function socketState(page: Page, state: "ws" | "http"): Promise<void> {
  await page.locator(`html[data-transport="${state}"]`).waitFor({ state: "attached" });
}

/** Assistant and staff messages, not the welcome or the typing indicator. */
export function replies(page: Page): Locator {
  return page.locator("#messages .msg-bot:not(.msg-welcome):not(.msg-typing), #messages .msg-staff");
}

/** Types a message, presses Enter, and returns the reply it gets. */
export async function ask(page: Page, text: string): Promise<Locator> {
  const before = await replies(page).count();
  await page.locator("#input").fill(text);
  await page.locator("#input").press("Enter");
  const reply = replies(page).nth(before);
  await reply.waitFor({ state: "visible" });
  return reply;
}

export async function storageSnapshot(page: Page): Promise<{ session: number; local: number }> {
  return page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length }));
}
