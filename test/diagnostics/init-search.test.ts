/**
 * Acceptance of the cheap numerical criticality test on finite networks, against the
 * infinite-width theory (src/theory) where it exists.
 */
import { afterAll, describe, expect, it } from "vitest";
import { measureApjn } from "../../src/diagnostics/apjn-profile.js";
import { fitSlope, initSearch } from "../../src/diagnostics/init-search.js";
import { shutdownJax } from "../../src/nets/jax.js";
import { mixerArchitecture, mlpArchitecture } from "../../src/nets/network.js";
import { mlpBlock, serial } from "../../src/nets/stax.js";
import { activation } from "../../src/theory/activations.js";
import { criticalPoint } from "../../src/theory/critical.js";

afterAll(shutdownJax);

const sampling = {
  seed: 0,
  pilot: 4,
  maxSeeds: 256,
  tol: 0.01,
  inputs: 1,
  probes: 2,
  range: [0.25, 16] as [number, number],
};

/** init-search's `archFor` for a one-activation MLP of `width` (times the width factor) × `depth`. */
const plainMlp =
  (name: string, sigmaB2: number, width: number, depth: number) =>
  (sigmaW2: number, f = 1) =>
    mlpArchitecture({ activations: [activation(name)], sigmaW2, sigmaB2, width: width * f, depth });

describe("init-search on MLPs", () => {
  it("relu, σ_b² = 0: the finite network's critical σ_w² is exactly 2 (E_W ‖J v‖² = (σ_w²/2)^L ‖v‖² at any width), found within 3 s.e.", async () => {
    const r = await initSearch(plainMlp("relu", 0, 64, 12), sampling);
    expect(r.everywhere).toBe(false);
    expect(r.sigmaW2Stderr).toBeGreaterThan(0);
    expect(r.sigmaW2Stderr).toBeLessThan(0.02 * r.sigmaW2);
    expect(Math.abs(r.sigmaW2 - 2)).toBeLessThan(3 * r.sigmaW2Stderr);
    // common random numbers: every secant point after the pilot bracket is on the same seeds
    expect(r.finite.points.length).toBeLessThan(16);
  });

  it("relu, σ_b² = 0: over independent seed sets the reported s.e. is honest (mean z² of |σ̂ − 2|/s.e. near 1, as for χ²₈/8)", async () => {
    const z2: number[] = [];
    for (let k = 0; k < 8; k++) {
      const r = await initSearch(plainMlp("relu", 0, 32, 10), {
        ...sampling,
        seed: 1000 * (k + 1),
        tol: 0.03,
      });
      z2.push(((r.sigmaW2 - 2) / r.sigmaW2Stderr) ** 2);
    }
    const mean = z2.reduce((a, b) => a + b, 0) / z2.length;
    // χ²₈/8 lies in [0.2, 2.5] with probability ≈ 0.98
    expect(mean).toBeGreaterThan(0.2);
    expect(mean).toBeLessThan(2.5);
  });

  it("tanh, σ_b² = 0.05: the extrapolation from widths 128 and 64 (the second width narrower, as by default) agrees with the theory (1.7610) within 3 s.e.", async () => {
    const tanh = activation("tanh");
    const theory = criticalPoint((s) =>
      mlpBlock({ activation: tanh, sigmaW2: s, sigmaB2: 0.05 }),
    ).sigmaW2;
    const r = await initSearch(plainMlp("tanh", 0.05, 128, 12), {
      ...sampling,
      tol: 0.03,
      extrapolate: { factor: 0.5 },
    });
    const inf = r.infinite!;
    expect(inf.second.sigmaW2Stderr).toBeGreaterThan(0);
    // σ_∞ = 2σ_128 − σ_64 and its error propagation
    expect(inf.sigmaW2).toBeCloseTo(2 * r.sigmaW2 - inf.second.sigmaW2, 12);
    expect(inf.sigmaW2Stderr).toBeCloseTo(
      Math.hypot(inf.second.sigmaW2Stderr / 2, r.sigmaW2Stderr) * 2,
      12,
    );
    expect(Math.abs(inf.sigmaW2 - theory)).toBeLessThan(3 * inf.sigmaW2Stderr);
    // at criticality with σ_b² > 0, J approaches a constant: no power law
    expect(Math.abs(r.exponent)).toBeLessThan(0.3);
  });

  it("tanh, σ_b² = 0.1: on the same 128 networks the control variates lower the standard error (same root within the errors)", async () => {
    const arch = plainMlp("tanh", 0.1, 128, 16);
    const o = { ...sampling, seed: 77, maxSeeds: 128, tol: 1e-4 };
    const [plain, cv] = [
      await initSearch(arch, { ...o, controls: false }),
      await initSearch(arch, o),
    ];
    expect(plain.finite.seeds).toBe(128);
    expect(cv.finite.seeds).toBe(128);
    expect(cv.sigmaW2Stderr / plain.sigmaW2Stderr).toBeLessThan(0.9);
    expect(Math.abs(cv.sigmaW2 - plain.sigmaW2)).toBeLessThan(
      3 * Math.hypot(cv.sigmaW2Stderr, plain.sigmaW2Stderr),
    );
  });

  it("mixed activations (tanh, relu in turn) agree with the theory of the two-block period", async () => {
    const acts = [activation("tanh"), activation("relu")];
    const theory = criticalPoint((s) =>
      serial(...acts.map((phi) => mlpBlock({ activation: phi, sigmaW2: s, sigmaB2: 0.05 }))),
    ).sigmaW2;
    const r = await initSearch(
      (s) =>
        mlpArchitecture({ activations: acts, sigmaW2: s, sigmaB2: 0.05, width: 128, depth: 12 }),
      { ...sampling, tol: 0.015 },
    );
    expect(Math.abs(r.sigmaW2 / theory - 1)).toBeLessThan(0.05);
  });
});

