/**
 * Staffed hours of the queues (knowledge/queues/schedules.yaml), pure: parse
 * the file, say whether a queue is staffed at an instant, when it next opens,
 * and the line a resident reads out of hours.
 *
 * Times are 北京时间. China has kept UTC+8 all year since 1991 (no daylight
 * saving), so a fixed offset is exact and keeps these functions free of
 * time-zone data.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
/** How far ahead nextOpening looks; a queue closed longer than this is treated as never opening. */
const LOOKAHEAD_DAYS = 21;

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const WEEKDAY_ZH = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"] as const;

/** Minutes from local midnight; end is exclusive and may be 1440 (24:00). */
export interface Interval {
  start: number;
  end: number;
}

export interface QueueSchedule {
  /** Staffed around the clock: never out of hours. */
  always: boolean;
  /** Indexed by day of the week, 0 = Sunday. */
  weekly: Interval[][];
  /** Dates (YYYY-MM-DD, 北京时间) whose hours replace the weekday's: public holidays, 调休 working days. */
  exceptions: Record<string, Interval[]>;
}

// ── local time ──────────────────────────────────────────────────────────────

interface LocalParts {
  /** YYYY-MM-DD */
  date: string;
  weekday: number;
  minute: number;
  /** Days since the epoch, local. */
  day: number;
}

function local(at: Date): LocalParts {
  const shifted = at.getTime() + OFFSET_MS;
  const day = Math.floor(shifted / DAY_MS);
  const d = new Date(day * DAY_MS);
  return {
    date: d.toISOString().slice(0, 10),
    weekday: d.getUTCDay(),
    minute: Math.floor((shifted - day * DAY_MS) / 60_000),
    day,
  };
}

function instantOf(day: number, minute: number): Date {
  return new Date(day * DAY_MS + minute * 60_000 - OFFSET_MS);
}

function intervalsOn(schedule: QueueSchedule, day: number): Interval[] {
  const d = new Date(day * DAY_MS);
  const date = d.toISOString().slice(0, 10);
  return schedule.exceptions[date] ?? schedule.weekly[d.getUTCDay()] ?? [];
}

// ── questions ───────────────────────────────────────────────────────────────

export function isOpenAt(schedule: QueueSchedule, at: Date): boolean {
  if (schedule.always) return true;
  const p = local(at);
  return intervalsOn(schedule, p.day).some((i) => i.start <= p.minute && p.minute < i.end);
}

/**
 * The first start of a staffed period after `at`, or null when the queue is
 * always staffed or has no staffed period in the next three weeks. Meant for a
 * queue that is closed at `at` (then it is exactly when staff are back).
 */
