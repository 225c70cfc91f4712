/**
 * The training loop: full-batch gradient descent or minibatch SGD with any optimizer of
 * ./optimizers.ts and a schedule of ./schedules.ts, recording the minibatch loss of every step and,
 * every `evalEvery` steps (and at the end), loss and accuracy on the whole train and test sets.
 *
 * Determinism: the data order is a pure function of (seed, step): epoch e = ⌊t / B_e⌋ with
 * B_e = ⌊n / batch⌋ batches per epoch (the last incomplete batch is dropped) uses the permutation
 * Fisher–Yates(Rng(seed ⊕ e·φ)), batch t mod B_e its slice. So the same seed gives bit-identical
 * metrics, and a run resumed from a checkpoint at step k continues exactly as the uninterrupted
 * run (the checkpoint stores params, optimizer state, step and metrics; ./checkpoint.ts).
 *
 * float32 runs jit the loss-and-gradient; float64 runs eagerly (jax-js rounds JS constants to
 * float32 inside jit, and jit of a float64 gradient can exhaust the heap).
 */
import type { Split, TrainingSet } from "../data/training.js";
import { requireInteger } from "../errors.js";
import { type JaxArray, type JaxModule, readF64 } from "../nets/jax.js";
import type { JaxParams } from "../nets/stax.js";
import { Rng, shuffle } from "../rng.js";
import { makeOptimizer, type OptimizerConfig, type OptimizerState } from "./optimizers.js";
import { makeSchedule, type ScheduleName } from "./schedules.js";

/** What the loop needs from a model: a scalar mean loss and the outputs (both consume their args). */
export interface TrainTask {
  objective: (params: JaxParams, x: JaxArray, y: JaxArray) => JaxArray;
  predict: (params: JaxParams, x: JaxArray) => JaxArray;
  /**
   * per-leaf lr factors for the configured optimizer (`optimizerLrScales(model, name)`): leaf i
   * steps with lr · lrScales[i] (default 1)
   */
  lrScales?: readonly number[];
}

export interface TrainConfig {
  steps: number;
  /** Minibatch size; 0 (default) or ≥ n_train means full-batch gradient descent. */
  batchSize?: number;
  optimizer: OptimizerConfig;
  lr: number;
  schedule?: ScheduleName;
  warmup?: number;
  /** Evaluate on the full train and test sets every this many steps (default 100). */
  evalEvery?: number;
  /** Seed of the data order. */
  seed: number;
  /**
   * Summation order only: when set, the rows of every (mini)batch are shuffled by
   * Rng(rowOrderSeed ⊕ step·φ) before the step, so each step sees the same rows in another order
   * (the twin runs' `order` perturbation). Unset: rows in data order.
   */
  rowOrderSeed?: number;
  dtype: "float32" | "float64";
}

export interface StepRecord {
  step: number;
  lr: number;
  /** Loss of the step's (mini)batch at the parameters before the update. */
  loss: number;
}

export interface EvalRecord {
  /** Number of updates done before this evaluation. */
  step: number;
  trainLoss: number;
  testLoss: number;
  /** Fraction correct (argmax), classification only. */
  trainAccuracy: number | null;
  testAccuracy: number | null;
}

export interface TrainHistory {
  steps: StepRecord[];
  evals: EvalRecord[];
}

/** Everything a run needs to continue: owned by the loop while it runs. */
export interface TrainState {
  params: JaxParams;
  opt: OptimizerState;
  /** Updates completed. */
  step: number;
  history: TrainHistory;
}

export interface TrainHooks {
  /** Called after each update (state.step = updates done); may checkpoint. Must not consume state. */
  afterStep?: (state: TrainState) => void | Promise<void>;
}

/** The data order's position: which epoch and batch step `t` uses (the loop's whole RNG state). */
export function batchPosition(t: number, n: number, batchSize: number) {
  const perEpoch = Math.max(1, Math.floor(n / batchSize));
  return { epoch: Math.floor(t / perEpoch), batch: t % perEpoch };
}

