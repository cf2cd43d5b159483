import { describe, expect, it } from "vitest";
import {
  clusterQuestions,
  type GapQuestion,
  jaccard,
  maskDigits,
  matchCurated,
  questionTokens,
} from "../../src/admin/gap-fns.ts";

/** Space-separated words as tokens: the clustering does not depend on the real tokenizer. */
const words = (text: string) => text.split(/\s+/).filter(Boolean);
const q = (id: string, text: string, minutesAgo: number, reason = "unknown"): GapQuestion => ({
  id,
  text,
  tokens: words(text),
  reason,
  createdAt: new Date(Date.UTC(2026, 10, 1, 12, 0) - minutesAgo * 60_000),
});

describe("maskDigits", () => {
  it.each([
    ["我的电话13812345678请回电", "我的电话***请回电"],
    ["打0391-6612345问问", "打***问问"],
    ["１３８１２３４５６７８", "***"],
    ["138 1234 5678", "***"],
    ["孩子3岁", "孩子3岁"],
    ["12岁的孩子", "12岁的孩子"],
    ["12338是什么", "***是什么"],
    ["没有数字", "没有数字"],
  ])("%s → %s", (input, expected) => {
    expect(maskDigits(input)).toBe(expected);
  });
});

describe("jaccard", () => {
  it.each([
    [[], [], 0],
    [["a"], [], 0],
    [["a", "b"], ["a", "b"], 1],
    [["a", "b"], ["b", "c"], 1 / 3],
    [["a", "a", "b"], ["a"], 1 / 2],
  ])("%j vs %j = %d", (a, b, expected) => {
    expect(jaccard(a, b)).toBeCloseTo(expected, 6);
  });
});

describe("questionTokens", () => {
  const normalizer = { normalize: (text: string) => ({ text }) } as never;
  const tokenizer = { tokenize: (text: string) => text.split("|").filter(Boolean) };
  it("drops question words and masked digits, keeps distinct content words", () => {
    expect(questionTokens("哪里|游泳|游泳|13812345678|报名", normalizer, tokenizer)).toEqual(["游泳", "报名"]);
  });
});

describe("clusterQuestions", () => {
  it("groups similar questions, counts them and keeps up to 3 distinct masked examples, newest first", () => {
    const clusters = clusterQuestions([
      q("a", "学 游泳 报名", 1),
      q("b", "学 游泳 报名 13812345678", 2, "weak"),
      q("c", "学 游泳 报名", 3),
      q("d", "学 游泳 报名 费用", 4),
      q("e", "学 游泳 报名 时间", 5),
      q("f", "医保卡 补办", 6),
    ]);
    expect(clusters.map((c) => c.count)).toEqual([5, 1]);
    const [swim, card] = clusters;
    expect(swim?.key).toBe("a");
    expect(swim?.examples).toEqual(["学 游泳 报名", "学 游泳 报名 ***", "学 游泳 报名 费用"]);
    expect(swim?.ids).toEqual(["a", "b", "c", "d", "e"]);
    expect(swim?.reasons).toEqual({ unknown: 4, weak: 1 });
    expect(card?.examples).toEqual(["医保卡 补办"]);
    expect(JSON.stringify(clusters)).not.toContain("13812345678");
  });

  it.each([
    { name: "no questions", input: [] as GapQuestion[], counts: [] as number[] },
    { name: "unrelated questions stay apart", input: [q("a", "甲 乙", 1), q("b", "丙 丁", 2)], counts: [1, 1] },
    { name: "identical texts group even without tokens", input: [q("a", "", 1), q("b", "", 2)], counts: [2] },
    {
      name: "below the threshold starts a group",
      input: [q("a", "甲 乙 丙", 1), q("b", "甲 丁 戊", 2)],
      counts: [1, 1],
    },
    { name: "larger groups first", input: [q("a", "甲", 1), q("b", "乙", 2), q("c", "乙", 3)], counts: [2, 1] },
  ])("$name", ({ input, counts }) => {
    expect(clusterQuestions(input).map((c) => c.count)).toEqual(counts);
  });
});

describe("matchCurated", () => {
  const candidates = [
    { value: "swim", examples: [["学", "游泳", "报名"]] },
    {
      value: "card",
      examples: [
        ["医保卡", "补办"],
        ["医保卡", "丢失"],
      ],
    },
  ];
  it.each([
    { tokens: ["学", "游泳", "报名"], expected: "swim" },
    { tokens: ["医保卡", "丢失"], expected: "card" },
    { tokens: ["学", "钢琴", "报名"], expected: null },
    { tokens: [], expected: null },
  ])("$tokens → $expected", ({ tokens, expected }) => {
    expect(matchCurated(tokens, candidates)?.value ?? null).toBe(expected);
  });
});
