/**
 * Stage 3 of triage: a small learned classifier over character n-grams. Pure functions.
 *
 * Why character n-grams: residents write without spaces, in dialect, with typos and
 * homophones; a word segmenter trained on newspaper Chinese splits 叫他打了一顿 or 俺不中了
 * badly, while 1–3-character pieces (打了, 叫他, 不中了) carry the signal whatever the
 * segmentation. The text is normalised first (normalize-fns.ts: traditional → simplified,
 * aliases such as 家报 → 家暴), so the model and the rules see the same words.
 *
 * Why multinomial logistic regression (softmax) trained by SGD with L2: it weighs the pieces
 * against each other (打 alone is everyday, 打了我 is not; 死了 next to 笑 is an idiom),
 * and gives probabilities good enough to set a threshold on. Training is deterministic: a
 * seeded shuffle and a fixed number of epochs, so the same corpus always gives the same model.
 */
import { TRIAGE_CATEGORIES, type TriageCategory } from "./triage-types.ts";

/** Settings of one training run (knowledge/triage/classifier.yaml). */
export interface TrainOptions {
  /** Largest n-gram length (1..maxN). */
  maxN: number;
  epochs: number;
  learningRate: number;
  /** L2 penalty per update, applied to the weights an example touches (sparse decay). */
  l2: number;
  seed: number;
}

export interface SoftmaxModel {
  classes: readonly string[];
  /** n-gram → row index into `weights`. */
  vocab: ReadonlyMap<string, number>;
  /** Row-major: weights[row * classes.length + class]. */
  weights: Float64Array;
  bias: Float64Array;
  maxN: number;
}

export interface LabelledText {
  /** Already normalised text (normalizeForTriage). */
  text: string;
  label: string;
}

// Punctuation and spaces separate clauses; they become one boundary mark so that
// n-grams can see a clause start or end (^打 is not 的打) without learning punctuation habits.
const BOUNDARY = /[\s\p{P}\p{S}_]+/gu;
const DIGITS = /[0-9]+/g;

/**
 * The distinct character 1..maxN-grams of a normalised text. Runs of digits become "0"
 * (才9岁 and 才13岁 are the same piece of evidence); clause boundaries become "|".
 * Grams made only of boundary marks are dropped.
 */
export function featurise(text: string, maxN: number): string[] {
  const chars = [...`|${text.replace(DIGITS, "0").replace(BOUNDARY, "|")}|`];
  const out = new Set<string>();
  for (let n = 1; n <= maxN; n++) {
    for (let i = 0; i + n <= chars.length; i++) {
      const gram = chars.slice(i, i + n).join("");
      if (/^\|+$/.test(gram)) continue;
      out.add(gram);
    }
  }
  return [...out];
}

/** mulberry32: a tiny seeded PRNG, so the shuffle (and the model) is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function softmaxInPlace(z: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    const e = Math.exp((z[k] ?? 0) - max);
    z[k] = e;
    sum += e;
  }
  for (let k = 0; k < z.length; k++) z[k] = (z[k] ?? 0) / sum;
}

/** Rows of the known features of a text (unknown n-grams carry no weight). */
function rowsOf(model: Pick<SoftmaxModel, "vocab" | "maxN">, text: string): number[] {
  const rows: number[] = [];
  for (const g of featurise(text, model.maxN)) {
    const r = model.vocab.get(g);
    if (r !== undefined) rows.push(r);
  }
  return rows;
}

/**
 * Each example's features count 1/√(number of features), so a long voice-to-text
 * message does not get a larger score just for being long.
 */
function scores(model: SoftmaxModel, rows: readonly number[], out: Float64Array): void {
  const c = model.classes.length;
  const v = rows.length > 0 ? 1 / Math.sqrt(rows.length) : 0;
  for (let k = 0; k < c; k++) out[k] = model.bias[k] ?? 0;
  for (const r of rows) {
    const base = r * c;
    for (let k = 0; k < c; k++) out[k] = (out[k] ?? 0) + (model.weights[base + k] ?? 0) * v;
  }
}

