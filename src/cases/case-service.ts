/**
 * Staff work on cases (DESIGN §6): list, open, claim, reply, note, transfer,
 * 强制报告, close. One function per rule; every state change appends a
 * CaseEvent in the same transaction and, once committed, wakes live consoles
 * through the EventBus. The service never updates or deletes an event.
 */
import { randomUUID } from "node:crypto";
import type { CaseCategory, Channel, Severity } from "../chat/chat-types.ts";
import type { ResidentDelivery } from "../chat/resident-delivery.ts";
import { inChunks } from "../db/in-chunks.ts";
import type { Db } from "../db/prisma-client.ts";
import type { Case as CaseRow } from "../generated/prisma/client.ts";
import { canSeeQueue } from "../staff/staff-access.ts";
import type { AuthenticatedStaff } from "../staff/staff-service.ts";
import { caseErrors } from "./case-errors.ts";
import type { EventBus } from "./case-events-bus.ts";
import {
  type ActDecision,
  checkStaffText,
  compareQueueOrder,
  eventVisible,
  isSupervisor,
  mayActOn,
  mayReply,
  mayTransfer,
  parseJsonObject,
  parseStringArray,
} from "./case-fns.ts";
import type {
  CaseDetail,
  CaseEventFrame,
  CaseEventType,
  CaseEventView,
  CaseOutcome,
  CaseStatus,
  CaseSummary,
  QueueView,
  StaffRef,
  TranscriptEntry,
} from "./case-types.ts";
import type { QueueCatalog } from "./queue-catalog.ts";
import { isOverdue, SLA_CLOCK_EVENTS, SLA_MS, slaDeadline, waitingSince } from "./sla-fns.ts";

/** What the service needs to know about the staff member acting. */
export type CaseActor = Pick<AuthenticatedStaff, "id" | "displayName" | "role" | "queues">;

export interface CaseServiceDeps {
  db: Db;
  catalog: QueueCatalog;
  bus: EventBus;
  delivery: ResidentDelivery;
  now?: () => Date;
}

export type StatusFilter = "open" | "closed" | "all";

export interface MandatoryReportInput {
  reportedTo: string;
  reportedAt: Date;
  referenceNumber?: string | undefined;
}

export interface CaseService {
  listQueues(staff: CaseActor): QueueView[];
  listCases(staff: CaseActor, filter: { status: StatusFilter; queue?: string | undefined }): Promise<CaseSummary[]>;
  /** Appends a `viewed` event (access audit) on every call. */
  getCase(staff: CaseActor, id: string): Promise<CaseDetail>;
  claim(staff: CaseActor, id: string): Promise<CaseDetail>;
  reply(staff: CaseActor, id: string, text: string): Promise<CaseDetail>;
  addNote(staff: CaseActor, id: string, text: string): Promise<CaseDetail>;
  transfer(staff: CaseActor, id: string, queue: string, reason: string): Promise<CaseDetail>;
  recordMandatoryReport(staff: CaseActor, id: string, input: MandatoryReportInput): Promise<CaseDetail>;
  close(staff: CaseActor, id: string, input: { outcome: CaseOutcome; note?: string | undefined }): Promise<CaseDetail>;
  /** Events after `after` this staff member may see, oldest first, as console frames. */
  /**
   * Events after `after` this staff member may see, oldest first, as console frames;
   * `next` is the cursor for the following page (the last sequence number looked at).
   */
  eventsAfter(
    staff: CaseActor,
    after: number,
    limit?: number,
  ): Promise<{ events: CaseEventFrame[]; more: boolean; next: number }>;
  /**
   * Where a resume from `after` must start: the seq before the first event created
   * up to RESUME_OVERLAP_MS before event `after` (at most `after`).
   */
  resumeCursor(after: number): Promise<number>;
  /** One event as a console frame, with the queues whose staff may see it; null when it is not pushed. */
  frameFor(seq: number): Promise<{ frame: CaseEventFrame; queues: string[] } | null>;
}

