/**
 * The admin API under /api/admin: role admin only (`onRequest`, so no body is
 * read without a session), CSRF header on every change. Plus the resident's
 * 👍/👎 at POST /api/chat/feedback (public: the conversation id is the key).
 */

import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { conversationIdSchema } from "../chat/chat-schemas.ts";
import type { ResidentLimiter } from "../chat/resident-limiter.ts";
import type { Db } from "../db/prisma-client.ts";
import { SERVICE_CATEGORIES } from "../knowledge/directory-schema.ts";
import { AppError } from "../shared/errors.ts";
import { type Actor, type AdminService, DirectoryInvalidError } from "./admin-service.ts";
import { statsToCsv } from "./stats-fns.ts";

const errorBody = z.object({ code: z.string(), message: z.string() });
const errorsOf = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };
const invalidBody = z.object({
  code: z.string(),
  message: z.string(),
  issues: z.array(
    z.object({
      line: z.number().optional(),
      entry: z.number().optional(),
      id: z.string().optional(),
      field: z.string().optional(),
      message: z.string(),
    }),
  ),
});

const entrySchema = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  area: z.string().nullable(),
  phone: z.string().nullable(),
  address: z.string().nullable(),
  hours: z.string().nullable(),
  description: z.string(),
  howToReach: z.string().nullable(),
  keywords: z.array(z.string()),
  source: z.string(),
  verified: z.boolean(),
  verifiedAt: z.string().nullable(),
  verifiedBy: z.string().nullable(),
  stale: z.enum(["never", "old"]).nullable(),
  edited: z.boolean(),
});

const idParams = z.strictObject({ id: z.string().min(1).max(100) });
const shortText = z.string().max(200);
const patchSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  phone: shortText.nullable().optional(),
  address: shortText.nullable().optional(),
  hours: shortText.nullable().optional(),
  description: z.string().trim().min(1).max(2000).optional(),
  howToReach: z.string().max(1000).nullable().optional(),
  keywords: z.array(z.string().max(30)).max(50).optional(),
});
const verifySchema = z.strictObject({
  source: z.string().trim().min(1, "请写明核实来源").max(200),
  verifiedBy: z.string().max(100).optional(),
  verifiedAt: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
});
const citationSchema = z.object({
  id: z.string(),
  plan: z.enum(["women", "children"]),
  domain: z.string().nullable(),
  section: z.enum(["goal", "measure", "other"]),
  number: z.number().nullable(),
  title: z.string(),
  text: z.string(),
});
const seriesSchema = z.array(z.object({ name: z.string(), counts: z.array(z.number()), total: z.number() }));
const countsSchema = z.array(z.object({ key: z.string(), count: z.number() }));
const durationsSchema = z.object({
  count: z.number(),
  medianMinutes: z.number().nullable(),
  p90Minutes: z.number().nullable(),
});
const statsSchema = z.object({
  from: z.string(),
  to: z.string(),
  months: z.array(z.string()),
  totals: z.object({
    questions: z.number(),
    unanswered: z.number(),
    unansweredRate: z.number().nullable(),
    escalations: z.number(),
    helpful: z.number(),
    unhelpful: z.number(),
  }),
  questionsByDomain: seriesSchema,
  questionsByArea: seriesSchema,
  unansweredByMonth: z.array(
    z.object({ month: z.string(), questions: z.number(), unanswered: z.number(), rate: z.number().nullable() }),
  ),
  escalations: z.object({
    byCategory: countsSchema,
    bySeverity: countsSchema,
    byArea: countsSchema,
    byMonth: seriesSchema,
  }),
  timeToClaim: durationsSchema,
  timeToClose: durationsSchema,
});
const dateParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "日期格式应为 YYYY-MM-DD")
  .optional();
const statsQuery = z.strictObject({ from: dateParam, to: dateParam });

/** `from` at 00:00 and the day after `to` at 00:00, Jiyuan time; default: the last 12 months to today. */
export function statsRange(
  q: { from?: string | undefined; to?: string | undefined },
  now: Date,
): { from: Date; to: Date } {
  const day = (s: string) => new Date(`${s}T00:00:00+08:00`);
  const local = new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
  const to = new Date(day(q.to ?? local).getTime() + 86_400_000);
  let from: Date;
  if (q.from) from = day(q.from);
  else {
    const [y, m] = local.split("-").map(Number) as [number, number];
    const start = new Date(Date.UTC(y, m - 1 - 11, 1));
    from = day(start.toISOString().slice(0, 10));
  }
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
    throw new AppError("ERR_VALIDATION", "输入有误：起止日期不正确。", 400);
  }
  return { from, to };
}

