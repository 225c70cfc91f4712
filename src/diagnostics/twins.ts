/**
 * Float-error amplification by twin training runs: the same model, data, seed and data order,
 * trained twice (run a in float32 with `train` of src/train/loop.ts), the twin b differing by one
 * perturbation:
 *   none  — nothing (the control: b must equal a bit for bit at every step),
 *   ulp   — one weight of the initialization moved by one float32 ulp (away from zero),
 *   f64   — b computes in float64 from the same (float32) initialization and the same
 *           float32-rounded data, so only the arithmetic differs,
 *   order — b sums every minibatch in another row order (same rows, shuffled within the batch:
 *           `rowOrderSeed` of the training loop),
 *   seed  — b uses another seed (initialization and data order): the SGD-seed spread that
 *           rounding is compared with.
 * Every `every` steps (and at the last) both runs are read back and compared in float64 JS:
 *   distance ‖θ_a − θ_b‖₂ over all parameters and per layer (‖θ_a^l − θ_b^l‖₂),
 *   disagreement: fraction of test rows whose argmax prediction differs,
 *   loss difference |L_a − L_b| of the test cross-entropy, with the test accuracy of both.
 * Runs a and b are trained one after the other; only their snapshots are kept.
 *
 * Linearised prediction: run a's full training objective (loss on the whole train set, plus the
 * optimizer's weight decay λ·‖θ‖²/2) has Hessian H + λI; its spectrum ends λ_min, λ_max are
 * measured (`spectrumEnds`, Lanczos on HVPs) at step 0 and every `spectrumEvery` steps, and the
 * growth per step a small perturbation would have under the linearised update at that point is
 * `linearizedGrowthRate` of ./stability.ts (GD: ln max|1 − ηλ|; heavy ball: the companion map).
 */
import type { TrainingSet } from "../data/training.js";
import { InputError, requireInteger, requireNumber } from "../errors.js";
import { type JaxArray, jitUnlessF64, loadJax, readF64, refTree } from "../nets/jax.js";
import type { JaxParams } from "../nets/layers/index.js";
import { type Model, objective } from "../nets/model.js";
import { Rng } from "../rng.js";
import { initialState, train } from "../train/loop.js";
import { type OptimizerConfig, resolveOptimizerConfig } from "../train/optimizers.js";
import {
  type Batch,
  type CompiledHessian,
  compileHessian,
  flatParams,
  spectrumEnds,
} from "./hvp.js";
import { linearizedGrowthRate } from "./stability.js";

export const PERTURBATIONS = ["none", "ulp", "f64", "order", "seed"] as const;
export type Perturbation = (typeof PERTURBATIONS)[number];

export interface TwinsConfig {
  /** A float32 model (its `init(seed)` gives run a's parameters). */
  model: Model;
  /** A classification set; its inputs and targets are rounded to float32 for both runs. */
  data: TrainingSet;
  steps: number;
  /** Minibatch size (0: full batch). */
  batchSize: number;
  lr: number;
  /** Compare every this many steps (and at the last step). */
  every: number;
  /** Optimizer (default plain SGD). */
  optimizer?: OptimizerConfig;
  /**
   * Measure the Hessian spectrum ends of run a's training objective every this many steps as well
   * as at step 0 (0 or unset: at step 0 only).
   */
  spectrumEvery?: number;
}

/** Run a's Hessian spectrum ends (of the loss on the whole train set, plus weight decay λ). */
export interface SpectrumTrack {
  step: number[];
  /** NaN where run a's parameters were not finite */
  lambdaMin: number[];
  lambdaMax: number[];
  hvps: number[];
  converged: boolean[];
}

