/**
 * The real network and its linearization f_lin(x; θ) = f(x; θ0) + J(x; θ0)(θ − θ0) (Lee et al.
 * 2019, "Wide neural networks of any depth evolve as linear models under gradient descent")
 * trained side by side: same θ0, same data, full-batch gradient descent with the same learning
 * rate, both by the training loop of src/train. Every `every` steps (and at the end) it measures
 *   - train and test loss of both (and test accuracy for classification data),
 *   - the function-space distance ‖f_real − f_lin‖ / ‖f_real‖ on the test inputs (all outputs),
 *   - the parameter distance ‖θ_t − θ0‖ / ‖θ0‖ of both runs (Euclidean over all parameters),
 *   - the kernel change ‖Θ_t − Θ0‖_F / ‖Θ0‖_F of the real network's per-output empirical NTK on
 *     `kernelSamples` training inputs spread evenly over the training rows (rows ⌊i·n/m⌋), and
 *     its kernel–target alignment there (`kernelTargetAlignment`); the linearization's NTK is Θ0
 *     at every step.
 * In the NTK parametrization all three distances shrink like 1/√width at a fixed learning rate.
 */
import type { Split, TrainingSet } from "../data/training.js";
import { requireInteger, requireNumber } from "../errors.js";
import { type JaxArray, jitUnlessF64, loadJax, readF64, refTree } from "../nets/jax.js";
import type { JaxParams } from "../nets/layers/index.js";
import { type Model, objective } from "../nets/model.js";
import { initialState, type TrainState, train } from "../train/loop.js";
import { linearizedModel } from "./linearize.js";
import { empiricalNtk } from "./ntk.js";

export interface SideBySideConfig {
  /** gradient-descent steps */
  steps: number;
  /** learning rate η (plain GD: θ ← θ − η ∇L) */
  lr: number;
  /** measure every this many steps (and after the last one) */
  every: number;
  /** seed of θ0 */
  seed: number;
  /** leading training inputs on which the empirical NTK is measured */
  kernelSamples: number;
}

export interface SideBySideRecord {
  /** updates done */
  step: number;
  realTrainLoss: number;
  realTestLoss: number;
  linearTrainLoss: number;
  linearTestLoss: number;
  /** fraction of test rows classified correctly (argmax), classification only */
  realTestAccuracy: number | null;
  linearTestAccuracy: number | null;
  /** ‖f_real − f_lin‖ / ‖f_real‖ over all test outputs */
  functionDistance: number;
  /** ‖θ_t − θ0‖ / ‖θ0‖ of the real network */
  paramDistance: number;
  /** ‖θ_t − θ0‖ / ‖θ0‖ of the linearized model */
  linearParamDistance: number;
  /** ‖Θ_t − Θ0‖_F / ‖Θ0‖_F of the real network's empirical NTK */
  kernelChange: number;
  /** kernel–target alignment of the real network's empirical NTK (that of f_lin stays at step 0's) */
  kernelAlignment: number;
}

/** Outputs [n, K] row-major of one model on the train and test inputs. */
export interface SplitOutputs {
  train: Float64Array;
  test: Float64Array;
}

export interface SideBySideResult {
  records: SideBySideRecord[];
  /** outputs after the last step */
  final: { real: SplitOutputs; linear: SplitOutputs };
}

/** ‖a − b‖ / ‖b‖ (Euclidean). */
export function relativeDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    s += b[i]! ** 2;
  }
  return Math.sqrt(d / s);
}

/**
 * Kernel–target alignment (Cristianini et al. 2002, uncentred) of a per-output kernel Θ [m, m]
 * (m = n·K, row-major) with targets y (m values, the rows [n, K] flattened):
 *   A(Θ, y) = yᵀ Θ y / (‖Θ‖_F ‖y‖²) = ⟨Θ, y yᵀ⟩_F / (‖Θ‖_F ‖y yᵀ‖_F) ∈ [−1, 1],
 * 1 when Θ ∝ y yᵀ (the kernel sees only the target direction).
 */
export function kernelTargetAlignment(kernel: ArrayLike<number>, y: ArrayLike<number>): number {
  const m = y.length;
  let quad = 0;
  let frob = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      const v = kernel[i * m + j]!;
      quad += y[i]! * v * y[j]!;
      frob += v * v;
    }
  let yy = 0;
  for (let i = 0; i < m; i++) yy += y[i]! ** 2;
  return quad / (Math.sqrt(frob) * yy);
}

