/**
 * Plain gradient descent (a loop here, no training engine) on convex least-squares problems
 * reaches the optimum the normal equations give in plain JS (src/convex/linalg.ts Cholesky):
 *  - a two-layer linear network x ↦ W₂(W₁x + b₁) + b₂ trained in all parameters (its function
 *    class is the affine maps; the landscape has no spurious minima for width ≥ outputs),
 *  - a two-layer ReLU network with its first layer frozen (random features: a convex quadratic
 *    in the readout).
 */
import { afterAll, describe, expect, it } from "vitest";
import { cholesky, cholSolve, gram, matrix } from "../../src/convex/linalg.js";
import { type JaxArray, loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import type { HostParams, JaxParams } from "../../src/nets/layers/index.js";
import { mlpModel, valueAndGrad } from "../../src/nets/model.js";
import { sampleParams } from "../../src/nets/network.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";

afterAll(shutdownJax);

const [n, d, K] = [48, 3, 2];
const rng = new Rng(21);
const X = rng.normals(n * d);
const A = rng.normals(K * d);
const Y = new Float64Array(n * K);
for (let i = 0; i < n; i++)
  for (let k = 0; k < K; k++) {
    let s = 0.3 * (k + 1) + 0.5 * rng.normals(1)[0]!;
    for (let j = 0; j < d; j++) s += A[k * d + j]! * X[i * d + j]!;
    Y[i * K + k] = s;
  }

/** min over Θ of (1/(n·K)) Σ ½ (F Θ − Y)² with features F [n, p] (a column of ones included). */
function leastSquaresLoss(F: Float64Array, p: number): number {
  const L = cholesky(gram(matrix(n, p, F)));
  let loss = 0;
  for (let k = 0; k < K; k++) {
    const rhs = new Float64Array(p);
    for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) rhs[a] += F[i * p + a]! * Y[i * K + k]!;
    const theta = cholSolve(L, rhs);
    for (let i = 0; i < n; i++) {
      let f = 0;
      for (let a = 0; a < p; a++) f += F[i * p + a]! * theta[a]!;
      loss += (f - Y[i * K + k]!) ** 2 / 2;
    }
  }
  return loss / (n * K);
}

/** Largest eigenvalue of the loss Hessian FᵀF/(n·K) in the readout (power iteration). */
function hessianMax(F: Float64Array, p: number): number {
  const G = gram(matrix(n, p, F)).data;
  let v = new Float64Array(p).fill(1);
  let lambda = 0;
  for (let it = 0; it < 200; it++) {
    const w = new Float64Array(p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) w[a] += G[a * p + b]! * v[b]!;
    lambda = Math.hypot(...w);
    v = w.map((u) => u / lambda);
  }
  return lambda / (n * K);
}

/** `steps` GD steps θ ← θ − lr ∇L on the layers where `trainable`; returns the final loss. */
async function descend(
  model: Awaited<ReturnType<typeof mlpModel>>,
  params: JaxParams[],
  lr: number,
  steps: number,
  trainable: (layer: number) => boolean,
): Promise<number> {
  const jax = await loadJax();
  const x = jax.numpy.array(Float32Array.from(X), { shape: [n, d] });
  const y = jax.numpy.array(Float32Array.from(Y), { shape: [n, K] });
  const lossAndGrad = valueAndGrad(model);
  // frozen layers step with rate 0 (one compiled update for the whole tree)
  const update = jax.jit((p: JaxParams[], g: JaxParams[]) =>
    p.map((pl, l) =>
      jax.tree.map(
        (a: JaxArray, b: JaxArray) => a.sub(b.mul(trainable(l) ? lr : 0)),
        pl as never,
        g[l] as never,
      ),
    ),
  );
  for (let t = 0; t < steps; t++) {
    const [value, grad] = lossAndGrad(params, x, y);
    value.dispose();
    params = update(params as never, grad as never) as unknown as JaxParams[];
  }
  const [value, grad] = lossAndGrad(params, x, y);
  jax.tree.dispose([grad, params, x, y] as never);
  update.dispose();
  return (await readF64(value))[0]!;
}

describe("gradient descent reaches the least-squares optimum", () => {
  it("two-layer linear network, all parameters", async () => {
    const model = await mlpModel({
      inputDim: d,
      width: 4,
      depth: 1,
      outputDim: K,
      activation: activation("linear"),
      sigmaW2: 1,
      sigmaB2: 0.1,
      loss: "mse",
    });
    const F = new Float64Array(n * (d + 1));
    for (let i = 0; i < n; i++) {
      F.set(X.subarray(i * d, (i + 1) * d), i * (d + 1));
      F[i * (d + 1) + d] = 1;
    }
    const best = leastSquaresLoss(F, d + 1);
    const loss = await descend(model, model.init(0) as JaxParams[], 0.3, 300, () => true);
    expect(loss).toBeGreaterThanOrEqual(best * (1 - 1e-5));
    expect((loss - best) / best).toBeLessThan(1e-4);
  });

  it("two-layer ReLU network, readout only (random features)", async () => {
    const width = 4; // κ(FᵀF) ≈ 24 for these features: 200 steps shrink the excess by ~1e-8
    const model = await mlpModel({
      inputDim: d,
      width,
      depth: 1,
      outputDim: K,
      activation: activation("relu"),
      sigmaW2: 2,
      sigmaB2: 1,
      loss: "mse",
    });
    // the frozen features relu(W₁x + b₁) in plain JS from the same host parameters
    const [embed] = sampleParams(model.architecture, 0) as HostParams[];
    const { w, b } = embed as unknown as { w: { data: Float64Array }; b: { data: Float64Array } };
    const F = new Float64Array(n * (width + 1));
    for (let i = 0; i < n; i++) {
      for (let u = 0; u < width; u++) {
        let s = b.data[u]!;
        for (let j = 0; j < d; j++) s += w.data[u * d + j]! * X[i * d + j]!;
        F[i * (width + 1) + u] = Math.max(0, s);
      }
      F[i * (width + 1) + width] = 1;
    }
    const best = leastSquaresLoss(F, width + 1);
    // rate 1/λ_max of the (quadratic) loss in the readout: linear convergence at rate 1 − 1/κ
    const lr = 1 / hessianMax(F, width + 1);
    const loss = await descend(model, model.init(0) as JaxParams[], lr, 200, (l) => l === 1);
    expect(loss).toBeGreaterThanOrEqual(best * (1 - 1e-5));
    expect((loss - best) / best).toBeLessThan(1e-4);
  });
});
