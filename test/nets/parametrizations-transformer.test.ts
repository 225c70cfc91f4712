/**
 * The Transformer (src/nets/transformer.ts) under SP, NTK, µP and mean-field:
 *   - every parameter leaf's SGD and Adam lr factor against Tensor Programs V's tables written
 *     out here by hand (Table 8 with the readout multiplier 1/d; LayerNorm gains and shifts and
 *     the position embedding are biases, TP V appendix on Transformers), and NTK's and
 *     mean-field's rows;
 *   - NTK = SP at init (float64, same seed: the same effective weights, 1/√d_h logits), and NTK's
 *     SGD = SP's SGD with per-leaf lr 1/fan_in on weights and 0 on the (σ_b = 0) dense biases;
 *   - the abc symmetry: mean-field and µP train the same function (SGD and Adam, float64);
 *   - the coordinate check (TP V, Fig. 5 style) on the model, with SGD and with Adam: the change
 *     of every layer's output after 1 … 3 steps is width-independent for µP and grows with the
 *     width d_model for SP (heads fixed, d_head = d/2 growing; the µP attention's 1/d_h logits are
 *     checked against a direct computation in transformer.test.ts).
 */
import { afterAll, describe, expect, it } from "vitest";
import { logLogSlope } from "../../src/diagnostics/coord-check.js";
import { modelCoordCheck } from "../../src/diagnostics/model-coord-check.js";
import { type JaxArray, loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import type { HostParams, HostTensor, JaxParams } from "../../src/nets/layers/index.js";
import { type Model, optimizerLrScales, valueAndGrad } from "../../src/nets/model.js";
import { sampleParams } from "../../src/nets/network.js";
import type { LayerKind, ParametrizationName } from "../../src/nets/parametrizations.js";
import { transformerModel } from "../../src/nets/transformer.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { makeOptimizer } from "../../src/train/optimizers.js";
import { f64 } from "./gradient-check.js";
import { expectMeanFieldIsMup, maxAbs, maxAbsDiff } from "./parametrization-checks.js";

afterAll(shutdownJax);

/** The host leaves in jax.tree's flatten order (arrays, then object entries), with their paths. */
function leaves(p: HostParams, path = "", out: Array<[string, HostTensor]> = []) {
  if (Array.isArray(p)) for (const [i, q] of p.entries()) leaves(q, `${path}/${i}`, out);
  else if ("data" in p && p.data instanceof Float64Array) out.push([path, p as HostTensor]);
  else for (const [k, q] of Object.entries(p)) leaves(q as HostParams, `${path}/${k}`, out);
  return out;
}

describe("µP Transformer: per-leaf lr factors = the paper's table", () => {
  it("SGD and Adam factors of every leaf (d = 8, T = 3, 2 blocks, FFN 4d); SP: all 1", async () => {
    const [T, p, d, K, L] = [3, 5, 8, 2, 2];
    const build = (parametrization: "sp" | "mup") =>
      transformerModel({
        tokens: T,
        tokenDim: p,
        width: d,
        heads: 2,
        layers: L,
        classes: K,
        ln: "pre",
        activation: activation("relu"),
        loss: "mse",
        parametrization,
      });
    const mup = await build("mup");
    const sp = await build("sp");
    const host = leaves(sampleParams(mup.architecture, 1) as never as HostParams);
    expect(host).toHaveLength(mup.lrScales.length);
    // [SGD, Adam] by the tensor's role, read off its shape: weights [fan_out, fan_in]
    const expected = ([, t]: [string, HostTensor]): [number, number] => {
      const [a, b] = t.shape;
      if (b === undefined) {
        // biases, LayerNorm γ/β, position embedding (T·d entries, one d-vector per token):
        // SGD fan_out, Adam 1
        const fanOut = a === T * d ? d : a!;
        return [fanOut, 1];
      }
      if (b === p) return [d, 1]; // token embedding: input weights
      if (a === K) return [d, 1]; // readout: output weights (multiplier 1/d)
      return [1, 1 / b!]; // Q, K, V, O, FFN in (fan-in d) and out (fan-in 4d): hidden
    };
    const want = host.map(expected);
    expect(mup.lrScales).toEqual(want.map((w) => w[0]));
    expect(mup.adamLrScales).toEqual(want.map((w) => w[1]));
    // every role present: Adam 1 (vectors, embedding, readout), 1/d and 1/(4d) (hidden); the
    // embedding layer holds w, b and the position embedding
    expect(new Set(mup.adamLrScales)).toEqual(new Set([1, 1 / 8, 1 / 32]));
    expect(host.filter(([path]) => path.startsWith("/0/")).length).toBe(3);
    expect(sp.lrScales.every((v) => v === 1) && sp.adamLrScales.every((v) => v === 1)).toBe(true);
  });
});

// small float64 Transformer: T tokens of p features, width d, 2 heads, L blocks, K outputs
const [T0, P0, D0, K0, L0] = [3, 5, 8, 2, 2];
const small = (parametrization: ParametrizationName, ln: "pre" | "post" = "pre") =>
  transformerModel({
    tokens: T0,
    tokenDim: P0,
    width: D0,
    heads: 2,
    layers: L0,
    classes: K0,
    ln,
    activation: activation("relu"),
    loss: "mse",
    parametrization,
    dtype: "float64",
  });

describe("NTK and mean-field Transformer: per-leaf lr factors = the tables' rows", () => {
  it("ntk: SGD and Adam 1 on every leaf; mean-field: µP's except hidden (SGD fan_in, Adam 1/√fan_in)", async () => {
    const [T, p, d, K] = [T0, P0, D0, K0];
    const ntk = await small("ntk");
    const mf = await small("mean-field");
    const host = leaves(sampleParams(mf.architecture, 1) as never as HostParams);
    expect(host).toHaveLength(mf.lrScales.length);
    expect(ntk.lrScales).toEqual(host.map(() => 1));
    expect(ntk.adamLrScales).toEqual(host.map(() => 1));
    // mean-field [SGD, Adam] by role, from the shape (weights [fan_out, fan_in])
    const expected = ([, t]: [string, HostTensor]): [number, number] => {
      const [a, b] = t.shape;
      if (b === undefined) return [a === T * d ? d : a!, 1]; // biases, LN, position: fan_out, 1
      if (b === p) return [d, 1]; // token embedding (input weights)
      if (a === K) return [d, 1]; // readout (output weights, multiplier 1/d)
      return [b!, 1 / Math.sqrt(b!)]; // Q, K, V, O, FFN: hidden
    };
    const want = host.map(expected);
    expect(mf.lrScales).toEqual(want.map((w) => w[0]));
    expect(mf.adamLrScales).toEqual(want.map((w) => w[1]));
    // both hidden fan-ins present (d = 8 and 4d = 32)
    expect(new Set(mf.adamLrScales)).toEqual(new Set([1, 1 / Math.sqrt(8), 1 / Math.sqrt(32)]));
  });
});

/** `steps` full-batch steps of `optimizer` with per-leaf lr factors `scales` (consumes params). */
function train(
  model: Model,
  params: JaxParams,
  x: JaxArray,
  y: JaxArray,
  o: { optimizer: "sgd" | "adam"; lr: number; steps: number; scales: readonly number[] },
  jax: Awaited<ReturnType<typeof loadJax>>,
) {
  // ε far below √v: Adam's step is then invariant under ω → θω (the abc symmetry needs ε → ε/θ)
  const opt = makeOptimizer(jax, { name: o.optimizer, eps: 1e-30 });
  let state = opt.init(params);
  const vg = valueAndGrad(model);
  for (let t = 0; t < o.steps; t++) {
    const [loss, grads] = vg(params, x.ref, y.ref);
    loss.dispose();
    ({ params, state } = opt.step(params, grads, state, o.lr, o.scales));
  }
  opt.dispose();
  return params;
}

describe("NTK and mean-field Transformer against SP and µP (float64, d = 8, 2 blocks)", () => {
  const B = 4;
  const batch = async () => {
    const jax = await loadJax();
    const rng = new Rng(5);
    const x = f64(jax, rng.normals(B * T0 * P0), [B, T0 * P0]);
    const y = f64(jax, rng.normals(B * K0), [B, K0]);
    return { jax, x, y };
  };
  const out = (m: Model, params: JaxParams, x: JaxArray) =>
    readF64(m.apply(params, x.ref) as JaxArray);

  for (const ln of ["pre", "post"] as const)
    it(`${ln}-LN: NTK = SP at init (same seed); NTK's SGD = SP's with lr 1/fan_in per weight, 0 per dense bias`, async () => {
      const { jax, x, y } = await batch();
      const [ntk, sp, mup] = await Promise.all([
        small("ntk", ln),
        small("sp", ln),
        small("mup", ln),
      ]);
      const f = await out(ntk, ntk.init(3), x);
      const fSp = await out(sp, sp.init(3), x);
      expect(maxAbsDiff(f, fSp)).toBeLessThan(1e-12 * maxAbs(fSp));
      // the stored hidden ω differ (N(0, 1) against N(0, 1/d)): NTK's = SP's × √fan_in
      const wq = (m: Model) =>
        leaves(sampleParams(m.architecture, 3) as never as HostParams).find(([k]) =>
          k.endsWith("/wq"),
        )![1].data;
      const [wN, wS] = [wq(ntk), wq(sp)];
      expect(
        maxAbsDiff(
          wN,
          wS.map((v) => v * Math.sqrt(D0)),
        ),
      ).toBeLessThan(1e-12);
      // µP is another function at init (1/d_h logits, readout multiplier 1/d)
      const fMup = await out(mup, mup.init(3), x);
      expect(maxAbsDiff(fMup, fSp)).toBeGreaterThan(1e-2 * maxAbs(fSp));
      // training: ΔW_ntk = −η (1/fan_in) ∂L/∂W; NTK's dense biases have multiplier σ_b = 0
      const host = leaves(sampleParams(sp.architecture, 3) as never as HostParams);
      // dense biases: b next to a w, and attention's bq, bk, bv, bo (LayerNorm's b sits next to g)
      const paths = new Set(host.map(([path]) => path));
      const denseBias = (path: string) =>
        /\/b[qkvo]$/.test(path) || (path.endsWith("/b") && paths.has(`${path.slice(0, -1)}w`));
      const spScales = host.map(([path, t]) =>
        t.shape.length === 2 ? 1 / t.shape[1]! : denseBias(path) ? 0 : 1,
      );
      expect(spScales.filter((v) => v === 0)).toHaveLength(1 + L0 * 6 + 1);
      const opts = { optimizer: "sgd" as const, lr: 0.5, steps: 4 };
      const pN = train(ntk, ntk.init(3), x, y, { ...opts, scales: ntk.lrScales }, jax);
      const pS = train(sp, sp.init(3), x, y, { ...opts, scales: spScales }, jax);
      const [gN, gS] = [await out(ntk, pN, x), await out(sp, pS, x)];
      expect(maxAbsDiff(gN, gS)).toBeLessThan(1e-10 * maxAbs(gS));
      expect(maxAbsDiff(gN, f)).toBeGreaterThan(1e-3 * maxAbs(f)); // it did train
      jax.tree.dispose([x, y] as never);
    });

  for (const [optimizer, lr] of [
    ["sgd", 0.5],
    ["adam", 0.02],
  ] as const)
    it(`mean-field = µP after 4 ${optimizer} steps (η = ${lr}); SP differs`, async () => {
      const { jax, x, y } = await batch();
      const run = async (name: ParametrizationName) => {
        const m = await small(name);
        const f0 = await out(m, m.init(7), x);
        const scales = optimizerLrScales(m, optimizer);
        const p = train(m, m.init(7), x, y, { optimizer, lr, steps: 4, scales }, jax);
        return { f0, f: await out(m, p, x) };
      };
      const [mf, mup, sp] = [await run("mean-field"), await run("mup"), await run("sp")];
      expectMeanFieldIsMup(mf, mup, sp);
      jax.tree.dispose([x, y] as never);
    });
});

describe("coordinate check on the Transformer (Tensor Programs V)", () => {
  const widths = [64, 128, 256];
  const L = 2;
  const kinds: LayerKind[] = ["input", ...Array<LayerKind>(L).fill("hidden"), "output"];
  const run = (parametrization: "sp" | "mup", optimizer: "sgd" | "adam", lr: number) =>
    modelCoordCheck({
      widths,
      build: (d) =>
        transformerModel({
          tokens: 4,
          tokenDim: 4,
          width: d,
          heads: 2,
          layers: L,
          classes: 4,
          ln: "pre",
          activation: activation("relu"),
          loss: "mse",
          parametrization,
        }),
      steps: 3,
      lr,
      optimizer,
      seeds: [0, 1],
      batch: 8,
      kinds,
    });

  for (const [optimizer, lr] of [
    ["sgd", 0.05],
    ["adam", 0.01],
  ] as const)
    it(`${optimizer} (η = ${lr}), d_model 64 … 256: µP flat, SP's hidden and logit changes growing`, async () => {
      const mup = await run("mup", optimizer, lr);
      const sp = await run("sp", optimizer, lr);
      // µP, measured: |slopes| ≤ 0.06 for every layer and step (SGD and Adam)
      for (const l of mup.layers) {
        for (const s of l.deltaSlopes.slice(1)) expect(Math.abs(s)).toBeLessThan(0.15);
        expect(Math.abs(l.slope)).toBeLessThan(0.2);
      }
      // the features did move: Δ of the last block at d = 256 is O(0.1 … 1)
      expect(mup.layers[L]!.deltaRms[2]![3]!).toBeGreaterThan(0.1);
      // SP, measured at step 1: blocks 0.64, 0.65 (SGD) and 0.92, 0.81 (Adam); logits 1.09
      // (SGD) and 0.54 (Adam); the logits' h grows (slope ≈ 1.1 at step 3)
      for (let l = 1; l <= L; l++) expect(sp.layers[l]!.deltaSlopes[1]!).toBeGreaterThan(0.5);
      expect(sp.layers[L + 1]!.deltaSlopes[1]!).toBeGreaterThan(0.4);
      expect(sp.layers[L + 1]!.slope).toBeGreaterThan(0.7);
      expect(
        logLogSlope(
          widths,
          sp.loss.map((v) => v[3]!),
        ),
      ).toBeGreaterThan(0.3);
    }, 60_000);
});
