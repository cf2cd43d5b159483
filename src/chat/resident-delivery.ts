/**
 * How a staff reply reaches the resident, through the channel they used:
 * - web page and mini-program: pushed at once to the conversation's open
 *   sockets (ConversationHub);
 * - WeChat: an OutboundMessage row (pending) that the WeChat bot sends and marks.
 * Either way the staff Message row is the record: a resident who was not
 * connected sees the reply when they come back (`resume` on /ws/chat, or
 * GET /api/chat/history).
 */

import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { caseErrors } from "../cases/case-errors.ts";
import type { Db } from "../db/prisma-client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { conversationIdSchema, errorBodySchema } from "./chat-schemas.ts";
import type { ConversationHub } from "./conversation-hub.ts";
import type { ResidentLimiter } from "./resident-limiter.ts";

export interface DeliveryConversation {
  id: string;
  channel: string;
}

export interface DeliveryMessage {
  /** The staff Message id. */
  id: string;
  text: string;
  at: Date;
  caseId: string;
}

/** live: pushed to open sockets (it may have reached none); outbox: queued for the WeChat bot. */
export type DeliveryRoute = "live" | "outbox";

export interface ResidentDelivery {
  /**
   * The durable part, inside the caller's transaction (the one that stores the
   * staff Message): the OutboundMessage row for WeChat, so the reply and its
   * send order commit together or not at all.
   */
  stage(
    tx: Prisma.TransactionClient | Db,
    conversation: DeliveryConversation,
    message: DeliveryMessage,
  ): Promise<DeliveryRoute>;
  /** The live part, after commit: pushes to the resident's open sockets; returns how many. */
  push(conversation: DeliveryConversation, message: DeliveryMessage): number;
  /** Both, for a message already committed. */
  deliver(
    conversation: DeliveryConversation,
    message: DeliveryMessage,
  ): Promise<{ route: DeliveryRoute; sockets: number }>;
}

/** Channels that cannot be pushed to directly: their replies wait in OutboundMessage. */
const OUTBOX_CHANNELS = new Set(["wechat"]);

export function routeFor(channel: string): DeliveryRoute {
  return OUTBOX_CHANNELS.has(channel) ? "outbox" : "live";
}

export function staffReplyFrame(message: DeliveryMessage) {
  return {
    type: "staff_reply",
    role: "staff",
    id: message.id,
    text: message.text,
    at: message.at.toISOString(),
    caseId: message.caseId,
  };
}

export function createResidentDelivery(deps: { db: Db; hub: ConversationHub }): ResidentDelivery {
  const delivery: ResidentDelivery = {
    async stage(tx, conversation, message) {
      const route = routeFor(conversation.channel);
      if (route === "outbox") {
        await tx.outboundMessage.create({
          data: {
            id: randomUUID(),
            conversationId: conversation.id,
            channel: conversation.channel,
            text: message.text,
            status: "pending",
            createdAt: message.at,
          },
        });
      }
      return route;
    },
    push(conversation, message) {
      if (routeFor(conversation.channel) !== "live") return 0;
      return deps.hub.publish(conversation.id, staffReplyFrame(message));
    },
    async deliver(conversation, message) {
      const route = await delivery.stage(deps.db, conversation, message);
      return { route, sockets: delivery.push(conversation, message) };
    },
  };
  return delivery;
}

// ── what a returning resident reads ─────────────────────────────────────────

export interface HistoryMessage {
  id: string;
  role: "resident" | "bot" | "staff";
  text: string;
  at: string;
  kind: string | null;
  /** For staff replies: the case they belong to. */
  caseId: string | null;
}

/** At most this many messages are returned (the most recent); a conversation is rarely longer. */
export const HISTORY_LIMIT = 200;

function caseIdOf(payload: string | null, role: string): string | null {
  if (role !== "staff" || !payload) return null;
  try {
    const value = JSON.parse(payload) as { caseId?: unknown };
    return typeof value.caseId === "string" ? value.caseId : null;
  } catch {
    return null;
  }
}

/**
 * The conversation's messages in order, or null when it does not exist.
 * `after`: only messages after that instant; `roles`: only these roles.
 */
export async function loadHistory(
  db: Db,
  conversationId: string,
  opts: { after?: Date; roles?: readonly ("resident" | "bot" | "staff")[] } = {},
): Promise<HistoryMessage[] | null> {
  const conversation = await db.conversation.findUnique({ where: { id: conversationId }, select: { id: true } });
  if (!conversation) return null;
  const rows = await db.message.findMany({
    where: {
      conversationId,
      ...(opts.after ? { createdAt: { gt: opts.after } } : {}),
      ...(opts.roles ? { role: { in: [...opts.roles] } } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: HISTORY_LIMIT,
    select: { id: true, role: true, text: true, createdAt: true, kind: true, payload: true },
  });
  // Same-instant rows (a resident message and its bot reply share a timestamp): resident first.
  const roleOrder: Record<string, number> = { resident: 0, bot: 1, staff: 2 };
  return rows
    .reverse()
    .map((m) => ({
      id: m.id,
      role: (m.role === "bot" || m.role === "staff" ? m.role : "resident") as HistoryMessage["role"],
      text: m.text,
      at: m.createdAt.toISOString(),
      kind: m.kind,
      caseId: caseIdOf(m.payload, m.role),
    }))
    .sort((a, b) => (a.at === b.at ? (roleOrder[a.role] ?? 0) - (roleOrder[b.role] ?? 0) : a.at < b.at ? -1 : 1));
}

const historyQuerySchema = z.strictObject({ conversationId: conversationIdSchema });

const historyResponseSchema = z.object({
  conversationId: z.string(),
  messages: z.array(
    z.object({
      id: z.string(),
      role: z.enum(["resident", "bot", "staff"]),
      text: z.string(),
      at: z.string(),
      kind: z.string().nullable(),
      caseId: z.string().nullable(),
    }),
  ),
});

export interface HistoryRoutesOptions {
  db: Db;
  limiter: ResidentLimiter;
}

/**
 * GET /api/chat/history?conversationId= — the conversation id is the bearer
 * secret (128 random bits, only the resident's device has it), exactly as for
 * POST /api/chat. Rate limited like chat.
 */
export const historyRoutes: FastifyPluginAsyncZod<HistoryRoutesOptions> = async (app, opts) => {
  app.get(
    "/api/chat/history",
    {
      schema: {
        querystring: historyQuerySchema,
        response: { 200: historyResponseSchema, 400: errorBodySchema, 404: errorBodySchema, 429: errorBodySchema },
      },
    },
    async (request) => {
      const { conversationId } = request.query;
      await opts.limiter.check(request.ip, conversationId);
      const messages = await loadHistory(opts.db, conversationId);
      if (!messages) throw caseErrors.conversationNotFound();
      return { conversationId, messages };
    },
  );
};
