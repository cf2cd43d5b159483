/**
 * MiniSearch indexes over the plan clauses and the service directory, with
 * the checks the answer composer needs: which of the question's key words a
 * hit covers, and which 街道/镇 the question names.
 *
 * `search()` has the shape of the chat routes' `SearchFn` (/api/search);
 * `searchPlans()` / `searchServices()` return richer hits for composing
 * answers. Both take a raw question and normalise it (fold + typos +
 * synonyms) unless given an already-normalised one.
 */
import type { Jieba } from "@node-rs/jieba";
import MiniSearch, { type SearchResult } from "minisearch";
import type { Citation, ServiceCard } from "../chat/chat-types.ts";
import type { SearchHit } from "../chat/search-types.ts";
import type { AreaDef, PlanClause, ServiceCategory, ServiceEntry } from "../knowledge/knowledge-types.ts";
import {
  createNormalizer,
  foldText,
  type Lexicon,
  lexiconWords,
  loadLexicon,
  type NormalizedQuery,
  type Normalizer,
} from "./normalize-fns.ts";
import {
  createJieba,
  createKeyTermExtractor,
  createTokenizer,
  DEFAULT_TOKENIZER,
  type KeyTerm,
  loadTokenizerResources,
  type Tokenizer,
  type TokenizerName,
  type TokenizerResources,
} from "./tokenizer-fns.ts";

/** Chinese labels of the service categories (searchable and shown to residents). */
export const CATEGORY_LABELS: Record<ServiceCategory, string> = {
  hotline: "热线电话",
  parent_school: "家长学校",
  family_education_station: "家庭教育指导服务站点",
  family_education_center: "家庭教育指导服务中心",
  children_home: "儿童之家",
  children_director: "儿童主任",
  women_home: "妇女之家",
  public_legal_service: "公共法律服务",
  legal_aid: "法律援助",
  minor_rescue_protection: "未成年人救助保护机构",
  marriage_mediation: "婚姻家庭纠纷调解",
  emergency_shelter: "临时庇护 救助",
  maternal_child_health: "妇幼保健",
  childcare: "托育服务",
  social_work_station: "社会工作站 社工站",
  minor_protection_station: "未成年人保护工作站",
  women_federation: "妇联",
  other: "其他服务",
};

/** Words of a question that are about asking, not about the subject (excluded from coverage). */
const QUESTION_WORDS = new Set(
  [
    "规划",
    "规定",
    "目标",
    "主要目标",
    "措施",
    "策略措施",
    "政策",
    "要求",
    "标准",
    "济源",
    "济源市",
    "济源示范区",
    "示范区",
    "我们",
    "咱们",
    "这块",
    "方面",
    "问题",
    "事",
    "事情",
    "情况",
    "东西",
    "内容",
    "相关",
    "有关",
    "时候",
    "多少",
    "水平",
    "比例",
    "具体",
    "提",
    "说",
    "管",
    "讲",
    "写",
    "定",
    "做",
    "办",
    "找",
    "去",
    "打",
    "保障",
    "国家",
    "妇女规划",
    "儿童规划",
    "妇女发展规划",
    "儿童发展规划",
    "发展规划",
    "人",
    "电话",
    "热线",
    "号码",
    "哪里",
    "地方",
    "地址",
    "服务",
    "帮助",
    "有人",
  ].map((w) => foldText(w)),
);
/** BM25 candidates re-ranked by coverage. */
const RERANK_POOL = 40;
export const COVERAGE_WEIGHT = 0.75;
/** Candidates scoring below this fraction of the best BM25 score are not re-ranked in. */
const MIN_SCORE_RATIO = 0.15;
/** Weight of a long word's sub-words in the query (see termBooster). */
const SUBWORD_BOOST = 0.35;
const QUANTITY_WORD = /^(几|多少|多久|多长|多大|多高|每)/u;

