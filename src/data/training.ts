/**
 * Train/test data for network training: the shipped classification datasets with all their
 * classes, and seeded synthetic teachers. Everything is fixed by one seed:
 * - a stratified split (each class keeps its share in the test set, ⌊f·n_c⌉ per class),
 * - standardization with mean and standard deviation fitted on the training rows only (constant
 *   features map to 0), applied to both sets,
 * - targets as float rows [n, outputs]: one-hot for classification, real values for regression.
 */
import { InputError, requireInteger, requireNumber } from "../errors.js";
import { Rng, shuffle } from "../rng.js";
import { breastCancerData, digitsData, irisData, type LabelledData } from "./datasets.js";

export const trainingDatasetNames = [
  "iris",
  "digits",
  "breast_cancer",
  "teacher_classification",
  "teacher_regression",
] as const;
export type TrainingDatasetName = (typeof trainingDatasetNames)[number];

/** Row-major rows: x [n, inputDim], y [n, outputDim]. */
export interface Split {
  n: number;
  x: Float64Array;
  y: Float64Array;
  /** Class index per row (classification only). */
  labels?: Int32Array;
}

export interface TrainingSet {
  name: TrainingDatasetName;
  task: "classification" | "regression";
  inputDim: number;
  outputDim: number;
  train: Split;
  test: Split;
  description: string;
}

export interface TrainingSetOptions {
  /** Seed of the split (and of a synthetic teacher). */
  seed: number;
  /** Fraction of rows held out for testing, in (0, 1) (default 0.2). */
  testFraction?: number;
  /** Synthetic teachers: samples, input dimension, teacher width, outputs/classes, label noise. */
  n?: number;
  inputDim?: number;
  teacherWidth?: number;
  outputs?: number;
  noise?: number;
}

/**
 * Seeded stratified split: for each class c, round(testFraction·n_c) of its rows (chosen by a
 * shuffle) go to the test set. Returns sorted row indices.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  requireNumber("testFraction", testFraction, (f) => f > 0 && f < 1, "in (0, 1)");
  const rng = new Rng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = shuffle(byClass.get(c)!, rng);
    const k = Math.round(testFraction * rows.length);
    test.push(...rows.slice(0, k));
    train.push(...rows.slice(k));
  }
  if (train.length === 0 || test.length === 0)
    throw new InputError(
      "testFraction",
      `leaves an empty ${train.length === 0 ? "train" : "test"} set`,
    );
  const asc = (a: number, b: number) => a - b;
  return { train: train.sort(asc), test: test.sort(asc) };
}

/** Per-feature mean and standard deviation (population, 1/n) of the rows of x [n, d]. */
export function fitStandardizer(
  x: Float64Array,
  d: number,
): { mean: Float64Array; sd: Float64Array } {
  const n = x.length / d;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) sd[j]! += (x[i * d + j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!);
  return { mean, sd };
}

/** (x − mean)/sd per feature, 0 for constant features; returns a new array. */
export function standardize(
  x: Float64Array,
  s: { mean: Float64Array; sd: Float64Array },
): Float64Array {
  const d = s.mean.length;
  return x.map((v, k) => {
    const j = k % d;
    return s.sd[j]! > 0 ? (v - s.mean[j]!) / s.sd[j]! : 0;
  });
}

/** One-hot rows [n, classes]. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float64Array {
  const y = new Float64Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) y[i * classes + labels[i]!] = 1;
  return y;
}

const gather = (x: Float64Array, d: number, rows: number[]) => {
  const out = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    out.set(x.subarray(r * d, (r + 1) * d), i * d);
  });
  return out;
};

/** Splits rows, standardizes x with train statistics; y rows copied as they are. */
function splitRows(
  x: Float64Array,
  y: Float64Array,
  d: number,
  k: number,
  idx: { train: number[]; test: number[] },
  labels?: ArrayLike<number>,
): { train: Split; test: Split } {
  const xTrain = gather(x, d, idx.train);
  const s = fitStandardizer(xTrain, d);
  const part = (rows: number[], xs: Float64Array): Split => ({
    n: rows.length,
    x: standardize(xs, s),
    y: gather(y, k, rows),
    ...(labels ? { labels: Int32Array.from(rows, (r) => labels[r]!) } : {}),
  });
  return { train: part(idx.train, xTrain), test: part(idx.test, gather(x, d, idx.test)) };
}

