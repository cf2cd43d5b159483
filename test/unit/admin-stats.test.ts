import { describe, expect, it } from "vitest";
import { statsRange } from "../../src/admin/admin-routes.ts";
import {
  computeStats,
  countBy,
  domainOfPayload,
  durations,
  monthlySeries,
  monthOf,
  monthsBetween,
  quantile,
  statsToCsv,
} from "../../src/admin/stats-fns.ts";

const at = (iso: string) => new Date(iso);

describe("quantile", () => {
  it.each([
    [[], 0.5, null],
    [[5], 0.5, 5],
    [[5], 0.9, 5],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[4, 1, 3, 2], 0.5, 2.5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1],
    [[10, 20], 0.9, 19],
  ])("%j q=%d → %d", (values, q, expected) => {
    const got = quantile(values, q);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(expected, 6);
  });
});

describe("durations", () => {
  it("median and p90 in minutes, open ones left out", () => {
    const start = at("2026-11-01T00:00:00Z");
    const plus = (m: number) => new Date(start.getTime() + m * 60_000);
    expect(
      durations([
        { start, end: plus(10) },
        { start, end: plus(20) },
        { start, end: null },
        { start, end: plus(30) },
      ]),
    ).toEqual({ count: 3, medianMinutes: 20, p90Minutes: 28 });
    expect(durations([])).toEqual({ count: 0, medianMinutes: null, p90Minutes: null });
  });
});

describe("months", () => {
  it.each([
    ["2026-01-31T16:00:00Z", "2026-02"], // 00:00 on 1 Feb in Jiyuan
    ["2026-01-31T15:59:59Z", "2026-01"],
    ["2026-12-31T17:00:00Z", "2027-01"],
  ])("monthOf(%s) = %s", (iso, month) => {
    expect(monthOf(at(iso))).toBe(month);
  });
  it.each([
    ["2026-11-05T00:00:00Z", "2026-11-20T00:00:00Z", ["2026-11"]],
    ["2026-11-05T00:00:00Z", "2027-02-01T00:00:00Z", ["2026-11", "2026-12", "2027-01", "2027-02"]],
  ])("monthsBetween(%s, %s)", (from, to, months) => {
    expect(monthsBetween(at(from), at(to))).toEqual(months);
  });
});

describe("counting", () => {
  it("monthlySeries: counts per name and month, largest total first, outside months dropped", () => {
    const months = ["2026-10", "2026-11"];
    expect(
      monthlySeries(
        [
          { at: at("2026-10-10T00:00:00Z"), name: "乙" },
          { at: at("2026-11-10T00:00:00Z"), name: "甲" },
          { at: at("2026-11-11T00:00:00Z"), name: "甲" },
          { at: at("2026-09-11T00:00:00Z"), name: "甲" },
        ],
        months,
      ),
    ).toEqual([
      { name: "甲", counts: [0, 2], total: 2 },
      { name: "乙", counts: [1, 0], total: 1 },
    ]);
  });
  it("countBy", () => {
    expect(countBy(["b", "a", "b"])).toEqual([
      { key: "b", count: 2 },
      { key: "a", count: 1 },
    ]);
  });
  it.each([
    [null, "未引用规划"],
    ["not json", "未引用规划"],
    [JSON.stringify({ citations: [] }), "未引用规划"],
    [JSON.stringify({ citations: [{ plan: "women", domain: "妇女与健康" }] }), "妇女规划·妇女与健康"],
    [JSON.stringify({ citations: [{ plan: "children", domain: null }] }), "儿童规划·总则"],
  ])("domainOfPayload(%s) = %s", (payload, expected) => {
    expect(domainOfPayload(payload)).toBe(expected);
  });
});

