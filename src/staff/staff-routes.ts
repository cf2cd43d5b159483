import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AsyncRateLimiter } from "../shared/shared-rate-limiter.ts";
import { staffOf } from "./staff-access.ts";
import { clearSessionCookie, STAFF_COOKIE, setSessionCookie } from "./staff-cookie.ts";
import { staffErrors } from "./staff-errors.ts";
import {
  errorBodySchema,
  lockedBodySchema,
  loginRequestSchema,
  newStaffUserSchema,
  sessionResponseSchema,
  setQueuesRequestSchema,
  staffUserListResponseSchema,
  userIdParamsSchema,
  userResponseSchema,
} from "./staff-schemas.ts";
import type { AuthenticatedStaff, StaffService, StaffUserView } from "./staff-service.ts";

export interface StaffRoutesOptions {
  service: StaffService;
  loginLimiter: AsyncRateLimiter;
  loginAttemptsPerMinute: number;
  now: () => Date;
}

/** Staff read this: 北京时间 hh:mm (and the date when it is not today). */
function unlockTimeText(until: Date, now: Date): string {
  const zone = "Asia/Shanghai";
  const day = (d: Date) => d.toLocaleDateString("zh-CN", { timeZone: zone });
  const time = until.toLocaleTimeString("zh-CN", { timeZone: zone, hour: "2-digit", minute: "2-digit", hour12: false });
  const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
  const when = day(until) === day(now) ? time : `${day(until)} ${time}`;
  return `请在 ${when}（北京时间，约${minutes}分钟后）再试。`;
}

function userOut(staff: StaffUserView) {
  return {
    id: staff.id,
    username: staff.username,
    displayName: staff.displayName,
    role: staff.role,
    queues: staff.queues,
  };
}

function sessionOut(staff: AuthenticatedStaff) {
  return { user: userOut(staff), csrfToken: staff.csrfToken };
}

const errorResponses = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema };

export const staffRoutes: FastifyPluginAsyncZod<StaffRoutesOptions> = async (app, opts) => {
  const { service } = opts;
  const adminOnly = app.requireStaff({ roles: ["admin"] });
  // Session answers carry the CSRF token and staff details: never cached (app.ts does this app-wide too).
  app.addHook("onSend", async (_request, reply) => {
    reply.header("cache-control", "no-store");
  });

  app.post(
    "/api/staff/login",
    {
      // Counted before the body is even read, so malformed attempts count too.
      onRequest: async (request) => {
        if (!(await opts.loginLimiter.hit(`login:${request.ip}`, opts.loginAttemptsPerMinute))) {
          throw staffErrors.loginRateLimited();
        }
      },
      schema: {
        body: loginRequestSchema,
        response: {
          200: sessionResponseSchema,
          ...errorResponses,
          423: lockedBodySchema,
          429: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const result = await service.login(request.body.username, request.body.password);
      if (result.ok) {
        // Signing in again ends the session this browser had.
        const previous = await service.authenticate(request.cookies[STAFF_COOKIE]);
        if (previous) await service.logout(previous.sessionId);
        setSessionCookie(request, reply, result.token, result.expiresAt.getTime() - opts.now().getTime());
        request.log.info({ staffId: result.staff.id }, "staff login");
        return sessionOut(result.staff);
      }
      if (result.reason === "locked") {
        request.log.warn("staff login refused: account locked");
        const t = opts.now();
        const retryAfter = Math.max(1, Math.ceil((result.lockedUntil.getTime() - t.getTime()) / 1000));
        return reply
          .status(423)
          .header("retry-after", String(retryAfter))
          .send({
            code: staffErrors.accountLocked.code,
            message: `${staffErrors.accountLocked.message}${unlockTimeText(result.lockedUntil, t)}`,
            unlocksAt: result.lockedUntil.toISOString(),
          });
      }
      request.log.info("staff login failed");
      throw staffErrors.loginFailed();
    },
  );

  app.post(
    "/api/staff/logout",
    { onRequest: app.requireStaff(), schema: { response: { 204: z.null(), ...errorResponses } } },
    async (request, reply) => {
      const staff = staffOf(request);
      await service.logout(staff.sessionId);
      clearSessionCookie(request, reply);
      request.log.info({ staffId: staff.id }, "staff logout");
      return reply.status(204).send(null);
    },
  );

  app.get(
    "/api/staff/me",
    { onRequest: app.requireStaff(), schema: { response: { 200: sessionResponseSchema, ...errorResponses } } },
    async (request) => sessionOut(staffOf(request)),
  );

  app.post(
    "/api/staff/users",
    {
      onRequest: adminOnly,
      schema: {
        body: newStaffUserSchema,
        response: { 201: userResponseSchema, ...errorResponses, 409: errorBodySchema },
      },
    },
    async (request, reply) => {
      const user = await service.createUser(request.body);
      request.log.info({ staffId: staffOf(request).id, createdUserId: user.id, role: user.role }, "staff user created");
      return reply.status(201).send({ user: userOut(user) });
    },
  );

  app.get(
    "/api/staff/users",
    {
      onRequest: adminOnly,
      schema: {
        response: { 200: staffUserListResponseSchema, ...errorResponses },
      },
    },
    async () => {
      const users = await service.listUsers();
      return {
        users: users.map((u) => ({
          ...userOut(u),
          createdAt: u.createdAt.toISOString(),
          disabled: u.disabled,
          lockedUntil: u.lockedUntil ? u.lockedUntil.toISOString() : null,
        })),
      };
    },
  );

  app.put(
    "/api/staff/users/:id/queues",
    {
      onRequest: adminOnly,
      schema: {
        params: userIdParamsSchema,
        body: setQueuesRequestSchema,
        response: { 200: userResponseSchema, ...errorResponses, 404: errorBodySchema },
      },
    },
    async (request) => {
      const user = await service.setQueues(request.params.id, request.body.queues);
      request.log.info({ staffId: staffOf(request).id, targetUserId: user.id }, "staff queues changed");
      return { user: userOut(user) };
    },
  );
};