/** Per compared step of one twin pair: a and b side by side. */
export interface TwinPair {
  perturbation: Perturbation;
  /** Seed (initialization and data order) of run a, and of run b. */
  seed: number;
  twinSeed: number;
  /** dtype of b's parameters after training, and how many of them float32 cannot represent. */
  twinDtype: string;
  twinOffGrid: number;
  step: number[];
  distance: number[];
  /** layerDistance[l][i]: distance of model layer l's parameters at step[i]. */
  layerDistance: number[][];
  disagreement: number[];
  lossDiff: number[];
  accuracy: { a: number[]; b: number[] };
  /** ulp only: the moved weight (flat index over all parameters) and its two values. */
  perturbedWeight?: { index: number; from: number; to: number };
  /** Run a's spectrum ends (the same for every pair of one seed). */
  spectrum: SpectrumTrack;
  /**
   * Linearised growth per step predicted from the spectrum at each spectrum.step
   * (`predictedGrowthRate`); null for the none and seed twins (no small perturbation) and for
   * optimizers without a fixed linear map.
   */
  predictedGrowth: (number | null)[];
}

/**
 * Growth per step of a small perturbation under `optimizer`'s update linearised at a point whose
 * objective Hessian (weight decay included) has spectrum [lambdaMin, lambdaMax]:
 * `linearizedGrowthRate` with η(1 − τ) for momentum with dampening τ (the buffer then sums
 * (1 − τ)·g). null for adam, Nesterov and momentum with decoupled weight decay, whose update is not
 * the heavy-ball map.
 */
export function predictedGrowthRate(
  lambdaMin: number,
  lambdaMax: number,
  lr: number,
  optimizer: OptimizerConfig = { name: "sgd" },
): number | null {
  const c = resolveOptimizerConfig(optimizer);
  if (!Number.isFinite(lambdaMin) || !Number.isFinite(lambdaMax)) return null;
  if (c.name === "sgd") return linearizedGrowthRate(lambdaMin, lambdaMax, lr);
  if (c.name === "adam" || c.nesterov || (c.wdMode === "decoupled" && c.weightDecay > 0))
    return null;
  return linearizedGrowthRate(lambdaMin, lambdaMax, lr * (1 - c.dampening), {
    momentum: c.momentum,
  });
}

/**
 * Measured growth per step in each window [starts[i], starts[i + 1]] (the last one to the final
 * compared step): `logGrowthRate` over the compared steps inside it (null with fewer than two).
 */
export function windowGrowthRates(
  step: readonly number[],
  distance: readonly number[],
  starts: readonly number[],
): (number | null)[] {
  return starts.map((from, i) => {
    const to = starts[i + 1] ?? Number.POSITIVE_INFINITY;
    const inside = step.flatMap((t, j) => (t >= from && t <= to ? [j] : []));
    return logGrowthRate(
      inside.map((j) => step[j]!),
      inside.map((j) => distance[j]!),
    );
  });
}

/** The float32 next to x away from zero (x itself rounded to float32 first; 0 → the least subnormal). */
export function nextFloat32(x: number): number {
  const f = new Float32Array([x]);
  if (!Number.isFinite(f[0]!)) throw new InputError("weight", `not finite: ${x}`);
  const bits = new Uint32Array(f.buffer);
  bits[0] = bits[0]! + 1;
  return f[0]!;
}

interface Snapshot {
  /** parameters of each model layer, flat, as float64 values */
  layers: Float64Array[];
  /** test outputs [n_test, K] */
  logits: Float64Array;
}

