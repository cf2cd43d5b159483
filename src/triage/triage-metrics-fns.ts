/**
 * Triage evaluation metrics. Pure: the eval script (scripts/eval-triage.ts) and
 * the main `npm run eval` both feed it labelled items and verdicts.
 *
 * - urgent recall: urgent items flagged urgent / urgent items
 * - false-alarm rate: non-urgent items flagged urgent / non-urgent items
 * - category accuracy: on urgent items that were flagged, the category is right
 * - immediate-danger recall: immediate items flagged with severity "immediate"
 */
import { z } from "zod";
import { TRIAGE_CATEGORIES, type TriageCategory, type TriageSeverity } from "./triage-types.ts";

export const triageEvalItemSchema = z.object({
  id: z.string().min(1),
  text: z.string(),
  urgent: z.boolean(),
  category: z.union([z.enum(TRIAGE_CATEGORIES), z.literal("none")]),
  immediate_danger: z.boolean(),
  note: z.string().optional(),
});
export type TriageEvalItem = z.infer<typeof triageEvalItemSchema>;

/** Parses JSON lines; a bad line throws with its line number. */
export function parseTriageEvalJsonl(text: string): TriageEvalItem[] {
  const items: TriageEvalItem[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new Error(`line ${i + 1}: not JSON: ${(err as Error).message}`);
    }
    const parsed = triageEvalItemSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`line ${i + 1}: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
    }
    items.push(parsed.data);
  });
  return items;
}

export interface TriageVerdictLike {
  urgent: boolean;
  category: TriageCategory | null;
  severity: TriageSeverity | null;
  signals?: string[];
}

export type TriageMissKind = "missed_urgent" | "false_alarm" | "wrong_category" | "missed_immediate";

export interface TriageMiss {
  id: string;
  kind: TriageMissKind;
  text: string;
  expected: { urgent: boolean; category: string; immediate: boolean };
  got: { urgent: boolean; category: TriageCategory | null; severity: TriageSeverity | null };
  signals: string[];
  note?: string | undefined;
}

export interface TriageMetrics {
  total: number;
  urgentTotal: number;
  nonUrgentTotal: number;
  immediateTotal: number;
  urgentRecall: number;
  falseAlarmRate: number;
  /** Over urgent items that were flagged urgent. */
  categoryAccuracy: number;
  immediateRecall: number;
  counts: {
    urgentHit: number;
    falseAlarms: number;
    categoryRight: number;
    flaggedUrgent: number;
    immediateHit: number;
  };
  misses: TriageMiss[];
}

const ratio = (n: number, d: number): number => (d === 0 ? 1 : n / d);

export function computeTriageMetrics(
  rows: readonly { item: TriageEvalItem; verdict: TriageVerdictLike }[],
): TriageMetrics {
  let urgentTotal = 0;
  let nonUrgentTotal = 0;
  let immediateTotal = 0;
  let urgentHit = 0;
  let falseAlarms = 0;
  let flaggedUrgent = 0;
  let categoryRight = 0;
  let immediateHit = 0;
  const misses: TriageMiss[] = [];
  for (const { item, verdict } of rows) {
    const miss = (kind: TriageMissKind) =>
      misses.push({
        id: item.id,
        kind,
        text: item.text,
        expected: { urgent: item.urgent, category: item.category, immediate: item.immediate_danger },
        got: { urgent: verdict.urgent, category: verdict.category, severity: verdict.severity },
        signals: verdict.signals ?? [],
        note: item.note,
      });
    if (item.urgent) {
      urgentTotal++;
      if (verdict.urgent) {
        urgentHit++;
        flaggedUrgent++;
        if (verdict.category === item.category) categoryRight++;
        else miss("wrong_category");
      } else miss("missed_urgent");
      if (item.immediate_danger) {
        immediateTotal++;
        if (verdict.urgent && verdict.severity === "immediate") immediateHit++;
        else if (verdict.urgent) miss("missed_immediate");
      }
    } else {
      nonUrgentTotal++;
      if (verdict.urgent) {
        falseAlarms++;
        miss("false_alarm");
      }
    }
  }
  return {
    total: rows.length,
    urgentTotal,
    nonUrgentTotal,
    immediateTotal,
    urgentRecall: ratio(urgentHit, urgentTotal),
    falseAlarmRate: nonUrgentTotal === 0 ? 0 : falseAlarms / nonUrgentTotal,
    categoryAccuracy: ratio(categoryRight, flaggedUrgent),
    immediateRecall: ratio(immediateHit, immediateTotal),
    counts: { urgentHit, falseAlarms, categoryRight, flaggedUrgent, immediateHit },
    misses,
  };
}

/** A short plain-text report of the metrics. */
export function formatTriageMetrics(m: TriageMetrics): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `items: ${m.total} (urgent ${m.urgentTotal}, non-urgent ${m.nonUrgentTotal}, immediate ${m.immediateTotal})`,
    `urgent recall:          ${pct(m.urgentRecall)} (${m.counts.urgentHit}/${m.urgentTotal})`,
    `false-alarm rate:       ${pct(m.falseAlarmRate)} (${m.counts.falseAlarms}/${m.nonUrgentTotal})`,
    `category accuracy:      ${pct(m.categoryAccuracy)} (${m.counts.categoryRight}/${m.counts.flaggedUrgent})`,
    `immediate-danger recall: ${pct(m.immediateRecall)} (${m.counts.immediateHit}/${m.immediateTotal})`,
  ].join("\n");
}
