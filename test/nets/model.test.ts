/**
 * Models: the losses against plain-JS formulas, and gradients (jax-js autodiff through every
 * layer kind and both losses) against central finite differences of the loss in float64.
 *
 * Which float64 path: jax-js's Wasm backend computes float64 exp/log/tanh/erf with float32-accurate
 * polynomials, so finite differences of a loss that uses them are meaningless there. Models built
 * from piecewise-linear layers (relu, linear, dense, scale, sum) with the MSE loss are checked on
 * Wasm; everything else (smooth activations, LayerNorm, the Mixer, cross-entropy) is checked on
 * jax-js's "cpu" device, which evaluates with Math.* (exact to ~1e-16; tiny models only).
 */
import { afterAll, describe, expect, it } from "vitest";
import { apjnExact } from "../../src/diagnostics/apjn.js";
import { loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import { dense, type HostTensor, mixerBlock, mlpBlock } from "../../src/nets/layers/index.js";
import {
  createModel,
  type LossName,
  lossValue,
  type Model,
  mlpModel,
  modelBlocks,
} from "../../src/nets/model.js";
import { sampleParams } from "../../src/nets/network.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { f64, gradientError, onDevice } from "./gradient-check.js";

afterAll(shutdownJax);

describe("losses", () => {
  it("mse = mean over batch and outputs of (f − y)²/2; cross-entropy = mean of logsumexp f − y·f, stable at |f| = 1000, float64-accurate", async () => {
    const jax = await loadJax();
    const f = Float64Array.from([0.5, -1, 2, 3, 0.25, -0.75]);
    const y = Float64Array.from([0, 1, 0, 0, 0, 1]);
    const mse = await readF64(lossValue(jax, "mse", f64(jax, f, [2, 3]), f64(jax, y, [2, 3])));
    const mseRef = f.reduce((a, v, i) => a + (v - y[i]!) ** 2 / 2, 0) / 6;
    expect(mse[0]).toBeCloseTo(mseRef, 14);
    const ceRef = (logits: Float64Array) =>
      [0, 1].reduce((acc, b) => {
        const row = Array.from(logits.slice(3 * b, 3 * b + 3));
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
        return acc + lse - row.reduce((s, v, k) => s + y[3 * b + k]! * v, 0);
      }, 0) / 2;
    const big = f.map((v) => v * 1000);
    for (const logits of [f, big]) {
      const ce = await readF64(
        lossValue(jax, "cross_entropy", f64(jax, logits, [2, 3]), f64(jax, y, [2, 3])),
      );
      expect(Number.isFinite(ce[0])).toBe(true);
      // float64 exp/log of src/nets/f64.ts (jax-js's own are float32 polynomials: ~1e-6 off)
      expect(Math.abs(ce[0]! - ceRef(logits))).toBeLessThan(1e-14 * (1 + ceRef(logits)));
    }
  });
});

describe("gradients = central finite differences (float64, relative 1e-8 normwise)", () => {
  const relu = activation("relu");
  const tanh = activation("tanh");
  const base = { sigmaW2: 1.7, sigmaB2: 0.1, dtype: "float64" as const };

  it("relu and linear MLPs (dense, act, residual sum, scale) with MSE on Wasm", async () => {
    for (const phi of [relu, activation("linear")]) {
      const model = await mlpModel({
        ...base,
        inputDim: 3,
        width: 5,
        depth: 2,
        outputDim: 2,
        activation: phi,
        residual: 0.5,
        loss: "mse",
      });
      // piecewise quadratic loss: central differences are exact up to rounding (~1e-16/h)
      expect(await gradientError(model, 4, 1e-6), phi.name).toBeLessThan(1e-8);
    }
  });

  // jax-js computes erf (and so exact gelu) to ~1.5e-5 even on the cpu device: finite differences
  // of that approximation agree with the exact derivative its autodiff uses only to ~1e-6.
  const tolerance = (name: string) => (/erf|gelu/.test(name) ? 1e-6 : 1e-8);
  const cases: Array<[string, () => Promise<Model>, LossName]> = [
    [
      "tanh MLP, LayerNorm-pre affine, residual branch scaled ¼, ntk, cross-entropy",
      () =>
        createModel(
          {
            inputWidth: 2,
            blocks: [
              dense(3, 1.5, 0.1, "ntk"),
              mlpBlock({
                activation: tanh,
                sigmaW2: 1.5,
                sigmaB2: 0.1,
                width: 3,
                layernorm: "pre",
                lnAffine: true,
                mu: 1,
                branchScale: 0.25,
                parametrization: "ntk",
              }),
              mlpBlock({
                activation: tanh,
                sigmaW2: 1.5,
                sigmaB2: 0.1,
                width: 3,
                layernorm: "post",
              }),
            ],
          },
          { loss: "cross_entropy", dtype: "float64" },
        ),
      "cross_entropy",
    ],
    [
      "MLP-Mixer block (perGroup, transposeGroups, LayerNorm, tanh), MSE",
      () =>
        createModel(
          {
            inputWidth: 2,
            blocks: [
              dense(4, 1, 0.1),
              mixerBlock({
                tokens: 2,
                channels: 2,
                tokenHidden: 2,
                channelHidden: 2,
                activation: tanh,
                sigmaW2: 1.2,
                sigmaB2: 0.1,
              }),
              dense(2, 1, 0.1),
            ],
          },
          { loss: "mse", dtype: "float64" },
        ),
      "mse",
    ],
    ...(["erf", "gelu", "silu", "sigmoid", "softplus", "sin", "leaky_relu(0.2)"] as const).map(
      (name) =>
        [
          `${name} MLP, cross-entropy`,
          () =>
            mlpModel({
              ...base,
              inputDim: 2,
              width: 3,
              depth: 1,
              outputDim: 2,
              activation: activation(name),
              loss: "cross_entropy",
            }),
          "cross_entropy",
        ] as [string, () => Promise<Model>, LossName],
    ),
  ];
  for (const [name, build] of cases) {
    it(`${name} on the cpu device`, async () => {
      const err = await onDevice("cpu", async () => gradientError(await build(), 2, 1e-5));
      expect(err, name).toBeLessThan(tolerance(name));
    });
  }
});

describe("diagnostics on a model's layers", () => {
  it("exact APJN through embedding (3 → 4) and readout (4 → 2) of a linear MLP = ‖W₁‖²/4, ‖W₂W₁‖²/2", async () => {
    const jax = await loadJax();
    const model = await mlpModel({
      inputDim: 3,
      width: 4,
      depth: 1,
      outputDim: 2,
      activation: activation("linear"),
      sigmaW2: 1.3,
      sigmaB2: 0.1,
      loss: "mse",
      dtype: "float64",
    });
    const params = model.init(4);
    const x = f64(jax, new Rng(2).normals(6), [2, 3]);
    const logJ = await apjnExact(modelBlocks(model, params), x, { dtype: "float64" });
    const [embed, readout] = sampleParams(model.architecture, 4) as unknown as [
      { w: HostTensor },
      [unknown, { w: HostTensor }],
    ];
    const w1 = embed.w.data;
    const w2 = readout[1].w.data;
    let n1 = 0;
    for (const v of w1) n1 += v * v;
    let n2 = 0;
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += w2[i * 4 + k]! * w1[k * 3 + j]!;
        n2 += s * s;
      }
    expect(logJ[0]).toBeCloseTo(Math.log(n1 / 4), 10);
    expect(logJ[1]).toBeCloseTo(Math.log(n2 / 2), 10);
    jax.tree.dispose([params, x] as never);
  });
});