function actorOf(staff: { id: string; username: string; displayName: string } | null): Actor {
  if (!staff) throw new AppError("ERR_UNAUTHENTICATED", "请先登录。", 401);
  return { id: staff.id, username: staff.username, displayName: staff.displayName };
}

export interface AdminRoutesOptions {
  admin: AdminService;
  now?: (() => Date) | undefined;
}

export const adminRoutes: FastifyPluginAsyncZod<AdminRoutesOptions> = async (app, opts) => {
  const { admin } = opts;
  const now = opts.now ?? (() => new Date());
  const adminOnly = app.requireStaff({ roles: ["admin"] });

  app.get(
    "/api/admin/directory",
    {
      onRequest: adminOnly,
      schema: {
        querystring: z.strictObject({
          area: z.string().max(30).optional(),
          category: z.enum(SERVICE_CATEGORIES as [string, ...string[]]).optional(),
          q: z.string().max(100).optional(),
        }),
        response: {
          200: z.object({ entries: z.array(entrySchema), areas: z.array(z.string()), categories: z.array(z.string()) }),
          ...errorsOf,
        },
      },
    },
    async (request) => ({
      entries: admin.listDirectory(request.query),
      areas: admin.areas(),
      categories: [...SERVICE_CATEGORIES],
    }),
  );

  const entryReply = { 200: z.object({ entry: entrySchema }), ...errorsOf, 400: z.union([invalidBody, errorBody]) };
  const sendInvalid = (err: unknown) => {
    if (err instanceof DirectoryInvalidError) {
      return {
        code: err.code,
        message: err.message,
        issues: err.issues.map((i) => ({
          ...(i.line !== undefined ? { line: i.line } : {}),
          ...(i.entry !== undefined ? { entry: i.entry } : {}),
          ...(i.id !== undefined ? { id: i.id } : {}),
          ...(i.field !== undefined ? { field: i.field } : {}),
          message: i.message,
        })),
      };
    }
    throw err;
  };

  app.put(
    "/api/admin/directory/:id",
    { onRequest: adminOnly, schema: { params: idParams, body: patchSchema, response: entryReply } },
    async (request, reply) => {
      try {
        return { entry: await admin.updateEntry(request.params.id, request.body, actorOf(request.staff)) };
      } catch (err) {
        return reply.code(400).send(sendInvalid(err));
      }
    },
  );

  app.post(
    "/api/admin/directory/:id/verify",
    { onRequest: adminOnly, schema: { params: idParams, body: verifySchema, response: entryReply } },
    async (request, reply) => {
      try {
        return { entry: await admin.verifyEntry(request.params.id, request.body, actorOf(request.staff)) };
      } catch (err) {
        return reply.code(400).send(sendInvalid(err));
      }
    },
  );

  app.post(
    "/api/admin/directory/:id/unverify",
    { onRequest: adminOnly, schema: { params: idParams, response: entryReply } },
    async (request, reply) => {
      try {
        return { entry: await admin.withdrawVerification(request.params.id, actorOf(request.staff)) };
      } catch (err) {
        return reply.code(400).send(sendInvalid(err));
      }
    },
  );

  app.get(
    "/api/admin/directory.csv",
    { onRequest: adminOnly, schema: { response: { 200: z.string(), ...errorsOf } } },
    async (_request, reply) =>
      reply
        .type("text/csv; charset=utf-8")
        .header("Content-Disposition", 'attachment; filename="directory.csv"')
        .send(admin.exportCsv()),
  );

  app.post(
    "/api/admin/directory/import",
    {
      onRequest: adminOnly,
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        body: z.strictObject({ csv: z.string().min(1).max(2_000_000), dryRun: z.boolean().default(false) }),
        response: {
          200: z.object({
            dryRun: z.boolean(),
            changes: z.array(
              z.object({ id: z.string(), kind: z.enum(["added", "changed", "removed"]), fields: z.array(z.string()) }),
            ),
          }),
          ...errorsOf,
          400: z.union([invalidBody, errorBody]),
        },
      },
    },
    async (request, reply) => {
      try {
        return await admin.importCsv(request.body.csv, actorOf(request.staff), request.body.dryRun);
      } catch (err) {
        return reply.code(400).send(sendInvalid(err));
      }
    },
  );

  app.get(
    "/api/admin/audit",
    {
      onRequest: adminOnly,
      schema: {
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: {
          200: z.object({
            audit: z.array(
              z.object({
                id: z.number(),
                actor: z.string(),
                action: z.string(),
                target: z.string(),
                createdAt: z.date(),
              }),
            ),
          }),
          ...errorsOf,
        },
      },
    },
    async (request) => ({ audit: await admin.audit(request.query.limit) }),
  );

  app.get(
    "/api/admin/gaps",
    {
      onRequest: adminOnly,
      schema: {
        response: {
          200: z.object({
            clusters: z.array(
              z.object({
                key: z.string(),
                count: z.number(),
                examples: z.array(z.string()),
                ids: z.array(z.string()),
                reasons: z.object({ unknown: z.number(), weak: z.number() }),
                lastAt: z.date(),
              }),
            ),
            downVoted: z.array(
              z.object({ messageId: z.string(), question: z.string().nullable(), reply: z.string(), at: z.date() }),
            ),
          }),
          ...errorsOf,
        },
      },
    },
    async () => admin.gaps(),
  );

  app.get(
    "/api/admin/clauses",
    {
      onRequest: adminOnly,
      schema: {
        querystring: z.strictObject({ q: z.string().trim().min(1).max(100) }),
        response: { 200: z.object({ clauses: z.array(citationSchema) }), ...errorsOf },
      },
    },
    async (request) => ({ clauses: admin.searchClauses(request.query.q) }),
  );

  const curatedSchema = z.object({
    id: z.string(),
    examples: z.array(z.string()),
    wording: z.string(),
    citationId: z.string().nullable(),
    serviceId: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.date(),
  });

  app.get(
    "/api/admin/curated",
    { onRequest: adminOnly, schema: { response: { 200: z.object({ curated: z.array(curatedSchema) }), ...errorsOf } } },
    async () => ({ curated: await admin.listCurated() }),
  );

  app.post(
    "/api/admin/curated",
    {
      onRequest: adminOnly,
      schema: {
        body: z.strictObject({
          questionIds: z.array(z.string().min(1).max(100)).min(1).max(500),
          wording: z.string().trim().min(1, "请填写答复内容").max(1000),
          citationId: z.string().max(100).optional(),
          serviceId: z.string().max(100).optional(),
        }),
        response: { 200: z.object({ id: z.string(), examples: z.array(z.string()) }), ...errorsOf },
      },
    },
    async (request) => admin.createCurated(request.body, actorOf(request.staff)),
  );

  app.delete(
    "/api/admin/curated/:id",
    {
      onRequest: adminOnly,
      schema: { params: idParams, response: { 200: z.object({ ok: z.literal(true) }), ...errorsOf } },
    },
    async (request) => {
      await admin.disableCurated(request.params.id, actorOf(request.staff));
      return { ok: true as const };
    },
  );

  app.get(
    "/api/admin/stats",
    { onRequest: adminOnly, schema: { querystring: statsQuery, response: { 200: statsSchema, ...errorsOf } } },
    async (request) => {
      const { from, to } = statsRange(request.query, now());
      return admin.stats(from, to);
    },
  );

  app.get(
    "/api/admin/stats.csv",
    { onRequest: adminOnly, schema: { querystring: statsQuery, response: { 200: z.string(), ...errorsOf } } },
    async (request, reply) => {
      const { from, to } = statsRange(request.query, now());
      return reply
        .type("text/csv; charset=utf-8")
        .header("Content-Disposition", 'attachment; filename="stats.csv"')
        .send(statsToCsv(await admin.stats(from, to)));
    },
  );
};

