/**
 * The answer service: normalise → classify intent → search → compose.
 *
 * Synchronous: everything (indexes, jieba dictionary, lexicon) is built once
 * by `createAnswerService` / `createSearchIndex` at start-up, and answering is
 * pure CPU work (≈1–5 ms a question), so `answer` matches the chat service's
 * synchronous `AnswerFn`.
 */
import type { AnswerResult } from "../chat/chat-types.ts";
import type { AreaDef, PlanClause, ServiceEntry } from "../knowledge/knowledge-types.ts";
import type { PlanSearchOptions, SearchIndex } from "../search/search-index.ts";
import { type ComposeThresholds, composeAnswer } from "./compose-fns.ts";
import { classifyIntent } from "./intent-fns.ts";

export interface AnswerServiceDeps {
  index: SearchIndex;
  clauses: readonly PlanClause[];
  services: readonly ServiceEntry[];
  areas: readonly AreaDef[];
  thresholds?: Partial<ComposeThresholds>;
}

export interface AnswerService {
  answer(text: string, opts?: { area?: string | null }): AnswerResult;
}

/** Section preference by intent: figures live in 主要目标, measures in 策略措施. */
const GOAL_BOOST = 1.25;
const MEASURE_BOOST = 1.15;
const NAMED_PLAN_BOOST = 1.3;

export function createAnswerService(deps: AnswerServiceDeps): AnswerService {
  const { index } = deps;
  const hotlines = deps.services.filter((s) => s.category === "hotline");
  const byPhone = new Map<string, ServiceEntry>();
  for (const s of deps.services) if (s.phone && s.category === "hotline") byPhone.set(s.phone, s);

  return {
    answer(text: string, opts: { area?: string | null } = {}): AnswerResult {
      const nq = index.normalizer.normalize(text);
      const named = index.detectArea(nq.folded);
      const intent = classifyIntent(nq.text, { areaNamed: named !== null, original: nq.folded });
      const requested = opts.area ? index.resolveArea(opts.area) : null;
      const area = named ?? requested;

      const planOpts: PlanSearchOptions = { limit: 8 };
      if (intent.intent === "plan_target") planOpts.preferSection = { section: "goal", factor: GOAL_BOOST };
      else if (intent.intent === "plan_measure") planOpts.preferSection = { section: "measure", factor: MEASURE_BOOST };
      if (intent.plan) planOpts.preferPlan = { plan: intent.plan, factor: NAMED_PLAN_BOOST };

      const needsSearch = intent.intent !== "greeting" && intent.intent !== "capabilities";
      const planHits = needsSearch && intent.intent !== "out_of_scope" ? index.searchPlans(nq, planOpts) : [];
      const serviceHits = intent.intent === "service" ? index.searchServices(nq, { area, limit: 30 }) : [];
      const namedHotlines = [...nq.folded.matchAll(/\d{3,5}/gu)]
        .map((m) => byPhone.get(m[0]))
        .filter((e): e is ServiceEntry => e !== undefined);

      return composeAnswer({
        intent,
        planHits,
        serviceHits,
        hotlines,
        namedHotlines,
        area,
        keyTerms: needsSearch ? index.keyTerms(nq) : [],
        ...(deps.thresholds ? { thresholds: deps.thresholds } : {}),
      });
    },
  };
}
