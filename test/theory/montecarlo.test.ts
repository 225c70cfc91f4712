/**
 * Theory vs finite width: networks of width 1000 sampled with a seeded RNG, written here in plain
 * float64 JavaScript independently of src/nets, must reproduce the infinite-width q^l, c^l and
 * χ_J^l within their Monte Carlo standard errors (plus an O(1/N) finite-width allowance).
 */
import { describe, expect, it } from "vitest";
import { LAYERNORM_EPS, type LayerNormPlacement, mlpBlock } from "../../src/nets/stax.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { gaussianKernel } from "../../src/theory/kernel.js";
import { propagate } from "../../src/theory/recurrence.js";

const N = 1000;
const DEPTH = 4;
const SEEDS = 6;

interface Config {
  name: string;
  sw2: number;
  sb2: number;
  ln: LayerNormPlacement;
  mu: number;
}

function layerNorm(x: Float64Array): { y: Float64Array; inv: number; mean: number } {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s2 = 0;
  for (const v of x) s2 += (v - m) ** 2;
  s2 /= x.length;
  const inv = 1 / Math.sqrt(s2 + LAYERNORM_EPS);
  return { y: x.map((v) => (v - m) * inv), inv, mean: m };
}

/** LN Jacobian-vector product: inv·(t − mean(t) − ŷ·mean(ŷ t)). */
function layerNormJvp(y: Float64Array, inv: number, t: Float64Array): Float64Array {
  let mt = 0;
  let yt = 0;
  for (let i = 0; i < t.length; i++) {
    mt += t[i]!;
    yt += y[i]! * t[i]!;
  }
  mt /= t.length;
  yt /= t.length;
  // ŷ = y·√(s²+ε)/√s² ≈ y; the ε correction is O(ε/s²)
  return t.map((ti, i) => inv * (ti - mt - y[i]! * yt));
}

/** One sampled network: per-layer q (input a), c (a vs b), and ‖t^{l+1}‖²/‖t^l‖² for a tangent t. */
function sampleNetwork(cfg: Config, seed: number) {
  const phi = activation(cfg.name);
  const rng = new Rng(seed);
  let a = rng.normals(N);
  const xi = rng.normals(N);
  const c0 = 0.5;
  let b = a.map((v, i) => c0 * v + Math.sqrt(1 - c0 * c0) * xi[i]!);
  let t = rng.normals(N);
  const q: number[] = [];
  const c: number[] = [];
  const chi: number[] = [];
  const dot = (x: Float64Array, y: Float64Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
  for (let l = 0; l < DEPTH; l++) {
    const W = rng.normals(N * N, Math.sqrt(cfg.sw2 / N));
    const bias = rng.normals(N, Math.sqrt(cfg.sb2));
    const body = (h: Float64Array, tan?: Float64Array) => {
      let x = h;
      let dx = tan;
      if (cfg.ln === "pre") {
        const n = layerNorm(x);
        dx = dx && layerNormJvp(n.y, n.inv, dx);
        x = n.y;
      }
      const pre = x;
      x = pre.map(phi.f);
      dx = dx?.map((v, i) => phi.df(pre[i]!) * v);
      if (cfg.ln === "post") {
        const n = layerNorm(x);
        dx = dx && layerNormJvp(n.y, n.inv, dx);
        x = n.y;
      }
      const out = new Float64Array(N);
      const dout = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let s = bias[i]!;
        let ds = 0;
        for (let j = 0; j < N; j++) {
          const w = W[i * N + j]!;
          s += w * x[j]!;
          if (dx) ds += w * dx[j]!;
        }
        out[i] = s + cfg.mu * h[i]!;
        dout[i] = ds + (tan ? cfg.mu * tan[i]! : 0);
      }
      return { out, dout };
    };
    const ra = body(a, t);
    const rb = body(b);
    chi.push(dot(ra.dout, ra.dout) / dot(t, t));
    a = ra.out;
    b = rb.out;
    t = ra.dout;
    q.push(dot(a, a) / N);
    c.push(dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b)));
  }
  return { q, c, chi };
}

function meanSem(xs: number[]): { mean: number; sem: number } {
  const m = xs.reduce((s, v) => s + v, 0) / xs.length;
  const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
  return { mean: m, sem: Math.sqrt(v / xs.length) };
}

const CONFIGS: Config[] = [
  ...[
    "relu",
    "leaky_relu(0.2)",
    "tanh",
    "erf",
    "gelu",
    "silu",
    "sigmoid",
    "softplus",
    "linear",
    "sin",
  ].map((name) => ({ name, sw2: 1.6, sb2: 0.1, ln: "none" as const, mu: 0 })),
  { name: "tanh", sw2: 1.5, sb2: 0.1, ln: "pre", mu: 0 },
  { name: "relu", sw2: 2.5, sb2: 0.05, ln: "post", mu: 0 },
  { name: "tanh", sw2: 1.2, sb2: 0.05, ln: "none", mu: 0.7 },
  { name: "gelu", sw2: 1, sb2: 0.1, ln: "pre", mu: 1 },
  { name: "tanh", sw2: 2, sb2: 0.2, ln: "post", mu: 1 },
];

describe("infinite-width theory vs width-1000 Monte Carlo", () => {
  for (const cfg of CONFIGS) {
    it(`${cfg.name}, σ_w² = ${cfg.sw2}, σ_b² = ${cfg.sb2}, LayerNorm ${cfg.ln}, μ = ${cfg.mu}: q^l, c^l, χ_J^l within 4 standard errors`, () => {
      const runs = Array.from({ length: SEEDS }, (_, s) => sampleNetwork(cfg, 1000 + s));
      const block = mlpBlock({
        activation: activation(cfg.name),
        sigmaW2: cfg.sw2,
        sigmaB2: cfg.sb2,
        layernorm: cfg.ln,
        mu: cfg.mu,
      });
      const theory = propagate(block, gaussianKernel(1, 1, 0.5), DEPTH);
      for (let l = 0; l < DEPTH; l++) {
        const checks: Array<[string, number, number[]]> = [
          ["q", theory.q[l + 1]!, runs.map((r) => r.q[l]!)],
          ["c", theory.c[l + 1]!, runs.map((r) => r.c[l]!)],
          ["chi", theory.chi[l]!, runs.map((r) => r.chi[l]!)],
        ];
        for (const [what, th, xs] of checks) {
          const { mean, sem } = meanSem(xs);
          const allowed = 4 * sem + (3 / N) * Math.abs(th) + 1e-12;
          expect(
            Math.abs(mean - th),
            `${what} at layer ${l + 1}: MC ${mean} ± ${sem}, theory ${th}`,
          ).toBeLessThan(allowed);
        }
      }
    });
  }
});
