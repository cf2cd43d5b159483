import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminTestApp, buildAdminTestApp } from "../integration/admin-helpers.ts";
import { ask, launchBrowser, openChat } from "./browser-helpers.ts";

const LONG = 120_000;
const POINT = "qinyuan-children-home";
const PHONE = "0391-6618899";
const WORDING = "孩子学游泳，可以向所在街道的青少年活动中心或体育场馆咨询报名。";
const ADMIN = { username: "adminwang", displayName: "王管理", password: "Lantern-harbor-7731" };

let browser: Browser;
let t: AdminTestApp;
let baseUrl: string;
let page: Page;
const problems: string[] = [];

async function chat(text: string) {
  const res = await fetch(`${baseUrl}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { kind: string; reply: string; services: Array<{ id: string; phone: string | null }> };
}

beforeAll(async () => {
  [browser, t] = await Promise.all([launchBrowser(), buildAdminTestApp()]);
  await t.app.staffService.createUser({ ...ADMIN, role: "admin", queues: [] });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
  await context.route(
    (url) => !url.href.startsWith(baseUrl),
    (route) => route.abort(),
  );
  page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto(`${baseUrl}/admin`);
  await page.locator("#login-username").fill(ADMIN.username);
  await page.locator("#login-password").fill(ADMIN.password);
  await page.locator("#login-submit").click();
  await page.locator("#admin-view").waitFor({ state: "visible" });
}, LONG);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Problems other than the one expected 401 (the page asks whether it is signed in before login). */
const realProblems = () => problems.filter((p) => !/status of 401/.test(p));

describe("admin pages in Chromium", () => {
  it("edit and verify an entry: search uses it at once", { timeout: LONG }, async () => {
    expect((await chat("沁园街道儿童之家电话")).services.find((s) => s.id === POINT)?.phone ?? null).toBeNull();

    await page.locator("#f-area").selectOption("沁园街道");
    const row = page.locator(`#dir-rows tr[data-id="${POINT}"]`);
    await expect(row.locator("td.flag-never").textContent()).resolves.toBe("从未核实");
    await row.click();
    await expect(page.locator("#e-phone").isDisabled()).resolves.toBe(true);

    await page.locator("#v-source").fill("电话向沁园街道办事处核实");
    await page.locator("#verify-btn").click();
    await page.locator("#entry-status", { hasText: "已标记为已核实" }).waitFor();
    await expect(page.locator("#e-phone").isDisabled()).resolves.toBe(false);

    await page.locator("#e-phone").fill(PHONE);
    await page.locator("#e-hours").fill("周一至周五 9:00-17:00");
    await page.locator("#entry-save").click();
    await page.locator("#entry-status", { hasText: "已保存" }).waitFor();
    await expect(row.locator("td").nth(3).textContent()).resolves.toBe(PHONE);
    await page.screenshot({ path: "/tmp/admin-directory.png" });

    const after = await chat("沁园街道儿童之家电话");
    expect(after.services.find((s) => s.id === POINT)?.phone).toBe(PHONE);
    const audit = await t.db.adminAudit.findMany({ where: { target: POINT } });
    expect(audit.map((a) => a.action).sort()).toEqual(["directory.edit", "directory.verify"]);
  });

  it("attach an answer to an unanswered cluster: the next similar question gets it", { timeout: LONG }, async () => {
    expect((await chat("孩子学游泳去哪里报名")).kind).toBe("unknown");
    await chat("小孩学游泳去哪里报名");

    await page.locator('.tab[data-tab="gaps"]').click();
    const card = page.locator(".cluster", { hasText: "游泳" });
    await card.waitFor();
    await expect(card.locator("h3").textContent()).resolves.toContain("2 次");
    await card.locator(".wording").fill(WORDING);
    await card.locator(".clause-search").fill("体育 运动");
    const option = card.locator(".clause-option").first();
    await option.waitFor();
    await option.click();
    await card.locator('button[type="submit"]').click();
    await card.locator(".status", { hasText: "已保存" }).waitFor();

    const next = await chat("孩子学游泳在哪里报名呢");
    expect(next.kind).toBe("answer");
    expect(next.reply).toBe(WORDING);
    await page.locator("#curated li", { hasText: WORDING }).waitFor();
  });

  it("👎 in the resident chat is listed with the question", { timeout: LONG }, async () => {
    const resident = await openChat(browser, baseUrl);
    try {
      const reply = await ask(resident.page, "医保卡丢了去哪补办");
      await reply.locator('.feedback-btn[aria-label="没帮助"]').click();
      await reply.locator(".feedback-note", { hasText: "谢谢反馈" }).waitFor();
      expect(resident.problems).toEqual([]);
    } finally {
      await resident.close();
    }
    await page.locator('.tab[data-tab="directory"]').click();
    await page.locator('.tab[data-tab="gaps"]').click();
    await page.locator("#downvoted li", { hasText: "医保卡丢了去哪补办" }).waitFor();
  });

  it("statistics are drawn as Chart.js charts with data", { timeout: LONG }, async () => {
    await chat("我老公又打我了 我现在躲在厕所里");
    await page.locator('.tab[data-tab="stats"]').click();
    await page.locator("#s-totals .tile").first().waitFor();
    const charts = await page.waitForFunction(() => {
      const Chart = (window as unknown as { Chart?: { getChart(c: Element): unknown } }).Chart;
      const ids = [
        "chart-domain",
        "chart-area",
        "chart-unanswered",
        "chart-category",
        "chart-severity",
        "chart-durations",
      ];
      const out: Record<string, number> = {};
      for (const id of ids) {
        const el = document.getElementById(id);
        const chart =
          el && Chart
            ? (Chart.getChart(el) as { data: { datasets: Array<{ data: unknown[] }> } } | undefined)
            : undefined;
        if (!chart) return null;
        out[id] = chart.data.datasets.reduce(
          (sum, d) => sum + d.data.reduce((s: number, v) => s + (typeof v === "number" ? v : 0), 0),
          0,
        );
      }
      return out;
    });
    const sums = (await charts.jsonValue()) as Record<string, number>;
    expect(sums["chart-domain"]).toBeGreaterThan(0);
    expect(sums["chart-area"]).toBeGreaterThan(0);
    expect(sums["chart-category"]).toBeGreaterThan(0);
    expect(sums["chart-unanswered"]).toBeGreaterThan(0);
    // The canvases were painted (not blank).
    const painted = await page.evaluate(() => {
      const c = document.getElementById("chart-domain") as HTMLCanvasElement;
      const data = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
      return { width: c.width, height: c.height, painted: n };
    });
    expect(painted.width).toBeGreaterThan(100);
    expect(painted.painted).toBeGreaterThan(500);
    await page.waitForTimeout(600); // animations settle before the screenshot
    await page.screenshot({ path: "/tmp/admin.png" });
    expect(realProblems()).toEqual([]);
  });
});
