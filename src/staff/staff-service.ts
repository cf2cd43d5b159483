import { createHash, randomBytes, randomUUID } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import type { Db } from "../db/prisma-client.ts";
import { checkPasswordPolicy } from "./password-fns.ts";
import type { SessionEvents } from "./session-events.ts";
import { staffErrors } from "./staff-errors.ts";
import {
  isStaffRole,
  type NewStaffUser,
  newStaffUserSchema,
  normalizeUsername,
  queueListSchema,
  type StaffRole,
} from "./staff-schemas.ts";

/** Consecutive wrong passwords that lock an account. */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;
/** A session unused this long is over. */
export const IDLE_TIMEOUT_MS = 30 * 60_000;
/** A session is over this long after login, however active. */
export const SESSION_MAX_AGE_MS = 12 * 60 * 60_000;
/** lastSeenAt is written at most this often per session (saves a write per request). */
export const TOUCH_INTERVAL_MS = 60_000;

/** 32 random bytes, base64url without padding. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Unknown usernames whose failures are tracked in memory (see login). */
const MAX_PHANTOM_ENTRIES = 10_000;

export interface StaffUserView {
  id: string;
  username: string;
  displayName: string;
  role: StaffRole;
  /** Queue ids, sorted. Supervisors and admins see every queue whatever this says (see canSeeQueue). */
  queues: string[];
}

export interface StaffUserListItem extends StaffUserView {
  createdAt: Date;
  disabled: boolean;
  /** Set while the account is locked. */
  lockedUntil: Date | null;
}

/** The signed-in staff member behind a request (`request.staff`). */
export interface AuthenticatedStaff extends StaffUserView {
  /** StaffSession.id: the SHA-256 of the cookie token, never the token itself. */
  sessionId: string;
  csrfToken: string;
}

export type LoginResult =
  | {
      ok: true;
      /** Goes in the cookie and nowhere else; the database holds only its hash. */
      token: string;
      expiresAt: Date;
      staff: AuthenticatedStaff;
    }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "locked"; lockedUntil: Date };

export interface StaffServiceOptions {
  db: Db;
  now?: () => Date;
  /** Lower-cased common passwords; see loadCommonPasswords(). */
  blocklist: ReadonlySet<string>;
  /** Told about every session this service ends. */
  events?: SessionEvents;
}

export interface StaffService {
  createUser(input: NewStaffUser): Promise<StaffUserView>;
  listUsers(): Promise<StaffUserListItem[]>;
  /** Replaces the user's queue memberships; open sessions see the change on their next request. */
  setQueues(userId: string, queues: string[]): Promise<StaffUserView>;
  login(username: string, password: string): Promise<LoginResult>;
  /** The staff member for a cookie token, or null when it is missing, unknown, revoked, idle or expired. */
  authenticate(token: string | undefined | null): Promise<AuthenticatedStaff | null>;
  logout(sessionId: string): Promise<void>;
  /** Ends every open session of the user; returns how many. */
  revokeAllForUser(userId: string): Promise<number>;
  /** Deletes sessions that can no longer be used; returns how many. */
  purgeSessions(): Promise<number>;
  /** Creates the first admin when no admin exists yet; a weak password is refused (throws ERR_WEAK_PASSWORD). */
  ensureFirstAdmin(input: { username: string; password: string; displayName?: string }): Promise<{ created: boolean }>;
}

/** SHA-256 of a cookie token: the StaffSession.id. */
export function sessionIdForToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

export async function hashPassword(password: string): Promise<string> {
  // @node-rs/argon2 defaults: argon2id, m=19456 KiB, t=2, p=1 (the OWASP minimum).
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

type UserWithQueues = {
  id: string;
  username: string;
  displayName: string;
  role: string;
  queues: { queue: string }[];
};

function toView(user: UserWithQueues): StaffUserView | null {
  if (!isStaffRole(user.role)) return null;
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    queues: user.queues.map((q) => q.queue).sort(),
  };
}

function zodDetail(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const first = error.issues[0];
  if (!first) return "";
  const field = first.path.map(String).join(".");
  return `${field ? `${field}：` : ""}${first.message}`;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}

