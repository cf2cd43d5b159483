/**
 * Claim deadlines (DESIGN §6), pure. A case must be claimed within 3 minutes
 * (immediate), 15 minutes (urgent) or 24 hours (concern) of entering the queue:
 * its creation, or its latest reopen or transfer, which put it back in a queue.
 */
import type { Severity } from "../chat/chat-types.ts";
import type { CaseStatus } from "./case-types.ts";

export const SLA_MS: Record<Severity, number> = {
  immediate: 3 * 60_000,
  urgent: 15 * 60_000,
  concern: 24 * 60 * 60_000,
};

/** How often the monitor looks for breaches; the alert is at most this late. */
export const SLA_CHECK_INTERVAL_MS = 15_000;

/** Events that (re)start the claim clock. */
export const SLA_CLOCK_EVENTS = ["created", "reopened", "transferred"] as const;

export function slaDeadline(severity: Severity, waitingSince: Date): Date {
  return new Date(waitingSince.getTime() + SLA_MS[severity]);
}

/**
 * Which waiting cases can be past their deadline at `now`: per severity, those
 * created at least that severity's claim time ago. A case's clock starts at
 * its creation or later (waitingSince), so a younger case cannot be due — the
 * SLA pass need not read it (with thousands waiting, reading them all every
 * 15 s held the event loop for ~100 ms; found with `npm run load`).
 */
export function possiblyDue(now: Date): { severity: Severity; createdAtMost: Date }[] {
  return (Object.keys(SLA_MS) as Severity[]).map((severity) => ({
    severity,
    createdAtMost: new Date(now.getTime() - SLA_MS[severity]),
  }));
}

/**
 * When the case entered its queue: the latest clock event, never before creation
 * (events are written with the case, so this is normally exact).
 */
export function waitingSince(createdAt: Date, clockEvents: readonly { at: Date }[]): Date {
  let latest = createdAt.getTime();
  for (const e of clockEvents) latest = Math.max(latest, e.at.getTime());
  return new Date(latest);
}

/** Overdue: still unclaimed at or after the deadline. Claimed and closed cases are never overdue. */
export function isOverdue(status: CaseStatus, deadline: Date, now: Date): boolean {
  return status === "new" && now.getTime() >= deadline.getTime();
}

export interface BreachCandidate {
  status: CaseStatus;
  severity: Severity;
  waitingSince: Date;
  /** Deadlines (ISO) already alerted for since the case entered its queue. */
  alerted: readonly string[];
}

/**
 * The deadline to alert for now, or null. Fires once per deadline: a case that
 * stays unclaimed is not alerted again every tick, but a new deadline (the case
 * was reopened or transferred, or its severity rose) alerts again.
 */
export function dueBreach(c: BreachCandidate, now: Date): Date | null {
  const deadline = slaDeadline(c.severity, c.waitingSince);
  if (!isOverdue(c.status, deadline, now)) return null;
  return c.alerted.includes(deadline.toISOString()) ? null : deadline;
}
