/**
 * Normalisation of residents' questions (and, for the folding part, of the
 * indexed plan/directory text) before tokenising.
 *
 * Two layers:
 * - `foldText` — character-level folding that is safe for any text: NFKC
 *   (full-width → half-width, ％ → %), zero-width/control characters removed,
 *   traditional → simplified Chinese (opencc-js, phrase level), Latin
 *   lower-cased, spaces between Chinese characters dropped (PDF artefacts and
 *   residents typing “家 暴”).
 * - `Normalizer.normalize` — for questions only: fold, then fix common typos
 *   (knowledge/search/typos.yaml), then rewrite colloquial / Henan dialect /
 *   everyday words to the plans' vocabulary (knowledge/search/synonyms.yaml).
 *
 * The YAML files are zod-validated when loaded; a bad entry stops start-up.
 */
import { readFileSync } from "node:fs";
import * as OpenCC from "opencc-js/t2cn";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

// ── schemas ─────────────────────────────────────────────────────────────────

const term = z
  .string()
  .min(1)
  .max(40)
  .refine((s) => s.trim() === s, "no leading/trailing spaces");

const rewriteGroupSchema = z.strictObject({
  to: z.string().min(1).max(40),
  from: z.array(term).min(1),
  also: z.array(term).optional(),
});

const patternSchema = z.strictObject({
  pattern: z
    .string()
    .min(1)
    .refine((p) => {
      try {
        new RegExp(p, "u");
        return true;
      } catch {
        return false;
      }
    }, "not a valid regular expression"),
  to: z.string(),
});

export const synonymsFileSchema = z.strictObject({
  patterns: z.array(patternSchema).default([]),
  keep: z.array(term).default([]),
  groups: z.array(rewriteGroupSchema).min(1),
});

export type RewritePattern = z.infer<typeof patternSchema>;

export const typosFileSchema = z.strictObject({
  groups: z.array(rewriteGroupSchema).min(1),
});

export type RewriteGroup = z.infer<typeof rewriteGroupSchema>;

export interface Lexicon {
  /** Plan terms protected from rewriting (巧媳妇 keeps its 媳妇). */
  keep: string[];
  /** Phrase rewrites applied after the word rewrites (被父母打 → 被父母家庭暴力). */
  patterns?: RewritePattern[];
  synonyms: RewriteGroup[];
  typos: RewriteGroup[];
}

// ── folding ─────────────────────────────────────────────────────────────────

const t2s = OpenCC.Converter({ from: "twp", to: "cn" });

// Zero-width and invisible formatting characters (ZWSP, ZWJ, BOM, bidi marks,
// soft hyphen …) and variation selectors.
const INVISIBLE = /\p{Cf}|\p{Variation_Selector}/gu;
// C0/C1 control characters (newline and tab become spaces below).
const CONTROL = /\p{Cc}/gu;
const HAN = "\\p{Script=Han}";
const SPACE_BETWEEN_HAN = new RegExp(`(?<=[${HAN}\\d%％‰])\\s+(?=[${HAN}])|(?<=[${HAN}])\\s+(?=[${HAN}\\d])`, "gu");

/**
 * Character-level folding, safe for both questions and the indexed text:
 * NFKC, invisible/control characters removed, traditional → simplified,
 * lower-case Latin, whitespace collapsed, spaces inside Chinese text dropped.
 */
export function foldText(text: string): string {
  let s = text.normalize("NFKC");
  s = s.replace(INVISIBLE, "").replace(CONTROL, " ");
  s = t2s(s);
  s = s.toLowerCase();
  s = s.replace(/\s+/gu, " ").trim();
  s = s.replace(SPACE_BETWEEN_HAN, "");
  return s;
}

// ── rewriting ───────────────────────────────────────────────────────────────

interface RewriteTable {
  map: Map<string, { to: string; also: string[] }>;
  maxLen: number;
}

function buildTable(groups: RewriteGroup[], keep: string[], label: string): RewriteTable {
  const map = new Map<string, { to: string; also: string[] }>();
  let maxLen = 1;
  for (const g of groups) {
    for (const raw of g.from) {
      const from = foldText(raw);
      const prev = map.get(from);
      if (prev && prev.to !== g.to) {
        throw new Error(`${label}: "${raw}" is rewritten both to "${prev.to}" and "${g.to}"`);
      }
      map.set(from, { to: g.to, also: g.also ?? [] });
      maxLen = Math.max(maxLen, from.length);
    }
  }
  // Targets and protected terms map to themselves, so a word already in plan
  // form is not rewritten again (未成年人 must not become 未成年人人).
  for (const k of [...keep, ...groups.map((g) => g.to)]) {
    const f = foldText(k);
    if (!map.has(f)) map.set(f, { to: f, also: [] });
    maxLen = Math.max(maxLen, f.length);
  }
  return { map, maxLen };
}

export interface RewriteStep {
  from: string;
  to: string;
}

/**
 * One left-to-right pass; at each position the longest entry wins, and the
 * replacement is not rescanned (so 孩子 → 儿童 cannot cascade).
 */