/** The twin of every perturbation for run a with `seed`, in the order given. */
export async function twinRuns(
  config: TwinsConfig,
  perturbations: readonly Perturbation[],
  seed: number,
  opts: { twinSeed?: number; ulpIndex?: number } = {},
): Promise<TwinPair[]> {
  const jax = await loadJax();
  const np = jax.numpy;
  const { model } = config;
  const steps = requireInteger("steps", config.steps, 1);
  const every = requireInteger("every", config.every, 1);
  const spectrumEvery = requireInteger("spectrumEvery", config.spectrumEvery ?? 0, 0);
  requireInteger("seed", seed, 0, 2 ** 32 - 1);
  requireNumber("lr", config.lr, (v) => v > 0, "> 0");
  if (model.dtype !== "float32") throw new InputError("model", "run a must be a float32 model");
  if (config.data.task !== "classification" || !config.data.test.labels)
    throw new InputError("dataset", "twins compare predictions: a classification set is needed");
  for (const p of perturbations)
    if (!PERTURBATIONS.includes(p))
      throw new InputError("perturbation", `unknown '${p}' (known: ${PERTURBATIONS.join(", ")})`);
  const seedTwin = requireInteger("twinSeed", opts.twinSeed ?? seed + 1, 0, 2 ** 32 - 1);
  if (seedTwin === seed) throw new InputError("twinSeed", "must differ from seed");
  const data = float32Rounded(config.data);
  const labels = data.test.labels!;
  const k = data.outputDim;
  const optimizer = config.optimizer ?? { name: "sgd" as const };
  const task = { objective: objective(model), predict: model.apply };
  const checkpoints = Array.from({ length: Math.ceil(steps / every) }, (_, i) => i * every);
  checkpoints.push(steps);

  const weightDecay = resolveOptimizerConfig(optimizer).weightDecay;
  const spectrum: SpectrumTrack = {
    step: [],
    lambdaMin: [],
    lambdaMax: [],
    hvps: [],
    converged: [],
  };
  // compiled once (first measurement), freed after run a, the only run that measures
  let hessian: { compiled: CompiledHessian; batch: Batch } | undefined;
  const measureSpectrum = async (step: number, params: JaxParams, finite: boolean) => {
    spectrum.step.push(step);
    if (!finite) {
      spectrum.lambdaMin.push(Number.NaN);
      spectrum.lambdaMax.push(Number.NaN);
      spectrum.hvps.push(0);
      spectrum.converged.push(false);
      return;
    }
    const f32 = (v: Float64Array, cols: number) =>
      np.array(Float32Array.from(v), { shape: [data.train.n, cols], dtype: np.float32 });
    hessian ??= {
      compiled: await compileHessian(model),
      batch: { x: f32(data.train.x, data.inputDim), y: f32(data.train.y, k) },
    };
    const op = await hessian.compiled.at(params, hessian.batch);
    const ends = await spectrumEnds(op, { tol: 1e-3, maxIter: 60, seed: step });
    // the decay term λ‖θ‖²/2 (or the decoupled shrink, the same map for SGD) adds λ to each
    spectrum.lambdaMin.push(ends.lambdaMin + weightDecay);
    spectrum.lambdaMax.push(ends.lambdaMax + weightDecay);
    spectrum.hvps.push(ends.hvps);
    spectrum.converged.push(ends.converged);
  };

  const run = async (
    params: JaxParams,
    runSeed: number,
    dtype: "float32" | "float64",
    rowOrderSeed?: number,
    withSpectrum = false,
  ): Promise<{ snaps: Snapshot[]; dtype: string }> => {
    const typed = dtype === "float64" ? data.test.x : Float32Array.from(data.test.x);
    const testX = np.array(typed, { shape: [data.test.n, data.inputDim], dtype: np[dtype] });
    const predict = jitUnlessF64(jax, model.apply, dtype);
    const snaps: Snapshot[] = [];
    const snapshot = async (p: JaxParams) => {
      const layers: Float64Array[] = [];
      for (const layer of p as JaxParams[]) {
        const leaves = jax.tree.leaves(refTree(jax, layer) as never) as JaxArray[];
        const parts: Float64Array[] = [];
        for (const leaf of leaves) parts.push(await readF64(leaf));
        layers.push(concat(parts));
      }
      snaps.push({ layers, logits: await readF64(predict(refTree(jax, p), testX.ref)) });
    };
    try {
      const state = initialState(jax, params, optimizer);
      await snapshot(state.params);
      if (withSpectrum) await measureSpectrum(0, state.params, true);
      const final = await train(
        jax,
        task,
        data,
        {
          steps,
          batchSize: config.batchSize,
          optimizer,
          lr: config.lr,
          evalEvery: steps,
          seed: runSeed,
          dtype,
          rowOrderSeed,
        },
        state,
        {
          afterStep: async (s) => {
            if (s.step % every === 0) await snapshot(s.params);
            if (withSpectrum && spectrumEvery > 0 && s.step % spectrumEvery === 0 && s.step < steps)
              await measureSpectrum(
                s.step,
                s.params,
                s.history.steps.every((r) => Number.isFinite(r.loss)),
              );
          },
        },
      );
      if (steps % every !== 0) await snapshot(final.params);
      const dtypeSeen = (jax.tree.leaves(final.params as never) as JaxArray[])[0]!.dtype;
      jax.tree.dispose([final.params, final.opt.slots] as never);
      return { snaps, dtype: dtypeSeen };
    } finally {
      testX.dispose();
      predict.dispose();
    }
  };

  const a = await run(model.init(seed), seed, "float32", undefined, true).finally(() => {
    hessian?.compiled.dispose();
    if (hessian) jax.tree.dispose(hessian.batch as never);
  });
  const pairs: TwinPair[] = [];
  for (const perturbation of perturbations) {
    let twinSeed = seed;
    let params: JaxParams;
    let perturbedWeight: TwinPair["perturbedWeight"];
    if (perturbation === "seed") {
      twinSeed = seedTwin;
      params = model.init(twinSeed);
    } else if (perturbation === "f64") {
      params = jax.tree.map(
        (x: JaxArray) => x.astype(np.float64),
        model.init(seed) as never,
      ) as JaxParams;
    } else if (perturbation === "ulp") {
      const init = model.init(seed);
      const flat = await flatParams(init);
      const values = await flat.toFlat(refTree(jax, init));
      const index = opts.ulpIndex ?? (await defaultUlpIndex(init, seed));
      requireInteger("ulpIndex", index, 0, values.length - 1);
      const from = values[index]!;
      values[index] = nextFloat32(from);
      perturbedWeight = { index, from, to: values[index]! };
      params = flat.fromFlat(values);
      jax.tree.dispose(init as never);
    } else params = model.init(seed);
    const b = await run(
      params,
      twinSeed,
      perturbation === "f64" ? "float64" : "float32",
      perturbation === "order" ? seed : undefined,
    );
    const last = b.snaps.at(-1)!.layers;
    const twinOffGrid = last.reduce((n, l) => n + l.filter((v) => Math.fround(v) !== v).length, 0);
    pairs.push({
      perturbation,
      seed,
      twinSeed,
      twinDtype: b.dtype,
      twinOffGrid,
      ...compare(a.snaps, b.snaps, checkpoints, labels, k),
      ...(perturbedWeight ? { perturbedWeight } : {}),
      spectrum,
      predictedGrowth: spectrum.step.map((_, i) =>
        perturbation === "none" || perturbation === "seed"
          ? null
          : predictedGrowthRate(
              spectrum.lambdaMin[i]!,
              spectrum.lambdaMax[i]!,
              config.lr,
              optimizer,
            ),
      ),
    });
  }
  return pairs;
}