/** Trains a softmax regression over the given classes. Deterministic for a given input and options. */
export function trainSoftmax(
  examples: readonly LabelledText[],
  classes: readonly string[],
  options: TrainOptions,
): SoftmaxModel {
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const vocab = new Map<string, number>();
  const data = examples.map((ex) => {
    const y = classIndex.get(ex.label);
    if (y === undefined) throw new Error(`unknown label "${ex.label}"`);
    const rows = featurise(ex.text, options.maxN).map((g) => {
      let r = vocab.get(g);
      if (r === undefined) {
        r = vocab.size;
        vocab.set(g, r);
      }
      return r;
    });
    return { rows, y };
  });
  const c = classes.length;
  const model: SoftmaxModel = {
    classes,
    vocab,
    weights: new Float64Array(vocab.size * c),
    bias: new Float64Array(c),
    maxN: options.maxN,
  };
  const random = prng(options.seed);
  const order = data.map((_, i) => i);
  const p = new Float64Array(c);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    // Fisher–Yates with the seeded PRNG.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    // A step size that shrinks over the epochs lets the last passes settle instead of oscillate.
    const lr = options.learningRate / (1 + epoch * 0.2);
    const decay = 1 - lr * options.l2;
    for (const i of order) {
      const { rows, y } = data[i] as (typeof data)[number];
      scores(model, rows, p);
      softmaxInPlace(p);
      const v = rows.length > 0 ? 1 / Math.sqrt(rows.length) : 0;
      for (let k = 0; k < c; k++) {
        const g = (p[k] ?? 0) - (k === y ? 1 : 0);
        model.bias[k] = (model.bias[k] ?? 0) - lr * g;
        const step = lr * g * v;
        for (const r of rows) {
          const at = r * c + k;
          model.weights[at] = (model.weights[at] ?? 0) * decay - step;
        }
      }
    }
  }
  return model;
}

/** Class probabilities for a normalised text, in the order of `model.classes`. */
export function predictSoftmax(model: SoftmaxModel, text: string): Record<string, number> {
  const p = new Float64Array(model.classes.length);
  scores(model, rowsOf(model, text), p);
  softmaxInPlace(p);
  const out: Record<string, number> = {};
  model.classes.forEach((cls, k) => {
    out[cls] = p[k] ?? 0;
  });
  return out;
}

// ── the triage model ────────────────────────────────────────────────────────

/** The report model's classes: "none" (not a report) and the five queues. */
export const MODEL_CLASSES = ["none", ...TRIAGE_CATEGORIES] as const;
const IMMEDIATE_CLASSES = ["later", "now"] as const;

export interface TrainingItem {
  text: string;
  urgent: boolean;
  category: TriageCategory | "none";
  immediate_danger: boolean;
}

/** Two heads over the same features: is it a report (and for which queue), and is the danger now. */
export interface TriageModel {
  report: SoftmaxModel;
  /** Trained on the reports only: someone in danger right now (means at hand, in progress, missing tonight). */
  immediate: SoftmaxModel;
}

/** Trains the triage model on labelled messages; `normalise` is the triage normalisation (aliases included). */
export function trainTriageModel(
  items: readonly TrainingItem[],
  normalise: (text: string) => string,
  options: TrainOptions,
): TriageModel {
  const texts = items.map((item) => normalise(item.text));
  const isReport = (item: TrainingItem) => item.urgent && item.category !== "none";
  const report = trainSoftmax(
    items.map((item, i) => ({ text: texts[i] ?? "", label: isReport(item) ? item.category : "none" })),
    MODEL_CLASSES,
    options,
  );
  const immediate = trainSoftmax(
    items.flatMap((item, i) =>
      isReport(item) ? [{ text: texts[i] ?? "", label: item.immediate_danger ? "now" : "later" }] : [],
    ),
    IMMEDIATE_CLASSES,
    options,
  );
  return { report, immediate };
}

export interface ModelVerdict {
  /** 1 − P(none): how likely the message is a report of any kind. */
  pUrgent: number;
  /** The most likely of the five queues, whatever pUrgent is. */
  category: TriageCategory;
  /** P(category | a report): the model's confidence in its queue, whoever decided it is a report. */
  pCategory: number;
  /** If it is a report: how likely the danger is immediate. */
  pImmediate: number;
}

/** The model's reading of a normalised message. */
export function modelVerdict(model: TriageModel, normText: string): ModelVerdict {
  const p = predictSoftmax(model.report, normText);
  let category: TriageCategory = TRIAGE_CATEGORIES[0];
  for (const c of TRIAGE_CATEGORIES) if ((p[c] ?? 0) > (p[category] ?? 0)) category = c;
  const pUrgent = 1 - (p.none ?? 0);
  return {
    pUrgent,
    category,
    pCategory: pUrgent > 0 ? (p[category] ?? 0) / pUrgent : 0,
    pImmediate: predictSoftmax(model.immediate, normText).now ?? 0,
  };
}
