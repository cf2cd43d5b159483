/**
 * Shapes of the urgent-report triage: its verdict and the compiled lexicon the
 * engine runs on. The lexicon is reviewed data in `knowledge/triage/*.yaml`,
 * validated and compiled by `triage-lexicon.ts`; the engine (`triage-fns.ts`)
 * is pure.
 */
import type { CatchArbitration } from "./arbitration-fns.ts";
import type { TrainOptions, TriageModel } from "./classifier-fns.ts";
import type { ConceptMarker } from "./triage-fns.ts";

export const TRIAGE_CATEGORIES = [
  "domestic_violence",
  "child_harm",
  "sexual_violence",
  "self_harm",
  "trafficking_missing",
] as const;
export type TriageCategory = (typeof TRIAGE_CATEGORIES)[number];

export const TRIAGE_SEVERITIES = ["concern", "urgent", "immediate"] as const;
export type TriageSeverity = (typeof TRIAGE_SEVERITIES)[number];

/** Evidence levels of a harm cue, weakest first. A negative context masks cues up to its `max_level`. */
export const CUE_LEVELS = ["term", "event", "disclosure"] as const;
export type CueLevel = (typeof CUE_LEVELS)[number];

export interface OpenCaseContext {
  category: TriageCategory;
  severity: TriageSeverity;
}

export interface TriageContext {
  openCase?: OpenCaseContext | undefined;
}

export interface TriageQueue {
  id: string;
  name: string;
}

export interface TriageResult {
  /** True when the message should open (or attach to) a case for staff. */
  urgent: boolean;
  category: TriageCategory | null;
  severity: TriageSeverity | null;
  /** Injury, overdose, self-harm in progress: the reply leads with 120. */
  needsMedical: boolean;
  /** The message continues the open case given in the context. */
  followUp: boolean;
  /** Default queue for the category (knowledge/triage/queues.yaml). */
  queue: TriageQueue | null;
  /** Ids of the rules that fired (cues, boosters, severity cues, negative contexts, masks), for staff. */
  signals: string[];
  /** Score per category that had any unmasked cue (for evaluation and debugging). */
  scores: Partial<Record<TriageCategory, number>>;
}

export type TriageFn = (text: string, context?: TriageContext) => TriageResult;

// ── compiled lexicon ────────────────────────────────────────────────────────

/** Possessives and quantifiers that may stand in front of a victim word; the engine strips them again. */
export const VICTIM_PREFIXES = [
  "我的",
  "俺的",
  "我家的",
  "俺家的",
  "我家",
  "俺家",
  "我",
  "俺",
  "他的",
  "她的",
  "他家的",
  "她家的",
  "他家",
  "她家",
  "他",
  "她",
  "人家的",
  "人家",
  "自家的",
  "自家",
  "一个",
  "那个",
  "这个",
  "个",
  "这",
  "那",
] as const;

/** Who a match is about, from the cue's `v` capture group. */
export type VictimKind = "self" | "child" | "adult" | "unknown";
/** Who does the harm, from the cue's `a` capture group or the nearest actor word before it. */
export type ActorKind = "partner" | "parent" | "teacher" | "stranger" | "unknown";

/** Conditions a resolver rule can test (all listed must hold). */
export const RESOLVER_CONDITIONS = [
  "victim_child",
  "victim_self",
  "victim_adult",
  "victim_unknown",
  "speaker_minor",
  "actor_partner",
  "actor_parent",
  "actor_teacher",
  "actor_stranger",
  "actor_unknown",
  "child_in_message",
  "speaker_not_victim",
  "grown_child",
  "household",
] as const;
export type ResolverCondition = (typeof RESOLVER_CONDITIONS)[number];

export interface ResolverRule {
  when: ResolverCondition[];
  /** null = the cue is not about any of our categories (an adult attacked by a stranger): dropped. */
  category: TriageCategory | null;
}

export interface Resolver {
  rules: ResolverRule[];
  default: TriageCategory;
}

export interface CompiledAlias {
  id: string;
  re: RegExp;
  to: string;
}

export interface CompiledMask {
  id: string;
  re: RegExp;
}

export interface CompiledCue {
  id: string;
  group: string;
  /** Fixed category, or the default when `resolve` is set. */
  category: TriageCategory;
  resolve: string | null;
  level: CueLevel;
  weight: number;
  severity: TriageSeverity;
  medical: boolean;
  /** A 不/没 right before the match cancels it. */
  negatable: boolean;
  /** Upgrade to `disclosure` when the resident speaks about themself or their own family (我老公…, 俺孩子…). */
  firstPerson: boolean;
  /** A context cue (fear, crying, smashing things): it joins the category of the message's main cues when there are any. */
  joins: boolean;
  /** Word classes that must occur somewhere in the message (e.g. CHILD). */
  requires: string[];
  patterns: RegExp[];
}

