/**
 * Runs triage over a labelled JSONL set and prints urgent recall, false-alarm
 * rate, category accuracy and immediate-danger recall; writes the misses to
 * eval/out/triage-misses.jsonl.
 *
 *   npx tsx scripts/eval-triage.ts [path/to/set.jsonl]   (default eval/triage-dev.jsonl)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTriage } from "../src/triage/triage-fns.ts";
import { loadTriageLexicon } from "../src/triage/triage-lexicon.ts";
import { computeTriageMetrics, formatTriageMetrics, parseTriageEvalJsonl } from "../src/triage/triage-metrics-fns.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const input = process.argv[2] ? resolve(process.argv[2]) : resolve(root, "eval/triage-dev.jsonl");
const outFile = resolve(root, "eval/out/triage-misses.jsonl");

const triage = createTriage(loadTriageLexicon());
const items = parseTriageEvalJsonl(readFileSync(input, "utf8"));
const rows = items.map((item) => ({ item, verdict: triage(item.text) }));
const metrics = computeTriageMetrics(rows);

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, metrics.misses.map((m) => JSON.stringify(m)).join("\n") + (metrics.misses.length ? "\n" : ""));

process.stdout.write(`${input}\n${formatTriageMetrics(metrics)}\n`);
for (const m of metrics.misses) {
  process.stdout.write(
    `  ${m.kind.padEnd(16)} ${m.id} expected ${m.expected.category}${m.expected.immediate ? "/immediate" : ""}` +
      ` got ${m.got.category ?? "none"}/${m.got.severity ?? "-"} | ${m.text}\n    [${m.signals.join(", ")}]\n`,
  );
}
process.stdout.write(`misses written to ${outFile}\n`);
