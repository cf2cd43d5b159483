import { describe, expect, it } from "vitest";
import {
  CAPABILITIES_REPLY,
  type ComposeInput,
  chineseOrdinal,
  clauseLabel,
  composeAnswer,
  MAX_REPLY_CHARS,
  statesFigureIn,
  truncate,
} from "../../src/answer/compose-fns.ts";
import { classifyIntent, type IntentResult } from "../../src/answer/intent-fns.ts";
import type { PlanClause, ServiceEntry } from "../../src/knowledge/knowledge-types.ts";
import type { PlanSearchHit, ServiceSearchHit } from "../../src/search/search-index.ts";

const CHILDREN = "济源示范区儿童发展规划（2021—2030年）";
const WOMEN = "济源示范区妇女发展规划（2021—2030年）";

function clause(over: Partial<PlanClause> = {}): PlanClause {
  return {
    id: "children-d5-goal-6",
    plan: "children",
    planTitle: CHILDREN,
    domain: "儿童与家庭",
    domainIndex: 5,
    section: "goal",
    chapter: "主要目标",
    number: 6,
    title: "覆盖城乡的家庭教育指导服务体系基本建成",
    text: "覆盖城乡的家庭教育指导服务体系基本建成。95%的城市社区和85%的村（居）建立家长学校或家庭教育指导服务站点。",
    targets: [
      { indicator: "城市社区建立家长学校比例", value: "95%" },
      { indicator: "村（居）建立家长学校比例", value: "85%" },
    ],
    ...over,
  };
}

function planHit(c: PlanClause, over: Partial<PlanSearchHit> = {}): PlanSearchHit {
  return {
    type: "plan",
    score: 100,
    clause: c,
    citation: {
      id: c.id,
      plan: c.plan,
      domain: c.domain,
      section: c.section,
      number: c.number,
      title: c.title,
      text: c.text,
    },
    matchedTerms: ["家长学校", "城市", "社区"],
    coverage: 0.9,
    missing: [],
    missingWeight: 0.3,
    ...over,
  };
}

function entry(over: Partial<ServiceEntry> = {}): ServiceEntry {
  return {
    id: "hotline-12338",
    name: "12338 妇女维权公益服务热线",
    category: "hotline",
    area: null,
    phone: "12338",
    address: null,
    hours: null,
    description: "妇女维权热线",
    howToReach: "直接拨打12338。",
    keywords: ["妇女维权"],
    source: "国家统一热线",
    verified: true,
    verifiedAt: null,
    verifiedBy: null,
    ...over,
  };
}

function serviceHit(e: ServiceEntry, over: Partial<ServiceSearchHit> = {}): ServiceSearchHit {
  return {
    type: "service",
    score: 50,
    entry: e,
    service: {
      id: e.id,
      name: e.name,
      category: e.category,
      area: e.area,
      phone: e.phone,
      address: e.address,
      hours: e.hours,
    },
    matchedTerms: [],
    coverage: 0.8,
    missing: [],
    missingWeight: 0.5,
    inArea: false,
    ...over,
  };
}

const hotline12345 = entry({ id: "hotline-12345", name: "12345 政务服务便民热线", phone: "12345" });

function input(question: string, over: Partial<ComposeInput> = {}): ComposeInput {
  return {
    intent: classifyIntent(question),
    planHits: [],
    serviceHits: [],
    hotlines: [hotline12345],
    area: null,
    ...over,
  };
}

describe("formatting helpers", () => {
  it.each([
    [1, "一"],
    [5, "五"],
    [10, "十"],
    [11, "十一"],
    [20, "二十"],
    [23, "二十三"],
  ] as const)("chineseOrdinal(%i) = %s", (n, s) => {
    expect(chineseOrdinal(n)).toBe(s);
  });

  it("names a clause with plan, domain, chapter and number", () => {
    expect(clauseLabel(clause())).toBe(`《${CHILDREN}》（五）儿童与家庭 · 主要目标（6）`);
    expect(clauseLabel(clause({ domain: null, domainIndex: null, chapter: "指导思想", number: null }))).toBe(
      `《${CHILDREN}》指导思想`,
    );
  });

  it("truncates by code points with an ellipsis", () => {
    expect(truncate("一二三四五", 5)).toBe("一二三四五");
    expect(truncate("一二三四五六", 5)).toBe("一二三四…");
  });

  it.each([
    ["每年组织1次健康体检", "次", true],
    ["每年组织一次健康体检", "次", true],
    ["不少于12课时", "课时", true],
    ["完善产假制度", "天", false],
    ["每天户外活动不少于1小时", "小时", true],
    ["完善灵活就业人员参保政策", "元", false],
  ] as const)("statesFigureIn(%s, %s) = %s", (text, unit, expected) => {
    expect(statesFigureIn(text, unit)).toBe(expected);
  });
});