export interface CompiledNegative {
  id: string;
  patterns: RegExp[];
  scope: "message" | "clause";
  window: number;
  maxLevel: CueLevel;
  /** Cue groups it applies to; empty = all. */
  groups: string[];
  /** Categories it does not mask (e.g. jokes never remove self-harm). */
  exceptCategories: TriageCategory[];
  /** Cue ids it never masks. */
  exceptCues: string[];
  /** Instead of masking those excepted categories, cap their severity here. */
  capExcepted: TriageSeverity | null;
  /** If any of these match (same scope), the negative does not apply. */
  unless: RegExp[];
}

export interface CompiledBooster {
  id: string;
  patterns: RegExp[];
  weight: number;
  categories: TriageCategory[];
  /** Raise severity to this when the category's base severity is at least `raiseMin`. */
  raise: TriageSeverity | null;
  raiseMin: TriageSeverity;
  medical: boolean;
}

export interface CompiledSeverityCue {
  id: string;
  patterns: RegExp[];
  effect: "raise" | "cap";
  to: TriageSeverity;
  /** For `raise`: only when the base severity is at least this. */
  min: TriageSeverity;
  categories: TriageCategory[];
}

export interface CompiledFollowUp {
  id: string;
  patterns: RegExp[];
  raise: TriageSeverity | null;
}

export interface QueueInfo {
  id: string;
  name: string;
  defaultSeverity: TriageSeverity;
  /** Lower number wins a tie between categories. */
  priority: number;
}

export interface TriageSettings {
  threshold: number;
  /** Boosters only count once the category's own cues reach this. */
  boosterMinCue: number;
  /** A message this short (in characters, spaces/punctuation excluded) that is just a harm term counts as a disclosure. */
  bareTermMaxChars: number;
  bareTermWeight: number;
  /** Below `threshold`, a category with a first-person disclosure cue that reaches this is urgent at concern (null = off). */
  concernThreshold: number | null;
  clauseWindow: number;
}

export interface TriageLexicon {
  settings: TriageSettings;
  aliases: CompiledAlias[];
  /** Spans blanked before cue matching: idioms, everyday 打, programme names. */
  masks: CompiledMask[];
  classes: Record<string, string[]>;
  /** Regex source of each class (escaped, longest first), for the engine's own lookups. */
  classRe: Record<string, RegExp>;
  resolvers: Record<string, Resolver>;
  cues: CompiledCue[];
  negation: RegExp;
  /** The resident asks for help for themself (我该怎么办, 找谁, 救救我): a lone topic word then counts as a disclosure. */
  helpSeeking: RegExp;
  firstPersonAnchor: RegExp;
  speakerMinor: RegExp[];
  negatives: CompiledNegative[];
  boosters: CompiledBooster[];
  severityCues: CompiledSeverityCue[];
  medical: CompiledMask[];
  followUps: CompiledFollowUp[];
  queues: Record<TriageCategory, QueueInfo>;
  /** Stage 2, the broad net (net.yaml); null when the directory has no net.yaml. */
  net: CompiledNet | null;
  /** Stage 3, the learned classifier (classifier.yaml + training/*.jsonl); null without classifier.yaml. */
  classifier: CompiledClassifier | null;
}

/** Stage 3: a model trained on the corpus when the lexicon is loaded. */
export interface CompiledClassifier {
  model: TriageModel;
  /** P(urgent) at or above which a message the rules let pass goes to staff. */
  threshold: number;
  /** The same for a message a negative context or an idiom/game mask softens, or with a denied cue. */
  softenedThreshold: number;
  /** The same (at least) for a message with no word of the net's harm families. */
  bareThreshold: number;
  /** P(immediate) at or above which a message stage 3 passes on is immediate. */
  immediateThreshold: number;
  /** The model's say on a message stages 1–2 caught (veto, queue override, immediate), by evidence strength. */
  onCatch: CatchArbitration;
  /** Word classes the model also reads as one mark per class (null = plain text). */
  concepts: ConceptMarker | null;
  /** How the model was trained (cross-validation retrains with the same settings). */
  options: TrainOptions;
}

/** One harm family of the broad net: characters/short words of one kind of harm. */
export interface CompiledNetFamily {
  id: string;
  category: TriageCategory;
  /** Category used when a child word is in the message. */
  childCategory: TriageCategory;
  /** Category used when the person next to the harm is a stranger; null = `category`. */
  strangerCategory: TriageCategory | null;
  /** False: the family needs no person word (self-harm: the speaker is implied). */
  needsPerson: boolean;
  patterns: RegExp[];
}

/** Stage 2: a harm family near a person word, in a message nothing softens. */
export interface CompiledNet {
  window: number;
  /** How many clauses away a person word may be (0 = same clause). */
  clauseReach: number;
  /** Largest distance to a person word in another clause. */
  reachWindow: number;
  person: RegExp;
  families: CompiledNetFamily[];
  blank: RegExp[];
  quiet: RegExp[];
  /** Means or place already at hand: the net's catch is immediate. */
  immediate: RegExp[];
}
