/**
 * The model's say on a message stages 1–2 caught (src/triage/arbitration-fns.ts): veto, queue
 * override and immediate raise by the strength of the rules' evidence, alone and in the engine.
 * In the engine the model is a constant stub (no features, its biases are the probabilities), so
 * each case states exactly what the model "thinks".
 */
import { describe, expect, it } from "vitest";
import {
  ARBITRATION_OFF,
  arbitrateCatch,
  arbitrationApplies,
  CATCH_EVIDENCE,
  type CatchArbitration,
  type CatchEvidence,
  type RulesCatch,
} from "../../src/triage/arbitration-fns.ts";
import { MODEL_CLASSES, type ModelVerdict, type TriageModel } from "../../src/triage/classifier-fns.ts";
import { createTriage } from "../../src/triage/triage-fns.ts";
import { loadTriageLexicon, parseTriageLexicon, readTriageFiles } from "../../src/triage/triage-lexicon.ts";
import type { TriageCategory, TriageLexicon } from "../../src/triage/triage-types.ts";

const BARS: CatchArbitration = {
  veto: { solid: null, contested: null, weak: 0.1, net: 0.2 },
  override: { solid: null, contested: 0.8, weak: 0.7, net: 0.6 },
  immediate: 0.5,
};

const verdict = (v: Partial<ModelVerdict>): ModelVerdict => ({
  pUrgent: 0.9,
  category: "self_harm",
  pCategory: 0.9,
  pImmediate: 0.1,
  ...v,
});
const caught = (c: Partial<RulesCatch>): RulesCatch => ({
  category: "domestic_violence",
  severity: "urgent",
  evidence: "solid",
  capped: false,
  ...c,
});