function classification(
  name: TrainingDatasetName,
  data: LabelledData,
  o: TrainingSetOptions,
  description: string,
): TrainingSet {
  const d = data.features[0]!.length;
  const k = data.classes.length;
  const x = Float64Array.from(data.features.flat());
  const idx = stratifiedSplit(data.labels, o.testFraction ?? 0.2, o.seed);
  return {
    name,
    task: "classification",
    inputDim: d,
    outputDim: k,
    ...splitRows(x, oneHot(data.labels, k), d, k, idx, data.labels),
    description,
  };
}

/**
 * A random one-hidden-layer teacher f(x) = V·tanh(W x / √d) / √m with W, V ~ N(0, 1) entries
 * and inputs x ~ N(0, I_d), all drawn from `seed`. Returns inputs and teacher outputs [n, k].
 */
export function teacherNetwork(
  seed: number,
  n: number,
  d: number,
  m: number,
  k: number,
): { x: Float64Array; f: Float64Array } {
  const rng = new Rng(seed);
  const x = rng.normals(n * d);
  const W = rng.normals(m * d, 1 / Math.sqrt(d));
  const V = rng.normals(k * m, 1 / Math.sqrt(m));
  const f = new Float64Array(n * k);
  const h = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += W[j * d + c]! * x[i * d + c]!;
      h[j] = Math.tanh(s);
    }
    for (let o = 0; o < k; o++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += V[o * m + j]! * h[j]!;
      f[i * k + o] = s;
    }
  }
  return { x, f };
}

function teacher(name: TrainingDatasetName, o: TrainingSetOptions): TrainingSet {
  const n = requireInteger("n", o.n ?? 500, 4);
  const d = requireInteger("inputDim", o.inputDim ?? 10, 1);
  const m = requireInteger("teacherWidth", o.teacherWidth ?? 16, 1);
  const k = requireInteger("outputs", o.outputs ?? (name === "teacher_regression" ? 1 : 3), 1);
  const noise = requireNumber("noise", o.noise ?? 0.1, (v) => v >= 0, "≥ 0");
  const { x, f } = teacherNetwork(o.seed, n, d, m, k);
  const frac = o.testFraction ?? 0.2;
  if (name === "teacher_regression") {
    const noiseRng = new Rng(o.seed ^ 0x5bd1e995);
    const y = f.map((v) => v + noise * noiseRng.normal());
    const idx = stratifiedSplit(new Int32Array(n), frac, o.seed);
    return {
      name,
      task: "regression",
      inputDim: d,
      outputDim: k,
      ...splitRows(x, y, d, k, idx),
      description: `tanh teacher (width ${m}) regression, n=${n}, d=${d}, outputs ${k}, noise ${noise}, seed ${o.seed}`,
    };
  }
  if (k < 2) throw new InputError("outputs", "a classification teacher needs ≥ 2 classes");
  const labels = Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (f[i * k + c]! > f[i * k + best]!) best = c;
    return best;
  });
  return classification(
    name,
    {
      features: Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d))),
      labels,
      classes: Array.from({ length: k }, (_, c) => String(c)),
    },
    o,
    `tanh teacher (width ${m}) argmax classes, n=${n}, d=${d}, classes ${k}, seed ${o.seed}`,
  );
}

/** The named dataset split by `opts.seed` (see the module comment). */
export function trainingSet(name: TrainingDatasetName, opts: TrainingSetOptions): TrainingSet {
  requireInteger("seed", opts.seed, 0, 2 ** 32 - 1);
  switch (name) {
    case "iris":
      return classification(name, irisData(), opts, "iris: 3 species, 150 flowers, 4 features");
    case "digits":
      return classification(name, digitsData(), opts, "digits 0–9: 1797 8×8 images, 64 pixels");
    case "breast_cancer":
      return classification(
        name,
        breastCancerData(),
        opts,
        "breast cancer: malignant/benign, 569 tumours, 30 features",
      );
    case "teacher_classification":
    case "teacher_regression":
      return teacher(name, opts);
    default:
      throw new InputError(
        "dataset",
        `must be one of ${trainingDatasetNames.join(", ")}, got ${String(name)}`,
      );
  }
}
