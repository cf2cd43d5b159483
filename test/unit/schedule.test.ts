import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadQueueCatalog, parseQueueCatalog } from "../../src/cases/queue-catalog.ts";
import {
  formatOpening,
  isOpenAt,
  nextOpening,
  outOfHoursNotice,
  parseSchedules,
  type QueueSchedule,
  withOutOfHoursNotice,
} from "../../src/cases/schedule-fns.ts";

/** 北京时间 wall-clock → instant. 2026-11-30 is a Monday. */
const bj = (text: string) => new Date(`${text}+08:00`);

const WEEKDAYS_0830_1730 = `
timezone: Asia/Shanghai
default:
  mon: ["08:30-17:30"]
  tue: ["08:30-17:30"]
  wed: ["08:30-17:30"]
  thu: ["08:30-17:30"]
  fri: ["08:30-17:30"]
exceptions:
  "2026-12-02": []
queues:
  split:
    weekly:
      mon: ["08:30-12:00", "14:30-17:30"]
      sat: ["20:00-24:00"]
      sun: ["00:00-08:00"]
  night: { always: true }
`;

const schedules = parseSchedules(WEEKDAYS_0830_1730, ["dv", "split", "night"]);
const dv = schedules.dv as QueueSchedule;
const split = schedules.split as QueueSchedule;
const night = schedules.night as QueueSchedule;

describe("staffed hours (北京时间)", () => {
  it.each([
    ["Monday 08:29", dv, "2026-11-30T08:29:59", false],
    ["Monday 08:30", dv, "2026-11-30T08:30:00", true],
    ["Monday 17:29", dv, "2026-11-30T17:29:59", true],
    ["Monday 17:30 (end is exclusive)", dv, "2026-11-30T17:30:00", false],
    ["Monday 01:00 Beijing is still Sunday in UTC: closed", dv, "2026-11-30T01:00:00", false],
    ["Monday 09:00 Beijing is 01:00 UTC: open", dv, "2026-11-30T09:00:00", true],
    ["Saturday", dv, "2026-12-05T10:00:00", false],
    ["a holiday exception on a Wednesday", dv, "2026-12-02T10:00:00", false],
    ["the lunch break of a split day", split, "2026-11-30T13:00:00", false],
    ["the afternoon of a split day", split, "2026-11-30T15:00:00", true],
    ["a night shift up to 24:00", split, "2026-12-05T23:59:00", true],
    ["a night shift continuing after midnight", split, "2026-12-06T03:00:00", true],
    ["a 24-hour queue at 03:00 on Sunday", night, "2026-12-06T03:00:00", true],
  ] as const)("%s → %s", (_name, schedule, when, open) => {
    expect(isOpenAt(schedule, bj(when))).toBe(open);
  });

  it.each([
    ["Monday night → Tuesday 08:30", dv, "2026-11-30T19:00:00", "2026-12-01T08:30:00"],
    ["Tuesday night → Thursday (Wednesday is a holiday)", dv, "2026-12-01T18:00:00", "2026-12-03T08:30:00"],
    ["Friday night → Monday 08:30", dv, "2026-12-04T18:00:00", "2026-12-07T08:30:00"],
    ["Monday early morning → the same day 08:30", dv, "2026-11-30T06:00:00", "2026-11-30T08:30:00"],
    ["lunch break → 14:30 the same day", split, "2026-11-30T12:30:00", "2026-11-30T14:30:00"],
  ] as const)("next opening: %s", (_name, schedule, when, expected) => {
    expect(nextOpening(schedule, bj(when))?.toISOString()).toBe(bj(expected).toISOString());
  });

  it("a 24-hour queue never has a next opening", () => {
    expect(nextOpening(night, bj("2026-12-05T10:00:00"))).toBeNull();
  });

  it("a queue never staffed has none either", () => {
    const closed = parseSchedules("timezone: Asia/Shanghai\ndefault: {}\nexceptions: {}\nqueues: {}\n", ["q"])
      .q as QueueSchedule;
    expect(nextOpening(closed, bj("2026-12-05T10:00:00"))).toBeNull();
  });
});