/** Closed cases listed at most (most recently closed); open cases are always all listed. */
export const CLOSED_LIST_LIMIT = 200;
/** Open cases listed at most, oldest first — far above what a city's queues ever hold. */
export const OPEN_LIST_LIMIT = 1000;
/** Transcript messages shown at most (the most recent). */
export const TRANSCRIPT_LIMIT = 500;
export const EVENTS_PAGE_LIMIT = 500;
/**
 * An event's seq is taken when its row is inserted, its visibility comes at
 * commit: a transaction that numbered an event earlier may commit after a later
 * one. Resumes look this far back in time (far above any transaction here) and
 * at most RESUME_SCAN seqs back; the console drops what it already has by seq.
 */
export const RESUME_OVERLAP_MS = 60_000;
const RESUME_SCAN = 10_000;
/** A 强制报告 may be dated this far in the future (clock skew between devices), no more. */
const REPORTED_AT_SKEW_MS = 5 * 60_000;

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

function requireText(raw: string, field: string): string {
  const checked = checkStaffText(raw);
  if (!checked.ok) throw caseErrors.invalidText(`${field}：${checked.message}`);
  return checked.text;
}

function refuse(decision: ActDecision): void {
  switch (decision) {
    case "ok":
      return;
    case "closed":
      throw caseErrors.closed();
    case "not_claimed":
      throw caseErrors.notClaimed();
    case "claimed_by_other":
      throw caseErrors.claimedByOther();
  }
}

