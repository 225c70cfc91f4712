/**
 * Tasks on the same inputs: new labels for a classification set's rows, so that networks and
 * their linearizations can be compared across tasks of different difficulty on identical x.
 *
 *   class       the dataset's own classes (unchanged);
 *   ovr:<c>     one-vs-rest: 1 where the class is c, else 0;
 *   parity:<k>  k-sparse parity: each input feature j is binarized at its training-set median
 *               (b_j = [x_j > m_j]); the label is b_{j1} ⊕ … ⊕ b_{jk} over the k features whose
 *               median split is closest to half and half (ties: the lower index), so the task
 *               needs k-th order interactions of the inputs;
 *   random      labels drawn uniformly from {0, 1} with the seed: memorizable, not learnable.
 *
 * Binary tasks are two-class one-hot targets, so accuracy and the MSE loss mean the same as for
 * the dataset's own classes.
 */
import { InputError } from "../errors.js";
import { Rng } from "../rng.js";
import { oneHot, type Split, type TrainingSet } from "./training.js";

export type TaskName = string;

interface Task {
  name: TaskName;
  classes: number;
  /** Labels of one split's rows. */
  label(split: Split): Int32Array;
}

/** The feature medians over the training rows, and the k features split closest to half. */
export function parityFeatures(train: Split, inputDim: number, k: number) {
  const medians = new Float64Array(inputDim);
  const balance: Array<{ j: number; off: number }> = [];
  for (let j = 0; j < inputDim; j++) {
    const col = Float64Array.from({ length: train.n }, (_, i) => train.x[i * inputDim + j]!);
    const sorted = Float64Array.from(col).sort();
    const m = sorted[Math.floor((train.n - 1) / 2)]!;
    medians[j] = m;
    const above = col.reduce((s, v) => s + (v > m ? 1 : 0), 0);
    balance.push({ j, off: Math.abs(above / train.n - 0.5) });
  }
  balance.sort((a, b) => a.off - b.off || a.j - b.j);
  return { medians, features: balance.slice(0, k).map((b) => b.j) };
}

function parseTask(name: string, data: TrainingSet, seed: number): Task {
  const [kind, arg] = name.split(":");
  const classes = data.outputDim;
  const labelsOf = (split: Split) => {
    if (!split.labels) throw new InputError("--task", `${data.name} has no class labels`);
    return split.labels;
  };
  if (kind === "class" && arg === undefined)
    return { name, classes, label: (s) => Int32Array.from(labelsOf(s)) };
  if (kind === "ovr" && arg !== undefined && /^\d+$/.test(arg) && Number(arg) < classes) {
    const c = Number(arg);
    return {
      name,
      classes: 2,
      label: (s) => Int32Array.from(labelsOf(s), (l) => (l === c ? 1 : 0)),
    };
  }
  if (kind === "parity" && arg !== undefined && /^\d+$/.test(arg)) {
    const k = Number(arg);
    if (k < 1 || k > data.inputDim)
      throw new InputError("--task", `${name}: k must be in 1…${data.inputDim} (the inputs)`);
    const { medians, features } = parityFeatures(data.train, data.inputDim, k);
    const d = data.inputDim;
    return {
      name,
      classes: 2,
      label: (s) =>
        Int32Array.from({ length: s.n }, (_, i) =>
          features.reduce((p, j) => p ^ (s.x[i * d + j]! > medians[j]! ? 1 : 0), 0),
        ),
    };
  }
  if (kind === "random" && arg === undefined) {
    // one stream for train then test, so a row's label does not depend on the other split's size
    const rng = new Rng(seed);
    const train = Int32Array.from({ length: data.train.n }, () => (rng.uniform() < 0.5 ? 1 : 0));
    const test = Int32Array.from({ length: data.test.n }, () => (rng.uniform() < 0.5 ? 1 : 0));
    return { name, classes: 2, label: (s) => (s === data.train ? train : test) };
  }
  throw new InputError(
    "--task",
    `unknown task '${name}' (known: class, ovr:<c> with c < ${classes}, parity:<k>, random)`,
  );
}

/** `data` with the labels of task `name` (see the module comment); `seed` draws `random`. */
export function relabel(data: TrainingSet, name: TaskName, seed: number): TrainingSet {
  if (data.task !== "classification")
    throw new InputError("--task", `tasks need a classification dataset, ${data.name} is not`);
  const task = parseTask(name, data, seed);
  const split = (s: Split): Split => {
    const labels = task.label(s);
    return { n: s.n, x: s.x, y: oneHot(labels, task.classes), labels };
  };
  return {
    ...data,
    outputDim: task.classes,
    train: split(data.train),
    test: split(data.test),
    description: name === "class" ? data.description : `${data.description}, task ${name}`,
  };
}
