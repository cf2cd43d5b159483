/**
 * Turns the PDF-to-text dump of the two Jiyuan plans into PlanClause records.
 * Pure: no I/O, so tests and the loader share it and it can run on any copy of
 * the text.
 *
 * The dump's layout, which the parser relies on:
 * - every wrapped line is followed by a blank line, and lines break mid-word;
 * - a new page shows up as a leading space, sometimes with a `— 27 —` line;
 * - headings sit alone on a line: `一、…` parts, `（一）…` chapters/domains,
 *   `1.主要目标` / `2.策略措施`, and items start a line with `（1）` or `1.`.
 */

import type { NumericTarget, PlanClause, PlanId, PlanSection } from "./knowledge-types.ts";

/** Carries the 1-based source line so the loader can point at the file position. */
export class PlanParseError extends Error {
  readonly line: number;
  /** The message without the line suffix, for callers that prefix `file:line`. */
  readonly reason: string;
  constructor(reason: string, line: number) {
    super(`${reason} (line ${line})`);
    this.name = "PlanParseError";
    this.line = line;
    this.reason = reason;
  }
}

export interface SourceLine {
  /** 1-based line number in the source file. */
  line: number;
  text: string;
}

const PAGE_NUMBER = /^\s*[—–-]+\s*\d+\s*[—–-]+\s*$/;
const PLAN_HEADING = /^济源示范区(妇女|儿童)发展规划（\d{4}—\d{4}年）$/;
const PART_HEADING = /^([一二三四五六七八九十]+)、(.+)$/;
const CHAPTER_HEADING = /^（([一二三四五六七八九十]+)）(.+)$/;
const SECTION_HEADING = /^(\d+)[.．](主要目标|策略措施)$/;
const PAREN_ITEM = /^（(\d+)）/;
const DOT_ITEM = /^(\d+)[.．]/;

const NON_ASCII = "[^\\x00-\\x7f]";
/** Whitespace touching a CJK/full-width character is a PDF artefact (`宫颈 癌`, `2030 年`). */
const SPACE_NEXT_TO_CJK = new RegExp(`\\s+(?=${NON_ASCII})|(?<=${NON_ASCII})\\s+`, "g");

/** Lines with their numbers, page-number lines and blank lines removed, edges trimmed. */
export function toSourceLines(sourceText: string): SourceLine[] {
  const out: SourceLine[] = [];
  const raw = sourceText.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  for (let i = 0; i < raw.length; i++) {
    const text = (raw[i] ?? "").trim();
    if (text === "" || PAGE_NUMBER.test(text)) continue;
    out.push({ line: i + 1, text });
  }
  return out;
}

/**
 * Joins wrapped lines back into running text. Lines are joined with nothing
 * because the PDF wraps mid-word (`妇` / `女`), and any whitespace left next to
 * a CJK character is dropped; a space between two ASCII tokens survives.
 */
export function repairPdfText(lines: readonly string[]): string {
  return lines
    .map((l) => l.trim())
    .filter((l) => l !== "" && !PAGE_NUMBER.test(l))
    .join("")
    .replace(/\s+/g, " ")
    .replace(SPACE_NEXT_TO_CJK, "");
}

const CN_DIGITS: Record<string, number> = {
  一: 1,
  二: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};

/** 一…九十九; the plans never go past 十几. */
export function chineseNumeral(s: string): number | null {
  if (!/^[一二三四五六七八九十]+$/.test(s)) return null;
  const ten = s.indexOf("十");
  if (ten === -1) return s.length === 1 ? (CN_DIGITS[s] ?? null) : null;
  if (s.indexOf("十", ten + 1) !== -1) return null;
  const tensPart = s.slice(0, ten);
  const unitPart = s.slice(ten + 1);
  const tens = tensPart === "" ? 1 : CN_DIGITS[tensPart];
  const units = unitPart === "" ? 0 : CN_DIGITS[unitPart];
  if (tens === undefined || units === undefined || tensPart.length > 1 || unitPart.length > 1) return null;
  return tens * 10 + units;
}

