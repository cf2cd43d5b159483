import { beforeAll, describe, expect, it } from "vitest";
import { type AnswerService, createAnswerService } from "../../src/answer/answer-service.ts";
import { computeQaReport, parseQaJsonl, qaHit } from "../../src/answer/qa-metrics-fns.ts";
import { loadAreas, loadDirectory } from "../../src/knowledge/directory-loader.ts";
import { loadPlanClauses } from "../../src/knowledge/plan-loader.ts";
import { createSearchIndex } from "../../src/search/search-index.ts";

let svc: AnswerService;

beforeAll(() => {
  const clauses = loadPlanClauses();
  const services = loadDirectory();
  const areas = loadAreas();
  const index = createSearchIndex({ clauses, services, areas });
  svc = createAnswerService({ index, clauses, services, areas });
});

describe("answer service", () => {
  it("is synchronous", () => {
    const r = svc.answer("你好", {});
    expect(r).not.toBeInstanceOf(Promise);
    expect(r.kind).toBe("clarify");
  });

  const figures: Array<[string, string]> = [
    ["恁这规划里孕产妇死亡率要降到多少", "9.5/10万"],
    ["小學生近視率目標是多少", "38％以下"],
    ["俺想知道乳线癌筛查率有啥目标", "逐步提高"],
    ["娃们打疫苗的接种率要保持多少", "90％以上"],
    ["社区居委会里女的要占多少", "50％左右"],
    ["１２岁娃蛀牙率控制在多少", "25%"],
  ];
  it.each(figures)("%s → leads with %s", (q, figure) => {
    const r = svc.answer(q, {});
    expect(r.kind).toBe("answer");
    expect(r.reply.split("\n")[0]).toContain(figure);
    expect(r.citations.length).toBeGreaterThan(0);
    expect(r.unanswered).toBeNull();
  });

  const measures: Array<[string, string]> = [
    ["村里留守妇女有啥关爱", "留守妇女"],
    ["孩子玩手机游戏上瘾规划管不管", "网络游戏"],
    ["招工只要男的不要女的合法吗", "就业性别歧视"],
    ["婆婆老打俺家娃，谁管", "家庭暴力"],
  ];
  it.each(measures)("%s → cites a clause about %s", (q, phrase) => {
    const r = svc.answer(q, {});
    expect(r.kind).not.toBe("unknown");
    expect(r.reply.includes(phrase) || r.citations.some((c) => c.text.includes(phrase))).toBe(true);
  });

  it.each(["儿童", "妇女的事", "规划有啥目标"])("asks a vague question (%s) to be more specific", (q) => {
    const r = svc.answer(q, {});
    expect(r.kind).toBe("clarify");
    expect(r.unanswered).toBeNull();
  });

  it("lists the named area's service points", () => {
    const r = svc.answer("俺在克井，附近有没有儿童之家", {});
    expect(r.kind).toBe("services");
    expect(r.services[0]?.area).toBe("克井镇");
    expect(r.services.every((s) => s.area === null || s.area === "克井镇")).toBe(true);
  });

  it("uses the request's area", () => {
    const r = svc.answer("家长学校在哪", { area: "王屋镇" });
    expect(r.services[0]?.area).toBe("王屋镇");
    expect(r.reply).toContain("王屋镇");
  });

  it("gives hotline numbers for urgent-sounding service questions", () => {
    expect(svc.answer("孩子走丢了打啥电话", {}).reply).toContain("110");
    expect(svc.answer("想找人说说心里的烦心事，有热线不", {}).reply).toMatch(/12356|12355/u);
    expect(svc.answer("妇联维权热线多少", {}).reply).toContain("12338");
  });

  const unknowns = [
    "明天济源下雨不",
    "最近哪只股票能涨",
    "郑州的宫颈癌筛查率是多少",
    "上海的儿童之家在哪",
    "育儿假到底能休几天",
    "生孩子医保能报销多少钱",
    "办身份证要多长时间",
  ];
  it.each(unknowns)("%s → unknown, pointing to 12345", (q) => {
    const r = svc.answer(q, {});
    expect(r.kind).toBe("unknown");
    expect(r.citations).toEqual([]);
    expect(r.unanswered).not.toBeNull();
    expect(r.reply).toMatch(/12345/u);
  });

  it("says other cities' questions are not answered with Jiyuan's figures", () => {
    const r = svc.answer("洛阳孕产妇死亡率目标是多少", {});
    expect(r.kind).toBe("unknown");
    expect(r.reply).toContain("洛阳");
    expect(r.reply).not.toContain("9.5/10万");
  });

  it("keeps every reply within 600 characters", () => {
    const questions = [
      ...figures.map((f) => f[0]),
      ...measures.map((m) => m[0]),
      ...unknowns,
      "学生体检一年几回",
      "孩子心理健康规划有啥措施，学校、家里、社会都咋做",
      "被家暴了想离婚还想要孩子抚养权，去哪求助",
      "你能干啥",
    ];
    for (const q of questions) expect([...svc.answer(q, {}).reply].length, q).toBeLessThanOrEqual(600);
  });
});

describe("qa metrics", () => {
  const items = parseQaJsonl(
    [
      '{"id":"a","type":"plan_target","text":"x","expect_any":["70％以上","70%"]}',
      "",
      '{"id":"b","type":"service","text":"y","expect_any":["12338"]}',
      '{"id":"c","type":"out_of_scope","text":"z","expect_any":[]}',
      '{"id":"d","type":"plan_measure","text":"w","expect_any":["喘息服务"]}',
    ].join("\n"),
  );

  it("counts a phrase in the reply or a citation, and unknown for out-of-scope", () => {
    const [a, b, c, d] = items as [(typeof items)[0], (typeof items)[0], (typeof items)[0], (typeof items)[0]];
    // Width-folded: 70％以上 matches a reply written with a half-width %.
    expect(qaHit(a, { kind: "answer", reply: "目标是70%以上", citations: [] })).toBe("70％以上");
    expect(qaHit(b, { kind: "services", reply: "无", citations: [{ text: "拨打12338" }] })).toBe("12338");
    expect(qaHit(c, { kind: "unknown", reply: "", citations: [] })).toBe("unknown");
    expect(qaHit(c, { kind: "answer", reply: "", citations: [] })).toBeNull();
    expect(qaHit(d, { kind: "answer", reply: "没有", citations: [] })).toBeNull();
  });

  it("aggregates per type", () => {
    const report = computeQaReport(
      items.map((item) => ({
        item,
        answer: { kind: item.type === "out_of_scope" ? "unknown" : "answer", reply: "70% 12338", citations: [] },
      })),
    );
    expect(report.byType.plan_target.rate).toBe(1);
    expect(report.byType.plan_measure.rate).toBe(0);
    expect(report.plan).toMatchObject({ hits: 1, total: 2 });
    expect(report.overall).toMatchObject({ hits: 3, total: 4 });
    expect(report.misses.map((m) => m.item.id)).toEqual(["d"]);
  });

  it("rejects a malformed line with its number", () => {
    expect(() => parseQaJsonl('{"id":"a","type":"plan_target","text":"x","expect_any":[]}\n{"id":1}')).toThrow(
      /line 2/,
    );
  });
});
