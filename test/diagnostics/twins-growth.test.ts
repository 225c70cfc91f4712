/**
 * The twin divergence rate against the linearised prediction. On a linear model with MSE (a
 * quadratic loss) trained by full-batch GD the twin difference obeys δ_t = (I − ηH)^t δ_0 exactly,
 * so the measured growth of the twins' distance must equal ln max_i |1 − ηλ_i| with λ_i from a
 * dense (Jacobi) eigen-decomposition of the Hessian built explicitly from the data — in the decay
 * (ηλ_max < 2) and the growth (ηλ_max > 2) regime, and for heavy ball with L2 decay. λ_min and
 * λ_max of an indefinite Hessian (Lanczos on HVPs) are checked against the Jacobi spectrum of the
 * dense Hessian; the heavy-ball spectral radius against the closed-form roots and against powers
 * of the 2×2 companion matrix.
 */
import { afterAll, describe, expect, it } from "vitest";
import { trainingSet } from "../../src/data/training.js";
import { hessianOperator, spectrumEnds } from "../../src/diagnostics/hvp.js";
import {
  heavyBallSpectralRadius,
  linearizedGrowthRate,
  maxStableLr,
} from "../../src/diagnostics/stability.js";
import { predictedGrowthRate, twinRuns, windowGrowthRates } from "../../src/diagnostics/twins.js";
import { loadJax, shutdownJax } from "../../src/nets/jax.js";
import { dense } from "../../src/nets/layers/index.js";
import { createModel, mlpModel } from "../../src/nets/model.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { symmetricEigen } from "../../src/theory/eigen.js";

afterAll(shutdownJax);

/**
 * Eigenvalues of the Hessian of L = (1/(2nK)) Σ_{r,k} (w_k·x_r + b_k − y_rk)²: K copies of the
 * spectrum of X̃ᵀX̃/(nK), X̃ = [x_r, 1] (float32-rounded inputs, as the twins see them).
 */
function denseHessianSpectrum(x: Float64Array, n: number, d: number, k: number): number[] {
  const m = d + 1;
  const a = new Float64Array(m * m);
  for (let r = 0; r < n; r++) {
    const row = [...Array.from(x.subarray(r * d, (r + 1) * d), Math.fround), 1];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) a[i * m + j]! += (row[i]! * row[j]!) / (n * k);
  }
  return Array.from(symmetricEigen(a, m).values);
}

/** The larger |z| of z² − cz + β = 0 from the quadratic formula (√β for complex roots). */
function largestRoot(c: number, beta: number): number {
  const disc = c * c - 4 * beta;
  if (disc < 0) return Math.sqrt(beta);
  return Math.max(Math.abs((c + Math.sqrt(disc)) / 2), Math.abs((c - Math.sqrt(disc)) / 2));
}

