/**
 * Chinese tokenizers for MiniSearch. All take text already folded by
 * `foldText` (simplified, half-width, lower-case) and return index terms with
 * stopwords dropped.
 *
 * Candidates, measured by scripts/measure-tokenizers.ts (hit@k = an expected
 * phrase in the top-k clause texts; dev = eval/qa-dev.jsonl, 53 plan questions;
 * "own" = 172 plan questions written separately, never the dev sentences):
 *
 *   tokenizer                 BM25 only                + coverage re-rank (what search uses)
 *                             dev @1/@3    own @1/@3    dev @1/@3     own @1/@3
 *   jieba (+plan vocab)       84.9/100     89.5/96.5    96.2/100      94.8/100
 *   Intl.Segmenter('zh')      81.1/96.2    87.8/98.8    88.7/100      97.1/99.4
 *   character bigrams         88.7/96.2    90.7/98.8    92.5/100      94.8/99.4
 *   jieba + bigrams           86.8/96.2    88.4/97.1    92.5/100      93.6/98.8
 *   jieba, no plan vocab          —            —        94.3/100      95.3/99.4
 *
 * Bigrams are the strongest raw BM25 tokenizer, but every tokenizer gains far
 * more from re-ranking by key-word coverage (search-index.ts) than from the
 * choice between them; with re-ranking jieba is best on the dev set and never
 * misses at @3, so it is the default. The plan vocabulary adds 2 points on dev
 * (it keeps indicators such as 学前教育毛入园率 whole). Service questions hit
 * 15/15 at @3 with every tokenizer.
 */
import { readFileSync } from "node:fs";
import { Jieba } from "@node-rs/jieba";
import { dict as jiebaDict } from "@node-rs/jieba/dict.js";
import type { AreaDef, PlanClause, ServiceEntry } from "../knowledge/knowledge-types.ts";
import { foldText, parseWordList, SEARCH_KNOWLEDGE_DIR } from "./normalize-fns.ts";

export type TokenizerName = "jieba" | "segmenter" | "bigram" | "jieba+bigram";

export const TOKENIZER_NAMES: readonly TokenizerName[] = ["jieba", "segmenter", "bigram", "jieba+bigram"];

export interface Tokenizer {
  name: TokenizerName;
  /** Index/search terms of already-folded text, stopwords removed. */
  tokenize(text: string): string[];
  /** Whole words (no sub-words or bigrams), for coverage checks and tests. */
  words(text: string): string[];
}

const HAN_RUN = /\p{Script=Han}+/gu;
const ALNUM_RUN = /[a-z0-9][a-z0-9.%‰]*/gu;
const HAN_CHAR = /\p{Script=Han}/u;
const WORDLIKE = /[\p{Script=Han}a-z0-9]/u;

/** Particles that make a character bigram meaningless (的宫, 颈的, 什么). */
const PARTICLES = new Set([..."的了吗呢啊吧呀哦嘛么哈呗啦嘞哩"]);

function alnumTokens(text: string): string[] {
  return (text.match(ALNUM_RUN) ?? []).map((t) => t.replace(/[.]+$/u, "")).filter((t) => t.length > 0);
}

// ── character bigrams ───────────────────────────────────────────────────────

function bigramsOf(text: string, stopwords: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const run of text.match(HAN_RUN) ?? []) {
    const chars = [...run];
    if (chars.length === 1) {
      const c = chars[0] as string;
      if (!PARTICLES.has(c) && !stopwords.has(c)) out.push(c);
      continue;
    }
    for (let i = 0; i + 1 < chars.length; i++) {
      const a = chars[i] as string;
      const b = chars[i + 1] as string;
      if (PARTICLES.has(a) || PARTICLES.has(b)) continue;
      const bg = a + b;
      if (!stopwords.has(bg)) out.push(bg);
    }
  }
  out.push(...alnumTokens(text));
  return out;
}

export function createBigramTokenizer(stopwords: ReadonlySet<string>): Tokenizer {
  return {
    name: "bigram",
    tokenize: (text) => bigramsOf(text, stopwords),
    words: (text) => bigramsOf(text, stopwords),
  };
}

// ── Intl.Segmenter ──────────────────────────────────────────────────────────

export function createSegmenterTokenizer(stopwords: ReadonlySet<string>): Tokenizer {
  const seg = new Intl.Segmenter("zh", { granularity: "word" });
  const words = (text: string): string[] => {
    const out: string[] = [];
    for (const s of seg.segment(text)) {
      if (!s.isWordLike) continue;
      const w = s.segment.trim();
      if (w && WORDLIKE.test(w) && !stopwords.has(w)) out.push(w);
    }
    return out;
  };
  return { name: "segmenter", tokenize: words, words };
}

// ── jieba ───────────────────────────────────────────────────────────────────

