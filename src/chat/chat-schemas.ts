import { z } from "zod";

/** Loose caps at the schema edge; the exact rules (2000 characters, no control characters) live in text-fns. */
export const conversationIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "会话编号格式不对");
export const clientMessageIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "消息编号格式不对");

export const chatRequestSchema = z.strictObject({
  text: z.string({ error: "请发送文字消息（text）。" }).max(8000, "消息太长了，每条请不超过2000字。"),
  conversationId: conversationIdSchema.optional(),
  channel: z.enum(["web", "wechat", "miniprogram"]).optional(),
  area: z.string().max(30).optional(),
  clientMessageId: clientMessageIdSchema.optional(),
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

const serviceSchema = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  area: z.string().nullable(),
  phone: z.string().nullable(),
  address: z.string().nullable(),
  hours: z.string().nullable(),
});

export const chatResponseSchema = z.object({
  conversationId: z.string(),
  kind: z.enum(["answer", "services", "urgent", "clarify", "unknown"]),
  reply: z.string(),
  citations: z.array(citationSchema),
  services: z.array(serviceSchema),
  escalation: z
    .object({
      caseId: z.string(),
      category: z.enum(["domestic_violence", "child_harm", "sexual_violence", "self_harm", "trafficking_missing"]),
      severity: z.enum(["immediate", "urgent", "concern"]),
      queue: z.string(),
    })
    .nullable(),
  /** The bot reply's message id, for POST /api/chat/feedback (optional). */
  messageId: z.string().optional(),
});

export const errorBodySchema = z.object({ code: z.string(), message: z.string() });

export const searchQuerySchema = z.strictObject({
  q: z.string().min(1, "请输入要查的内容").max(200, "查询内容太长了"),
  type: z.enum(["plan", "service", "all"]).default("all"),
  area: z.string().max(30).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

export const searchResponseSchema = z.object({
  results: z.array(
    z.discriminatedUnion("type", [
      z.object({ type: z.literal("plan"), score: z.number(), citation: citationSchema }),
      z.object({ type: z.literal("service"), score: z.number(), service: serviceSchema }),
    ]),
  ),
});

/** One frame from the web page or mini-program over /ws/chat. */
export const wsInboundSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("message"),
    text: chatRequestSchema.shape.text,
    conversationId: conversationIdSchema.optional(),
    area: z.string().max(30).optional(),
    channel: z.enum(["web", "miniprogram"]).optional(),
    clientMessageId: clientMessageIdSchema.optional(),
  }),
  z.strictObject({ type: z.literal("ping") }),
]);