/** Text up to (not including) the first of the given stops, or all of it. */
function leadSentence(text: string, stops: RegExp): string {
  const m = stops.exec(text);
  return (m ? text.slice(0, m.index) : text).trim();
}

const GOAL_TITLE_END = /[。；]/;
const MEASURE_TITLE_END = /。/;

// ---------------------------------------------------------------------------
// Numeric targets

/**
 * Verbs that tie an indicator to its figure. A bare `在` is too loose (`在镇
 * （街道）`) and only counts straight after a rate (`巩固率在96％以上`).
 */
const TARGET_VERB =
  "(?:保持在|稳定在|控制在|提高到|提高至|提升到|提升至|下降到|下降至|降低到|降低至|降至|降到|增至|增加到|达到|不低于|不少于|低于|高于|超过|总体得到|(?<=[率例重])在)";
/** A figure with an optional `/10万` denominator, unit and qualifier; ages and years are not targets. */
const TARGET_FIGURE =
  "(?:\\d+(?:\\.\\d+)?(?:/\\d+(?:\\.\\d+)?万)?(?:[％%‰]|万|名|张|所|个|小时|课时|次)?(?:以上|以下|以内|左右)?)";
const TARGET_RE = new RegExp(`(${TARGET_VERB})(${TARGET_FIGURE})`, "g");
/** Several figures sharing one verb: `分别降至3.0‰、5.0‰和6.0‰以下`. */
const SERIES_RE = new RegExp(`分别(${TARGET_VERB})(${TARGET_FIGURE}(?:[、和及]${TARGET_FIGURE})+)`, "g");
/** Figure first: `95%的城市社区和85%的村（居）建立家长学校…`. */
const SHARE_RE = /(?<=^|[，。；：,;]|和)(\d+(?:\.\d+)?[％%])的([^，。；：,;]+)/g;
const SHARE_PREDICATE = /建立|建成|设立|配备|接受|开展|拥有|具备/;
/** `示范区至少有1所标准化妇幼保健机构`. */
const AT_LEAST_RE = /至少有?(\d+)(所|个|名|张)([^，。；：,;]+)/g;

const HARD_BREAK = /[，。；：,;:“”]/;
const QUALIFIER = /(以上|以下|以内|左右)$/;

/** Start of the clause ending at `end`; brackets are skipped whole so `高中（含职业高中）阶段…` stays one phrase. */
function clauseStart(text: string, end: number, breakOnEnumeration: boolean): number {
  let depth = 0;
  let i = end;
  while (i > 0) {
    const ch = text.charAt(i - 1);
    if (ch === "）" || ch === ")") depth++;
    else if (ch === "（" || ch === "(") {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (HARD_BREAK.test(ch) || (breakOnEnumeration && ch === "、"))) break;
    i--;
  }
  return i;
}

function cleanIndicator(raw: string): string {
  return raw
    .replace(/^(?:到20\d\d年底?|其中)+/, "")
    .replace(/以[^以]*为单位$/, "")
    .replace(/(?:分别|均|总体|稳定|持续|逐步|不断|进一步|力争|基本)+$/, "")
    .trim();
}

/**
 * A bare `普及率` names no subject; the preceding clause usually does
 * (`实现农村卫生厕所基本普及，普及率不低于90%`), so borrow it from there.
 */
function withSubject(text: string, indicatorStart: number, indicator: string): string {
  const stem = /^(\p{Script=Han}{1,2})率$/u.exec(indicator)?.[1];
  if (!stem) return indicator;
  let end = indicatorStart;
  // Skip back over separators and a `到2025年` that sits between the clauses.
  for (let k = 0; k < 3 && end > 0; k++) {
    while (end > 0 && /[，。；,;]/.test(text.charAt(end - 1))) end--;
    const prev = text.slice(clauseStart(text, end, true), end);
    const at = prev.lastIndexOf(stem);
    if (at > 0) {
      const subject = prev
        .slice(0, at)
        .replace(/^(?:实现|推进|推动|加快)/, "")
        .replace(/(?:基本|全面|逐步)$/, "");
      return subject === "" ? indicator : subject + indicator;
    }
    end = clauseStart(text, end, true);
  }
  return indicator;
}