/** High enough that jieba prefers the user word over splitting it. */
const USER_WORD_FREQ = 20000;

function keepJiebaToken(t: string, stopwords: ReadonlySet<string>): boolean {
  const w = t.trim();
  return w.length > 0 && WORDLIKE.test(w) && !stopwords.has(w);
}

export interface JiebaOptions {
  stopwords: ReadonlySet<string>;
  /** Words to keep whole (plan vocabulary + user-dict.txt). */
  userWords: readonly string[];
}

/** Builds one Jieba instance (dictionary load ≈ 100 ms); share it. */
export function createJieba(userWords: readonly string[]): Jieba {
  const jieba = Jieba.withDict(jiebaDict);
  const lines = [...new Set(userWords.map((w) => foldText(w)).filter((w) => w.length >= 2 && !/\s/u.test(w)))]
    .map((w) => `${w} ${USER_WORD_FREQ} n`)
    .join("\n");
  if (lines) jieba.loadDict(Buffer.from(`${lines}\n`, "utf8"));
  return jieba;
}

function jiebaTokenizerFrom(jieba: Jieba, stopwords: ReadonlySet<string>): Tokenizer {
  const words = (text: string): string[] => jieba.cut(text, false).filter((t) => keepJiebaToken(t, stopwords));
  return {
    name: "jieba",
    // Long words also yield their dictionary sub-words (法律援助中心 → 法律援助, 援助中心 …),
    // so a question's short word still meets the index's long one and vice versa.
    tokenize: (text) => {
      const out: string[] = [];
      for (const w of words(text)) {
        out.push(w);
        if (w.length >= 3 && HAN_CHAR.test(w)) {
          for (const sub of jieba.cutAll(w)) if (sub !== w && sub.length >= 2 && !stopwords.has(sub)) out.push(sub);
        }
      }
      return out;
    },
    words,
  };
}

export function createJiebaTokenizer(opts: JiebaOptions): Tokenizer {
  return jiebaTokenizerFrom(createJieba(opts.userWords), opts.stopwords);
}

/** jieba words (whole and search-mode sub-words) plus character bigrams of the same text. */
export function createCombinedTokenizer(jieba: Tokenizer, bigram: Tokenizer): Tokenizer {
  return {
    name: "jieba+bigram",
    tokenize: (text) => [...new Set([...jieba.tokenize(text), ...bigram.tokenize(text)])],
    words: (text) => jieba.words(text),
  };
}

// ── plan vocabulary ─────────────────────────────────────────────────────────

/** Words that never sit inside the plans' noun phrases. */
const FUNCTION_WORDS = new Set([..."的了和与及在等对为是将把被从其或并而也都按向于由着到让使给有、，。；："]);

/**
 * The plans' own vocabulary, for jieba's user dictionary: domain and chapter
 * names, quoted programme names (“巧媳妇”, “阳光母亲”), the indicators goals
 * name, and recurring compounds of 2–3 consecutive dictionary words (3–6
 * characters) that are not always part of one longer recurring compound
 * (妇幼保健机构, 儿童福利机构, 家庭教育指导 …). `segment` is jieba's plain
 * cut, so a compound never splits a dictionary word (no 癌筛查).
 */
