/**
 * Loads the reviewed triage lexicon from `knowledge/triage/*.yaml`, validates
 * every file with zod and compiles the patterns. A bad file throws an error
 * naming the file and the field (e.g. `cues-violence.yaml: cues.3.patterns.1:
 * invalid regular expression …`), so a broken edit stops start-up instead of
 * silently weakening triage.
 *
 * `parseTriageLexicon(files)` is the pure part (file name → YAML text);
 * `loadTriageLexicon(dir?)` reads the directory.
 *
 * With classifier.yaml present, the stage-3 model is trained here from the corpus in
 * `training/*.jsonl` (file keys `training/<name>.jsonl`). Training at load time keeps
 * the model and the reviewed corpus from ever disagreeing (no generated file to forget
 * to rebuild); it is deterministic and takes a fraction of a second.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ARBITRATION_OFF } from "./arbitration-fns.ts";
import { trainTriageModel } from "./classifier-fns.ts";
import { conceptMarker, modelInput } from "./triage-fns.ts";
import { parseTriageEvalJsonl, type TriageEvalItem } from "./triage-metrics-fns.ts";
import {
  type CompiledAlias,
  type CompiledBooster,
  type CompiledClassifier,
  type CompiledCue,
  type CompiledFollowUp,
  type CompiledMask,
  type CompiledNegative,
  type CompiledNet,
  type CompiledSeverityCue,
  CUE_LEVELS,
  type QueueInfo,
  RESOLVER_CONDITIONS,
  type Resolver,
  TRIAGE_CATEGORIES,
  TRIAGE_SEVERITIES,
  type TriageCategory,
  type TriageLexicon,
  VICTIM_PREFIXES,
} from "./triage-types.ts";

export const DEFAULT_TRIAGE_DIR = new URL("../../knowledge/triage/", import.meta.url);

/** Word classes the engine itself looks up (victim/actor resolution). */
const REQUIRED_CLASSES = ["SELF", "CHILD", "PARTNER", "PARENT", "TEACHER", "STRANGER", "ADULT"] as const;

/** Files every lexicon directory must have; `cues-*.yaml` files are collected as well. */
const REQUIRED_FILES = [
  "classes.yaml",
  "engine.yaml",
  "normalize.yaml",
  "masks.yaml",
  "negatives.yaml",
  "modifiers.yaml",
  "followups.yaml",
  "queues.yaml",
] as const;

// ── schemas ─────────────────────────────────────────────────────────────────

const id = z
  .string()
  .min(1)
  .max(60)
  .regex(/^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$/, "ids are lower-case dotted words, e.g. dv.hit.recent");
const pattern = z.string().min(1).max(4000);
const patterns = z.array(pattern).min(1);
const category = z.enum(TRIAGE_CATEGORIES);
const severity = z.enum(TRIAGE_SEVERITIES);
const level = z.enum(CUE_LEVELS);
const note = z.string().max(400).optional();

const classesFile = z.strictObject({
  classes: z.record(
    z.string().regex(/^[A-Z][A-Z0-9_]*$/, "class names are UPPER_CASE"),
    z.array(z.string().min(1).max(20)).min(1),
  ),
});

const resolverSchema = z.strictObject({
  rules: z.array(
    z.strictObject({
      when: z.array(z.enum(RESOLVER_CONDITIONS)).min(1),
      category: z.union([category, z.literal("none")]).transform((c) => (c === "none" ? null : c)),
    }),
  ),
  default: category,
});

const engineFile = z.strictObject({
  settings: z.strictObject({
    threshold: z.number().positive().max(10),
    booster_min_cue: z.number().min(0).max(10),
    bare_term_max_chars: z.number().int().min(0).max(40),
    bare_term_weight: z.number().min(0).max(10),
    concern_threshold: z.number().positive().max(10).nullable().default(null),
    clause_window: z.number().int().min(1).max(200),
  }),
  negation: pattern,
  help_seeking: pattern,
  first_person_anchor: pattern,
  speaker_minor: patterns,
  resolvers: z.record(z.string().regex(/^[a-z_]+$/), resolverSchema),
});