describe("composeAnswer", () => {
  it("greets with what it can do", () => {
    const r = composeAnswer(input("你好"));
    expect(r.kind).toBe("clarify");
    expect(r.reply).toBe(CAPABILITIES_REPLY);
    expect(r.unanswered).toBeNull();
  });

  it("asks for detail when every key word is common", () => {
    const common = composeAnswer(
      input("儿童", { planHits: [planHit(clause())], keyTerms: [{ word: "儿童", weight: 0.6, df: 300 }] }),
    );
    expect(common.kind).toBe("clarify");
    const specific = composeAnswer(
      input("家长学校覆盖率", {
        planHits: [planHit(clause())],
        keyTerms: [{ word: "家长学校", weight: 2.7, df: 20 }],
      }),
    );
    expect(specific.kind).toBe("answer");
  });

  it("leads a figure answer with the figure and names the clause", () => {
    const r = composeAnswer(input("城市社区家长学校覆盖率目标多少", { planHits: [planHit(clause())] }));
    expect(r.kind).toBe("answer");
    expect(r.reply.startsWith("规划定的目标：")).toBe(true);
    expect(r.reply).toContain("95%");
    expect(r.reply).toContain(`《${CHILDREN}》（五）儿童与家庭 · 主要目标（6）：`);
    expect(r.citations).toEqual([planHit(clause()).citation]);
    expect(r.unanswered).toBeNull();
  });

  it("says when a goal has no number", () => {
    const c = clause({
      id: "women-d3-goal-5",
      plan: "women",
      planTitle: WOMEN,
      domain: "妇女与经济",
      domainIndex: 3,
      number: 5,
      title: "男女收入差距明显缩小",
      text: "保障妇女获得公平的劳动报酬，男女收入差距明显缩小。",
      targets: [],
    });
    const r = composeAnswer(input("男女工资差距有目标没", { planHits: [planHit(c, { matchedTerms: ["收入"] })] }));
    expect(r.reply).toContain("没有定具体数字");
    expect(r.reply).toContain("明显缩小");
  });

  it("quotes the answering sentence of a long measure", () => {
    const long = clause({
      id: "children-d2-measure-9",
      section: "measure",
      chapter: "策略措施",
      domain: "儿童与安全",
      domainIndex: 2,
      number: 9,
      title: "加强对学生欺凌的综合治理",
      targets: [],
      text: `加强对学生欺凌的综合治理。${"营造文明安全校园环境，加强思想道德教育。".repeat(5)}健全学生欺凌早期预警、事中处理、事后干预等工作机制。`,
    });
    const r = composeAnswer(
      input("孩子被学生欺凌规划咋管", { planHits: [planHit(long, { matchedTerms: ["学生欺凌", "早期预警"] })] }),
    );
    expect(r.reply.split("\n")[0]).toContain("早期预警");
  });

  it("answers unknown when the best clause covers too little of the question", () => {
    const r = composeAnswer(input("灵活就业咋交社保", { planHits: [planHit(clause(), { coverage: 0.2, score: 7 })] }));
    expect(r.kind).toBe("unknown");
    expect(r.citations).toEqual([]);
    expect(r.reply).toContain("12345");
    expect(r.unanswered).toEqual({ reason: "weak", topScore: 7 });
  });

  it("answers unknown with reason unknown when nothing was found", () => {
    const r = composeAnswer(input("今年流行啥发型"));
    expect(r.kind).toBe("unknown");
    expect(r.unanswered).toEqual({ reason: "unknown", topScore: null });
  });

  it("does not answer a figure the plans do not state in the asked unit", () => {
    const c = clause({
      id: "women-d6-measure-2",
      section: "measure",
      title: "制定出台促进男女平等和妇女全面发展的家庭政策",
      text: "制定出台促进男女平等和妇女全面发展的家庭政策。完善产假制度，实施父母育儿假制度。",
      targets: [],
    });
    const r = composeAnswer(input("产假到底多少天", { planHits: [planHit(c, { matchedTerms: ["产假"] })] }));
    expect(r.kind).toBe("unknown");
    expect(r.reply).toContain("没有写明");
    expect(r.unanswered?.reason).toBe("weak");
  });

  it("never answers another city's question with Jiyuan's figures", () => {
    const r = composeAnswer(input("郑州的家长学校覆盖率是多少", { planHits: [planHit(clause())] }));
    expect(r.kind).toBe("unknown");
    expect(r.reply).toContain("郑州");
    expect(r.reply).not.toContain("95%");
    expect(r.citations).toEqual([]);
  });

  it("lists services with phone, or how to reach them, and the fallback hotline", () => {
    const local = entry({
      id: "kejing-children-home",
      name: "克井镇村（社区）儿童之家",
      category: "children_home",
      area: "克井镇",
      phone: null,
      howToReach: "向所在村（社区）的村（居）委会询问儿童之家的位置和开放时间。",
      verified: false,
    });
    const other = entry({ ...local, id: "wangwu-children-home", name: "王屋镇村（社区）儿童之家", area: "王屋镇" });
    const r = composeAnswer(
      input("克井镇的儿童之家在哪", {
        area: "克井镇",
        serviceHits: [serviceHit(local, { inArea: true }), serviceHit(other)],
      }),
    );
    expect(r.kind).toBe("services");
    // No listed point has a phone, so the 政务服务便民热线 is added as a card.
    expect(r.services.map((s) => s.id)).toEqual(["kejing-children-home", "hotline-12345"]);
    expect(r.reply).toContain("克井镇村（社区）儿童之家：向所在村（社区）");
    expect(r.reply).not.toContain("王屋镇");
    expect(r.reply).toContain("电话12345");
  });

  it("gives a hotline's phone and adds the hotline the question names", () => {
    const svc = entry({ id: "hotline-110", name: "110 报警电话", phone: "110", hours: "24小时" });
    const r = composeAnswer(
      input("12338管啥", { serviceHits: [serviceHit(svc)], namedHotlines: [entry()], hotlines: [hotline12345] }),
    );
    expect(r.services[0]?.id).toBe("hotline-12338");
    expect(r.reply).toContain("电话12338");
    expect(r.reply).toContain("电话110，时间：24小时");
  });

  it("asks for the area instead of listing one area's points when none is known", () => {
    const local = entry({
      id: "potou-parent-school",
      name: "坡头镇家长学校",
      category: "parent_school",
      area: "坡头镇",
      phone: null,
      howToReach: "向孩子就读的学校了解家长学校的安排。",
    });
    const r = composeAnswer(input("家长学校在哪", { serviceHits: [serviceHit(local)] }));
    expect(r.services.map((s) => s.id)).toEqual(["hotline-12345"]);
    expect(r.reply).not.toContain("坡头镇");
    expect(r.reply).toContain("家长学校（各村、社区）");
    expect(r.reply).toContain("街道或镇");
  });

  it("keeps every reply within 600 characters", () => {
    const long = clause({ text: "长".repeat(1500), title: "长".repeat(80), targets: [] });
    const intents: IntentResult[] = ["宫颈癌筛查率多少", "规划咋保障", "家长学校在哪"].map((q) => classifyIntent(q));
    for (const intent of intents) {
      const r = composeAnswer({
        ...input("x"),
        intent,
        planHits: [planHit(long), planHit({ ...long, id: "b" }), planHit({ ...long, id: "c" })],
        serviceHits: [serviceHit(entry({ howToReach: "找".repeat(400), phone: null }))],
      });
      expect([...r.reply].length).toBeLessThanOrEqual(MAX_REPLY_CHARS);
      expect(r.reply).toContain("…");
    }
  });
});
