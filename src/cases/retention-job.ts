/**
 * Retention (DESIGN §2 privacy: purge on a schedule), hourly:
 * - a conversation whose cases are all closed for longer than
 *   CASE_RETENTION_DAYS is anonymised: message texts become "[已匿名]", the
 *   resident's WeChat reference, encrypted contact and area are removed, and
 *   free text staff wrote in the event log (notes, reasons) is blanked. The
 *   cases keep category, severity, queue, channel, timestamps and outcome for
 *   statistics, and an `anonymised` event marks each one;
 * - conversations that never had a case are deleted after their purgeAfter
 *   (messages and outbound rows cascade), as are unanswered questions past
 *   theirs and staff sessions that can no longer be used.
 *
 * Blanking event text is the one place an event is ever changed: the log is
 * append-only for the service, but what residents and staff wrote about a
 * person must not outlive the retention period (PIPL art. 47).
 */
import type { FastifyBaseLogger } from "fastify";
import { JOB_RETENTION, tryJobLock } from "../db/job-lock.ts";
import { type Db, providerOf } from "../db/prisma-client.ts";
import { parseJsonObject } from "./case-fns.ts";

export const ANONYMISED_TEXT = "[已匿名]";
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Conversations anonymised per transaction; the job loops until none are left. */
const BATCH = 100;
/** Free-text fields of event data that may name or describe a person. */
const FREE_TEXT_FIELDS = ["text", "note", "reason"] as const;

export interface RetentionDeps {
  db: Db;
  caseRetentionDays: number;
  /** Deletes unusable staff sessions (the staff service's own rule); returns how many. */
  purgeSessions?: () => Promise<number>;
}

export interface RetentionReport {
  anonymisedConversations: number;
  anonymisedCases: number;
  purgedConversations: number;
  purgedQuestions: number;
  purgedSessions: number;
}

async function anonymiseConversation(db: Db, conversationId: string, at: Date): Promise<number> {
  return db.$transaction(async (tx) => {
    // Several instances: one anonymises this conversation, the others skip it (src/db/job-lock.ts).
    if (!(await tryJobLock(tx, providerOf(db), JOB_RETENTION, conversationId))) return 0;
    const cases = await tx.case.findMany({
      where: { conversationId, events: { none: { type: "anonymised" } } },
      select: { id: true },
    });
    const caseIds = cases.map((c) => c.id);
    await tx.message.updateMany({
      where: { conversationId, text: { not: ANONYMISED_TEXT } },
      data: { text: ANONYMISED_TEXT },
    });
    // Anything still waiting to go to WeChat this late is not sent at all.
    await tx.outboundMessage.updateMany({
      where: { conversationId, status: "pending" },
      data: { status: "failed", lastError: "retention" },
    });
    await tx.outboundMessage.updateMany({ where: { conversationId }, data: { text: ANONYMISED_TEXT } });
    // Cases before their conversation: the order a resident's follow-up and a staff reply lock them in.
    await tx.case.updateMany({ where: { conversationId }, data: { area: null } });
    await tx.conversation.update({
      where: { id: conversationId },
      data: { externalRef: null, contactCipher: null, area: null },
    });
    const withText = await tx.caseEvent.findMany({
      where: { caseId: { in: caseIds }, type: { in: ["noted", "closed", "transferred"] } },
      select: { id: true, data: true },
    });
    for (const e of withText) {
      const data = parseJsonObject(e.data);
      let changed = false;
      for (const field of FREE_TEXT_FIELDS) {
        if (typeof data[field] === "string" && data[field] !== ANONYMISED_TEXT) {
          data[field] = ANONYMISED_TEXT;
          changed = true;
        }
      }
      if (changed) await tx.caseEvent.update({ where: { id: e.id }, data: { data: JSON.stringify(data) } });
    }
    for (const id of caseIds) {
      await tx.caseEvent.create({ data: { caseId: id, type: "anonymised", createdAt: at } });
    }
    return caseIds.length;
  });
}

/** One retention pass as of `now` (tests inject the clock). */
export async function runRetention(deps: RetentionDeps, now: Date): Promise<RetentionReport> {
  const { db } = deps;
  const cutoff = new Date(now.getTime() - deps.caseRetentionDays * DAY_MS);
  const report: RetentionReport = {
    anonymisedConversations: 0,
    anonymisedCases: 0,
    purgedConversations: 0,
    purgedQuestions: 0,
    purgedSessions: 0,
  };

  for (;;) {
    // Conversations with a closed case past retention not yet anonymised, and no case still
    // open or closed recently (its transcript is still in use).
    const due = await db.conversation.findMany({
      where: {
        cases: {
          some: { status: "closed", closedAt: { lt: cutoff }, events: { none: { type: "anonymised" } } },
          none: { OR: [{ status: { not: "closed" } }, { closedAt: { gte: cutoff } }] },
        },
      },
      select: { id: true },
      take: BATCH,
    });
    for (const c of due) {
      report.anonymisedCases += await anonymiseConversation(db, c.id, now);
      report.anonymisedConversations++;
    }
    if (due.length < BATCH) break;
  }

  const purged = await db.conversation.deleteMany({ where: { purgeAfter: { lt: now }, cases: { none: {} } } });
  report.purgedConversations = purged.count;
  const questions = await db.unansweredQuestion.deleteMany({ where: { purgeAfter: { lt: now } } });
  report.purgedQuestions = questions.count;
  if (deps.purgeSessions) report.purgedSessions = await deps.purgeSessions();
  return report;
}

export interface RetentionJob {
  runNow(at?: Date): Promise<RetentionReport>;
  start(): void;
  stop(): void;
}

export function createRetentionJob(
  deps: RetentionDeps & { logger: FastifyBaseLogger; now?: () => Date; intervalMs?: number },
): RetentionJob {
  const now = deps.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<RetentionReport> | null = null;

  function runNow(at?: Date): Promise<RetentionReport> {
    if (running) return running;
    running = runRetention(deps, at ?? now()).finally(() => {
      running = null;
    });
    return running;
  }

  return {
    runNow,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        runNow()
          .then((r) => {
            if (r.anonymisedCases + r.purgedConversations + r.purgedQuestions > 0)
              deps.logger.info(r, "retention pass");
          })
          .catch((err: unknown) => deps.logger.error({ err }, "retention pass failed"));
      }, deps.intervalMs ?? HOUR_MS);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