function indicatorBefore(text: string, end: number): string {
  const start = clauseStart(text, end, true);
  return withSubject(text, start, cleanIndicator(text.slice(start, end)));
}

/** `10%和5%以下` means both are upper bounds: give the first the last one's qualifier. */
function completeSeries(values: string[]): string[] {
  const qualifier = QUALIFIER.exec(values[values.length - 1] ?? "")?.[1] ?? "";
  return values.map((v) => (qualifier && !QUALIFIER.test(v) ? v + qualifier : v));
}

/**
 * `新生儿、婴儿和5岁以下儿童死亡率` → three indicators sharing the tail
 * `死亡率`; `贫血率和生长迟缓率` → two complete ones.
 */
function splitIndicatorList(indicator: string): string[] {
  const parts = indicator.split(/[、和及]/).filter((p) => p !== "");
  if (parts.length < 2) return [indicator];
  const last = parts[parts.length - 1] ?? "";
  const tail = /(死亡率|发生率|患病率|\p{Script=Han}{2}率)$/u.exec(last)?.[1];
  if (!tail) return parts;
  return parts.map((p, i) => (i === parts.length - 1 || /率$/.test(p) ? p : p + tail));
}

/**
 * Figures a goal states. Only what the text says: no figure, no target. A
 * series (`A和B分别控制在10%和5%以下`) becomes one target per indicator when
 * the counts line up.
 */
export function extractTargets(text: string): NumericTarget[] {
  const found: Array<NumericTarget & { at: number }> = [];
  const taken: Array<[number, number]> = [];
  const isTaken = (i: number) => taken.some(([a, b]) => i >= a && i < b);

  for (const m of text.matchAll(SERIES_RE)) {
    const figures = completeSeries((m[2] ?? "").split(/[、和及](?=\d)/));
    const start = clauseStart(text, m.index, false);
    const names = splitIndicatorList(cleanIndicator(text.slice(start, m.index)));
    figures.forEach((value, i) => {
      const indicator = names.length === figures.length ? (names[i] ?? "") : names.join("、");
      found.push({ indicator, value, at: m.index });
    });
    taken.push([m.index, m.index + m[0].length]);
  }

  for (const m of text.matchAll(TARGET_RE)) {
    if (isTaken(m.index)) continue;
    const indicator = indicatorBefore(text, m.index);
    if (indicator === "") continue;
    found.push({ indicator, value: m[2] ?? "", at: m.index });
    taken.push([m.index, m.index + m[0].length]);
  }

  for (const m of text.matchAll(SHARE_RE)) {
    if (isTaken(m.index)) continue;
    // Collect `N%的X和M%的Y…` and the predicate they share.
    const clauseEnd = m.index + m[0].length;
    const clause = text.slice(m.index, clauseEnd);
    const segments = clause.split(/和(?=\d+(?:\.\d+)?[％%]的)/);
    const last = segments[segments.length - 1] ?? "";
    const pred = SHARE_PREDICATE.exec(last);
    if (!pred) continue;
    const predicate = last.slice(pred.index);
    for (const seg of segments) {
      const sm = /^(\d+(?:\.\d+)?[％%])的(.*)$/.exec(seg);
      if (!sm) continue;
      const value = sm[1] ?? "";
      const subject = seg === last ? seg.slice(value.length + 1, pred.index) : (sm[2] ?? "");
      found.push({ indicator: `${subject}${predicate}`, value, at: m.index });
    }
    taken.push([m.index, clauseEnd]);
  }

  for (const m of text.matchAll(AT_LEAST_RE)) {
    if (isTaken(m.index)) continue;
    found.push({ indicator: m[3] ?? "", value: `至少${m[1]}${m[2]}`, at: m.index });
  }

  return found.sort((x, y) => x.at - y.at).map(({ indicator, value }) => ({ indicator, value }));
}

