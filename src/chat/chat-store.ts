/**
 * The chat hot path's statements, in SQL on the client's adapter connection
 * (src/db/raw-sql.ts explains why: the Prisma client's per-query compile
 * cost more than the statements themselves). Everything else — cases, staff,
 * admin — keeps the model API.
 *
 * Every write is atomic. A question and its answer: on PostgreSQL ONE
 * statement (data-modifying CTEs, one commit, one WAL flush), on SQLite one
 * transaction. A new report — its conversation, message, case, `created`
 * event and the reply — likewise (commitReport), before the reply is sent.
 * A follow-up to a case (commitFollowUp) is a short transaction, with its
 * reply: whether it joins the case or reopens it depends on the case's status
 * when its row is locked, which staff may change meanwhile, and the reply on
 * what it did. On PostgreSQL its usual course is two statements.
 *
 * The SQL is portable between SQLite and PostgreSQL: quoted identifiers,
 * parameters bound (never interpolated), Date parameters stored by the
 * adapters exactly as the model API stores them (the suite runs on both
 * databases and reads these rows back through the model API).
 */
import { parseJsonObject } from "../cases/case-fns.ts";
import type { CaseStatus } from "../cases/case-types.ts";
import { type Db, providerOf, rawSqlOf } from "../db/prisma-client.ts";
import type { RawSql } from "../db/raw-sql.ts";
import { Prisma } from "../generated/prisma/client.ts";
import type { CaseCategory, Severity } from "./chat-types.ts";

export interface ConversationRow {
  id: string;
  channel: string;
  area: string | null;
}

/** The conversation's most recent case, whatever its status. */
export interface LatestCaseRow {
  id: string;
  category: CaseCategory;
  severity: Severity;
  queue: string;
  status: CaseStatus;
  closedAt: Date | null;
}

export interface SentMessageRow {
  id: string;
  conversationId: string;
  createdAt: Date;
  purgeAfter: Date;
}

export interface NewConversation {
  id: string;
  channel: string;
  area: string | null;
  createdAt: Date;
  lastMessageAt: Date;
  purgeAfter: Date;
}

export interface NewMessage {
  id: string;
  conversationId: string;
  role: "resident" | "bot";
  text: string;
  kind?: string | null;
  clientMessageId?: string | null;
  inReplyTo?: string | null;
  payload?: string | null;
  createdAt: Date;
  purgeAfter: Date;
}

export interface NewUnanswered {
  id: string;
  conversationId: string;
  text: string;
  reason: string;
  topScore: number | null;
  area: string | null;
  createdAt: Date;
  purgeAfter: Date;
}

export interface NewCase {
  id: string;
  conversationId: string;
  category: CaseCategory;
  severity: Severity;
  queue: string;
  channel: string;
  area: string | null;
  /** JSON array of the triage signals. */
  signals: string;
  source: "chat" | "form";
  createdAt: Date;
}

/**
 * A report: its conversation when new (else the existing one is touched), the
 * resident's message, the bot's reply, the case and its `created` event.
 */
export interface NewReport {
  conversation: NewConversation | null;
  message: NewMessage;
  reply: NewMessage;
  /** The conversation's new area, when the resident named one (existing conversations). */
  area: string | null;
  kase: NewCase;
  /** The `created` event's data (JSON). */
  eventData: string;
}

/**
 * A resident message to the conversation's latest case: `attach` joins it
 * while it is open (and reopens it if staff closed it a moment ago),
 * `reopen` reopens it when closed.
 */
export interface FollowUp {
  conversation: NewConversation | null;
  message: NewMessage;
  caseId: string;
  routing: "attach" | "reopen";
  /** The case's severity after this message. */
  severity: Severity;
  /** JSON-able triage signals, stored in the event. */
  signals: readonly string[];
  /** The bot's reply, from the case's status after this message; committed with it. */
  reply(status: CaseStatus): NewMessage;
  /** The conversation's new area, when the resident named one. */
  area: string | null;
}

