import { createHash, timingSafeEqual } from "node:crypto";
import cookie from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Db } from "../db/prisma-client.ts";
import { type AsyncRateLimiter, createMemoryRateLimiter } from "../shared/shared-rate-limiter.ts";
import { loadCommonPasswords } from "./common-passwords.ts";
import { createSessionEvents, type SessionEvents } from "./session-events.ts";
import { clearSessionCookie, STAFF_COOKIE } from "./staff-cookie.ts";
import { staffErrors } from "./staff-errors.ts";
import { staffRoutes } from "./staff-routes.ts";
import type { StaffRole } from "./staff-schemas.ts";
import { type AuthenticatedStaff, createStaffService, type StaffService } from "./staff-service.ts";

export type { SessionClosedListener, SessionEvents } from "./session-events.ts";
export { canSeeQueue, staffOf } from "./staff-access.ts";
export { STAFF_COOKIE } from "./staff-cookie.ts";
export type { StaffRole } from "./staff-schemas.ts";
export type { AuthenticatedStaff, StaffService, StaffUserView } from "./staff-service.ts";

export interface RequireStaffOptions {
  /** Roles allowed; all signed-in staff when omitted. */
  roles?: readonly StaffRole[];
}

export type StaffPreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface StaffPluginOptions {
  db: Db;
  /** Clock, for tests. */
  now?: () => Date;
  /** Creates this admin on start when no admin exists yet (ADMIN_USERNAME / ADMIN_PASSWORD). */
  firstAdmin?: { username: string; password: string; displayName?: string };
  /** Lower-cased common passwords; knowledge/staff/common-passwords.txt when omitted. */
  blocklist?: ReadonlySet<string>;
  /** Login attempts one address may make per minute (default 10). */
  loginAttemptsPerMinute?: number;
  /** The counters of login attempts (one-minute windows), shared across instances; this plugin's own in memory when omitted. */
  loginLimiter?: AsyncRateLimiter;
}

declare module "fastify" {
  interface FastifyInstance {
    /** Staff accounts, logins and sessions. */
    staffService: StaffService;
    /** Session-closed notices (logout, revocation): see session-events.ts. */
    staffSessions: SessionEvents;
    /**
     * A preHandler that admits signed-in staff only: 401 ERR_UNAUTHENTICATED without a
     * valid session, 403 ERR_CSRF on POST/PUT/PATCH/DELETE without the session's
     * x-csrf-token header, 403 ERR_FORBIDDEN when the role is not in `roles`.
     * Sets `request.staff`.
     */
    requireStaff(options?: RequireStaffOptions): StaffPreHandler;
  }
  interface FastifyRequest {
    /** The signed-in staff member, set by `app.requireStaff()`; null on other routes. */
    staff: AuthenticatedStaff | null;
  }
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Constant-time comparison of the x-csrf-token header with the session's token. */
export function csrfTokenMatches(header: string | string[] | undefined, expected: string): boolean {
  if (typeof header !== "string" || header.length === 0) return false;
  // Hashing first gives equal lengths, so timingSafeEqual does not leak the length either.
  return timingSafeEqual(digest(header), digest(expected));
}

const staffPluginImpl: FastifyPluginAsyncZod<StaffPluginOptions> = async (app, opts) => {
  if (!app.hasDecorator("parseCookie")) await app.register(cookie);

  const now = opts.now ?? (() => new Date());
  const events = createSessionEvents((err) => app.log.error({ err }, "staff session-closed listener failed"));
  const service = createStaffService({
    db: opts.db,
    now,
    blocklist: opts.blocklist ?? loadCommonPasswords(),
    events,
  });

  app.decorate("staffService", service);
  app.decorate("staffSessions", events);
  app.decorateRequest("staff", null);

  app.decorate("requireStaff", (options: RequireStaffOptions = {}): StaffPreHandler => {
    const roles = options.roles;
    return async function requireStaff(request, reply) {
      const token = request.cookies[STAFF_COOKIE];
      const staff = await service.authenticate(token);
      if (!staff) {
        // A dead cookie is of no use to anyone: drop it.
        if (token !== undefined) clearSessionCookie(request, reply);
        throw staffErrors.unauthenticated();
      }
      if (STATE_CHANGING.has(request.method) && !csrfTokenMatches(request.headers["x-csrf-token"], staff.csrfToken)) {
        throw staffErrors.csrf();
      }
      if (roles && !roles.includes(staff.role)) throw staffErrors.forbidden();
      request.staff = staff;
    };
  });

  if (opts.firstAdmin) {
    const { created } = await service.ensureFirstAdmin(opts.firstAdmin);
    if (created) app.log.info("first staff admin created");
  }

  let loginLimiter = opts.loginLimiter;
  if (!loginLimiter) {
    const own = createMemoryRateLimiter(60_000, () => now().getTime());
    const sweep = setInterval(() => own.sweep(), 60_000);
    sweep.unref();
    app.addHook("onClose", async () => clearInterval(sweep));
    loginLimiter = own;
  }

  await app.register(staffRoutes, {
    service,
    loginLimiter,
    loginAttemptsPerMinute: opts.loginAttemptsPerMinute ?? 10,
    now,
  });
};

/**
 * Staff accounts, sessions, CSRF and roles. Register once, before routes that
 * use `app.requireStaff()`:
 *
 *   await app.register(staffPlugin, { db, firstAdmin });
 *   app.get("/api/staff/cases", { preHandler: app.requireStaff() }, handler);
 *   app.post("/api/staff/users", { preHandler: app.requireStaff({ roles: ["admin"] }) }, handler);
 *
 * Also registers @fastify/cookie (unless already registered) and the routes
 * under /api/staff (staff-routes.ts).
 */
export const staffPlugin = fp(staffPluginImpl, { name: "fuer-staff", fastify: "5.x" });
