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
import {
  coordBatch,
  coordLossGrad,
  initCoordMlp,
  logLogSlope,
} from "../../src/diagnostics/coord-check.js";
import {
  type JaxArray,
  type JaxModule,
  loadJax,
  readF64,
  shutdownJax,
} from "../../src/nets/jax.js";
import type { HostParams, HostTensor, JaxParams } from "../../src/nets/layers/index.js";
import { type Model, mlpModel, optimizerLrScales, valueAndGrad } from "../../src/nets/model.js";
import { paramsToJax, sampleParams } from "../../src/nets/network.js";
import {
  PARAMETRIZATION_NAMES,
  PARAMETRIZATIONS,
  type ParametrizationName,
} from "../../src/nets/parametrizations.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { makeOptimizer } from "../../src/train/optimizers.js";
import { f64 } from "./gradient-check.js";
import { expectMeanFieldIsMup, maxAbs, maxAbsDiff } from "./parametrization-checks.js";

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

/** Outputs f [B·K] of a model at `params` (not consumed) on x (not consumed). */
async function outputs(jax: JaxModule, model: Model, params: JaxParams, x: JaxArray) {
  return readF64(model.apply(jax.tree.ref(params), x.ref));
}

describe("abc symmetry on the model: mean-field and µP train the same function", () => {
  it("outputs after 4 SGD steps with the same base lr agree to 1e-10 (relu, biases on); SP differs", async () => {
    const jax = await loadJax();
    const relu = activation("relu");
    const [B, d, n, depth, K] = [6, 4, 24, 3, 3];
    const { x, y } = coordBatch(3, B, d, K);
    const xs = f64(jax, x, [B, d]);
    const ys = f64(jax, y, [B, K]);
    const run = async (name: ParametrizationName) => {
      const model = await mlpModel({
        inputDim: d,
        width: n,
        depth,
        outputDim: K,
        activation: relu,
        sigmaW2: 2,
        sigmaB2: 0.1,
        loss: "mse",
        parametrization: name,
        dtype: "float64",
      });
      const p0 = model.init(11);
      const f0 = await outputs(jax, model, p0, xs);
      const p = sgd(jax, model, p0, xs, ys, 0.2, 4);
      const f = await outputs(jax, model, p, xs);
      jax.tree.dispose(p as never);
      return { f0, f };
    };
    const mf = await run("mean-field");
    const mup = await run("mup");
    const sp = await run("sp");
    expectMeanFieldIsMup(mf, mup, sp);
    jax.tree.dispose([xs, ys] as never);
  });
});

describe("coordinate check on the model (Tensor Programs V)", () => {
  // η = 0.002 keeps SP's widest net (its step ∝ η·n) near the linear regime for 3 steps; at
  // η = 0.05 SP's n = 512 output overshoots after one step and the slopes say nothing
  it("RMS(f_t − f_0) after 1 … 3 SGD steps, widths 64 … 512: flat for µP, ∝ width for SP", async () => {
    const jax = await loadJax();
    const relu = activation("relu");
    const widths = [64, 128, 256, 512];
    const [B, d, K, steps, eta] = [16, 8, 4, 3, 0.002];
    const seeds = [1, 2, 3, 4];
    /** [width][step 1 … steps]: RMS of f_t − f_0, pooled over seeds (root mean square) */
    const delta = async (name: ParametrizationName) => {
      const out: number[][] = [];
      for (const width of widths) {
        const ms = new Array(steps).fill(0);
        for (const seed of seeds) {
          const { x, y } = coordBatch(seed, B, d, K);
          const xs = f64(jax, x, [B, d]);
          const ys = f64(jax, y, [B, K]);
          const model = await mlpModel({
            inputDim: d,
            width,
            depth: 2,
            outputDim: K,
            activation: relu,
            sigmaW2: 2,
            sigmaB2: 0,
            loss: "mse",
            parametrization: name,
            dtype: "float64",
          });
          let p = model.init(seed);
          const f0 = await outputs(jax, model, p, xs);
          for (let t = 0; t < steps; t++) {
            p = sgd(jax, model, p, xs, ys, eta, 1);
            const f = await outputs(jax, model, p, xs);
            ms[t] += f.reduce((s, v, i) => s + (v - f0[i]!) ** 2, 0) / f.length / seeds.length;
          }
          jax.tree.dispose([p, xs, ys] as never);
        }
        out.push(ms.map(Math.sqrt));
      }
      return out;
    };
    const mup = await delta("mup");
    const sp = await delta("sp");
    for (let t = 0; t < steps; t++) {
      const m = mup.map((r) => r[t]!);
      const s = sp.map((r) => r[t]!);
      // µP: flat. Measured max/min 1.17 at every step (n = 64 is the outlier, an O(n^-½)
      // finite-width correction; 128 … 512 agree within 6%), slope −0.04
      expect(Math.max(...m) / Math.min(...m)).toBeLessThan(1.3);
      expect(Math.abs(logLogSlope(widths, m))).toBeLessThan(0.1);
      // SP: ∝ n (exponent 1 at step 1, STEP1_DELTA_EXPONENT). Measured slopes 0.87, 0.82, 0.78
      // at steps 1, 2, 3 (the input layer adds an n-independent term to the step, and the
      // widest nets begin to curve); 512 vs 64 changes 5.9× (step 1) to 4.9× (step 3)
      expect(logLogSlope(widths, s)).toBeGreaterThan(t === 0 ? 0.8 : 0.7);
      expect(logLogSlope(widths, s)).toBeLessThan(1.05);
      expect(s[s.length - 1]! / s[0]!).toBeGreaterThan(4);
    }
  }, 120_000);
});

