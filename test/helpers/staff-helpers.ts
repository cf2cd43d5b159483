/**
 * Staff sign-in for tests: a real account through the staff service (password
 * policy and all) and a real login through POST /api/staff/login, giving what a
 * browser would hold — the session cookie and the CSRF token.
 */
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { WebSocket } from "ws";
import { buildApp } from "../../src/app.ts";
import type { QueueCatalog } from "../../src/cases/queue-catalog.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createPrismaClient } from "../../src/db/prisma-client.ts";
import { createLogger } from "../../src/shared/logger.ts";
import { STAFF_COOKIE, type StaffRole, type StaffUserView } from "../../src/staff/staff-plugin.ts";
import { sharedKnowledge, type TestApp } from "./test-app.ts";
import { createTestDatabase } from "./test-db.ts";

export interface StaffLogin {
  /** Ready for a `cookie` header: `fuer_staff=<token>`. */
  cookie: string;
  /** The bare session token (for inject's `cookies` option). */
  token: string;
  csrfToken: string;
  user: StaffUserView;
}

let counter = 0;

/** Creates a staff member (unique username unless given) and signs them in over HTTP. */
export async function createStaffAndLogin(
  t: Pick<TestApp, "app">,
  opts: { role?: StaffRole; queues?: string[]; username?: string; displayName?: string; password?: string } = {},
): Promise<StaffLogin> {
  counter++;
  const username = opts.username ?? `staff${counter}x${Math.random().toString(36).slice(2, 8)}`;
  const password = opts.password ?? `Orchid-lantern-${counter}-river`;
  const user = await t.app.staffService.createUser({
    username,
    displayName: opts.displayName ?? `工作人员${counter}`,
    password,
    role: opts.role ?? "staff",
    queues: opts.queues ?? [],
  });
  const res = await t.app.inject({ method: "POST", url: "/api/staff/login", payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`staff login failed: ${res.statusCode} ${res.body}`);
  const token = res.cookies.find((c) => c.name === STAFF_COOKIE)?.value;
  if (!token) throw new Error("staff login set no session cookie");
  return {
    cookie: `${STAFF_COOKIE}=${token}`,
    token,
    csrfToken: (res.json() as { csrfToken: string }).csrfToken,
    user,
  };
}

/** inject() options for a signed-in request; `csrf: false` leaves the CSRF header out. */
export function asStaff(login: StaffLogin, opts: { csrf?: boolean } = {}) {
  return {
    headers: {
      cookie: login.cookie,
      ...(opts.csrf === false ? {} : { "x-csrf-token": login.csrfToken }),
    },
  };
}

export interface CasesTestApp extends TestApp {
  clock: { now: Date; set(d: Date): void; advance(ms: number): void };
}

/**
 * The real app with a controllable clock (and optionally a queue catalog),
 * timers off: tests run SLA and retention passes themselves.
 */
export async function buildCasesTestApp(
  opts: { env?: Record<string, string>; start?: Date; queues?: QueueCatalog; realClock?: boolean } = {},
): Promise<CasesTestApp> {
  const database = await createTestDatabase("cases");
  const config = loadConfig({
    DATABASE_URL: database.url,
    LOG_LEVEL: "info",
    RATE_LIMIT_PER_MINUTE: "1000",
    ...opts.env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const clock = {
    now: opts.start ?? new Date(),
    set(d: Date) {
      clock.now = d;
    },
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  const db = createPrismaClient(config.DATABASE_URL);
  const app = await buildApp({
    config,
    db,
    knowledge: sharedKnowledge(),
    logger: createLogger("info", sink),
    ...(opts.queues ? { queues: opts.queues } : {}),
    ...(opts.realClock ? {} : { now: () => clock.now }),
    timers: false,
  });
  await app.ready();
  return {
    app,
    db,
    logs,
    clock,
    async close() {
      await app.close();
      await db.$disconnect();
      await database.drop();
    },
  };
}

// ── live sockets ─────────────────────────────────────────────────────────────

export type Frame = Record<string, unknown> & { type: string };

export interface SocketProbe {
  ws: WebSocket;
  /** Every frame received so far, in order. */
  frames: Frame[];
  /** The next frame (after those already taken) matching `match`; rejects after `timeoutMs`. */
  next(match?: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function probe(ws: WebSocket): SocketProbe {
  const frames: Frame[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)) as Frame);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  return {
    ws,
    frames,
    closed,
    close: () => ws.terminate(),
    next(match = () => true, timeoutMs = 5000) {
      return new Promise<Frame>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms`)), timeoutMs);
        const look = () => {
          while (taken < frames.length) {
            const f = frames[taken++] as Frame;
            if (match(f)) {
              clearTimeout(timer);
              resolve(f);
              return;
            }
          }
          waiters.push(look);
        };
        look();
      });
    },
  };
}

/**
 * A real WebSocket upgrade to /ws/staff on a listening app, with the cookie and
 * an Origin (the app's own unless given; null sends none). Resolves with the
 * open socket, or rejects with the HTTP status the upgrade was refused with.
 */
export function openStaffSocket(
  baseUrl: string,
  login: Pick<StaffLogin, "cookie"> | null,
  opts: { origin?: string | null; headers?: Record<string, string> } = {},
): Promise<SocketProbe> {
  const origin = opts.origin === undefined ? baseUrl : opts.origin;
  const headers: Record<string, string> = { ...opts.headers };
  if (login) headers.cookie = login.cookie;
  if (origin !== null) headers.origin = origin;
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws/staff`, { headers });
  const p = probe(ws);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(p));
    ws.once("unexpected-response", (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode }));
      ws.terminate();
    });
    ws.once("error", (err) => reject(err));
  });
}

/** Starts listening on a free loopback port; returns the base URL. */
export async function listen(t: Pick<TestApp, "app">): Promise<string> {
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = t.app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}
