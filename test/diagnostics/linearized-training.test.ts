/**
 * Linearized vs real training, each property against an independent reference:
 * - GD on the linearized model follows the closed-form kernel recursion on the empirical NTK,
 *   f_t = f_0 − (I − (I − ηΘ/(nK))^t)(f_0 − y) on the training inputs (critkit's mse is
 *   L = (1/(nK)) Σ ½ (f − y)², so ∇_θ L = Jᵀ(f − y)/(nK));
 * - at θ0 the two models have the same outputs and the same loss gradient;
 * - the function-space gap after training shrinks with width (the linear regime).
 */
import { afterAll, describe, expect, it } from "vitest";
import { type TrainingSet, trainingSet } from "../../src/data/training.js";
import { linearizedModel } from "../../src/diagnostics/linearize.js";
import {
  kernelTargetAlignment,
  trainSideBySide,
} from "../../src/diagnostics/linearized-training.js";
import { empiricalNtk } from "../../src/diagnostics/ntk.js";
import { type JaxArray, loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import { type Model, mlpModel, valueAndGrad } from "../../src/nets/model.js";
import { activation } from "../../src/theory/activations.js";

afterAll(shutdownJax);

const data: TrainingSet = trainingSet("teacher_regression", {
  seed: 3,
  n: 15,
  inputDim: 3,
  outputs: 2,
  testFraction: 0.2,
});

const mlp = (width: number) =>
  mlpModel({
    inputDim: data.inputDim,
    width,
    depth: 2,
    outputDim: data.outputDim,
    activation: activation("tanh"),
    sigmaW2: 1.5,
    sigmaB2: 0.1,
    loss: "mse",
    parametrization: "ntk",
  });

async function trainInputs() {
  const np = (await loadJax()).numpy;
  return {
    x: np.array(Float32Array.from(data.train.x), { shape: [data.train.n, data.inputDim] }),
    y: np.array(Float32Array.from(data.train.y), { shape: [data.train.n, data.outputDim] }),
  };
}

describe("kernel–target alignment", () => {
  it("is 1 for Θ = c·y yᵀ, −1 for −y yᵀ and 1/√m for the identity", () => {
    const y = [1, -2, 0.5, 3];
    const m = y.length;
    const outer = (c: number) =>
      Float64Array.from({ length: m * m }, (_, k) => c * y[Math.floor(k / m)]! * y[k % m]!);
    const identity = Float64Array.from({ length: m * m }, (_, k) => (k % (m + 1) === 0 ? 1 : 0));
    expect(kernelTargetAlignment(outer(3.5), y)).toBeCloseTo(1, 14);
    expect(kernelTargetAlignment(outer(-1), y)).toBeCloseTo(-1, 14);
    expect(kernelTargetAlignment(identity, y)).toBeCloseTo(1 / Math.sqrt(m), 14);
  });
});

describe("linearized vs real training", () => {
  /** Max relative deviation of GD on f_lin from the float64 kernel recursion on the train inputs. */
  async function closedFormGap(model: Model, steps: number) {
    const np = (await loadJax()).numpy;
    const [seed, lr] = [4, 0.5];
    const r = await trainSideBySide(model, data, { steps, lr, every: 10, seed, kernelSamples: 2 });
    const host = model.dtype === "float64" ? data.train.x : Float32Array.from(data.train.x);
    const x = np.array(host, { shape: [data.train.n, data.inputDim], dtype: np[model.dtype] });
    const theta0 = model.init(seed);
    const ntk = (await empiricalNtk(model, theta0, x)).perOutput;
    const f0 = await readF64(model.apply(theta0, x));
    const m = data.train.n * data.outputDim;
    const c = lr / m;
    // residual r_s = f_s − y, r_{s+1} = (I − cΘ) r_s, iterated in float64
    let res = f0.map((v, i) => v - data.train.y[i]!);
    const losses = [res.reduce((s, v) => s + 0.5 * v * v, 0) / m];
    for (let s = 1; s <= steps; s++) {
      res = res.map((v, i) => {
        let t = 0;
        for (let j = 0; j < m; j++) t += ntk[i * m + j]! * res[j]!;
        return v - c * t;
      });
      if (s % 10 === 0) losses.push(res.reduce((a, v) => a + 0.5 * v * v, 0) / m);
    }
    const expected = res.map((v, i) => v + data.train.y[i]!);
    const scale = Math.sqrt(expected.reduce((s, v) => s + v * v, 0) / m);
    // the training moved the outputs far more than the tolerances below
    const moved = Math.sqrt(expected.reduce((s, v, i) => s + (v - f0[i]!) ** 2, 0) / m);
    expect(moved / scale).toBeGreaterThan(0.05);
    expect(r.records.map((e) => e.step)).toEqual(losses.map((_, i) => 10 * i));
    return Math.max(
      ...Array.from(r.final.linear.train, (v, i) => Math.abs(v - expected[i]!) / scale),
      ...r.records.map((e, i) => Math.abs(e.linearTrainLoss - losses[i]!) / losses[i]!),
    );
  }

  it("GD on the linearized model = the closed-form recursion (I − ηΘ/(nK))^t on the empirical NTK", async () => {
    expect(await closedFormGap(await mlp(32), 30)).toBeLessThan(1e-4);
  });

  it("the same in float64 (relu: exact float64 on Wasm) to 1e-10", async () => {
    const model = await mlpModel({
      inputDim: data.inputDim,
      width: 16,
      depth: 2,
      outputDim: data.outputDim,
      activation: activation("relu"),
      sigmaW2: 2,
      sigmaB2: 0.1,
      loss: "mse",
      parametrization: "ntk",
      dtype: "float64",
    });
    expect(await closedFormGap(model, 20)).toBeLessThan(1e-10);
  });

  it("at θ0 the real and linearized outputs and loss gradients coincide", async () => {
    const jax = await loadJax();
    const model = await mlp(24);
    const theta0 = model.init(7);
    const lin = await linearizedModel(model, theta0);
    const { x, y } = await trainInputs();
    const [lossReal, gReal] = valueAndGrad(model)(theta0, x, y);
    const [lossLin, gLin] = valueAndGrad(lin)(theta0, x, y);
    expect(await readF64(lossLin)).toEqual(await readF64(lossReal));
    const leaves = (g: unknown) => jax.tree.leaves(g as never) as unknown as JaxArray[];
    const a = await Promise.all(leaves(gReal).map(readF64));
    const b = await Promise.all(leaves(gLin).map(readF64));
    expect(b.length).toBe(a.length);
    a.forEach((leaf, l) => {
      const scale = Math.max(...leaf.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      leaf.forEach((v, i) => {
        expect(Math.abs(b[l]![i]! - v) / scale).toBeLessThan(1e-5);
      });
    });
    const r = await trainSideBySide(model, data, {
      steps: 1,
      lr: 0.5,
      every: 1,
      seed: 7,
      kernelSamples: 1,
    });
    const first = r.records[0]!;
    expect(first.functionDistance).toBe(0);
    expect(first.linearTrainLoss).toBe(first.realTrainLoss);
    expect(first.linearTestLoss).toBe(first.realTestLoss);
    expect([first.paramDistance, first.linearParamDistance, first.kernelChange]).toEqual([0, 0, 0]);
    jax.tree.dispose([theta0, x, y] as never);
  });

  it("after training the function gap, kernel change and parameter distance are smaller at width 512 than at 16", async () => {
    const gaps = async (width: number) => {
      const model = await mlp(width);
      const sum = { f: 0, kernel: 0, theta: 0 };
      for (const seed of [1, 2, 3]) {
        const r = await trainSideBySide(model, data, {
          steps: 40,
          lr: 1,
          every: 40,
          seed,
          kernelSamples: 2,
        });
        const last = r.records.at(-1)!;
        sum.f += last.functionDistance / 3;
        sum.kernel += last.kernelChange / 3;
        sum.theta += last.paramDistance / 3;
      }
      return sum;
    };
    const [narrow, wide] = [await gaps(16), await gaps(512)];
    // 1/√N predicts a ratio of √32 ≈ 5.7 (1/N for the parameters: 32); ask for 2
    expect(wide.f).toBeLessThan(narrow.f / 2);
    expect(wide.kernel).toBeLessThan(narrow.kernel / 2);
    expect(wide.theta).toBeLessThan(narrow.theta / 2);
  });
});
