/**
 * The coordinate-check MLP (plain Float64Array, hand-written backprop) against the project's
 * trainable MLP (src/nets/model.ts `mlpModel`, jax-js autodiff, float64): with the same stored
 * weights and zero biases, SP is `parametrization: "standard"` and NTK (σ_w² = 1, where the
 * two place σ_w the same) is `parametrization: "ntk"`: equal loss and equal ∂L/∂ω.
 */
import { afterAll, describe, expect, it } from "vitest";
import { coordBatch, coordLossGrad, initCoordMlp } from "../../src/diagnostics/coord-check.js";
import { loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import type { HostParams, HostTensor, JaxParams } from "../../src/nets/layers/index.js";
import { mlpModel, valueAndGrad } from "../../src/nets/model.js";
import { paramsToJax, sampleParams } from "../../src/nets/network.js";
import { PARAMETRIZATIONS } from "../../src/nets/parametrizations.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { f64 } from "./gradient-check.js";

afterAll(shutdownJax);

/** The `w` tensors of a parameter tree, in layer order. */
function weights(p: HostParams, out: HostTensor[] = []): HostTensor[] {
  if (Array.isArray(p)) for (const q of p) weights(q, out);
  else if (!("data" in p)) {
    for (const [k, q] of Object.entries(p)) {
      if (k === "w") out.push(q as HostTensor);
      else weights(q as HostParams, out);
    }
  }
  return out;
}

/** The gradient leaves named `w`, in layer order (same walk as `weights`). */
function weightGrads(g: JaxParams, out: JaxParams[] = []): JaxParams[] {
  if (Array.isArray(g)) for (const q of g) weightGrads(q, out);
  else if (!("shape" in (g as object)))
    for (const [k, q] of Object.entries(g as Record<string, JaxParams>)) {
      if (k === "w") out.push(q);
      else weightGrads(q, out);
    }
  return out;
}

describe("coord-check MLP = mlpModel (jax-js autodiff)", () => {
  const cases = [
    { name: "sp", model: "standard", sigmaW2: 1.7 },
    { name: "ntk", model: "ntk", sigmaW2: 1 },
  ] as const;
  for (const c of cases)
    it(`${c.name} = mlpModel parametrization "${c.model}": loss and ∂L/∂ω`, async () => {
      const jax = await loadJax();
      const tanh = activation("tanh");
      const [B, d, n, depth, K] = [5, 3, 7, 3, 2];
      const shape = {
        inputDim: d,
        width: n,
        depth,
        outputDim: K,
        activation: tanh,
        sigmaW2: c.sigmaW2,
      };
      const model = await mlpModel({
        ...shape,
        sigmaB2: 0,
        loss: "mse",
        parametrization: c.model,
        dtype: "float64",
      });
      const host = sampleParams(model.architecture, 5);
      const ws = weights(host);
      const layers = initCoordMlp({ ...shape, param: PARAMETRIZATIONS[c.name] }, new Rng(1));
      expect(ws.map((w) => w.shape)).toEqual(layers.map((l) => [l.fanOut, l.fanIn]));
      for (const [i, l] of layers.entries()) l.omega.set(ws[i]!.data);
      const { x, y } = coordBatch(2, B, d, K);
      const mine = coordLossGrad(layers, tanh, x, y, B);
      const params = paramsToJax(jax, host, "float64");
      const xs = f64(jax, x, [B, d]);
      const ys = f64(jax, y, [B, K]);
      const [loss, grads] = valueAndGrad(model)(params, xs, ys);
      expect((await readF64(loss))[0]).toBeCloseTo(mine.loss, 13);
      const gs = weightGrads(grads);
      expect(gs).toHaveLength(layers.length);
      for (const [i, g] of gs.entries()) {
        const ref = await readF64(g as never);
        const scale = Math.max(...ref.map(Math.abs));
        expect(scale).toBeGreaterThan(1e-6);
        const err = Math.max(...ref.map((v, j) => Math.abs(v - mine.grads[i]![j]!)));
        expect(err).toBeLessThan(1e-12 * scale);
      }
      // readF64 consumed the gradients
      jax.tree.dispose([params, xs, ys] as never);
    });
});
