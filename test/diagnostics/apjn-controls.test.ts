/**
 * The martingale control variates of the empirical APJN (apjn.ts `controls`, the layers'
 * `jvpMoment`): the engine's value against a float64 host recomputation from the sampled weights,
 * its zero mean over networks, and the variance it removes.
 */
import { afterAll, describe, expect, it } from "vitest";
import { apjnEmpirical } from "../../src/diagnostics/apjn.js";
import {
  logMeanWithControl,
  logMeanWithError,
  measureApjn,
} from "../../src/diagnostics/apjn-profile.js";
import { loadJax, shutdownJax } from "../../src/nets/jax.js";
import type { HostParams, HostTensor } from "../../src/nets/layers/layer.js";
import { type Architecture, instantiate, sampleParams } from "../../src/nets/network.js";
import { mlpBlock } from "../../src/nets/stax.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";

afterAll(shutdownJax);

const tanh = activation("tanh");

/** depth blocks h ↦ μ h + s (W tanh(h) + b) of width n; σ_w² alternates when `other` is given */
const arch = (
  n: number,
  depth: number,
  sigmaW2: number,
  mu = 0,
  s = 1,
  other = sigmaW2,
): Architecture => ({
  inputWidth: n,
  blocks: Array.from({ length: depth }, (_, l) =>
    mlpBlock({
      activation: tanh,
      sigmaW2: l % 2 ? other : sigmaW2,
      sigmaB2: 0.1,
      width: n,
      mu,
      branchScale: s,
    }),
  ),
});

/** The {w, b} leaf pair of a block's host parameters. */
function dense(p: HostParams): { w: HostTensor; b: HostTensor } {
  if (Array.isArray(p)) {
    for (const q of p) {
      const d = dense(q);
      if (d) return d;
    }
  } else if ("w" in p) return p as unknown as { w: HostTensor; b: HostTensor };
  return undefined as never;
}

describe("APJN control variates", () => {
  for (const [mu, s, other] of [
    [0, 1, 1.7],
    [0.6, 0.8, 1.7],
    // same tangent rule (the sp dense key has no σ_w²), other moment rules: not one jit'ed chunk
    [0, 1, 2.3],
  ] as const) {
    it(`equal a float64 host recomputation (μ = ${mu}, branch scale ${s}, σ_w² 1.7 / ${other}): C^l/Ĵ^l with C = Σ (X_{k+1} − μ² X_k − s² σ_w²/N ‖tanh'(h) t‖²/N)`, async () => {
      const jax = await loadJax();
      const [n, depth, P, seed] = [8, 4, 3, 11];
      const a = arch(n, depth, 1.7, mu, s, other);
      const net = await instantiate(a, seed, "float64");
      const host = sampleParams(a, seed).map(dense);
      const x = new Rng(5).normals(n);
      const inputs = jax.numpy.array(x, { shape: [1, n], dtype: jax.numpy.float64 });
      const r = await apjnEmpirical(net.blocks, inputs, {
        probes: P,
        seed: 3,
        dtype: "float64",
        controls: true,
      });
      inputs.dispose();
      net.dispose();
      const v = new Rng(3).normals(P * n);
      // host: unnormalised tangents, X = ‖t‖²/N, C accumulates the innovations
      const t = Array.from({ length: P }, (_, p) => Array.from(v.subarray(p * n, (p + 1) * n)));
      const X = t.map(() => 1);
      const C = t.map(() => 0);
      let h = Array.from(x);
      const ms = (u: number[]) => u.reduce((acc, q) => acc + q * q, 0) / n;
      for (let l = 0; l < depth; l++) {
        const { w, b } = host[l]!;
        const d = h.map((q) => 1 - Math.tanh(q) ** 2);
        const mat = (u: number[]) =>
          Array.from({ length: n }, (_, i) =>
            u.reduce((acc, q, j) => acc + w.data[i * n + j]! * q, 0),
          );
        const wa = mat(h.map(Math.tanh));
        for (let p = 0; p < P; p++) {
          const z = t[p]!.map((q, j) => q * d[j]!);
          const tn = mat(z).map((q, i) => mu * t[p]![i]! + s * q);
          const sw2 = l % 2 ? other : 1.7;
          const expected = mu * mu * ms(t[p]!) + ((s * s * sw2) / n) * ms(z) * n;
          C[p]! += ms(tn) - expected;
          X[p] = ms(tn);
          t[p] = tn;
        }
        h = wa.map((q, i) => mu * h[i]! + s * (q + b.data[i]!));
        const ratio = C.reduce((u, q) => u + q, 0) / X.reduce((u, q) => u + q, 0);
        expect(r.control![l]).toBeCloseTo(ratio, 10);
        expect(Math.exp(r.logJ[l]!)).toBeCloseTo(X.reduce((u, q) => u + q, 0) / P, 10);
      }
      // the innovations are not all zero: the test compares something
      expect(Math.max(...Array.from(r.control!, Math.abs))).toBeGreaterThan(1e-3);
    });
  }

  it("has mean zero over networks (within 4 s.e.) and removes a third or more of Ĵ's network-to-network variance (plain and residual/scaled MLPs)", async () => {
    for (const [mu, s] of [
      [0, 1],
      [0.6, 0.8],
    ] as const) {
      const seeds = Array.from({ length: 300 }, (_, i) => 500 + i);
      const prof = await measureApjn(arch(32, 10, 1.9, mu, s), {
        seeds,
        inputs: 1,
        probes: 2,
        l0: 2,
        controls: true,
        weights: "ziggurat",
      });
      const last = prof.logJ.length - 1;
      const logJ = prof.perSeed.map((p) => p[last]!);
      const k = prof.perSeedControl!.map((p) => p[last]!);
      const y = logJ.map(Math.exp);
      const zs = y.map((v, i) => v * k[i]!);
      const mean = (u: number[]) => u.reduce((a, b) => a + b, 0) / u.length;
      const sd = (u: number[]) => Math.sqrt(mean(u.map((q) => (q - mean(u)) ** 2)));
      const z = mean(zs) / (sd(zs) / Math.sqrt(zs.length));
      expect(Math.abs(z)).toBeLessThan(4);
      const [m0, rel0] = logMeanWithError(logJ);
      const [m1, rel1] = logMeanWithControl(logJ, k);
      expect(rel1 / rel0).toBeLessThan(Math.sqrt(2 / 3));
      // both estimate the same mean
      expect(Math.abs(m1 - m0)).toBeLessThan(3 * Math.hypot(rel0, rel1));
    }
  });

  it("are refused where a block has no moment rule", async () => {
    const jax = await loadJax();
    const a = arch(8, 3, 1.5);
    const net = await instantiate(a, 1);
    const inputs = jax.numpy.ones([1, 8]);
    const blocks = net.blocks.map(({ jvpMoment: _, ...b }) => b);
    await expect(apjnEmpirical(blocks, inputs, { probes: 2, controls: true })).rejects.toThrow(
      /jvpMoment/,
    );
    inputs.dispose();
    net.dispose();
  });
});