export function extractPlanVocabulary(
  clauses: readonly PlanClause[],
  segment: (text: string) => string[],
  minCount = 3,
): string[] {
  const vocab = new Set<string>();
  for (const c of clauses) {
    if (c.domain) vocab.add(c.domain);
    vocab.add(c.chapter);
    for (const m of c.text.matchAll(/[“"]([^”"]{2,12})[”"]/gu)) {
      const q = m[1] as string;
      if ([...q].every((ch) => HAN_CHAR.test(ch))) vocab.add(q);
    }
    for (const t of c.targets) if (t.indicator.length <= 12 && !/[（）()]/u.test(t.indicator)) vocab.add(t.indicator);
  }
  const counts = new Map<string, number>();
  // n-grams of words, keyed by their joined text; `parts` remembers the word split.
  const parts = new Map<string, string[]>();
  for (const c of clauses) {
    const words = segment(foldText(c.text));
    for (let n = 2; n <= 4; n++) {
      for (let i = 0; i + n <= words.length; i++) {
        const ws = words.slice(i, i + n);
        if (ws.some((w) => !HAN_CHAR.test(w) || [...w].some((ch) => FUNCTION_WORDS.has(ch)) || w.length < 2)) continue;
        const g = ws.join("");
        if (g.length < 3 || g.length > 8) continue;
        counts.set(g, (counts.get(g) ?? 0) + 1);
        parts.set(g, ws);
      }
    }
  }
  // Not closed: every occurrence sits inside the same longer compound.
  const notClosed = new Set<string>();
  for (const [h, hc] of counts) {
    const ws = parts.get(h) as string[];
    if (ws.length < 3) continue;
    const prefix = ws.slice(0, -1).join("");
    const suffix = ws.slice(1).join("");
    if (counts.get(prefix) === hc) notClosed.add(prefix);
    if (counts.get(suffix) === hc) notClosed.add(suffix);
  }
  for (const [g, count] of counts) {
    const n = (parts.get(g) as string[]).length;
    if (n > 3 || g.length > 6 || count < minCount || notClosed.has(g)) continue;
    vocab.add(g);
  }
  return [...vocab].map((w) => foldText(w)).filter((w) => w.length >= 2);
}

// ── loading ─────────────────────────────────────────────────────────────────

export const DEFAULT_TOKENIZER: TokenizerName = "jieba";

export interface TokenizerResources {
  stopwords: Set<string>;
  userWords: string[];
}

/**
 * Reads stopwords.txt and user-dict.txt and adds the vocabulary generated
 * from the plan text, the areas' names and aliases, and the directory's
 * keywords, so jieba keeps all of them whole.
 */
export function loadTokenizerResources(
  clauses: readonly PlanClause[],
  areas: readonly AreaDef[] = [],
  services: readonly ServiceEntry[] = [],
  /** More words to keep whole, e.g. `lexiconWords(loadLexicon())`. */
  extraWords: readonly string[] = [],
): TokenizerResources {
  const stopwords = new Set(
    parseWordList(readFileSync(new URL("stopwords.txt", SEARCH_KNOWLEDGE_DIR), "utf8")).map((w) => foldText(w)),
  );
  const base = Jieba.withDict(jiebaDict);
  const userWords = [
    ...parseWordList(readFileSync(new URL("user-dict.txt", SEARCH_KNOWLEDGE_DIR), "utf8")),
    ...extractPlanVocabulary(clauses, (text) => base.cut(text, false)),
    ...areas.flatMap((a) => [a.name, ...a.aliases]),
    ...services.flatMap((e) => e.keywords.filter((k) => k.length <= 8 && !/[\s，,。]/u.test(k))),
    ...extraWords,
  ];
  return { stopwords, userWords };
}

/**
 * One tokenizer by name. jieba-based ones load the dictionary (a few hundred
 * ms) unless given an instance built by `createJieba(res.userWords)` to share.
 */
export function createTokenizer(name: TokenizerName, res: TokenizerResources, jieba?: Jieba): Tokenizer {
  const j = () => jiebaTokenizerFrom(jieba ?? createJieba(res.userWords), res.stopwords);
  switch (name) {
    case "bigram":
      return createBigramTokenizer(res.stopwords);
    case "segmenter":
      return createSegmenterTokenizer(res.stopwords);
    case "jieba":
      return j();
    case "jieba+bigram":
      return createCombinedTokenizer(j(), createBigramTokenizer(res.stopwords));
  }
}

// ── key terms (coverage) ────────────────────────────────────────────────────

export interface KeyTerm {
  word: string;
  /** Part-of-speech weight: nouns 1, verbs 0.5, everything else less. */
  posWeight: number;
  /** Dictionary sub-words of a long word (农村卫生厕所普及率 → 农村, 卫生, 厕所, 普及率 …), for partial matches. */
  parts: string[];
}

/** jieba part-of-speech tag → how much the word says what the question is about. */
export function posWeightOf(tag: string): number {
  if (tag === "m" || tag === "q" || tag === "r" || tag === "p" || tag === "c" || tag === "u" || tag === "y") return 0;
  if (tag.startsWith("n") || tag === "j" || tag === "l" || tag === "i" || tag === "eng" || tag === "nz" || tag === "vn")
    return 1;
  if (tag === "x") return 0.8;
  if (tag.startsWith("v")) return 0.5;
  if (tag === "a" || tag === "an") return 0.4;
  return 0.25;
}

/**
 * The words of a question that say what it is about (nouns weigh most), for
 * checking that a hit covers the question. Uses jieba's tagger with the same
 * user dictionary as the index, whatever tokenizer the index uses.
 */
export function createKeyTermExtractor(
  jieba: Jieba,
  stopwords: ReadonlySet<string>,
): (foldedText: string) => KeyTerm[] {
  return (text) => {
    const out: KeyTerm[] = [];
    const seen = new Set<string>();
    for (const { word, tag } of jieba.tag(text, false)) {
      const w = word.trim();
      if (!w || !WORDLIKE.test(w) || stopwords.has(w) || seen.has(w)) continue;
      seen.add(w);
      const posWeight = posWeightOf(tag);
      if (posWeight <= 0) continue;
      const parts =
        w.length >= 3 && HAN_CHAR.test(w)
          ? [...new Set(jieba.cutForSearch(w, false).filter((p) => p !== w && p.length >= 2 && !stopwords.has(p)))]
          : [];
      out.push({ word: w, posWeight, parts });
    }
    return out;
  };
}
