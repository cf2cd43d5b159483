/**
 * The service side of the WeChat channel: maps a contact ref to its
 * conversation, runs a message through the same chat service as the web, and
 * leases pending OutboundMessage rows to the bot. Used in process by the bot
 * inside the service and by the bot API routes for a bot on another machine.
 */
import { acceptChatRequest } from "../../chat/chat-intake.ts";
import type { ChatService } from "../../chat/chat-service.ts";
import type { ChatResponse } from "../../chat/chat-types.ts";
import type { Db } from "../../db/prisma-client.ts";
import { AppError } from "../../shared/errors.ts";
import type { FailureReport, LeaseRequest, OutboundItem, WechatInbound } from "./wechat-types.ts";

export const WECHAT_CHANNEL = "wechat";
/** After this many leases without a confirmed send a message is marked failed for staff to see. */
export const MAX_OUTBOUND_ATTEMPTS = 12;
/** An orphaned conversation (see adoptOrphan) is only adopted while this fresh. */
const ORPHAN_WINDOW_MS = 24 * 3_600_000;

export interface WechatStore {
  handleMessage(input: WechatInbound): Promise<ChatResponse>;
  leaseOutbound(request: LeaseRequest): Promise<OutboundItem[]>;
  /** Idempotent: marking a sent message sent again is not an error. Throws 404 for unknown ids. */
  markSent(id: string): Promise<void>;
  markFailed(id: string, report: FailureReport): Promise<void>;
}

export interface WechatStoreDeps {
  db: Db;
  chat: ChatService;
  now?: () => Date;
}

const outboundNotFound = () => new AppError("ERR_NOT_FOUND", "没有这条待发消息。", 404);

/**
 * Runs tasks with the same key one after another. Two messages from a new
 * contact arriving together must not create two conversations; the database
 * has no unique index on externalRef, so this process serialises them.
 */
function createKeyedLock() {
  const tails = new Map<string, Promise<unknown>>();
  return async function run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

export function createWechatStore(deps: WechatStoreDeps): WechatStore {
  const { db, chat } = deps;
  const now = deps.now ?? (() => new Date());
  const locked = createKeyedLock();

  async function findConversation(contactRef: string) {
    return db.conversation.findFirst({
      where: { externalRef: contactRef, channel: WECHAT_CHANNEL },
      orderBy: { lastMessageAt: "desc" },
      select: { id: true, contactCipher: true },
    });
  }

  /**
   * The chat service creates the conversation, then we label it with the
   * contact ref: two writes. If the second failed, the retry (same
   * clientMessageId, derived from the WeChat message id) finds the unlabelled
   * conversation by that message and labels it, instead of opening another.
   */
  async function adoptOrphan(clientMessageId: string) {
    const message = await db.message.findFirst({
      where: {
        clientMessageId,
        role: "resident",
        createdAt: { gte: new Date(now().getTime() - ORPHAN_WINDOW_MS) },
        conversation: { channel: WECHAT_CHANNEL, externalRef: null },
      },
      select: { conversationId: true },
    });
    return message ? { id: message.conversationId, contactCipher: null } : null;
  }

  return {
    async handleMessage(input) {
      // Same text rules as every other channel; throws a 400 AppError with a Chinese message.
      const accepted = acceptChatRequest({ text: input.text, channel: WECHAT_CHANNEL });
      return locked(input.contactRef, async () => {
        const existing = (await findConversation(input.contactRef)) ?? (await adoptOrphan(input.clientMessageId));
        const response = await chat.handle({
          text: accepted.text,
          channel: WECHAT_CHANNEL,
          conversationId: existing?.id,
          clientMessageId: input.clientMessageId,
        });
        if (response.conversationId !== existing?.id) {
          await db.conversation.update({
            where: { id: response.conversationId },
            data: { externalRef: input.contactRef, contactCipher: input.contactCipher ?? null },
          });
        } else if (existing.contactCipher === null) {
          await db.conversation.update({
            where: { id: existing.id },
            data: {
              externalRef: input.contactRef,
              ...(input.contactCipher ? { contactCipher: input.contactCipher } : {}),
            },
          });
        }
        return response;
      });
    },

    async leaseOutbound({ botId, limit, leaseMs }) {
      const at = now();
      const leaseFree = { OR: [{ leaseUntil: null }, { leaseUntil: { lte: at } }] };
      const candidates = await db.outboundMessage.findMany({
        where: { channel: WECHAT_CHANNEL, status: "pending", ...leaseFree },
        orderBy: { createdAt: "asc" },
        take: limit,
        include: { conversation: { select: { contactCipher: true, externalRef: true } } },
      });
      const leased: OutboundItem[] = [];
      for (const row of candidates) {
        const { contactCipher, externalRef } = row.conversation;
        const giveUpReason =
          !contactCipher || !externalRef
            ? "no_contact"
            : row.attempts >= MAX_OUTBOUND_ATTEMPTS
              ? "too_many_attempts"
              : null;
        if (giveUpReason) {
          await db.outboundMessage.updateMany({
            where: { id: row.id, status: "pending" },
            data: { status: "failed", lastError: giveUpReason, leasedBy: null, leaseUntil: null },
          });
          continue;
        }
        // Conditional update: when two bots race for a row only one lease succeeds.
        const { count } = await db.outboundMessage.updateMany({
          where: { id: row.id, status: "pending", ...leaseFree },
          data: { leasedBy: botId, leaseUntil: new Date(at.getTime() + leaseMs), attempts: { increment: 1 } },
        });
        if (count === 1 && contactCipher && externalRef) {
          leased.push({
            id: row.id,
            conversationId: row.conversationId,
            text: row.text,
            contactCipher,
            contactRef: externalRef,
            attempts: row.attempts + 1,
          });
        }
      }
      return leased;
    },

    async markSent(id) {
      // A message reported failed may still have gone out (e.g. the ack was late): the send is what counts.
      const { count } = await db.outboundMessage.updateMany({
        where: { id, channel: WECHAT_CHANNEL, status: { in: ["pending", "failed"] } },
        data: { status: "sent", sentAt: now(), leasedBy: null, leaseUntil: null, lastError: null },
      });
      if (count === 1) return;
      const row = await db.outboundMessage.findFirst({ where: { id, channel: WECHAT_CHANNEL }, select: { id: true } });
      if (!row) throw outboundNotFound();
    },

    async markFailed(id, report) {
      const { count } = await db.outboundMessage.updateMany({
        where: { id, channel: WECHAT_CHANNEL, status: "pending" },
        data: {
          status: report.giveUp ? "failed" : "pending",
          lastError: report.error,
          leasedBy: null,
          // The backoff lives in the row, so it survives a restart of the bot or the service.
          leaseUntil: report.giveUp ? null : new Date(now().getTime() + report.retryAfterMs),
        },
      });
      if (count === 1) return;
      const row = await db.outboundMessage.findFirst({ where: { id, channel: WECHAT_CHANNEL }, select: { id: true } });
      if (!row) throw outboundNotFound();
    },
  };
}
