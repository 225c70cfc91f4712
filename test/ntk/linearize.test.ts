/**
 * The linearized model in float64 (relu net: exact float64 on Wasm): exactly affine in θ, equal
 * to f at θ0, and within O(ε²) of f at θ0 + ε δ (the gap shrinks 4× when ε halves).
 */
import { afterAll, describe, expect, it } from "vitest";
import { linearizedModel } from "../../src/diagnostics/linearize.js";
import { type JaxArray, loadJax, shutdownJax } from "../../src/nets/jax.js";
import type { JaxParams } from "../../src/nets/layers/index.js";
import { mlpModel } from "../../src/nets/model.js";
import { activation } from "../../src/theory/activations.js";

afterAll(shutdownJax);

describe("linearized model", () => {
  it("is affine in θ, equals f at θ0, and differs from f by O(ε²)", async () => {
    const jax = await loadJax();
    const np = jax.numpy;
    const model = await mlpModel({
      inputDim: 3,
      width: 8,
      depth: 2,
      outputDim: 2,
      activation: activation("tanh"),
      sigmaW2: 1.5,
      sigmaB2: 0.1,
      loss: "mse",
      dtype: "float64",
      parametrization: "ntk",
    });
    const p0 = model.init(1);
    const dir = model.init(2);
    const lin = await linearizedModel(model, p0);
    const x = np.array(Float64Array.from([0.5, -1.2, 0.3, 1.1, 0.4, -0.7]), {
      shape: [2, 3],
      dtype: np.float64,
    });
    const at = (eps: number): JaxParams =>
      jax.tree.map(
        ((a: JaxArray, d: JaxArray) => a.ref.add(d.ref.mul(eps))) as never,
        p0 as never,
        dir as never,
      ) as never;
    const read = async (a: JaxArray) => Float64Array.from(await a.data());
    const f = async (m: typeof model, eps: number) => read(m.apply(at(eps), x.ref));
    const l0 = await f(lin, 0);
    const f0 = await f(model, 0);
    const l1 = await f(lin, 0.01);
    const l2 = await f(lin, 0.02);
    const gap = async (eps: number) => {
      const a = await f(lin, eps);
      const b = await f(model, eps);
      return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    };
    for (let i = 0; i < 4; i++) {
      expect(Math.abs(l0[i]! - f0[i]!)).toBeLessThan(1e-6);
      expect(Math.abs(l2[i]! - l0[i]! - 2 * (l1[i]! - l0[i]!))).toBeLessThan(1e-12);
    }
    const [g1, g2] = [await gap(0.02), await gap(0.01)];
    expect(g1 / g2).toBeGreaterThan(3);
    expect(g1 / g2).toBeLessThan(5);
  });
});
