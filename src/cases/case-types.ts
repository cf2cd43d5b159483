/** Cases as staff see them (DESIGN §6): what the service returns and the routes send. */
import type { CaseCategory, Channel, Severity } from "../chat/chat-types.ts";

export type CaseStatus = "new" | "claimed" | "closed";
export const CASE_STATUSES = ["new", "claimed", "closed"] as const;

export const CASE_OUTCOMES = [
  "referred_police",
  "mandatory_report_filed",
  "referred_service",
  "advice_given",
  "no_contact",
  "duplicate",
  "not_urgent",
] as const;
export type CaseOutcome = (typeof CASE_OUTCOMES)[number];

/**
 * Every CaseEvent.type. `viewed` is the access audit and `anonymised` the
 * retention job's mark: both are kept in the log but never pushed live.
 */
export const CASE_EVENT_TYPES = [
  "created",
  "resident_message",
  "reopened",
  "viewed",
  "claimed",
  "replied",
  "noted",
  "transferred",
  "referred",
  "closed",
  "sla_breached",
  "anonymised",
] as const;
export type CaseEventType = (typeof CASE_EVENT_TYPES)[number];

export interface StaffRef {
  id: string;
  displayName: string;
}

export interface CaseSummary {
  id: string;
  category: CaseCategory;
  severity: Severity;
  queue: string;
  queueName: string;
  status: CaseStatus;
  channel: Channel;
  area: string | null;
  createdAt: string;
  claimedAt: string | null;
  claimedBy: StaffRef | null;
  /** When the case must be claimed by (SLA), ISO. */
  deadline: string;
  /** Unclaimed and past its deadline. */
  overdue: boolean;
  signals: string[];
  /** Sequence number of the case's latest event other than `viewed`. */
  lastEventSeq: number;
}

export interface MandatoryReportView {
  id: string;
  reportedTo: string;
  reportedAt: string;
  referenceNumber: string | null;
  createdBy: StaffRef | null;
  createdAt: string;
}

export interface CaseDetailCase extends CaseSummary {
  outcome: CaseOutcome | null;
  closedAt: string | null;
  firstStaffReplyAt: string | null;
  mandatoryReports: MandatoryReportView[];
}

export interface TranscriptEntry {
  id: string;
  role: "resident" | "bot" | "staff";
  text: string;
  at: string;
  /** Display name of the staff member who wrote a staff message; null otherwise. */
  author: string | null;
}

export interface CaseEventView {
  seq: number;
  caseId: string;
  type: CaseEventType;
  actor: StaffRef | null;
  data: Record<string, unknown>;
  at: string;
}

export interface CaseDetail {
  case: CaseDetailCase;
  transcript: TranscriptEntry[];
  events: CaseEventView[];
}

/** What /ws/staff pushes and /api/staff/events returns, one per event. */
export interface CaseEventFrame {
  type: "case_event";
  seq: number;
  event: CaseEventView;
  case: CaseSummary;
}

export interface QueueView {
  id: string;
  name: string;
  openNow: boolean;
  /** Start of the next staffed period when closed now; null when open (or never staffed). */
  nextOpenAt: string | null;
}

export type { CaseCategory, Channel, Severity };