/** The row order of `epoch` (a pure function of seed and epoch). */
export function epochOrder(seed: number, epoch: number, n: number): number[] {
  const rng = new Rng((seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0);
  return shuffle(
    Array.from({ length: n }, (_, i) => i),
    rng,
  );
}

/** Resolved loop settings (InputError naming the field when invalid). */
export function resolveTrainConfig(c: TrainConfig, nTrain: number) {
  const steps = requireInteger("steps", c.steps, 1);
  const batch = requireInteger("batchSize", c.batchSize ?? 0, 0);
  return {
    steps,
    batchSize: batch === 0 || batch >= nTrain ? nTrain : batch,
    evalEvery: requireInteger("evalEvery", c.evalEvery ?? 100, 1),
    seed: requireInteger("seed", c.seed, 0, 2 ** 32 - 1),
    rowOrderSeed:
      c.rowOrderSeed === undefined
        ? undefined
        : requireInteger("rowOrderSeed", c.rowOrderSeed, 0, 2 ** 32 - 1),
    schedule: makeSchedule({ name: c.schedule ?? "constant", lr: c.lr, steps, warmup: c.warmup }),
  };
}

/** A fresh state at step 0 (consumes `params`). */
export function initialState(
  jax: JaxModule,
  params: JaxParams,
  optimizer: OptimizerConfig,
): TrainState {
  const opt = makeOptimizer(jax, optimizer).init(params);
  return { params, opt, step: 0, history: { steps: [], evals: [] } };
}

/**
 * Runs updates state.step … steps − 1 and returns the final state (the input state is consumed).
 * Start from `initialState(...)` or a loaded checkpoint.
 */
export async function train(
  jax: JaxModule,
  task: TrainTask,
  data: TrainingSet,
  config: TrainConfig,
  state: TrainState,
  hooks: TrainHooks = {},
): Promise<TrainState> {
  const np = jax.numpy;
  const cfg = resolveTrainConfig(config, data.train.n);
  const optimizer = makeOptimizer(jax, config.optimizer);
  const dtype = config.dtype === "float64" ? np.float64 : np.float32;
  const { inputDim: d, outputDim: k } = data;
  const toJax = (v: Float64Array, rows: number, cols: number) =>
    np.array(config.dtype === "float64" ? v : Float32Array.from(v), { shape: [rows, cols], dtype });
  const compiled = config.dtype === "float32";
  const lossAndGrad = compiled
    ? jax.jit(jax.valueAndGrad(task.objective))
    : jax.valueAndGrad(task.objective);
  const objective = compiled ? jax.jit(task.objective) : task.objective;
  const predict = compiled ? jax.jit(task.predict) : task.predict;
  const full = {
    train: { x: toJax(data.train.x, data.train.n, d), y: toJax(data.train.y, data.train.n, k) },
    test: { x: toJax(data.test.x, data.test.n, d), y: toJax(data.test.y, data.test.n, k) },
  };
  const fullBatch = cfg.batchSize === data.train.n;

  const evaluate = async (params: JaxParams, split: Split, arr: { x: JaxArray; y: JaxArray }) => {
    const loss = (await readF64(objective(jax.tree.ref(params), arr.x.ref, arr.y.ref)))[0]!;
    if (!split.labels) return { loss, accuracy: null };
    const f = await readF64(predict(jax.tree.ref(params), arr.x.ref));
    let correct = 0;
    for (let i = 0; i < split.n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (f[i * k + c]! > f[i * k + best]!) best = c;
      if (best === split.labels[i]) correct++;
    }
    return { loss, accuracy: correct / split.n };
  };
  const record = async (s: TrainState) => {
    const tr = await evaluate(s.params, data.train, full.train);
    const te = await evaluate(s.params, data.test, full.test);
    s.history.evals.push({
      step: s.step,
      trainLoss: tr.loss,
      testLoss: te.loss,
      trainAccuracy: tr.accuracy,
      testAccuracy: te.accuracy,
    });
  };

  let order: { epoch: number; rows: number[] } | undefined;
  const batchAt = (t: number): [JaxArray, JaxArray] => {
    const rowOrder = cfg.rowOrderSeed;
    if (fullBatch && rowOrder === undefined) return [full.train.x.ref, full.train.y.ref];
    let rows: number[];
    if (fullBatch) rows = Array.from({ length: data.train.n }, (_, i) => i);
    else {
      const pos = batchPosition(t, data.train.n, cfg.batchSize);
      if (order?.epoch !== pos.epoch)
        order = { epoch: pos.epoch, rows: epochOrder(cfg.seed, pos.epoch, data.train.n) };
      rows = order.rows.slice(pos.batch * cfg.batchSize, (pos.batch + 1) * cfg.batchSize);
    }
    if (rowOrder !== undefined)
      rows = shuffle(rows, new Rng((rowOrder ^ Math.imul(t + 1, 0x9e3779b9)) >>> 0));
    const x = new Float64Array(rows.length * d);
    const y = new Float64Array(rows.length * k);
    rows.forEach((r, i) => {
      x.set(data.train.x.subarray(r * d, (r + 1) * d), i * d);
      y.set(data.train.y.subarray(r * k, (r + 1) * k), i * k);
    });
    return [toJax(x, rows.length, d), toJax(y, rows.length, k)];
  };

  try {
    while (state.step < cfg.steps) {
      const t = state.step;
      if (t % cfg.evalEvery === 0) await record(state);
      const [x, y] = batchAt(t);
      const [loss, grads] = lossAndGrad(jax.tree.ref(state.params), x, y) as [JaxArray, JaxParams];
      const lr = cfg.schedule(t);
      const next = optimizer.step(state.params, grads, state.opt, lr, task.lrScales);
      state.history.steps.push({ step: t, lr, loss: (await readF64(loss))[0]! });
      state = { params: next.params, opt: next.state, step: t + 1, history: state.history };
      await hooks.afterStep?.(state);
    }
    const last = state.history.evals[state.history.evals.length - 1];
    if (last?.step !== state.step) await record(state);
    return state;
  } finally {
    optimizer.dispose();
    jax.tree.dispose(full as never);
    if (compiled) {
      (lossAndGrad as unknown as { dispose(): void }).dispose();
      (objective as unknown as { dispose(): void }).dispose();
      (predict as unknown as { dispose(): void }).dispose();
    }
  }
}
