/**
 * The learned classifier's say on a message stages 1–2 already caught. Pure.
 *
 * Stages 1–2 decide *whether* a message is a report from enumerated wording; how sure they are
 * differs a lot between catches. A stage-1 catch on disclosure cues of one queue is solid; a catch
 * on a bare term, a concern-level safety net, cues of two queues at once, or the broad net's
 * harm-character-near-a-person is weak evidence — and exactly where the model, trained on whole
 * sentences, reads the queue, the immediacy and even "not a report" better. So, by the strength of
 * the rules' evidence (knowledge/triage/classifier.yaml `on_catch`, thresholds chosen by 5-fold
 * cross-validation on the corpus, scripts/eval-triage-cv.ts):
 *
 * - veto: P(report) below the bar drops the catch           (signal model.veto)
 * - override: P(queue | report) at or above the bar replaces the rules' queue (model.category_override)
 * - immediate: P(immediate) at or above the bar raises the severity           (model.immediate)
 *
 * A bar of null switches that mechanism off for that evidence.
 */
import type { ModelVerdict } from "./classifier-fns.ts";
import type { TriageCategory, TriageSeverity } from "./triage-types.ts";

/**
 * How strong the rules' evidence for a catch is, strongest first:
 * - solid: stage 1, non-term cues of one queue only, at or above the threshold
 * - contested: stage 1, but another queue has non-term cues too (the queue is a close call)
 * - weak: stage 1 on term-level cues only, a bare term, or the concern-level safety net
 * - net: stage 2, a harm character near a person word
 */
export const CATCH_EVIDENCE = ["solid", "contested", "weak", "net"] as const;
export type CatchEvidence = (typeof CATCH_EVIDENCE)[number];

/** Bars per evidence strength; null = the mechanism is off there. */
export type EvidenceBars = Record<CatchEvidence, number | null>;

export interface CatchArbitration {
  /** P(report) below which the catch is dropped. */
  veto: EvidenceBars;
  /** P(queue | report) at or above which the model's queue replaces the rules'. */
  override: EvidenceBars;
  /** P(immediate) at or above which the catch becomes immediate (never against a "long ago" cap). */
  immediate: number | null;
}

/** Every mechanism off: the rules' catch stands as it is. */
export const ARBITRATION_OFF: CatchArbitration = {
  veto: { solid: null, contested: null, weak: null, net: null },
  override: { solid: null, contested: null, weak: null, net: null },
  immediate: null,
};

export interface RulesCatch {
  category: TriageCategory;
  severity: TriageSeverity;
  evidence: CatchEvidence;
  /** A "long ago" or joke cap lowered the severity: the model must not raise it back to immediate. */
  capped: boolean;
}

export interface ArbitrationOutcome {
  /** Null when vetoed. */
  category: TriageCategory | null;
  severity: TriageSeverity | null;
  /** The signal ids of what changed (empty when the rules' catch stands). */
  signals: string[];
}

/** True when some mechanism is on for this evidence (else the model need not be asked at all). */
export function arbitrationApplies(bars: CatchArbitration, evidence: CatchEvidence): boolean {
  return bars.veto[evidence] !== null || bars.override[evidence] !== null || bars.immediate !== null;
}

/** The model's reading applied to a rules catch: veto, else queue override and immediate raise. */
export function arbitrateCatch(rules: RulesCatch, model: ModelVerdict, bars: CatchArbitration): ArbitrationOutcome {
  const veto = bars.veto[rules.evidence];
  if (veto !== null && model.pUrgent < veto) {
    return { category: null, severity: null, signals: ["model.veto", `model.p=${model.pUrgent.toFixed(2)}`] };
  }
  const signals: string[] = [];
  let category = rules.category;
  const override = bars.override[rules.evidence];
  if (override !== null && model.category !== rules.category && model.pCategory >= override) {
    category = model.category;
    signals.push("model.category_override", `model.pc=${model.pCategory.toFixed(2)}`);
  }
  let severity = rules.severity;
  if (bars.immediate !== null && severity !== "immediate" && !rules.capped && model.pImmediate >= bars.immediate) {
    severity = "immediate";
    signals.push("model.immediate");
  }
  return { category, severity, signals };
}