const aliasSchema = z
  .strictObject({
    id,
    to: z.string().max(40),
    from: z.array(z.string().min(1).max(60)).min(1).optional(),
    regex: pattern.optional(),
    not_before: z.array(z.string().min(1).max(20)).optional(),
    not_after: z.array(z.string().min(1).max(20)).optional(),
    note,
  })
  .refine((a) => (a.from === undefined) !== (a.regex === undefined), "give exactly one of `from` or `regex`");

const normalizeFile = z.strictObject({ aliases: z.array(aliasSchema) });

const masksFile = z.strictObject({
  masks: z.array(z.strictObject({ id, note, patterns })),
});

const cueSchema = z.strictObject({
  id,
  note,
  group: z.string().regex(/^[a-z_]+$/),
  category,
  resolve: z
    .string()
    .regex(/^[a-z_]+$/)
    .optional(),
  level: level.default("event"),
  weight: z.number().positive().max(10).default(1),
  severity: severity.optional(),
  medical: z.boolean().default(false),
  negatable: z.boolean().default(true),
  first_person: z.boolean().default(true),
  joins: z.boolean().default(false),
  requires: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/)).default([]),
  patterns,
});

const cuesFile = z.strictObject({ cues: z.array(cueSchema) });

const negativeSchema = z.strictObject({
  id,
  note,
  scope: z.enum(["message", "clause"]),
  window: z.number().int().min(1).max(200).optional(),
  max_level: level,
  groups: z.array(z.string().regex(/^[a-z_]+$/)).default([]),
  except_categories: z.array(category).default([]),
  except_cues: z.array(id).default([]),
  cap_excepted: severity.optional(),
  unless: z.array(pattern).default([]),
  patterns,
});

const negativesFile = z.strictObject({ negatives: z.array(negativeSchema) });

const modifiersFile = z.strictObject({
  boosters: z.array(
    z.strictObject({
      id,
      note,
      weight: z.number().min(0).max(10),
      categories: z.array(category).min(1),
      raise: severity.optional(),
      raise_min: severity.default("urgent"),
      medical: z.boolean().default(false),
      patterns,
    }),
  ),
  severity: z.array(
    z.strictObject({
      id,
      note,
      effect: z.enum(["raise", "cap"]),
      to: severity,
      min: severity.default("concern"),
      categories: z.array(category).default([]),
      patterns,
    }),
  ),
  medical: z.array(z.strictObject({ id, note, patterns })),
});

const followupsFile = z.strictObject({
  follow_ups: z.array(z.strictObject({ id, note, raise: severity.nullable().default(null), patterns })),
});

const netFile = z.strictObject({
  net: z.strictObject({
    window: z.number().int().min(0).max(40),
    clause_reach: z.number().int().min(0).max(3).default(0),
    reach_window: z.number().int().min(0).max(40).optional(),
    person: pattern,
    families: z
      .array(
        z.strictObject({
          id,
          category,
          child_category: category,
          stranger_category: category.optional(),
          needs_person: z.boolean().default(true),
          note,
          patterns,
        }),
      )
      .min(1),
    blank: z.array(pattern).default([]),
    quiet: z.array(pattern).default([]),
    immediate: z.array(pattern).default([]),
  }),
});

/** A probability bar of classifier.yaml `on_catch`; null (or absent) = that mechanism off. */
const bar = z.number().gt(0).lt(1).nullable().default(null);
const evidenceBars = z.strictObject({ solid: bar, contested: bar, weak: bar, net: bar }).default(ARBITRATION_OFF.veto);

const classifierFile = z.strictObject({
  classifier: z.strictObject({
    threshold: z.number().gt(0).lt(1),
    softened_threshold: z.number().gt(0).lt(1),
    bare_threshold: z.number().gt(0).lt(1),
    immediate_threshold: z.number().gt(0).lt(1),
    on_catch: z
      .strictObject({
        veto: evidenceBars,
        override: evidenceBars,
        immediate: bar,
      })
      .default(ARBITRATION_OFF),
    concepts: z.array(z.string().regex(/^[A-Z_]+$/)).default([]),
    max_n: z.number().int().min(1).max(5),
    epochs: z.number().int().min(1).max(200),
    learning_rate: z.number().positive().max(10),
    l2: z.number().min(0).max(1),
    seed: z.number().int().min(0),
  }),
});

