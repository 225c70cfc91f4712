/**
 * Empirical NTK (reverse mode, one vjp per output row) against an explicit Jacobian built
 * column by column in forward mode (jax.jvp with one-hot parameter tangents) on a tiny ReLU net in
 * float64 (ReLU, dense and MSE are exact float64 on Wasm), and its convergence to the
 * infinite-width NTK.
 */
import { afterAll, describe, expect, it } from "vitest";
import { empiricalNtk, jacobianNtk, structuredNtk } from "../../src/diagnostics/ntk.js";
import { type JaxArray, loadJax, shutdownJax } from "../../src/nets/jax.js";
import type { JaxParams } from "../../src/nets/layers/index.js";
import { mlpModel } from "../../src/nets/model.js";
import { activation } from "../../src/theory/activations.js";
import { kernelGrams } from "../../src/theory/kernel-gram.js";

afterAll(shutdownJax);

const X = [
  [0.5, -1.2, 0.3],
  [1.1, 0.4, -0.7],
  [-0.6, 0.9, 1.5],
];

describe("empirical NTK", () => {
  it("structured per-layer products = J Jᵀ of the Jacobian rows (float64; standard and NTK, tanh and relu, 3 outputs); other architectures fall back", async () => {
    const jax = await loadJax();
    const np = jax.numpy;
    const x = np.array(Float64Array.from([...X.flat(), 0.2, 0.1, -0.3]), {
      shape: [4, 3],
      dtype: np.float64,
    });
    for (const [phi, parametrization] of [
      ["tanh", "standard"],
      ["relu", "ntk"],
      ["erf", "standard"],
    ] as const) {
      const model = await mlpModel({
        inputDim: 3,
        width: 5,
        depth: 3,
        outputDim: 3,
        activation: activation(phi),
        sigmaW2: 1.6,
        sigmaB2: 0.2,
        loss: "mse",
        dtype: "float64",
        parametrization,
      });
      const params = model.init(4);
      const fast = await structuredNtk(model, params, x);
      const ref = await jacobianNtk(model, params, x);
      expect(fast).not.toBeNull();
      let scale = 0;
      for (let i = 0; i < ref.perOutput.length; i++) {
        scale = Math.max(scale, Math.abs(ref.perOutput[i]!));
        expect(Math.abs(fast!.perOutput[i]! - ref.perOutput[i]!)).toBeLessThan(
          1e-10 * (1 + Math.abs(ref.perOutput[i]!)),
        );
      }
      expect(scale).toBeGreaterThan(0.1);
      for (let i = 0; i < ref.traced.length; i++)
        expect(fast!.traced[i]).toBeCloseTo(ref.traced[i]!, 10);
      jax.tree.dispose(params as never);
    }
    for (const extra of [{ layernorm: "pre" as const }, { residual: 0.5 }]) {
      const model = await mlpModel({
        inputDim: 3,
        width: 4,
        depth: 2,
        outputDim: 1,
        activation: activation("tanh"),
        sigmaW2: 1,
        sigmaB2: 0,
        loss: "mse",
        dtype: "float64",
        ...extra,
      });
      const params = model.init(0);
      expect(await structuredNtk(model, params, x)).toBeNull();
      jax.tree.dispose(params as never);
    }
    x.dispose();
  });

  it("equals J Jᵀ from a forward-mode Jacobian to 1e-10 (float64, relu, per output and traced)", async () => {
    const jax = await loadJax();
    const np = jax.numpy;
    const model = await mlpModel({
      inputDim: 3,
      width: 4,
      depth: 2,
      outputDim: 2,
      activation: activation("relu"),
      sigmaW2: 2,
      sigmaB2: 0.1,
      loss: "mse",
      dtype: "float64",
      parametrization: "ntk",
    });
    const params = model.init(3);
    const x = np.array(Float64Array.from(X.flat()), { shape: [3, 3], dtype: np.float64 });
    const got = await empiricalNtk(model, params, x);
    // forward mode: column p of J is jvp with the p-th one-hot parameter tangent
    const leaves = jax.tree.leaves(params as never) as unknown as JaxArray[];
    const [, def] = jax.tree.flatten(params as never);
    const cols: Float64Array[] = [];
    for (let li = 0; li < leaves.length; li++) {
      for (let e = 0; e < leaves[li]!.size; e++) {
        const tangent = leaves.map((l, i) => {
          const z = new Float64Array(l.size);
          if (i === li) z[e] = 1;
          return np.array(z, { shape: l.shape, dtype: np.float64 });
        });
        const [y, dy] = jax.jvp(
          (p: JaxParams) => model.apply(p, x.ref),
          [jax.tree.ref(params as never)],
          [jax.tree.unflatten(def, tangent as never)] as never,
        ) as unknown as [JaxArray, JaxArray];
        y.dispose();
        cols.push((await dy.data()) as Float64Array);
      }
    }
    const m = 6;
    let scale = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        const want = cols.reduce((s, c) => s + c[i]! * c[j]!, 0);
        scale = Math.max(scale, Math.abs(want));
        expect(Math.abs(got.perOutput[i * m + j]! - want)).toBeLessThan(
          1e-10 * (1 + Math.abs(want)),
        );
      }
    expect(got.traced[1]).toBeCloseTo(
      (got.perOutput[0 * m + 2]! + got.perOutput[1 * m + 3]!) / 2,
      12,
    );
    expect(scale).toBeGreaterThan(0.1);
  });

  it("of wide random NTK-parametrized nets converges to the infinite-width Θ, error ~ 1/√width", async () => {
    const jax = await loadJax();
    const np = jax.numpy;
    const x = np.array(Float32Array.from(X.flat()), { shape: [3, 3] });
    const meanError = async (width: number, seeds: number) => {
      const model = await mlpModel({
        inputDim: 3,
        width,
        depth: 2,
        outputDim: 1,
        activation: activation("relu"),
        sigmaW2: 2,
        sigmaB2: 0.1,
        loss: "mse",
        parametrization: "ntk",
      });
      const want = kernelGrams(model.architecture.blocks, X).ntk;
      let err = 0;
      for (let s = 0; s < seeds; s++) {
        const params = model.init(100 + s);
        const got = await empiricalNtk(model, params, x);
        jax.tree.dispose(params as never);
        for (let i = 0; i < 9; i++) {
          const [a, b] = [Math.floor(i / 3), i % 3];
          err += Math.abs(got.traced[i]! - want[i]!) / Math.sqrt(want[a * 4]! * want[b * 4]!);
        }
      }
      return err / (9 * seeds);
    };
    const e1 = await meanError(16, 12);
    const e2 = await meanError(256, 12);
    // 16× the width: 4× smaller expected error; allow sampling noise (ratio > 2.2)
    expect(e1 / e2).toBeGreaterThan(2.2);
    expect(e2).toBeLessThan(0.15);
    x.dispose();
  });
});
