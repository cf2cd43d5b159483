/**
 * Runs a Q&A set through the answer service and prints the hit rate per type
 * (hit = an expect_any phrase in the reply or a citation's text; for
 * out_of_scope, kind "unknown"). Misses go to eval/out/qa-misses.jsonl.
 *
 *   npx tsx scripts/eval-qa.ts [eval/qa-dev.jsonl]
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createAnswerService } from "../src/answer/answer-service.ts";
import { computeQaReport, formatQaReport, parseQaJsonl, qaHit } from "../src/answer/qa-metrics-fns.ts";
import { loadAreas, loadDirectory } from "../src/knowledge/directory-loader.ts";
import { loadPlanClauses } from "../src/knowledge/plan-loader.ts";
import { createSearchIndex } from "../src/search/search-index.ts";

const file = process.argv[2] ?? "eval/qa-dev.jsonl";
const verbose = process.argv.includes("--verbose");
const items = parseQaJsonl(readFileSync(file, "utf8"));

const t0 = performance.now();
const clauses = loadPlanClauses();
const services = loadDirectory();
const areas = loadAreas();
const index = createSearchIndex({ clauses, services, areas });
const svc = createAnswerService({ index, clauses, services, areas });
const buildMs = performance.now() - t0;

const t1 = performance.now();
const results = items.map((item) => ({ item, answer: svc.answer(item.text, { area: item.area ?? null }) }));
const perQuestionMs = (performance.now() - t1) / Math.max(1, items.length);

const report = computeQaReport(results);
process.stdout.write(
  `${file}: ${items.length} questions (build ${buildMs.toFixed(0)} ms, ${perQuestionMs.toFixed(1)} ms/question)\n`,
);
process.stdout.write(`${formatQaReport(report)}\n`);

const tooLong = results.filter((r) => [...r.answer.reply].length > 600);
if (tooLong.length > 0) process.stdout.write(`replies over 600 chars: ${tooLong.map((r) => r.item.id).join(", ")}\n`);

mkdirSync("eval/out", { recursive: true });
const missLines = report.misses.map(({ item, answer }) =>
  JSON.stringify({
    id: item.id,
    type: item.type,
    text: item.text,
    expect_any: item.expect_any,
    kind: answer.kind,
    reply: answer.reply,
    citations: answer.citations.map((c) => ("id" in c ? c.id : "")),
  }),
);
writeFileSync("eval/out/qa-misses.jsonl", missLines.length > 0 ? `${missLines.join("\n")}\n` : "");
process.stdout.write(`${report.misses.length} misses written to eval/out/qa-misses.jsonl\n`);

if (verbose) {
  for (const r of results) {
    const hit = qaHit(r.item, r.answer);
    process.stdout.write(
      `\n[${hit ? "HIT " : "MISS"}] ${r.item.id} ${r.item.type} → ${r.answer.kind}  ${r.item.text}\n${r.answer.reply}\n  cites: ${r.answer.citations.map((c) => c.id).join(", ")}  services: ${r.answer.services.map((s) => s.id).join(", ")}\n`,
    );
  }
}
