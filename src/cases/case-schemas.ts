/** zod schemas of the case API (requests validated, responses serialised through them). */
import { z } from "zod";
import { queueIdSchema } from "../staff/staff-schemas.ts";
import { checkStaffText } from "./case-fns.ts";
import { CASE_EVENT_TYPES, CASE_OUTCOMES, CASE_STATUSES } from "./case-types.ts";

const CATEGORIES = ["domestic_violence", "child_harm", "sexual_violence", "self_harm", "trafficking_missing"] as const;
const SEVERITIES = ["immediate", "urgent", "concern"] as const;

/** 1–2000 characters, no control characters (the resident rules, reused); the service trims. */
export const staffTextSchema = z
  .string()
  .max(8000, "内容不能超过2000字。")
  .superRefine((value, ctx) => {
    const checked = checkStaffText(value);
    if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.message });
  });

const shortTextSchema = z
  .string()
  .max(100, "不能超过100个字符。")
  .superRefine((value, ctx) => {
    const checked = checkStaffText(value);
    if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.message });
  });

export const caseIdParamsSchema = z.strictObject({ id: z.string().min(1).max(64) });

export const listCasesQuerySchema = z.strictObject({
  status: z.enum(["open", "closed", "all"]).default("open"),
  queue: queueIdSchema.optional(),
});

export const eventsQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
});

export const replyBodySchema = z.strictObject({ text: staffTextSchema });
export const noteBodySchema = z.strictObject({ text: staffTextSchema });
export const transferBodySchema = z.strictObject({ queue: queueIdSchema, reason: staffTextSchema });
export const mandatoryReportBodySchema = z.strictObject({
  /** e.g. 公安机关, 民政部门, 教育部门 */
  reportedTo: shortTextSchema,
  reportedAt: z.iso.datetime({ offset: true, error: "报告时间须为 ISO 8601 时间，例如 2026-12-01T09:30:00+08:00" }),
  referenceNumber: shortTextSchema.optional(),
});
export const closeBodySchema = z.strictObject({
  outcome: z.enum(CASE_OUTCOMES),
  note: staffTextSchema.optional(),
});

export const staffRefSchema = z.object({ id: z.string(), displayName: z.string() });

export const caseSummarySchema = z.object({
  id: z.string(),
  category: z.enum(CATEGORIES),
  severity: z.enum(SEVERITIES),
  queue: z.string(),
  queueName: z.string(),
  status: z.enum(CASE_STATUSES),
  channel: z.string(),
  area: z.string().nullable(),
  createdAt: z.string(),
  claimedAt: z.string().nullable(),
  claimedBy: staffRefSchema.nullable(),
  deadline: z.string(),
  overdue: z.boolean(),
  signals: z.array(z.string()),
  lastEventSeq: z.number().int(),
});

export const caseEventViewSchema = z.object({
  seq: z.number().int(),
  caseId: z.string(),
  type: z.enum(CASE_EVENT_TYPES),
  actor: staffRefSchema.nullable(),
  data: z.record(z.string(), z.unknown()),
  at: z.string(),
});

export const caseDetailSchema = z.object({
  case: caseSummarySchema.extend({
    outcome: z.enum(CASE_OUTCOMES).nullable(),
    closedAt: z.string().nullable(),
    firstStaffReplyAt: z.string().nullable(),
    mandatoryReports: z.array(
      z.object({
        id: z.string(),
        reportedTo: z.string(),
        reportedAt: z.string(),
        referenceNumber: z.string().nullable(),
        createdBy: staffRefSchema.nullable(),
        createdAt: z.string(),
      }),
    ),
  }),
  transcript: z.array(
    z.object({
      id: z.string(),
      role: z.enum(["resident", "bot", "staff"]),
      text: z.string(),
      at: z.string(),
      author: z.string().nullable(),
    }),
  ),
  events: z.array(caseEventViewSchema),
});

export const caseEventFrameSchema = z.object({
  type: z.literal("case_event"),
  seq: z.number().int(),
  event: caseEventViewSchema,
  case: caseSummarySchema,
});

export const casesResponseSchema = z.object({ cases: z.array(caseSummarySchema) });
export const eventsResponseSchema = z.object({
  events: z.array(caseEventFrameSchema),
  more: z.boolean(),
  /** Pass as `after` for the next page. */
  next: z.number().int(),
});
export const queuesResponseSchema = z.object({
  queues: z.array(
    z.object({ id: z.string(), name: z.string(), openNow: z.boolean(), nextOpenAt: z.string().nullable() }),
  ),
});

export const errorBodySchema = z.object({ code: z.string(), message: z.string() });
export const claimConflictSchema = errorBodySchema.extend({ claimedBy: staffRefSchema.nullable().optional() });

/** Frames a console sends over /ws/staff. */
export const staffWsInboundSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("resume"), after: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }),
  z.strictObject({ type: z.literal("ping") }),
]);
