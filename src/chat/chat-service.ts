import { randomBytes, randomUUID } from "node:crypto";
import type { Db } from "../db/prisma-client.ts";
import type {
  AnswerFn,
  CaseCategory,
  ChatRequest,
  ChatResponse,
  Escalation,
  SafetyReplyFn,
  Severity,
  TriageFn,
  TriageVerdict,
} from "./chat-types.ts";

const SEVERITY_RANK: Record<Severity, number> = { concern: 1, urgent: 2, immediate: 3 };
const DAY_MS = 86_400_000;

export interface ChatServiceDeps {
  db: Db;
  triage: TriageFn;
  answer: AnswerFn;
  safetyReply: SafetyReplyFn;
  queueFor: (category: CaseCategory) => string;
  /** Canonical 街道/镇 name for what a client sent, or null when unknown. */
  resolveArea: (area: string) => string | null;
  retentionDays: number;
  now?: () => Date;
}

export interface ChatService {
  handle(request: ChatRequest): Promise<ChatResponse>;
}

function newConversationId(): string {
  return randomBytes(16).toString("base64url");
}

type OpenCase = { id: string; category: CaseCategory; severity: Severity; queue: string };

export function createChatService(deps: ChatServiceDeps): ChatService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function findOrCreateConversation(req: ChatRequest, at: Date, purgeAfter: Date, area: string | null) {
    if (req.conversationId) {
      const existing = await db.conversation.findUnique({ where: { id: req.conversationId } });
      if (existing) return existing;
    }
    // Unknown ids are not adopted: a client cannot choose another resident's id.
    return db.conversation.create({
      data: { id: newConversationId(), channel: req.channel ?? "web", area, createdAt: at, purgeAfter },
    });
  }

  async function replay(conversationId: string, clientMessageId: string): Promise<ChatResponse | null> {
    const resident = await db.message.findUnique({
      where: { conversationId_clientMessageId: { conversationId, clientMessageId } },
    });
    if (!resident) return null;
    const bot = await db.message.findFirst({ where: { inReplyTo: resident.id } });
    if (!bot?.payload) return null;
    return { conversationId, ...(JSON.parse(bot.payload) as Omit<ChatResponse, "conversationId">) };
  }

  async function openCaseOf(conversationId: string): Promise<OpenCase | null> {
    const c = await db.case.findFirst({
      where: { conversationId, status: { in: ["new", "claimed"] } },
      orderBy: { createdAt: "desc" },
    });
    return c
      ? { id: c.id, category: c.category as CaseCategory, severity: c.severity as Severity, queue: c.queue }
      : null;
  }

  /**
   * Commits the resident's message and the case (new, or the open one it
   * follows) in one transaction, so that the report exists before any reply.
   */
  async function commitUrgent(
    conversationId: string,
    req: ChatRequest & { text: string },
    verdict: TriageVerdict,
    open: OpenCase | null,
    area: string | null,
    at: Date,
    purgeAfter: Date,
  ): Promise<{ escalation: Escalation; messageId: string }> {
    const messageId = randomUUID();
    return db.$transaction(async (tx) => {
      await tx.message.create({
        data: {
          id: messageId,
          conversationId,
          role: "resident",
          text: req.text,
          clientMessageId: req.clientMessageId ?? null,
          createdAt: at,
          purgeAfter,
        },
      });
      if (open) {
        const raised =
          verdict.severity && SEVERITY_RANK[verdict.severity] > SEVERITY_RANK[open.severity]
            ? verdict.severity
            : open.severity;
        await tx.case.update({ where: { id: open.id }, data: { severity: raised } });
        await tx.caseEvent.create({
          data: {
            caseId: open.id,
            type: "resident_message",
            data: JSON.stringify({ messageId, signals: verdict.signals, severity: raised }),
            createdAt: at,
          },
        });
        return {
          messageId,
          escalation: { caseId: open.id, category: open.category, severity: raised, queue: open.queue },
        };
      }
      const category = verdict.category as CaseCategory;
      const severity = verdict.severity ?? "urgent";
      const queue = deps.queueFor(category);
      const caseId = randomUUID();
      await tx.case.create({
        data: {
          id: caseId,
          conversationId,
          category,
          severity,
          queue,
          channel: req.channel ?? "web",
          area,
          signals: JSON.stringify(verdict.signals),
          createdAt: at,
        },
      });
      await tx.caseEvent.create({
        data: {
          caseId,
          type: "created",
          data: JSON.stringify({ messageId, signals: verdict.signals, severity }),
          createdAt: at,
        },
      });
      return { messageId, escalation: { caseId, category, severity, queue } };
    });
  }

  return {
    async handle(req) {
      const at = now();
      const purgeAfter = new Date(at.getTime() + deps.retentionDays * DAY_MS);
      const requestedArea = req.area ? deps.resolveArea(req.area) : null;
      const conversation = await findOrCreateConversation(req, at, purgeAfter, requestedArea);
      const conversationId = conversation.id;
      const area = requestedArea ?? conversation.area;

      if (req.clientMessageId) {
        const previous = await replay(conversationId, req.clientMessageId);
        if (previous) return previous;
      }

      const open = await openCaseOf(conversationId);
      const verdict = deps.triage(
        req.text,
        open ? { openCase: { category: open.category, severity: open.severity } } : undefined,
      );
      const attachToOpen = open !== null && (verdict.urgent || verdict.followUp === true);

      let body: Omit<ChatResponse, "conversationId">;
      let residentMessageId: string;
      if ((verdict.urgent && verdict.category) || attachToOpen) {
        const committed = await commitUrgent(
          conversationId,
          req,
          verdict,
          attachToOpen ? open : null,
          area,
          at,
          purgeAfter,
        );
        residentMessageId = committed.messageId;
        body = {
          kind: "urgent",
          reply: deps.safetyReply({
            category: committed.escalation.category,
            severity: committed.escalation.severity,
            needsMedical: verdict.needsMedical === true,
          }),
          citations: [],
          services: [],
          escalation: committed.escalation,
        };
      } else {
        residentMessageId = randomUUID();
        await db.message.create({
          data: {
            id: residentMessageId,
            conversationId,
            role: "resident",
            text: req.text,
            clientMessageId: req.clientMessageId ?? null,
            createdAt: at,
            purgeAfter,
          },
        });
        const answered = deps.answer(req.text, { area });
        body = {
          kind: answered.kind,
          reply: answered.reply,
          citations: answered.citations,
          services: answered.services,
          escalation: null,
        };
        if (answered.unanswered) {
          await db.unansweredQuestion.create({
            data: {
              id: randomUUID(),
              conversationId,
              text: req.text,
              reason: answered.unanswered.reason,
              topScore: answered.unanswered.topScore,
              area,
              createdAt: at,
              purgeAfter,
            },
          });
        }
      }

      await db.message.create({
        data: {
          id: randomUUID(),
          conversationId,
          role: "bot",
          text: body.reply,
          kind: body.kind,
          inReplyTo: residentMessageId,
          payload: JSON.stringify(body),
          createdAt: at,
          purgeAfter,
        },
      });
      await db.conversation.update({
        where: { id: conversationId },
        data: { lastMessageAt: at, purgeAfter, ...(requestedArea ? { area: requestedArea } : {}) },
      });
      return { conversationId, ...body };
    },
  };
}
