/**
 * Measures the candidate Chinese tokenizers on the dev Q&A set: each question
 * (normalised) is searched against the plan clauses and the service directory
 * with each tokenizer; a hit@k is an expected phrase in the top-k texts
 * (plan questions: clause texts; service questions: service entries' text and
 * clause texts). Out-of-scope items are skipped (they test thresholds, not
 * ranking).
 *
 *   npx tsx scripts/measure-tokenizers.ts [eval/qa-dev.jsonl]
 */
import { readFileSync } from "node:fs";
import { parseQaJsonl, type QaItem } from "../src/answer/qa-metrics-fns.ts";
import { loadAreas, loadDirectory } from "../src/knowledge/directory-loader.ts";
import { loadPlanClauses } from "../src/knowledge/plan-loader.ts";
import { createNormalizer, lexiconWords, loadLexicon } from "../src/search/normalize-fns.ts";
import { createSearchIndex } from "../src/search/search-index.ts";
import {
  createJieba,
  createKeyTermExtractor,
  createTokenizer,
  loadTokenizerResources,
  TOKENIZER_NAMES,
  type TokenizerName,
  type TokenizerResources,
} from "../src/search/tokenizer-fns.ts";

const file = process.argv[2] ?? "eval/qa-dev.jsonl";
const items = parseQaJsonl(readFileSync(file, "utf8")).filter((i) => i.type !== "out_of_scope");
const clauses = loadPlanClauses();
const services = loadDirectory();
const areas = loadAreas();
const lexicon = loadLexicon();
const resources = loadTokenizerResources(clauses, areas, services, lexiconWords(lexicon));
const normalizer = createNormalizer(lexicon, resources.userWords);
const keyTermsOf = createKeyTermExtractor(createJieba(resources.userWords), resources.stopwords);

const nfkc = (s: string) => s.normalize("NFKC");
const hasAny = (texts: string[], item: QaItem) =>
  item.expect_any.some((p) => texts.some((t) => t.includes(p) || nfkc(t).includes(nfkc(p))));

interface Variant {
  label: string;
  name: TokenizerName;
  res: TokenizerResources;
  /** Coverage re-ranking weight (0 = BM25 order only). */
  coverageWeight?: number;
}

const variants: Variant[] = [
  // Raw tokenizer quality: BM25 order only.
  ...TOKENIZER_NAMES.map((name) => ({ label: `${name} (BM25 only)`, name, res: resources, coverageWeight: 0 })),
  // What the answer service uses: BM25 candidates re-ranked by key-word coverage.
  ...TOKENIZER_NAMES.map((name) => ({ label: `${name} (+coverage)`, name, res: resources })),
];
// Ablation: jieba without the vocabulary generated from the plan text.
const dictOnly = loadTokenizerResources([], areas, services, lexiconWords(lexicon));
variants.push({ label: "jieba, no plan vocab (+cov)", name: "jieba", res: dictOnly });
variants.push({ label: "jieba+bigram, no plan vocab", name: "jieba+bigram", res: dictOnly });

const types = ["plan_target", "plan_measure", "service"] as const;
process.stdout.write(`${items.length} questions from ${file}\n\n`);
process.stdout.write(
  `${"tokenizer".padEnd(34)}${types.map((t) => `${t} @1/@3`.padEnd(24)).join("")}plan @1/@3          build ms\n`,
);
for (const v of variants) {
  const t0 = performance.now();
  const tokenizer = createTokenizer(v.name, v.res);
  const index = createSearchIndex({ clauses, services, areas, tokenizer, normalizer, keyTermsOf });
  const buildMs = performance.now() - t0;
  const acc: Record<string, { h1: number; h3: number; n: number }> = {};
  for (const item of items) {
    const nq = normalizer.normalize(item.text);
    const plans = index
      .searchPlans(nq, { limit: 3, ...(v.coverageWeight !== undefined ? { coverageWeight: v.coverageWeight } : {}) })
      .map((h) => h.clause.text);
    let top1: string[];
    let top3: string[];
    if (item.type === "service") {
      const svc = index
        .searchServices(nq, { limit: 3, area: item.area ?? null })
        .map((h) => [h.entry.name, h.entry.description, h.entry.phone ?? "", h.entry.howToReach ?? ""].join(" "));
      top1 = [...svc.slice(0, 1), ...plans.slice(0, 1)];
      top3 = [...svc, ...plans];
    } else {
      top1 = plans.slice(0, 1);
      top3 = plans;
    }
    const a = acc[item.type] ?? { h1: 0, h3: 0, n: 0 };
    acc[item.type] = a;
    a.n++;
    if (hasAny(top1, item)) a.h1++;
    if (hasAny(top3, item)) a.h3++;
  }
  const fmt = (a: { h1: number; h3: number; n: number } | undefined) =>
    a ? `${a.h1}/${a.n} ${a.h3}/${a.n}`.padEnd(24) : "-".padEnd(24);
  const p1 = (acc.plan_target?.h1 ?? 0) + (acc.plan_measure?.h1 ?? 0);
  const p3 = (acc.plan_target?.h3 ?? 0) + (acc.plan_measure?.h3 ?? 0);
  const pn = (acc.plan_target?.n ?? 0) + (acc.plan_measure?.n ?? 0);
  process.stdout.write(
    `${v.label.padEnd(34)}${types.map((t) => fmt(acc[t])).join("")}${`${((p1 / pn) * 100).toFixed(1)}% ${((p3 / pn) * 100).toFixed(1)}%`.padEnd(20)}${buildMs.toFixed(0)}\n`,
  );
}
