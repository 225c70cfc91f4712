/**
 * critkit's float64 path against plain-JavaScript float64 (test/nets/reference64.ts, no jax-js):
 * the jax-js ops it relies on, every accurate elementwise function and its autodiff derivative on
 * a dense sweep with extremes, every op of an MLP's forward and backward pass per activation, and
 * the float64 APJN Jacobian.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { jacobianExact } from "../../src/diagnostics/apjn.js";
import * as F from "../../src/nets/f64.js";
import { type JaxArray, type JaxModule, jitUnlessF64, loadJax } from "../../src/nets/jax.js";
import { instantiate, mlpArchitecture, sampleParams } from "../../src/nets/network.js";
import { act, dense, type HostTensor, LAYERNORM_EPS } from "../../src/nets/stax.js";
import { Rng } from "../../src/rng.js";
import { ACTIVATION_NAMES, activation } from "../../src/theory/activations.js";
import { argv, runCli } from "../cli/run-cli.js";
import * as R from "./reference64.js";

let jax: JaxModule;
beforeAll(async () => {
  jax = await loadJax();
});

const f64 = (v: ArrayLike<number>, shape = [v.length]) =>
  jax.numpy.array(Float64Array.from(v), { shape, dtype: jax.numpy.float64 });

/** Largest ulp distance, with results below 1e-300 compared in absolute units of 1e-300. */
function maxUlp(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const e = Math.abs(w) < 1e-300 ? Math.abs(got[i]! - w) / 1e-300 : R.ulpError(got[i]!, w);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

describe("the jax-js float64 ops the path is built from", () => {
  it("+, −, ×, sqrt, floor, comparisons and where are correctly rounded; ÷ within 2 ulp", () => {
    const rng = new Rng(11);
    const a = Array.from(rng.normals(2000), (v, i) => v * 10 ** ((i % 13) - 6));
    const b = Array.from(rng.normals(2000), (v, i) => v * 10 ** ((i % 7) - 3));
    const A = () => f64(a);
    const B = () => f64(b);
    const same = (x: JaxArray, ref: (u: number, v: number) => number) =>
      expect(
        maxUlp(
          x.dataSync(),
          a.map((u, i) => ref(u, b[i]!)),
        ),
      ).toBe(0);
    same(A().add(B()), (u, v) => u + v);
    same(A().sub(B()), (u, v) => u - v);
    same(A().mul(B()), (u, v) => u * v);
    same(jax.numpy.sqrt(jax.numpy.abs(A())), (u) => Math.sqrt(Math.abs(u)));
    same(jax.numpy.floor(A().mul(B())), (u, v) => Math.floor(u * v));
    same(jax.numpy.where(A().less(B()), A(), B()), (u, v) => Math.min(u, v));
    const q = A().div(B()).dataSync();
    expect(
      maxUlp(
        q,
        a.map((u, i) => u / b[i]!),
      ),
    ).toBeLessThanOrEqual(2);
  });

  it("rounds JS number constants to float32 inside jit (why constants enter as arrays)", () => {
    const third = jax.jit((x: JaxArray) => x.mul(1 / 3));
    const viaArray = jax.jit((x: JaxArray) =>
      x.mul(jax.numpy.full([], 1 / 3, { dtype: "float64" as never })),
    );
    expect(third(f64([1])).dataSync()[0]).not.toBe(1 / 3);
    expect(viaArray(f64([1])).dataSync()[0]).toBe(1 / 3);
    third.dispose();
    viaArray.dispose();
  });

  it("jitUnlessF64 runs float64 eagerly (JS constants exact) and jit-compiles float32", () => {
    const scale = (x: JaxArray) => x.mul(1 / 3);
    const f64Step = jitUnlessF64(jax, scale, "float64");
    expect(f64Step(f64([1])).dataSync()[0]).toBe(1 / 3);
    const f32Step = jitUnlessF64(jax, scale, "float32");
    const one = jax.numpy.array(new Float32Array([1]), { dtype: jax.numpy.float32 });
    expect(f32Step(one).dataSync()[0]).toBe(Math.fround(1 / 3));
    f32Step.dispose();
  });
});

// Dense sweep: −40…40 in steps of 0.04 (offset so 0 and the branch edges are hit separately),
// tiny, huge and overflow-edge arguments.
const SWEEP = (() => {
  const xs: number[] = [0, -0, 0.35, -0.35, 0.46875, -0.46875, 4, -4];
  for (let i = -1000; i <= 1000; i++) xs.push(i / 25 + 0.0013);
  for (const e of [-300, -100, -30, -16, -8, -4])
    for (const s of [1, -1, 1.7, -3.3]) xs.push(s * 10 ** e);
  xs.push(1e300, -1e300, 709, -709, 745, -745, 1e5, -1e5);
  return xs;
})();

/** Bounds (ulp) checked below: measured maxima + margin; 16 ulp = 3.6e-15 relative. */
const FUNCTIONS: Array<{
  name: string;
  f: (jax: JaxModule, x: JaxArray) => JaxArray;
  ref: (x: number) => number;
  dref?: (x: number) => number;
  domain?: (x: number) => boolean;
}> = [
  { name: "exp", f: F.exp64, ref: Math.exp, dref: Math.exp, domain: (x) => x < 709 },
  { name: "expm1", f: F.expm164, ref: Math.expm1, dref: Math.exp, domain: (x) => x < 709 },
  { name: "tanh", f: F.tanh64, ref: Math.tanh, dref: R.sech2Ref },
  { name: "sech2", f: F.sech264, ref: R.sech2Ref },
  {
    name: "sigmoid",
    f: F.sigmoid64,
    ref: R.sigmoidRef,
    dref: (x) => R.sigmoidRef(x) * R.sigmoidRef(-x),
  },
  { name: "softplus", f: F.softplus64, ref: R.softplusRef, dref: R.sigmoidRef },
  {
    name: "erf",
    f: F.erf64,
    ref: R.erfRef,
    dref: (x) => (2 / Math.sqrt(Math.PI)) * R.expNegSquareRef(x),
  },
  { name: "erfc", f: F.erfc64, ref: R.erfcRef },
  { name: "normalCdf", f: F.normalCdf64, ref: R.normalCdfRef, dref: R.normalPdfRef },
  { name: "normalPdf", f: F.normalPdf64, ref: R.normalPdfRef },
  { name: "sin", f: F.sin64, ref: Math.sin, dref: Math.cos, domain: (x) => Math.abs(x) < 1e5 },
  {
    name: "cos",
    f: F.cos64,
    ref: Math.cos,
    dref: (x) => -Math.sin(x),
    domain: (x) => Math.abs(x) < 1e5,
  },
];

describe("accurate float64 elementwise functions vs plain-JS float64", () => {
  for (const fn of FUNCTIONS) {
    it(`${fn.name}${fn.dref ? " and its autodiff derivative" : ""}: ≤ 16 ulp on [−40, 40] and extremes, never NaN`, () => {
      const xs = SWEEP.filter(fn.domain ?? (() => true));
      const got = fn.f(jax, f64(xs)).dataSync();
      expect(got.some(Number.isNaN)).toBe(false);
      expect(maxUlp(got, xs.map(fn.ref))).toBeLessThanOrEqual(16);
      if (fn.dref) {
        const g = jax
          .grad((x: JaxArray) => fn.f(jax, x).sum())(f64(xs))
          .dataSync();
        expect(g.some(Number.isNaN)).toBe(false);
        expect(maxUlp(g, xs.map(fn.dref))).toBeLessThanOrEqual(16);
      }
    });
  }

  it("log and its autodiff derivative within 8 ulp from the subnormals to the largest double; log 0 = −∞, log(−1) = NaN", () => {
    const xs: number[] = [5e-324, 1e-310, 2 ** -1022, 0.5, 1, 2, Math.SQRT2, Number.MAX_VALUE];
    for (let u = -323; u <= 308; u += 0.11) xs.push(10 ** u);
    for (let i = -300; i <= 300; i++) xs.push(1 + i * 3e-4);
    const got = F.log64(jax, f64(xs)).dataSync();
    expect(maxUlp(got, xs.map(Math.log))).toBeLessThanOrEqual(8);
    const normal = xs.filter((x) => x > 1e-300 && x < 1e300);
    const g = jax
      .grad((x: JaxArray) => F.log64(jax, x).sum())(f64(normal))
      .dataSync();
    expect(
      maxUlp(
        g,
        normal.map((x) => 1 / x),
      ),
    ).toBeLessThanOrEqual(8);
    const edge = F.log64(jax, f64([0, -1, Number.POSITIVE_INFINITY])).dataSync();
    expect(Array.from(edge)).toEqual([
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it("log(1 + u) on [0, 1] within 4 ulp of Math.log1p", () => {
    const us = Array.from({ length: 2001 }, (_, i) => i / 2000).concat([1e-300, 1e-17, 3e-9]);
    const got = F.log1pUnit64(jax, f64(us)).dataSync();
    expect(maxUlp(got, us.map(Math.log1p))).toBeLessThanOrEqual(4);
  });

  it("gives the same values under jit as eagerly, to 1 ulp (constants are float64 arrays)", () => {
    const xs = SWEEP.filter((_, i) => i % 7 === 0);
    const jitted = jax.jit((x: JaxArray) => F.normalCdf64(jax, x));
    const eager = F.normalCdf64(jax, f64(xs)).dataSync();
    expect(maxUlp(jitted(f64(xs)).dataSync(), eager)).toBeLessThanOrEqual(1);
    jitted.dispose();
  });
});

/** φ and φ′ in plain JS (Math.*, double-double erf/Φ), independent of src/. */
function refActivation(name: string): {
  f: (x: number) => number;
  df: (x: number) => number;
  /** Σ|terms| of φ′ where φ′ is a sum that cancels */
  dScale?: (x: number) => number;
} {
  const s = R.sigmoidRef;
  switch (name) {
    case "relu":
      return { f: (x) => Math.max(x, 0), df: (x) => (x > 0 ? 1 : 0) };
    case "leaky_relu":
      return { f: (x) => (x > 0 ? x : 0.01 * x), df: (x) => (x > 0 ? 1 : 0.01) };
    case "tanh":
      return { f: Math.tanh, df: R.sech2Ref };
    case "erf":
      return { f: R.erfRef, df: (x) => (2 / Math.sqrt(Math.PI)) * R.expNegSquareRef(x) };
    case "gelu":
      return {
        f: (x) => x * R.normalCdfRef(x),
        df: (x) => R.normalCdfRef(x) + x * R.normalPdfRef(x),
        dScale: (x) => R.normalCdfRef(x) + Math.abs(x * R.normalPdfRef(x)),
      };
    case "silu":
    case "swish":
      return {
        f: (x) => x * s(x),
        df: (x) => s(x) * (1 + x * s(-x)),
        dScale: (x) => s(x) * (1 + Math.abs(x * s(-x))),
      };
    case "sigmoid":
      return { f: s, df: (x) => s(x) * s(-x) };
    case "softplus":
      return { f: R.softplusRef, df: s };
    case "linear":
      return { f: (x) => x, df: () => 1 };
    case "sin":
      return { f: Math.sin, df: Math.cos };
    default:
      throw new Error(name);
  }
}

describe("activation layers in float64: φ and the hand-written φ′ vs plain JS", () => {
  const xs = SWEEP.filter((x, i) => Math.abs(x) <= 40 && i % 2 === 0);
  for (const name of ACTIVATION_NAMES) {
    it(name, () => {
      const layer = act(activation(name));
      const ref = refActivation(name);
      const y = layer.apply(jax, [], f64(xs)).dataSync();
      // jvp with tangent 1 gives φ′(x); relative error ≤ 1e-14 against the summands' scale.
      const [y2, d] = layer.jvp!(jax, [], f64(xs), f64(xs.map(() => 1)));
      const want = xs.map(ref.f);
      const dWant = xs.map(ref.df);
      expect(maxUlp(y, want)).toBeLessThanOrEqual(16);
      expect(maxUlp(y2.dataSync(), want)).toBeLessThanOrEqual(16);
      // φ′ relative to the magnitude of its terms (silu′ and gelu′ are sums with a root)
      const dGot = d.dataSync();
      for (let i = 0; i < xs.length; i++) {
        const scale = ref.dScale?.(xs[i]!) ?? Math.abs(dWant[i]!);
        expect(Math.abs(dGot[i]! - dWant[i]!)).toBeLessThanOrEqual(1e-14 * scale + 1e-300);
      }
    });
  }
});

type Dense = { w: HostTensor; b: HostTensor };

/**
 * Every op of the forward and backward pass of an MLP block h ↦ W φ(h) + b, op by op: each jax-js
 * op gets the reference's own input, so its error is its own. Backward = reverse-mode autodiff of
 * the block (jax.vjp) against hand-written backprop.
 */
describe("float64 MLP forward and backward, every op vs a plain-JS float64 reference", () => {
  for (const name of ACTIVATION_NAMES.filter((a) => a !== "swish")) {
    it(`${name}: each op within 1e-14 relative (dot products: of Σ|terms|)`, async () => {
      const ref = refActivation(name);
      const [B, N, depth] = [3, 8, 2];
      const arch = mlpArchitecture({
        activations: [activation(name)],
        sigmaW2: 2,
        sigmaB2: 0.1,
        width: N,
        depth,
      });
      const host = sampleParams(arch, 5) as unknown as [unknown, Dense][];
      const net = await instantiate(arch, 5, "float64");
      const rng = new Rng(9);
      // rows of scale 1, 4 and 12: the activations see |h| up to ~40
      let h: number[] = Array.from(
        rng.normals(B * N),
        (v, i) => v * [1, 4, 12][Math.floor(i / N)]!,
      );
      for (let l = 0; l < depth; l++) {
        const { w, b } = host[l]![1];
        const a = h.map(ref.f);
        const y = new Array<number>(B * N).fill(0);
        const yScale = new Array<number>(B * N).fill(0);
        for (let r = 0; r < B; r++)
          for (let i = 0; i < N; i++) {
            let s = b.data[i]!;
            let m = Math.abs(s);
            for (let j = 0; j < N; j++) {
              s += w.data[i * N + j]! * a[r * N + j]!;
              m += Math.abs(w.data[i * N + j]! * a[r * N + j]!);
            }
            y[r * N + i] = s;
            yScale[r * N + i] = m;
          }
        // forward ops: φ, then the dense map on the reference's φ(h)
        const aGot = act(activation(name))
          .apply(jax, [], f64(h, [B, N]))
          .dataSync();
        expect(maxUlp(aGot, a)).toBeLessThanOrEqual(45); // 1e-14
        const block = net.blocks[l]!;
        const p = (jax.tree.ref(block.params as never) as unknown as [unknown, never])[1];
        const yGot = dense(N, 2, 0.1)
          .apply(jax, p, f64(a, [B, N]))
          .dataSync();
        for (let k = 0; k < B * N; k++)
          expect(Math.abs(yGot[k]! - y[k]!)).toBeLessThanOrEqual(1e-14 * yScale[k]!);

        // backward of the whole block (φ then dense) at the reference input, cotangent g
        const g = Array.from(rng.normals(B * N));
        const [yB, back] = jax.vjp(
          ((p: never, x: JaxArray) => block.apply(p, x)) as never,
          [jax.tree.ref(block.params as never), f64(h, [B, N])] as never,
        ) as unknown as [JaxArray, ((g: JaxArray) => unknown) & { dispose(): void }];
        yB.dispose();
        const [dp, dx] = back(f64(g, [B, N])) as unknown as [[unknown, Dense], JaxArray];
        back.dispose();
        const dW = (dp[1].w as unknown as JaxArray).dataSync();
        const db = (dp[1].b as unknown as JaxArray).dataSync();
        const dh = dx.dataSync();
        for (let i = 0; i < N; i++) {
          let s = 0;
          let m = 0;
          for (let r = 0; r < B; r++) {
            s += g[r * N + i]!;
            m += Math.abs(g[r * N + i]!);
          }
          expect(Math.abs(db[i]! - s)).toBeLessThanOrEqual(1e-14 * m);
          for (let j = 0; j < N; j++) {
            let sw = 0;
            let mw = 0;
            for (let r = 0; r < B; r++) {
              sw += g[r * N + i]! * a[r * N + j]!;
              mw += Math.abs(g[r * N + i]! * a[r * N + j]!);
            }
            expect(Math.abs(dW[i * N + j]! - sw)).toBeLessThanOrEqual(1e-14 * mw);
          }
        }
        for (let r = 0; r < B; r++)
          for (let j = 0; j < N; j++) {
            let s = 0;
            let m = 0;
            for (let i = 0; i < N; i++) {
              s += g[r * N + i]! * w.data[i * N + j]!;
              m += Math.abs(g[r * N + i]! * w.data[i * N + j]!);
            }
            const d = ref.df(h[r * N + j]!);
            expect(Math.abs(dh[r * N + j]! - s * d)).toBeLessThanOrEqual(
              1e-14 * m * Math.abs(d) + 1e-300,
            );
          }
        h = y;
      }
      net.dispose();
    });
  }
});

/** LayerNorm of a row (ε = 1e-5, population variance) and its Jacobian (1/s)(I − 11ᵀ/N − y yᵀ/N). */
function layerNormJs(x: number[]): { y: number[]; jac: number[] } {
  const N = x.length;
  const m = x.reduce((a, b) => a + b, 0) / N;
  const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / N;
  const s = Math.sqrt(v + LAYERNORM_EPS);
  const y = x.map((u) => (u - m) / s);
  const jac = Array.from({ length: N * N }, (_, k) => {
    const [i, j] = [Math.floor(k / N), k % N];
    return ((i === j ? 1 : 0) - 1 / N - (y[i]! * y[j]!) / N) / s;
  });
  return { y, jac };
}

const matmulSq = (a: number[], b: number[], N: number) =>
  Array.from({ length: N * N }, (_, k) => {
    const [i, j] = [Math.floor(k / N), k % N];
    let s = 0;
    for (let p = 0; p < N; p++) s += a[i * N + p]! * b[p * N + j]!;
    return s;
  });

describe("APJN in float64 vs a plain-JS float64 Jacobian", () => {
  for (const [name, layernorm, mu] of [
    ["tanh", "none", 0],
    ["gelu", "none", 0],
    ["erf", "pre", 0.5],
    ["silu", "post", 1],
  ] as const) {
    it(`${name}, LayerNorm ${layernorm}, μ = ${mu}: ∂h^L/∂h^0 within 1e-12 (normwise)`, async () => {
      const ref = refActivation(name);
      const [N, depth] = [6, 4];
      const arch = mlpArchitecture({
        activations: [activation(name)],
        sigmaW2: 1.8,
        sigmaB2: 0.05,
        width: N,
        depth,
        layernorm,
        mu,
      });
      const host = sampleParams(arch, 2);
      const net = await instantiate(arch, 2, "float64");
      const x0 = Array.from(new Rng(4).normals(N), (v) => 2 * v);
      const eye: number[] = Array.from({ length: N * N }, (_, k) => (k % (N + 1) === 0 ? 1 : 0));
      const diag = (d: number[]) => eye.map((v, k) => v * d[k % N]!);
      // block: h' = μ h + W u + b, u = φ(LN h) | LN(φ h) | φ(h); J ← (μ I + W ∂u/∂h) J
      let J = eye;
      let h = x0;
      for (const p of host) {
        const ps = (mu ? (p as unknown as unknown[])[1] : p) as unknown[];
        const { w, b } = ps[ps.length - 1] as Dense;
        let u: number[];
        let du: number[];
        if (layernorm === "pre") {
          const n = layerNormJs(h);
          u = n.y.map(ref.f);
          du = matmulSq(diag(n.y.map(ref.df)), n.jac, N);
        } else if (layernorm === "post") {
          const n = layerNormJs(h.map(ref.f));
          u = n.y;
          du = matmulSq(n.jac, diag(h.map(ref.df)), N);
        } else {
          u = h.map(ref.f);
          du = diag(h.map(ref.df));
        }
        const Wm = Array.from(w.data);
        const block = matmulSq(Wm, du, N).map((v, k) => v + mu * eye[k]!);
        J = matmulSq(block, J, N);
        h = Array.from(
          { length: N },
          (_, i) => mu * h[i]! + u.reduce((s, v, j) => s + Wm[i * N + j]! * v, b.data[i]!),
        );
      }
      const input = f64(x0, [1, N]);
      const got = await jacobianExact(net.blocks as never, input, { dtype: "float64" });
      input.dispose();
      net.dispose();
      const scale = Math.max(...J.map(Math.abs));
      const err = Math.max(...J.map((v, k) => Math.abs(got.data[k]! - v)));
      expect(err / scale).toBeLessThan(1e-12);
    });
  }
});

describe("critkit apjn --dtype float64", () => {
  it("log J^{0,l} equals the plain-JS float64 Hutchinson estimate with the same probes to 1e-12", async () => {
    const [N, depth, P] = [6, 3, 3];
    const r = await runCli(
      ...argv(
        `apjn --dtype float64 --activation gelu --sigma-w2 1.8 --width ${N} --depth ${depth} --seeds 1 --inputs 1 --probes ${P} --json`,
      ),
    );
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout).log_apjn as number[];
    // the CLI's network (seed 0), input (Rng(seed ^ 0x5eed)) and probes (Rng(seed + 1))
    const ref = refActivation("gelu");
    const arch = mlpArchitecture({
      activations: [activation("gelu")],
      sigmaW2: 1.8,
      sigmaB2: 0.05,
      width: N,
      depth,
    });
    const host = sampleParams(arch, 0) as unknown as [unknown, Dense][];
    let h = Array.from(new Rng(0 ^ 0x5eed).normals(N));
    let t = Array.from({ length: P }, (_, p) =>
      Array.from(new Rng(1).normals(P * N)).slice(p * N, (p + 1) * N),
    );
    for (const [l, [, { w, b }]] of host.entries()) {
      const d = h.map(ref.df);
      const a = h.map(ref.f);
      t = t.map((v) =>
        Array.from({ length: N }, (_, i) =>
          v.reduce((s, x, j) => s + w.data[i * N + j]! * d[j]! * x, 0),
        ),
      );
      h = Array.from({ length: N }, (_, i) =>
        a.reduce((s, v, j) => s + w.data[i * N + j]! * v, b.data[i]!),
      );
      const meanSq = t.reduce((s, v) => s + v.reduce((u, x) => u + x * x, 0) / N, 0) / P;
      expect(Math.abs(got[l + 1]! - Math.log(meanSq))).toBeLessThan(1e-12);
    }
  });
});