export function createCaseService(deps: CaseServiceDeps): CaseService {
  const { db, catalog, bus } = deps;
  const now = deps.now ?? (() => new Date());
  const canSee = (staff: CaseActor) => (queue: string) => canSeeQueue(staff, queue);

  async function namesOf(ids: Iterable<string | null | undefined>): Promise<Map<string, StaffRef>> {
    const wanted = [...new Set([...ids].filter((id): id is string => typeof id === "string"))];
    if (wanted.length === 0) return new Map();
    const users = await db.staffUser.findMany({
      where: { id: { in: wanted } },
      select: { id: true, displayName: true },
    });
    return new Map(users.map((u) => [u.id, { id: u.id, displayName: u.displayName }]));
  }

  /** Summaries of case rows, in the given order. A few queries whatever the number of cases. */
  async function summarize(rows: CaseRow[]): Promise<CaseSummary[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [names, clocks, latest] = await Promise.all([
      namesOf(rows.map((r) => r.claimedBy)),
      inChunks(ids, (slice) =>
        db.caseEvent.groupBy({
          by: ["caseId"],
          where: { caseId: { in: slice }, type: { in: [...SLA_CLOCK_EVENTS] } },
          _max: { createdAt: true },
        }),
      ),
      inChunks(ids, (slice) =>
        db.caseEvent.groupBy({
          by: ["caseId"],
          where: { caseId: { in: slice }, type: { notIn: ["viewed", "anonymised"] } },
          _max: { id: true },
        }),
      ),
    ]);
    const clockOf = new Map(clocks.map((g) => [g.caseId, g._max.createdAt]));
    const seqOf = new Map(latest.map((g) => [g.caseId, g._max.id]));
    const t = now();
    return rows.map((r) => {
      const severity = r.severity as Severity;
      const clock = clockOf.get(r.id);
      const since = waitingSince(r.createdAt, clock ? [{ at: clock }] : []);
      const deadline = slaDeadline(severity, since);
      const status = r.status as CaseStatus;
      return {
        id: r.id,
        category: r.category as CaseCategory,
        severity,
        queue: r.queue,
        queueName: catalog.name(r.queue),
        status,
        channel: r.channel as Channel,
        area: r.area,
        createdAt: r.createdAt.toISOString(),
        claimedAt: iso(r.claimedAt),
        claimedBy: r.claimedBy ? (names.get(r.claimedBy) ?? { id: r.claimedBy, displayName: "" }) : null,
        deadline: deadline.toISOString(),
        overdue: isOverdue(status, deadline, t),
        signals: parseStringArray(r.signals),
        lastEventSeq: seqOf.get(r.id) ?? 0,
      };
    });
  }

  function eventView(
    e: { id: number; caseId: string; type: string; actor: string | null; data: string; createdAt: Date },
    names: Map<string, StaffRef>,
  ): CaseEventView {
    return {
      seq: e.id,
      caseId: e.caseId,
      type: e.type as CaseEventType,
      actor: e.actor ? (names.get(e.actor) ?? { id: e.actor, displayName: "" }) : null,
      data: parseJsonObject(e.data),
      at: e.createdAt.toISOString(),
    };
  }

  /** The case if it exists and this staff member may see its queue; otherwise 404, never revealing which. */
  async function loadVisible(staff: CaseActor, id: string): Promise<CaseRow> {
    const row = await db.case.findUnique({ where: { id } });
    if (!row || !canSeeQueue(staff, row.queue)) throw caseErrors.notFound();
    return row;
  }

  async function detail(id: string): Promise<CaseDetail> {
    const row = await db.case.findUnique({ where: { id } });
    if (!row) throw caseErrors.notFound();
    const [messages, events, reports] = await Promise.all([
      db.message.findMany({
        where: { conversationId: row.conversationId },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: TRANSCRIPT_LIMIT,
        select: { id: true, role: true, text: true, createdAt: true, authorId: true },
      }),
      db.caseEvent.findMany({ where: { caseId: id }, orderBy: { id: "asc" } }),
      db.mandatoryReport.findMany({ where: { caseId: id }, orderBy: { createdAt: "asc" } }),
    ]);
    const names = await namesOf([
      row.claimedBy,
      ...messages.map((m) => m.authorId),
      ...events.map((e) => e.actor),
      ...reports.map((r) => r.createdBy),
    ]);
    const [summary] = await summarize([row]);
    const roleOrder: Record<string, number> = { resident: 0, bot: 1, staff: 2 };
    const transcript: TranscriptEntry[] = messages
      .reverse()
      .sort(
        (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (roleOrder[a.role] ?? 0) - (roleOrder[b.role] ?? 0),
      )
      .map((m) => ({
        id: m.id,
        role: m.role === "bot" || m.role === "staff" ? m.role : "resident",
        text: m.text,
        at: m.createdAt.toISOString(),
        author: m.role === "staff" && m.authorId ? (names.get(m.authorId)?.displayName ?? null) : null,
      }));
    return {
      case: {
        ...(summary as CaseSummary),
        outcome: row.outcome as CaseOutcome | null,
        closedAt: iso(row.closedAt),
        firstStaffReplyAt: iso(row.firstStaffReplyAt),
        mandatoryReports: reports.map((r) => ({
          id: r.id,
          reportedTo: r.reportedTo,
          reportedAt: r.reportedAt.toISOString(),
          referenceNumber: r.referenceNumber,
          createdBy: names.get(r.createdBy) ?? null,
          createdAt: r.createdAt.toISOString(),
        })),
      },
      transcript,
      events: events.map((e) => eventView(e, names)),
    };
  }

  function publish(seq: number, caseId: string, type: CaseEventType, queue: string, fromQueue?: string): void {
    bus.publish(fromQueue ? { seq, caseId, type, queue, fromQueue } : { seq, caseId, type, queue });
  }

  /** When a conditional update lost a race: say what happened instead. */
  async function explainConflict(id: string): Promise<never> {
    const row = await db.case.findUnique({ where: { id }, select: { status: true } });
    if (row?.status === "closed") throw caseErrors.closed();
    throw caseErrors.changed();
  }

  // ── rules ────────────────────────────────────────────────────────────────

  function listQueues(staff: CaseActor): QueueView[] {
    const t = now();
    return catalog.queues.filter((q) => canSeeQueue(staff, q.id)).map((q) => catalog.view(q.id, t));
  }

  /** Only queues the staff member can see; danger first, then longest waiting. */
  async function listCases(
    staff: CaseActor,
    filter: { status: StatusFilter; queue?: string | undefined },
  ): Promise<CaseSummary[]> {
    if (filter.queue !== undefined && !canSeeQueue(staff, filter.queue)) return [];
    const queueWhere =
      filter.queue !== undefined ? { queue: filter.queue } : isSupervisor(staff) ? {} : { queue: { in: staff.queues } };
    const rows: CaseRow[] = [];
    if (filter.status !== "closed") {
      rows.push(
        ...(await db.case.findMany({
          where: { ...queueWhere, status: { in: ["new", "claimed"] } },
          orderBy: { createdAt: "asc" },
          take: OPEN_LIST_LIMIT,
        })),
      );
    }
    if (filter.status !== "open") {
      rows.push(
        ...(await db.case.findMany({
          where: { ...queueWhere, status: "closed" },
          orderBy: { closedAt: "desc" },
          take: CLOSED_LIST_LIMIT,
        })),
      );
    }
    const summaries = await summarize(rows);
    // When the case entered its queue, recovered from the deadline the summary already carries.
    const since = (s: CaseSummary) => new Date(new Date(s.deadline).getTime() - SLA_MS[s.severity]);
    return summaries.sort((a, b) =>
      compareQueueOrder(
        { id: a.id, severity: a.severity, waitingSince: since(a) },
        { id: b.id, severity: b.severity, waitingSince: since(b) },
      ),
    );
  }

  async function getCase(staff: CaseActor, id: string): Promise<CaseDetail> {
    await loadVisible(staff, id);
    await db.caseEvent.create({ data: { caseId: id, type: "viewed", actor: staff.id, createdAt: now() } });
    return detail(id);
  }

  /** Atomic: a conditional update (status still new) decides the winner; the loser learns who holds it. */
  async function claim(staff: CaseActor, id: string): Promise<CaseDetail> {
    const row = await loadVisible(staff, id);
    if (row.status === "closed") throw caseErrors.closed();
    const at = now();
    const seq = await db.$transaction(async (tx) => {
      const won = await tx.case.updateMany({
        where: { id, status: "new", queue: row.queue },
        data: { status: "claimed", claimedBy: staff.id, claimedAt: at },
      });
      if (won.count !== 1) return null;
      const event = await tx.caseEvent.create({
        data: { caseId: id, type: "claimed", actor: staff.id, createdAt: at },
      });
      return event.id;
    });
    if (seq === null) {
      const current = await db.case.findUnique({ where: { id }, select: { status: true, claimedBy: true } });
      if (current?.status === "claimed" && current.claimedBy) {
        const names = await namesOf([current.claimedBy]);
        throw caseErrors.alreadyClaimed(names.get(current.claimedBy) ?? null);
      }
      return explainConflict(id);
    }
    publish(seq, id, "claimed", row.queue);
    return detail(id);
  }

  /** Only the claimer (or a supervisor/admin) replies; the reply goes out through the resident's channel. */
  async function reply(staff: CaseActor, id: string, rawText: string): Promise<CaseDetail> {
    const text = requireText(rawText, "text");
    const row = await loadVisible(staff, id);
    refuse(mayReply(staff, row));
    const conversation = await db.conversation.findUnique({
      where: { id: row.conversationId },
      select: { id: true, channel: true, purgeAfter: true },
    });
    if (!conversation) throw caseErrors.notFound();
    const at = now();
    const message = { id: randomUUID(), text, at, caseId: id };
    const seq = await db.$transaction(async (tx) => {
      // Still held as when checked: a transfer or close in between must not be talked over.
      const held = await tx.case.updateMany({
        where: { id, status: "claimed", claimedBy: row.claimedBy, queue: row.queue },
        data: { updatedAt: at },
      });
      if (held.count !== 1) return null;
      await tx.message.create({
        data: {
          id: message.id,
          conversationId: conversation.id,
          role: "staff",
          authorId: staff.id,
          text,
          payload: JSON.stringify({ caseId: id }),
          createdAt: at,
          purgeAfter: new Date(Math.max(conversation.purgeAfter.getTime(), at.getTime())),
        },
      });
      await tx.case.updateMany({ where: { id, firstStaffReplyAt: null }, data: { firstStaffReplyAt: at } });
      await tx.conversation.update({ where: { id: conversation.id }, data: { lastMessageAt: at } });
      const route = await deps.delivery.stage(tx, conversation, message);
      const event = await tx.caseEvent.create({
        data: {
          caseId: id,
          type: "replied",
          actor: staff.id,
          data: JSON.stringify({ messageId: message.id, channel: conversation.channel, delivery: route }),
          createdAt: at,
        },
      });
      return event.id;
    });
    if (seq === null) return explainConflict(id);
    deps.delivery.push(conversation, message);
    publish(seq, id, "replied", row.queue);
    return detail(id);
  }

  /** Internal: notes live in the event log only and are never shown to the resident. */
  async function addNote(staff: CaseActor, id: string, rawText: string): Promise<CaseDetail> {
    const text = requireText(rawText, "text");
    const row = await loadVisible(staff, id);
    const event = await db.caseEvent.create({
      data: { caseId: id, type: "noted", actor: staff.id, data: JSON.stringify({ text }), createdAt: now() },
    });
    publish(event.id, id, "noted", row.queue);
    return detail(id);
  }

  /** Back to `new` in the other queue, unclaimed, with a fresh claim deadline. */
  async function transfer(staff: CaseActor, id: string, queue: string, rawReason: string): Promise<CaseDetail> {
    const reason = requireText(rawReason, "reason");
    const row = await loadVisible(staff, id);
    if (!catalog.has(queue)) throw caseErrors.unknownQueue();
    refuse(mayTransfer(staff, row));
    if (queue === row.queue) throw caseErrors.sameQueue();
    const at = now();
    const seq = await db.$transaction(async (tx) => {
      const moved = await tx.case.updateMany({
        where: { id, queue: row.queue, status: row.status, claimedBy: row.claimedBy },
        data: { queue, status: "new", claimedBy: null, claimedAt: null },
      });
      if (moved.count !== 1) return null;
      const event = await tx.caseEvent.create({
        data: {
          caseId: id,
          type: "transferred",
          actor: staff.id,
          data: JSON.stringify({ from: row.queue, to: queue, reason }),
          createdAt: at,
        },
      });
      return event.id;
    });
    if (seq === null) return explainConflict(id);
    publish(seq, id, "transferred", queue, row.queue);
    return detail(id);
  }

  /** 强制报告: a report of harm to a child made to the authorities, kept as its own row and a `referred` event. */
  async function recordMandatoryReport(staff: CaseActor, id: string, input: MandatoryReportInput): Promise<CaseDetail> {
    const reportedTo = requireText(input.reportedTo, "reportedTo");
    const referenceNumber =
      input.referenceNumber === undefined || input.referenceNumber.trim() === ""
        ? null
        : requireText(input.referenceNumber, "referenceNumber");
    const at = now();
    if (Number.isNaN(input.reportedAt.getTime()) || input.reportedAt.getTime() > at.getTime() + REPORTED_AT_SKEW_MS) {
      throw caseErrors.invalidText("reportedAt：报告时间不能晚于现在。");
    }
    const row = await loadVisible(staff, id);
    refuse(mayActOn(staff, row));
    const reportId = randomUUID();
    const seq = await db.$transaction(async (tx) => {
      const open = await tx.case.updateMany({
        where: { id, status: { not: "closed" } },
        data: { updatedAt: at },
      });
      if (open.count !== 1) return null;
      await tx.mandatoryReport.create({
        data: {
          id: reportId,
          caseId: id,
          reportedTo,
          reportedAt: input.reportedAt,
          referenceNumber,
          createdBy: staff.id,
          createdAt: at,
        },
      });
      const event = await tx.caseEvent.create({
        data: {
          caseId: id,
          type: "referred",
          actor: staff.id,
          data: JSON.stringify({
            mandatoryReportId: reportId,
            reportedTo,
            reportedAt: input.reportedAt.toISOString(),
            referenceNumber,
          }),
          createdAt: at,
        },
      });
      return event.id;
    });
    if (seq === null) return explainConflict(id);
    publish(seq, id, "referred", row.queue);
    return detail(id);
  }

  /** Closes with an outcome; "mandatory_report_filed" needs the 强制报告 recorded first. */
  async function close(
    staff: CaseActor,
    id: string,
    input: { outcome: CaseOutcome; note?: string | undefined },
  ): Promise<CaseDetail> {
    const note = input.note === undefined || input.note.trim() === "" ? null : requireText(input.note, "note");
    const row = await loadVisible(staff, id);
    refuse(mayActOn(staff, row));
    if (input.outcome === "mandatory_report_filed") {
      const reports = await db.mandatoryReport.count({ where: { caseId: id } });
      if (reports === 0) throw caseErrors.mandatoryReportMissing();
    }
    const at = now();
    const seq = await db.$transaction(async (tx) => {
      const closed = await tx.case.updateMany({
        where: { id, status: row.status, claimedBy: row.claimedBy, queue: row.queue },
        data: { status: "closed", closedAt: at, closedBy: staff.id, outcome: input.outcome },
      });
      if (closed.count !== 1) return null;
      const event = await tx.caseEvent.create({
        data: {
          caseId: id,
          type: "closed",
          actor: staff.id,
          data: JSON.stringify(note ? { outcome: input.outcome, note } : { outcome: input.outcome }),
          createdAt: at,
        },
      });
      return event.id;
    });
    if (seq === null) return explainConflict(id);
    publish(seq, id, "closed", row.queue);
    return detail(id);
  }

  // ── live feed ───────────────────────────────────────────────────────────

  async function framesOf(
    events: { id: number; caseId: string; type: string; actor: string | null; data: string; createdAt: Date }[],
    cases: CaseRow[],
  ): Promise<CaseEventFrame[]> {
    const summaries = await summarize(cases);
    const byId = new Map(summaries.map((s) => [s.id, s]));
    const names = await namesOf(events.map((e) => e.actor));
    const frames: CaseEventFrame[] = [];
    for (const e of events) {
      const summary = byId.get(e.caseId);
      if (!summary) continue;
      frames.push({ type: "case_event", seq: e.id, event: eventView(e, names), case: summary });
    }
    return frames;
  }

  async function resumeCursor(after: number): Promise<number> {
    if (after <= 0) return 0;
    const anchor = await db.caseEvent.findUnique({ where: { id: after }, select: { createdAt: true } });
    if (!anchor) return after;
    const first = await db.caseEvent.findFirst({
      where: {
        id: { gt: Math.max(0, after - RESUME_SCAN), lte: after },
        createdAt: { gte: new Date(anchor.createdAt.getTime() - RESUME_OVERLAP_MS) },
      },
      orderBy: { id: "asc" },
      select: { id: true },
    });
    return first ? first.id - 1 : after;
  }

  async function eventsAfter(
    staff: CaseActor,
    after: number,
    limit = EVENTS_PAGE_LIMIT,
  ): Promise<{ events: CaseEventFrame[]; more: boolean; next: number }> {
    const rows = await db.caseEvent.findMany({
      where: {
        id: { gt: after },
        type: { notIn: ["viewed", "anonymised"] },
        ...(isSupervisor(staff) ? {} : { OR: [{ case: { queue: { in: staff.queues } } }, { type: "transferred" }] }),
      },
      orderBy: { id: "asc" },
      take: limit,
      include: { case: true },
    });
    const see = canSee(staff);
    const visible = rows.filter((r) =>
      eventVisible(see, { type: r.type, data: parseJsonObject(r.data) }, r.case.queue),
    );
    const cases = [...new Map(visible.map((r) => [r.caseId, r.case])).values()];
    return {
      events: await framesOf(visible, cases),
      more: rows.length === limit,
      next: rows.at(-1)?.id ?? after,
    };
  }

  async function frameFor(seq: number): Promise<{ frame: CaseEventFrame; queues: string[] } | null> {
    const row = await db.caseEvent.findUnique({ where: { id: seq }, include: { case: true } });
    if (!row || row.type === "viewed" || row.type === "anonymised") return null;
    const [frame] = await framesOf([row], [row.case]);
    if (!frame) return null;
    const queues = [row.case.queue];
    const from = parseJsonObject(row.data).from;
    if (row.type === "transferred" && typeof from === "string") queues.push(from);
    return { frame, queues };
  }

  return {
    listQueues,
    listCases,
    getCase,
    claim,
    reply,
    addNote,
    transfer,
    recordMandatoryReport,
    close,
    eventsAfter,
    resumeCursor,
    frameFor,
  };
}