/**
 * A seeded entry of a weight matrix (a leaf with ≥ 2 dimensions; biases start at 0) after the
 * input layer: an input weight on a constant (standardized to 0) feature, such as digits' blank
 * pixels, gets no gradient and would leave the twins one ulp apart forever.
 */
async function defaultUlpIndex(params: JaxParams, seed: number): Promise<number> {
  const jax = await loadJax();
  const weights: Array<{ offset: number; size: number }> = [];
  let offset = 0;
  (params as JaxParams[]).forEach((layer, l) => {
    for (const leaf of jax.tree.leaves(layer as never) as JaxArray[]) {
      if (l > 0 && leaf.shape.length >= 2) weights.push({ offset, size: leaf.size });
      offset += leaf.size;
    }
  });
  const rng = new Rng(seed);
  const leaf = weights[Math.floor(rng.uniform() * weights.length)]!;
  return leaf.offset + Math.floor(rng.uniform() * leaf.size);
}

function compare(
  a: Snapshot[],
  b: Snapshot[],
  step: number[],
  labels: Int32Array,
  k: number,
): Omit<
  TwinPair,
  | "perturbation"
  | "seed"
  | "twinSeed"
  | "twinDtype"
  | "twinOffGrid"
  | "perturbedWeight"
  | "spectrum"
  | "predictedGrowth"
