/**
 * Stage 3 (the learned classifier) measured: 5-fold cross-validation on the training corpus
 * (knowledge/triage/training/*.jsonl) with a threshold sweep, then the labelled eval sets with
 * rules only (stages 1–2) and rules + model at the thresholds of classifier.yaml.
 *
 *   npx tsx scripts/eval-triage-cv.ts [--folds 5] [--max-added-fa 0.03]
 *
 * The thresholds are chosen on the cross-validation figures only (the eval sets measure, they do
 * not tune): the thresholds (plain / softened / bare) with the best cross-validated recall whose
 * false alarms exceed the rules' own by at most --max-added-fa of the negatives. The rules' false
 * alarms on the eval sets are about 0–1%, so this keeps the eval sets under the 5% target with room
 * for sentences unlike the corpus.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type TriageModel, trainTriageModel } from "../src/triage/classifier-fns.ts";
import { createTriage, modelInput } from "../src/triage/triage-fns.ts";
import { parseTrainingFiles, parseTriageLexicon, readTriageFiles } from "../src/triage/triage-lexicon.ts";
import {
  computeTriageMetrics,
  parseTriageEvalJsonl,
  type TriageEvalItem,
  type TriageMetrics,
  type TriageVerdictLike,
} from "../src/triage/triage-metrics-fns.ts";
import type { CompiledClassifier, TriageLexicon } from "../src/triage/triage-types.ts";

const { values } = parseArgs({
  options: {
    folds: { type: "string", default: "5" },
    "max-added-fa": { type: "string", default: "0.03" },
  },
});
const folds = Number(values.folds);
const maxAddedFa = Number(values["max-added-fa"]);
const NEVER = 2;

const files = readTriageFiles();
const t0 = performance.now();
const lex = parseTriageLexicon(files);
const loadMs = performance.now() - t0;
if (!lex.classifier) throw new Error("knowledge/triage/classifier.yaml is missing");
const configured = lex.classifier;
const corpus = parseTrainingFiles(files);
const normalise = (t: string) => modelInput(lex, t);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
const line = (label: string, m: TriageMetrics) =>
  `${label.padEnd(30)} recall ${pct(m.urgentRecall)}  false alarms ${pct(m.falseAlarmRate)}  ` +
  `category ${pct(m.categoryAccuracy)}  immediate ${pct(m.immediateRecall)}  (${m.counts.urgentHit}/${m.urgentTotal}, ` +
  `${m.counts.falseAlarms}/${m.nonUrgentTotal}, ${m.counts.immediateHit}/${m.immediateTotal})`;

interface Thresholds {
  threshold: number;
  softened: number;
  bare: number;
  immediate: number;
}

/** Verdicts of the engine with a model and thresholds (NEVER switches a bar off). */
function runWith(lexicon: TriageLexicon, model: TriageModel | null, t: Thresholds, items: readonly TriageEvalItem[]) {
  const classifier: CompiledClassifier | null = model && {
    ...configured,
    model,
    threshold: t.threshold,
    softenedThreshold: t.softened,
    bareThreshold: t.bare,
    immediateThreshold: t.immediate,
  };
  const triage = createTriage({ ...lexicon, classifier });
  return items.map((item) => ({ item, verdict: triage(item.text) as TriageVerdictLike }));
}

// ── cross-validation on the corpus ─────────────────────────────────────────
// Stratified by label: each fold gets every category in proportion. The order is a seeded shuffle.
const byLabel = new Map<string, TriageEvalItem[]>();
for (const item of corpus) {
  const label = item.urgent ? item.category : "none";
  byLabel.set(label, [...(byLabel.get(label) ?? []), item]);
}
let seed = 12345;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const foldOf = new Map<TriageEvalItem, number>();
for (const items of byLabel.values()) {
  const shuffled = items.map((item) => ({ item, r: random() })).sort((a, b) => a.r - b.r);
  shuffled.forEach(({ item }, i) => {
    foldOf.set(item, i % folds);
  });
}

const foldData = Array.from({ length: folds }, (_, f) => ({
  test: corpus.filter((item) => foldOf.get(item) === f),
  model: trainTriageModel(
    corpus.filter((item) => foldOf.get(item) !== f),
    normalise,
    configured.options,
  ),
}));
const cvAt = (t: Thresholds) => computeTriageMetrics(foldData.flatMap((d) => runWith(lex, d.model, t, d.test)));
const chosen: Thresholds = {
  threshold: configured.threshold,
  softened: configured.softenedThreshold,
  bare: configured.bareThreshold,
  immediate: configured.immediateThreshold,
};

const out: string[] = [];
out.push(`lexicon load incl. training on ${corpus.length} sentences: ${loadMs.toFixed(0)} ms`);
out.push(`── ${folds}-fold cross-validation on the corpus (${corpus.length} sentences)`);
const rulesCv = computeTriageMetrics(foldData.flatMap((d) => runWith(lex, null, chosen, d.test)));
out.push(line("rules only", rulesCv));
let best: { t: Thresholds; m: TriageMetrics } | null = null;
for (const threshold of [0.5, 0.55, 0.6, 0.65]) {
  for (const softened of [0.7, 0.8]) {
    for (const bare of [0.8, 0.85, 0.9, 0.95, NEVER]) {
      const t = { ...chosen, threshold, softened, bare };
      const m = cvAt(t);
      if (
        m.falseAlarmRate - rulesCv.falseAlarmRate <= maxAddedFa + 1e-9 &&
        (!best || m.urgentRecall > best.m.urgentRecall)
      ) {
        best = { t, m };
      }
      out.push(line(`@ ${threshold} / softened ${softened} / bare ${bare === NEVER ? "off" : bare}`, m));
    }
  }
}
if (best) {
  const { threshold, softened, bare } = best.t;
  out.push(
    `best with added false alarms ≤ ${pct(maxAddedFa).trim()}: ${threshold} / ${softened} / ${bare === NEVER ? "off" : bare}` +
      ` (configured: ${chosen.threshold} / ${chosen.softened} / ${chosen.bare})`,
  );
}
// Over-escalation: a report that is not immediate flagged immediate (the reply then leads with 110).
for (const immediate of [0.3, 0.4, 0.5, 0.7, NEVER]) {
  const rows = foldData.flatMap((d) => runWith(lex, d.model, { ...chosen, immediate }, d.test));
  const over = rows.filter((r) => r.item.urgent && !r.item.immediate_danger && r.verdict.severity === "immediate");
  const label = `configured, immediate ${immediate === NEVER ? "off" : immediate}`;
  out.push(`${line(label, computeTriageMetrics(rows))}  over-escalated ${over.length}`);
}

// ── the eval sets, with the model trained on the whole corpus ─────────────
for (const file of [
  "eval/triage-dev.jsonl",
  "eval/triage-probe.jsonl",
  "eval/triage-blind-1.jsonl",
  "eval/triage-blind-2.jsonl",
  "eval/triage-blind-3.jsonl",
  "eval/triage-blind-4.jsonl",
  "eval/triage-blind-5.jsonl",
]) {
  const items = parseTriageEvalJsonl(readFileSync(file, "utf8"));
  out.push(`── ${file} (${items.length})`);
  out.push(line("rules only", computeTriageMetrics(runWith(lex, null, chosen, items))));
  out.push(line("rules + model", computeTriageMetrics(runWith(lex, configured.model, chosen, items))));
}
process.stdout.write(`${out.join("\n")}\n`);