/** Folded text with quotes and book-title marks removed (“巧媳妇”工程 → 巧媳妇工程). */
function coverageText(text: string): string {
  return foldText(text).replace(/[“”"'‘’《》〈〉「」『』]/gu, "");
}

export interface PlanSearchHit {
  type: "plan";
  /** MiniSearch BM25 score (after section boosts). */
  score: number;
  clause: PlanClause;
  citation: Citation;
  /** Query terms that matched this clause. */
  matchedTerms: string[];
  /** Weighted share (0–1) of the question's key words found in the clause. */
  coverage: number;
  /** Key words of the question the clause lacks (highest weight first). */
  missing: string[];
  /** Summed weight of what the clause lacks (small: nothing substantive is missing). */
  missingWeight: number;
}

export interface ServiceSearchHit {
  type: "service";
  score: number;
  entry: ServiceEntry;
  service: ServiceCard;
  matchedTerms: string[];
  coverage: number;
  missing: string[];
  missingWeight: number;
  /** The entry is in the area the question/request names. */
  inArea: boolean;
}

export interface SearchOptions {
  type?: "plan" | "service" | "all";
  area?: string | null;
  limit?: number;
}

export interface PlanSearchOptions {
  limit?: number;
  /** Multiply scores of clauses in this section (主要目标 for figures, 策略措施 for measures). */
  preferSection?: { section: PlanClause["section"]; factor: number } | null;
  /** Multiply scores of one plan's clauses (the question says 儿童规划 / 妇女规划). */
  preferPlan?: { plan: PlanClause["plan"]; factor: number } | null;
  /** Weight of coverage vs normalised BM25 when re-ranking (default COVERAGE_WEIGHT). */
  coverageWeight?: number;
}

export interface ServiceSearchOptions {
  limit?: number;
  area?: string | null;
}

export interface SearchIndex {
  search(query: string, opts?: SearchOptions): SearchHit[];
  searchPlans(query: string | NormalizedQuery, opts?: PlanSearchOptions): PlanSearchHit[];
  searchServices(query: string | NormalizedQuery, opts?: ServiceSearchOptions): ServiceSearchHit[];
  /** The 街道/镇 a question names (via areas' names and aliases), or null. */
  detectArea(text: string): string | null;
  /** Canonical area for a client-sent name or alias, or null. */
  resolveArea(name: string): string | null;
  /** The question's key words with weights (POS × rarity in the plans). */
  keyTerms(query: string | NormalizedQuery): Array<KeyTerm & { weight: number; df: number }>;
  normalizer: Normalizer;
  tokenizer: Tokenizer;
}

export interface CreateSearchIndexInput {
  clauses: readonly PlanClause[];
  services: readonly ServiceEntry[];
  areas: readonly AreaDef[];
  /** A tokenizer or its name; default DEFAULT_TOKENIZER (built from knowledge/search/). */
  tokenizer?: Tokenizer | TokenizerName;
  /** Default: built from knowledge/search/synonyms.yaml and typos.yaml. */
  normalizer?: Normalizer;
  /** Key-word extractor (jieba tagger) for coverage; default built from knowledge/search/. */
  keyTermsOf?: (foldedText: string) => KeyTerm[];
}

export function toCitation(c: PlanClause): Citation {
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

export function toServiceCard(e: ServiceEntry): ServiceCard {
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

interface PlanDoc {
  id: string;
  title: string;
  text: string;
  domain: string;
  chapter: string;
  indicators: string;
}

interface ServiceDoc {
  id: string;
  name: string;
  category: string;
  keywords: string;
  description: string;
  area: string;
  phone: string;
}

const PLAN_FIELDS = ["title", "text", "domain", "chapter", "indicators"] as const;
const SERVICE_FIELDS = ["name", "category", "keywords", "description", "area", "phone"] as const;

export function createSearchIndex(input: CreateSearchIndexInput): SearchIndex {
  let lexicon: Lexicon | null = null;
  const lex = () => {
    lexicon ??= loadLexicon();
    return lexicon;
  };
  let resources: TokenizerResources | null = null;
  const res = () => {
    resources ??= loadTokenizerResources(input.clauses, input.areas, input.services, lexiconWords(lex()));
    return resources;
  };
  // One jieba dictionary serves both the tokenizer and the key-word tagger.
  let jieba: Jieba | null = null;
  const sharedJieba = () => {
    jieba ??= createJieba(res().userWords);
    return jieba;
  };
  const tokenizer =
    typeof input.tokenizer === "object"
      ? input.tokenizer
      : createTokenizer(input.tokenizer ?? DEFAULT_TOKENIZER, res(), sharedJieba());
  const normalizer = input.normalizer ?? createNormalizer(lex(), res().userWords);
  const keyTermsOf = input.keyTermsOf ?? createKeyTermExtractor(sharedJieba(), res().stopwords);
  const tokenize = (text: string) => tokenizer.tokenize(foldText(text));

  // ── plans ──
  const clauseById = new Map(input.clauses.map((c) => [c.id, c]));
  const foldedClauseText = new Map(
    input.clauses.map((c) => [c.id, coverageText(`${c.title} ${c.text} ${c.domain ?? ""} ${c.chapter}`)]),
  );
  const planIndex = new MiniSearch<PlanDoc>({
    fields: [...PLAN_FIELDS],
    idField: "id",
    tokenize,
    processTerm: (t) => t,
    searchOptions: { boost: { title: 2, indicators: 1.5, domain: 1.2, chapter: 0.6, text: 1 }, combineWith: "OR" },
  });
  planIndex.addAll(
    input.clauses.map((c) => ({
      id: c.id,
      title: c.title,
      text: c.text,
      domain: c.domain ?? "",
      chapter: c.chapter,
      indicators: c.targets.map((t) => t.indicator).join(" "),
    })),
  );

  // ── services ──
  // The directory's keywords are residents' own words (压力大, 被欺负), so they are
  // also indexed the way a question is rewritten (心理健康, 学生欺凌).
  const entryById = new Map(input.services.map((e) => [e.id, e]));
  const rewritten = (text: string) => {
    const n = normalizer.normalize(text).text;
    return n === foldText(text) ? "" : n;
  };
  const serviceKeywords = new Map(
    input.services.map((e) => [e.id, [...e.keywords, ...e.keywords.map(rewritten).filter(Boolean)].join(" ")]),
  );
  const serviceDescriptions = new Map(
    input.services.map((e) => [e.id, `${e.description} ${rewritten(e.description)}`.trim()]),
  );
  const foldedServiceText = new Map(
    input.services.map((e) => [
      e.id,
      coverageText(
        [
          e.name,
          CATEGORY_LABELS[e.category],
          serviceKeywords.get(e.id),
          serviceDescriptions.get(e.id),
          e.area ?? "",
          e.phone ?? "",
        ].join(" "),
      ),
    ]),
  );
  const serviceIndex = new MiniSearch<ServiceDoc>({
    fields: [...SERVICE_FIELDS],
    idField: "id",
    tokenize,
    processTerm: (t) => t,
    searchOptions: {
      boost: { name: 2, keywords: 1.6, category: 1.5, phone: 3, description: 1, area: 0.5 },
      combineWith: "OR",
    },
  });
  serviceIndex.addAll(
    input.services.map((e) => ({
      id: e.id,
      name: e.name,
      category: CATEGORY_LABELS[e.category],
      keywords: serviceKeywords.get(e.id) ?? "",
      description: serviceDescriptions.get(e.id) ?? "",
      area: e.area ?? "",
      phone: e.phone ?? "",
    })),
  );

  // ── areas ──
  const areaNames: Array<{ alias: string; name: string }> = [];
  for (const a of input.areas) {
    for (const alias of new Set([a.name, ...a.aliases])) areaNames.push({ alias: foldText(alias), name: a.name });
  }
  areaNames.sort((x, y) => y.alias.length - x.alias.length);
  const detectArea = (text: string): string | null => {
    const f = foldText(text);
    for (const { alias, name } of areaNames) if (alias.length >= 2 && f.includes(alias)) return name;
    return null;
  };
  const resolveArea = (name: string): string | null => {
    const f = foldText(name).trim();
    for (const { alias, name: canonical } of areaNames) if (alias === f) return canonical;
    return null;
  };

  // ── key terms and coverage ──
  const docTexts = [...foldedClauseText.values(), ...foldedServiceText.values()];
  const dfCache = new Map<string, number>();
  const df = (w: string): number => {
    let n = dfCache.get(w);
    if (n === undefined) {
      n = 0;
      for (const t of docTexts) if (t.includes(w)) n++;
      dfCache.set(w, n);
    }
    return n;
  };
  const totalDocs = docTexts.length;
  const normalizeQuery = (q: string | NormalizedQuery): NormalizedQuery =>
    typeof q === "string" ? normalizer.normalize(q) : q;

  const keyTerms = (query: string | NormalizedQuery) => {
    const nq = normalizeQuery(query);
    const out: Array<KeyTerm & { weight: number; df: number }> = [];
    for (const kt of keyTermsOf(nq.text)) {
      if (QUESTION_WORDS.has(kt.word) || QUANTITY_WORD.test(kt.word) || /^[\d.%‰]+$/u.test(kt.word)) continue;
      if (areaNames.some((a) => a.alias === kt.word)) continue;
      const d = df(kt.word);
      // Rarer words say more about the question; single characters say little.
      const rarity = Math.log((totalDocs + 1) / (d + 0.5));
      const lengthFactor = [...kt.word].length === 1 ? 0.3 : 1;
      out.push({ ...kt, df: d, weight: kt.posWeight * rarity * lengthFactor });
    }
    return out;
  };

  const coverageOf = (terms: ReturnType<typeof keyTerms>, docText: string, nq: NormalizedQuery) => {
    let total = 0;
    let covered = 0;
    const missing: Array<{ word: string; weight: number }> = [];
    for (const t of terms) {
      total += t.weight;
      const alternatives = nq.alternatives[t.word] ?? [];
      if (docText.includes(t.word) || alternatives.some((a) => docText.includes(foldText(a)))) {
        covered += t.weight;
        continue;
      }
      // A compound the clause words differently (新生儿死亡率 vs 新生儿、婴儿…死亡率)
      // earns the share of its parts the clause contains.
      const found = t.parts.filter((p) => docText.includes(p)).length;
      // Squared: one part of two (外籍 of 外籍教师) is weak evidence; a word with a
      // single dictionary part (身份 of 身份证) never counts as more than half found.
      const share = t.parts.length > 0 ? (found / Math.max(2, t.parts.length)) ** 2 : 0;
      covered += t.weight * share;
      if (share < 0.5) missing.push({ word: t.word, weight: t.weight });
    }
    missing.sort((a, b) => b.weight - a.weight);
    return {
      coverage: total > 0 ? covered / total : 0,
      missing: missing.map((m) => m.word),
      missingWeight: total - covered,
    };
  };

  const queryTermsOf = (nq: NormalizedQuery): string[] => {
    const terms = tokenize(nq.text);
    for (const e of nq.expansions) terms.push(...tokenize(e));
    return terms;
  };

  /**
   * Whole words of the question count fully; the sub-words a long word adds
   * (志愿 and 愿者 of 志愿者) and the expansion terms count less, so one word
   * is not counted three times; question words (规划, 目标 …) count little.
   */
  const termBooster = (nq: NormalizedQuery) => {
    const whole = new Set(tokenizer.words(foldText(nq.text)));
    const expansion = new Set(nq.expansions.flatMap((e) => tokenize(e)));
    return (term: string): number => {
      if (QUESTION_WORDS.has(term)) return 0.3;
      if (whole.has(term)) return 1;
      if (expansion.has(term)) return 0.5;
      return SUBWORD_BOOST;
    };
  };

  const searchPlans = (query: string | NormalizedQuery, opts: PlanSearchOptions = {}): PlanSearchHit[] => {
    const nq = normalizeQuery(query);
    const terms = queryTermsOf(nq);
    if (terms.length === 0) return [];
    const boostTerm = termBooster(nq);
    const results: SearchResult[] = planIndex.search(
      { queries: terms, combineWith: "OR" },
      {
        boostTerm,
        boostDocument: (id: string) => {
          const c = clauseById.get(id);
          if (!c) return 0;
          let f = 1;
          if (opts.preferSection && c.section === opts.preferSection.section) f *= opts.preferSection.factor;
          if (opts.preferPlan && c.plan === opts.preferPlan.plan) f *= opts.preferPlan.factor;
          return f;
        },
      },
    );
    const kts = keyTerms(nq);
    const maxScore = results[0]?.score ?? 1;
    const w = opts.coverageWeight ?? COVERAGE_WEIGHT;
    const hits = results
      .slice(0, RERANK_POOL)
      .filter((r) => r.score >= maxScore * MIN_SCORE_RATIO)
      .map((r) => {
        const clause = clauseById.get(r.id) as PlanClause;
        const cov = coverageOf(kts, foldedClauseText.get(r.id) as string, nq);
        return {
          type: "plan" as const,
          score: r.score,
          rank: (1 - w) * (r.score / maxScore) + w * cov.coverage,
          clause,
          citation: toCitation(clause),
          matchedTerms: r.queryTerms,
          coverage: cov.coverage,
          missing: cov.missing,
          missingWeight: cov.missingWeight,
        };
      });
    // BM25 finds candidates; the share of the question's key words a clause
    // contains decides between them (a short clause matching one common word
    // must not beat the clause that answers the question).
    hits.sort((a, b) => b.rank - a.rank);
    return hits.slice(0, opts.limit ?? 10).map(({ rank: _rank, ...h }) => h);
  };

  const searchServices = (query: string | NormalizedQuery, opts: ServiceSearchOptions = {}): ServiceSearchHit[] => {
    const nq = normalizeQuery(query);
    const terms = queryTermsOf(nq);
    if (terms.length === 0) return [];
    const area = opts.area ?? detectArea(nq.folded);
    const results = serviceIndex.search({ queries: terms, combineWith: "OR" }, { boostTerm: termBooster(nq) });
    const kts = keyTerms(nq);
    const hits: ServiceSearchHit[] = results.map((r) => {
      const entry = entryById.get(r.id) as ServiceEntry;
      const cov = coverageOf(kts, foldedServiceText.get(r.id) as string, nq);
      return {
        type: "service" as const,
        score: r.score,
        entry,
        service: toServiceCard(entry),
        matchedTerms: r.queryTerms,
        coverage: cov.coverage,
        missing: cov.missing,
        missingWeight: cov.missingWeight,
        inArea: area !== null && entry.area === area,
      };
    });
    // Area awareness: the named area's points first, then district-wide entries
    // and hotlines; other areas' local points last.
    const rank = (h: ServiceSearchHit) => (h.inArea ? 0 : h.entry.area === null ? 1 : 2);
    hits.sort((a, b) => rank(a) - rank(b) || b.score - a.score);
    return hits.slice(0, opts.limit ?? 10);
  };

  const search = (query: string, opts: SearchOptions = {}): SearchHit[] => {
    const type = opts.type ?? "all";
    const limit = opts.limit ?? 10;
    const nq = normalizer.normalize(query);
    const out: Array<SearchHit> = [];
    if (type !== "service") {
      for (const h of searchPlans(nq, { limit })) out.push({ type: "plan", score: h.score, citation: h.citation });
    }
    if (type !== "plan") {
      for (const h of searchServices(nq, { limit, area: opts.area ?? null })) {
        out.push({ type: "service", score: h.score, service: h.service });
      }
    }
    if (type === "all") out.sort((a, b) => b.score - a.score);
    return out.slice(0, limit);
  };

  return { search, searchPlans, searchServices, detectArea, resolveArea, keyTerms, normalizer, tokenizer };
}
