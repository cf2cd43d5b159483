/**
 * Builds the reply for the chat contract from what search found (pure).
 *
 * Extractive: a plan answer quotes the best clause and names it
 * (《济源示范区儿童发展规划（2021—2030年）》（五）儿童与家庭 · 主要目标（6）：…);
 * a figure question leads with the figure; a service answer lists entries
 * with their phone where known, otherwise how to reach them, plus the
 * relevant hotline. When nothing covers the question well enough the reply
 * says so plainly, points to 12345 and marks the question unanswered.
 */
import type { AnswerResult, Citation, ServiceCard } from "../chat/chat-types.ts";
import type { PlanClause, ServiceEntry } from "../knowledge/knowledge-types.ts";
import type { PlanSearchHit, ServiceSearchHit } from "../search/search-index.ts";
import type { IntentResult } from "./intent-fns.ts";

export const MAX_REPLY_CHARS = 600;

export interface ComposeThresholds {
  /** A plan clause must cover at least this share of the question's key words. */
  planCoverage: number;
  /** Extra clauses are cited when they cover at least this share … */
  extraCoverage: number;
  /** … and score at least this fraction of the best clause. */
  extraScoreRatio: number;
  /** A service entry must cover at least this share of the key words to be listed. */
  serviceCoverage: number;
  /** Service entries listed at most. */
  maxServices: number;
  /** Key-word weight a service entry may lack and still be relevant. */
  negligibleMissing: number;
  /**
   * A plan question whose key words all occur in at least this many clauses and
   * entries (儿童, 妇女 alone) is asked to be more specific.
   */
  commonDf: number;
}

export const DEFAULT_THRESHOLDS: ComposeThresholds = {
  planCoverage: 0.4,
  extraCoverage: 0.6,
  extraScoreRatio: 0.5,
  serviceCoverage: 0.3,
  maxServices: 3,
  negligibleMissing: 2,
  commonDf: 40,
};

export interface ComposeInput {
  intent: IntentResult;
  planHits: readonly PlanSearchHit[];
  serviceHits: readonly ServiceSearchHit[];
  /** All hotline entries of the directory (12345 is the fallback). */
  hotlines: readonly ServiceEntry[];
  /** Hotlines the question names by number (12338 …). */
  namedHotlines?: readonly ServiceEntry[];
  /** The 街道/镇 the question or the request names. */
  area: string | null;
  /** The question's key words with weights (SearchIndex.keyTerms), most telling first. */
  keyTerms?: ReadonlyArray<{ word: string; weight: number; df?: number }>;
  thresholds?: Partial<ComposeThresholds>;
}

// ── formatting helpers ──────────────────────────────────────────────────────