export function nextOpening(schedule: QueueSchedule, at: Date): Date | null {
  if (schedule.always) return null;
  const p = local(at);
  for (let d = 0; d <= LOOKAHEAD_DAYS; d++) {
    const day = p.day + d;
    const starts = intervalsOn(schedule, day)
      .map((i) => i.start)
      .sort((a, b) => a - b);
    for (const start of starts) {
      const instant = instantOf(day, start);
      if (instant.getTime() > at.getTime()) return instant;
    }
  }
  return null;
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/** How a resident reads the next opening: 今天 13:30, 明天 08:30, 后天 08:30, or 12月7日（周一）08:30. */
export function formatOpening(next: Date, now: Date): string {
  const n = local(next);
  const days = n.day - local(now).day;
  const time = hhmm(n.minute);
  if (days <= 0) return `今天 ${time}`;
  if (days === 1) return `明天 ${time}`;
  if (days === 2) return `后天 ${time}`;
  const [, month, dayOfMonth] = n.date.split("-").map(Number);
  return `${month}月${dayOfMonth}日（${WEEKDAY_ZH[n.weekday]}）${time}`;
}

/** The 24-hour numbers a resident is given out of hours (DESIGN §6). */
export const ROUND_THE_CLOCK_LINE = "24小时求助电话：报警110，心理援助热线12356，妇女维权热线12338。";

/** What a resident reads when their report arrives while nobody is on duty. */
export function outOfHoursNotice(next: Date | null, now: Date): string {
  const when = next
    ? `现在是非工作时间，工作人员将于${formatOpening(next, now)}上班后在这里回复你。`
    : "现在是非工作时间，工作人员上班后会在这里回复你。";
  return `${when}\n${ROUND_THE_CLOCK_LINE}`;
}

/**
 * Puts the out-of-hours notice right after the reply's first line about staff
 * (where the resident reads that a person will answer), else at the end.
 * The first line — the emergency number — is never displaced.
 */
export function withOutOfHoursNotice(reply: string, notice: string): string {
  const lines = reply.split("\n");
  const at = lines.findIndex((line, i) => i > 0 && line.includes("工作人员"));
  if (at === -1) return `${reply}\n${notice}`;
  return [...lines.slice(0, at + 1), notice, ...lines.slice(at + 1)].join("\n");
}

// ── the file ────────────────────────────────────────────────────────────────

const INTERVAL = /^([01]\d|2[0-3]):([0-5]\d)-(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;

const intervalSchema = z.string().transform((text, ctx): Interval => {
  const m = INTERVAL.exec(text.trim());
  if (!m) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not HH:MM-HH:MM (24-hour, end may be 24:00)` });
    return z.NEVER;
  }
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = m[5] ? 1440 : Number(m[3]) * 60 + Number(m[4]);
  if (end <= start) {
    ctx.addIssue({ code: "custom", message: `"${text}" ends before it starts (split a night shift at 24:00)` });
    return z.NEVER;
  }
  return { start, end };
});

const daySchema = z.array(intervalSchema).default([]);
const weekSchema = z.strictObject(
  Object.fromEntries(WEEKDAYS.map((d) => [d, daySchema])) as Record<Weekday, typeof daySchema>,
);
const dateKey = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "dates are YYYY-MM-DD");
const exceptionsSchema = z.record(dateKey, z.array(intervalSchema)).default({});

const queueEntrySchema = z.union([
  z.literal("default"),
  z.strictObject({ always: z.literal(true) }),
  z.strictObject({ weekly: weekSchema, exceptions: exceptionsSchema }),
]);

const schedulesFileSchema = z.strictObject({
  timezone: z.literal("Asia/Shanghai"),
  default: weekSchema,
  exceptions: exceptionsSchema,
  queues: z.record(z.string(), queueEntrySchema).default({}),
});

function toWeekly(week: Record<Weekday, Interval[]>): Interval[][] {
  return WEEKDAYS.map((d) => week[d]);
}

/**
 * Parses schedules.yaml into one schedule per known queue. Queues the file does
 * not list get the default week; a queue id the file names but nobody knows is
 * an error (a typo would otherwise silently leave the real queue on defaults).
 */
export function parseSchedules(yamlText: string, queueIds: readonly string[], fileName = "schedules.yaml") {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (err) {
    throw new Error(`${fileName}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = schedulesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${fileName}: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`);
  }
  const file = parsed.data;
  for (const id of Object.keys(file.queues)) {
    if (!queueIds.includes(id))
      throw new Error(`${fileName}: queues.${id}: no such queue (known: ${queueIds.join(", ")})`);
  }
  const schedules: Record<string, QueueSchedule> = {};
  for (const id of queueIds) {
    const entry = file.queues[id] ?? "default";
    if (entry === "default") {
      schedules[id] = { always: false, weekly: toWeekly(file.default), exceptions: { ...file.exceptions } };
    } else if ("always" in entry) {
      schedules[id] = { always: true, weekly: WEEKDAYS.map(() => []), exceptions: {} };
    } else {
      schedules[id] = {
        always: false,
        weekly: toWeekly(entry.weekly),
        exceptions: { ...file.exceptions, ...entry.exceptions },
      };
    }
  }
  return schedules;
}