function applyTable(
  text: string,
  table: RewriteTable,
): { text: string; also: string[]; steps: RewriteStep[]; alternatives: Record<string, string[]> } {
  let out = "";
  const also: string[] = [];
  const alternatives: Record<string, string[]> = {};
  const steps: RewriteStep[] = [];
  let i = 0;
  while (i < text.length) {
    let matched = false;
    for (let len = Math.min(table.maxLen, text.length - i); len >= 1; len--) {
      const piece = text.slice(i, i + len);
      const hit = table.map.get(piece);
      if (hit) {
        out += hit.to;
        if (hit.to !== piece) steps.push({ from: piece, to: hit.to });
        also.push(...hit.also);
        if (hit.also.length > 0) alternatives[hit.to] = [...new Set([...(alternatives[hit.to] ?? []), ...hit.also])];
        i += len;
        matched = true;
        break;
      }
    }
    if (!matched) {
      out += text[i];
      i++;
    }
  }
  return { text: out, also, steps, alternatives };
}

export interface NormalizedQuery {
  /** What the resident sent. */
  original: string;
  /** After `foldText` only (for checks that want the resident's own words). */
  folded: string;
  /** After typo fixes and synonym rewriting: what is searched. */
  text: string;
  /** Extra search terms some rewrites add (闺女 → 女儿, also 女童/儿童). */
  expansions: string[];
  /** The rewrites applied, in order (typos first). */
  rewrites: RewriteStep[];
  /** For a rewritten word, the extra terms that also count as covering it (诈骗 → 报警). */
  alternatives: Record<string, string[]>;
}

export interface Normalizer {
  fold(text: string): string;
  normalize(text: string): NormalizedQuery;
}

/**
 * Builds a normaliser from a validated lexicon (pure; no I/O). `extraKeep`
 * protects more terms from rewriting — pass the plans' vocabulary so a plan
 * term (孕妇学校, 留守老人) is never rewritten from the inside.
 */
export function createNormalizer(lexicon: Lexicon, extraKeep: readonly string[] = []): Normalizer {
  const keep = [...lexicon.keep, ...extraKeep.filter((w) => [...w].length >= 3)];
  const typoTable = buildTable(lexicon.typos, keep, "typos.yaml");
  const synonymTable = buildTable(lexicon.synonyms, keep, "synonyms.yaml");
  const patterns = (lexicon.patterns ?? []).map((p) => ({ re: new RegExp(p.pattern, "gu"), to: p.to }));
  return {
    fold: foldText,
    normalize(original: string): NormalizedQuery {
      const folded = foldText(original);
      const a = applyTable(folded, typoTable);
      const b = applyTable(a.text, synonymTable);
      let text = b.text;
      for (const p of patterns) {
        const next = text.replace(p.re, p.to);
        if (next !== text) b.steps.push({ from: p.re.source, to: p.to });
        text = next;
      }
      const expansions = [...new Set([...a.also, ...b.also])];
      return {
        original,
        folded,
        text,
        expansions,
        rewrites: [...a.steps, ...b.steps],
        alternatives: { ...a.alternatives, ...b.alternatives },
      };
    },
  };
}

// ── loading ─────────────────────────────────────────────────────────────────

/** Parses and validates the two YAML files' contents (pure). */
export function parseLexicon(synonymsYaml: string, typosYaml: string): Lexicon {
  const syn = synonymsFileSchema.safeParse(parseYaml(synonymsYaml));
  if (!syn.success) throw new Error(`synonyms.yaml: ${z.prettifyError(syn.error)}`);
  const typ = typosFileSchema.safeParse(parseYaml(typosYaml));
  if (!typ.success) throw new Error(`typos.yaml: ${z.prettifyError(typ.error)}`);
  const lexicon = {
    keep: syn.data.keep,
    patterns: syn.data.patterns,
    synonyms: syn.data.groups,
    typos: typ.data.groups,
  };
  // Building the tables checks for contradictory entries.
  createNormalizer(lexicon);
  return lexicon;
}

/**
 * The words rewrites produce and the protected terms: they are plan
 * vocabulary, so the tokenizer must keep them whole (入园, 反拐, 犬类 …).
 */
export function lexiconWords(lexicon: Lexicon): string[] {
  return [
    ...new Set([...lexicon.keep, ...lexicon.synonyms.map((g) => g.to), ...lexicon.typos.map((g) => g.to)]),
  ].filter((w) => [...w].length >= 2 && !/\s/u.test(w));
}

export const SEARCH_KNOWLEDGE_DIR = new URL("../../knowledge/search/", import.meta.url);

/** Reads knowledge/search/synonyms.yaml and typos.yaml. */
export function loadLexicon(dir: URL = SEARCH_KNOWLEDGE_DIR): Lexicon {
  return parseLexicon(
    readFileSync(new URL("synonyms.yaml", dir), "utf8"),
    readFileSync(new URL("typos.yaml", dir), "utf8"),
  );
}

/** Reads a one-term-per-line list (stopwords.txt, user-dict.txt); `#` starts a comment. */
export function readWordList(file: URL): string[] {
  return parseWordList(readFileSync(file, "utf8"));
}

/** Pure part of `readWordList`. */
export function parseWordList(content: string): string[] {
  const out: string[] = [];
  for (const line of content.split(/\r?\n/u)) {
    const t = line.replace(/#.*$/u, "").trim();
    if (t) out.push(t);
  }
  return out;
}