const CN_DIGITS = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/** 1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (domain and chapter ordinals). */
export function chineseOrdinal(n: number): string {
  if (n <= 0 || n >= 100 || !Number.isInteger(n)) return String(n);
  if (n < 10) return CN_DIGITS[n] as string;
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? "" : CN_DIGITS[tens]}十${ones === 0 ? "" : CN_DIGITS[ones]}`;
}

/** 《济源示范区儿童发展规划（2021—2030年）》（五）儿童与家庭 · 主要目标（6） */
export function clauseLabel(c: PlanClause): string {
  const parts: string[] = [`《${c.planTitle}》`];
  if (c.domain) parts.push(`${c.domainIndex ? `（${chineseOrdinal(c.domainIndex)}）` : ""}${c.domain} · `);
  parts.push(c.chapter);
  if (c.number !== null) parts.push(`（${c.number}）`);
  return parts.join("");
}

/** Cuts text to `max` characters (code points), ending with “…” when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return "…";
  return `${chars.slice(0, max - 1).join("")}…`;
}

function charLength(s: string): number {
  return [...s].length;
}

/**
 * Joins the reply parts; the part marked `flex` (the quote) is shortened so
 * the whole reply stays within MAX_REPLY_CHARS.
 */
function assemble(parts: Array<{ text: string; flex?: boolean }>, max = MAX_REPLY_CHARS): string {
  const present = parts.filter((p) => p.text.length > 0);
  const fixed = present.filter((p) => !p.flex).reduce((n, p) => n + charLength(p.text), 0);
  const sep = Math.max(0, present.length - 1);
  const flexParts = present.filter((p) => p.flex);
  let room = max - fixed - sep;
  const out = present.map((p) => {
    if (!p.flex) return p.text;
    const share = Math.max(0, Math.floor(room / flexParts.length));
    const t = share >= 20 ? truncate(p.text, share) : "";
    room -= charLength(t);
    return t;
  });
  return truncate(out.filter((t) => t.length > 0).join("\n"), max);
}

function planName(plan: PlanClause["plan"]): string {
  return plan === "women" ? "妇女发展规划" : "儿童发展规划";
}

// ── figures ─────────────────────────────────────────────────────────────────

const NUMERAL = "[0-9０-９.．一二三四五六七八九十百千万两半]";

/** Unit families the question may ask for, with the units a clause may use. */
const UNIT_PATTERNS: Record<string, string> = {
  天: "天|日",
  周: "周|星期",
  月: "个月|月",
  年: "年",
  岁: "岁|周岁",
  元: "元|块",
  次: "次|回",
  名: "名|位|人",
  所: "所|家|个",
  张: "张",
  课时: "课时|节",
  小时: "小时",
  分钟: "分钟",
  时长: "个工作日|工作日|天|日|周|星期|个月|月|年|小时|分钟",
};

/** Whether `text` states a number in the unit family (“每年组织1次”, “不少于12课时”). */
export function statesFigureIn(text: string, unit: string): boolean {
  const units = UNIT_PATTERNS[unit];
  if (!units) return true;
  return new RegExp(`${NUMERAL}\\s*(?:${units})`, "u").test(text);
}

/** Sentences of a clause that state a figure and mention the question's words. */
function figureSentences(c: PlanClause, keyWords: readonly string[], unit: string | null): string[] {
  const sentences = c.text.split(/(?<=[。；;])/u).map((s) => s.trim());
  const scored = sentences
    .filter((s) => /[0-9０-９]/u.test(s) || /[一二三四五六七八九十]\s*(?:名|次|所|个)/u.test(s))
    .filter((s) => (unit ? statesFigureIn(s, unit) : true))
    .map((s) => ({ s, n: keyWords.filter((w) => s.includes(w)).length }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n);
  return scored.map((x) => x.s);
}

// ── replies ─────────────────────────────────────────────────────────────────

export const CAPABILITIES_REPLY = [
  "您好！我是济源妇儿服务助手，可以帮您：",
  "1. 查《济源示范区妇女发展规划（2021—2030年）》《济源示范区儿童发展规划（2021—2030年）》的目标和措施；",
  "2. 找家长学校、儿童之家、法律援助、妇联、未成年人保护工作站等服务和求助热线。",
  "可以这样问：“宫颈癌筛查率的目标是多少？”“孩子在学校被欺负，规划咋管？”“克井镇的儿童之家在哪？”",
  "遇到正在发生的危险，请直接拨打110。",
].join("\n");

export const VAGUE_REPLY = [
  "能说得具体一点吗？比如想了解哪一方面：",
  "· 规划目标：“孕产妇死亡率要降到多少？”“学前教育毛入园率目标是多少？”",
  "· 规划措施：“规划对校园欺凌咋管？”“留守儿童有啥关爱措施？”",
  "· 找服务：“沁园街道的儿童之家在哪？”“法律援助找谁？”",
].join("\n");

const FALLBACK_HOTLINE_LINE = "不清楚找哪个部门时，可以拨打12345政务服务便民热线咨询。";

function unknownResult(reply: string, reason: "unknown" | "weak", topScore: number | null): AnswerResult {
  return {
    kind: "unknown",
    reply: truncate(reply, MAX_REPLY_CHARS),
    citations: [],
    services: [],
    unanswered: { reason, topScore },
  };
}

function notCoveredReply(extra = ""): string {
  return [
    `抱歉，济源示范区妇女、儿童发展规划（2021—2030年）和本地服务目录里没有找到能回答这个问题的内容${extra}。`,
    "建议拨打12345政务服务便民热线咨询相关部门。",
    "我可以回答规划里的目标和措施，以及家长学校、儿童之家、法律援助、妇联等服务在哪里、怎么联系。",
  ].join("\n");
}

function serviceLine(e: ServiceEntry): string {
  const head = `· ${e.name}`;
  if (e.phone) {
    const bits = [`电话${e.phone}`];
    if (e.address) bits.push(`地址：${e.address}`);
    if (e.hours) bits.push(`时间：${e.hours}`);
    return `${head}：${bits.join("，")}`;
  }
  if (e.address) return `${head}：地址：${e.address}${e.hours ? `，时间：${e.hours}` : ""}`;
  return `${head}：${truncate(e.howToReach ?? "联系方式尚未核实，可拨打12345政务服务便民热线询问。", 90)}`;
}

function toCard(e: ServiceEntry): ServiceCard {
  return {
    id: e.id,
    name: e.name,
    category: e.category,
    area: e.area,
    phone: e.phone,
    address: e.address,
    hours: e.hours,
  };
}

function citationOf(c: PlanClause): Citation {
  return {
    id: c.id,
    plan: c.plan,
    domain: c.domain,
    section: c.section,
    number: c.number,
    title: c.title,
    text: c.text,
  };
}

/** The clauses worth citing: the best one plus close runners-up. */
function citedClauses(hits: readonly PlanSearchHit[], t: ComposeThresholds): PlanSearchHit[] {
  const top = hits[0];
  if (!top) return [];
  const out = [top];
  for (const h of hits.slice(1)) {
    if (out.length >= 3) break;
    if (h.coverage >= Math.max(t.extraCoverage, top.coverage * 0.8) && h.score >= top.score * t.extraScoreRatio) {
      out.push(h);
    }
  }
  return out;
}

function keyWordsOf(hit: PlanSearchHit, all: readonly PlanSearchHit[]): string[] {
  // Matched query terms longer than one character, most specific first.
  const words = new Set<string>();
  for (const h of [hit, ...all]) for (const w of h.matchedTerms) if ([...w].length >= 2) words.add(w);
  return [...words].sort((a, b) => b.length - a.length);
}

/** The clause sentence (not its lead) mentioning most of the question's words. */
function bestSentence(c: PlanClause, keyWords: readonly string[]): string | null {
  const sentences = c.text
    .split(/(?<=[。；;])/u)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  let best: { s: string; n: number } | null = null;
  for (const [i, x] of sentences.entries()) {
    if (i === 0) continue;
    const n = keyWords.filter((w) => x.includes(w)).reduce((sum, w) => sum + [...w].length, 0);
    if (n > 0 && (!best || n > best.n)) best = { s: x, n };
  }
  return best && best.s.length <= 160 ? best.s : null;
}

/** The two most telling key words of the question (or the matched terms when unknown). */
function focusWords(input: ComposeInput, fallback: readonly string[]): string[] {
  const terms = [...(input.keyTerms ?? [])].sort((a, b) => b.weight - a.weight).slice(0, 2);
  return terms.length > 0 ? terms.map((k) => k.word) : [...fallback];
}

/** The lead sentence for a figure question. */
function figureLead(hit: PlanSearchHit, keyWords: readonly string[], unit: string | null): string | null {
  const c = hit.clause;
  if (c.targets.length > 0) {
    // Each stated target and each phrase of the goal compete on how much of the
    // question they mention: 乳腺癌筛查率 is answered by “乳腺癌人群筛查率逐步
    // 提高”, not by the 宫颈癌 figure next to it.
    const score = (text: string) => keyWords.filter((w) => text.includes(w)).reduce((n, w) => n + [...w].length, 0);
    const items: Array<{ text: string; score: number; target: boolean }> = c.targets.map((t) => ({
      text: `${t.indicator} ${t.value}`,
      score: score(t.indicator),
      target: true,
    }));
    for (const phrase of c.text.split(/[，。；,;]/u)) {
      const p = phrase.trim();
      if (!p || c.targets.some((t) => p.includes(t.value.replace(/\s+/gu, "")))) continue;
      items.push({ text: p, score: score(p), target: false });
    }
    const best = Math.max(...items.map((i) => i.score));
    if (best <= 0) return `规划定的目标：${c.targets.map((t) => `${t.indicator} ${t.value}`).join("；")}。`;
    const chosen = items.filter((i) => i.score >= best * 0.75).slice(0, 4);
    const label = chosen.some((i) => i.target) ? "规划定的目标：" : "规划写的是：";
    return `${label}${chosen.map((i) => i.text).join("；")}。`;
  }
  const sentences = figureSentences(c, keyWords, unit);
  if (sentences[0]) return `规划写的是：${sentences[0]}`;
  return null;
}

function composePlanAnswer(input: ComposeInput, t: ComposeThresholds): AnswerResult {
  const hits = input.planHits;
  const top = hits[0];
  if (!top) return unknownResult(notCoveredReply(), "unknown", null);
  if (top.coverage < t.planCoverage) return unknownResult(notCoveredReply(), "weak", top.score);

  const cited = citedClauses(hits, t);
  const unit = input.intent.quantity?.unit ?? null;
  if (input.intent.intent === "plan_target" && unit && UNIT_PATTERNS[unit]) {
    // A figure in a unit the plans do not state (产假多少天, 社保交多少钱) is not answered
    // with a loosely related clause.
    // The figure must be stated about what the question is about: a sentence in
    // the asked unit that mentions one of its most telling words (12岁儿童龋患率
    // does not answer 几岁上小学).
    const focus = focusWords(input, keyWordsOf(top, hits.slice(0, 5)));
    const states = (h: PlanSearchHit) => figureSentences(h.clause, focus, unit).length > 0;
    if (!cited.some(states)) {
      // A clause a little further down may state it (每天户外活动不少于1小时).
      const stating = hits.slice(1, 5).find((h) => h.coverage >= t.planCoverage && states(h));
      if (stating) cited.unshift(stating);
    }
    if (!cited.some(states)) {
      // Name what the plan does say about it (完善产假制度), not the clause heading.
      const phrase = top.clause.text.split(/[，。；,;]/u).find((p) => focus.some((w) => p.includes(w)));
      const mention = truncate(phrase?.trim() || top.clause.title, 40);
      return unknownResult(
        [
          `规划里只提到“${mention}”，没有写明您问的具体数字。`,
          "具体标准请拨打12345政务服务便民热线，向人社、卫健、医保等相关部门咨询。",
        ].join("\n"),
        "weak",
        top.score,
      );
    }
  }

  const keyWords = keyWordsOf(top, cited);
  let lead: string;
  if (input.intent.intent === "plan_target") {
    // A figure question is answered from a 主要目标 clause stating the figure when
    // one covers the question nearly as well as the best clause.
    const close = hits.slice(0, 4).filter((h) => h.coverage >= Math.max(t.planCoverage, top.coverage * 0.75));
    const withTargets = close.find(
      (h) => h.clause.targets.length > 0 && h.clause.targets.some((x) => keyWords.some((w) => x.indicator.includes(w))),
    );
    const goal = close.find((h) => h.clause.section === "goal");
    const withFigure = withTargets ?? close.find((h) => figureLead(h, keyWords, unit) !== null);
    const preferred = withFigure ?? goal ?? top;
    if (preferred !== cited[0]) {
      const at = cited.indexOf(preferred);
      if (at >= 0) cited.splice(at, 1);
      cited.unshift(preferred);
      if (cited.length > 3) cited.pop();
    }
    if (!cited.some((h) => h.clause.section === "goal")) {
      // The question asks for a target: cite the best goal clause that still covers it.
      const anyGoal = hits.slice(0, 4).find((h) => h.clause.section === "goal" && h.coverage >= t.planCoverage);
      if (anyGoal) {
        if (cited.length >= 3) cited.pop();
        cited.push(anyGoal);
      }
    }
    const figure = withFigure ? figureLead(withFigure, keyWords, unit) : null;
    lead =
      figure ??
      (preferred.clause.section === "goal"
        ? "规划对这一项没有定具体数字，提出的目标是："
        : "规划里没有写具体数字，相关内容是：");
  } else {
    // Lead with the sentence that answers, when the clause is long.
    const sentence = top.clause.text.length > 120 ? bestSentence(top.clause, keyWords) : null;
    lead = sentence ? `${planName(top.clause.plan)}提出：${sentence}` : `${planName(top.clause.plan)}里有相关内容：`;
  }
  const first = cited[0] as PlanSearchHit;
  const placeNote = input.intent.otherPlace
    ? `（以上是济源示范区的规划，不代表${input.intent.otherPlace}的情况。）`
    : "";
  const others = cited
    .slice(1)
    .map((h) => `另见${clauseLabel(h.clause)}：${h.clause.title}。`)
    .join("\n");
  const reply = assemble([
    { text: lead },
    { text: `${clauseLabel(first.clause)}：${first.clause.text}`, flex: true },
    { text: others, flex: true },
    { text: placeNote },
  ]);
  return {
    kind: "answer",
    reply,
    citations: cited.map((h) => citationOf(h.clause)),
    services: [],
    unanswered: null,
  };
}

interface ServicePick {
  /** Entries shown as cards: the area's own points, district-wide entries, hotlines. */
  entries: ServiceEntry[];
  /** When the area is unknown: how to reach a kind of local point, one line per category. */
  localHints: Array<{ label: string; howToReach: string }>;
}

function pickServices(input: ComposeInput, t: ComposeThresholds): ServicePick {
  const hits = input.serviceHits;
  const best = hits.reduce((m, h) => Math.max(m, h.score), 0);
  // Relevant: covers enough of the question, or misses nothing substantive (谁管儿童的事).
  const relevant = hits.filter(
    (h) => (h.coverage >= t.serviceCoverage || h.missingWeight <= t.negligibleMissing) && h.score >= best * 0.25,
  );
  const entries: ServiceEntry[] = [];
  const localHints: ServicePick["localHints"] = [];
  const seen = new Set<string>();
  const push = (e: ServiceEntry) => {
    if (!seen.has(e.id) && entries.length < t.maxServices) {
      seen.add(e.id);
      entries.push(e);
    }
  };
  for (const e of input.namedHotlines ?? []) push(e);
  for (const h of relevant) {
    const e = h.entry;
    if (e.area === null) push(e);
    else if (input.area && e.area === input.area) push(e);
    else if (!input.area && e.howToReach && localHints.length < 2) {
      // Local points exist in every 街道/镇; without the area, say how to reach one.
      const label = CATEGORY_HINT_LABELS[e.category] ?? e.category;
      if (!localHints.some((l) => l.label === label)) localHints.push({ label, howToReach: e.howToReach });
    }
  }
  return { entries, localHints };
}

const CATEGORY_HINT_LABELS: Partial<Record<ServiceEntry["category"], string>> = {
  parent_school: "家长学校",
  family_education_station: "家庭教育指导服务站点",
  children_home: "儿童之家",
  children_director: "儿童主任",
  women_home: "妇女之家",
  public_legal_service: "公共法律服务站（室）",
  legal_aid: "法律援助",
  marriage_mediation: "婚姻家庭纠纷调解",
  social_work_station: "社会工作站",
  minor_protection_station: "未成年人保护工作站",
  childcare: "托育服务",
  maternal_child_health: "妇幼保健",
};

function composeServiceAnswer(input: ComposeInput, t: ComposeThresholds): AnswerResult {
  const { entries, localHints } = pickServices(input, t);
  const topPlan = input.planHits[0];
  const planOk = topPlan !== undefined && topPlan.coverage >= t.planCoverage;
  if (entries.length === 0 && localHints.length === 0 && !planOk) {
    return unknownResult(notCoveredReply(), topPlan ? "weak" : "unknown", topPlan?.score ?? null);
  }
  const lines: string[] = [];
  if (entries.length > 0 || localHints.length > 0) {
    lines.push(input.area ? `${input.area}可以找这些服务：` : "可以找这些服务：");
    for (const e of entries) lines.push(serviceLine(e));
    for (const h of localHints) lines.push(`· ${h.label}（各村、社区）：${truncate(h.howToReach, 90)}`);
  }
  const tail: string[] = [];
  if (localHints.length > 0) tail.push("告诉我您所在的街道或镇，可以给您就近的服务点。");
  if (!entries.some((e) => e.phone)) {
    // Nothing listed has a number: add the 政务服务便民热线 as a card.
    const fallback = input.hotlines.find((e) => e.phone === "12345");
    if (fallback && lines.length > 0) {
      entries.push(fallback);
      lines.push(serviceLine(fallback));
    } else tail.push(FALLBACK_HOTLINE_LINE);
  } else if (!entries.some((e) => e.category === "hotline")) tail.push(FALLBACK_HOTLINE_LINE);
  const planPart =
    planOk && topPlan
      ? `${lines.length > 0 ? "规划依据" : "规划里有相关内容"}：${clauseLabel(topPlan.clause)}：${topPlan.clause.text}`
      : "";
  const reply = assemble([{ text: lines.join("\n") }, { text: planPart, flex: true }, { text: tail.join("\n") }]);
  return {
    kind: entries.length > 0 ? "services" : "answer",
    reply,
    citations: planOk && topPlan ? [citationOf(topPlan.clause)] : [],
    services: entries.map(toCard),
    unanswered: null,
  };
}

/** Builds the reply for one question. */
export function composeAnswer(input: ComposeInput): AnswerResult {
  const t: ComposeThresholds = { ...DEFAULT_THRESHOLDS, ...input.thresholds };
  const intent = input.intent;
  if (intent.intent === "greeting" || intent.intent === "capabilities") {
    return { kind: "clarify", reply: CAPABILITIES_REPLY, citations: [], services: [], unanswered: null };
  }
  if (intent.intent === "out_of_scope") {
    if (intent.otherPlace) {
      return unknownResult(
        [
          `我只能解答济源示范区的妇女、儿童发展规划（2021—2030年）和济源本地服务，不能用济源的数字回答${intent.otherPlace}的问题。`,
          `${intent.otherPlace}的政策请咨询当地有关部门，或拨打当地的12345政务服务便民热线。`,
        ].join("\n"),
        "unknown",
        null,
      );
    }
    return unknownResult(notCoveredReply(), "unknown", null);
  }
  if (intent.intent === "service") return composeServiceAnswer(input, t);
  if (input.keyTerms?.every((k) => (k.df ?? 0) >= t.commonDf)) {
    // “儿童”, “规划” alone: nothing specific to pick a clause by — ask what about.
    return { kind: "clarify", reply: VAGUE_REPLY, citations: [], services: [], unanswered: null };
  }
  return composePlanAnswer(input, t);
}