const TRAINING_FILE = /^training\/[^/]+\.jsonl$/;

const queueSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1).max(30),
  default_severity: severity,
  priority: z.number().int().min(0).max(100),
});

const queuesFile = z.strictObject({
  queues: z.strictObject({
    domestic_violence: queueSchema,
    child_harm: queueSchema,
    sexual_violence: queueSchema,
    self_harm: queueSchema,
    trafficking_missing: queueSchema,
  }),
});

// ── errors ──────────────────────────────────────────────────────────────────

export class TriageLexiconError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`triage lexicon: ${file}: ${field || "(file)"}: ${detail}`);
    this.name = "TriageLexiconError";
  }
}

function parseFile<S extends z.ZodType>(file: string, text: string, schema: S): z.output<S> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new TriageLexiconError(file, "", `not valid YAML: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.map(String).join(".") : "";
    throw new TriageLexiconError(file, field, issue?.message ?? "invalid");
  }
  return parsed.data;
}

// ── pattern compilation ─────────────────────────────────────────────────────

const SEPARATORS = "\\s,.;:!?。，、；：！？~…";
const BUILTIN_MACROS: Record<string, string> = {
  GAP: `[^${SEPARATORS}]`,
  NG: `[^${SEPARATORS}的]`,
  AG: `[^${SEPARATORS}不没]`,
  // Who a victim word belongs to, or a quantifier in front of it: 我家孩子, 他闺女, 人家的娃, 一个小男孩.
  VPRE: `(?:${VICTIM_PREFIXES.join("|")})`,
};

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function alternation(words: readonly string[]): string {
  const uniq = [...new Set(words)].sort((a, b) => b.length - a.length || a.localeCompare(b));
  return `(?:${uniq.map(escapeRe).join("|")})`;
}

interface PatternCompiler {
  compile(source: string, file: string, field: string, flags?: string): RegExp;
}

function makeCompiler(classes: Record<string, string[]>): PatternCompiler {
  const expanded: Record<string, string> = { ...BUILTIN_MACROS };
  for (const [name, words] of Object.entries(classes)) expanded[name] = alternation(words);
  return {
    compile(source, file, field, flags = "gu") {
      const withMacros = source.replace(/\{([A-Z][A-Z0-9_]*)\}/g, (_, name: string) => {
        const sub = expanded[name];
        if (sub === undefined) throw new TriageLexiconError(file, field, `unknown word class {${name}}`);
        return sub;
      });
      try {
        return new RegExp(withMacros, flags);
      } catch (err) {
        throw new TriageLexiconError(file, field, `invalid regular expression: ${(err as Error).message}`);
      }
    },
  };
}

function resolveClasses(file: string, raw: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const visiting = new Set<string>();
  const visit = (name: string, field: string): string[] => {
    const done = out[name];
    if (done) return done;
    const words = raw[name];
    if (!words) throw new TriageLexiconError(file, field, `unknown class @${name}`);
    if (visiting.has(name)) throw new TriageLexiconError(file, field, `class @${name} includes itself`);
    visiting.add(name);
    const list: string[] = [];
    words.forEach((w, i) => {
      if (w.startsWith("@")) list.push(...visit(w.slice(1), `classes.${name}.${i}`));
      else list.push(w);
    });
    visiting.delete(name);
    out[name] = [...new Set(list)];
    return out[name];
  };
  for (const name of Object.keys(raw)) visit(name, `classes.${name}`);
  return out;
}

const LATIN = /[a-z0-9']/i;

function compileAlias(
  file: string,
  index: number,
  a: z.output<typeof aliasSchema>,
  compiler: PatternCompiler,
): CompiledAlias {
  const field = `aliases.${index}`;
  if (a.regex !== undefined) return { id: a.id, re: compiler.compile(a.regex, file, `${field}.regex`), to: a.to };
  const forms = [...(a.from ?? [])].sort((x, y) => y.length - x.length);
  const alts = forms.map((form) => {
    const tokens = form.trim().toLowerCase().split(/\s+/);
    let src = tokens.map(escapeRe).join("\\s*");
    const first = form.trim()[0] ?? "";
    const last = form.trim().slice(-1);
    if (LATIN.test(first)) src = `(?<![a-z])${src}`;
    if (LATIN.test(last)) src = `${src}(?![a-z])`;
    return src;
  });
  let src = `(?:${alts.join("|")})`;
  if (a.not_after?.length) src = `(?<!${alternation(a.not_after)})${src}`;
  if (a.not_before?.length) src = `${src}(?!${alternation(a.not_before)})`;
  return { id: a.id, re: compiler.compile(src, file, field), to: a.to };
}

// ── public API ──────────────────────────────────────────────────────────────

/** Validates and compiles a lexicon from file name → YAML text. Pure. */
export function parseTriageLexicon(files: Record<string, string>): TriageLexicon {
  for (const name of REQUIRED_FILES) {
    if (files[name] === undefined) throw new TriageLexiconError(name, "", "file is missing");
  }
  const cueFiles = Object.keys(files)
    .filter((f) => /^cues-[a-z0-9-]+\.ya?ml$/.test(f))
    .sort();
  if (cueFiles.length === 0) throw new TriageLexiconError("cues-*.yaml", "", "no cue files");

  const text = (name: string): string => files[name] ?? "";

  const classesRaw = parseFile("classes.yaml", text("classes.yaml"), classesFile);
  const classes = resolveClasses("classes.yaml", classesRaw.classes);
  for (const name of REQUIRED_CLASSES) {
    if (!classes[name]) throw new TriageLexiconError("classes.yaml", `classes.${name}`, "required class is missing");
  }
  const compiler = makeCompiler(classes);
  const classRe: Record<string, RegExp> = {};
  for (const [name, words] of Object.entries(classes)) classRe[name] = new RegExp(alternation(words), "gu");

  const engine = parseFile("engine.yaml", text("engine.yaml"), engineFile);
  const resolvers: Record<string, Resolver> = {};
  for (const [name, r] of Object.entries(engine.resolvers)) resolvers[name] = { rules: r.rules, default: r.default };

  const queuesRaw = parseFile("queues.yaml", text("queues.yaml"), queuesFile);
  const queues = {} as Record<TriageCategory, QueueInfo>;
  for (const cat of TRIAGE_CATEGORIES) {
    const q = queuesRaw.queues[cat];
    queues[cat] = { id: q.id, name: q.name, defaultSeverity: q.default_severity, priority: q.priority };
  }

  const normalize = parseFile("normalize.yaml", text("normalize.yaml"), normalizeFile);
  const aliases = normalize.aliases.map((a, i) => compileAlias("normalize.yaml", i, a, compiler));

  const masksRaw = parseFile("masks.yaml", text("masks.yaml"), masksFile);
  const masks: CompiledMask[] = [];
  masksRaw.masks.forEach((m, i) => {
    m.patterns.forEach((p, j) => {
      masks.push({ id: m.id, re: compiler.compile(p, "masks.yaml", `masks.${i}.patterns.${j}`) });
    });
  });

  const seenIds = new Map<string, string>();
  const claimId = (ruleId: string, file: string, field: string) => {
    const prev = seenIds.get(ruleId);
    if (prev) throw new TriageLexiconError(file, field, `duplicate id ${ruleId} (also in ${prev})`);
    seenIds.set(ruleId, file);
  };

  const cues: CompiledCue[] = [];
  for (const file of cueFiles) {
    const parsed = parseFile(file, text(file), cuesFile);
    parsed.cues.forEach((c, i) => {
      const field = `cues.${i}`;
      claimId(c.id, file, `${field}.id`);
      if (c.resolve !== undefined && !resolvers[c.resolve]) {
        throw new TriageLexiconError(file, `${field}.resolve`, `unknown resolver "${c.resolve}"`);
      }
      for (const [k, cls] of c.requires.entries()) {
        if (!classes[cls]) throw new TriageLexiconError(file, `${field}.requires.${k}`, `unknown class ${cls}`);
      }
      cues.push({
        id: c.id,
        group: c.group,
        category: c.category,
        resolve: c.resolve ?? null,
        level: c.level,
        weight: c.weight,
        severity: c.severity ?? queues[c.category].defaultSeverity,
        medical: c.medical,
        negatable: c.negatable,
        firstPerson: c.first_person,
        joins: c.joins,
        requires: c.requires,
        patterns: c.patterns.map((p, j) => compiler.compile(p, file, `${field}.patterns.${j}`)),
      });
    });
  }

  const negativesRaw = parseFile("negatives.yaml", text("negatives.yaml"), negativesFile);
  const cueIds = new Set(cues.map((c) => c.id));
  const negatives: CompiledNegative[] = negativesRaw.negatives.map((n, i) => {
    const field = `negatives.${i}`;
    claimId(n.id, "negatives.yaml", `${field}.id`);
    n.except_cues.forEach((c, k) => {
      if (!cueIds.has(c))
        throw new TriageLexiconError("negatives.yaml", `${field}.except_cues.${k}`, `unknown cue ${c}`);
    });
    return {
      id: n.id,
      patterns: n.patterns.map((p, j) => compiler.compile(p, "negatives.yaml", `${field}.patterns.${j}`)),
      scope: n.scope,
      window: n.window ?? engine.settings.clause_window,
      maxLevel: n.max_level,
      groups: n.groups,
      exceptCategories: n.except_categories,
      exceptCues: n.except_cues,
      capExcepted: n.cap_excepted ?? null,
      unless: n.unless.map((p, j) => compiler.compile(p, "negatives.yaml", `${field}.unless.${j}`)),
    };
  });

  const modifiers = parseFile("modifiers.yaml", text("modifiers.yaml"), modifiersFile);
  const boosters: CompiledBooster[] = modifiers.boosters.map((b, i) => {
    claimId(b.id, "modifiers.yaml", `boosters.${i}.id`);
    return {
      id: b.id,
      weight: b.weight,
      categories: b.categories,
      raise: b.raise ?? null,
      raiseMin: b.raise_min,
      medical: b.medical,
      patterns: b.patterns.map((p, j) => compiler.compile(p, "modifiers.yaml", `boosters.${i}.patterns.${j}`)),
    };
  });
  const severityCues: CompiledSeverityCue[] = modifiers.severity.map((s, i) => {
    claimId(s.id, "modifiers.yaml", `severity.${i}.id`);
    return {
      id: s.id,
      effect: s.effect,
      to: s.to,
      min: s.min,
      categories: s.categories,
      patterns: s.patterns.map((p, j) => compiler.compile(p, "modifiers.yaml", `severity.${i}.patterns.${j}`)),
    };
  });
  const medical: CompiledMask[] = [];
  modifiers.medical.forEach((m, i) => {
    claimId(m.id, "modifiers.yaml", `medical.${i}.id`);
    m.patterns.forEach((p, j) => {
      medical.push({ id: m.id, re: compiler.compile(p, "modifiers.yaml", `medical.${i}.patterns.${j}`) });
    });
  });

  const followRaw = parseFile("followups.yaml", text("followups.yaml"), followupsFile);
  const followUps: CompiledFollowUp[] = followRaw.follow_ups.map((f, i) => {
    claimId(f.id, "followups.yaml", `follow_ups.${i}.id`);
    return {
      id: f.id,
      raise: f.raise,
      patterns: f.patterns.map((p, j) => compiler.compile(p, "followups.yaml", `follow_ups.${i}.patterns.${j}`)),
    };
  });

  let net: CompiledNet | null = null;
  if (files["net.yaml"] !== undefined) {
    const raw = parseFile("net.yaml", text("net.yaml"), netFile).net;
    net = {
      window: raw.window,
      clauseReach: raw.clause_reach,
      reachWindow: raw.reach_window ?? raw.window,
      person: compiler.compile(raw.person, "net.yaml", "net.person"),
      families: raw.families.map((f, i) => {
        claimId(`net.${f.id}`, "net.yaml", `net.families.${i}.id`);
        return {
          id: f.id,
          category: f.category,
          childCategory: f.child_category,
          strangerCategory: f.stranger_category ?? null,
          needsPerson: f.needs_person,
          patterns: f.patterns.map((p, j) => compiler.compile(p, "net.yaml", `net.families.${i}.patterns.${j}`)),
        };
      }),
      blank: raw.blank.map((p, j) => compiler.compile(p, "net.yaml", `net.blank.${j}`)),
      quiet: raw.quiet.map((p, j) => compiler.compile(p, "net.yaml", `net.quiet.${j}`)),
      immediate: raw.immediate.map((p, j) => compiler.compile(p, "net.yaml", `net.immediate.${j}`)),
    };
  }

  let classifier: CompiledClassifier | null = null;
  if (files["classifier.yaml"] !== undefined) {
    const raw = parseFile("classifier.yaml", text("classifier.yaml"), classifierFile).classifier;
    const items = parseTrainingFiles(files);
    const options = {
      maxN: raw.max_n,
      epochs: raw.epochs,
      learningRate: raw.learning_rate,
      l2: raw.l2,
      seed: raw.seed,
    };
    for (const name of raw.concepts) {
      if (!classes[name]) throw new TriageLexiconError("classifier.yaml", "concepts", `unknown class ${name}`);
    }
    const concepts = conceptMarker(classes, raw.concepts);
    const model = trainTriageModel(items, (t) => modelInput({ aliases, masks }, t, concepts), options);
    classifier = {
      model,
      threshold: raw.threshold,
      softenedThreshold: raw.softened_threshold,
      bareThreshold: raw.bare_threshold,
      immediateThreshold: raw.immediate_threshold,
      onCatch: raw.on_catch,
      concepts,
      options,
    };
  }

  return {
    net,
    classifier,
    settings: {
      threshold: engine.settings.threshold,
      boosterMinCue: engine.settings.booster_min_cue,
      bareTermMaxChars: engine.settings.bare_term_max_chars,
      bareTermWeight: engine.settings.bare_term_weight,
      concernThreshold: engine.settings.concern_threshold,
      clauseWindow: engine.settings.clause_window,
    },
    aliases,
    masks,
    classes,
    classRe,
    resolvers,
    cues,
    negation: compiler.compile(engine.negation, "engine.yaml", "negation", "u"),
    helpSeeking: compiler.compile(engine.help_seeking, "engine.yaml", "help_seeking", "u"),
    firstPersonAnchor: compiler.compile(engine.first_person_anchor, "engine.yaml", "first_person_anchor", "u"),
    speakerMinor: engine.speaker_minor.map((p, j) => compiler.compile(p, "engine.yaml", `speaker_minor.${j}`, "u")),
    negatives,
    boosters,
    severityCues,
    medical,
    followUps,
    queues,
  };
}

/** The corpus (`training/*.jsonl`, in file-name order); a bad line throws naming file and line. */
export function parseTrainingFiles(files: Record<string, string>): TriageEvalItem[] {
  const names = Object.keys(files)
    .filter((f) => TRAINING_FILE.test(f))
    .sort();
  if (names.length === 0) throw new TriageLexiconError("training/*.jsonl", "", "classifier.yaml needs a corpus");
  return names.flatMap((name) => {
    try {
      return parseTriageEvalJsonl(files[name] ?? "");
    } catch (err) {
      throw new TriageLexiconError(name, "", (err as Error).message);
    }
  });
}

/**
 * Reads every `*.yaml` in the directory (default: knowledge/triage/) and the corpus in its
 * `training/` folder, and compiles them.
 */
export function loadTriageLexicon(dir: string | URL = DEFAULT_TRIAGE_DIR): TriageLexicon {
  return parseTriageLexicon(readTriageFiles(dir));
}

/** File name → text of a lexicon directory: `*.yaml`, and `training/*.jsonl` when the folder exists. */
export function readTriageFiles(dir: string | URL = DEFAULT_TRIAGE_DIR): Record<string, string> {
  const path = typeof dir === "string" ? dir : fileURLToPath(dir);
  const files: Record<string, string> = {};
  for (const name of readdirSync(path)) {
    if (!/\.ya?ml$/.test(name)) continue;
    files[name] = readFileSync(join(path, name), "utf8");
  }
  const training = join(path, "training");
  if (existsSync(training)) {
    for (const name of readdirSync(training)) {
      if (name.endsWith(".jsonl")) files[`training/${name}`] = readFileSync(join(training, name), "utf8");
    }
  }
  return files;
}
