import { describe, expect, it } from "vitest";
import { classifyIntent, type Intent } from "../../src/answer/intent-fns.ts";

describe("classifyIntent", () => {
  const cases: Array<[string, Intent]> = [
    // greetings and "what can you do"
    ["你好", "greeting"],
    ["在吗？", "greeting"],
    ["恁好啊", "greeting"],
    ["谢谢你", "greeting"],
    ["你能干啥", "capabilities"],
    ["你都会做什么", "capabilities"],
    ["你是谁呀", "capabilities"],
    ["这个咋用", "capabilities"],
    // figures
    ["孕产妇死亡率要降到多少", "plan_target"],
    ["女干部比例有啥目标", "plan_target"],
    ["小学生近视率控制在几成", "plan_target"],
    ["每千名儿童有几张床位", "plan_target"],
    ["托育机构覆盖达到多少", "plan_target"],
    // measures
    ["规划对留守儿童有啥措施", "plan_measure"],
    ["女职工怀孕被降薪咋保障", "plan_measure"],
    ["托育有没有补贴政策", "plan_measure"],
    ["反家暴规划咋说", "plan_measure"],
    ["孩子沉迷网络规划管不管", "plan_measure"],
    // services
    ["家长学校在哪", "service"],
    ["法律援助中心电话多少", "service"],
    ["有没有儿童之家", "service"],
    ["被打了该找谁", "service"],
    ["12338是干啥的", "service"],
    ["想报名技能培训去哪报", "service"],
    ["妇联的联系方式", "service"],
    // out of scope
    ["明天天气咋样", "out_of_scope"],
    ["推荐个股票", "out_of_scope"],
    ["郑州的托育补贴多少钱", "out_of_scope"],
    ["上海市的宫颈癌筛查率是多少", "out_of_scope"],
    ["淘宝上买的东西咋退货", "out_of_scope"],
    ["帮我写作文", "out_of_scope"],
  ];
  it.each(cases)("%s → %s", (text, intent) => {
    expect(classifyIntent(text).intent).toBe(intent);
  });

  it("names the other place a question is about", () => {
    expect(classifyIntent("洛阳的儿童之家在哪").otherPlace).toBe("洛阳");
    expect(classifyIntent("北京市托育补贴").otherPlace).toBe("北京");
  });

  it("does not treat Jiyuan's own 街道 as another city (北海街道)", () => {
    const r = classifyIntent("北海街道的家长学校在哪");
    expect(r.otherPlace).toBeNull();
    expect(r.intent).toBe("service");
  });

  it("keeps a question about Jiyuan in scope even when another city is mentioned", () => {
    expect(classifyIntent("从郑州搬到济源，孩子上学有啥政策").intent).not.toBe("out_of_scope");
  });

  it("treats a 街道/镇 named by the caller as a service question", () => {
    expect(classifyIntent("村里谁管儿童的事", { areaNamed: true }).intent).toBe("service");
    expect(classifyIntent("规划里宫颈癌筛查率多少", { areaNamed: true }).intent).toBe("plan_target");
  });

  const quantities: Array<[string, string | null]> = [
    ["产假到底多少天", "天"],
    ["婚假能休几天", "天"],
    ["社保一个月交多少", "元"],
    ["托育补贴多少钱", "元"],
    ["体检一年几回", "次"],
    ["心理课一学期几个课时", "课时"],
    ["每天睡几个小时", "小时"],
    ["办下来要多长时间", "时长"],
    ["筛查率要达到多少", null],
  ];
  it.each(quantities)("%s asks a figure in %s", (text, unit) => {
    const q = classifyIntent(text).quantity;
    expect(q).not.toBeNull();
    expect(q?.unit ?? null).toBe(unit);
  });

  it("finds no quantity in a measure question", () => {
    expect(classifyIntent("规划对校园欺凌咋管").quantity).toBeNull();
  });

  it("notices which plan a question names", () => {
    expect(classifyIntent("儿童规划里巩固率多少").plan).toBe("children");
    expect(classifyIntent("妇女发展规划的就业目标").plan).toBe("women");
    expect(classifyIntent("巩固率多少").plan).toBeNull();
  });

  it("handles full-width punctuation and empty input", () => {
    expect(classifyIntent("你好！！").intent).toBe("greeting");
    expect(classifyIntent("   ").intent).toBe("greeting");
  });
});
