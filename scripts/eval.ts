/**
 * npm run eval — the service's figures on the labelled dev sets, measured
 * through the same pipeline a chat message takes (triage first; a message
 * triage flags gets the safety reply, anything else the answer service).
 *
 *   npm run eval                          # eval/triage-dev.jsonl + eval/qa-dev.jsonl
 *   npm run eval -- --triage other.jsonl --qa other.jsonl
 *
 * Misses are written to eval/out/triage-misses.jsonl and eval/out/qa-misses.jsonl.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { computeQaReport, formatQaReport, parseQaJsonl, type QaAnswerView } from "../src/answer/qa-metrics-fns.ts";
import { loadKnowledge } from "../src/knowledge/load-knowledge.ts";
import { computeTriageMetrics, formatTriageMetrics, parseTriageEvalJsonl } from "../src/triage/triage-metrics-fns.ts";

const { values } = parseArgs({
  options: {
    triage: { type: "string", default: "eval/triage-dev.jsonl" },
    qa: { type: "string", default: "eval/qa-dev.jsonl" },
  },
});
const triageFile = values.triage;
const qaFile = values.qa;

const knowledge = loadKnowledge({});
const out: string[] = [];

// ── triage ────────────────────────────────────────────────────────────────
const triageItems = parseTriageEvalJsonl(readFileSync(triageFile, "utf8"));
const triageRows = triageItems.map((item) => ({ item, verdict: knowledge.triage(item.text) }));
const tm = computeTriageMetrics(triageRows);
// Immediate danger counts only when the reply the resident gets names 110 (or 120 first, then 110).
let immediateWith110 = 0;
for (const { item, verdict } of triageRows) {
  if (!item.immediate_danger || verdict.severity !== "immediate" || !verdict.category) continue;
  const reply = knowledge.safetyReply({
    category: verdict.category,
    severity: verdict.severity,
    needsMedical: verdict.needsMedical === true,
  });
  if (reply.includes("110")) immediateWith110++;
}
out.push(`── triage: ${triageFile} (${triageItems.length} messages)`);
out.push(formatTriageMetrics(tm));
out.push(`immediate danger flagged immediate with 110 in the reply: ${immediateWith110}/${tm.immediateTotal}`);

// ── Q&A through the chat pipeline ─────────────────────────────────────────
const qaItems = parseQaJsonl(readFileSync(qaFile, "utf8"));
let qaFlaggedUrgent = 0;
const qaRows = qaItems.map((item) => {
  const verdict = knowledge.triage(item.text);
  if (verdict.urgent && verdict.category) {
    qaFlaggedUrgent++;
    const reply = knowledge.safetyReply({
      category: verdict.category,
      severity: verdict.severity ?? "urgent",
      needsMedical: verdict.needsMedical === true,
    });
    const answer: QaAnswerView = { kind: "urgent", reply, citations: [] };
    return { item, answer };
  }
  return { item, answer: knowledge.answer(item.text, { area: item.area ?? null }) };
});
const qa = computeQaReport(qaRows);
out.push("");
out.push(`── Q&A: ${qaFile} (${qaItems.length} questions; ${qaFlaggedUrgent} taken as urgent by triage)`);
out.push(formatQaReport(qa));
const overLength = qaRows.filter((r) => [...r.answer.reply].length > 600).length;
out.push(`replies over 600 characters: ${overLength}`);

mkdirSync("eval/out", { recursive: true });
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
writeFileSync("eval/out/triage-misses.jsonl", jsonl(tm.misses));
writeFileSync(
  "eval/out/qa-misses.jsonl",
  jsonl(
    qa.misses.map(({ item, answer }) => ({
      id: item.id,
      type: item.type,
      text: item.text,
      expect_any: item.expect_any,
      kind: answer.kind,
      reply: answer.reply,
    })),
  ),
);
out.push("");
out.push(`misses: eval/out/triage-misses.jsonl (${tm.misses.length}), eval/out/qa-misses.jsonl (${qa.misses.length})`);
process.stdout.write(`${out.join("\n")}\n`);
