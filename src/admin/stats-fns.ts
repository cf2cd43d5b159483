/**
 * Figures for the plans' 监测评估 chapter, pure: counts by month, plan domain,
 * 街道/镇, escalation category/severity/area, time to claim and to close, the
 * unanswered rate. Inputs carry no message text; outputs are counts only.
 */

/** Jiyuan's local time (UTC+8, no daylight saving): months are counted in it. */
const LOCAL_OFFSET_MS = 8 * 3_600_000;

export const NO_AREA = "未填写街道/镇";
export const NO_CITATION = "未引用规划";
export const GENERAL_CHAPTER = "总则";
const PLAN_LABELS: Record<string, string> = { women: "妇女规划", children: "儿童规划" };

/** `YYYY-MM` of an instant in Jiyuan's time. */
export function monthOf(at: Date): string {
  return new Date(at.getTime() + LOCAL_OFFSET_MS).toISOString().slice(0, 7);
}

/** Every month from `from`'s to `to`'s, inclusive, in order. */
export function monthsBetween(from: Date, to: Date): string[] {
  const out: string[] = [];
  const [fy, fm] = monthOf(from).split("-").map(Number) as [number, number];
  const last = monthOf(to);
  let y = fy;
  let m = fm;
  for (let guard = 0; guard < 600; guard++) {
    const key = `${y}-${String(m).padStart(2, "0")}`;
    out.push(key);
    if (key >= last) break;
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

/** Linear-interpolation quantile (R-7, like numpy's default); null for no values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export interface Durations {
  count: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
}

/** Median and p90, in minutes rounded to 0.1, of the gaps between pairs (pairs without an end are left out). */
export function durations(pairs: readonly { start: Date; end: Date | null }[]): Durations {
  const minutes = pairs
    .filter((p): p is { start: Date; end: Date } => p.end !== null)
    .map((p) => (p.end.getTime() - p.start.getTime()) / 60_000);
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    count: minutes.length,
    medianMinutes: round(quantile(minutes, 0.5)),
    p90Minutes: round(quantile(minutes, 0.9)),
  };
}

export interface Series {
  name: string;
  /** One count per month of `months`. */
  counts: number[];
  total: number;
}

/** Counts per (name, month), as series over `months`, largest total first. */
export function monthlySeries(items: readonly { at: Date; name: string }[], months: readonly string[]): Series[] {
  const index = new Map(months.map((m, i) => [m, i]));
  const byName = new Map<string, number[]>();
  for (const item of items) {
    const i = index.get(monthOf(item.at));
    if (i === undefined) continue;
    let counts = byName.get(item.name);
    if (!counts) {
      counts = months.map(() => 0);
      byName.set(item.name, counts);
    }
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return [...byName.entries()]
    .map(([name, counts]) => ({ name, counts, total: counts.reduce((s, c) => s + c, 0) }))
    .sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : 1));
}

export interface Count {
  key: string;
  count: number;
}

/** Occurrences of each key, largest first. */
export function countBy(keys: readonly string[]): Count[] {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts.entries()]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
}

/** The plan domain a reply is about: its first citation's plan and domain. */
export function domainOfPayload(payload: string | null): string {
  if (!payload) return NO_CITATION;
  try {
    const body = JSON.parse(payload) as { citations?: Array<{ plan?: string; domain?: string | null }> };
    const first = Array.isArray(body.citations) ? body.citations[0] : undefined;
    if (!first) return NO_CITATION;
    const plan = PLAN_LABELS[first.plan ?? ""] ?? "规划";
    return `${plan}·${first.domain ?? GENERAL_CHAPTER}`;
  } catch {
    return NO_CITATION;
  }
}

export interface StatsInput {
  from: Date;
  to: Date;
  /** Bot replies to residents' questions (urgent replies excluded), with the conversation's area. */
  replies: readonly { createdAt: Date; kind: string | null; payload: string | null; area: string | null }[];
  unanswered: readonly { createdAt: Date; reason: string }[];
  cases: readonly {
    createdAt: Date;
    category: string;
    severity: string;
    area: string | null;
    claimedAt: Date | null;
    closedAt: Date | null;
  }[];
  feedback: readonly { helpful: boolean }[];
}

export interface Stats {
  from: string;
  to: string;
  months: string[];
  totals: {
    questions: number;
    unanswered: number;
    /** unanswered / questions, 0–1 rounded to 0.001; null without questions. */
    unansweredRate: number | null;
    escalations: number;
    helpful: number;
    unhelpful: number;
  };
  questionsByDomain: Series[];
  questionsByArea: Series[];
  unansweredByMonth: { month: string; questions: number; unanswered: number; rate: number | null }[];
  escalations: { byCategory: Count[]; bySeverity: Count[]; byArea: Count[]; byMonth: Series[] };
  timeToClaim: Durations;
  timeToClose: Durations;
}