describe("twin divergence vs the linearised map (quadratic loss, full-batch GD)", () => {
  const data = trainingSet("iris", { seed: 0 });
  const k = data.outputDim;
  const linearModel = createModel(
    { inputWidth: data.inputDim, blocks: [dense(k, 1, 1)] },
    { loss: "mse" },
  );
  const eig = denseHessianSpectrum(data.train.x, data.train.n, data.inputDim, k);
  const lambdaMax = eig[0]!;
  const lambdaMin = eig.at(-1)!;
  /** ln max_i ρ_i, ρ_i the larger |root| of z² − (1 + β − η(λ_i + wd))z + β (β = 0: |1 − ηλ_i|) */
  const exact = (lr: number, beta: number, wd: number) =>
    Math.log(Math.max(...eig.map((l) => largestRoot(1 + beta - lr * (l + wd), beta))));

  it.each([
    ["GD, decay", 1.5, { name: "sgd" as const }],
    ["GD, growth", 2.3, { name: "sgd" as const }],
    [
      "heavy ball β = 0.5 with L2 decay, growth",
      3.3,
      { name: "momentum" as const, momentum: 0.5, weightDecay: 0.01, wdMode: "l2" as const },
    ],
  ])(
    "%s (ηλ_max = %s): measured rate = the exact ln ρ within 2 %%",
    async (_, etaLambda, optimizer) => {
      const beta = optimizer.name === "momentum" ? optimizer.momentum : 0;
      const wd = optimizer.name === "momentum" ? optimizer.weightDecay : 0;
      const lr = etaLambda / lambdaMax;
      const rate = exact(lr, beta, wd);
      // long enough to leave the transient, short enough to stay clear of the float32 floor
      // (decay from ‖δ₀‖ ~ 1 to ~1e-4) and of overflow (growth by ~e^25)
      const steps = Math.round((rate < 0 ? 9 : 25) / Math.abs(rate));
      const half = Math.round(steps / 2);
      const config = {
        model: await linearModel,
        data,
        steps,
        batchSize: 0,
        lr,
        every: Math.max(1, Math.floor(steps / 40)),
        spectrumEvery: half,
        optimizer,
      };
      // full batch: the seed twin differs only by its initialization, δ₀ of order 1
      const [ulp, seed] = await twinRuns(config, ["ulp", "seed"], 1, { ulpIndex: 2 });
      // the prediction from Lanczos on HVPs against the dense eigenvalues
      expect(ulp!.spectrum.step).toEqual([0, half]);
      for (const i of [0, 1]) {
        expect(ulp!.spectrum.lambdaMax[i]!).toBeCloseTo(lambdaMax + wd, 4);
        expect(ulp!.spectrum.lambdaMin[i]!).toBeCloseTo(lambdaMin + wd, 4);
        expect(Math.abs(ulp!.predictedGrowth[i]! / rate - 1)).toBeLessThan(1e-3);
      }
      expect(seed!.predictedGrowth).toEqual([null, null]);
      // measured: the fit over the second window, past the transient of the faster modes
      const [, late] = windowGrowthRates(seed!.step, seed!.distance, seed!.spectrum.step);
      expect(Math.abs(late! / rate - 1)).toBeLessThan(0.02);
    },
    60_000,
  );
});

describe("spectrumEnds", () => {
  it("λ_min and λ_max of an indefinite Hessian (tanh MLP, float32) = ends of the dense Jacobi spectrum to 1e-6", async () => {
    const jax = await loadJax();
    const model = await mlpModel({
      inputDim: 3,
      width: 4,
      depth: 2,
      outputDim: 2,
      activation: activation("tanh"),
      sigmaW2: 2,
      sigmaB2: 0.1,
      loss: "mse",
    });
    const rng = new Rng(4);
    const f32 = (v: Float64Array, shape: number[]) =>
      jax.numpy.array(Float32Array.from(v), { shape, dtype: jax.numpy.float32 });
    const batch = { x: f32(rng.normals(30), [10, 3]), y: f32(rng.normals(20), [10, 2]) };
    const params = model.init(2);
    const op = await hessianOperator(model, params, batch);
    const n = op.size;
    const dense = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      dense.set(await op.apply(e), j * n);
    }
    // symmetrized: float32 HVPs are symmetric to rounding only
    for (let i = 0; i < n; i++)
      for (let j = 0; j < i; j++)
        dense[i * n + j] = dense[j * n + i] = (dense[i * n + j]! + dense[j * n + i]!) / 2;
    const eig = symmetricEigen(dense, n).values;
    expect(eig.at(-1)!).toBeLessThan(0);
    const ends = await spectrumEnds(op, { tol: 1e-5, maxIter: n });
    const scale = eig[0]! - eig.at(-1)!;
    expect(Math.abs(ends.lambdaMax - eig[0]!) / scale).toBeLessThan(1e-6);
    expect(Math.abs(ends.lambdaMin - eig.at(-1)!) / scale).toBeLessThan(1e-6);
    op.dispose();
    jax.tree.dispose([params, batch] as never);
  });
});

