/**
 * The Transformer (src/nets/transformer.ts) under SP and µP:
 *   - every parameter leaf's SGD and Adam lr factor against Tensor Programs V's tables written
 *     out here by hand (Table 8 with the readout multiplier 1/d; LayerNorm gains and shifts and
 *     the position embedding are biases, TP V appendix on Transformers);
 *   - the coordinate check (TP V, Fig. 5 style) on the model, with SGD and with Adam: the change
 *     of every layer's output after 1 … 3 steps is width-independent for µP and grows with the
 *     width d_model for SP (heads fixed, d_head = d/2 growing; the µP attention's 1/d_h logits are
 *     checked against a direct computation in transformer.test.ts).
 */
import { afterAll, describe, expect, it } from "vitest";
import { logLogSlope } from "../../src/diagnostics/coord-check.js";
import { modelCoordCheck } from "../../src/diagnostics/model-coord-check.js";
import { shutdownJax } from "../../src/nets/jax.js";
import type { HostParams, HostTensor } from "../../src/nets/layers/index.js";
import { sampleParams } from "../../src/nets/network.js";
import type { LayerKind } from "../../src/nets/parametrizations.js";
import { transformerModel } from "../../src/nets/transformer.js";
import { activation } from "../../src/theory/activations.js";

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
