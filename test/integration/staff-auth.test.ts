import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type LightMyRequestResponse } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "../../src/db/prisma-client.ts";
import { installErrorHandlers } from "../../src/shared/error-handler.ts";
import { createLogger } from "../../src/shared/logger.ts";
import { canSeeQueue, STAFF_COOKIE, staffOf, staffPlugin } from "../../src/staff/staff-plugin.ts";
import { createTestDatabase } from "../helpers/test-db.ts";

const START = new Date("2026-12-01T01:00:00.000Z");
const MINUTE = 60_000;

const ADMIN = { username: "admin", password: "Gz7!river-lantern-42" };
// Canaries: neither may ever appear in a log line.
const STAFF = {
  username: "lixiuying",
  displayName: "李秀英金丝雀",
  password: "Canary-Pw-7391-kite",
  role: "staff" as const,
  queues: ["domestic_violence", "child_harm"],
};
const SUPERVISOR = {
  username: "wangsup",
  displayName: "王督导",
  password: "Harbor_lights-2931",
  role: "supervisor" as const,
  queues: [],
};

interface StaffTestApp {
  app: FastifyInstance;
  db: Db;
  logs: string[];
  clock: { now: Date; advance(ms: number): void };
  close(): Promise<void>;
}

/** The staff plugin on a bare app built like src/app.ts, on a copy of the migrated template database. */
async function buildStaffTestApp(options: { loginAttemptsPerMinute?: number; trustProxy?: boolean } = {}) {
  const database = await createTestDatabase("staff");
  const db = createPrismaClient(database.url);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const clock = {
    now: new Date(START),
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  const logger: FastifyBaseLogger = createLogger("info", sink);
  const app = Fastify({ loggerInstance: logger, trustProxy: options.trustProxy ?? false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  await app.register(staffPlugin, {
    db,
    now: () => clock.now,
    firstAdmin: ADMIN,
    loginAttemptsPerMinute: options.loginAttemptsPerMinute ?? 1000,
  });
  app.get("/api/staff/probe", { preHandler: app.requireStaff() }, async (request) => ({ id: staffOf(request).id }));
  app.post("/api/staff/probe", { preHandler: app.requireStaff() }, async (request) => ({ id: staffOf(request).id }));
  await app.ready();
  const t: StaffTestApp = {
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
  return t;
}

function sessionCookie(res: LightMyRequestResponse): string {
  const c = res.cookies.find((x) => x.name === STAFF_COOKIE);
  if (!c) throw new Error("no session cookie");
  return c.value;
}

async function login(t: StaffTestApp, username: string, password: string) {
  return t.app.inject({ method: "POST", url: "/api/staff/login", payload: { username, password } });
}

/** Logs in and returns what a browser would hold: the cookie and the CSRF token. */
async function signIn(t: StaffTestApp, user: { username: string; password: string }) {
  const res = await login(t, user.username, user.password);
  expect(res.statusCode).toBe(200);
  return { token: sessionCookie(res), csrf: res.json().csrfToken as string, body: res.json() };
}

function asStaff(s: { token: string; csrf?: string }, withCsrf = true) {
  return {
    cookies: { [STAFF_COOKIE]: s.token },
    headers: withCsrf && s.csrf ? { "x-csrf-token": s.csrf } : {},
  };
}

let t: StaffTestApp;
beforeAll(async () => {
  t = await buildStaffTestApp();
  await t.app.staffService.createUser(STAFF);
  await t.app.staffService.createUser(SUPERVISOR);
});
afterAll(async () => t.close());

describe("without a session every staff route answers 401 ERR_UNAUTHENTICATED", () => {
  it.each([
    ["POST", "/api/staff/logout"],
    ["GET", "/api/staff/me"],
    ["POST", "/api/staff/users"],
    ["GET", "/api/staff/users"],
    ["PUT", "/api/staff/users/abc/queues"],
    ["GET", "/api/staff/probe"],
    ["POST", "/api/staff/probe"],
  ] as const)("%s %s", async (method, url) => {
    const cookieJars: Record<string, string>[] = [
      {},
      { [STAFF_COOKIE]: "not-a-real-session-token" },
      { [STAFF_COOKIE]: "A".repeat(43) },
    ];
    for (const cookies of cookieJars) {
      const res = await t.app.inject({ method, url, cookies, payload: method === "GET" ? undefined : {} });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe("ERR_UNAUTHENTICATED");
      expect(res.json().message).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});

describe("login", () => {
  it("sets an HttpOnly SameSite=Strict cookie on Path=/ living at most 12 h, not Secure over plain HTTP", async () => {
    const res = await login(t, STAFF.username, STAFF.password);
    expect(res.statusCode).toBe(200);
    const header = String(res.headers["set-cookie"]);
    expect(header).toMatch(/^fuer_staff=[A-Za-z0-9_-]{43};/);
    expect(header).toMatch(/HttpOnly/i);
    expect(header).toMatch(/SameSite=Strict/i);
    expect(header).toMatch(/Path=\//);
    expect(header).toMatch(/Max-Age=43200(;|$)/);
    expect(header).not.toMatch(/Secure/i);
    const body = res.json();
    expect(body.user).toMatchObject({
      username: STAFF.username,
      displayName: STAFF.displayName,
      role: "staff",
      queues: ["child_harm", "domestic_violence"],
    });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("the cookie is Secure when the request came over TLS through a trusted proxy", async () => {
    const t2 = await buildStaffTestApp({ trustProxy: true });
    try {
      const res = await t2.app.inject({
        method: "POST",
        url: "/api/staff/login",
        payload: ADMIN,
        headers: { "x-forwarded-proto": "https" },
      });
      expect(res.statusCode).toBe(200);
      expect(String(res.headers["set-cookie"])).toMatch(/; Secure/i);
    } finally {
      await t2.close();
    }
  });

  it("stores only the SHA-256 of the cookie token and an argon2id password hash", async () => {
    const s = await signIn(t, STAFF);
    const id = createHash("sha256").update(s.token).digest("hex");
    const row = await t.db.staffSession.findUnique({ where: { id } });
    expect(row).not.toBeNull();
    expect(await t.db.staffSession.count({ where: { id: s.token } })).toBe(0);
    const user = await t.db.staffUser.findUniqueOrThrow({ where: { username: STAFF.username } });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("GET /api/staff/me returns the user and the same CSRF token after a reload", async () => {
    const s = await signIn(t, STAFF);
    const res = await t.app.inject({ method: "GET", url: "/api/staff/me", ...asStaff(s, false) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(s.body);
  });

  it("the username is case-insensitive", async () => {
    const res = await login(t, STAFF.username.toUpperCase(), STAFF.password);
    expect(res.statusCode).toBe(200);
  });

  it("an unknown user and a wrong password get the same 401 ERR_LOGIN_FAILED message", async () => {
    const unknown = await login(t, "nobody-here", STAFF.password);
    const wrong = await login(t, SUPERVISOR.username, "Not-the-right-one-123");
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(unknown.json().code).toBe("ERR_LOGIN_FAILED");
    expect(unknown.headers["set-cookie"]).toBeUndefined();
    // The count was reset for the next tests.
    await signIn(t, SUPERVISOR);
  });

  it("a malformed login body → 400 ERR_VALIDATION", async () => {
    const res = await t.app.inject({ method: "POST", url: "/api/staff/login", payload: { username: "x" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("ERR_VALIDATION");
  });
});

describe("lockout", () => {
  const user = {
    username: "lockme",
    displayName: "锁定测试",
    password: "Pebble-orchard-5528",
    role: "staff" as const,
    queues: ["self_harm"],
  };
  beforeAll(async () => {
    await t.app.staffService.createUser(user);
  });

  it("5 wrong passwords lock the account for 15 min; even the right password fails until then", async () => {
    for (let i = 1; i <= 4; i++) expect((await login(t, user.username, `wrong-password-${i}x`)).statusCode).toBe(401);
    const fifth = await login(t, user.username, "wrong-password-5x");
    expect(fifth.statusCode).toBe(423);
    expect(fifth.json().code).toBe("ERR_ACCOUNT_LOCKED");
    const unlocksAt = new Date(t.clock.now.getTime() + 15 * MINUTE);
    expect(fifth.json().unlocksAt).toBe(unlocksAt.toISOString());

    const right = await login(t, user.username, user.password);
    expect(right.statusCode).toBe(423);
    expect(right.json().code).toBe("ERR_ACCOUNT_LOCKED");
    // Says when it unlocks, in Beijing time.
    expect(right.json().message).toMatch(/北京时间/);
    expect(right.json().message).toContain("09:15");
    expect(Number(right.headers["retry-after"])).toBe(15 * 60);
    expect(right.headers["set-cookie"]).toBeUndefined();

    t.clock.advance(14 * MINUTE);
    expect((await login(t, user.username, user.password)).statusCode).toBe(423);

    t.clock.advance(MINUTE);
    const after = await login(t, user.username, user.password);
    expect(after.statusCode).toBe(200);
  });

  it("a successful login resets the count of failures", async () => {
    for (let i = 0; i < 4; i++) expect((await login(t, user.username, "wrong-password-x1")).statusCode).toBe(401);
    expect((await login(t, user.username, user.password)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(t, user.username, "wrong-password-x2")).statusCode).toBe(401);
    expect((await login(t, user.username, user.password)).statusCode).toBe(200);
  });

  it("an unknown username locks the same way, so the lockout does not reveal which usernames exist", async () => {
    for (let i = 0; i < 4; i++) expect((await login(t, "ghost-user", "whatever-password")).statusCode).toBe(401);
    const fifth = await login(t, "ghost-user", "whatever-password");
    expect(fifth.statusCode).toBe(423);
    expect(fifth.json().code).toBe("ERR_ACCOUNT_LOCKED");
  });
});

describe("CSRF on state-changing requests", () => {
  it("a POST without the x-csrf-token header → 403 ERR_CSRF", async () => {
    const s = await signIn(t, STAFF);
    const res = await t.app.inject({ method: "POST", url: "/api/staff/probe", ...asStaff(s, false) });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe("ERR_CSRF");
  });

  it("a POST with a wrong token, or another session's token → 403 ERR_CSRF", async () => {
    const s = await signIn(t, STAFF);
    const other = await signIn(t, STAFF);
    for (const csrf of ["wrong", `${s.csrf}x`, other.csrf, s.csrf.toLowerCase()]) {
      if (csrf === s.csrf) continue;
      const res = await t.app.inject({ method: "POST", url: "/api/staff/probe", ...asStaff({ token: s.token, csrf }) });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe("ERR_CSRF");
    }
  });

  it("a POST with the session's token passes; a GET needs none", async () => {
    const s = await signIn(t, STAFF);
    expect((await t.app.inject({ method: "POST", url: "/api/staff/probe", ...asStaff(s) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: "GET", url: "/api/staff/probe", ...asStaff(s, false) })).statusCode).toBe(200);
  });

  it("logout without the CSRF token → 403 and the session stays valid", async () => {
    const s = await signIn(t, STAFF);
    const res = await t.app.inject({ method: "POST", url: "/api/staff/logout", ...asStaff(s, false) });
    expect(res.statusCode).toBe(403);
    expect((await t.app.inject({ method: "GET", url: "/api/staff/me", ...asStaff(s) })).statusCode).toBe(200);
  });
});

describe("session lifetime", () => {
  it("idle for 31 min → 401", async () => {
    const s = await signIn(t, STAFF);
    t.clock.advance(31 * MINUTE);
    const res = await t.app.inject({ method: "GET", url: "/api/staff/me", ...asStaff(s) });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe("ERR_UNAUTHENTICATED");
    // The dead cookie is cleared.
    expect(String(res.headers["set-cookie"])).toMatch(/fuer_staff=;.*Max-Age=0/);
  });

  it("use keeps a session alive past 30 min", async () => {
    const s = await signIn(t, STAFF);
    for (let i = 0; i < 4; i++) {
      t.clock.advance(25 * MINUTE);
      expect((await t.app.inject({ method: "GET", url: "/api/staff/probe", ...asStaff(s) })).statusCode).toBe(200);
    }
  });

  it("lastSeenAt is written at most once a minute", async () => {
    const s = await signIn(t, STAFF);
    const id = createHash("sha256").update(s.token).digest("hex");
    const first = (await t.db.staffSession.findUniqueOrThrow({ where: { id } })).lastSeenAt;
    t.clock.advance(30_000);
    await t.app.inject({ method: "GET", url: "/api/staff/probe", ...asStaff(s) });
    expect((await t.db.staffSession.findUniqueOrThrow({ where: { id } })).lastSeenAt).toEqual(first);
    t.clock.advance(31_000);
    await t.app.inject({ method: "GET", url: "/api/staff/probe", ...asStaff(s) });
    expect((await t.db.staffSession.findUniqueOrThrow({ where: { id } })).lastSeenAt).toEqual(t.clock.now);
  });

  it("12 h after login → 401 however active", async () => {
    const s = await signIn(t, STAFF);
    for (let elapsed = 0; elapsed < 12 * 60 - 20; elapsed += 20) {
      t.clock.advance(20 * MINUTE);
      expect((await t.app.inject({ method: "GET", url: "/api/staff/probe", ...asStaff(s) })).statusCode).toBe(200);
    }
    t.clock.advance(20 * MINUTE);
    const res = await t.app.inject({ method: "GET", url: "/api/staff/probe", ...asStaff(s) });
    expect(res.statusCode).toBe(401);
  });
});

describe("logout", () => {
  it("204, clears the cookie, the old cookie no longer works, and the session-closed event fires", async () => {
    const s = await signIn(t, STAFF);
    const closed: string[] = [];
    const off = t.app.staffSessions.onSessionClosed((id) => closed.push(id));
    try {
      const res = await t.app.inject({ method: "POST", url: "/api/staff/logout", ...asStaff(s) });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe("");
      expect(String(res.headers["set-cookie"])).toMatch(/^fuer_staff=;.*Max-Age=0/);
      expect(closed).toEqual([createHash("sha256").update(s.token).digest("hex")]);
      const again = await t.app.inject({ method: "GET", url: "/api/staff/me", ...asStaff(s) });
      expect(again.statusCode).toBe(401);
    } finally {
      off();
    }
  });

  it("signing in again ends the browser's previous session", async () => {
    const s = await signIn(t, STAFF);
    const res = await t.app.inject({
      method: "POST",
      url: "/api/staff/login",
      cookies: { [STAFF_COOKIE]: s.token },
      payload: { username: STAFF.username, password: STAFF.password },
    });
    expect(res.statusCode).toBe(200);
    expect((await t.app.inject({ method: "GET", url: "/api/staff/me", ...asStaff(s) })).statusCode).toBe(401);
  });

  it("revokeAllForUser ends every session of the user and emits for each", async () => {
    const a = await signIn(t, SUPERVISOR);
    const b = await signIn(t, SUPERVISOR);
    const closed: string[] = [];
    const off = t.app.staffSessions.onSessionClosed((id) => closed.push(id));
    try {
      const id = a.body.user.id as string;
      expect(await t.app.staffService.revokeAllForUser(id)).toBeGreaterThanOrEqual(2);
      for (const s of [a, b]) {
        expect((await t.app.inject({ method: "GET", url: "/api/staff/me", ...asStaff(s) })).statusCode).toBe(401);
        expect(closed).toContain(createHash("sha256").update(s.token).digest("hex"));
      }
    } finally {
      off();
    }
  });
});

describe("roles and user administration", () => {
  const newUser = {
    username: "zhaoworker",
    displayName: "赵社工",
    password: "Quiet-meadow-8842",
    role: "staff",
    queues: ["sexual_violence"],
  };

  it("a staff role cannot create or list users (403 ERR_FORBIDDEN)", async () => {
    for (const who of [STAFF, SUPERVISOR]) {
      const s = await signIn(t, who);
      const create = await t.app.inject({ method: "POST", url: "/api/staff/users", ...asStaff(s), payload: newUser });
      expect(create.statusCode).toBe(403);
      expect(create.json().code).toBe("ERR_FORBIDDEN");
      const list = await t.app.inject({ method: "GET", url: "/api/staff/users", ...asStaff(s) });
      expect(list.statusCode).toBe(403);
      const queues = await t.app.inject({
        method: "PUT",
        url: `/api/staff/users/${s.body.user.id}/queues`,
        ...asStaff(s),
        payload: { queues: ["trafficking_missing"] },
      });
      expect(queues.statusCode).toBe(403);
    }
    expect(await t.db.staffUser.count({ where: { username: newUser.username } })).toBe(0);
  });

  it.each([
    ["too short", "Short-1a"],
    ["a common password", "password123456"],
    ["contains the username", "zhaoworker-2024!"],
    ["sequential", "123456789012"],
  ])("an admin creating a user with a weak password (%s) → 400 ERR_WEAK_PASSWORD with the reason", async (_c, pw) => {
    const s = await signIn(t, ADMIN);
    const res = await t.app.inject({
      method: "POST",
      url: "/api/staff/users",
      ...asStaff(s),
      payload: { ...newUser, password: pw },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("ERR_WEAK_PASSWORD");
    expect(res.json().message).toMatch(/^密码不符合要求：.+/);
  });

  it("an admin creates a user (201), the username must be unique (409), the list has no hashes", async () => {
    const s = await signIn(t, ADMIN);
    const res = await t.app.inject({ method: "POST", url: "/api/staff/users", ...asStaff(s), payload: newUser });
    expect(res.statusCode).toBe(201);
    expect(res.json().user).toMatchObject({ username: newUser.username, role: "staff", queues: ["sexual_violence"] });
    const dup = await t.app.inject({ method: "POST", url: "/api/staff/users", ...asStaff(s), payload: newUser });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe("ERR_USERNAME_TAKEN");

    const list = await t.app.inject({ method: "GET", url: "/api/staff/users", ...asStaff(s) });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toMatch(/argon2|passwordHash|failedLogins/);
    const names = list.json().users.map((u: { username: string }) => u.username);
    expect(names).toEqual(expect.arrayContaining(["admin", newUser.username, STAFF.username]));
    // The new user can sign in.
    await signIn(t, newUser);
  });

  it("bad user input → 400 (unknown role, bad queue id, unknown field)", async () => {
    const s = await signIn(t, ADMIN);
    for (const payload of [
      { ...newUser, username: "other1", role: "root" },
      { ...newUser, username: "other2", queues: ["Domestic-Violence"] },
      { ...newUser, username: "other3", isAdmin: true },
      { ...newUser, username: "1bad name" },
    ]) {
      const res = await t.app.inject({ method: "POST", url: "/api/staff/users", ...asStaff(s), payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe("ERR_VALIDATION");
    }
  });

  it("PUT /api/staff/users/:id/queues replaces the memberships; open sessions see it at once", async () => {
    const admin = await signIn(t, ADMIN);
    const staff = await signIn(t, STAFF);
    const id = staff.body.user.id as string;
    const res = await t.app.inject({
      method: "PUT",
      url: `/api/staff/users/${id}/queues`,
      ...asStaff(admin),
      payload: { queues: ["trafficking_missing", "child_harm", "child_harm"] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.queues).toEqual(["child_harm", "trafficking_missing"]);
    const me = await t.app.inject({ method: "GET", url: "/api/staff/me", ...asStaff(staff) });
    expect(me.json().user.queues).toEqual(["child_harm", "trafficking_missing"]);

    const missing = await t.app.inject({
      method: "PUT",
      url: "/api/staff/users/no-such-user/queues",
      ...asStaff(admin),
      payload: { queues: [] },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe("ERR_USER_NOT_FOUND");

    // Restore for other tests.
    await t.app.staffService.setQueues(id, STAFF.queues);
  });

  it("canSeeQueue: staff see only their queues, supervisors and admins see all", async () => {
    const staff = (await signIn(t, STAFF)).body.user;
    const sup = (await signIn(t, SUPERVISOR)).body.user;
    const admin = (await signIn(t, ADMIN)).body.user;
    expect(canSeeQueue(staff, "domestic_violence")).toBe(true);
    expect(canSeeQueue(staff, "self_harm")).toBe(false);
    expect(canSeeQueue(sup, "self_harm")).toBe(true);
    expect(canSeeQueue(admin, "trafficking_missing")).toBe(true);
  });
});

describe("first admin", () => {
  it("is created only when no admin exists", async () => {
    expect(await t.db.staffUser.count({ where: { role: "admin" } })).toBe(1);
    const again = await t.app.staffService.ensureFirstAdmin({ username: "second", password: "Another-long-pass-77" });
    expect(again).toEqual({ created: false });
    expect(await t.db.staffUser.count({ where: { username: "second" } })).toBe(0);
  });

  it("a weak first-admin password is refused", async () => {
    const t2 = await buildStaffTestApp();
    try {
      await t2.db.staffUser.deleteMany({});
      await expect(
        t2.app.staffService.ensureFirstAdmin({ username: "boss", password: "admin123456" }),
      ).rejects.toMatchObject({ code: "ERR_WEAK_PASSWORD" });
      expect(await t2.db.staffUser.count()).toBe(0);
    } finally {
      await t2.close();
    }
  });
});

describe("login rate limit", () => {
  it("more than 10 attempts a minute from one address → 429 ERR_RATE_LIMITED, allowed again a minute later", async () => {
    const t2 = await buildStaffTestApp({ loginAttemptsPerMinute: 10 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        // Different usernames: the limit is per address, not per account.
        statuses.push((await login(t2, `someone${i}`, "wrong-password-zz")).statusCode);
      }
      expect(statuses.every((s) => s === 401)).toBe(true);
      const limited = await login(t2, ADMIN.username, ADMIN.password);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe("ERR_RATE_LIMITED");
      expect(limited.json().message).toMatch(/[\u4e00-\u9fff]/);
      // Another address is not affected.
      const other = await t2.app.inject({
        method: "POST",
        url: "/api/staff/login",
        remoteAddress: "10.0.0.9",
        payload: ADMIN,
      });
      expect(other.statusCode).toBe(200);
      t2.clock.advance(MINUTE);
      expect((await login(t2, ADMIN.username, ADMIN.password)).statusCode).toBe(200);
    } finally {
      await t2.close();
    }
  });
});

describe("privacy", () => {
  it("canary: the password and display name appear in no captured log line (nor cookies or CSRF tokens)", async () => {
    // Exercise the logging paths with the canaries: failures, success, me, admin create, logout.
    await login(t, STAFF.username, `${STAFF.password}-wrong`);
    const s = await signIn(t, STAFF);
    await t.app.inject({ method: "GET", url: "/api/staff/me", ...asStaff(s) });
    const admin = await signIn(t, ADMIN);
    await t.app.inject({
      method: "POST",
      url: "/api/staff/users",
      ...asStaff(admin),
      payload: { ...STAFF, username: "canary2", displayName: `${STAFF.displayName}二` },
    });
    await t.app.inject({ method: "POST", url: "/api/staff/logout", ...asStaff(s) });

    expect(t.logs.length).toBeGreaterThan(10);
    const all = t.logs.join("\n");
    for (const secret of [
      STAFF.password,
      STAFF.displayName,
      SUPERVISOR.password,
      SUPERVISOR.displayName,
      ADMIN.password,
      s.token,
      s.csrf,
      admin.token,
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