describe("what the resident reads out of hours", () => {
  it.each([
    ["later today", "2026-11-30T12:30:00", "2026-11-30T14:30:00", "今天 14:30"],
    ["tomorrow", "2026-11-30T19:00:00", "2026-12-01T08:30:00", "明天 08:30"],
    ["tomorrow, just after midnight UTC", "2026-11-30T23:50:00", "2026-12-01T08:30:00", "明天 08:30"],
    ["the day after tomorrow", "2026-12-05T10:00:00", "2026-12-07T08:30:00", "后天 08:30"],
    ["further ahead: date and weekday", "2026-12-04T18:00:00", "2026-12-08T08:30:00", "12月8日（周二）08:30"],
  ] as const)("%s → %s", (_name, now, next, expected) => {
    expect(formatOpening(bj(next), bj(now))).toBe(expected);
  });

  it("names the next opening and the 24-hour numbers 110, 12356 and 12338", () => {
    const notice = outOfHoursNotice(bj("2026-12-01T08:30:00"), bj("2026-11-30T19:00:00"));
    expect(notice).toContain("现在是非工作时间，工作人员将于明天 08:30上班后在这里回复你");
    for (const n of ["110", "12356", "12338"]) expect(notice).toContain(n);
  });

  it("without a next opening, still says nobody is on duty and gives the numbers", () => {
    const notice = outOfHoursNotice(null, bj("2026-11-30T19:00:00"));
    expect(notice).toContain("现在是非工作时间");
    expect(notice).toContain("12356");
  });

  it.each([
    [
      "after the line about staff, never before the emergency line",
      "如果你现在有危险，请马上拨打110报警。\n热线：12338。\n你的求助已转给工作人员，工作人员会尽快在这里回复你。\n步骤",
      "如果你现在有危险，请马上拨打110报警。\n热线：12338。\n你的求助已转给工作人员，工作人员会尽快在这里回复你。\nNOTICE\n步骤",
    ],
    ["at the end when no line mentions staff", "热线：12338。\n步骤", "热线：12338。\n步骤\nNOTICE"],
  ])("the notice goes %s", (_name, reply, expected) => {
    expect(withOutOfHoursNotice(reply, "NOTICE")).toBe(expected);
  });
});

describe("schedules.yaml", () => {
  it.each([
    [
      "an unknown queue id (a typo)",
      "timezone: Asia/Shanghai\ndefault: {}\nexceptions: {}\nqueues:\n  fulian-dvv: default\n",
      /fulian-dvv/,
    ],
    [
      "a period ending before it starts",
      'timezone: Asia/Shanghai\ndefault:\n  mon: ["17:30-08:30"]\nexceptions: {}\n',
      /ends before/,
    ],
    ["a malformed period", 'timezone: Asia/Shanghai\ndefault:\n  mon: ["8:30-17:30"]\nexceptions: {}\n', /HH:MM/],
    ["another time zone", "timezone: Europe/Berlin\ndefault: {}\nexceptions: {}\n", /timezone/],
    [
      "an unknown weekday",
      'timezone: Asia/Shanghai\ndefault:\n  monday: ["08:30-17:30"]\nexceptions: {}\n',
      /monday|Unrecognized|unrecognized/,
    ],
  ])("%s fails with the file and field named", (_name, text, message) => {
    expect(() => parseSchedules(text, ["fulian-dv"])).toThrow(/schedules\.yaml/);
    expect(() => parseSchedules(text, ["fulian-dv"])).toThrow(message);
  });

  it("the shipped file covers every queue in queues.yaml with weekday office hours by default", () => {
    const catalog = loadQueueCatalog();
    expect(catalog.queues.map((q) => q.id).sort()).toEqual(
      ["crisis-intervention", "fulian-dv", "minor-protection", "sexual-violence", "trafficking-missing"].sort(),
    );
    expect(catalog.name("fulian-dv")).toBe("妇联家暴求助");
    for (const q of catalog.queues) {
      expect(catalog.isOpen(q.id, bj("2026-11-30T10:00:00"))).toBe(true);
      expect(catalog.isOpen(q.id, bj("2026-11-30T22:00:00"))).toBe(false);
    }
    // The placeholder warning stays in the file until an administrator sets the real rota.
    expect(readFileSync("knowledge/queues/schedules.yaml", "utf8")).toMatch(/administrator MUST replace/);
  });

  it("a queue view says whether it is staffed now and when it next opens", () => {
    const catalog = parseQueueCatalog(
      "queues:\n  domestic_violence: { id: fulian-dv, name: 妇联家暴求助 }\n",
      'timezone: Asia/Shanghai\ndefault:\n  mon: ["08:30-17:30"]\n  tue: ["08:30-17:30"]\nexceptions: {}\n',
    );
    expect(catalog.view("fulian-dv", bj("2026-11-30T10:00:00"))).toEqual({
      id: "fulian-dv",
      name: "妇联家暴求助",
      openNow: true,
      nextOpenAt: null,
    });
    expect(catalog.view("fulian-dv", bj("2026-11-30T20:00:00"))).toEqual({
      id: "fulian-dv",
      name: "妇联家暴求助",
      openNow: false,
      nextOpenAt: bj("2026-12-01T08:30:00").toISOString(),
    });
  });
});
