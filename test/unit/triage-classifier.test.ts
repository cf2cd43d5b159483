/**
 * Stage 3 of triage: the learned classifier (src/triage/classifier-fns.ts), its place in the
 * engine, and the corpus it is trained on (knowledge/triage/training/*.jsonl).
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  featurise,
  MODEL_CLASSES,
  modelVerdict,
  predictSoftmax,
  type TrainOptions,
  trainSoftmax,
  trainTriageModel,
} from "../../src/triage/classifier-fns.ts";
import { createTriage } from "../../src/triage/triage-fns.ts";
import {
  loadTriageLexicon,
  parseTrainingFiles,
  parseTriageLexicon,
  readTriageFiles,
  TriageLexiconError,
} from "../../src/triage/triage-lexicon.ts";
import { parseTriageEvalJsonl } from "../../src/triage/triage-metrics-fns.ts";
import { TRIAGE_CATEGORIES } from "../../src/triage/triage-types.ts";

const OPTIONS: TrainOptions = { maxN: 2, epochs: 30, learningRate: 1, l2: 0.001, seed: 7 };

describe("featurise", () => {
  it.each([
    { text: "打我", maxN: 2, expected: ["打", "我", "|打", "打我", "我|"] },
    { text: "a, b", maxN: 1, expected: ["a", "b"] },
    { text: "才13岁", maxN: 1, expected: ["才", "0", "岁"] },
    { text: "才9岁", maxN: 3, expected: featurise("才13岁", 3) },
    { text: "", maxN: 3, expected: [] },
  ])("$text (n ≤ $maxN)", ({ text, maxN, expected }) => {
    expect(featurise(text, maxN)).toEqual(expected);
  });
  it("never repeats a gram", () => {
    const grams = featurise("打打打打", 3);
    expect(new Set(grams).size).toBe(grams.length);
  });
});

describe("trainSoftmax / predictSoftmax", () => {
  const tiny = [
    { text: "他打我", label: "hit" },
    { text: "他又打我了", label: "hit" },
    { text: "老公打我", label: "hit" },
    { text: "孩子丢了", label: "lost" },
    { text: "娃丢了找不到", label: "lost" },
    { text: "钱包丢了", label: "lost" },
    { text: "几点开门", label: "none" },
    { text: "怎么报名", label: "none" },
    { text: "开门时间", label: "none" },
  ];
  const model = trainSoftmax(tiny, ["none", "hit", "lost"], OPTIONS);

  it.each([
    { text: "他昨天打我", best: "hit" },
    { text: "孩子又丢了", best: "lost" },
    { text: "报名几点开始", best: "none" },
  ])("$text → $best", ({ text, best }) => {
    const p = predictSoftmax(model, text);
    const top = Object.entries(p).sort((a, b) => b[1] - a[1])[0]?.[0];
    expect(top).toBe(best);
    expect(Object.values(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });
  it("is deterministic: the same corpus and options give the same weights", () => {
    const again = trainSoftmax(tiny, ["none", "hit", "lost"], OPTIONS);
    expect([...again.weights]).toEqual([...model.weights]);
    expect([...again.bias]).toEqual([...model.bias]);
  });
  it("a different seed gives a different (shuffled) model", () => {
    const other = trainSoftmax(tiny, ["none", "hit", "lost"], { ...OPTIONS, seed: 8 });
    expect([...other.weights]).not.toEqual([...model.weights]);
  });
  it("text with no known gram falls back to the class priors", () => {
    const p = predictSoftmax(model, "🙂🙂");
    expect(p.none).toBeGreaterThan(0);
  });
  it("rejects an unknown label", () => {
    expect(() => trainSoftmax([{ text: "x", label: "other" }], ["none"], OPTIONS)).toThrow(/unknown label/);
  });
});

describe("trainTriageModel / modelVerdict", () => {
  const items = [
    { text: "他打我", urgent: true, category: "domestic_violence" as const, immediate_danger: false },
    { text: "他拿刀在门外 现在", urgent: true, category: "domestic_violence" as const, immediate_danger: true },
    { text: "不想活了", urgent: true, category: "self_harm" as const, immediate_danger: false },
    { text: "药已经吃了 现在", urgent: true, category: "self_harm" as const, immediate_danger: true },
    { text: "几点开门", urgent: false, category: "none" as const, immediate_danger: false },
    { text: "怎么报名", urgent: false, category: "none" as const, immediate_danger: false },
  ];
  const model = trainTriageModel(items, (t) => t, OPTIONS);

  it("has a report head over none + the five queues", () => {
    expect(model.report.classes).toEqual(MODEL_CLASSES);
    expect(MODEL_CLASSES.slice(1)).toEqual([...TRIAGE_CATEGORIES]);
  });
  it.each([
    { text: "他又打我", urgent: true, category: "domestic_violence" },
    { text: "真的不想活了", urgent: true, category: "self_harm" },
    { text: "几点报名", urgent: false },
  ])("$text", ({ text, urgent, category }) => {
    const v = modelVerdict(model, text);
    expect(v.pUrgent >= 0.5).toBe(urgent);
    if (category) expect(v.category).toBe(category);
  });
  it("the immediate head reads 现在 as now", () => {
    expect(modelVerdict(model, "他现在在门外").pImmediate).toBeGreaterThan(modelVerdict(model, "他打我").pImmediate);
  });
});

describe("stage 3 in the engine", () => {
  const lex = loadTriageLexicon();
  const triage = createTriage(lex);
  const rulesOnly = createTriage({ ...lex, classifier: null });

  it("loads the classifier from classifier.yaml and the corpus", () => {
    expect(lex.classifier).not.toBeNull();
    expect(lex.classifier?.threshold).toBeGreaterThan(0);
  });
  it.each([{ text: "他又对我上手了 这回脸都花了", category: "domestic_violence" }])(
    "catches a fresh phrasing the rules miss: $text",
    ({ text, category }) => {
      expect(rulesOnly(text).urgent).toBe(false);
      const v = triage(text);
      expect(v.urgent).toBe(true);
      expect(v.category).toBe(category);
      expect(v.signals).toContain(`model.${category}`);
      expect(v.signals.some((s) => /^model\.p=0\.\d\d$|^model\.p=1\.00$/.test(s))).toBe(true);
      expect(v.severity).not.toBeNull();
    },
  );
  it.each([
    "笑死了 俺娃把鞋穿反了",
    "打完疫苗能洗澡不",
    "想死的心都有了 又加班",
    "孩子他爸带娃去打针了",
    "家长学校周六几点上课",
    "我没事了 只是想问问两癌筛查在哪做",
  ])("keeps a hard negative quiet: %s", (text) => {
    const v = triage(text);
    expect(v.urgent).toBe(false);
    expect(v.signals.filter((s) => s.startsWith("model."))).toEqual([]);
  });
  it("does not touch what stage 1 already decided", () => {
    const text = "他昨晚又打我了 我胳膊上都是青的";
    const a = triage(text);
    const b = rulesOnly(text);
    expect(a).toEqual(b);
    expect(a.signals.some((s) => s.startsWith("model."))).toBe(false);
  });
  it("a lexicon without classifier.yaml has no stage 3", () => {
    const files = readTriageFiles();
    delete files["classifier.yaml"];
    expect(parseTriageLexicon(files).classifier).toBeNull();
  });
  it("classifier.yaml without a corpus is an error", () => {
    const files = Object.fromEntries(Object.entries(readTriageFiles()).filter(([k]) => !k.startsWith("training/")));
    expect(() => parseTriageLexicon(files)).toThrow(TriageLexiconError);
  });
  it("a bad corpus line names the file", () => {
    const files = { ...readTriageFiles(), "training/zz-bad.jsonl": '{"id":"x","text":"a"}\n' };
    expect(() => parseTriageLexicon(files)).toThrow(/training\/zz-bad\.jsonl: .*line 1/);
  });
});

describe("the training corpus", () => {
  const files = readTriageFiles();
  const corpus = parseTrainingFiles(files);
  const evalDir = new URL("../../eval/", import.meta.url);
  const evalTexts = new Set<string>();
  for (const name of readdirSync(evalDir)) {
    if (!/^triage-.*\.jsonl$/.test(name)) continue;
    for (const item of parseTriageEvalJsonl(readFileSync(new URL(name, evalDir), "utf8"))) {
      evalTexts.add(item.text.trim());
    }
  }
  const fold = (t: string) => t.replace(/\s+/g, "");
  const evalFolded = new Set([...evalTexts].map(fold));

  it("parses, in several files, with unique ids and texts", () => {
    expect(Object.keys(files).filter((f) => f.startsWith("training/")).length).toBeGreaterThan(5);
    expect(corpus.length).toBeGreaterThanOrEqual(1200);
    expect(new Set(corpus.map((c) => c.id)).size).toBe(corpus.length);
    expect(new Set(corpus.map((c) => c.text)).size).toBe(corpus.length);
  });
  it("is about 55% reports, every queue represented, negatives labelled none", () => {
    const urgent = corpus.filter((c) => c.urgent);
    expect(urgent.length / corpus.length).toBeGreaterThan(0.5);
    expect(urgent.length / corpus.length).toBeLessThan(0.6);
    for (const cat of TRIAGE_CATEGORIES) expect(urgent.filter((c) => c.category === cat).length).toBeGreaterThan(80);
    for (const c of corpus) {
      expect(c.urgent ? c.category !== "none" : c.category === "none" && !c.immediate_danger).toBe(true);
    }
  });
  it("shares no sentence with the eval sets", () => {
    expect(evalTexts.size).toBeGreaterThan(500);
    const shared = corpus.filter((c) => evalTexts.has(c.text.trim()) || evalFolded.has(fold(c.text)));
    expect(shared.map((c) => c.id)).toEqual([]);
  });
});
