import { beforeAll, describe, expect, it } from "vitest";
import { loadAreas, loadDirectory } from "../../src/knowledge/directory-loader.ts";
import type { AreaDef, PlanClause, ServiceEntry } from "../../src/knowledge/knowledge-types.ts";
import { loadPlanClauses } from "../../src/knowledge/plan-loader.ts";
import {
  createNormalizer,
  foldText,
  lexiconWords,
  loadLexicon,
  type Normalizer,
  parseLexicon,
  parseWordList,
} from "../../src/search/normalize-fns.ts";
import { createSearchIndex, type SearchIndex } from "../../src/search/search-index.ts";
import {
  createBigramTokenizer,
  createJieba,
  createKeyTermExtractor,
  createTokenizer,
  extractPlanVocabulary,
  loadTokenizerResources,
  type Tokenizer,
  type TokenizerResources,
} from "../../src/search/tokenizer-fns.ts";

let clauses: PlanClause[];
let services: ServiceEntry[];
let areas: AreaDef[];
let resources: TokenizerResources;
let normalizer: Normalizer;
let jieba: Tokenizer;
let index: SearchIndex;

beforeAll(() => {
  clauses = loadPlanClauses();
  services = loadDirectory();
  areas = loadAreas();
  const lexicon = loadLexicon();
  resources = loadTokenizerResources(clauses, areas, services, lexiconWords(lexicon));
  normalizer = createNormalizer(lexicon, resources.userWords);
  jieba = createTokenizer("jieba", resources);
  index = createSearchIndex({
    clauses,
    services,
    areas,
    tokenizer: jieba,
    normalizer,
    keyTermsOf: createKeyTermExtractor(createJieba(resources.userWords), resources.stopwords),
  });
});

describe("foldText", () => {
  const cases: Array<[string, string]> = [
    ["家長學校在哪裡？", "家长学校在哪里?"],
    ["離婚後撫養權歸誰", "离婚后抚养权归谁"],
    ["ＨＰＶ疫苗　７０％", "hpv疫苗70%"],
    ["宫颈\u200B癌\uFEFF筛查", "宫颈癌筛查"],
    ["家 暴 找 谁", "家暴找谁"],
    ["12338 hotline", "12338 hotline"],
    ["电话\u0007号码", "电话号码"],
  ];
  it.each(cases)("%s → %s", (input, expected) => {
    expect(foldText(input)).toBe(expected);
  });
});

describe("normalizer", () => {
  const cases: Array<[string, string[]]> = [
    // dialect
    ["俺想问问恁", ["我", "你"]],
    ["这咋弄啊", ["怎么办"]],
    ["娃上学有啥补助", ["儿童", "什么", "补贴"]],
    ["中不中", ["行不行"]],
    ["老公天天打俺", ["配偶"]],
    ["媳妇生娃以后", ["妻子", "儿童"]],
    // colloquial → plan vocabulary
    ["家暴了咋办", ["家庭暴力"]],
    ["孩子在学校被霸凌", ["儿童", "学生欺凌"]],
    ["想找个免费律师", ["法律援助"]],
    ["社保断了", ["社会保险"]],
    ["网吧让小孩进", ["互联网营业场所", "儿童"]],
    // typos and homophones
    ["宫劲癌筛查", ["宫颈癌"]],
    ["乳线癌", ["乳腺癌"]],
    ["被家报了", ["家庭暴力"]],
    ["扶养费不给", ["抚养费"]],
    ["心里咨询哪里有", ["心理咨询"]],
    // traditional + full-width + dialect together
    ["俺閨女在學校叫人欺負了，咋辦？", ["我", "女儿", "学生欺凌", "怎么办"]],
  ];
  it.each(cases)("%s contains %j", (input, words) => {
    const out = normalizer.normalize(input).text;
    for (const w of words) expect(out).toContain(w);
  });

  it("does not rewrite inside protected plan terms", () => {
    expect(normalizer.normalize("巧媳妇工程是啥").text).toContain("巧媳妇工程");
    expect(normalizer.normalize("三孩政策").text).toContain("三孩");
    expect(normalizer.normalize("孕妇学校在哪").text).toContain("孕妇学校");
  });

  it("does not rewrite a word already in plan form again", () => {
    expect(normalizer.normalize("未成年人保护工作站").text).toBe("未成年人保护工作站");
    expect(normalizer.normalize("抑郁症").text).toBe("抑郁症");
  });

  it("adds expansion terms and alternatives for some rewrites", () => {
    const nq = normalizer.normalize("闺女被骗了");
    expect(nq.text).toContain("女儿");
    expect(nq.expansions).toContain("女童");
    expect(nq.alternatives.诈骗).toContain("报警");
  });

  it("applies phrase patterns (被父母打 → 家庭暴力)", () => {
    expect(normalizer.normalize("孩子被亲爹打了").text).toContain("家庭暴力");
  });

  it("rejects contradictory or malformed lexicon files", () => {
    const typos = "groups:\n  - to: 宫颈癌\n    from: [宫劲癌]\n";
    expect(() => parseLexicon("groups:\n  - to: 儿童\n    from: [娃]\n  - to: 婴儿\n    from: [娃]\n", typos)).toThrow(
      /娃/,
    );
    expect(() => parseLexicon("groups: []\n", typos)).toThrow(/synonyms.yaml/);
    expect(() => parseLexicon("groups:\n  - to: 儿童\n    form: [娃]\n", typos)).toThrow(/synonyms.yaml/);
    expect(() =>
      parseLexicon('patterns:\n  - pattern: "(("\n    to: x\ngroups:\n  - to: 儿童\n    from: [娃]\n', typos),
    ).toThrow(/regular expression/);
  });

  it("parses word lists with comments", () => {
    expect(parseWordList("# c\n的\n\n了  # particle\n")).toEqual(["的", "了"]);
  });
});

