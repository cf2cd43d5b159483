import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createPrismaClient } from "../../src/db/prisma-client.ts";
import { createLogger } from "../../src/shared/logger.ts";
import { sharedKnowledge } from "../helpers/test-app.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";

let database: TestDatabase | undefined;
afterAll(async () => database?.drop());

describe("graceful shutdown (app.close() on SIGTERM)", () => {
  it("finishes requests in flight, refuses new ones, and closes sockets with 1012", async () => {
    database = await createTestDatabase("shutdown");
    const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: "info" });
    const db = createPrismaClient(config.DATABASE_URL);
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const app = await buildApp({ config, db, knowledge: sharedKnowledge(), logger: createLogger("info", sink) });
    app.get("/test/slow", async () => {
      await new Promise((r) => setTimeout(r, 600));
      return { done: true };
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;

    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/chat`);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
    );
    const inFlight = fetch(`${base}/test/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = app.close();
    const { code, reason } = await closed;
    expect(code).toBe(1012);
    expect(reason).toMatch(/reconnect/);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`${base}/api/info`)).rejects.toThrow();
    await db.$disconnect();
  });
});