describe("the linearised maps", () => {
  it("GD: ρ = |1 − η(λ + wd)|; the rate is positive exactly past the 2/η bound", () => {
    expect(heavyBallSpectralRadius(3, 0.5)).toBeCloseTo(0.5, 15);
    expect(heavyBallSpectralRadius(3, 0.5, { weightDecay: 1 })).toBeCloseTo(1, 15);
    expect(linearizedGrowthRate(0.1, 3, 0.5)).toBeCloseTo(Math.log(0.95), 15);
    expect(linearizedGrowthRate(0.1, 5, 0.5)).toBeCloseTo(Math.log(1.5), 15);
    // a negative eigenvalue grows for any η
    expect(linearizedGrowthRate(-0.2, 1, 0.1)).toBeCloseTo(Math.log(1.02), 15);
    for (const momentum of [0, 0.5, 0.9]) {
      const lr = maxStableLr(4, { momentum, weightDecay: 0.5 });
      const at = (f: number) => linearizedGrowthRate(0, 4, f * lr, { momentum, weightDecay: 0.5 });
      expect(Math.abs(at(1))).toBeLessThan(1e-12);
      expect(at(0.99)).toBeLessThan(0);
      expect(at(1.01)).toBeGreaterThan(0);
    }
  });

  it("heavy ball: ρ = the larger |root| of z² − (1 + β − ηλ)z + β = ‖M^t‖^{1/t} of the companion matrix", () => {
    /** ‖M^t v‖^{1/t} for M = [[c, −β], [1, 0]], t = 4000, renormalized each step */
    const powerRate = (c: number, beta: number) => {
      let v = [1, 0.3];
      let logNorm = 0;
      const t = 4000;
      for (let s = 0; s < t; s++) {
        v = [c * v[0]! - beta * v[1]!, v[0]!];
        const n = Math.hypot(v[0]!, v[1]!);
        logNorm += Math.log(n);
        v = [v[0]! / n, v[1]! / n];
      }
      return Math.exp(logNorm / t);
    };
    for (const [lambda, lr, beta] of [
      [1, 0.1, 0.9], // complex roots: ρ = √β
      [10, 0.05, 0.5], // 1 + β − ηλ = 1: complex, √0.5
      [3, 0.9, 0.5], // c = −1.2: complex, √0.5
      [4, 0.9, 0.5], // c = −2.1: unstable
      [0.01, 0.1, 0.9], // c = 1.899: real, slow mode
    ] as const) {
      const c = 1 + beta - lr * lambda;
      const rho = heavyBallSpectralRadius(lambda, lr, { momentum: beta });
      expect(rho).toBeCloseTo(largestRoot(c, beta), 14);
      // a Jordan-free 2×2 map's ‖M^t v‖^{1/t} → ρ with error O(1/t)
      expect(Math.abs(powerRate(c, beta) / rho - 1)).toBeLessThan(2e-3);
    }
  });

  it("predictedGrowthRate maps the optimizer: dampening scales η; adam, Nesterov, decoupled momentum decay → null", () => {
    expect(predictedGrowthRate(0.1, 3, 0.5)).toBeCloseTo(Math.log(0.95), 15);
    expect(
      predictedGrowthRate(0.1, 3, 0.5, { name: "momentum", momentum: 0.5, dampening: 0.5 }),
    ).toBeCloseTo(linearizedGrowthRate(0.1, 3, 0.25, { momentum: 0.5 }), 15);
    expect(predictedGrowthRate(0.1, 3, 0.5, { name: "adam" })).toBeNull();
    expect(predictedGrowthRate(0.1, 3, 0.5, { name: "momentum", nesterov: true })).toBeNull();
    expect(predictedGrowthRate(0.1, 3, 0.5, { name: "momentum", weightDecay: 0.1 })).toBeNull();
    expect(
      predictedGrowthRate(0.1, 3, 0.5, { name: "momentum", weightDecay: 0.1, wdMode: "l2" }),
    ).toBeCloseTo(linearizedGrowthRate(0.1, 3, 0.5, { momentum: 0.9 }), 15);
    expect(predictedGrowthRate(Number.NaN, 3, 0.5)).toBeNull();
    expect(() => linearizedGrowthRate(2, 1, 0.5)).toThrow(/lambdaMin/);
    expect(() => heavyBallSpectralRadius(1, 0.1, { momentum: 1 })).toThrow(/momentum/);
  });

  it("windowGrowthRates fits each window's compared steps (both ends included)", () => {
    const step = [0, 10, 20, 30, 40];
    const d = [1, Math.exp(-1), Math.exp(-2), Math.exp(0), Math.exp(2)];
    const [a, b] = windowGrowthRates(step, d, [0, 20]);
    expect(a).toBeCloseTo(-0.1, 12);
    expect(b).toBeCloseTo(0.2, 12);
    expect(windowGrowthRates(step, d, [0, 40])[1]).toBeNull();
  });
});