describe("tokenizers", () => {
  const whole = ["家长学校", "法律援助", "儿童之家", "未成年人保护工作站", "宫颈癌"];
  it.each(whole)("jieba keeps %s whole", (word) => {
    expect(jieba.words(foldText(`我想问${word}的事`))).toContain(word);
    expect(jieba.tokenize(foldText(`我想问${word}的事`))).toContain(word);
  });

  it("jieba also indexes the sub-words of long words", () => {
    const terms = jieba.tokenize("法律援助中心");
    expect(terms).toContain("法律援助");
    expect(terms).toContain("援助");
  });

  it("drops stopwords and punctuation", () => {
    const terms = jieba.tokenize(foldText("请问有没有家长学校呢？"));
    expect(terms).not.toContain("有没有");
    expect(terms).not.toContain("呢");
    expect(terms).not.toContain("?");
  });

  it("character bigrams skip particles and keep numbers whole", () => {
    const t = createBigramTokenizer(new Set(["有没有"]));
    expect(t.tokenize("家长学校的电话12338")).toEqual(["家长", "长学", "学校", "电话", "12338"]);
  });

  it("Intl.Segmenter and combined tokenizers produce terms", () => {
    expect(createTokenizer("segmenter", resources).tokenize("儿童之家在哪里").length).toBeGreaterThan(0);
    const combined = createTokenizer("jieba+bigram", resources).tokenize("儿童之家");
    expect(combined).toContain("儿童之家");
    expect(combined).toContain("之家");
  });

  it("extracts the plans' vocabulary from the clause texts", () => {
    const vocab = extractPlanVocabulary(clauses, (text) => text.split(/(?=[与和])/u));
    expect(vocab).toContain("妇女与健康");
    expect(vocab).toContain("巧媳妇");
    expect(vocab).toContain("阳光母亲");
  });
});

describe("search index", () => {
  it("finds the goal stating a figure", () => {
    const top = index.searchPlans("宫颈癌筛查率目标多少")[0];
    expect(top?.clause.id).toBe("women-d1-goal-3");
    expect(top?.coverage).toBeGreaterThan(0.8);
  });

  it("finds measures from colloquial questions", () => {
    const cases: Array<[string, string]> = [
      ["娃在学校被霸凌了咋管", "学生欺凌"],
      ["网吧让未成年进去管不管", "互联网营业场所"],
      ["打完疫苗有反应能赔不", "异常反应补偿"],
    ];
    for (const [q, phrase] of cases) {
      const texts = index.searchPlans(q, { limit: 3 }).map((h) => h.clause.text);
      expect(
        texts.some((t) => t.includes(phrase)),
        q,
      ).toBe(true);
    }
  });

  it("reports low coverage for a question the plans do not cover", () => {
    const top = index.searchPlans("股票明天能涨不")[0];
    expect(top === undefined || top.coverage < 0.3).toBe(true);
  });

  it("detects and resolves areas by name and alias", () => {
    expect(index.detectArea("俺在沁园办事处住")).toBe("沁园街道");
    expect(index.detectArea("克井那边有没有儿童之家")).toBe("克井镇");
    expect(index.detectArea("家长学校在哪")).toBeNull();
    expect(index.resolveArea("五龙口")).toBe("五龙口镇");
    expect(index.resolveArea("火星")).toBeNull();
  });

  it("ranks the named area's service points first, then district-wide and hotlines", () => {
    const hits = index.searchServices("克井镇的儿童之家在哪", { limit: 10 });
    expect(hits[0]?.entry.area).toBe("克井镇");
    expect(hits[0]?.entry.category).toBe("children_home");
    // 0 = the named area, 1 = district-wide or hotline, 2 = another area's point.
    const ranks = hits.map((h) => (h.entry.area === "克井镇" ? 0 : h.entry.area === null ? 1 : 2));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(ranks).toContain(1);
  });

  it("uses the request's area when the question names none", () => {
    const hits = index.searchServices("家长学校在哪", { area: "王屋镇", limit: 5 });
    expect(hits[0]?.entry.area).toBe("王屋镇");
    expect(hits[0]?.inArea).toBe(true);
  });

  it("finds a hotline by its number", () => {
    const top = index.searchServices("12338")[0];
    expect(top?.entry.phone).toBe("12338");
  });

  it("search() has the /api/search shape", () => {
    const plans = index.search("家庭暴力", { type: "plan", limit: 3 });
    expect(plans).toHaveLength(3);
    for (const h of plans) {
      expect(h.type).toBe("plan");
      if (h.type === "plan") expect(Object.keys(h).sort()).toEqual(["citation", "score", "type"]);
    }
    const svc = index.search("妇联", { type: "service", limit: 2 });
    expect(svc.every((h) => h.type === "service")).toBe(true);
    const all = index.search("法律援助", { limit: 5 });
    expect(all.length).toBeLessThanOrEqual(5);
    expect(index.search("的了吗")).toEqual([]);
  });
});