describe("computeStats", () => {
  const from = at("2026-10-01T00:00:00+08:00");
  const to = at("2026-12-01T00:00:00+08:00");
  const women = JSON.stringify({ citations: [{ plan: "women", domain: "妇女与健康" }] });
  const stats = computeStats({
    from,
    to,
    replies: [
      { createdAt: at("2026-10-02T00:00:00Z"), kind: "answer", payload: women, area: "沁园街道" },
      { createdAt: at("2026-11-02T00:00:00Z"), kind: "answer", payload: women, area: null },
      { createdAt: at("2026-11-03T00:00:00Z"), kind: "unknown", payload: "{}", area: "克井镇" },
      { createdAt: at("2026-11-04T00:00:00Z"), kind: "unknown", payload: "{}", area: "克井镇" },
    ],
    unanswered: [
      { createdAt: at("2026-11-03T00:00:00Z"), reason: "unknown" },
      { createdAt: at("2026-11-04T00:00:00Z"), reason: "weak" },
    ],
    cases: [
      {
        createdAt: at("2026-11-01T00:00:00Z"),
        category: "domestic_violence",
        severity: "urgent",
        area: "沁园街道",
        claimedAt: at("2026-11-01T00:05:00Z"),
        closedAt: at("2026-11-01T02:00:00Z"),
      },
      {
        createdAt: at("2026-11-02T00:00:00Z"),
        category: "child_harm",
        severity: "immediate",
        area: null,
        claimedAt: null,
        closedAt: null,
      },
    ],
    feedback: [{ helpful: true }, { helpful: false }, { helpful: true }],
  });

  it("totals and the unanswered rate", () => {
    expect(stats.months).toEqual(["2026-10", "2026-11"]);
    expect(stats.totals).toEqual({
      questions: 4,
      unanswered: 2,
      unansweredRate: 0.5,
      escalations: 2,
      helpful: 2,
      unhelpful: 1,
    });
    expect(stats.unansweredByMonth).toEqual([
      { month: "2026-10", questions: 1, unanswered: 0, rate: 0 },
      { month: "2026-11", questions: 3, unanswered: 2, rate: 0.667 },
    ]);
  });

  it("questions by domain and by area, escalations, time to claim/close", () => {
    expect(stats.questionsByDomain).toEqual([
      { name: "妇女规划·妇女与健康", counts: [1, 1], total: 2 },
      { name: "未引用规划", counts: [0, 2], total: 2 },
    ]);
    expect(stats.questionsByArea.map((s) => [s.name, s.total])).toEqual([
      ["克井镇", 2],
      ["未填写街道/镇", 1],
      ["沁园街道", 1],
    ]);
    expect(stats.escalations.byCategory).toEqual([
      { key: "child_harm", count: 1 },
      { key: "domestic_violence", count: 1 },
    ]);
    expect(stats.timeToClaim).toEqual({ count: 1, medianMinutes: 5, p90Minutes: 5 });
    expect(stats.timeToClose).toEqual({ count: 1, medianMinutes: 120, p90Minutes: 120 });
  });

  it("CSV: long format, no text but labels", () => {
    const csv = statsToCsv(stats);
    expect(csv.startsWith("\uFEFFsection,key,month,value\r\n")).toBe(true);
    expect(csv).toContain("totals,questions,,4\r\n");
    expect(csv).toContain("questions_by_domain,妇女规划·妇女与健康,2026-11,1\r\n");
    expect(csv).toContain("time_to_claim_minutes,median,,5\r\n");
  });
});

describe("statsRange", () => {
  const now = at("2026-11-29T04:00:00Z");
  it.each([
    [{}, "2025-12-01T00:00:00+08:00", "2026-11-30T00:00:00+08:00"],
    [{ from: "2026-11-01", to: "2026-11-15" }, "2026-11-01T00:00:00+08:00", "2026-11-16T00:00:00+08:00"],
  ])("%j", (q, from, to) => {
    const r = statsRange(q, now);
    expect(r.from.toISOString()).toBe(at(from).toISOString());
    expect(r.to.toISOString()).toBe(at(to).toISOString());
  });
  it("refuses from after to", () => {
    expect(() => statsRange({ from: "2026-11-20", to: "2026-11-01" }, now)).toThrow(/起止日期/);
  });
});