describe("arbitrateCatch", () => {
  it.each([
    // veto: only below the bar of the catch's evidence
    {
      name: "net, P(report) under the net bar → vetoed",
      rules: { evidence: "net" },
      model: { pUrgent: 0.15 },
      category: null,
      severity: null,
      signals: ["model.veto", "model.p=0.15"],
    },
    {
      name: "weak, P(report) at the bar → kept",
      rules: { evidence: "weak" },
      model: { pUrgent: 0.1, category: "domestic_violence" },
      category: "domestic_violence",
      severity: "urgent",
      signals: [],
    },
    {
      name: "weak, P(report) under the bar → vetoed",
      rules: { evidence: "weak" },
      model: { pUrgent: 0.05 },
      category: null,
      severity: null,
      signals: ["model.veto", "model.p=0.05"],
    },
    {
      name: "solid is never vetoed (bar off)",
      rules: {},
      model: { pUrgent: 0.01, category: "domestic_violence" },
      category: "domestic_violence",
      severity: "urgent",
      signals: [],
    },
    // override: the model's queue when it is sure enough for the evidence
    {
      name: "contested, model sure of another queue → override",
      rules: { evidence: "contested" },
      model: { pCategory: 0.85 },
      category: "self_harm",
      severity: "urgent",
      signals: ["model.category_override", "model.pc=0.85"],
    },
    {
      name: "contested, model not sure enough → rules' queue",
      rules: { evidence: "contested" },
      model: { pCategory: 0.75 },
      category: "domestic_violence",
      severity: "urgent",
      signals: [],
    },
    {
      name: "net, model fairly sure → override",
      rules: { evidence: "net" },
      model: { pCategory: 0.6 },
      category: "self_harm",
      severity: "urgent",
      signals: ["model.category_override", "model.pc=0.60"],
    },
    {
      name: "solid is never overridden (bar off)",
      rules: {},
      model: { pCategory: 0.99 },
      category: "domestic_violence",
      severity: "urgent",
      signals: [],
    },
    {
      name: "same queue: nothing to override",
      rules: { evidence: "weak" },
      model: { category: "domestic_violence", pCategory: 0.99 },
      category: "domestic_violence",
      severity: "urgent",
      signals: [],
    },
    // immediate: raised at the bar, never against a cap, never twice
    {
      name: "P(immediate) at the bar → immediate",
      rules: {},
      model: { category: "domestic_violence", pImmediate: 0.5 },
      category: "domestic_violence",
      severity: "immediate",
      signals: ["model.immediate"],
    },
    {
      name: "concern raised too",
      rules: { severity: "concern", evidence: "net" },
      model: { category: "domestic_violence", pImmediate: 0.9 },
      category: "domestic_violence",
      severity: "immediate",
      signals: ["model.immediate"],
    },
    {
      name: "capped (long ago) → not raised",
      rules: { capped: true },
      model: { category: "domestic_violence", pImmediate: 0.9 },
      category: "domestic_violence",
      severity: "urgent",
      signals: [],
    },
    {
      name: "already immediate → no signal",
      rules: { severity: "immediate" },
      model: { category: "domestic_violence", pImmediate: 0.9 },
      category: "domestic_violence",
      severity: "immediate",
      signals: [],
    },
    {
      name: "override and raise together",
      rules: { evidence: "weak" },
      model: { pCategory: 0.9, pImmediate: 0.9 },
      category: "self_harm",
      severity: "immediate",
      signals: ["model.category_override", "model.pc=0.90", "model.immediate"],
    },
  ] as const)("$name", ({ rules, model, category, severity, signals }) => {
    const out = arbitrateCatch(caught(rules as Partial<RulesCatch>), verdict(model as Partial<ModelVerdict>), BARS);
    expect(out).toEqual({ category, severity, signals });
  });

  it.each<[CatchArbitration, CatchEvidence, boolean]>([
    [ARBITRATION_OFF, "net", false],
    [BARS, "solid", true],
    [{ ...ARBITRATION_OFF, veto: { ...ARBITRATION_OFF.veto, net: 0.1 } }, "net", true],
    [{ ...ARBITRATION_OFF, veto: { ...ARBITRATION_OFF.veto, net: 0.1 } }, "weak", false],
    [{ ...ARBITRATION_OFF, override: { ...ARBITRATION_OFF.override, contested: 0.8 } }, "contested", true],
  ])("arbitrationApplies (case %#)", (bars, evidence, expected) => {
    expect(arbitrationApplies(bars, evidence)).toBe(expected);
  });

  it.each(CATCH_EVIDENCE)("ARBITRATION_OFF leaves a %s catch as it is", (evidence) => {
    const rules = caught({ evidence });
    const out = arbitrateCatch(rules, verdict({ pUrgent: 0.001, pCategory: 1, pImmediate: 1 }), ARBITRATION_OFF);
    expect(out).toEqual({ category: rules.category, severity: rules.severity, signals: [] });
  });
});

// ── in the engine ──────────────────────────────────────────────────────────

/** A model with no features: every message gets these probabilities. */
function constantModel(category: TriageCategory, pUrgent: number, pCategory: number, pNow: number): TriageModel {
  const rest = (1 - pCategory) / 4;
  const p = (c: string) => (c === "none" ? 1 - pUrgent : pUrgent * (c === category ? pCategory : rest));
  const head = (classes: readonly string[], probs: number[]) => ({
    classes,
    vocab: new Map<string, number>(),
    weights: new Float64Array(0),
    bias: Float64Array.from(probs.map((x) => Math.log(Math.max(x, 1e-12)))),
    maxN: 1,
  });
  return {
    report: head(MODEL_CLASSES, MODEL_CLASSES.map(p)),
    immediate: head(["later", "now"], [1 - pNow, pNow]),
  };
}

const lexicon = loadTriageLexicon();
function triageWith(model: TriageModel, onCatch: CatchArbitration) {
  if (!lexicon.classifier) throw new Error("no classifier");
  const lex: TriageLexicon = { ...lexicon, classifier: { ...lexicon.classifier, model, onCatch } };
  return createTriage(lex);
}
const rulesOnly = createTriage({ ...lexicon, classifier: null });
const onlyOverride = (evidence: CatchEvidence): CatchArbitration => ({
  ...ARBITRATION_OFF,
  override: { ...ARBITRATION_OFF.override, [evidence]: 0.5 },
});

