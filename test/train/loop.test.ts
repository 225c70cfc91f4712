import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainingSet } from "../../src/data/training.js";
import type { JaxArray } from "../../src/nets/jax.js";
import { type JaxModule, loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import {
  batchPosition,
  epochOrder,
  initialState,
  type TrainConfig,
  train,
} from "../../src/train/loop.js";
import { tinyParams, tinyTask } from "./helpers.js";

let jax: JaxModule;
beforeAll(async () => {
  jax = await loadJax();
});
afterAll(shutdownJax);

/** Solves the normal equations (AᵀA) β = Aᵀb by Gaussian elimination with partial pivoting. */
function normalEquations(A: Float64Array, b: Float64Array, n: number, p: number): Float64Array {
  const M = new Float64Array(p * (p + 1));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += A[r * p + i]! * A[r * p + j]!;
      M[i * (p + 1) + j] = s;
    }
    let s = 0;
    for (let r = 0; r < n; r++) s += A[r * p + i]! * b[r]!;
    M[i * (p + 1) + p] = s;
  }
  const w = p + 1;
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++)
      if (Math.abs(M[r * w + c]!) > Math.abs(M[piv * w + c]!)) piv = r;
    for (let j = 0; j < w; j++) [M[c * w + j], M[piv * w + j]] = [M[piv * w + j]!, M[c * w + j]!];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = M[r * w + c]! / M[c * w + c]!;
      for (let j = c; j < w; j++) M[r * w + j]! -= f * M[c * w + j]!;
    }
  }
  return Float64Array.from({ length: p }, (_, i) => M[i * w + p]! / M[i * w + i]!);
}

describe("training loop", () => {
  it("full-batch GD on linear regression reaches the normal-equations optimum (float64)", async () => {
    const data = trainingSet("teacher_regression", { seed: 3, n: 120, inputDim: 5, noise: 0.3 });
    const d = data.inputDim;
    const state = await train(
      jax,
      tinyTask(jax, "mse"),
      data,
      { steps: 60, optimizer: { name: "sgd" }, lr: 0.9, seed: 0, dtype: "float64", evalEvery: 20 },
      initialState(jax, tinyParams(jax, 1, [d, 1], "float64"), { name: "sgd" }),
    );
    const [W, b] = state.params as JaxArray[];
    const got = [...(await readF64(W!)), ...(await readF64(b!))];
    // Design [x, 1] of the training rows.
    const n = data.train.n;
    const A = new Float64Array(n * (d + 1));
    for (let r = 0; r < n; r++) {
      A.set(data.train.x.subarray(r * d, (r + 1) * d), r * (d + 1));
      A[r * (d + 1) + d] = 1;
    }
    const beta = normalEquations(A, data.train.y, n, d + 1);
    for (let i = 0; i <= d; i++) expect(Math.abs(got[i]! - beta[i]!)).toBeLessThan(1e-10);
    // The final loss is the least-squares residual ½ mean r², and the curve is monotone.
    const losses = state.history.steps.map((s) => s.loss);
    for (let t = 1; t < losses.length; t++)
      expect(losses[t]!).toBeLessThanOrEqual(losses[t - 1]! + 1e-15);
    expect(state.history.evals.map((e) => e.step)).toEqual([0, 20, 40, 60]);
  });

  it("minibatch SGD: the same seed gives bit-identical metrics, another seed differs", async () => {
    const data = trainingSet("teacher_classification", {
      seed: 5,
      n: 150,
      inputDim: 6,
      outputs: 3,
    });
    const run = async (seed: number) => {
      const cfg: TrainConfig = {
        steps: 20,
        batchSize: 16,
        optimizer: { name: "adam", weightDecay: 1e-3 },
        lr: 0.03,
        schedule: "cosine",
        warmup: 5,
        evalEvery: 10,
        seed,
        dtype: "float32",
      };
      const s = await train(
        jax,
        tinyTask(jax, "ce"),
        data,
        cfg,
        initialState(jax, tinyParams(jax, 2, [6, 16, 3], "float32"), cfg.optimizer),
      );
      jax.tree.dispose([s.params, s.opt.slots] as never);
      return s.history;
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(b).toEqual(a);
    expect(c.steps.map((s) => s.loss)).not.toEqual(a.steps.map((s) => s.loss));
    expect(a.steps).toHaveLength(20);
    expect(a.evals.map((e) => e.step)).toEqual([0, 10, 20]);
    // Learning happened: test accuracy above chance (1/3) by the end.
    expect(a.evals[2]!.testAccuracy!).toBeGreaterThan(0.5);
    expect(a.evals[2]!.trainLoss).toBeLessThan(a.evals[0]!.trainLoss);
  });

  it("data order: every epoch is a permutation, a pure function of (seed, epoch)", () => {
    const n = 37;
    const o = epochOrder(4, 2, n);
    expect([...o].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(epochOrder(4, 2, n)).toEqual(o);
    expect(epochOrder(4, 3, n)).not.toEqual(o);
    // 37 rows, batch 8: 4 full batches per epoch, the 5 leftover rows are dropped.
    expect(batchPosition(9, n, 8)).toEqual({ epoch: 2, batch: 1 });
  });
});
