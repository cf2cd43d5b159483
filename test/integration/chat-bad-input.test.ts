import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { buildTestApp, type TestApp } from "../helpers/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: "1000" });
});
afterAll(async () => t.close());

function post(payload: string, contentType = "application/json") {
  return t.app.inject({ method: "POST", url: "/api/chat", payload, headers: { "content-type": contentType } });
}

describe("bad input on POST /api/chat gets the contract's clear error, never a 500", () => {
  it.each([
    ["empty text", JSON.stringify({ text: "" }), 400, "ERR_TEXT_EMPTY"],
    ["whitespace-only text", JSON.stringify({ text: "  \n\t　 " }), 400, "ERR_TEXT_EMPTY"],
    ["2001 characters", JSON.stringify({ text: "问".repeat(2001) }), 400, "ERR_TEXT_TOO_LONG"],
    ["invalid JSON", '{"text": "你好"', 400, "ERR_INVALID_JSON"],
    ["empty body", "", 400, "ERR_INVALID_JSON"],
    ["text is a number", JSON.stringify({ text: 42 }), 400, "ERR_VALIDATION"],
    ["text missing", JSON.stringify({ conversationId: "abcdefgh" }), 400, "ERR_VALIDATION"],
    ["body is an array", JSON.stringify(["你好"]), 400, "ERR_VALIDATION"],
    ["unknown channel", JSON.stringify({ text: "你好", channel: "sms" }), 400, "ERR_VALIDATION"],
    ["unknown field", JSON.stringify({ text: "你好", admin: true }), 400, "ERR_VALIDATION"],
    ["malformed conversationId", JSON.stringify({ text: "你好", conversationId: "../../etc" }), 400, "ERR_VALIDATION"],
    ["control characters", JSON.stringify({ text: "你好\u0000\u0007" }), 400, "ERR_TEXT_INVALID"],
    ["a lone surrogate", '{"text": "你好\\ud800"}', 400, "ERR_TEXT_INVALID"],
    ["a 1 MB body", JSON.stringify({ text: "a".repeat(1024 * 1024) }), 413, "ERR_BODY_TOO_LARGE"],
  ])("%s → %i %s", async (_name, payload, status, code) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body.code).toBe(code);
    // Residents read the message: it must be Chinese.
    expect(body.message).toMatch(/[\u4e00-\u9fff]/);
  });

  it("a form-encoded body → 415 with a Chinese message", async () => {
    const res = await post("text=hi", "application/x-www-form-urlencoded");
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe("ERR_UNSUPPORTED_MEDIA_TYPE");
  });

  it("exactly 2000 characters (counted as a resident sees them) is accepted", async () => {
    const res = await post(JSON.stringify({ text: "😀".repeat(2000) }));
    expect(res.statusCode).toBe(200);
  });

  it("an unknown route → 404 with a code", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/nothing" });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe("ERR_NOT_FOUND");
  });

  it("search with an empty or oversized query → 400", async () => {
    expect((await t.app.inject({ method: "GET", url: "/api/search?q=" })).statusCode).toBe(400);
    const long = encodeURIComponent("家".repeat(201));
    expect((await t.app.inject({ method: "GET", url: `/api/search?q=${long}` })).statusCode).toBe(400);
    expect((await t.app.inject({ method: "GET", url: "/api/search?q=家长学校&type=x" })).statusCode).toBe(400);
  });
});

describe("message floods are rate limited per resident", () => {
  it("the 31st message in a minute from one conversation → 429 that still names 110", async () => {
    const limited = await buildTestApp({ RATE_LIMIT_PER_MINUTE: "30" });
    try {
      const first = await limited.app.inject({ method: "POST", url: "/api/chat", payload: { text: "你好" } });
      const conversationId = first.json().conversationId as string;
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) {
        const res = await limited.app.inject({
          method: "POST",
          url: "/api/chat",
          payload: { text: "你好", conversationId },
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(res.json().code).toBe("ERR_RATE_LIMITED");
          expect(res.json().message).toContain("110");
        }
      }
      expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
      expect(statuses[30]).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("👍/👎 votes count against the same limit: the 31st in a minute → 429", async () => {
    const limited = await buildTestApp({ RATE_LIMIT_PER_MINUTE: "30" });
    try {
      const first = await limited.app.inject({ method: "POST", url: "/api/chat", payload: { text: "家长学校在哪" } });
      const { conversationId, messageId } = first.json() as { conversationId: string; messageId: string };
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) {
        const res = await limited.app.inject({
          method: "POST",
          url: "/api/chat/feedback",
          payload: { conversationId, messageId, helpful: i % 2 === 0 },
        });
        statuses.push(res.statusCode);
      }
      expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
      expect(statuses[30]).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe("WebSocket /ws/chat bad frames", () => {
  async function open(): Promise<{
    ws: WebSocket;
    next: () => Promise<Record<string, unknown>>;
    closed: Promise<number>;
  }> {
    const ws = await t.app.injectWS("/ws/chat");
    const inbox: Record<string, unknown>[] = [];
    const waiters: ((m: Record<string, unknown>) => void)[] = [];
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      const w = waiters.shift();
      if (w) w(m);
      else inbox.push(m);
    });
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    const next = () =>
      new Promise<Record<string, unknown>>((resolve) => {
        const m = inbox.shift();
        if (m) resolve(m);
        else waiters.push(resolve);
      });
    return { ws, next, closed };
  }

  it.each([
    ["not JSON", "{oops", "ERR_INVALID_JSON"],
    ["an unknown frame type", JSON.stringify({ type: "hack" }), "ERR_VALIDATION"],
    ["empty text", JSON.stringify({ type: "message", text: "   " }), "ERR_TEXT_EMPTY"],
    ["2001 characters", JSON.stringify({ type: "message", text: "问".repeat(2001) }), "ERR_TEXT_TOO_LONG"],
  ])("%s → an error frame, and the socket stays usable", async (_name, frame, code) => {
    const { ws, next } = await open();
    ws.send(frame);
    const err = await next();
    expect(err.type).toBe("error");
    expect(err.code).toBe(code);
    ws.send(JSON.stringify({ type: "ping" }));
    expect((await next()).type).toBe("pong");
    ws.terminate();
  });

  it("a frame over 64 KiB gets ERR_FRAME_TOO_LARGE and the socket closes with 1009", async () => {
    const { ws, next, closed } = await open();
    ws.send(JSON.stringify({ type: "message", text: "a".repeat(70 * 1024) }));
    const err = await next();
    expect(err.code).toBe("ERR_FRAME_TOO_LARGE");
    expect(await closed).toBe(1009);
  });

  it("a message over WebSocket gets the same reply shape as HTTP", async () => {
    const { ws, next } = await open();
    ws.send(JSON.stringify({ type: "message", text: "你好", clientMessageId: "m1" }));
    const reply = await next();
    expect(reply.type).toBe("reply");
    expect(reply.clientMessageId).toBe("m1");
    expect(typeof reply.conversationId).toBe("string");
    expect(["answer", "services", "clarify", "unknown"]).toContain(reply.kind);
    ws.terminate();
  });
});
