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
  maxSeeds: 64,
  tol: 0.01,
  inputs: 1,
  probes: 2,
  range: [0.25, 16] as [number, number],
};

describe("init-search on MLPs (width 256, depth 20)", () => {
  it("tanh, σ_b² = 0.05: within 3 % of the theory's critical σ_w² (1.7610)", async () => {
    const tanh = activation("tanh");
    const theory = criticalPoint((s) =>
      mlpBlock({ activation: tanh, sigmaW2: s, sigmaB2: 0.05 }),
    ).sigmaW2;
    const r = await initSearch(
      (s) =>
        mlpArchitecture({ activations: [tanh], sigmaW2: s, sigmaB2: 0.05, width: 256, depth: 20 }),
      sampling,
    );
    expect(r.everywhere).toBe(false);
    expect(Math.abs(r.sigmaW2 / theory - 1)).toBeLessThan(0.03);
    expect(r.sigmaW2Stderr).toBeGreaterThan(0);
    // at criticality with σ_b² > 0, J approaches a constant: no power law
    expect(Math.abs(r.exponent)).toBeLessThan(0.3);
  });

  it("relu, σ_b² = 0: within 3 % of 2", async () => {
    const r = await initSearch(
      (s) =>
        mlpArchitecture({
          activations: [activation("relu")],
          sigmaW2: s,
          sigmaB2: 0,
          width: 256,
          depth: 20,
        }),
      sampling,
    );
    expect(Math.abs(r.sigmaW2 / 2 - 1)).toBeLessThan(0.03);
  });

  it("mixed activations (tanh, relu in turn) agree with the theory of the two-block period", async () => {
    const acts = [activation("tanh"), activation("relu")];
    const theory = criticalPoint((s) =>
      serial(...acts.map((phi) => mlpBlock({ activation: phi, sigmaW2: s, sigmaB2: 0.05 }))),
    ).sigmaW2;
    const r = await initSearch(
      (s) =>
        mlpArchitecture({ activations: acts, sigmaW2: s, sigmaB2: 0.05, width: 256, depth: 20 }),
      sampling,
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