describe("the engine classes a catch's evidence", () => {
  it.each<[string, CatchEvidence]>([
    ["他昨晚又打我了 我胳膊上都是青的", "solid"],
    ["我老公喝醉了打我 还把孩子也打了", "contested"],
    ["家暴", "weak"],
    ["他喝多了抄凳子往我身上抡", "net"],
  ])("%s → %s", (text, evidence) => {
    const rules = rulesOnly(text);
    expect(rules.urgent).toBe(true);
    const other: TriageCategory = rules.category === "trafficking_missing" ? "self_harm" : "trafficking_missing";
    for (const e of CATCH_EVIDENCE) {
      const r = triageWith(constantModel(other, 0.9, 0.99, 0), onlyOverride(e))(text);
      expect(r.category, `override on ${e}`).toBe(e === evidence ? other : rules.category);
      expect(r.signals.includes("model.category_override"), `override on ${e}`).toBe(e === evidence);
    }
  });
});

describe("veto, override and immediate in the engine", () => {
  it("a vetoed net catch is not urgent, says why, and stage 3 does not catch it again", () => {
    const text = "他喝多了抄凳子往我身上抡";
    const r = triageWith(constantModel("domestic_violence", 0.05, 0.9, 0), {
      ...ARBITRATION_OFF,
      veto: { ...ARBITRATION_OFF.veto, net: 0.1 },
    })(text);
    expect(r).toMatchObject({ urgent: false, category: null, severity: null, queue: null, needsMedical: false });
    expect(r.signals).toContain("model.veto");
    expect(r.signals).not.toContain("model.domestic_violence");
  });
  it("the model raises a stage-1 catch to immediate, with model.immediate", () => {
    const text = "他昨晚又打我了 我胳膊上都是青的";
    expect(rulesOnly(text).severity).not.toBe("immediate");
    const r = triageWith(constantModel("domestic_violence", 0.9, 0.9, 0.95), { ...ARBITRATION_OFF, immediate: 0.5 })(
      text,
    );
    expect(r.severity).toBe("immediate");
    expect(r.signals).toContain("model.immediate");
  });
  it("…but not a report of long ago (sev.past caps it)", () => {
    const text = "我小时候我爸天天打我 打得我身上全是伤";
    const rules = rulesOnly(text);
    expect(rules.signals).toContain("sev.past");
    const r = triageWith(constantModel("child_harm", 0.9, 0.9, 0.95), { ...ARBITRATION_OFF, immediate: 0.5 })(text);
    expect(r.severity).toBe(rules.severity);
    expect(r.signals).not.toContain("model.immediate");
  });
  it("with every mechanism off a stage 1–2 catch is exactly the rules' verdict", () => {
    const model = constantModel("self_harm", 0.01, 1, 1);
    for (const text of ["他昨晚又打我了 我胳膊上都是青的", "家暴", "他喝多了抄凳子往我身上抡"]) {
      expect(triageWith(model, ARBITRATION_OFF)(text)).toEqual(rulesOnly(text));
    }
  });
});

describe("classifier.yaml on_catch", () => {
  const withYaml = (onCatch: string) => {
    const files = readTriageFiles();
    const yaml = (files["classifier.yaml"] ?? "").replace(/\n {2}on_catch:[\s\S]*?(?=\n {2}max_n:)/, "");
    return { ...files, "classifier.yaml": yaml.replace("\n  max_n:", `\n${onCatch}\n  max_n:`) };
  };
  it("absent: every mechanism off", () => {
    expect(parseTriageLexicon(withYaml("")).classifier?.onCatch).toEqual(ARBITRATION_OFF);
  });
  it("partial: the rest off", () => {
    const lex = parseTriageLexicon(withYaml("  on_catch:\n    veto: { net: 0.1 }\n    immediate: 0.6"));
    expect(lex.classifier?.onCatch).toEqual({
      ...ARBITRATION_OFF,
      veto: { ...ARBITRATION_OFF.veto, net: 0.1 },
      immediate: 0.6,
    });
  });
  it.each(["  on_catch:\n    immediate: 1.5", "  on_catch:\n    veto: { strong: 0.1 }"])("rejects %s", (onCatch) => {
    expect(() => parseTriageLexicon(withYaml(onCatch))).toThrow();
  });
});
