/**
 * A resend with the same clientMessageId never stores a second message or
 * opens a second case — including a conversation's FIRST message, sent
 * before the client knows its conversationId:
 *
 * - a first message whose clientMessageId is long enough to be random and
 *   unguessable (≥ 16 characters) gets a conversation id derived from it, so
 *   two identical first sends race for the same primary key, and a retry is
 *   found by its clientMessageId alone;
 * - the loser of a race (a unique-constraint violation) waits briefly for the
 *   winner's reply and returns it — never a 500;
 * - a report whose case is stored without its reply gets the reply rebuilt
 *   from the case on the retry. Messages are committed with their replies
 *   now; earlier versions stored a follow-up's reply after it, and an instance
 *   that died in between left such a report.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Db } from "../db/prisma-client.ts";
import { errors } from "../shared/errors.ts";
import type { ChatStore, SentMessageRow, SentQuery } from "./chat-store.ts";
import type { CaseCategory, ChatRequest, ChatResponse, SafetyReplyFn, Severity } from "./chat-types.ts";

/** Shorter client ids may be counters or timestamps: then only the conversation scopes them. */
export const FIRST_MESSAGE_ID_MIN = 16;
/** How long a duplicate waits for the first send's reply before rebuilding it. */
const REPLY_WAIT_MS = 3_000;
const POLL_MS = 50;

/** The conversation a first message with this clientMessageId creates; null when the id is too short to trust. */
export function firstMessageConversationId(req: Pick<ChatRequest, "clientMessageId">): string | null {
  const id = req.clientMessageId;
  if (!id || id.length < FIRST_MESSAGE_ID_MIN) return null;
  return createHash("sha256").update(`conversation:${id}`).digest().subarray(0, 16).toString("base64url");
}

/**
 * A unique-constraint violation, on SQLite and PostgreSQL: from the model API
 * (P2002), from the client's raw SQL (P2010 carrying the adapter's error),
 * from the PostgreSQL adapter itself (a DriverAdapterError), or from the
 * drivers themselves: src/db/raw-sql.ts runs statements on better-sqlite3's
 * handle and pg's pool (SQLSTATE 23505 is unique_violation).
 */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as {
    code?: unknown;
    name?: unknown;
    cause?: { kind?: unknown };
    meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
  };
  if (
    e.code === "P2002" ||
    e.code === "23505" ||
    e.code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    e.code === "SQLITE_CONSTRAINT_UNIQUE"
  )
    return true;
  if (e.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation") return true;
  return e.name === "DriverAdapterError" && e.cause?.kind === "UniqueConstraintViolation";
}

type ResidentMessage = SentMessageRow;

export interface IdempotencyDeps {
  db: Db;
  store: Pick<ChatStore, "sentMessage" | "botReply">;
  safetyReply: SafetyReplyFn;
}

export function createIdempotency(deps: IdempotencyDeps) {
  const { db, store } = deps;

  /** Where the resident message this request may already have stored would be; null when it cannot be found again. */
  function sentQuery(req: ChatRequest): SentQuery | null {
    const clientMessageId = req.clientMessageId;
    if (!clientMessageId) return null;
    const derived = firstMessageConversationId(req);
    if (!req.conversationId && !derived) return null;
    const scope = [req.conversationId, derived].filter((c): c is string => typeof c === "string");
    // Without a conversationId, a long client id alone identifies the send (index on clientMessageId).
    return { clientMessageId, conversationIds: req.conversationId ? scope : null };
  }

  async function storedReply(resident: ResidentMessage): Promise<ChatResponse | null> {
    const bot = await store.botReply(resident.conversationId, resident.id);
    if (!bot?.payload) return null;
    return {
      conversationId: resident.conversationId,
      ...(JSON.parse(bot.payload) as Omit<ChatResponse, "conversationId">),
      messageId: bot.id,
    };
  }

  /** The reply of a report whose case exists but whose reply was never stored. */
  async function rebuild(resident: ResidentMessage): Promise<ChatResponse | null> {
    const event = await db.caseEvent.findFirst({
      where: { case: { conversationId: resident.conversationId }, data: { contains: resident.id } },
      orderBy: { id: "asc" },
      select: { case: { select: { id: true, category: true, severity: true, queue: true } } },
    });
    if (!event) return null;
    const c = event.case;
    const category = c.category as CaseCategory;
    const severity = c.severity as Severity;
    const body = {
      kind: "urgent" as const,
      reply: deps.safetyReply({ category, severity, needsMedical: false }),
      citations: [],
      services: [],
      escalation: { caseId: c.id, category, severity, queue: c.queue },
    };
    await db.message.create({
      data: {
        id: randomUUID(),
        conversationId: resident.conversationId,
        role: "bot",
        text: body.reply,
        kind: body.kind,
        inReplyTo: resident.id,
        payload: JSON.stringify(body),
        createdAt: resident.createdAt,
        purgeAfter: resident.purgeAfter,
      },
    });
    return storedReply(resident);
  }

  /** The stored reply to a resident message, waiting for a send still in progress. */
  async function replay(resident: ResidentMessage): Promise<ChatResponse> {
    const deadline = Date.now() + REPLY_WAIT_MS;
    for (;;) {
      const reply = await storedReply(resident);
      if (reply) return reply;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const rebuilt = await rebuild(resident);
    if (rebuilt) return rebuilt;
    // Stored but neither answered nor a report: the client retries later.
    throw errors.unavailable();
  }

  /** Runs one send; a concurrent identical send that won the race answers instead of a 500. */
  async function once(req: ChatRequest, send: () => Promise<ChatResponse>): Promise<ChatResponse> {
    try {
      return await send();
    } catch (err) {
      const query = isUniqueViolation(err) ? sentQuery(req) : null;
      const resident = query ? await store.sentMessage(query) : null;
      if (!resident) throw err;
      return replay(resident);
    }
  }

  return { sentQuery, replay, once };
}
