/**
 * The triage engine: pure functions over a compiled lexicon
 * (knowledge/triage/*.yaml, loaded by triage-lexicon.ts).
 *
 *   normalise → blank masks (idioms, everyday 打, programme names)
 *   → find harm cues → drop cues negated by 不/没 or masked by a negative context
 *   → resolve each cue's category from its victim/actor → score per category
 *   → boosters → pick the category (score ≥ threshold, or a first-person disclosure
 *   ≥ concern_threshold with nothing softening the message: passed on at concern)
 *   → severity (raise/cap)
 *   → stage 2, the broad net (net.yaml), only when stage 1 found nothing and nothing softens the message
 *   → the model's say on a stage 1–2 catch (veto / queue override / immediate, by evidence strength)
 *   → stage 3, the learned classifier (classifier.yaml), when nothing caught the message
 *   → follow-up handling.
 *
 * Every rule that fires is reported in `signals` by its id.
 */
import { arbitrateCatch, arbitrationApplies, type CatchEvidence } from "./arbitration-fns.ts";
import { modelVerdict } from "./classifier-fns.ts";
import { applyAliases, firedAliases, foldForTriage, normalizeForTriage } from "./normalize-fns.ts";
import {
  type ActorKind,
  type CompiledCue,
  type CompiledNet,
  type CompiledNetFamily,
  type CueLevel,
  type ResolverCondition,
  TRIAGE_CATEGORIES,
  type TriageCategory,
  type TriageContext,
  type TriageFn,
  type TriageLexicon,
  type TriageResult,
  type TriageSeverity,
  VICTIM_PREFIXES,
  type VictimKind,
} from "./triage-types.ts";

const SEV_RANK: Record<TriageSeverity, number> = { concern: 1, urgent: 2, immediate: 3 };
const LEVEL_RANK: Record<CueLevel, number> = { term: 0, event: 1, disclosure: 2 };
const SEPARATOR = /[\s,.;:!?。，、；：！？~…]/u;
const MASK_CHAR = "_";

export function maxSeverity(a: TriageSeverity, b: TriageSeverity): TriageSeverity {
  return SEV_RANK[a] >= SEV_RANK[b] ? a : b;
}

function minSeverity(a: TriageSeverity, b: TriageSeverity): TriageSeverity {
  return SEV_RANK[a] <= SEV_RANK[b] ? a : b;
}

function matchesOf(re: RegExp, text: string): RegExpExecArray[] {
  re.lastIndex = 0;
  const out: RegExpExecArray[] = [];
  if (!re.global) {
    const m = re.exec(text);
    if (m && m[0].length > 0) out.push(m);
    return out;
  }
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    out.push(m);
  }
  return out;
}

function anyMatch(res: readonly RegExp[], text: string): boolean {
  return res.some((re) => matchesOf(re, text).length > 0);
}

// ── text preparation ────────────────────────────────────────────────────────

/** Replaces every match of the masks with "_" (same length, so positions stay aligned). */
export function applyMasks(text: string, masks: TriageLexicon["masks"]): { masked: string; fired: string[] } {
  const chars = text.split("");
  const fired: string[] = [];
  for (const m of masks) {
    for (const hit of matchesOf(m.re, text)) {
      for (let i = hit.index; i < hit.index + hit[0].length; i++) chars[i] = MASK_CHAR;
      if (!fired.includes(m.id)) fired.push(m.id);
    }
  }
  return { masked: chars.join(""), fired };
}

/** Clause number of every position (-1 on separators). Spaces separate clauses too. */
export function clauseIds(text: string): Int32Array {
  const ids = new Int32Array(text.length);
  let clause = 0;
  let inSep = false;
  for (let i = 0; i < text.length; i++) {
    if (SEPARATOR.test(text[i] ?? "")) {
      ids[i] = -1;
      if (!inSep) clause++;
      inSep = true;
    } else {
      ids[i] = clause;
      inSep = false;
    }
  }
  return ids;
}

function clauseAt(ids: Int32Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const id = ids[i] ?? -1;
    if (id >= 0) return id;
  }
  return -1;
}

function distance(a0: number, a1: number, b0: number, b1: number): number {
  if (a1 <= b0) return b0 - a1;
  if (b1 <= a0) return a0 - b1;
  return 0;
}

// ── people ──────────────────────────────────────────────────────────────────

