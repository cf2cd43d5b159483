import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PlanClause, PlanId } from "../../src/knowledge/knowledge-types.ts";
import { DEFAULT_PLAN_PATH, loadPlanClauses } from "../../src/knowledge/plan-loader.ts";
import {
  chineseNumeral,
  extractTargets,
  PlanParseError,
  parsePlans,
  repairPdfText,
} from "../../src/knowledge/plan-parser-fns.ts";

const source = readFileSync(DEFAULT_PLAN_PATH, "utf8");
const clauses = parsePlans(source);

const byId = new Map(clauses.map((c) => [c.id, c]));
function clause(id: string): PlanClause {
  const c = byId.get(id);
  if (!c) throw new Error(`no clause ${id}`);
  return c;
}
function find(plan: PlanId, domain: string, section: "goal" | "measure", number: number): PlanClause {
  const c = clauses.find((x) => x.plan === plan && x.domain === domain && x.section === section && x.number === number);
  if (!c) throw new Error(`no ${plan} ${domain} ${section} ${number}`);
  return c;
}
/** 1-based line of the first source line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const idx = text.split("\n").findIndex((l) => l.includes(needle));
  if (idx === -1) throw new Error(`"${needle}" not in source`);
  return idx + 1;
}

const CJK = "\\p{Script=Han}\\u3000-\\u303f\\uff00-\\uffef";

describe("parsePlans on the real source: structure and counts", () => {
  const domains: Array<[PlanId, number, string, number, number]> = [
    ["women", 1, "妇女与健康", 10, 12],
    ["women", 2, "妇女与教育", 10, 13],
    ["women", 3, "妇女与经济", 9, 13],
    ["women", 4, "妇女参与决策和管理", 10, 10],
    ["women", 5, "妇女与社会保障", 9, 11],
    ["women", 6, "妇女与家庭建设", 9, 10],
    ["women", 7, "妇女与环境", 10, 13],
    ["women", 8, "妇女与法律", 9, 12],
    ["children", 1, "儿童与健康", 12, 15],
    ["children", 2, "儿童与安全", 10, 12],
    ["children", 3, "儿童与教育", 10, 14],
    ["children", 4, "儿童与福利", 11, 14],
    ["children", 5, "儿童与家庭", 8, 9],
    ["children", 6, "儿童与环境", 10, 12],
    ["children", 7, "儿童与法律保护", 10, 14],
  ];

  it("finds exactly the 15 domains, in order, with their indexes", () => {
    const seen = [
      ...new Map(
        clauses
          .filter((c) => c.domain !== null)
          .map((c) => [`${c.plan}|${c.domain}`, [c.plan, c.domainIndex, c.domain]]),
      ).values(),
    ];
    expect(seen).toEqual(domains.map(([plan, index, name]) => [plan, index, name]));
  });

  it("has 147 goals and 184 measures in total", () => {
    expect(clauses.filter((c) => c.section === "goal")).toHaveLength(147);
    expect(clauses.filter((c) => c.section === "measure")).toHaveLength(184);
  });

  it.each(domains)("%s d%i %s has %i goals and %i measures", (plan, index, domain, goals, measures) => {
    const inDomain = clauses.filter((c) => c.plan === plan && c.domain === domain);
    expect(inDomain.every((c) => c.domainIndex === index)).toBe(true);
    expect(inDomain.filter((c) => c.section === "goal")).toHaveLength(goals);
    expect(inDomain.filter((c) => c.section === "measure")).toHaveLength(measures);
    expect(inDomain.filter((c) => c.section === "other")).toHaveLength(0);
  });

  it("numbers each (plan, domain, section) list 1..n without gaps", () => {
    const lists = new Map<string, number[]>();
    for (const c of clauses) {
      if (c.section === "other") continue;
      const key = `${c.plan}|${c.domain}|${c.section}`;
      lists.set(key, [...(lists.get(key) ?? []), c.number ?? -1]);
    }
    expect(lists.size).toBe(30);
    for (const [key, numbers] of lists) {
      expect(numbers, key).toEqual(numbers.map((_, i) => i + 1));
    }
  });

  it("gives every record a unique id of the documented shape", () => {
    const ids = clauses.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of clauses) {
      if (c.section === "other") {
        expect(c.id).toMatch(new RegExp(`^${c.plan}-other-[a-z]+-\\d+$`));
        expect(c.domain).toBeNull();
        expect(c.domainIndex).toBeNull();
      } else {
        expect(c.id).toBe(`${c.plan}-d${c.domainIndex}-${c.section}-${c.number}`);
        expect(c.chapter).toBe(c.section === "goal" ? "主要目标" : "策略措施");
      }
    }
  });

  it("sets the plan titles from the source headings", () => {
    expect(new Set(clauses.filter((c) => c.plan === "women").map((c) => c.planTitle))).toEqual(
      new Set(["济源示范区妇女发展规划（2021—2030年）"]),
    );
    expect(new Set(clauses.filter((c) => c.plan === "children").map((c) => c.planTitle))).toEqual(
      new Set(["济源示范区儿童发展规划（2021—2030年）"]),
    );
  });

  it.each([
    ["women", "序言", 5, null],
    ["women", "指导思想", 1, null],
    ["women", "基本原则", 5, [1, 2, 3, 4, 5]],
    ["women", "总体目标", 1, null],
    ["women", "组织实施", 11, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
    ["women", "监测评估", 5, [1, 2, 3, 4, 5]],
    ["children", "序言", 5, null],
    ["children", "指导思想", 1, null],
    ["children", "基本原则", 5, [1, 2, 3, 4, 5]],
    ["children", "总体目标", 1, null],
    ["children", "组织实施", 11, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
    ["children", "监测评估", 5, [1, 2, 3, 4, 5]],
  ] as const)("%s %s has %i 'other' records", (plan, chapter, count, numbers) => {
    const records = clauses.filter((c) => c.plan === plan && c.chapter === chapter);
    expect(records).toHaveLength(count);
    expect(records.every((c) => c.section === "other")).toBe(true);
    expect(records.map((c) => c.number)).toEqual(numbers ?? records.map(() => null));
  });

  it("drops the issuing notice that precedes the plans", () => {
    expect(clauses[0]?.id).toBe("women-other-xy-1");
    expect(clauses.some((c) => c.text.includes("济管〔2022〕26号") || c.text.includes("印发给你们"))).toBe(false);
  });

  it("does not depend on line endings or a byte-order mark", () => {
    expect(parsePlans(`\uFEFF${source.replace(/\n/g, "\r\n")}`)).toEqual(clauses);
  });

  it("keeps source order: women before children, goals before measures", () => {
    const firstChildren = clauses.findIndex((c) => c.plan === "children");
    expect(clauses.slice(firstChildren).every((c) => c.plan === "children")).toBe(true);
    expect(clauses.at(-1)?.id).toBe("children-other-jcpg-5");
  });
});

describe("parsePlans on the real source: text repair", () => {
  it("leaves no page-number markers in any record", () => {
    for (const c of clauses) {
      expect(c.text, c.id).not.toMatch(/—\s*\d+\s*—/);
      expect(c.title, c.id).not.toMatch(/—\s*\d+\s*—/);
    }
  });

  it("leaves no whitespace next to CJK text", () => {
    const gap = new RegExp(`[${CJK}][ \\t\\u3000]+[${CJK}]`, "u");
    const touching = new RegExp(`[${CJK}][ \\t\\u3000]|[ \\t\\u3000][${CJK}]`, "u");
    for (const c of clauses) {
      expect(c.text, c.id).not.toMatch(gap);
      expect(c.text, c.id).not.toMatch(touching);
    }
  });

  it("joins goals and measures into a single line with no label left in", () => {
    for (const c of clauses.filter((x) => x.section !== "other")) {
      expect(c.text, c.id).not.toContain("\n");
      expect(c.text, c.id).not.toMatch(/^（\d+）/);
      expect(c.text.startsWith(c.title), c.id).toBe(true);
      expect(c.title.length, c.id).toBeGreaterThan(0);
    }
  });

  it.each([
    // `— 45 —` page number between 手 and 段
    ["women-d8-measure-9", "采取非法网络贷款、虚假投资、咨询服务等手段骗取妇女钱财"],
    // page break (leading space) between 妇 and 女
    ["women-d1-measure-9", "加大妇女健康知识宣传普及力度"],
    // page break between 开 and 通
    ["children-d4-goal-9", "示范区管委会开通并有效运行全国统一的儿童保护热线"],
    // page break between 保 and 健
    ["children-d1-measure-2", "提高全科医生的儿科和儿童保健专业技能"],
    // `— 27 —` page number between two lines of one sentence
    ["women-d4-measure-10", "代表妇女参与管理国家事务、经济文化事业和社会事务的职责"],
  ])("rejoins a word split across a page break in %s", (id, phrase) => {
    expect(clause(id).text).toContain(phrase);
  });
});

describe("parsePlans on the real source: known clauses", () => {
  it.each([
    ["women", "妇女与法律", "measure", 4, "加大反家庭暴力法实施力度"],
    ["women", "妇女与法律", "measure", 5, "坚决打击拐卖妇女犯罪"],
    ["women", "妇女与健康", "measure", 5, "完善宫颈癌和乳腺癌综合防治体系和救助政策"],
    ["women", "妇女与健康", "goal", 2, "孕产妇死亡率下降到9.5/10万以下，城乡、群体差距缩小"],
    ["women", "妇女与经济", "goal", 2, "促进平等就业，消除就业性别歧视"],
    ["children", "儿童与家庭", "goal", 6, "覆盖城乡的家庭教育指导服务体系基本建成，指导服务能力进一步提升"],
    ["children", "儿童与家庭", "measure", 6, "构建覆盖城乡的家庭教育指导服务体系"],
    ["children", "儿童与安全", "measure", 3, "预防和控制儿童溺水"],
    ["children", "儿童与法律保护", "goal", 5, "依法保障儿童的民事权益"],
  ] as const)("%s %s %s (%i) is titled %s", (plan, domain, section, number, title) => {
    expect(find(plan, domain, section, number).title).toBe(title);
  });

  it("women 妇女与法律 measure (4) keeps its full text", () => {
    const c = find("women", "妇女与法律", "measure", 4);
    expect(c.id).toBe("women-d8-measure-4");
    expect(c.text.startsWith("加大反家庭暴力法实施力度。")).toBe(true);
    expect(c.text).toContain("及时签发人身保护令");
    expect(c.targets).toEqual([]);
  });

  it("children 儿童与家庭 goal (6) parses completely", () => {
    expect(find("children", "儿童与家庭", "goal", 6)).toEqual({
      id: "children-d5-goal-6",
      plan: "children",
      planTitle: "济源示范区儿童发展规划（2021—2030年）",
      domain: "儿童与家庭",
      domainIndex: 5,
      section: "goal",
      chapter: "主要目标",
      number: 6,
      title: "覆盖城乡的家庭教育指导服务体系基本建成，指导服务能力进一步提升",
      text: "覆盖城乡的家庭教育指导服务体系基本建成，指导服务能力进一步提升。95%的城市社区和85%的村（居）建立家长学校或家庭教育指导服务站点。",
      targets: [
        { indicator: "城市社区建立家长学校或家庭教育指导服务站点", value: "95%" },
        { indicator: "村（居）建立家长学校或家庭教育指导服务站点", value: "85%" },
      ],
    });
  });

  it("a goal title stops at the first 。 or ；", () => {
    expect(find("women", "妇女与教育", "goal", 10).title).toBe("女性青壮年文盲基本消除");
    for (const c of clauses.filter((x) => x.section === "goal")) expect(c.title, c.id).not.toMatch(/[。；]/);
    for (const c of clauses.filter((x) => x.section === "measure")) expect(c.title, c.id).not.toMatch(/。/);
  });

  it("基本原则 and 组织实施 items carry their headings as titles", () => {
    expect(clause("women-other-jbyz-2").title).toBe("坚持妇女事业与经济社会同步协调发展");
    const item = clause("children-other-zzss-3");
    expect(item.title).toBe("加强规划与济源国民经济和社会发展规划的衔接");
    expect(item.text.startsWith(`${item.title}\n落实儿童优先原则`)).toBe(true);
    expect(clause("women-other-jcpg-5").title).toBe("有效利用监测评估成果");
  });

  it("splits the preamble into its paragraphs", () => {
    const preamble = clauses.filter((c) => c.plan === "children" && c.chapter === "序言");
    expect(preamble.map((c) => c.text.slice(0, 6))).toEqual([
      "儿童是国家的",
      "党的十八大以",
      "虽然济源儿童",
      "当前，我国正",
      "依据宪法、未",
    ]);
    expect(preamble[1]?.text.endsWith("儿童发展和儿童事业取得了历史性新成就。")).toBe(true);
  });
});

describe("numeric targets of real goals", () => {
  it.each([
    ["women-d1-goal-2", [{ indicator: "孕产妇死亡率", value: "9.5/10万以下" }]],
    ["women-d1-goal-3", [{ indicator: "适龄妇女宫颈癌人群筛查率", value: "70％以上" }]],
    ["women-d1-goal-5", [{ indicator: "艾滋病母婴传播率", value: "2％以下" }]],
    ["women-d1-goal-10", [{ indicator: "标准化妇幼保健机构", value: "至少1所" }]],
    ["women-d2-goal-4", [{ indicator: "九年义务教育巩固率", value: "99.9％以上" }]],
    ["women-d2-goal-5", [{ indicator: "高中（含职业高中）阶段教育毛入学率", value: "97％以上" }]],
    ["women-d3-goal-2", [{ indicator: "就业人员中的女性比例", value: "45％左右" }]],
    ["women-d3-goal-3", [{ indicator: "城镇单位就业人员中的女性比例", value: "40％以上" }]],
    ["women-d3-goal-4", [{ indicator: "高级专业技术人员中的女性比例", value: "40%" }]],
    ["women-d4-goal-8", [{ indicator: "村委会成员中女性比例", value: "30％以上" }]],
    [
      "women-d4-goal-9",
      [
        { indicator: "社区居委会成员中女性比例", value: "50％左右" },
        { indicator: "社区居委会主任中女性比例", value: "40％以上" },
      ],
    ],
    ["women-d5-goal-3", [{ indicator: "妇女基本医疗保险参保率", value: "95％以上" }]],
    ["women-d5-goal-4", [{ indicator: "妇女基本养老保险参保率", value: "95％" }]],
    ["women-d5-goal-8", [{ indicator: "区域养老服务中心在镇（街道）的覆盖率", value: "60%" }]],
    ["women-d7-goal-7", [{ indicator: "农村卫生厕所普及率", value: "90%" }]],
    [
      "children-d1-goal-3",
      [
        { indicator: "新生儿死亡率", value: "3.0‰以下" },
        { indicator: "婴儿死亡率", value: "5.0‰以下" },
        { indicator: "5岁以下儿童死亡率", value: "6.0‰以下" },
      ],
    ],
    ["children-d1-goal-6", [{ indicator: "适龄儿童免疫规划疫苗接种率", value: "90％以上" }]],
    [
      "children-d1-goal-8",
      [
        { indicator: "5岁以下儿童贫血率", value: "10%以下" },
        { indicator: "生长迟缓率", value: "5%以下" },
      ],
    ],
    [
      "children-d1-goal-9",
      [
        { indicator: "小学生近视率", value: "38％以下" },
        { indicator: "初中生近视率", value: "60％以下" },
        { indicator: "高中阶段学生近视率", value: "70％以下" },
        { indicator: "0—6岁儿童眼保健和视力检查覆盖率", value: "90％以上" },
      ],
    ],
    ["children-d1-goal-10", [{ indicator: "中小学生国家学生体质健康标准达标优良率", value: "60%以上" }]],
    ["children-d3-goal-3", [{ indicator: "学前教育毛入园率", value: "97%以上" }]],
    ["children-d3-goal-4", [{ indicator: "十二年义务教育巩固率", value: "96％以上" }]],
    [
      "children-d6-goal-7",
      [
        { indicator: "农村自来水普及率", value: "100％" },
        { indicator: "农村卫生厕所普及率", value: "90%" },
      ],
    ],
    // Goals without a figure get none.
    ["women-d1-goal-1", []],
    ["women-d4-goal-3", []],
    ["children-d2-goal-2", []],
  ])("%s", (id, targets) => {
    expect(clause(id).targets).toEqual(targets);
  });

  it("every target figure comes from its goal's text, and only goals carry targets", () => {
    let total = 0;
    for (const c of clauses) {
      if (c.section !== "goal") {
        expect(c.targets, c.id).toEqual([]);
        continue;
      }
      for (const t of c.targets) {
        total++;
        expect(t.indicator.length, c.id).toBeGreaterThan(1);
        // A series (`3.0‰、5.0‰和6.0‰以下`) shares its qualifier, so compare the figure itself.
        const figure = /\d+(?:\.\d+)?(?:\/\d+万)?[％%‰]?/.exec(t.value)?.[0] ?? "(none)";
        expect(c.text, c.id).toContain(figure);
        expect(c.text, c.id).toContain(t.indicator.slice(-2));
      }
    }
    expect(total).toBe(35);
  });

  it("every goal stating a percentage, ‰ or /10万 figure yields a target", () => {
    for (const c of clauses.filter((x) => x.section === "goal" && /\d+(?:\.\d+)?(?:[％%‰]|\/10万)/.test(x.text))) {
      expect(c.targets.length, c.id).toBeGreaterThan(0);
    }
  });
});

describe("repairPdfText", () => {
  it.each([
    [["宫颈 癌"], "宫颈癌"],
    [["到 2030 年"], "到2030年"],
    [["孕产妇死亡率下降到 9.5/10 万以"], "孕产妇死亡率下降到9.5/10万以"],
    [["加大妇", " 女健康知识"], "加大妇女健康知识"],
    [["等手", "— 45 —", "段骗取"], "等手段骗取"],
    [["接触户外自然光不少于 1", "小时"], "接触户外自然光不少于1小时"],
    [["员 DNA 数据"], "员DNA数据"],
    [["HIV PrEP"], "HIV PrEP"],
    [["全角\u3000空格"], "全角空格"],
    [["A\u3000\u3000B"], "A B"],
  ])("%j → %s", (lines, expected) => {
    expect(repairPdfText(lines)).toBe(expected);
  });
});

describe("extractTargets", () => {
  it.each([
    ["孕产妇死亡率控制在9.5/10万以下", [{ indicator: "孕产妇死亡率", value: "9.5/10万以下" }]],
    ["适龄妇女宫颈癌人群筛查率达到70％以上", [{ indicator: "适龄妇女宫颈癌人群筛查率", value: "70％以上" }]],
    ["到2025年，某某覆盖率提高到80%。", [{ indicator: "某某覆盖率", value: "80%" }]],
    ["促进男女平等，女性比例逐步提高。", []],
    ["到2030年，增强儿童体质。", []],
  ])("%s", (text, expected) => {
    expect(extractTargets(text)).toEqual(expected);
  });
});

describe("chineseNumeral", () => {
  it.each([
    ["一", 1],
    ["八", 8],
    ["十", 10],
    ["十一", 11],
    ["二十三", 23],
    ["十十", null],
    ["甲", null],
  ])("%s → %s", (s, n) => {
    expect(chineseNumeral(s)).toBe(n);
  });
});

describe("structural failures", () => {
  it.each([
    ["a skipped goal number", "（5）减少艾滋病", "（6）减少艾滋病", /expected （5）, found （6）/],
    ["a domain out of sequence", "（三）妇女与经济", "（四）妇女与经济", /out of sequence/],
    [
      "a measures heading before goals",
      "1.主要目标\n\n（1）妇女全生命周期",
      "2.策略措施\n\n（1）妇女全生命周期",
      /out of order/,
    ],
    ["a domain from the other plan", "（五）儿童与家庭", "（五）妇女与家庭", /does not belong/],
    [
      "an unknown part heading",
      "三、组织实施\n （一）坚持党的全面领导\n\n坚持以习近平新时代中国特色社会主义思想为指导，坚持以\n\n人民",
      "三、组织落实\n （一）坚持党的全面领导\n\n坚持以习近平新时代中国特色社会主义思想为指导，坚持以\n\n人民",
      /unexpected part heading/,
    ],
  ])("rejects %s with the line number", (_what, from, to, message) => {
    expect(source.includes(from)).toBe(true);
    const broken = source.replace(from, to);
    const line = lineOf(broken, to.split("\n")[0] ?? to);
    let error: unknown;
    try {
      parsePlans(broken);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanParseError);
    expect((error as PlanParseError).line).toBe(line);
    expect((error as PlanParseError).message).toMatch(message);
  });

  it("rejects text that belongs to no item", () => {
    const broken = source.replace(
      "1.主要目标\n\n（1）妇女全生命周期",
      "1.主要目标\n\n一段多余的文字。\n\n（1）妇女全生命周期",
    );
    expect(() => parsePlans(broken)).toThrow(/text outside any numbered item under 妇女与健康 主要目标/);
  });

  it("rejects a source missing a plan", () => {
    const womenOnly = source.slice(0, source.indexOf(" 济源示范区儿童发展规划"));
    expect(() => parsePlans(womenOnly)).toThrow(/plan "children" not found/);
  });

  it("rejects a truncated plan", () => {
    const truncated = source.slice(0, source.indexOf("四、监测评估", source.indexOf("儿童发展规划（2021")));
    expect(() => parsePlans(truncated)).toThrow(/ends before part 监测评估/);
  });
});

describe("loadPlanClauses", () => {
  const dir = mkdtempSync(join(tmpdir(), "plan-loader-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the bundled source by default", () => {
    expect(loadPlanClauses()).toEqual(clauses);
  });

  it("names the file and line of a structural failure", () => {
    const file = join(dir, "broken.txt");
    const broken = source.replace("（5）减少艾滋病", "（6）减少艾滋病");
    writeFileSync(file, broken);
    const line = lineOf(broken, "（6）减少艾滋病");
    expect(() => loadPlanClauses(file)).toThrow(`${file}:${line}: malformed plan source:`);
  });

  it("names the file it cannot read", () => {
    const missing = join(dir, "missing.txt");
    expect(() => loadPlanClauses(missing)).toThrow(missing);
  });
});