describe("everywhere-critical architectures", () => {
  it("LayerNorm on preactivations + residual μ = 1: no exponential growth or decay anywhere on a (σ_w², σ_b²) grid, unlike the plain MLP", async () => {
    const tanh = activation("tanh");
    const depth = 24;
    const rate = async (sw2: number, sb2: number, ln: "pre" | "none", mu: number) => {
      const p = await measureApjn(
        mlpArchitecture({
          activations: [tanh],
          sigmaW2: sw2,
          sigmaB2: sb2,
          width: 128,
          depth,
          layernorm: ln,
          mu,
        }),
        { seeds: [0, 1], inputs: 4, probes: 8 },
      );
      return fitSlope(p.logJ, p.layers, 6, (l) => l);
    };
    for (const sw2 of [0.5, 2, 8]) {
      for (const sb2 of [0, 0.5]) {
        // a power law l^{±2} over layers 6…24 has |rate| ≲ 2/15; exponential phases sit far outside
        expect(Math.abs(await rate(sw2, sb2, "pre", 1))).toBeLessThan(2 / 15);
      }
    }
    expect(Math.abs(await rate(0.5, 0.5, "none", 0))).toBeGreaterThan(0.5);
    expect(Math.abs(await rate(8, 0, "none", 0))).toBeGreaterThan(0.5);
  });

  it("MLP-Mixer (LayerNorm + residual) is critical everywhere; the exponent is reported", async () => {
    const gelu = activation("gelu");
    const r = await initSearch(
      (s) =>
        mixerArchitecture({
          tokens: 8,
          channels: 16,
          tokenHidden: 16,
          channelHidden: 32,
          activation: gelu,
          sigmaW2: s,
          sigmaB2: 0.05,
          depth: 16,
        }),
      { ...sampling, pilot: 2, inputs: 2, probes: 8, range: [0.5, 8] },
    );
    expect(r.everywhere).toBe(true);
    expect(Number.isFinite(r.exponent)).toBe(true);
    expect(r.exponent).toBeLessThan(0); // J grows like a power of l (the residual stream accumulates)
  });
});
