/**
 * The knowledge-gap loop, pure parts: question tokens, similarity, grouping
 * unanswered questions, masking what could identify a resident, and matching
 * a new question against curated answers.
 */
import { foldText, type Normalizer } from "../search/normalize-fns.ts";
import type { Tokenizer } from "../search/tokenizer-fns.ts";

/** A curated answer answers a question whose tokens overlap one of its examples at least this much (Jaccard). */
export const CURATED_THRESHOLD = 0.65;
/** …and wins even over a confident answer when at least this similar (the admin wrote it for just this question). */
export const CURATED_STRONG = 0.85;
/** Questions at least this similar to a group's first question join the group. */
export const CLUSTER_THRESHOLD = 0.4;
/** Examples shown per group. */
export const MAX_EXAMPLES = 3;

/** Digit runs of 3 or more (phones, ids, plates), in ASCII or full width, with spaces/dashes inside. */
const DIGIT_RUN = /[0-9０-９](?:[\s\-－]*[0-9０-９]){2,}/gu;

/** Masks digit runs (phone numbers and the like) so an example never shows one. */
export function maskDigits(text: string): string {
  return text.replace(DIGIT_RUN, "***");
}

/** How a question asks, not what about: left out so they do not make unrelated questions look alike. */
const QUESTION_WORDS = new Set(
  "哪里 去哪里 在哪里 哪儿 去哪儿 哪 怎么 怎么办 怎样 如何 什么 可以 能 能不能 吗 呢 去 在 到 有没有 请问 想 要 需要 我".split(
    " ",
  ),
);

/** Distinct search tokens of a question: normalised (typos, synonyms) and tokenised like a search, digits dropped. */
export function questionTokens(
  text: string,
  normalizer: Pick<Normalizer, "normalize">,
  tokenizer: Pick<Tokenizer, "tokenize">,
): string[] {
  const normalized = normalizer.normalize(maskDigits(text)).text;
  return [...new Set(tokenizer.tokenize(foldText(normalized)))].filter(
    (t) => !/^[\d*]+$/u.test(t) && !QUESTION_WORDS.has(t),
  );
}

/** |A ∩ B| / |A ∪ B|; two empty sets are not similar (0). */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  const setA = new Set(a);
  const setB = new Set(b);
  let common = 0;
  for (const t of setA) if (setB.has(t)) common++;
  return common / (setA.size + setB.size - common);
}

export interface CuratedCandidate<T> {
  value: T;
  /** Tokens of each example question. */
  examples: readonly (readonly string[])[];
}

/** The curated answer with the example most similar to the question, if at least `threshold`; ties: the first. */
export function matchCurated<T>(
  tokens: readonly string[],
  candidates: readonly CuratedCandidate<T>[],
  threshold: number = CURATED_THRESHOLD,
): { value: T; score: number } | null {
  let best: { value: T; score: number } | null = null;
  for (const c of candidates) {
    for (const example of c.examples) {
      const score = jaccard(tokens, example);
      if (score >= threshold && (best === null || score > best.score)) best = { value: c.value, score };
    }
  }
  return best;
}

export interface GapQuestion {
  id: string;
  text: string;
  tokens: readonly string[];
  reason: string;
  createdAt: Date;
}

export interface GapCluster {
  /** The first (most recent) question's id: stable while the group's newest question is. */
  key: string;
  count: number;
  /** Up to MAX_EXAMPLES distinct masked texts, newest first. */
  examples: string[];
  /** Every question id in the group (to mark them reviewed). */
  ids: string[];
  reasons: { unknown: number; weak: number };
  lastAt: Date;
}

/**
 * Greedy grouping: newest first, each question joins the group whose first
 * question it is most similar to (at least `threshold`), or starts a new one.
 * Identical texts always group. Groups come largest first, then newest.
 */
export function clusterQuestions(
  questions: readonly GapQuestion[],
  threshold: number = CLUSTER_THRESHOLD,
): GapCluster[] {
  const sorted = [...questions].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1));
  const groups: Array<{ head: GapQuestion; members: GapQuestion[] }> = [];
  for (const q of sorted) {
    let best: { group: (typeof groups)[number]; score: number } | null = null;
    for (const group of groups) {
      const score = foldText(group.head.text) === foldText(q.text) ? 1 : jaccard(q.tokens, group.head.tokens);
      if (score >= threshold && (best === null || score > best.score)) best = { group, score };
    }
    if (best) best.group.members.push(q);
    else groups.push({ head: q, members: [q] });
  }
  return groups
    .map(({ head, members }) => {
      const examples: string[] = [];
      for (const m of members) {
        const masked = maskDigits(m.text.trim());
        if (examples.length < MAX_EXAMPLES && !examples.includes(masked)) examples.push(masked);
      }
      return {
        key: head.id,
        count: members.length,
        examples,
        ids: members.map((m) => m.id),
        reasons: {
          unknown: members.filter((m) => m.reason === "unknown").length,
          weak: members.filter((m) => m.reason !== "unknown").length,
        },
        lastAt: head.createdAt,
      };
    })
    .sort((a, b) => b.count - a.count || b.lastAt.getTime() - a.lastAt.getTime());
}
