/**
 * Normalisation of a resident's message before triage. Pure functions.
 *
 * 1. NFKC: full-width letters, digits and punctuation → half-width (ｋｉｌｌ → kill, ！→ !, … → ...).
 * 2. Typographic quotes → ASCII (I’m → I'm), zero-width / invisible characters removed.
 * 3. Traditional → simplified Chinese with opencc-js (離婚後 → 离婚后, 跟著 → 跟着).
 * 4. Latin lower-cased; runs of whitespace collapsed to one space.
 * 5. Aliases from knowledge/triage/normalize.yaml: typos and homophones (家报 → 家暴,
 *    紫砂 → 自杀), pinyin (bu xiang huo le → 不想活了), English (kill myself → 想自杀),
 *    emoji (🔪 → 刀, 🆘 → 救命).
 *
 * The result keeps spaces: they separate clauses in messages typed without punctuation.
 */
import * as OpenCC from "opencc-js/t2cn";
import type { CompiledAlias } from "./triage-types.ts";

const toSimplified = OpenCC.Converter({ from: "twp", to: "cn" });

// Zero-width and invisible formatting characters, variation selectors, BOM, soft hyphen.
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]|\p{Variation_Selector}/gu;
// C0/C1 control characters (newline and tab included: they become spaces).
const CONTROL = /\p{Cc}/gu;
const SINGLE_QUOTES = /[\u2018\u2019\u201A\u201B\u2032\u00B4\u0060]/gu;
const DOUBLE_QUOTES = /[\u201C\u201D\u201E\u201F\u2033]/gu;

/** Character-level folding: NFKC, quotes, invisible characters, traditional → simplified, lower case, spaces. */
export function foldForTriage(text: string): string {
  let s = text.normalize("NFKC");
  s = s.replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"');
  s = s.replace(INVISIBLE, "").replace(CONTROL, " ");
  s = toSimplified(s);
  s = s.toLowerCase();
  return s.replace(/\s+/gu, " ").trim();
}

const OPEN = "\u0001";
const CLOSE = "\u0002";
const HAN = "\\p{Script=Han}";
// A space between Chinese produced from a Latin form (pinyin, English) and Chinese next to it is the
// space between two English words, not a pause of the resident's: "my son went missing" → 我儿子不见了.
const SPACE_AFTER = new RegExp(`${CLOSE}\\s+(?=${OPEN}|${HAN})`, "gu");
const SPACE_BEFORE = new RegExp(`(${HAN}|${CLOSE})\\s+${OPEN}`, "gu");
const MARKS = new RegExp(`[${OPEN}${CLOSE}]`, "gu");
const LATIN_FORM = /[a-z]/;

function applyAlias(s: string, a: CompiledAlias): string {
  a.re.lastIndex = 0;
  let latin = false;
  const out = s.replace(a.re, (...args: unknown[]) => {
    const match = args[0] as string;
    // Capture groups come between the match and the (numeric) offset.
    const offsetAt = args.findIndex((x, i) => i > 0 && typeof x === "number");
    const groups = args.slice(1, offsetAt) as (string | undefined)[];
    const to = a.to.replace(/\$(\d)/g, (_, n: string) => groups[Number(n) - 1] ?? "");
    if (!LATIN_FORM.test(match)) return to;
    latin = true;
    return `${OPEN}${to}${CLOSE}`;
  });
  if (!latin) return out;
  return out.replace(SPACE_AFTER, CLOSE).replace(SPACE_BEFORE, `$1${OPEN}`).replace(MARKS, "");
}

/** Applies the alias table in order (each alias rewrites every occurrence of its forms). */
export function applyAliases(text: string, aliases: readonly CompiledAlias[]): string {
  let s = text;
  for (const a of aliases) s = applyAlias(s, a);
  return s;
}

/** Full triage normalisation: fold, then aliases. */
export function normalizeForTriage(text: string, aliases: readonly CompiledAlias[]): string {
  return applyAliases(foldForTriage(text), aliases);
}

/** Ids of the aliases that would rewrite something in already-folded text (for signals). */
export function firedAliases(folded: string, aliases: readonly CompiledAlias[]): string[] {
  const out: string[] = [];
  let s = folded;
  for (const a of aliases) {
    a.re.lastIndex = 0;
    if (a.re.test(s)) {
      out.push(a.id);
      s = applyAlias(s, a);
    }
  }
  return out;
}
