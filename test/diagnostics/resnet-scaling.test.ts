/**
 * ResNet branch scaling h' = h + L^-β (W φ(h) + b): the recursion against closed forms, finite
 * networks against the recursion, the three regimes, and the neural-ODE limit of correlated weights.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  measureResnet,
  type ResnetConfig,
  resnetArchitecture,
  resnetParams,
  resnetTheory,
  weightPath,
} from "../../src/diagnostics/resnet-scaling.js";
import { loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import { createModel } from "../../src/nets/model.js";
import { paramsToJax } from "../../src/nets/network.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";

afterAll(shutdownJax);

const relu = activation("relu");
const tanh = activation("tanh");
const cfg = (depth: number, beta: number, over: Partial<ResnetConfig> = {}): ResnetConfig => ({
  width: 32,
  depth,
  alpha: depth ** -beta,
  activation: relu,
  sigmaW2: 2,
  sigmaB2: 0,
  ...over,
});

describe("ResNet recursion (theory)", () => {
  it("ReLU, σ_w² = 2: Var h^L = J^{0,L} = (1 + α²)^L exactly (closed form)", () => {
    for (const [L, beta] of [
      [8, 0.25],
      [100, 0.5],
      [1000, 1],
    ] as const) {
      const th = resnetTheory(cfg(L, beta), 1.5);
      const a2 = L ** (-2 * beta);
      expect(th.q[L]! / 1.5).toBeCloseTo((1 + a2) ** L, 10);
      expect(th.logJ[L]!).toBeCloseTo(L * Math.log1p(a2), 10);
      // gradient-independence prediction: flat in k, α² (1+α²)^{2L−1} q0² / 2
      for (const g of [th.gradNorm2[0]!, th.gradNorm2[L - 1]!])
        expect(g / (((a2 * (1 + a2) ** (2 * L - 1)) / 2) * 1.5 ** 2)).toBeCloseTo(1, 8);
    }
  });

  it("regimes at L = 1000: β < ½ explodes, β = ½ → e, β > ½ → identity", () => {
    const logVar = (beta: number) => Math.log(resnetTheory(cfg(1000, beta)).q[1000]!);
    expect(logVar(0.25)).toBeGreaterThan(25); // ≈ L^{1/2} = 31.6
    expect(logVar(0.5)).toBeCloseTo(1000 * Math.log1p(1 / 1000), 10);
    expect(Math.abs(logVar(0.5) - 1)).toBeLessThan(1e-3);
    expect(logVar(1)).toBeLessThan(1.1e-3);
  });

  it("tanh: Var grows like Π(1 + α² c_k) with c_k = σ_w² E[tanh²(u_k)]/q_k + σ_b²/q_k (direct Gauss–Hermite sum)", () => {
    const c = cfg(20, 0.5, { activation: tanh, sigmaW2: 1.5, sigmaB2: 0.1 });
    const th = resnetTheory(c);
    // independent quadrature: 200-point midpoint rule on u ~ N(0, q)
    const eTanh2 = (q: number) => {
      let s = 0;
      const n = 4000;
      for (let i = 0; i < n; i++) {
        const z = -8 + (16 * (i + 0.5)) / n;
        s += Math.tanh(Math.sqrt(q) * z) ** 2 * Math.exp((-z * z) / 2);
      }
      return (s * 16) / n / Math.sqrt(2 * Math.PI);
    };
    let q = 1;
    for (let k = 0; k < 20; k++) q += c.alpha ** 2 * (1.5 * eTanh2(q) + 0.1);
    expect(th.q[20]! / q).toBeCloseTo(1, 6);
  });
});

describe("ResNet finite networks", () => {
  it("measured Var h^L and J^{0,L} match the recursion within 4 s.e. + 4 L α⁴/N (β = ½, L = 16)", async () => {
    const c = cfg(16, 0.5, { activation: tanh, sigmaW2: 1.5, sigmaB2: 0.05 });
    const m = await measureResnet(c, {
      seeds: [0, 1, 2, 3, 4, 5],
      inputs: 4,
      probes: 8,
      grads: false,
    });
    const th = resnetTheory(c);
    const slack = (4 * 16 * c.alpha ** 4) / 32;
    expect(Math.abs(m.logVar - Math.log(th.q[16]!))).toBeLessThan(4 * m.varRelStderr + slack);
    expect(Math.abs(m.logApjn - th.logJ[16]!)).toBeLessThan(4 * m.apjnRelStderr + slack);
  });

  it("gradients: first/last layer ratio grows with L for β = 0, stays ≈ 1 for β = 1", async () => {
    const ratio = async (L: number, beta: number) => {
      const m = await measureResnet(cfg(L, beta), { seeds: [0, 1, 2], inputs: 1, probes: 2 });
      const g = m.gradNorm2!;
      return g[0]! / g[L - 1]!;
    };
    expect(Math.abs(Math.log(await ratio(12, 1)))).toBeLessThan(0.3);
    expect(await ratio(12, 0)).toBeGreaterThan(await ratio(3, 0));
  });

  it("depth-to-width: the relative variance of J^{0,L} across seeds grows with L/N (β = 0)", async () => {
    const relVar = async (L: number) =>
      (
        await measureResnet(cfg(L, 0, { width: 16 }), {
          seeds: [0, 1, 2, 3, 4, 5, 6, 7],
          inputs: 2,
          probes: 8,
          grads: false,
        })
      ).apjnRelVar;
    const [short, long] = [await relVar(1), await relVar(16)];
    expect(long).toBeGreaterThan(3 * short);
  });
});

describe("correlated weights, α = 1/L: the neural-ODE limit", () => {
  it("Brownian path: increments have variance std²/L, W_0 has std²", () => {
    const L = 400;
    const p = weightPath("brownian", new Rng(3), L, 50, 2);
    let inc = 0;
    for (let k = 1; k < L; k++)
      for (let i = 0; i < 50; i++) inc += (p[k]![i]! - p[k - 1]![i]!) ** 2;
    expect((inc / ((L - 1) * 50)) * L).toBeCloseTo(4, 0);
    const s = weightPath("smooth", new Rng(3), L, 2000, 2);
    const ms = (a: Float64Array) => a.reduce((x, v) => x + v * v, 0) / a.length;
    expect(ms(s[0]!)).toBeGreaterThan(3.5);
    expect(ms(s[L / 2]!)).toBeLessThan(4.5);
  });

  async function outputs(c: ResnetConfig, seed: number) {
    const jax = await loadJax();
    const model = await createModel(resnetArchitecture(c), { loss: "mse" });
    const x0 = new Rng(99).normals(2 * c.width);
    const x = jax.numpy.array(Float32Array.from(x0), { shape: [2, c.width] });
    const y = await readF64(model.apply(paramsToJax(jax, resnetParams(c, seed), "float32"), x));
    return { x0, y };
  }
  const dist2 = (a: Float64Array, b: Float64Array) =>
    a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.reduce((s, v) => s + v * v, 0);
  const ode = (L: number, weights: "iid" | "smooth") =>
    cfg(L, 1, { weights, activation: tanh, sigmaW2: 4, sigmaB2: 0.1 });

  it("smooth weights: h^L converges as L doubles (Euler, O(1/L)) to a map far from the identity", async () => {
    const [a, b, c] = [
      await outputs(ode(8, "smooth"), 5),
      await outputs(ode(16, "smooth"), 5),
      await outputs(ode(32, "smooth"), 5),
    ];
    expect(dist2(c.y, c.x0)).toBeGreaterThan(0.05);
    const [d1, d2] = [dist2(a.y, b.y), dist2(b.y, c.y)];
    expect(d2).toBeLessThan(d1 / 2.5); // squared distance: ≈ /4 for a first-order scheme
    expect(d2).toBeLessThan(0.01 * dist2(c.y, c.x0));
  });

  it("i.i.d. weights with α = 1/L average out: ‖h^L − h^0‖² ~ 1/L (identity limit)", async () => {
    const [a, b] = [await outputs(ode(8, "iid"), 5), await outputs(ode(64, "iid"), 5)];
    expect(dist2(b.y, b.x0)).toBeLessThan(dist2(a.y, a.x0) / 3);
  });
});
