import { randomBytes, randomUUID } from "node:crypto";
import type { CaseEventNotice, EventBus } from "../cases/case-events-bus.ts";
import {
  ACK_CLAIMED,
  ACK_OPEN,
  type CaseRouting,
  REOPEN_WINDOW_MS,
  raiseSeverity,
  residentReplyStyle,
  routeResidentMessage,
} from "../cases/case-fns.ts";
import type { CaseStatus } from "../cases/case-types.ts";
import { outOfHoursNotice, withOutOfHoursNotice } from "../cases/schedule-fns.ts";
import type { Db } from "../db/prisma-client.ts";
import { createIdempotency, firstMessageConversationId } from "./chat-idempotency.ts";
import {
  type ConversationWithCase,
  createChatStore,
  type LatestCaseRow,
  type NewConversation,
  type NewMessage,
} from "./chat-store.ts";
import type {
  AnswerFn,
  CaseCategory,
  ChatRequest,
  ChatResponse,
  Escalation,
  SafetyReplyFn,
  TriageFn,
  TriageVerdict,
} from "./chat-types.ts";

const DAY_MS = 86_400_000;

/** Staffed hours of the queues (the queue catalog); without it every queue counts as staffed. */
export interface QueueHours {
  isOpen(queue: string, at: Date): boolean;
  nextOpening(queue: string, at: Date): Date | null;
}

export interface ChatServiceDeps {
  db: Db;
  triage: TriageFn;
  answer: AnswerFn;
  safetyReply: SafetyReplyFn;
  queueFor: (category: CaseCategory) => string;
  /** Canonical 街道/镇 name for what a client sent, or null when unknown. */
  resolveArea: (area: string) => string | null;
  retentionDays: number;
  /** Wakes staff consoles after a case is created, reopened or written to. */
  bus?: EventBus | undefined;
  hours?: QueueHours | undefined;
  now?: () => Date;
}

/**
 * A structured report (POST /api/reports): triage reads `triageText` (what
 * happened, without the contact block), the resident's chosen category is the
 * case's, and severity is at least `urgent`. Everything else is a chat report's path.
 */
export interface FormReport {
  category: CaseCategory;
  triageText: string;
}

export interface ChatService {
  handle(request: ChatRequest, form?: FormReport): Promise<ChatResponse>;
}

function newConversationId(): string {
  return randomBytes(16).toString("base64url");
}

type LatestCase = LatestCaseRow;

type Committed = {
  messageId: string;
  escalation: Escalation;
  /** The case's status after this message. */
  status: CaseStatus;
  notice: CaseEventNotice;
  /** The reply, committed with the message. */
  reply: Omit<ChatResponse, "conversationId">;
};

/** The reply to a report and its stored message, from what the commit decides. */
type ReplyPlan = (
  decided: Pick<Committed, "escalation" | "status">,
  residentMessageId: string,
) => { body: Omit<ChatResponse, "conversationId">; bot: NewMessage };