export interface FeedbackRoutesOptions {
  db: Db;
  limiter: ResidentLimiter;
}

/** 👍/👎 on a bot reply: only the conversation's holder knows both ids; a second vote replaces the first. */
export const feedbackRoutes: FastifyPluginAsyncZod<FeedbackRoutesOptions> = async (app, opts) => {
  const { db } = opts;
  app.post(
    "/api/chat/feedback",
    {
      schema: {
        body: z.strictObject({
          conversationId: conversationIdSchema,
          messageId: z.string().min(1).max(64),
          helpful: z.boolean(),
        }),
        response: { 200: z.object({ ok: z.literal(true) }), 400: errorBody, 404: errorBody, 429: errorBody },
      },
    },
    async (request) => {
      const { conversationId, messageId, helpful } = request.body;
      await opts.limiter.check(request.ip, conversationId);
      const message = await db.message.findUnique({
        where: { id: messageId },
        select: { conversationId: true, role: true },
      });
      if (!message || message.conversationId !== conversationId || message.role !== "bot") {
        throw new AppError("ERR_NOT_FOUND", "没有找到这条回复。", 404);
      }
      await db.answerFeedback.upsert({
        where: { messageId },
        create: { id: randomUUID(), conversationId, messageId, helpful },
        update: { helpful },
      });
      return { ok: true as const };
    },
  );
};