// ---------------------------------------------------------------------------
// Structure

const OTHER_SLUGS: Record<string, string> = {
  序言: "xy",
  指导思想: "zdsx",
  基本原则: "jbyz",
  总体目标: "ztmb",
  组织实施: "zzss",
  监测评估: "jcpg",
};

const PART_NAMES = ["指导思想、基本原则和总体目标", "发展领域、主要目标和策略措施", "组织实施", "监测评估"] as const;
const PART1_CHAPTERS = ["指导思想", "基本原则", "总体目标"] as const;

interface OpenClause {
  plan: PlanId;
  planTitle: string;
  domain: string | null;
  domainIndex: number | null;
  section: PlanSection;
  chapter: string;
  number: number | null;
  /** Paragraph ordinal for unnumbered prose, used only to build the id. */
  ordinal: number;
  /** Given by a heading line (组织实施 items); otherwise derived from the text. */
  heading: string | null;
  lines: string[];
  firstLine: number;
}

/** Display width: a full-width character counts twice, as it is printed. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += (ch.codePointAt(0) ?? 0) < 0x2000 ? 1 : 2;
  return w;
}

/**
 * Unnumbered prose (preamble, 指导思想, 总体目标) is split into paragraphs.
 * The dump has no blank-line paragraph marks, so this uses the print layout:
 * a paragraph ends with 。 on a short line, or on a full line followed by an
 * indented (two characters narrower) first line.
 */
function endsParagraph(current: string, next: string | undefined): boolean {
  if (!current.endsWith("。")) return false;
  if (displayWidth(current) < 50) return true;
  if (next === undefined) return true;
  const w = displayWidth(next);
  return w >= 50 && w <= 53 && !next.endsWith("。");
}

/**
 * Parses both plans. Throws PlanParseError (with the source line) when the
 * text does not have the expected shape: a heading out of sequence, a number
 * skipped or repeated, text outside any item, a domain without goals or
 * measures, a plan missing a part.
 */
export function parsePlans(sourceText: string): PlanClause[] {
  const lines = toSourceLines(sourceText);
  const parser = new PlanParser();
  for (let i = 0; i < lines.length; i++) {
    const current = lines[i] as SourceLine;
    parser.feed(current, lines[i + 1]);
  }
  return parser.end(lines.at(-1)?.line ?? 1);
}

/** Line-by-line state machine behind parsePlans. */
class PlanParser {
  readonly clauses: PlanClause[] = [];
  private readonly seenPlans = new Set<PlanId>();
  private plan: PlanId | null = null;
  private planTitle = "";
  private planLine = 0;
  /** 0 = preamble, then 一、…四、 */
  private part = 0;
  private chapter = "";
  private domain: string | null = null;
  private domainIndex: number | null = null;
  private domainLine = 0;
  private domainCounts = { goal: 0, measure: 0 };
  private section: PlanSection = "other";
  /** The current chapter is unnumbered prose, split into paragraphs. */
  private prose = false;
  private expectedNumber = 1;
  private ordinal = 0;
  /** （一）… headings seen in the current part. */
  private headingCount = 0;
  private open: OpenClause | null = null;