export interface FollowedUp {
  /** The event's seq. */
  seq: number;
  type: "resident_message" | "reopened";
  /** The case's status after this message. */
  status: CaseStatus;
}

/** One resident message and the bot's answer, committed together. */
export interface Exchange {
  conversation: NewConversation | null;
  resident: NewMessage;
  unanswered: NewUnanswered | null;
  bot: NewMessage;
  /** The conversation's new area, when the resident named one. */
  area: string | null;
}

/** Where to look for the resident message a send with this client id stored. */
export interface SentQuery {
  clientMessageId: string;
  /** In one of these conversations (non-empty); in any, when null. */
  conversationIds: readonly string[] | null;
}

export type ConversationWithCase = ConversationRow & { latestCase: LatestCaseRow | null };

export interface ChatStore {
  /**
   * What a chat message needs read before it is handled, in one statement: the
   * conversation with its most recent case (whatever its status), and the
   * message an earlier send with the same client id stored.
   */
  lookup(
    conversationId: string | null,
    sent: SentQuery | null,
  ): Promise<{
    conversation: ConversationWithCase | null;
    sent: SentMessageRow | null;
  }>;
  /** The resident message a send with this client id stored. */
  sentMessage(query: SentQuery): Promise<SentMessageRow | null>;
  /** The bot's stored reply to a resident message. */
  botReply(conversationId: string, residentMessageId: string): Promise<{ id: string; payload: string | null } | null>;
  commitExchange(exchange: Exchange): Promise<void>;
  /**
   * Commits a new report atomically — in one statement on PostgreSQL, one
   * transaction on SQLite — and returns the `created` event's seq.
   */
  commitReport(report: NewReport): Promise<number>;
  /** Commits a resident message to an existing case, with its event and the bot's reply, in one transaction. */
  commitFollowUp(followUp: FollowUp): Promise<FollowedUp>;
}

/** The seq of the event a statement inserted (`RETURNING "id"`). */
function eventSeq(rows: readonly { id: unknown }[]): number {
  const seq = Number(rows[0]?.id);
  if (!Number.isSafeInteger(seq) || seq <= 0) throw new Error("case event committed without a seq");
  return seq;
}

/** The adapters return DATETIME/timestamp columns as ISO text (SQLite as stored, PostgreSQL without a zone: UTC). */
function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

type LookupRow = {
  id: string | null;
  channel: string | null;
  area: string | null;
  caseId: string | null;
  category: CaseCategory | null;
  severity: Severity | null;
  queue: string | null;
  status: CaseStatus | null;
  closedAt: unknown;
  sentId?: string | null;
  sentConversationId?: string | null;
  sentCreatedAt?: unknown;
  sentPurgeAfter?: unknown;
};

/** The id of the earliest resident message stored with this client id (within the scope, when given). */
function sentIdSql(q: SentQuery): Prisma.Sql {
  const scope = q.conversationIds
    ? Prisma.sql`AND "conversationId" IN (${Prisma.join(q.conversationIds)})`
    : Prisma.empty;
  return Prisma.sql`SELECT "id" FROM "Message"
    WHERE "clientMessageId" = ${q.clientMessageId} AND "role" = 'resident' ${scope}
    ORDER BY "createdAt" ASC LIMIT 1`;
}

function conversationOf(row: LookupRow): ConversationWithCase | null {
  if (row.id === null || row.channel === null) return null;
  const latestCase =
    row.caseId && row.category && row.severity && row.queue && row.status
      ? {
          id: row.caseId,
          category: row.category,
          severity: row.severity,
          queue: row.queue,
          status: row.status,
          closedAt: row.closedAt === null ? null : toDate(row.closedAt),
        }
      : null;
  return { id: row.id, channel: row.channel, area: row.area, latestCase };
}