describe("µP with Adam on the model: the Adam column (Tensor Programs V, Table 8)", () => {
  it("one Adam step (float32, jit) = a hand-written per-leaf Adam step with the paper's factors", async () => {
    const jax = await loadJax();
    const tanh = activation("tanh");
    const [B, d, n, depth, K] = [5, 3, 16, 3, 2];
    const eta = 0.01;
    const shape = { inputDim: d, width: n, depth, outputDim: K, activation: tanh, sigmaW2: 1.7 };
    const model = await mlpModel({
      ...shape,
      sigmaB2: 0.2,
      loss: "mse",
      parametrization: "mup",
      dtype: "float32",
    });
    const host = sampleParams(model.architecture, 7);
    const ws = named<HostParams>(host, "w") as HostTensor[];
    const bs = named<HostParams>(host, "b") as HostTensor[];
    const { x, y } = coordBatch(4, B, d, K);
    const xs = jax.numpy.array(Float32Array.from(x), { shape: [B, d] });
    const ys = jax.numpy.array(Float32Array.from(y), { shape: [B, K] });
    const params = paramsToJax(jax, host, "float32");
    const [loss, grads] = valueAndGrad(model)(params, xs, ys);
    loss.dispose();
    const gw = await Promise.all(named<JaxParams>(grads, "w").map((g) => readF64(g as never)));
    const gb = await Promise.all(named<JaxParams>(grads, "b").map((g) => readF64(g as never)));
    // the project's Adam with the model's Adam column (fresh gradients: the same as above)
    const opt = makeOptimizer(jax, { name: "adam" });
    const state = opt.init(params);
    const [, g2] = valueAndGrad(model)(params, xs, ys);
    expect(jax.tree.leaves(params)).toHaveLength(model.adamLrScales.length);
    const r = opt.step(params, g2, state, eta, optimizerLrScales(model, "adam"));
    const stepped = r.params;
    opt.dispose();
    // hand-written: Adam's first step is η·f·(g/(1 − β₁))/(|g|/√(1 − β₂) + ε) (m = (1 − β₁)g,
    // v = (1 − β₂)g², bias-corrected), with Table 8's Adam factors f written out: input weights
    // and all biases 1, hidden weights 1/fan_in = 1/n, output weights 1 (multiplier 1/n)
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const adam1 = (p: number, g: number, f: number) => {
      const m = (1 - b1) * g;
      const v = (1 - b2) * g * g;
      return p - ((eta * f) / (1 - b1)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2) + eps));
    };
    const wFactor = [1, ...Array(depth - 1).fill(1 / n), 1];
    const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
    const newW = named<JaxParams>(stepped, "w");
    const newB = named<JaxParams>(stepped, "b");
    for (let l = 0; l <= depth; l++) {
      const w0 = f32(ws[l]!.data);
      const want = w0.map((p, j) => adam1(p, gw[l]![j]!, wFactor[l]!));
      const moved = maxAbsDiff(want, w0);
      // the step is ≈ η·f per entry (sign-like): 1e-2 for input and output, 6e-4 hidden
      expect(moved).toBeGreaterThan(0.9 * eta * wFactor[l]!);
      expect(maxAbsDiff(await readF64(newW[l] as never), want)).toBeLessThan(1e-6 * maxAbs(w0));
      const b0 = f32(bs[l]!.data);
      const wantB = b0.map((p, j) => adam1(p, gb[l]![j]!, 1));
      expect(maxAbsDiff(wantB, b0)).toBeGreaterThan(0.9 * eta);
      expect(maxAbsDiff(await readF64(newB[l] as never), wantB)).toBeLessThan(
        1e-6 * Math.max(1, maxAbs(b0)),
      );
    }
    jax.tree.dispose([xs, ys, r.state.slots] as never);
  });
});

describe("vector-like parameters of the MLP", () => {
  it("µP: an affine LayerNorm's γ and β step like biases (SGD factor n, Adam 1); sp: 1", async () => {
    const n = 6;
    const build = (parametrization: ParametrizationName) =>
      mlpModel({
        inputDim: 3,
        width: n,
        depth: 2,
        outputDim: 2,
        activation: activation("tanh"),
        sigmaW2: 1,
        sigmaB2: 0,
        layernorm: "pre",
        lnAffine: true,
        loss: "mse",
        parametrization,
      });
    const mup = await build("mup");
    // leaves: embedding w, b; hidden block LN g, b, dense w, b; readout block LN g, b, dense w, b
    expect(mup.lrScales).toEqual([n, n, n, n, 1, n, n, n, n, 2]);
    expect(mup.adamLrScales).toEqual([1, 1, 1, 1, 1 / n, 1, 1, 1, 1, 1]);
    const sp = await build("sp");
    expect([...sp.lrScales, ...sp.adamLrScales].every((v) => v === 1)).toBe(true);
  });
});
