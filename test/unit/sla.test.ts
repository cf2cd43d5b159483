import { describe, expect, it } from "vitest";
import {
  compareQueueOrder,
  eventVisible,
  mayActOn,
  mayReply,
  mayTransfer,
  raiseSeverity,
  residentReplyStyle,
  routeResidentMessage,
} from "../../src/cases/case-fns.ts";
import { dueBreach, isOverdue, possiblyDue, SLA_MS, slaDeadline, waitingSince } from "../../src/cases/sla-fns.ts";
import type { Severity } from "../../src/chat/chat-types.ts";

const T0 = new Date("2026-12-01T02:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe("claim deadlines: immediate 3 min, urgent 15 min, concern 24 h after entering the queue", () => {
  it.each([
    ["immediate", 3 * MIN],
    ["urgent", 15 * MIN],
    ["concern", 24 * HOUR],
  ] as const)("%s → +%i ms", (severity, ms) => {
    expect(SLA_MS[severity]).toBe(ms);
    expect(slaDeadline(severity, T0).toISOString()).toBe(at(ms).toISOString());
  });

  it.each([
    ["created only", [], T0],
    ["reopened later restarts the clock", [at(2 * HOUR)], at(2 * HOUR)],
    ["the latest of reopen and transfer counts", [at(HOUR), at(3 * HOUR), at(2 * HOUR)], at(3 * HOUR)],
    ["an event dated before creation does not move it back", [at(-HOUR)], T0],
  ] as const)("waiting since: %s", (_name, events, expected) => {
    expect(
      waitingSince(
        T0,
        events.map((e) => ({ at: e })),
      ).toISOString(),
    ).toBe(expected.toISOString());
  });
});

describe("the SLA pass reads only cases old enough to be due", () => {
  const cutoff = (severity: Severity) =>
    possiblyDue(T0)
      .find((d) => d.severity === severity)
      ?.createdAtMost.getTime() ?? Number.NaN;
  it.each([
    ["immediate", 3 * MIN],
    ["urgent", 15 * MIN],
    ["concern", 24 * HOUR],
  ] as const)("%s: created at most %i ms ago is not read", (severity, ms) => {
    expect(cutoff(severity)).toBe(T0.getTime() - ms);
  });

  it.each([
    ["immediate", 3 * MIN],
    ["urgent", 15 * MIN],
    ["concern", 24 * HOUR],
  ] as const)("%s: a case created just after the cutoff is never due yet, whatever its events", (severity, ms) => {
    const createdAt = new Date(T0.getTime() - ms + 1);
    const since = waitingSince(createdAt, [{ at: at(-ms - HOUR) }]);
    expect(dueBreach({ status: "new", severity, waitingSince: since, alerted: [] }, T0)).toBeNull();
  });
});

describe("overdue: unclaimed at or after the deadline; claimed and closed cases never are", () => {
  const deadline = at(15 * MIN);
  it.each([
    ["new", at(14 * MIN), false],
    ["new", at(15 * MIN), true],
    ["new", at(16 * MIN), true],
    ["claimed", at(16 * MIN), false],
    ["closed", at(16 * MIN), false],
  ] as const)("%s at %s → %s", (status, now, expected) => {
    expect(isOverdue(status, deadline, now)).toBe(expected);
  });
});

describe("an SLA breach fires once per deadline", () => {
  const base = { status: "new" as const, severity: "urgent" as Severity, waitingSince: T0, alerted: [] as string[] };
  it.each([
    ["before the deadline: nothing", base, at(14 * MIN), null],
    ["past it, not yet alerted: the deadline", base, at(16 * MIN), at(15 * MIN)],
    ["past it, already alerted: nothing", { ...base, alerted: [at(15 * MIN).toISOString()] }, at(30 * MIN), null],
    ["claimed meanwhile: nothing", { ...base, status: "claimed" as const }, at(16 * MIN), null],
    [
      "severity rose to immediate after an urgent alert: the new, earlier deadline alerts",
      { ...base, severity: "immediate" as Severity, alerted: [at(15 * MIN).toISOString()] },
      at(16 * MIN),
      at(3 * MIN),
    ],
    [
      "reopened (new clock): the new deadline alerts",
      { ...base, waitingSince: at(HOUR), alerted: [at(15 * MIN).toISOString()] },
      at(HOUR + 16 * MIN),
      at(HOUR + 15 * MIN),
    ],
  ] as const)("%s", (_name, candidate, now, expected) => {
    const due = dueBreach(candidate, now);
    expect(due ? due.toISOString() : null).toBe(expected ? expected.toISOString() : null);
  });
});

describe("queue order: immediate, urgent, concern, then longest waiting first", () => {
  it("sorts a mixed queue", () => {
    const cases = [
      { id: "c-concern-old", severity: "concern" as Severity, waitingSince: at(-5 * HOUR) },
      { id: "u-new", severity: "urgent" as Severity, waitingSince: at(10 * MIN) },
      { id: "i-new", severity: "immediate" as Severity, waitingSince: at(5 * MIN) },
      { id: "u-old", severity: "urgent" as Severity, waitingSince: at(0) },
      { id: "i-old", severity: "immediate" as Severity, waitingSince: at(1 * MIN) },
    ];
    expect([...cases].sort(compareQueueOrder).map((c) => c.id)).toEqual([
      "i-old",
      "i-new",
      "u-old",
      "u-new",
      "c-concern-old",
    ]);
  });

  it.each([
    ["urgent", "immediate", "immediate"],
    ["immediate", "concern", "immediate"],
    ["concern", null, "concern"],
    ["urgent", "urgent", "urgent"],
  ] as const)("severity only rises: %s + %s → %s", (current, incoming, expected) => {
    expect(raiseSeverity(current, incoming)).toBe(expected);
  });
});

