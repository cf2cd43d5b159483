/**
 * A structured report from the mini-program reaches a signed-in staff console
 * live, like a chat report; and Swagger UI at /docs renders under its own CSP
 * with nothing loaded from another origin.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type RunningApp } from "./browser-helpers.ts";
import {
  type ConsolePage,
  caseRow,
  createStaff,
  loginConsole,
  openConsole,
  startStaffApp,
} from "./staff-browser-helpers.ts";

const STAFF = { username: "formdesk", displayName: "刘妇联", password: "Lantern-harbor-7731", queues: ["fulian-dv"] };
const PHONE = "13812345678";
const LONG = 90_000;

let browser: Browser;
let running: RunningApp;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  [browser, running] = await Promise.all([launchBrowser(), startStaffApp({ RATE_LIMIT_PER_MINUTE: "1000" })]);
  await createStaff(running.t, STAFF);
});

afterAll(async () => {
  for (const page of opened) await page.close().catch(() => undefined);
  await browser?.close();
  await running?.t.close();
});

function realProblems(c: ConsolePage): string[] {
  return c.problems.filter((p) => !/status of 401/.test(p));
}

describe("report form → staff console in Chromium", () => {
  it("a form report appears on the logged-in console without a reload, with the resident's form in the transcript", {
    timeout: LONG,
  }, async () => {
    const c = await openConsole(browser, running.baseUrl);
    opened.push(c);
    await loginConsole(c.page, STAFF.username, STAFF.password);

    // What the mini-program does: read the consent version, then submit the form over HTTP.
    const consent = (await (await fetch(`${running.baseUrl}/api/reports/consent`)).json()) as { version: string };
    const res = await fetch(`${running.baseUrl}/api/reports`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        category: "domestic_violence",
        area: "济水",
        whatHappened: "丈夫喝酒后经常打我，孩子也很害怕。",
        contact: { method: "phone", phone: PHONE },
        consent: { accepted: true, textVersion: consent.version },
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { kind: string; reply: string; escalation: { caseId: string } };
    expect(body.kind).toBe("urgent");
    expect(body.reply).toContain("110");

    const row = caseRow(c.page, body.escalation.caseId);
    await row.waitFor();
    expect(await row.locator(".row-category").textContent()).toBe("家庭暴力");
    expect(await row.getAttribute("class")).toContain("case-row-new");

    await row.click();
    const bubble = c.page.locator("#transcript .bubble-resident", { hasText: "【求助表单】" });
    await bubble.waitFor();
    expect(await bubble.textContent()).toContain(PHONE);
    await c.page.screenshot({ path: "/tmp/console-form-case.png" });
    expect(realProblems(c)).toEqual([]);
  });
});

describe("/docs in Chromium", () => {
  it("renders Swagger UI from this origin with no CSP violation", { timeout: LONG }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: "block" });
    opened.push(context);
    const foreign: string[] = [];
    await context.route(
      (url) => !url.href.startsWith(running.baseUrl),
      (route) => {
        foreign.push(route.request().url());
        return route.abort();
      },
    );
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
    await page.exposeFunction("__reportCsp", (detail: string) => problems.push(`csp: ${detail}`));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        (window as unknown as { __reportCsp: (d: string) => void }).__reportCsp(
          `${e.violatedDirective} ${e.blockedURI}`,
        );
      });
    });
    await page.goto(`${running.baseUrl}/docs/`);
    await page.locator(".swagger-ui .info .title", { hasText: "济源妇儿服务助手" }).waitFor();
    await page.locator(".opblock-summary-path", { hasText: "/api/reports" }).first().waitFor();
    await page.screenshot({ path: "/tmp/docs.png" });
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
