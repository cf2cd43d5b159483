/**
 * Q&A evaluation metric, pure so scripts/eval-qa.ts and the main eval share it.
 *
 * A plan/service item is a hit when any `expect_any` phrase appears in the
 * reply or in any citation's text; an out_of_scope item is a hit when the
 * reply is kind "unknown".
 */
import { z } from "zod";

export const QA_TYPES = ["plan_target", "plan_measure", "service", "out_of_scope"] as const;
export type QaType = (typeof QA_TYPES)[number];

export const qaItemSchema = z.object({
  id: z.string(),
  type: z.enum(QA_TYPES),
  text: z.string().min(1),
  expect_any: z.array(z.string()),
  plan: z.string().nullable().optional(),
  domain: z.string().nullable().optional(),
  area: z.string().nullable().optional(),
  note: z.string().optional(),
});
export type QaItem = z.infer<typeof qaItemSchema>;

/** The parts of an answer the metric looks at. */
export interface QaAnswerView {
  kind: string;
  reply: string;
  citations: ReadonlyArray<{ text: string }>;
}

/** Parses a JSONL file's content; blank lines are skipped, a bad line throws with its number. */
export function parseQaJsonl(content: string): QaItem[] {
  const out: QaItem[] = [];
  const lines = content.split(/\r?\n/u);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const parsed = qaItemSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`line ${i + 1}: ${z.prettifyError(parsed.error)}`);
    out.push(parsed.data);
  }
  return out;
}

/** Width-folded comparison so ％/% and full-width digits do not decide a hit. */
function contains(haystack: string, needle: string): boolean {
  if (haystack.includes(needle)) return true;
  return haystack.normalize("NFKC").includes(needle.normalize("NFKC"));
}

/** The expected phrase found (or "unknown" for out_of_scope), or null for a miss. */
export function qaHit(item: QaItem, answer: QaAnswerView): string | null {
  if (item.type === "out_of_scope") return answer.kind === "unknown" ? "unknown" : null;
  for (const phrase of item.expect_any) {
    if (contains(answer.reply, phrase)) return phrase;
    for (const c of answer.citations) if (contains(c.text, phrase)) return phrase;
  }
  return null;
}

export interface QaTypeStats {
  total: number;
  hits: number;
  rate: number;
}

export interface QaReport {
  byType: Record<QaType, QaTypeStats>;
  /** plan_target + plan_measure together. */
  plan: QaTypeStats;
  overall: QaTypeStats;
  misses: Array<{ item: QaItem; answer: QaAnswerView }>;
}

function stats(hits: number, total: number): QaTypeStats {
  return { total, hits, rate: total === 0 ? 0 : hits / total };
}

/** Aggregates per-type hit rates over (item, answer) pairs. */
export function computeQaReport(results: ReadonlyArray<{ item: QaItem; answer: QaAnswerView }>): QaReport {
  const counts = Object.fromEntries(QA_TYPES.map((t) => [t, { hits: 0, total: 0 }])) as Record<
    QaType,
    { hits: number; total: number }
  >;
  const misses: QaReport["misses"] = [];
  for (const r of results) {
    const c = counts[r.item.type];
    c.total++;
    if (qaHit(r.item, r.answer) !== null) c.hits++;
    else misses.push(r);
  }
  const byType = Object.fromEntries(QA_TYPES.map((t) => [t, stats(counts[t].hits, counts[t].total)])) as Record<
    QaType,
    QaTypeStats
  >;
  const planHits = counts.plan_target.hits + counts.plan_measure.hits;
  const planTotal = counts.plan_target.total + counts.plan_measure.total;
  const allHits = QA_TYPES.reduce((s, t) => s + counts[t].hits, 0);
  const allTotal = QA_TYPES.reduce((s, t) => s + counts[t].total, 0);
  return { byType, plan: stats(planHits, planTotal), overall: stats(allHits, allTotal), misses };
}

/** Human-readable summary lines. */
export function formatQaReport(report: QaReport): string {
  const pct = (s: QaTypeStats) => `${(s.rate * 100).toFixed(1)}% (${s.hits}/${s.total})`;
  const lines = QA_TYPES.map((t) => `${t.padEnd(14)} ${pct(report.byType[t])}`);
  lines.push(`${"plan (all)".padEnd(14)} ${pct(report.plan)}`);
  lines.push(`${"overall".padEnd(14)} ${pct(report.overall)}`);
  return lines.join("\n");
}