export function createChatService(deps: ChatServiceDeps): ChatService {
  const { db } = deps;
  const store = createChatStore(db);
  const now = deps.now ?? (() => new Date());

  /**
   * The resident's conversation, or a new one to create in the same commit as
   * their first message. Unknown ids are not adopted: a client cannot choose
   * another resident's id.
   */
  function conversationFor(
    existing: ConversationWithCase | null,
    req: ChatRequest,
    at: Date,
    purgeAfter: Date,
    area: string | null,
  ) {
    if (existing) return { ...existing, create: null };
    // A first message with a long random clientMessageId: its conversation id follows from it (chat-idempotency.ts).
    const id = firstMessageConversationId(req) ?? newConversationId();
    const channel = req.channel ?? "web";
    return {
      id,
      channel,
      area,
      latestCase: null,
      create: { id, channel, area, createdAt: at, lastMessageAt: at, purgeAfter },
    };
  }

  /**
   * Commits the resident's message, its case — attached to the open one, the
   * closed one reopened, or a new one — and the reply `plan` makes of that, in
   * one transaction, so that the report exists before any reply is sent.
   */
  async function commitToCase(
    routing: Exclude<CaseRouting, "none">,
    conversation: { id: string; channel: string; create: NewConversation | null },
    req: ChatRequest & { text: string },
    verdict: TriageVerdict,
    latest: LatestCase | null,
    /** `named`: the area the resident named with this message; `area`: that, else the conversation's. */
    areas: { named: string | null; area: string | null },
    at: Date,
    purgeAfter: Date,
    source: "chat" | "form",
    plan: ReplyPlan,
  ): Promise<Committed> {
    const { area } = areas;
    const messageId = randomUUID();
    const conversationId = conversation.id;
    if (!latest || routing === "new_case") {
      const category = verdict.category as CaseCategory;
      const severity = verdict.severity ?? "urgent";
      const queue = deps.queueFor(category);
      const caseId = randomUUID();
      const escalation = { caseId, category, severity, queue };
      // A new case's reply is known before the commit: it is stored in the same one.
      const planned = plan({ escalation, status: "new" }, messageId);
      const seq = await store.commitReport({
        conversation: conversation.create,
        reply: planned.bot,
        // Only a newly named area is written to the conversation: writing back the one read at
        // the lookup could undo a change made since.
        area: areas.named,
        message: {
          id: messageId,
          conversationId,
          role: "resident",
          text: req.text,
          clientMessageId: req.clientMessageId ?? null,
          createdAt: at,
          purgeAfter,
        },
        kase: {
          id: caseId,
          conversationId,
          category,
          severity,
          queue,
          // The conversation's channel: that is where staff replies go.
          channel: conversation.channel,
          area,
          signals: JSON.stringify(verdict.signals),
          source,
          createdAt: at,
        },
        eventData: JSON.stringify({ messageId, signals: verdict.signals, severity }),
      });
      return {
        messageId,
        escalation,
        status: "new",
        notice: { seq, caseId, type: "created", queue },
        reply: planned.body,
      };
    }
    // A follow-up to the conversation's case: attached, or the closed case reopened.
    const severity = raiseSeverity(latest.severity, verdict.severity);
    const escalation = { caseId: latest.id, category: latest.category, severity, queue: latest.queue };
    // The reply depends on what the commit finds (the case claimed, reopened…) and is stored with it.
    let planned: ReturnType<ReplyPlan> | undefined;
    const followed = await store.commitFollowUp({
      conversation: conversation.create,
      message: {
        id: messageId,
        conversationId,
        role: "resident",
        text: req.text,
        clientMessageId: req.clientMessageId ?? null,
        createdAt: at,
        purgeAfter,
      },
      caseId: latest.id,
      routing,
      severity,
      signals: verdict.signals,
      reply: (status) => {
        planned = plan({ escalation, status }, messageId);
        return planned.bot;
      },
      area: areas.named,
    });
    if (!planned) throw new Error("follow-up committed without a reply");
    return {
      messageId,
      escalation,
      status: followed.status,
      notice: { seq: followed.seq, caseId: latest.id, type: followed.type, queue: latest.queue },
      reply: planned.body,
    };
  }

  /**
   * What the resident reads: the safety reply, or — while staff hold the case
   * and nobody is in danger right now — a short acknowledgement, so the bot
   * does not talk over the person helping them. Out of hours, an unclaimed
   * case's reply says when staff are back and gives the 24-hour numbers.
   */
  function urgentReply(
    routing: Exclude<CaseRouting, "none">,
    committed: Pick<Committed, "escalation" | "status">,
    verdict: TriageVerdict,
    at: Date,
  ): string {
    const { escalation, status } = committed;
    const style = residentReplyStyle({
      routing,
      status,
      verdictSeverity: verdict.severity,
      urgentOrFollowUp: verdict.urgent || verdict.followUp === true,
    });
    let reply =
      style === "ack_claimed"
        ? ACK_CLAIMED
        : style === "ack_open"
          ? ACK_OPEN
          : deps.safetyReply({
              // The hotline for what this message reports, even when it joins a case of another kind.
              category: verdict.urgent && verdict.category ? verdict.category : escalation.category,
              severity: escalation.severity,
              needsMedical: verdict.needsMedical === true,
            });
    if (status === "new" && deps.hours && !deps.hours.isOpen(escalation.queue, at)) {
      reply = withOutOfHoursNotice(reply, outOfHoursNotice(deps.hours.nextOpening(escalation.queue, at), at));
    }
    return reply;
  }

  const idempotency = createIdempotency({ db, store, safetyReply: deps.safetyReply });
  const service: ChatService = {
    async handle(req, form) {
      const at = now();
      const purgeAfter = new Date(at.getTime() + deps.retentionDays * DAY_MS);
      const requestedArea = req.area ? deps.resolveArea(req.area) : null;
      // The conversation and an earlier send of this message, read in one statement. A first message
      // still looks for an earlier send of its clientMessageId, in any conversation: a client may
      // resend without the conversationId it had. A message with neither reads nothing.
      const sent = idempotency.sentQuery(req);
      const found =
        req.conversationId || sent
          ? await store.lookup(req.conversationId ?? null, sent)
          : { conversation: null, sent: null };
      if (found.sent) return idempotency.replay(found.sent);
      const conversation = conversationFor(found.conversation, req, at, purgeAfter, requestedArea);
      const conversationId = conversation.id;
      const area = requestedArea ?? conversation.area;

      const latest = conversation.latestCase;
      // A recently closed case is context too: a follow-up to it reopens it.
      const recent =
        latest &&
        (latest.status !== "closed" ||
          (latest.closedAt !== null && at.getTime() - latest.closedAt.getTime() <= REOPEN_WINDOW_MS));
      const triaged = deps.triage(
        form ? form.triageText : req.text,
        recent && latest ? { openCase: { category: latest.category, severity: latest.severity } } : undefined,
      );
      const verdict: TriageVerdict = form
        ? { ...triaged, urgent: true, category: form.category, severity: raiseSeverity("urgent", triaged.severity) }
        : triaged;
      const routing = routeResidentMessage(latest, verdict, at);

      // Every message is committed with its reply (a report with its case too) before the reply
      // is sent. The reply's id goes back to the client (👍/👎 feedback names it).
      const botMessageId = randomUUID();
      const botMessage = (body: Omit<ChatResponse, "conversationId">, inReplyTo: string): NewMessage => ({
        id: botMessageId,
        conversationId,
        role: "bot",
        text: body.reply,
        kind: body.kind,
        inReplyTo,
        payload: JSON.stringify(body),
        createdAt: at,
        purgeAfter,
      });

      let body: Omit<ChatResponse, "conversationId">;
      if (routing !== "none") {
        const source = form ? "form" : "chat";
        const plan: ReplyPlan = (decided, residentMessageId) => {
          const planned: Omit<ChatResponse, "conversationId"> = {
            kind: "urgent",
            reply: urgentReply(routing, decided, verdict, at),
            citations: [],
            services: [],
            escalation: decided.escalation,
          };
          return { body: planned, bot: botMessage(planned, residentMessageId) };
        };
        const committed = await commitToCase(
          routing,
          conversation,
          req,
          verdict,
          latest,
          { named: requestedArea, area },
          at,
          purgeAfter,
          source,
          plan,
        );
        deps.bus?.publish(committed.notice);
        body = committed.reply;
      } else {
        const residentMessageId = randomUUID();
        const answered = deps.answer(req.text, { area });
        body = {
          kind: answered.kind,
          reply: answered.reply,
          citations: answered.citations,
          services: answered.services,
          escalation: null,
        };
        await store.commitExchange({
          conversation: conversation.create,
          resident: {
            id: residentMessageId,
            conversationId,
            role: "resident",
            text: req.text,
            clientMessageId: req.clientMessageId ?? null,
            createdAt: at,
            purgeAfter,
          },
          unanswered: answered.unanswered
            ? {
                id: randomUUID(),
                conversationId,
                text: req.text,
                reason: answered.unanswered.reason,
                topScore: answered.unanswered.topScore,
                area,
                createdAt: at,
                purgeAfter,
              }
            : null,
          bot: botMessage(body, residentMessageId),
          area: requestedArea,
        });
      }
      return { conversationId, ...body, messageId: botMessageId };
    },
  };
  return { handle: (req, form) => idempotency.once(req, () => service.handle(req, form)) };
}