  feed({ line, text: raw }: SourceLine, next: SourceLine | undefined): void {
    const text = raw.replace(/\s+/g, "");

    const planMatch = PLAN_HEADING.exec(text);
    if (planMatch) {
      this.endPlan(line);
      const plan: PlanId = planMatch[1] === "妇女" ? "women" : "children";
      if (this.seenPlans.has(plan)) throw new PlanParseError(`plan "${plan}" appears twice`, line);
      this.seenPlans.add(plan);
      this.plan = plan;
      this.planTitle = text;
      this.planLine = line;
      this.part = 0;
      this.enterChapter("序言", true);
      return;
    }
    // The issuing notice precedes the first plan and belongs to neither.
    if (this.plan === null) return;

    const partMatch = PART_HEADING.exec(text);
    if (partMatch) {
      this.onPart(chineseNumeral(partMatch[1] ?? ""), partMatch[2] ?? "", text, line);
      return;
    }
    const chapterMatch = CHAPTER_HEADING.exec(text);
    if (chapterMatch && this.part >= 1) {
      this.onHeading(chineseNumeral(chapterMatch[1] ?? ""), chapterMatch[2] ?? "", text, line);
      return;
    }
    const sectionMatch = SECTION_HEADING.exec(text);
    if (sectionMatch && this.part === 2) {
      this.onSection(Number(sectionMatch[1]), sectionMatch[2] ?? "", text, line);
      return;
    }
    const parenItem = PAREN_ITEM.exec(text);
    if (parenItem && this.part === 2 && this.section !== "other") {
      this.startNumbered(Number(parenItem[1]), line, this.section).lines.push(raw);
      return;
    }
    // Sub-items `1.` inside a measure are part of the measure; only 基本原则 is a `1.` list.
    const dotItem = DOT_ITEM.exec(text);
    if (dotItem && this.chapter === "基本原则") {
      this.startNumbered(Number(dotItem[1]), line, "principle").lines.push(raw);
      return;
    }

    let clause = this.open;
    if (clause === null) {
      if (!this.prose) {
        const where = `${this.domain ?? this.plan} ${this.chapter || "(no heading)"}`;
        throw new PlanParseError(`text outside any numbered item under ${where}`, line);
      }
      clause = this.start(null, line, null);
    }
    clause.lines.push(raw);
    if (this.prose && endsParagraph(text, next?.text.replace(/\s+/g, ""))) this.close();
  }

  end(lastLine: number): PlanClause[] {
    this.endPlan(lastLine);
    for (const p of ["women", "children"] as const) {
      if (!this.seenPlans.has(p)) throw new PlanParseError(`plan "${p}" not found`, lastLine);
    }
    return this.clauses;
  }

  private onPart(n: number | null, name: string, text: string, line: number): void {
    if (n !== this.part + 1 || PART_NAMES[this.part] !== name) {
      throw new PlanParseError(`unexpected part heading "${text}" (expected ${PART_NAMES[this.part] ?? "none"})`, line);
    }
    this.endPart(line);
    this.part = n;
    this.headingCount = 0;
    // Parts 三/四 are lists of （一）… items under the part's own name.
    this.enterChapter(this.part >= 3 ? name : "", false);
  }

  private onHeading(n: number | null, name: string, text: string, line: number): void {
    if (n !== this.headingCount + 1) {
      throw new PlanParseError(`heading "${text}" out of sequence (expected （${this.headingCount + 1}）)`, line);
    }
    this.headingCount = n;
    if (this.part === 1) {
      if (PART1_CHAPTERS[n - 1] !== name) throw new PlanParseError(`unexpected chapter "${text}"`, line);
      this.enterChapter(name, name !== "基本原则");
    } else if (this.part === 2) {
      const prefix = this.plan === "women" ? "妇女" : "儿童";
      if (!name.startsWith(prefix)) {
        throw new PlanParseError(`domain "${name}" does not belong to the ${this.plan} plan`, line);
      }
      this.endDomain();
      this.domain = name;
      this.domainIndex = n;
      this.domainLine = line;
      this.domainCounts = { goal: 0, measure: 0 };
      this.enterChapter("", false);
    } else {
      this.startNumbered(n, line, "item", name);
    }
  }

  private onSection(n: number, name: string, text: string, line: number): void {
    if (this.domain === null) throw new PlanParseError(`"${text}" outside a domain`, line);
    const goal = name === "主要目标";
    if (n !== (goal ? 1 : 2) || this.section !== (goal ? "other" : "goal")) {
      throw new PlanParseError(`section heading "${text}" out of order in ${this.domain}`, line);
    }
    this.enterChapter(name, false);
    this.section = goal ? "goal" : "measure";
  }