describe("who may act on a case", () => {
  const staff = { id: "s1", role: "staff" as const };
  const other = { id: "s2", role: "staff" as const };
  const sup = { id: "sup", role: "supervisor" as const };
  const claimed = { status: "claimed", claimedBy: "s1" };
  const fresh = { status: "new", claimedBy: null };
  const closed = { status: "closed", claimedBy: "s1" };
  it.each([
    ["reply: the claimer", mayReply(staff, claimed), "ok"],
    ["reply: another staff member", mayReply(other, claimed), "claimed_by_other"],
    ["reply: a supervisor on a claimed case", mayReply(sup, claimed), "ok"],
    ["reply: nobody before a claim, not even a supervisor", mayReply(sup, fresh), "not_claimed"],
    ["reply: nobody after close", mayReply(staff, closed), "closed"],
    ["close: the claimer", mayActOn(staff, claimed), "ok"],
    ["close: staff on an unclaimed case must claim first", mayActOn(staff, fresh), "not_claimed"],
    ["close: a supervisor may close an unclaimed duplicate", mayActOn(sup, fresh), "ok"],
    ["close: another staff member", mayActOn(other, claimed), "claimed_by_other"],
    ["transfer: anyone who sees an unclaimed case", mayTransfer(other, fresh), "ok"],
    ["transfer: not someone else's claimed case", mayTransfer(other, claimed), "claimed_by_other"],
    ["transfer: a supervisor always", mayTransfer(sup, claimed), "ok"],
    ["transfer: not a closed case", mayTransfer(sup, closed), "closed"],
  ] as const)("%s", (_name, decision, expected) => {
    expect(decision).toBe(expected);
  });
});

describe("which events a staff member sees", () => {
  const mine = (q: string) => q === "fulian-dv";
  it.each([
    ["an event of a case in my queue", { type: "claimed", data: {} }, "fulian-dv", true],
    ["an event of another queue's case", { type: "claimed", data: {} }, "minor-protection", false],
    [
      "the transfer of a case out of my queue",
      { type: "transferred", data: { from: "fulian-dv" } },
      "minor-protection",
      true,
    ],
    ["a transfer between two other queues", { type: "transferred", data: { from: "x-q" } }, "minor-protection", false],
    ["viewed (the access audit) is never pushed", { type: "viewed", data: {} }, "fulian-dv", false],
    ["anonymised (retention) is never pushed", { type: "anonymised", data: {} }, "fulian-dv", false],
  ] as const)("%s → %s", (_name, event, queue, expected) => {
    expect(eventVisible(mine, event, queue)).toBe(expected);
  });
});

describe("where a resident message goes", () => {
  const DAY = 24 * HOUR;
  const dv = "domestic_violence" as const;
  const open = { status: "claimed" as const, category: dv, closedAt: null };
  const closedRecently = { status: "closed" as const, category: dv, closedAt: at(-2 * DAY) };
  const closedLongAgo = { status: "closed" as const, category: dv, closedAt: at(-8 * DAY) };
  const quiet = { urgent: false, category: null, followUp: false };
  const followUp = { urgent: false, category: dv, followUp: true };
  const urgentDv = { urgent: true, category: dv, followUp: false };
  const urgentSelfHarm = { urgent: true, category: "self_harm" as const, followUp: false };
  it.each([
    ["no case, nothing urgent → no case", null, quiet, "none"],
    ["no case, urgent → a new case", null, urgentDv, "new_case"],
    ["an open case, even a quiet message → attaches", open, quiet, "attach"],
    ["an open case, another kind of harm → still attaches (staff see everything)", open, urgentSelfHarm, "attach"],
    ["closed 2 days ago, a follow-up → reopens", closedRecently, followUp, "reopen"],
    ["closed 2 days ago, urgent of the same kind → reopens", closedRecently, urgentDv, "reopen"],
    [
      "closed 2 days ago, urgent of another kind → a new case in its own queue",
      closedRecently,
      urgentSelfHarm,
      "new_case",
    ],
    ["closed 2 days ago, a quiet message → no case", closedRecently, quiet, "none"],
    ["closed 8 days ago, urgent → a new case", closedLongAgo, urgentDv, "new_case"],
    ["closed 8 days ago, a follow-up without harm → no case", closedLongAgo, followUp, "none"],
  ] as const)("%s", (_name, latest, verdict, expected) => {
    expect(routeResidentMessage(latest, verdict, T0)).toBe(expected);
  });

  it.each([
    ["claimed, not in danger now → acknowledgement only", "attach", "claimed", "urgent", true, "ack_claimed"],
    ["claimed, danger now → the full safety reply", "attach", "claimed", "immediate", true, "safety"],
    ["unclaimed, a follow-up → the safety reply", "attach", "new", "urgent", true, "safety"],
    ["unclaimed, a quiet message → acknowledgement", "attach", "new", null, false, "ack_open"],
    ["reopened → the safety reply", "reopen", "new", "urgent", true, "safety"],
    ["new case → the safety reply", "new_case", "new", "concern", true, "safety"],
  ] as const)("%s", (_name, routing, status, severity, urgentOrFollowUp, expected) => {
    expect(residentReplyStyle({ routing, status, verdictSeverity: severity, urgentOrFollowUp })).toBe(expected);
  });
});
