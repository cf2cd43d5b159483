/** Texts from the dev sets in eval/, for load generators. */
import { readFileSync } from "node:fs";

/** The urgent reports of the triage dev set (one fallback if it has none). */
export function urgentTexts(): string[] {
  const rows = readFileSync("eval/triage-dev.jsonl", "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { text: string; urgent: boolean });
  const texts = rows.filter((r) => r.urgent).map((r) => r.text);
  return texts.length > 0 ? texts : ["我老公正在打我，他拿着刀，快来人"];
}

/** The questions of the Q&A dev set. */
export function devQuestionTexts(): string[] {
  return readFileSync("eval/qa-dev.jsonl", "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { text: string }).text);
}