/** The parameter leaves of a pytree concatenated on the host (borrows `params`). */
async function flatParams(params: JaxParams): Promise<Float64Array> {
  const jax = await loadJax();
  const leaves = jax.tree.leaves(refTree(jax, params) as never) as unknown as JaxArray[];
  const parts = await Promise.all(leaves.map(readF64));
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Trains `model` and its linearization around θ0 = model.init(seed) side by side (see above). */
export async function trainSideBySide(
  model: Model,
  data: TrainingSet,
  cfg: SideBySideConfig,
): Promise<SideBySideResult> {
  const steps = requireInteger("steps", cfg.steps, 1);
  const every = requireInteger("every", cfg.every, 1);
  const kernelSamples = requireInteger("kernelSamples", cfg.kernelSamples, 1, data.train.n);
  requireNumber("lr", cfg.lr, (v) => v > 0, "> 0");
  const jax = await loadJax();
  const np = jax.numpy;
  const dtype = np[model.dtype];
  const host = (v: Float64Array) => (model.dtype === "float64" ? v : Float32Array.from(v));
  const inputs = (s: Split) => np.array(host(s.x), { shape: [s.n, data.inputDim], dtype });
  const xTrain = inputs(data.train);
  const xTest = inputs(data.test);
  const kernelRows = Array.from({ length: kernelSamples }, (_, i) =>
    Math.floor((i * data.train.n) / kernelSamples),
  );
  const rowsOf = (v: Float64Array, width: number) =>
    Float64Array.from(
      kernelRows.flatMap((r) => Array.from(v.subarray(r * width, (r + 1) * width))),
    );
  const xKernel = np.array(host(rowsOf(data.train.x, data.inputDim)), {
    shape: [kernelSamples, data.inputDim],
    dtype,
  });
  const yKernel = rowsOf(data.train.y, data.outputDim);
  const theta0 = model.init(cfg.seed);
  const linear = await linearizedModel(model, theta0);
  const flat0 = await flatParams(theta0);
  const kernel0 = (await empiricalNtk(model, theta0, xKernel)).perOutput;
  const optimizer = { name: "sgd" as const };
  const trainConfig = {
    steps,
    batchSize: 0,
    optimizer,
    lr: cfg.lr,
    evalEvery: every,
    seed: cfg.seed,
    dtype: model.dtype,
  };
  const measured = (step: number) => step % every === 0 || step === steps;

  /** One run: eval losses from the loop, and per measured step the test outputs and distances. */
  const run = async (m: Model, kernel: boolean) => {
    const predict = jitUnlessF64(jax, m.apply, m.dtype);
    const outputs = (p: JaxParams, x: JaxArray) => readF64(predict(refTree(jax, p), x.ref));
    const tests: Float64Array[] = [];
    const params: number[] = [];
    const kernels: number[] = [];
    const alignments: number[] = [];
    const measure = async (s: TrainState) => {
      tests.push(await outputs(s.params, xTest));
      params.push(relativeDistance(await flatParams(s.params), flat0));
      if (kernel) {
        const ntk = (await empiricalNtk(m, s.params, xKernel)).perOutput;
        kernels.push(relativeDistance(ntk, kernel0));
        alignments.push(kernelTargetAlignment(ntk, yKernel));
      }
    };
    const state = initialState(jax, model.init(cfg.seed), optimizer);
    await measure(state);
    const end = await train(
      jax,
      { objective: objective(m), predict: m.apply },
      data,
      trainConfig,
      state,
      { afterStep: async (s) => (measured(s.step) ? measure(s) : undefined) },
    );
    const final = { train: await outputs(end.params, xTrain), test: tests.at(-1)! };
    jax.tree.dispose([end.params, end.opt.slots] as never);
    predict.dispose();
    return { evals: end.history.evals, tests, params, kernels, alignments, final };
  };

  try {
    const real = await run(model, true);
    const lin = await run(linear, false);
    for (const r of [real, lin])
      if (r.tests.length !== r.evals.length)
        throw new Error("the measurements are out of step with the training loop's evaluations");
    const records = real.evals.map(
      (e, i): SideBySideRecord => ({
        step: e.step,
        realTrainLoss: e.trainLoss,
        realTestLoss: e.testLoss,
        linearTrainLoss: lin.evals[i]!.trainLoss,
        linearTestLoss: lin.evals[i]!.testLoss,
        realTestAccuracy: e.testAccuracy,
        linearTestAccuracy: lin.evals[i]!.testAccuracy,
        functionDistance: relativeDistance(lin.tests[i]!, real.tests[i]!),
        paramDistance: real.params[i]!,
        linearParamDistance: lin.params[i]!,
        kernelChange: real.kernels[i]!,
        kernelAlignment: real.alignments[i]!,
      }),
    );
    return { records, final: { real: real.final, linear: lin.final } };
  } finally {
    jax.tree.dispose(theta0 as never);
    for (const x of [xTrain, xTest, xKernel]) x.dispose();
  }
}

/**
 * Tasks ordered by final test loss (easiest first) for the real network and for its
 * linearization, Kendall's τ between the two orders (1: the kernel ranks the tasks as the network
 * does), and per task the test-loss gap real − linearized (negative: the network beats its kernel).
 */
export function taskRanking(runs: Array<{ task: string; records: SideBySideRecord[] }>) {
  const last = runs.map(({ task, records }) => ({ task, r: records.at(-1)! }));
  const order = (loss: (r: SideBySideRecord) => number) =>
    [...last].sort((a, b) => loss(a.r) - loss(b.r)).map((t) => t.task);
  const real = order((r) => r.realTestLoss);
  const linear = order((r) => r.linearTestLoss);
  return {
    real,
    linear,
    kendall_tau: kendallTau(
      real.map((t) => linear.indexOf(t)),
      real.map((_, i) => i),
    ),
    test_loss_gap: Object.fromEntries(
      last.map(({ task, r }) => [task, r.realTestLoss - r.linearTestLoss]),
    ),
  };
}

/** Kendall's τ_a = (concordant − discordant) / (n(n−1)/2) of two rankings (no ties). */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) s += Math.sign(a[i]! - a[j]!) * Math.sign(b[i]! - b[j]!);
  return s / ((a.length * (a.length - 1)) / 2);
}