export function createStaffService(opts: StaffServiceOptions): StaffService {
  const { db, blocklist } = opts;
  const now = opts.now ?? (() => new Date());
  const events = opts.events;

  // Verifying against a throwaway hash makes "no such user" take as long as "wrong password".
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => {
    dummyHash ??= hashPassword(randomToken());
    return dummyHash;
  };

  // Unknown (or disabled) usernames lock like real ones, so the lockout message does not
  // reveal which usernames exist. In memory only: nothing about them is worth storing.
  const phantoms = new Map<string, { failures: number; lockedUntil: number }>();
  function phantomFailure(username: string, t: number): LoginResult {
    const entry = phantoms.get(username) ?? { failures: 0, lockedUntil: 0 };
    phantoms.delete(username);
    if (phantoms.size >= MAX_PHANTOM_ENTRIES) {
      const oldest = phantoms.keys().next().value;
      if (oldest !== undefined) phantoms.delete(oldest);
    }
    entry.failures++;
    let result: LoginResult = { ok: false, reason: "invalid" };
    if (entry.failures >= MAX_FAILED_LOGINS) {
      entry.failures = 0;
      entry.lockedUntil = t + LOCKOUT_MS;
      result = { ok: false, reason: "locked", lockedUntil: new Date(entry.lockedUntil) };
    }
    phantoms.set(username, entry);
    return result;
  }

  async function createUser(input: NewStaffUser): Promise<StaffUserView> {
    const parsed = newStaffUserSchema.safeParse(input);
    if (!parsed.success) throw staffErrors.invalidStaffInput(zodDetail(parsed.error));
    const { username, displayName, password, role, queues } = parsed.data;
    const policy = checkPasswordPolicy(password, { username, blocklist });
    if (!policy.ok) throw staffErrors.weakPassword(policy.reason);
    const passwordHash = await hashPassword(password);
    try {
      const user = await db.staffUser.create({
        data: {
          id: randomUUID(),
          username,
          displayName,
          role,
          passwordHash,
          createdAt: now(),
          queues: { create: queues.map((queue) => ({ queue })) },
        },
        select: { id: true, username: true, displayName: true, role: true, queues: { select: { queue: true } } },
      });
      return toView(user) as StaffUserView;
    } catch (err) {
      if (isUniqueViolation(err)) throw staffErrors.usernameTaken();
      throw err;
    }
  }

  async function createSession(user: StaffUserView, t: Date): Promise<LoginResult> {
    const token = randomToken();
    const sessionId = sessionIdForToken(token);
    const csrfToken = randomToken();
    const expiresAt = new Date(t.getTime() + SESSION_MAX_AGE_MS);
    // Housekeeping: this user's sessions that can no longer be used.
    await db.staffSession.deleteMany({ where: { userId: user.id, expiresAt: { lte: t } } });
    await db.staffSession.create({
      data: { id: sessionId, userId: user.id, csrfToken, createdAt: t, lastSeenAt: t, expiresAt },
    });
    return { ok: true, token, expiresAt, staff: { ...user, sessionId, csrfToken } };
  }

  async function login(usernameInput: string, password: string): Promise<LoginResult> {
    const username = normalizeUsername(usernameInput);
    const t = now();
    const user = await db.staffUser.findUnique({
      where: { username },
      select: {
        id: true,
        username: true,
        displayName: true,
        role: true,
        disabledAt: true,
        lockedUntil: true,
        passwordHash: true,
        queues: { select: { queue: true } },
      },
    });
    const view = user && !user.disabledAt ? toView(user) : null;
    if (!user || !view) {
      const phantom = phantoms.get(username);
      if (phantom && phantom.lockedUntil > t.getTime()) {
        return { ok: false, reason: "locked", lockedUntil: new Date(phantom.lockedUntil) };
      }
      await verifyPassword(await getDummyHash(), password);
      return phantomFailure(username, t.getTime());
    }
    // Locked: the password is not even checked, so a right one fails too.
    if (user.lockedUntil && user.lockedUntil.getTime() > t.getTime()) {
      return { ok: false, reason: "locked", lockedUntil: user.lockedUntil };
    }
    if (!(await verifyPassword(user.passwordHash, password))) {
      const updated = await db.staffUser.update({
        where: { id: user.id },
        data: { failedLogins: { increment: 1 } },
        select: { failedLogins: true },
      });
      if (updated.failedLogins >= MAX_FAILED_LOGINS) {
        const lockedUntil = new Date(t.getTime() + LOCKOUT_MS);
        // The count starts again after the lock: five more tries once it lifts.
        await db.staffUser.update({ where: { id: user.id }, data: { failedLogins: 0, lockedUntil } });
        return { ok: false, reason: "locked", lockedUntil };
      }
      return { ok: false, reason: "invalid" };
    }
    // Reset the count only if no concurrent attempt locked the account meanwhile.
    const reset = await db.staffUser.updateMany({
      where: { id: user.id, OR: [{ lockedUntil: null }, { lockedUntil: { lte: t } }] },
      data: { failedLogins: 0, lockedUntil: null },
    });
    if (reset.count === 0) {
      const current = await db.staffUser.findUnique({ where: { id: user.id }, select: { lockedUntil: true } });
      return { ok: false, reason: "locked", lockedUntil: current?.lockedUntil ?? new Date(t.getTime() + LOCKOUT_MS) };
    }
    return createSession(view, t);
  }

  async function authenticate(token: string | undefined | null): Promise<AuthenticatedStaff | null> {
    if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return null;
    const sessionId = sessionIdForToken(token);
    const session = await db.staffSession.findUnique({
      where: { id: sessionId },
      select: {
        csrfToken: true,
        lastSeenAt: true,
        expiresAt: true,
        revokedAt: true,
        user: {
          select: {
            id: true,
            username: true,
            displayName: true,
            role: true,
            disabledAt: true,
            queues: { select: { queue: true } },
          },
        },
      },
    });
    if (!session || session.revokedAt || session.user.disabledAt) return null;
    const t = now().getTime();
    if (t >= session.expiresAt.getTime()) return null;
    const idle = t - session.lastSeenAt.getTime();
    if (idle >= IDLE_TIMEOUT_MS) return null;
    const view = toView(session.user);
    if (!view) return null;
    if (idle >= TOUCH_INTERVAL_MS) {
      await db.staffSession.updateMany({
        where: { id: sessionId, revokedAt: null },
        data: { lastSeenAt: new Date(t) },
      });
    }
    return { ...view, sessionId, csrfToken: session.csrfToken };
  }

  async function logout(sessionId: string): Promise<void> {
    await db.staffSession.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now() } });
    events?.emitSessionClosed(sessionId);
  }

  async function revokeAllForUser(userId: string): Promise<number> {
    const open = await db.staffSession.findMany({ where: { userId, revokedAt: null }, select: { id: true } });
    if (open.length === 0) return 0;
    const ids = open.map((s) => s.id);
    await db.staffSession.updateMany({ where: { id: { in: ids }, revokedAt: null }, data: { revokedAt: now() } });
    for (const id of ids) events?.emitSessionClosed(id);
    return ids.length;
  }

  async function purgeSessions(): Promise<number> {
    const t = now().getTime();
    const result = await db.staffSession.deleteMany({
      where: {
        OR: [
          { expiresAt: { lte: new Date(t) } },
          { lastSeenAt: { lte: new Date(t - IDLE_TIMEOUT_MS) } },
          { revokedAt: { not: null } },
        ],
      },
    });
    return result.count;
  }

  async function listUsers(): Promise<StaffUserListItem[]> {
    const users = await db.staffUser.findMany({
      orderBy: { username: "asc" },
      // Never the hash.
      select: {
        id: true,
        username: true,
        displayName: true,
        role: true,
        createdAt: true,
        disabledAt: true,
        lockedUntil: true,
        queues: { select: { queue: true } },
      },
    });
    const t = now().getTime();
    const items: StaffUserListItem[] = [];
    for (const user of users) {
      const view = toView(user);
      if (!view) continue;
      items.push({
        ...view,
        createdAt: user.createdAt,
        disabled: user.disabledAt !== null,
        lockedUntil: user.lockedUntil && user.lockedUntil.getTime() > t ? user.lockedUntil : null,
      });
    }
    return items;
  }

  async function setQueues(userId: string, queuesInput: string[]): Promise<StaffUserView> {
    const parsed = queueListSchema.safeParse(queuesInput);
    if (!parsed.success) throw staffErrors.invalidStaffInput(zodDetail(parsed.error));
    const queues = parsed.data;
    const exists = await db.staffUser.findUnique({ where: { id: userId }, select: { id: true } });
    if (!exists) throw staffErrors.userNotFound();
    await db.$transaction([
      db.queueMembership.deleteMany({ where: { userId } }),
      db.queueMembership.createMany({ data: queues.map((queue) => ({ userId, queue })) }),
    ]);
    const user = await db.staffUser.findUnique({
      where: { id: userId },
      select: { id: true, username: true, displayName: true, role: true, queues: { select: { queue: true } } },
    });
    const view = user ? toView(user) : null;
    if (!view) throw staffErrors.userNotFound();
    return view;
  }

  async function ensureFirstAdmin(input: {
    username: string;
    password: string;
    displayName?: string;
  }): Promise<{ created: boolean }> {
    const admins = await db.staffUser.count({ where: { role: "admin" } });
    if (admins > 0) return { created: false };
    try {
      await createUser({
        username: input.username,
        displayName: input.displayName ?? "系统管理员",
        password: input.password,
        role: "admin",
        queues: [],
      });
    } catch (err) {
      // Another instance starting at the same moment created it.
      if (err instanceof Error && (err as { code?: string }).code === staffErrors.usernameTaken.code) {
        const again = await db.staffUser.count({ where: { role: "admin" } });
        if (again > 0) return { created: false };
      }
      throw err;
    }
    return { created: true };
  }

  return {
    createUser,
    listUsers,
    setQueues,
    login,
    authenticate,
    logout,
    revokeAllForUser,
    purgeSessions,
    ensureFirstAdmin,
  };
}
