/** Pure rules about cases: ordering, who may act, which events a staff member may see, follow-up routing. */
import type { CaseCategory, Severity } from "../chat/chat-types.ts";
import { checkResidentText, MAX_TEXT_CHARS } from "../chat/text-fns.ts";
import type { CaseEventType, CaseStatus } from "./case-types.ts";

export const SEVERITY_RANK: Record<Severity, number> = { concern: 1, urgent: 2, immediate: 3 };

/** The higher of two severities: a case's severity only ever rises. */
export function raiseSeverity(current: Severity, incoming: Severity | null | undefined): Severity {
  return incoming && SEVERITY_RANK[incoming] > SEVERITY_RANK[current] ? incoming : current;
}

export interface QueueOrderKey {
  id: string;
  severity: Severity;
  /** When the case started waiting (created, reopened or transferred). */
  waitingSince: Date;
}

/** Queue order: danger to life first (immediate, urgent, concern), then whoever has waited longest. */
export function compareQueueOrder(a: QueueOrderKey, b: QueueOrderKey): number {
  const bySeverity = SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];
  if (bySeverity !== 0) return bySeverity;
  const byWait = a.waitingSince.getTime() - b.waitingSince.getTime();
  if (byWait !== 0) return byWait;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Events pushed live and returned by the backfill: everything except the access audit and retention marks. */
export function isLiveEventType(type: string): boolean {
  return type !== "viewed" && type !== "anonymised";
}

type Actor = { id: string; role: "staff" | "supervisor" | "admin" };
// status as stored (a string column); anything but new or claimed is treated as closed.
type Held = { status: string; claimedBy: string | null };

/** Supervisors and admins may act on any case they can see. */
export function isSupervisor(staff: Pick<Actor, "role">): boolean {
  return staff.role === "supervisor" || staff.role === "admin";
}

export type ActDecision = "ok" | "closed" | "not_claimed" | "claimed_by_other";

/**
 * Reply, record a 强制报告, close: the claimer does it, or a supervisor/admin
 * (who may step in on a claimed case, or close an unclaimed duplicate).
 */
export function mayActOn(staff: Actor, c: Held): ActDecision {
  if (c.status !== "new" && c.status !== "claimed") return "closed";
  if (isSupervisor(staff)) return "ok";
  if (c.status === "new") return "not_claimed";
  return c.claimedBy === staff.id ? "ok" : "claimed_by_other";
}

/** Replying requires a claimed case, even for a supervisor: someone must own the conversation. */
export function mayReply(staff: Actor, c: Held): ActDecision {
  if (c.status !== "new" && c.status !== "claimed") return "closed";
  if (c.status === "new") return "not_claimed";
  return c.claimedBy === staff.id || isSupervisor(staff) ? "ok" : "claimed_by_other";
}

/** Anyone who sees an unclaimed case may send it to the right queue; once claimed, the claimer or a supervisor. */
export function mayTransfer(staff: Actor, c: Held): ActDecision {
  if (c.status !== "new" && c.status !== "claimed") return "closed";
  if (c.status === "new" || isSupervisor(staff)) return "ok";
  return c.claimedBy === staff.id ? "ok" : "claimed_by_other";
}

/**
 * Whether a staff member may see an event: events of cases in a queue they see,
 * plus the `transferred` event of a case that left one of their queues (so their
 * console can drop it).
 */
export function eventVisible(
  canSee: (queue: string) => boolean,
  event: { type: string; data: Record<string, unknown> },
  caseQueue: string,
): boolean {
  if (!isLiveEventType(event.type)) return false;
  if (canSee(caseQueue)) return true;
  return event.type === "transferred" && typeof event.data.from === "string" && canSee(event.data.from);
}

/** JSON text columns, read defensively: a bad row shows as empty rather than failing a staff page. */
export function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function parseStringArray(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

export type StaffTextCheck = { ok: true; text: string } | { ok: false; message: string };

/** Staff text follows the resident rules (1–2000 characters, no control characters), with staff wording. */
export function checkStaffText(raw: string): StaffTextCheck {
  const checked = checkResidentText(raw);
  if (checked.ok) return checked;
  switch (checked.reason) {
    case "empty":
      return { ok: false, message: "内容不能为空。" };
    case "too_long":
      return { ok: false, message: `内容不能超过${MAX_TEXT_CHARS}字。` };
    default:
      return { ok: false, message: "内容含有无法识别的字符。" };
  }
}

// ── follow-ups from the resident ────────────────────────────────────────────

/** A closed case is reopened by a follow-up within this long of closing; later, a new case opens. */
export const REOPEN_WINDOW_MS = 7 * 86_400_000;

export interface LatestCase {
  status: CaseStatus;
  category: CaseCategory;
  closedAt: Date | null;
}

export interface FollowUpVerdict {
  urgent: boolean;
  category: CaseCategory | null;
  followUp?: boolean | undefined;
}

export type CaseRouting = "attach" | "reopen" | "new_case" | "none";

/**
 * Where a resident message goes, given the conversation's latest case:
 * - an open case (new or claimed): always attach — staff must see every word;
 * - a case closed within 7 days: reopen on a follow-up, or on an urgent report
 *   of the same category (a different kind of harm is its own case, in its own queue);
 * - otherwise: a new case when triage says urgent, else no case.
 */
export function routeResidentMessage(latest: LatestCase | null, verdict: FollowUpVerdict, now: Date): CaseRouting {
  if (latest && latest.status !== "closed") return "attach";
  const reportable = verdict.urgent && verdict.category !== null;
  if (latest?.closedAt && now.getTime() - latest.closedAt.getTime() <= REOPEN_WINDOW_MS) {
    if (verdict.followUp === true) return "reopen";
    if (reportable && verdict.category === latest.category) return "reopen";
  }
  return reportable ? "new_case" : "none";
}

export type ResidentReplyStyle = "safety" | "ack_claimed" | "ack_open";

/**
 * What the bot says to a message that went to a case. While staff hold the case
 * the bot does not talk over them (a short acknowledgement) — unless the message
 * says someone is in danger now, which always gets the full safety reply.
 */
export function residentReplyStyle(args: {
  routing: Exclude<CaseRouting, "none">;
  status: CaseStatus;
  verdictSeverity: Severity | null;
  urgentOrFollowUp: boolean;
}): ResidentReplyStyle {
  if (args.verdictSeverity === "immediate") return "safety";
  if (args.routing !== "attach") return "safety";
  if (args.status === "claimed") return "ack_claimed";
  return args.urgentOrFollowUp ? "safety" : "ack_open";
}

export const ACK_CLAIMED = "已收到，工作人员正在处理你的求助；如有危险请拨打110。";
export const ACK_OPEN = "已收到，你的消息已转给工作人员，工作人员会尽快在这里回复你；如有危险请拨打110。";

export type { CaseEventType };