interface People {
  self: Set<string>;
  child: Set<string>;
  adult: Set<string>;
  partner: Set<string>;
  parent: Set<string>;
  teacher: Set<string>;
  stranger: Set<string>;
  actorRe: RegExp;
  /** Partner/parent words that contain a child word (孩子他爸): blanked before looking for children. */
  childCompoundRe: RegExp | null;
  childRe: RegExp;
  /** 我/俺 not used as a possessive in front of a family word. */
  speakerRe: RegExp;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function wordsRe(words: Iterable<string>): RegExp | null {
  const list = [...new Set(words)].sort((a, b) => b.length - a.length);
  return list.length === 0 ? null : new RegExp(`(?:${list.map(escapeRe).join("|")})`, "gu");
}

function buildPeople(lex: TriageLexicon): People {
  const cls = (name: string) => new Set(lex.classes[name] ?? []);
  const child = cls("CHILD");
  const partner = cls("PARTNER");
  const parent = cls("PARENT");
  const teacher = cls("TEACHER");
  const stranger = cls("STRANGER");
  const compounds = [...partner, ...parent].filter((w) => [...child].some((c) => w.includes(c)));
  return {
    self: cls("SELF"),
    child,
    adult: cls("ADULT"),
    partner,
    parent,
    teacher,
    stranger,
    actorRe: wordsRe([...partner, ...parent, ...teacher, ...stranger]) ?? /(?!)/gu,
    childCompoundRe: wordsRe(compounds),
    childRe: wordsRe(child) ?? /(?!)/gu,
    // Not the resident as the one harmed: 俺孩子 (possessive), 跟我说 / 告诉我 (the one told),
    // 我是他班主任 / 我看到 / 我担心 (a witness or a role).
    speakerRe: new RegExp(
      `(?<!跟|和|告诉|问|给|找)(?:我|俺)(?!们|家|的|是|看到|看见|听到|听见|发现|怀疑|担心|觉得|想问|想知道|该|应该|${[...child, ...partner, ...parent, ...cls("ADULT")].map(escapeRe).join("|")})`,
      "u",
    ),
  };
}

/** The possessive or quantifier in front of a victim word (我家孩子 → 孩子, 他闺女 → 闺女, 一个小男孩 → 小男孩). */
const VICTIM_PREFIX_RE = new RegExp(`^(?:${[...VICTIM_PREFIXES].sort((a, b) => b.length - a.length).join("|")})`, "u");

function classifyVictim(word: string | undefined, people: People): VictimKind {
  if (!word) return "unknown";
  if (people.self.has(word) || /^(?:我|俺)(?:们|全家|家里人)?$|^(?:我|俺)?全家$/u.test(word)) return "self";
  const core = word.replace(VICTIM_PREFIX_RE, "") || word;
  if (people.child.has(core) || people.child.has(word)) return "child";
  if (people.adult.has(core) || people.partner.has(core) || people.adult.has(word)) return "adult";
  return "unknown";
}

/** Generic words for "somebody" after 被/叫 (被人打了): a person outside the family. */
const GENERIC_OTHERS = new Set(["人", "别人", "外人", "路人", "坏人", "对方", "陌生人", "有人"]);

function classifyActor(word: string | undefined, people: People): ActorKind {
  if (!word) return "unknown";
  const core = word.replace(VICTIM_PREFIX_RE, "");
  if (core && core !== word) {
    const kind = classifyActor(core, people);
    if (kind !== "unknown") return kind;
  }
  if (GENERIC_OTHERS.has(word)) return "stranger";
  if (people.partner.has(word)) return "partner";
  if (people.teacher.has(word)) return "teacher";
  if (people.parent.has(word)) return "parent";
  if (people.stranger.has(word)) return "stranger";
  return "unknown";
}

/** The nearest person word in the 15 characters before a cue (who is doing it). */
function nearestActor(masked: string, start: number, people: People): ActorKind {
  const window = masked.slice(Math.max(0, start - 15), start);
  const hits = matchesOf(people.actorRe, window);
  const last = hits[hits.length - 1];
  return classifyActor(last?.[0], people);
}

/** True when the (optional) word class occurs in the text. */
function classInText(lex: TriageLexicon, name: string, text: string): boolean {
  const re = lex.classRe[name];
  return re ? matchesOf(re, text).length > 0 : false;
}

// ── cue matching ────────────────────────────────────────────────────────────

interface CueHit {
  cue: CompiledCue;
  start: number;
  end: number;
  level: CueLevel;
  category: TriageCategory;
  victim: VictimKind;
  actor: ActorKind;
  masked: boolean;
}

/** While resolving: null = the resolver says the cue is outside every category (dropped). */
type RawHit = Omit<CueHit, "category"> & { category: TriageCategory | null };

interface MessageFacts {
  speakerMinor: boolean;
  childInMessage: boolean;
  /** The resident mentions themself (我/俺) other than as a possessive (俺孩子, 我老公). */
  speakerPresent: boolean;
  /** Masked text with partner/parent compounds like 孩子他爸 blanked, for `requires` checks. */
  personText: string;
  /** The "child" is grown up and married (我女婿打我闺女, 闺女嫁过去以后): class GROWN_CHILD. */
  grownChild: boolean;
  /** The message describes a household (邻居家, 两口子): class HOUSEHOLD. */
  household: boolean;
}

function resolveCategory(
  lex: TriageLexicon,
  cue: CompiledCue,
  victim: VictimKind,
  actor: ActorKind,
  facts: MessageFacts,
): TriageCategory | null {
  if (!cue.resolve) return cue.category;
  const resolver = lex.resolvers[cue.resolve];
  if (!resolver) return cue.category;
  const holds = (c: ResolverCondition): boolean => {
    switch (c) {
      case "victim_child":
        return victim === "child";
      case "victim_self":
        return victim === "self";
      case "victim_adult":
        return victim === "adult";
      case "victim_unknown":
        return victim === "unknown";
      case "speaker_minor":
        return facts.speakerMinor;
      case "actor_partner":
        return actor === "partner";
      case "actor_parent":
        return actor === "parent";
      case "actor_teacher":
        return actor === "teacher";
      case "actor_stranger":
        return actor === "stranger";
      case "actor_unknown":
        return actor === "unknown";
      case "child_in_message":
        return facts.childInMessage;
      case "speaker_not_victim":
        return !facts.speakerPresent;
      case "grown_child":
        return facts.grownChild;
      case "household":
        return facts.household;
    }
  };
  for (const rule of resolver.rules) {
    if (rule.when.every(holds)) return rule.category;
  }
  return resolver.default;
}

function findCues(
  lex: TriageLexicon,
  masked: string,
  facts: MessageFacts,
  people: People,
  signals: Set<string>,
): CueHit[] {
  const hits: RawHit[] = [];
  for (const cue of lex.cues) {
    if (cue.requires.some((cls) => !lex.classRe[cls] || matchesOf(lex.classRe[cls], facts.personText).length === 0)) {
      continue;
    }
    for (const re of cue.patterns) {
      for (const m of matchesOf(re, masked)) {
        const start = m.index;
        const end = start + m[0].length;
        if (cue.negatable && lex.negation.test(masked.slice(Math.max(0, start - 5), start))) {
          signals.add("neg.negated");
          continue;
        }
        const victim = classifyVictim(m.groups?.v, people);
        const actor = m.groups?.a ? classifyActor(m.groups.a, people) : nearestActor(masked, start, people);
        let level = cue.level;
        if (
          cue.firstPerson &&
          level !== "disclosure" &&
          (victim === "self" || lex.firstPersonAnchor.test(masked.slice(Math.max(0, start - 10), start)))
        ) {
          level = "disclosure";
        }
        hits.push({
          cue,
          start,
          end,
          level,
          category: resolveCategory(lex, cue, victim, actor, facts),
          victim,
          actor,
          masked: false,
        });
      }
    }
  }
  // A cue that names no victim (吊起来打, 往死里打) is about the same person as the nearest
  // cue of the same kind that does (把孩子…): resolve it with that victim.
  for (const hit of hits) {
    if (!hit.cue.resolve || hit.victim !== "unknown") continue;
    let best: RawHit | null = null;
    for (const other of hits) {
      if (other.cue.resolve !== hit.cue.resolve || other.victim === "unknown") continue;
      if (!best || Math.abs(other.start - hit.start) < Math.abs(best.start - hit.start)) best = other;
    }
    if (best) hit.category = resolveCategory(lex, hit.cue, best.victim, hit.actor, facts);
  }
  const kept: CueHit[] = [];
  for (const hit of hits) {
    if (hit.category === null) signals.add("ctx.out_of_scope");
    else kept.push({ ...hit, category: hit.category });
  }
  return kept;
}

// ── negative contexts ───────────────────────────────────────────────────────

interface Caps {
  [category: string]: TriageSeverity;
}

function applyNegatives(lex: TriageLexicon, norm: string, ids: Int32Array, hits: CueHit[], signals: Set<string>): Caps {
  const caps: Caps = {};
  for (const neg of lex.negatives) {
    const found = neg.patterns.flatMap((re) => matchesOf(re, norm));
    if (found.length === 0) continue;
    const unlessHits = neg.unless.flatMap((re) => matchesOf(re, norm));
    let active: (hit: CueHit) => boolean;
    if (neg.scope === "message") {
      if (unlessHits.length > 0) continue;
      active = () => true;
    } else {
      const spans = found
        .map((m) => ({
          start: m.index,
          end: m.index + m[0].length,
          clause: clauseAt(ids, m.index, m.index + m[0].length),
        }))
        .filter((s) => !unlessHits.some((u) => clauseAt(ids, u.index, u.index + u[0].length) === s.clause));
      if (spans.length === 0) continue;
      active = (hit) => {
        const clause = clauseAt(ids, hit.start, hit.end);
        return spans.some((s) => s.clause === clause && distance(s.start, s.end, hit.start, hit.end) <= neg.window);
      };
    }
    for (const hit of hits) {
      if (hit.masked) continue;
      if (neg.groups.length > 0 && !neg.groups.includes(hit.cue.group)) continue;
      if (neg.exceptCues.includes(hit.cue.id)) continue;
      if (!active(hit)) continue;
      if (neg.exceptCategories.includes(hit.category)) {
        // Never masked; a joke lowers the severity of what it cannot remove, whatever the level.
        if (neg.capExcepted) {
          const prev = caps[hit.category];
          caps[hit.category] = prev ? minSeverity(prev, neg.capExcepted) : neg.capExcepted;
          signals.add(neg.id);
        }
        continue;
      }
      if (LEVEL_RANK[hit.level] > LEVEL_RANK[neg.maxLevel]) continue;
      hit.masked = true;
      signals.add(neg.id);
    }
  }
  return caps;
}

/**
 * Context cues (`joins: true` — fear, a crying child, smashing things) describe the same
 * situation as the message's main cues: they take the category with the most main-cue weight.
 */
function joinMainCategory(hits: CueHit[], signals: Set<string>): void {
  const main = new Map<TriageCategory, number>();
  for (const h of hits) {
    if (h.masked || h.cue.joins || h.level === "term") continue;
    main.set(h.category, (main.get(h.category) ?? 0) + h.cue.weight);
  }
  let best: TriageCategory | null = null;
  for (const [c, w] of main) if (best === null || w > (main.get(best) ?? 0)) best = c;
  if (best === null) return;
  for (const h of hits) {
    if (h.cue.joins && !h.masked && h.category !== best) {
      h.category = best;
      signals.add("ctx.joined");
    }
  }
}

// ── scoring ─────────────────────────────────────────────────────────────────

interface CategoryState {
  cueWeights: Map<string, number>;
  /** Sum of weights of non-term cues (boosters need this to reach booster_min_cue). */
  solid: number;
  severity: TriageSeverity | null;
  medical: boolean;
  boost: number;
  raises: { to: TriageSeverity; min: TriageSeverity; id: string }[];
  boosterIds: string[];
  bare: boolean;
  /** A first-person (disclosure-level) main cue is among the category's cues. */
  disclosure: boolean;
}

function emptyState(): CategoryState {
  return {
    cueWeights: new Map(),
    solid: 0,
    severity: null,
    medical: false,
    boost: 0,
    raises: [],
    boosterIds: [],
    bare: false,
    disclosure: false,
  };
}

function cueScore(s: CategoryState): number {
  let sum = 0;
  for (const w of s.cueWeights.values()) sum += w;
  return sum;
}

function totalScore(s: CategoryState): number {
  return cueScore(s) + s.boost;
}

/**
 * How strong stage 1's evidence for its chosen category is (see CatchEvidence): weak when the
 * category stands on term-level cues, a bare term or the concern-level safety net; contested when
 * another category has non-term cues of its own; else solid.
 */
function stageOneEvidence(
  states: ReadonlyMap<TriageCategory, CategoryState>,
  category: TriageCategory,
  threshold: number,
): CatchEvidence {
  const s = states.get(category);
  if (!s || s.solid === 0 || s.bare || totalScore(s) < threshold) return "weak";
  for (const [c, other] of states) if (c !== category && other.solid > 0) return "contested";
  return "solid";
}

function coreLength(norm: string): number {
  return norm.replace(/[\s\p{P}\p{S}_]/gu, "").length;
}

// ── the engine ──────────────────────────────────────────────────────────────

export function triageText(
  lex: TriageLexicon,
  text: string,
  context?: TriageContext,
  people = buildPeople(lex),
): TriageResult {
  const signals = new Set<string>();
  const folded = foldForTriage(text);
  const aliasIds = firedAliases(folded, lex.aliases);
  const norm = applyAliases(folded, lex.aliases);
  const { masked, fired: maskIds } = applyMasks(norm, lex.masks);
  const ids = clauseIds(norm);

  const personText = people.childCompoundRe
    ? masked.replace(people.childCompoundRe, (w) => MASK_CHAR.repeat(w.length))
    : masked;
  const facts: MessageFacts = {
    speakerMinor: lex.speakerMinor.some((re) => re.test(masked)),
    childInMessage: matchesOf(people.childRe, personText).length > 0,
    speakerPresent: people.speakerRe.test(masked),
    personText,
    grownChild: classInText(lex, "GROWN_CHILD", masked),
    household: classInText(lex, "HOUSEHOLD", masked),
  };

  const hits = findCues(lex, masked, facts, people, signals);
  const caps = applyNegatives(lex, norm, ids, hits, signals);

  joinMainCategory(hits, signals);

  const states = new Map<TriageCategory, CategoryState>();
  const stateOf = (c: TriageCategory): CategoryState => {
    let s = states.get(c);
    if (!s) {
      s = emptyState();
      states.set(c, s);
    }
    return s;
  };
  for (const hit of hits) {
    if (hit.masked) continue;
    const s = stateOf(hit.category);
    const prev = s.cueWeights.get(hit.cue.id) ?? 0;
    if (hit.cue.weight > prev) {
      s.cueWeights.set(hit.cue.id, hit.cue.weight);
      if (hit.level !== "term") s.solid += hit.cue.weight - prev;
    }
    if (hit.level !== "term") s.severity = s.severity ? maxSeverity(s.severity, hit.cue.severity) : hit.cue.severity;
    if (hit.level === "disclosure" && !hit.cue.joins) s.disclosure = true;
    if (hit.cue.medical) s.medical = true;
  }

  // A very short message that is only a harm word ("家暴", "zisha"), or a harm word with the
  // resident asking for help for themself ("家暴 我该找谁"), is a disclosure.
  const bareMessage = coreLength(norm) <= lex.settings.bareTermMaxChars;
  const helpSeeking = lex.helpSeeking.test(masked);
  if (bareMessage || helpSeeking) {
    for (const s of states.values()) {
      if (s.solid === 0 && s.cueWeights.size > 0) {
        s.bare = true;
        if (!bareMessage) signals.add("ctx.help_seeking");
        s.severity = "concern";
        s.solid = lex.settings.bareTermWeight;
        s.cueWeights = new Map(
          [...s.cueWeights.keys()].map((k) => [k, lex.settings.bareTermWeight / s.cueWeights.size]),
        );
      }
    }
  }

  for (const b of lex.boosters) {
    if (!anyMatch(b.patterns, masked)) continue;
    for (const c of b.categories) {
      const s = states.get(c);
      if (!s || s.solid < lex.settings.boosterMinCue) continue;
      s.boost += b.weight;
      s.boosterIds.push(b.id);
      if (b.raise) s.raises.push({ to: b.raise, min: b.raiseMin, id: b.id });
      if (b.medical) s.medical = true;
    }
  }

  // Pick the category: highest score, then severity, then queue priority. Below the threshold, a
  // category with a first-person disclosure that reaches concern_threshold is still passed to staff,
  // at concern (the resident spoke about themself; a person reads it).
  // The net stays off when anything in the message already reads as not-a-report (a negative
  // context, an idiom, a game): 烦死了, 哈哈, 开玩笑.
  const softened =
    lex.negatives.some((neg) => anyMatch(neg.patterns, norm) && !anyMatch(neg.unless, norm)) ||
    maskIds.some((id) => id.startsWith("idiom.") || id.startsWith("game."));
  const net = softened ? null : lex.settings.concernThreshold;
  const eligible = (s: CategoryState): boolean =>
    totalScore(s) >= lex.settings.threshold || (net !== null && s.disclosure && totalScore(s) >= net - 1e-9);
  let category: TriageCategory | null = null;
  for (const c of TRIAGE_CATEGORIES) {
    const s = states.get(c);
    if (!s || s.severity === null || !eligible(s)) continue;
    if (category === null) {
      category = c;
      continue;
    }
    const best = states.get(category) as CategoryState;
    const d = totalScore(s) - totalScore(best);
    if (d > 1e-9) category = c;
    else if (Math.abs(d) <= 1e-9) {
      const bs = best.severity as TriageSeverity;
      if (SEV_RANK[s.severity] > SEV_RANK[bs]) category = c;
      else if (SEV_RANK[s.severity] === SEV_RANK[bs] && lex.queues[c].priority < lex.queues[category].priority) {
        category = c;
      }
    }
  }

  let severity: TriageSeverity | null = null;
  let needsMedical = false;
  if (category) {
    const s = states.get(category) as CategoryState;
    let sev = s.severity as TriageSeverity;
    let raised = false;
    for (const r of s.raises) {
      if (SEV_RANK[sev] >= SEV_RANK[r.min] && SEV_RANK[r.to] > SEV_RANK[sev]) {
        sev = r.to;
        raised = true;
        signals.add(r.id);
      }
    }
    for (const sc of lex.severityCues) {
      if (sc.effect !== "raise") continue;
      if (sc.categories.length > 0 && !sc.categories.includes(category)) continue;
      if (!anyMatch(sc.patterns, masked)) continue;
      signals.add(sc.id);
      raised = true;
      if (SEV_RANK[sev] >= SEV_RANK[sc.min] && SEV_RANK[sc.to] > SEV_RANK[sev]) sev = sc.to;
    }
    if (!raised) {
      for (const sc of lex.severityCues) {
        if (sc.effect !== "cap") continue;
        if (sc.categories.length > 0 && !sc.categories.includes(category)) continue;
        if (!anyMatch(sc.patterns, masked)) continue;
        signals.add(sc.id);
        sev = minSeverity(sev, sc.to);
      }
    }
    if (totalScore(s) < lex.settings.threshold) {
      sev = "concern";
      signals.add("ctx.concern_net");
    }
    // A joke never hides self-harm; it lowers the severity, but never from immediate below urgent.
    const cap = caps[category];
    if (cap) sev = sev === "immediate" ? maxSeverity(cap, "urgent") : minSeverity(sev, cap);
    severity = sev;
    needsMedical = s.medical || lex.medical.some((m) => matchesOf(m.re, masked).length > 0);
    if (needsMedical && !s.medical) {
      for (const m of lex.medical) if (matchesOf(m.re, masked).length > 0) signals.add(m.id);
    }
    if (s.bare) signals.add("ctx.bare_term");
  }

  let evidence: CatchEvidence | null = category ? stageOneEvidence(states, category, lex.settings.threshold) : null;

  // ── stage 2: the broad net ─────────────────────────────────────────────
  // Off when stage 1 already read the message as not a report: softened, or the victim is
  // outside these queues (我朋友被人打了).
  if (category === null && lex.net && !softened && !signals.has("ctx.out_of_scope")) {
    const caught = broadNet(lex, lex.net, norm, masked, ids, people);
    if (caught) {
      evidence = "net";
      category = caught.category;
      severity = netSeverity(lex, category, masked, signals);
      if (anyMatch(lex.net.immediate, masked)) {
        severity = "immediate";
        signals.add("net.immediate");
      }
      needsMedical = lex.medical.some((m) => matchesOf(m.re, masked).length > 0);
      for (const sig of caught.signals) signals.add(sig);
    }
  }

  // ── the model's say on a stage 1–2 catch (arbitration-fns.ts) ──────────
  // Veto, queue override and immediate raise, each only where the rules' evidence is weak enough
  // for the bars of classifier.yaml `on_catch`. A vetoed message is not passed to stage 3 either.
  let vetoed = false;
  if (
    category !== null &&
    severity !== null &&
    evidence !== null &&
    lex.classifier &&
    arbitrationApplies(lex.classifier.onCatch, evidence)
  ) {
    const capped =
      caps[category] !== undefined || lex.severityCues.some((sc) => sc.effect === "cap" && signals.has(sc.id));
    const outcome = arbitrateCatch(
      { category, severity, evidence, capped },
      modelVerdict(lex.classifier.model, withConcepts(masked, lex.classifier.concepts)),
      lex.classifier.onCatch,
    );
    vetoed = outcome.category === null;
    category = outcome.category;
    severity = outcome.severity;
    if (vetoed) needsMedical = false;
    for (const sig of outcome.signals) signals.add(sig);
  }

  // ── stage 3: the learned classifier ────────────────────────────────────
  // Off when stage 1 put the victim outside these queues. A softened message (a law question,
  // 哈哈, 想问问) or one whose harm word stage 1 saw denied (他从来不打我) needs a higher
  // probability rather than being skipped: the corpus teaches the model that a disclosure hidden
  // in a question is still a report, which stage 1 cannot tell.
  // The model reads the masked text (modelInput): the masks' everyday 打扫, 打牌, 笑死了 are
  // blanked for it as for the cues, so it need not relearn them from a corpus.
  // With no harm word at all (harmEvidence) the model must be surer still.
  if (category === null && !vetoed && lex.classifier && !signals.has("ctx.out_of_scope")) {
    const verdict = modelVerdict(lex.classifier.model, withConcepts(masked, lex.classifier.concepts));
    const cautious = softened || signals.has("neg.negated");
    let bar = cautious ? lex.classifier.softenedThreshold : lex.classifier.threshold;
    if (lex.net && !harmEvidence(lex.net, norm, masked)) bar = Math.max(bar, lex.classifier.bareThreshold);
    if (verdict.pUrgent >= bar) {
      category = verdict.category;
      severity = netSeverity(lex, category, masked, signals);
      if (lex.net && anyMatch(lex.net.immediate, masked)) {
        severity = "immediate";
        signals.add("net.immediate");
      }
      if (verdict.pImmediate >= lex.classifier.immediateThreshold) {
        severity = "immediate";
        signals.add("model.immediate");
      }
      needsMedical = lex.medical.some((m) => matchesOf(m.re, masked).length > 0);
      signals.add(`model.${category}`);
      signals.add(`model.p=${verdict.pUrgent.toFixed(2)}`);
    }
  }

  // ── follow-up to an open case ──────────────────────────────────────────
  let followUp = false;
  const open = context?.openCase;
  if (open) {
    const fu = lex.followUps.filter((f) => anyMatch(f.patterns, masked));
    const ownOpenCue = states.has(open.category);
    if (fu.length > 0 || category === open.category || (category === null && ownOpenCue)) {
      followUp = true;
      let sev = open.severity;
      if (category === open.category && severity) sev = maxSeverity(sev, severity);
      for (const f of fu) {
        signals.add(f.id);
        if (f.raise) sev = maxSeverity(sev, f.raise);
      }
      if (category && category !== open.category) signals.add(`fu.also.${category}`);
      category = open.category;
      severity = sev;
      if (!needsMedical) {
        for (const m of lex.medical) {
          if (matchesOf(m.re, masked).length > 0) {
            needsMedical = true;
            signals.add(m.id);
          }
        }
      }
    } else if (category) {
      signals.add("fu.new_category");
    }
  }

  // ── signals, in a stable order: chosen category's cues first ───────────
  const ordered: string[] = [];
  const cueIdsOf = (c: TriageCategory) => {
    const s = states.get(c);
    if (!s) return;
    for (const idv of s.cueWeights.keys()) ordered.push(idv);
    for (const b of s.boosterIds) ordered.push(b);
  };
  if (category) cueIdsOf(category);
  for (const c of TRIAGE_CATEGORIES) if (c !== category) cueIdsOf(c);
  for (const sig of signals) ordered.push(sig);
  for (const m of maskIds) ordered.push(m);
  for (const a of aliasIds) ordered.push(a);

  const scores: Partial<Record<TriageCategory, number>> = {};
  for (const [c, s] of states) scores[c] = Math.round(totalScore(s) * 100) / 100;

  return {
    urgent: category !== null,
    category,
    severity: category ? severity : null,
    needsMedical: category !== null && needsMedical,
    followUp,
    queue: category ? { id: lex.queues[category].id, name: lex.queues[category].name } : null,
    signals: [...new Set(ordered)],
    scores,
  };
}

// ── stage 2: the broad net (knowledge/triage/net.yaml) ─────────────────────

/**
 * A harm family (net.yaml) within `window` characters of a person word in the same clause.
 * The family with the most such hits wins (ties: file order); a child word in the message
 * sends it to the family's child category. Null when nothing is caught or a `quiet` context fires.
 */
export function broadNet(
  lex: TriageLexicon,
  net: CompiledNet,
  norm: string,
  masked: string,
  ids: Int32Array,
  people: People = buildPeople(lex),
): { category: TriageCategory; signals: string[] } | null {
  // Quiet contexts are read before masking (打游戏 is blanked by a mask but still says "a game").
  if (anyMatch(net.quiet, norm)) return null;
  const chars = masked.split("");
  for (const re of net.blank) {
    for (const hit of matchesOf(re, masked)) {
      for (let i = hit.index; i < hit.index + hit[0].length; i++) chars[i] = MASK_CHAR;
    }
  }
  const text = chars.join("");
  const persons = matchesOf(net.person, text).map((m) => ({
    word: m[0],
    start: m.index,
    end: m.index + m[0].length,
    clause: clauseAt(ids, m.index, m.index + m[0].length),
  }));
  type Person = (typeof persons)[number];
  let best: { family: CompiledNetFamily; hits: number; near: Person[] } | null = null;
  for (const family of net.families) {
    let hits = 0;
    const near: Person[] = [];
    for (const re of family.patterns) {
      for (const m of matchesOf(re, text)) {
        const start = m.index;
        const end = start + m[0].length;
        // 他从来不打我, 没打孩子: denied, not reported.
        if (lex.negation.test(text.slice(Math.max(0, start - 5), start))) continue;
        const clause = clauseAt(ids, start, end);
        // Same clause, or the clause next to it (a dropped subject: 孩子在门口玩 一转眼就不见了).
        const within = persons.filter((p) => {
          const apart = Math.abs(p.clause - clause);
          if (apart > net.clauseReach) return false;
          return distance(p.start, p.end, start, end) <= (apart === 0 ? net.window : net.reachWindow);
        });
        near.push(...within);
        if (within.length > 0 || !family.needsPerson) hits++;
      }
    }
    if (hits > 0 && (!best || hits > best.hits)) best = { family, hits, near };
  }
  if (!best) return null;
  // The person words near the harm decide the queue: a child → the child category,
  // a stranger (有个男的, 陌生人) → the stranger category.
  const compound = (w: string) => people.childCompoundRe !== null && matchesOf(people.childCompoundRe, w).length > 0;
  const isChild = (w: string) => !compound(w) && matchesOf(people.childRe, w).length > 0;
  const isStranger = (w: string) => classifyActor(w, people) === "stranger";
  let category = best.family.category;
  let who = "net.person";
  if (best.near.some((p) => isChild(p.word))) {
    category = best.family.childCategory;
    who = "net.person_child";
  } else if (best.family.strangerCategory && best.near.some((p) => isStranger(p.word))) {
    category = best.family.strangerCategory;
    who = "net.person_stranger";
  }
  return { category, signals: [`net.${best.family.id}`, who] };
}

/**
 * Some harm in the message: a word of one of the net's harm families (no person word needed),
 * outside the net's quiet contexts and blanked everyday words. A plain sentence about family life
 * (他现在还在门外, 俺男人天天打牌) has none, however much it resembles a report in the model's eyes.
 */
function harmEvidence(net: CompiledNet, norm: string, masked: string): boolean {
  if (anyMatch(net.quiet, norm)) return false;
  const chars = masked.split("");
  for (const re of net.blank) {
    for (const hit of matchesOf(re, masked)) {
      for (let i = hit.index; i < hit.index + hit[0].length; i++) chars[i] = MASK_CHAR;
    }
  }
  const text = chars.join("");
  return net.families.some((f) => anyMatch(f.patterns, text));
}

/** The net's severity: concern, raised by the severity cues and boosters of modifiers.yaml, capped by the past. */
function netSeverity(
  lex: TriageLexicon,
  category: TriageCategory,
  masked: string,
  signals: Set<string>,
): TriageSeverity {
  let sev: TriageSeverity = "concern";
  let raised = false;
  for (const sc of lex.severityCues) {
    if (sc.effect !== "raise") continue;
    if (sc.categories.length > 0 && !sc.categories.includes(category)) continue;
    if (!anyMatch(sc.patterns, masked)) continue;
    signals.add(sc.id);
    raised = true;
    sev = maxSeverity(sev, sc.to);
  }
  for (const b of lex.boosters) {
    if (!b.raise || !b.categories.includes(category) || !anyMatch(b.patterns, masked)) continue;
    signals.add(b.id);
    raised = true;
    sev = maxSeverity(sev, b.raise);
  }
  if (!raised) {
    for (const sc of lex.severityCues) {
      if (sc.effect !== "cap" || !anyMatch(sc.patterns, masked)) continue;
      if (sc.categories.length > 0 && !sc.categories.includes(category)) continue;
      signals.add(sc.id);
      sev = minSeverity(sev, sc.to);
    }
  }
  return sev;
}

/** The text the stage-3 model reads (and is trained on): normalised, masked, then concept-marked. */
export function modelInput(
  lex: Pick<TriageLexicon, "aliases" | "masks">,
  text: string,
  concepts: ConceptMarker | null = null,
): string {
  return withConcepts(applyMasks(normalizeForTriage(text, lex.aliases), lex.masks).masked, concepts);
}

/** Word classes whose words the model also sees as one mark per class (classifier.yaml `concepts`). */
export interface ConceptMarker {
  re: RegExp;
  marks: ReadonlyMap<string, string>;
}

/**
 * One private-use character per class (U+E000 on): 俺闺女, 我家妮儿, 他孙女 all give the same
 * "a child" grams, so what the corpus teaches about one word carries over to the rest of its class.
 * Null when no class is named (the model then reads the plain text).
 */
export function conceptMarker(
  classes: Record<string, readonly string[]>,
  names: readonly string[],
): ConceptMarker | null {
  const marks = new Map<string, string>();
  names.forEach((name, i) => {
    for (const w of classes[name] ?? []) if (!marks.has(w)) marks.set(w, String.fromCharCode(0xe000 + i));
  });
  const re = wordsRe(marks.keys());
  return re ? { re, marks } : null;
}

/**
 * The masked text, plus (with concepts) a second line where each class word is its class mark:
 * the model gets the grams of both, the words themselves and their classes.
 */
export function withConcepts(masked: string, concepts: ConceptMarker | null): string {
  if (!concepts) return masked;
  return `${masked}\n${masked.replace(concepts.re, (w) => concepts.marks.get(w) ?? w)}`;
}

/** Builds the triage function over a compiled lexicon. The returned function is pure. */
export function createTriage(lexicon: TriageLexicon): TriageFn {
  const people = buildPeople(lexicon);
  return (text: string, context?: TriageContext) => triageText(lexicon, text, context, people);
}