const rate = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 1000) / 1000);

export function computeStats(input: StatsInput): Stats {
  // `to` is exclusive.
  const months = monthsBetween(input.from, new Date(input.to.getTime() - 1));
  const questionsPerMonth =
    monthlySeries(
      input.replies.map((r) => ({ at: r.createdAt, name: "q" })),
      months,
    )[0]?.counts ?? months.map(() => 0);
  const unansweredPerMonth =
    monthlySeries(
      input.unanswered.map((u) => ({ at: u.createdAt, name: "u" })),
      months,
    )[0]?.counts ?? months.map(() => 0);
  return {
    from: input.from.toISOString(),
    to: input.to.toISOString(),
    months,
    totals: {
      questions: input.replies.length,
      unanswered: input.unanswered.length,
      unansweredRate: rate(input.unanswered.length, input.replies.length),
      escalations: input.cases.length,
      helpful: input.feedback.filter((f) => f.helpful).length,
      unhelpful: input.feedback.filter((f) => !f.helpful).length,
    },
    questionsByDomain: monthlySeries(
      input.replies.map((r) => ({ at: r.createdAt, name: domainOfPayload(r.payload) })),
      months,
    ),
    questionsByArea: monthlySeries(
      input.replies.map((r) => ({ at: r.createdAt, name: r.area ?? NO_AREA })),
      months,
    ),
    unansweredByMonth: months.map((month, i) => {
      const q = questionsPerMonth[i] ?? 0;
      const u = unansweredPerMonth[i] ?? 0;
      return { month, questions: q, unanswered: u, rate: rate(u, q) };
    }),
    escalations: {
      byCategory: countBy(input.cases.map((c) => c.category)),
      bySeverity: countBy(input.cases.map((c) => c.severity)),
      byArea: countBy(input.cases.map((c) => c.area ?? NO_AREA)),
      byMonth: monthlySeries(
        input.cases.map((c) => ({ at: c.createdAt, name: c.category })),
        months,
      ),
    },
    timeToClaim: durations(input.cases.map((c) => ({ start: c.createdAt, end: c.claimedAt }))),
    timeToClose: durations(input.cases.map((c) => ({ start: c.createdAt, end: c.closedAt }))),
  };
}

function csvCell(value: string | number | null): string {
  const s = value === null ? "" : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The figures as long-format CSV: `section,key,month,value`. */
export function statsToCsv(stats: Stats): string {
  const rows: Array<[string, string, string, string | number | null]> = [];
  rows.push(["totals", "questions", "", stats.totals.questions]);
  rows.push(["totals", "unanswered", "", stats.totals.unanswered]);
  rows.push(["totals", "unanswered_rate", "", stats.totals.unansweredRate]);
  rows.push(["totals", "escalations", "", stats.totals.escalations]);
  rows.push(["totals", "helpful", "", stats.totals.helpful]);
  rows.push(["totals", "unhelpful", "", stats.totals.unhelpful]);
  for (const [section, series] of [
    ["questions_by_domain", stats.questionsByDomain],
    ["questions_by_area", stats.questionsByArea],
    ["escalations_by_month", stats.escalations.byMonth],
  ] as const) {
    for (const s of series) {
      s.counts.forEach((c, i) => {
        rows.push([section, s.name, stats.months[i] ?? "", c]);
      });
    }
  }
  for (const u of stats.unansweredByMonth) {
    rows.push(["unanswered_by_month", "questions", u.month, u.questions]);
    rows.push(["unanswered_by_month", "unanswered", u.month, u.unanswered]);
    rows.push(["unanswered_by_month", "rate", u.month, u.rate]);
  }
  for (const [section, counts] of [
    ["escalations_by_category", stats.escalations.byCategory],
    ["escalations_by_severity", stats.escalations.bySeverity],
    ["escalations_by_area", stats.escalations.byArea],
  ] as const) {
    for (const c of counts) rows.push([section, c.key, "", c.count]);
  }
  for (const [section, d] of [
    ["time_to_claim_minutes", stats.timeToClaim],
    ["time_to_close_minutes", stats.timeToClose],
  ] as const) {
    rows.push([section, "count", "", d.count]);
    rows.push([section, "median", "", d.medianMinutes]);
    rows.push([section, "p90", "", d.p90Minutes]);
  }
  const lines = [["section", "key", "month", "value"], ...rows].map((r) => r.map(csvCell).join(","));
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}
