import type { Browser, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ask,
  type ChatPage,
  EXIT_URL_PREFIX,
  launchBrowser,
  openChat,
  type RunningApp,
  replies,
  socketState,
  startApp,
  storageSnapshot,
} from "./browser-helpers.ts";

let browser: Browser;
let running: RunningApp;
/** Sends a frame to the page as if the server had (set by a WebSocket route). */
let pushToPage: ((message: string) => void) | undefined;

beforeAll(async () => {
  [browser, running] = await Promise.all([launchBrowser(), startApp({ RATE_LIMIT_PER_MINUTE: "1000" })]);
});

afterAll(async () => {
  await browser?.close();
  await running?.t.close();
});

/** Runs a test body on a fresh chat page and closes it whatever happens. */
async function withChat(
  body: (chat: ChatPage) => Promise<void>,
  opts: Parameters<typeof openChat>[2] = {},
): Promise<void> {
  const chat = await openChat(browser, running.baseUrl, opts);
  try {
    await body(chat);
  } finally {
    await chat.close();
  }
}

function chatPosts(chat: ChatPage): Request[] {
  const posts: Request[] = [];
  chat.page.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === "/api/chat") posts.push(r);
  });
  return posts;
}

describe("resident web chat in Chromium", () => {
  it("answers a plan question over the WebSocket with the cited clause as an expandable quote", async () => {
    await withChat(async (chat) => {
      const { page } = chat;
      const posts = chatPosts(chat);
      const reply = await ask(page, "宫颈癌筛查率的目标是多少");

      expect(await page.locator("#messages .msg-me").last().textContent()).toContain("宫颈癌筛查率的目标是多少");
      expect(await reply.getAttribute("class")).toContain("msg-answer");
      expect(await reply.locator(".msg-text").textContent()).toContain("宫颈癌");

      const citation = reply.locator("details.citation").first();
      await citation.waitFor();
      const quote = citation.locator("blockquote");
      expect(await quote.isVisible()).toBe(false);
      await citation.locator("summary").click();
      await quote.waitFor({ state: "visible" });
      expect(await citation.locator("summary").textContent()).toContain("妇女发展规划");
      expect(await quote.textContent()).toContain("宫颈癌");

      // It went over the socket, with a client message id, and not over HTTP.
      const sent = chat.wsSent.filter((f) => f.type === "message");
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ type: "message", channel: "web", text: "宫颈癌筛查率的目标是多少" });
      expect(String(sent[0]?.clientMessageId)).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
      expect(posts).toHaveLength(0);

      // The conversation continues in this tab only.
      const stored = await page.evaluate(() => ({
        session: sessionStorage.getItem("fuer.conversationId"),
        local: localStorage.length,
      }));
      expect(stored.session).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
      expect(stored.local).toBe(0);
      expect(chat.problems).toEqual([]);
    });
  });

  it("shows services as cards (a hotline with a tel: link, a local 儿童之家), and sends the chosen area with a quick reply", async () => {
    await withChat(async (chat) => {
      const { page } = chat;
      const reply = await ask(page, "妇女维权热线是多少");
      const link = reply.locator('.service-card a[href="tel:12338"]').first();
      await link.waitFor({ state: "visible" });
      expect(await link.textContent()).toContain("12338");

      const local = await ask(page, "沁园街道哪里有儿童之家");
      const card = local.locator(".service-card", { hasText: "儿童之家" }).first();
      await card.waitFor({ state: "visible" });
      expect(await card.locator(".card-line").first().textContent()).toContain("沁园街道");

      await page.locator("#area").selectOption("沁园街道");
      const before = await replies(page).count();
      await page.locator(".chip", { hasText: "儿童之家" }).click();
      await replies(page).nth(before).waitFor({ state: "visible" });
      const frame = chat.wsSent.filter((f) => f.type === "message").pop();
      expect(frame).toMatchObject({ text: "儿童之家", area: "沁园街道" });
      expect(chat.problems).toEqual([]);
    });
  });

  it("an urgent report gets the urgent reply with 110 first, after the case is committed", async () => {
    await withChat(async (chat) => {
      const { page } = chat;
      const casesBefore = await running.t.db.case.count();
      const reply = await ask(page, "他正在打我 拿着刀");

      expect(await reply.getAttribute("class")).toContain("msg-urgent");
      const firstLink = reply.locator(".bubble a").first();
      expect(await firstLink.getAttribute("href")).toBe("tel:110");
      expect(await firstLink.textContent()).toContain("拨打110");
      expect(await firstLink.isVisible()).toBe(true);
      expect(((await reply.locator(".msg-text").textContent()) ?? "").split("\n")[0]).toContain("110");

      expect(await running.t.db.case.count()).toBeGreaterThanOrEqual(Math.max(1, casesBefore + 1));
      const conversationId = await page.evaluate(() => sessionStorage.getItem("fuer.conversationId"));
      expect(await running.t.db.case.count({ where: { conversationId: conversationId ?? "" } })).toBe(1);
      expect(chat.problems).toEqual([]);
    });
  });

  it("quick exit button clears the page and storage and leaves for a neutral page that Back does not undo", async () => {
    await withChat(
      async (chat) => {
        const { page } = chat;
        await ask(page, "家长学校在哪");
        await page.evaluate(() => localStorage.setItem("probe", "1"));
        expect((await storageSnapshot(page)).session).toBeGreaterThan(0);

        // The page is inspected right after its own click handler ran (a listener
        // on document fires after the button's); DevTools cannot reach a page
        // whose cross-site navigation is already under way.
        const leftBehind = page.waitForEvent("console", (m) => m.text().startsWith("left-behind "));
        await page.evaluate(() => {
          document.addEventListener("click", () => {
            const state = {
              url: location.pathname,
              messages: document.querySelectorAll("#messages > *").length,
              input: (document.getElementById("input") as HTMLTextAreaElement).value,
              session: sessionStorage.length,
              local: localStorage.length,
            };
            // biome-ignore lint/suspicious/noConsole: the page reports its state to the test
            console.info(`left-behind ${JSON.stringify(state)}`);
          });
        });
        await page.locator("#input").fill("还没发出去的话");

        await page.locator("#quick-exit").click();
        await page.waitForURL((url) => url.href.startsWith(EXIT_URL_PREFIX));
        expect(await page.title()).toBe("天气");
        expect(JSON.parse((await leftBehind).text().slice("left-behind ".length))).toEqual({
          url: "/",
          messages: 0,
          input: "",
          session: 0,
          local: 0,
        });

        // Back skips the chat (it was replaced) and lands on the page before it.
        await page.goBack();
        expect(new URL(page.url()).pathname).toBe("/healthz");
        expect(await storageSnapshot(page)).toEqual({ session: 0, local: 0 });
        expect(await page.locator("#messages").count()).toBe(0);
        expect(chat.problems).toEqual([]);
      },
      { before: "/healthz" },
    );
  });

  it("pressing Shift three times leaves the same way", async () => {
    await withChat(
      async (chat) => {
        const { page } = chat;
        await ask(page, "法律援助");
        await page.locator("#input").focus();
        await page.keyboard.press("Shift");
        await page.keyboard.press("Shift");
        expect(new URL(page.url()).pathname).toBe("/");
        await page.keyboard.press("Shift");
        await page.waitForURL((url) => url.href.startsWith(EXIT_URL_PREFIX));

        await page.goBack();
        expect(new URL(page.url()).pathname).toBe("/healthz");
        expect(await storageSnapshot(page)).toEqual({ session: 0, local: 0 });
        expect(chat.problems).toEqual([]);
      },
      { before: "/healthz" },
    );
  });

  it("falls back to HTTP when the WebSocket cannot connect", async () => {
    await withChat(
      async (chat) => {
        const { page } = chat;
        const posts = chatPosts(chat);
        await socketState(page, "http");
        const reply = await ask(page, "宫颈癌筛查率的目标是多少");
        await reply.locator("details.citation").first().waitFor();
        expect(posts).toHaveLength(1);
        const body = posts[0]?.postDataJSON() as Record<string, unknown>;
        expect(body).toMatchObject({ text: "宫颈癌筛查率的目标是多少", channel: "web" });
        expect(typeof body.clientMessageId).toBe("string");
        expect(await page.evaluate(() => sessionStorage.getItem("fuer.conversationId"))).toMatch(/^[A-Za-z0-9_-]{8,}$/);
        expect(chat.problems).toEqual([]);
      },
      {
        waitForSocket: false,
        // Every socket the page opens is closed at once, as a proxy that refuses WebSockets would.
        setup: (page) =>
          page.routeWebSocket(/\/ws\/chat$/, (ws) => {
            ws.onMessage(() => ws.close({ code: 1011 }));
            void ws.close({ code: 1011 });
          }),
      },
    );
  });

  it("when the socket drops mid-message, the same message (same clientMessageId) is answered once over HTTP", async () => {
    let dropNext = true;
    let droppedFrame: Record<string, unknown> | undefined;
    await withChat(
      async (chat) => {
        const { page } = chat;
        const posts = chatPosts(chat);
        const reply = await ask(page, "妇女维权热线是多少");
        await reply.locator('a[href="tel:12338"]').first().waitFor();
        expect(droppedFrame).toMatchObject({ type: "message", text: "妇女维权热线是多少" });
        expect(posts).toHaveLength(1);
        const body = posts[0]?.postDataJSON() as Record<string, unknown>;
        expect(body.clientMessageId).toBe(droppedFrame?.clientMessageId);
        expect(await replies(page).count()).toBe(1);
        expect(await page.locator("#messages .msg-me").count()).toBe(1);
        expect(chat.problems).toEqual([]);
      },
      {
        setup: (page) =>
          page.routeWebSocket(/\/ws\/chat$/, (ws) => {
            const server = ws.connectToServer();
            ws.onMessage((message) => {
              const frame = JSON.parse(String(message)) as Record<string, unknown>;
              if (frame.type === "message" && dropNext) {
                dropNext = false;
                droppedFrame = frame;
                void ws.close({ code: 4000 });
                void server.close();
                return;
              }
              server.send(message);
            });
          }),
      },
    );
  });

  it("renders staff replies as text from 工作人员 and ignores unknown events", async () => {
    await withChat(
      async (chat) => {
        const { page } = chat;
        const staffText = "您好，我是工作人员。<b>请</b>拨打12338。";
        pushToPage?.(JSON.stringify({ type: "case_status", status: "claimed" }));
        pushToPage?.(JSON.stringify({ type: "staff_reply", text: staffText, at: "2026-01-05T08:30:00.000Z" }));
        const staff = page.locator("#messages .msg-staff").first();
        await staff.waitFor({ state: "visible" });
        expect(await staff.locator(".msg-who").textContent()).toContain("工作人员");
        expect(await staff.locator(".msg-text").textContent()).toBe(staffText);
        expect(await staff.locator("b").count()).toBe(0);
        expect(await staff.locator('a[href="tel:12338"]').count()).toBe(1);
        expect(await page.locator("#messages .msg-bot:not(.msg-welcome)").count()).toBe(0);
        expect(chat.problems).toEqual([]);
      },
      {
        setup: (page) =>
          page.routeWebSocket(/\/ws\/chat$/, (ws) => {
            ws.connectToServer();
            pushToPage = (m) => ws.send(m);
          }),
      },
    );
  });

  it("a staff reply sent while the resident was away appears when the page comes back, with the conversation so far", async () => {
    const { t } = running;
    const staff = await t.app.staffService.createUser({
      username: `resume${Date.now()}`,
      displayName: "回访测试",
      password: "Quiet-harbour-lantern-42",
      role: "staff",
      queues: ["fulian-dv"],
    });
    await withChat(async (chat) => {
      const { page } = chat;
      const urgent = await ask(page, "我老公昨天又打我了 我现在在娘家");
      await expect.poll(() => urgent.textContent()).toContain("110");
      const conversationId = await page.evaluate(() => sessionStorage.getItem("fuer.conversationId"));
      const open = await t.db.case.findFirstOrThrow({ where: { conversationId: conversationId ?? "" } });
      // The resident leaves the page; staff answer meanwhile.
      await page.goto(`${running.baseUrl}/healthz`);
      const actor = { id: staff.id, displayName: staff.displayName, role: staff.role, queues: ["fulian-dv"] };
      await t.app.cases.claim(actor, open.id);
      await t.app.cases.reply(actor, open.id, "我是妇联的工作人员，你现在安全吗？");
      // Back in the same tab: history restored, the staff reply shown once.
      await page.goto(`${running.baseUrl}/`);
      await socketState(page, "ws");
      const staffMsg = page.locator("#messages .msg-staff", { hasText: "你现在安全吗" });
      await staffMsg.first().waitFor({ state: "visible" });
      await page.locator("#messages .msg-me", { hasText: "我现在在娘家" }).first().waitFor({ state: "visible" });
      expect(await staffMsg.count()).toBe(1);
      expect(chat.problems).toEqual([]);
    });
  });

  it("shows errors inline in Chinese: a too-long message is held back, a refused one can be retried with the same id", async () => {
    await withChat(
      async (chat) => {
        const { page } = chat;
        await page.locator("#input").fill("好".repeat(2001));
        expect(await page.locator("#counter").textContent()).toContain("2001/2000");
        await page.locator("#send").click();
        expect(await page.locator("#composer-error").textContent()).toContain("不超过2000字");
        expect(await page.locator("#messages .msg-me").count()).toBe(0);

        const bodies: Array<Record<string, unknown>> = [];
        let refuse = true;
        await page.route("**/api/chat", async (route) => {
          bodies.push(route.request().postDataJSON() as Record<string, unknown>);
          if (refuse) {
            refuse = false;
            return route.fulfill({
              status: 429,
              contentType: "application/json",
              body: JSON.stringify({ code: "ERR_RATE_LIMITED", message: "发送太频繁了，请稍等一分钟再试。" }),
            });
          }
          return route.fallback();
        });
        await page.locator("#input").fill("心理援助");
        await page.locator("#send").click();
        const failed = page.locator("#messages .msg-me.msg-failed");
        await failed.waitFor();
        expect(await failed.locator(".msg-status").textContent()).toContain("发送太频繁了");
        expect(await page.locator("#input").inputValue()).toBe("");

        await failed.locator("button.retry").click();
        await replies(page).first().waitFor({ state: "visible" });
        expect(bodies).toHaveLength(2);
        expect(bodies[1]?.clientMessageId).toBe(bodies[0]?.clientMessageId);
        expect(await page.locator("#messages .msg-failed").count()).toBe(0);
        // The 429 itself is logged by Chromium as a failed resource load; nothing else may be.
        expect(chat.problems.filter((p) => !p.includes("429"))).toEqual([]);
      },
      {
        waitForSocket: false,
        setup: (page) => page.routeWebSocket(/\/ws\/chat$/, (ws) => void ws.close({ code: 1011 })),
      },
    );
  });

  it("serves / with no-store and a strict CSP, and the page runs without CSP violations", async () => {
    await withChat(async (chat) => {
      const { page } = chat;
      const response = await page.goto(`${running.baseUrl}/`);
      const headers = response?.headers() ?? {};
      expect(headers["cache-control"]).toBe("no-store");
      const csp = headers["content-security-policy"] ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      for (const asset of ["/static/app.js", "/static/app.css", "/static/icon.svg"]) {
        const res = await page.request.get(`${running.baseUrl}${asset}`);
        expect(res.status()).toBe(200);
        expect(res.headers()["cache-control"]).toBe("no-store");
      }

      await socketState(page, "ws");
      // The stylesheet applied (a blocked stylesheet would leave the hotline row unstyled).
      expect(await page.locator(".hotline-police").evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(
        "rgb(179, 38, 30)",
      );
      const hotlines = await page.locator(".hotlines a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      expect(hotlines).toEqual(["tel:110", "tel:12338", "tel:12355"]);

      const answer = await ask(page, "宫颈癌筛查率的目标是多少");
      await answer.locator("details.citation summary").first().click();
      await ask(page, "妇女维权热线是多少");
      await ask(page, "他正在打我 拿着刀");
      const shot = process.env.WEBCHAT_SCREENSHOT;
      if (shot) {
        await page.locator(".msg-urgent").scrollIntoViewIfNeeded();
        await page.screenshot({ path: shot });
        await page.screenshot({ path: shot.replace(/\.png$/, "-full.png"), fullPage: true });
      }
      expect(chat.problems).toEqual([]);
    });
  });
});