  private enterChapter(name: string, prose: boolean): void {
    this.close();
    this.chapter = name;
    this.prose = prose;
    this.section = "other";
    this.expectedNumber = 1;
    this.ordinal = 0;
  }

  private startNumbered(n: number, line: number, what: string, heading: string | null = null): OpenClause {
    if (n !== this.expectedNumber) {
      const where = `${this.domain ?? this.plan} ${this.chapter}`;
      throw new PlanParseError(`${what}: expected （${this.expectedNumber}）, found （${n}） under ${where}`, line);
    }
    this.expectedNumber++;
    if (this.section === "goal" || this.section === "measure") this.domainCounts[this.section]++;
    return this.start(n, line, heading);
  }

  private start(number: number | null, firstLine: number, heading: string | null): OpenClause {
    this.close();
    if (this.plan === null) throw new PlanParseError("clause outside any plan", firstLine);
    this.ordinal++;
    const clause: OpenClause = {
      plan: this.plan,
      planTitle: this.planTitle,
      domain: this.domain,
      domainIndex: this.domainIndex,
      section: this.section,
      chapter: this.chapter,
      number,
      ordinal: this.ordinal,
      heading,
      lines: [],
      firstLine,
    };
    this.open = clause;
    return clause;
  }

  private close(): void {
    if (this.open) this.clauses.push(finish(this.open));
    this.open = null;
  }

  private endDomain(): void {
    this.close();
    if (this.domain !== null && (this.domainCounts.goal === 0 || this.domainCounts.measure === 0)) {
      throw new PlanParseError(`domain ${this.domain} lacks 主要目标 or 策略措施 items`, this.domainLine);
    }
    this.domain = null;
    this.domainIndex = null;
  }

  private endPart(line: number): void {
    this.endDomain();
    if (this.part === 1 && this.headingCount !== PART1_CHAPTERS.length) {
      throw new PlanParseError(`part 一 of the ${this.plan} plan is missing a chapter`, line);
    }
    if (this.part >= 2 && this.headingCount === 0) {
      throw new PlanParseError(`part ${PART_NAMES[this.part - 1]} of the ${this.plan} plan is empty`, line);
    }
  }

  private endPlan(line: number): void {
    if (this.plan === null) return;
    this.endPart(line);
    if (this.part !== PART_NAMES.length) {
      throw new PlanParseError(
        `the ${this.plan} plan (line ${this.planLine}) ends before part ${PART_NAMES[this.part]}`,
        line,
      );
    }
  }
}

function finish(c: OpenClause): PlanClause {
  const body = repairPdfText(c.lines);
  let text: string;
  let title: string;
  if (c.heading !== null) {
    title = repairPdfText([c.heading]);
    text = body === "" ? title : `${title}\n${body}`;
  } else {
    // Keep the （6） / 1. label out of the text; it is in `number`.
    text = body.replace(/^(?:（\d+）|\d+[.．])/, "");
    title = leadSentence(text, c.section === "goal" ? GOAL_TITLE_END : MEASURE_TITLE_END);
  }
  if (text === "") throw new PlanParseError(`empty clause under ${c.domain ?? c.plan} ${c.chapter}`, c.firstLine);

  let id: string;
  if (c.section === "other") {
    const slug = OTHER_SLUGS[c.chapter];
    if (slug === undefined) throw new PlanParseError(`no id slug for chapter ${c.chapter}`, c.firstLine);
    id = `${c.plan}-other-${slug}-${c.number ?? c.ordinal}`;
  } else {
    id = `${c.plan}-d${c.domainIndex}-${c.section}-${c.number}`;
  }

  return {
    id,
    plan: c.plan,
    planTitle: c.planTitle,
    domain: c.domain,
    domainIndex: c.domainIndex,
    section: c.section,
    chapter: c.chapter,
    number: c.number,
    title,
    text,
    targets: c.section === "goal" ? extractTargets(text) : [],
  };
}