function sentOf(row: LookupRow): SentMessageRow | null {
  if (!row.sentId || !row.sentConversationId) return null;
  return {
    id: row.sentId,
    conversationId: row.sentConversationId,
    createdAt: toDate(row.sentCreatedAt),
    purgeAfter: toDate(row.sentPurgeAfter),
  };
}

export function createChatStore(db: Db): ChatStore {
  const postgres = providerOf(db) === "postgresql";
  const sql = rawSqlOf(db);
  const messageRow = (m: NewMessage) =>
    Prisma.sql`(${m.id}, ${m.conversationId}, ${m.role}, ${m.text}, ${m.kind ?? null}, ${m.clientMessageId ?? null}, ${m.inReplyTo ?? null}, ${m.payload ?? null}, ${m.createdAt}, ${m.purgeAfter})`;
  const messageColumns = Prisma.raw(
    `"id", "conversationId", "role", "text", "kind", "clientMessageId", "inReplyTo", "payload", "createdAt", "purgeAfter"`,
  );

  const insertConversation = (c: NewConversation) =>
    Prisma.sql`INSERT INTO "Conversation" ("id", "channel", "area", "createdAt", "lastMessageAt", "purgeAfter")
      VALUES (${c.id}, ${c.channel}, ${c.area}, ${c.createdAt}, ${c.lastMessageAt}, ${c.purgeAfter})`;
  /** An existing conversation's last activity (and area, when the resident named one): the message `m` just stored. */
  const touchConversation = (m: NewMessage, area: string | null) =>
    area
      ? Prisma.sql`UPDATE "Conversation" SET "lastMessageAt" = ${m.createdAt}, "purgeAfter" = ${m.purgeAfter}, "area" = ${area}
          WHERE "id" = ${m.conversationId}`
      : Prisma.sql`UPDATE "Conversation" SET "lastMessageAt" = ${m.createdAt}, "purgeAfter" = ${m.purgeAfter}
          WHERE "id" = ${m.conversationId}`;

  /**
   * Runs statements in order and returns the last one's rows: on PostgreSQL as
   * ONE statement, each but the last a data-modifying CTE (one round trip; the
   * foreign keys are checked at the end of the statement, so a new
   * conversation's messages may join it); on SQLite one after another, inside
   * the caller's transaction (or `run` opens one).
   */
  async function runAll<T extends object>(tx: RawSql, statements: readonly Prisma.Sql[]): Promise<T[]> {
    const last = statements[statements.length - 1] as Prisma.Sql;
    if (postgres) {
      const ctes = statements.slice(0, -1).map((s, i) => Prisma.sql`${Prisma.raw(`s${i}`)} AS (${s})`);
      return tx.query<T>(ctes.length ? Prisma.sql`WITH ${Prisma.join(ctes)} ${last}` : last);
    }
    for (const s of statements.slice(0, -1)) await tx.execute(s);
    return tx.query<T>(last);
  }

  /** Statements that must commit together: one autocommit statement on PostgreSQL, a transaction on SQLite. */
  function run<T extends object>(statements: readonly Prisma.Sql[]): Promise<T[]> {
    return postgres ? runAll<T>(sql, statements) : sql.transaction((tx) => runAll<T>(tx, statements));
  }

  /** The statements of an exchange, in the order that keeps every crash point harmless. */
  function exchangeStatements(x: Exchange): Prisma.Sql[] {
    const c = x.conversation;
    const u = x.unanswered;
    const bot = x.bot;
    const messages = [messageRow(x.resident), messageRow(bot)];
    return [
      c ? insertConversation(c) : touchConversation(bot, x.area),
      Prisma.sql`INSERT INTO "Message" (${messageColumns}) VALUES ${Prisma.join(messages)}`,
      ...(u
        ? [
            Prisma.sql`INSERT INTO "UnansweredQuestion" ("id", "conversationId", "text", "reason", "topScore", "area", "createdAt", "purgeAfter")
              VALUES (${u.id}, ${u.conversationId}, ${u.text}, ${u.reason}, ${u.topScore}, ${u.area}, ${u.createdAt}, ${u.purgeAfter})`,
          ]
        : []),
    ];
  }

  /** A new report's statements; the last inserts the `created` event and returns its seq. */
  function reportStatements(r: NewReport): Prisma.Sql[] {
    const c = r.conversation;
    const k = r.kase;
    return [
      c ? insertConversation(c) : touchConversation(r.reply, r.area),
      Prisma.sql`INSERT INTO "Message" (${messageColumns}) VALUES ${messageRow(r.message)}, ${messageRow(r.reply)}`,
      Prisma.sql`INSERT INTO "Case" ("id", "conversationId", "category", "severity", "queue", "status", "channel", "area", "signals", "source", "createdAt", "updatedAt")
        VALUES (${k.id}, ${k.conversationId}, ${k.category}, ${k.severity}, ${k.queue}, 'new', ${k.channel}, ${k.area}, ${k.signals}, ${k.source}, ${k.createdAt}, ${k.createdAt})`,
      Prisma.sql`INSERT INTO "CaseEvent" ("caseId", "type", "data", "createdAt")
        VALUES (${k.id}, 'created', ${r.eventData}, ${k.createdAt}) RETURNING "id"`,
    ];
  }

  return {
    async commitReport(r) {
      return eventSeq(await run<{ id: unknown }>(reportStatements(r)));
    },

    commitFollowUp(f) {
      const m = f.message;
      const at = m.createdAt;
      const eventData = { messageId: m.id, signals: f.signals, severity: f.severity };
      /** Stores the resident message (and a new conversation) in the same statement as `statement`. */
      const withMessage = (statement: Prisma.Sql) => [
        ...(f.conversation ? [insertConversation(f.conversation)] : []),
        Prisma.sql`INSERT INTO "Message" (${messageColumns}) VALUES ${messageRow(m)}`,
        statement,
      ];
      /** What ends every follow-up, in one statement: its event, the bot's reply and the conversation's touch. */
      const finish = async (tx: RawSql, type: FollowedUp["type"], status: CaseStatus, data: object) => {
        const bot = f.reply(status);
        const rows = await runAll<{ id: unknown }>(tx, [
          touchConversation(bot, f.area),
          Prisma.sql`INSERT INTO "Message" (${messageColumns}) VALUES ${messageRow(bot)}`,
          Prisma.sql`INSERT INTO "CaseEvent" ("caseId", "type", "data", "createdAt")
            VALUES (${f.caseId}, ${type}, ${JSON.stringify(data)}, ${at}) RETURNING "id"`,
        ]);
        return { seq: eventSeq(rows), type, status };
      };
      const reopen = Prisma.sql`UPDATE "Case"
        SET "status" = 'new', "severity" = ${f.severity}, "claimedBy" = NULL, "claimedAt" = NULL,
            "closedAt" = NULL, "closedBy" = NULL, "outcome" = NULL, "updatedAt" = ${at}
        WHERE "id" = ${f.caseId} AND "status" = 'closed' RETURNING "status"`;
      /**
       * Joins the case while it is open, and locks its row doing so: staff closing it wait for this
       * commit, so the message never lands on a case that is closed by then.
       */
      const join = (severity: Severity | null) =>
        severity
          ? Prisma.sql`UPDATE "Case" SET "severity" = ${severity}, "updatedAt" = ${at}
              WHERE "id" = ${f.caseId} AND "status" IN ('new', 'claimed') RETURNING "status"`
          : Prisma.sql`UPDATE "Case" SET "updatedAt" = ${at}
              WHERE "id" = ${f.caseId} AND "status" IN ('new', 'claimed') RETURNING "status"`;
      return sql.transaction(async (tx): Promise<FollowedUp> => {
        let stored = false;
        /** The statement, with the resident message (and a new conversation) the first time. */
        const withMessageOnce = (statement: Prisma.Sql) => {
          const statements = stored ? [statement] : withMessage(statement);
          stored = true;
          return statements;
        };
        if (f.routing === "attach") {
          // Only while still open: staff may have closed it a moment ago, and then it reopens below.
          const attached = await runAll<{ status: CaseStatus }>(tx, withMessageOnce(join(f.severity)));
          const open = attached[0];
          if (open) return finish(tx, "resident_message", open.status, eventData);
        }
        // Each round either reopens the case or joins it as someone else reopened it; a case closed,
        // reopened and closed again between the two statements goes round once more.
        for (let round = 0; round < 3; round++) {
          const reopened = await runAll<{ status: CaseStatus }>(tx, withMessageOnce(reopen));
          if (reopened.length === 1) {
            const previous = await tx.query<{ data: string }>(Prisma.sql`SELECT "data" FROM "CaseEvent"
              WHERE "caseId" = ${f.caseId} AND "type" = 'closed' ORDER BY "id" DESC LIMIT 1`);
            const previousOutcome = previous[0] ? (parseJsonObject(previous[0].data).outcome ?? null) : null;
            return finish(tx, "reopened", "new", { ...eventData, previousOutcome });
          }
          // Someone else reopened it first: the message joins the case as it is now.
          const joined = (await tx.query<{ status: CaseStatus }>(join(null)))[0];
          if (joined) return finish(tx, "resident_message", joined.status, eventData);
        }
        throw new Error("follow-up: the case is missing, or its status would not settle");
      });
    },

    async lookup(conversationId, sent) {
      // One row whatever is found: the joins are LEFT joins to a one-row FROM.
      const sentJoin = sent ? Prisma.sql`LEFT JOIN "Message" s ON s."id" = (${sentIdSql(sent)})` : Prisma.empty;
      const sentColumns = sent
        ? Prisma.sql`, s."id" AS "sentId", s."conversationId" AS "sentConversationId",
                     s."createdAt" AS "sentCreatedAt", s."purgeAfter" AS "sentPurgeAfter"`
        : Prisma.empty;
      const rows = await sql.query<LookupRow>(Prisma.sql`
        SELECT c."id", c."channel", c."area",
               k."id" AS "caseId", k."category", k."severity", k."queue", k."status", k."closedAt" ${sentColumns}
        FROM (SELECT 1 AS "one") AS o
        LEFT JOIN "Conversation" c ON c."id" = ${conversationId}
        LEFT JOIN "Case" k ON k."id" = (
          SELECT "id" FROM "Case" WHERE "conversationId" = c."id" ORDER BY "createdAt" DESC LIMIT 1)
        ${sentJoin}`);
      const row = rows[0];
      return row ? { conversation: conversationOf(row), sent: sentOf(row) } : { conversation: null, sent: null };
    },

    async sentMessage(query) {
      type Row = { id: string; conversationId: string; createdAt: unknown; purgeAfter: unknown };
      const rows = await sql.query<Row>(Prisma.sql`
        SELECT "id", "conversationId", "createdAt", "purgeAfter" FROM "Message" WHERE "id" = (${sentIdSql(query)})`);
      const row = rows[0];
      return row ? { ...row, createdAt: toDate(row.createdAt), purgeAfter: toDate(row.purgeAfter) } : null;
    },

    async botReply(conversationId, residentMessageId) {
      // conversationId first: the (conversationId, createdAt) index narrows the scan to one conversation.
      const rows = await sql.query<{ id: string; payload: string | null }>(Prisma.sql`
        SELECT "id", "payload" FROM "Message"
        WHERE "conversationId" = ${conversationId} AND "inReplyTo" = ${residentMessageId} AND "role" = 'bot'
        LIMIT 1`);
      return rows[0] ?? null;
    },

    async commitExchange(x) {
      await run(exchangeStatements(x));
    },
  };
}