> {
  const layers = a[0]!.layers.length;
  const out = {
    step,
    distance: [] as number[],
    layerDistance: Array.from({ length: layers }, () => [] as number[]),
    disagreement: [] as number[],
    lossDiff: [] as number[],
    accuracy: { a: [] as number[], b: [] as number[] },
  };
  for (let i = 0; i < step.length; i++) {
    const sa = a[i]!;
    const sb = b[i]!;
    let total = 0;
    for (let l = 0; l < layers; l++) {
      const d2 = squaredDistance(sa.layers[l]!, sb.layers[l]!);
      out.layerDistance[l]!.push(Math.sqrt(d2));
      total += d2;
    }
    out.distance.push(Math.sqrt(total));
    const pa = testMetrics(sa.logits, labels, k);
    const pb = testMetrics(sb.logits, labels, k);
    let differ = 0;
    for (let r = 0; r < labels.length; r++) if (pa.predicted[r] !== pb.predicted[r]) differ++;
    out.disagreement.push(differ / labels.length);
    out.lossDiff.push(Math.abs(pa.loss - pb.loss));
    out.accuracy.a.push(pa.accuracy);
    out.accuracy.b.push(pb.accuracy);
  }
  return out;
}

function squaredDistance(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - y[i]!) ** 2;
  return s;
}

/** Argmax predictions, accuracy and mean cross-entropy of logits [n, k] (float64 JS). */
export function testMetrics(logits: Float64Array, labels: Int32Array, k: number) {
  const n = labels.length;
  const predicted = new Int32Array(n);
  let correct = 0;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const row = logits.subarray(r * k, (r + 1) * k);
    let best = 0;
    for (let c = 1; c < k; c++) if (row[c]! > row[best]!) best = c;
    predicted[r] = best;
    if (best === labels[r]) correct++;
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(row[c]! - row[best]!);
    loss += row[best]! + Math.log(s) - row[labels[r]!]!;
  }
  return { predicted, accuracy: correct / n, loss: loss / n };
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The set with inputs and targets rounded to float32 (what a float32 run sees), as float64. */
function float32Rounded(data: TrainingSet): TrainingSet {
  const r = (v: Float64Array) => Float64Array.from(Float32Array.from(v));
  return {
    ...data,
    train: { ...data.train, x: r(data.train.x), y: r(data.train.y) },
    test: { ...data.test, x: r(data.test.x), y: r(data.test.y) },
  };
}

/**
 * Growth rate r of a divergence d(t) ≈ c·e^{r t}: the least-squares slope of ln d against t over
 * the points with finite d > 0 (per step; e^r is the amplification per step). null with fewer
 * than two such points or a single step value.
 */
export function logGrowthRate(step: readonly number[], distance: readonly number[]): number | null {
  const pts = step
    .map((t, i) => [t, distance[i]!] as const)
    .filter(([, d]) => Number.isFinite(d) && d > 0)
    .map(([t, d]) => [t, Math.log(d)] as const);
  if (pts.length < 2) return null;
  const tMean = pts.reduce((s, [t]) => s + t, 0) / pts.length;
  const yMean = pts.reduce((s, [, y]) => s + y, 0) / pts.length;
  let stt = 0;
  let sty = 0;
  for (const [t, y] of pts) {
    stt += (t - tMean) ** 2;
    sty += (t - tMean) * (y - yMean);
  }
  return stt > 0 ? sty / stt : null;
}
