/**
 * The theory at extreme variances: bounded time at any finite q, accuracy checked against
 * closed forms and large-q asymptotics, and an explicit stop where q^l overflows float64.
 */
import { describe, expect, it } from "vitest";
import { mlpBlock } from "../../src/nets/stax.js";
import { activation } from "../../src/theory/activations.js";
import { gaussianKernel } from "../../src/theory/kernel.js";
import { mlpPhaseDiagram, phaseDiagram } from "../../src/theory/phase.js";
import { expect1, gaussianRule } from "../../src/theory/quadrature.js";
import { depthScale, propagate } from "../../src/theory/recurrence.js";
import { erf } from "../../src/theory/special.js";
import { argv, itRejects, runCli } from "../cli/run-cli.js";

const HUGE = [1e16, 1e20, 1e50, 1e100, 1e200, 1e300];

describe("Gaussian expectations at huge variance", () => {
  it("E[erf(u)²] = (2/π) asin(2q/(1+2q)) (Williams), written 1 − (4/π) asin(√(1/(2(1+2q)))) to keep its digits", () => {
    for (const q of HUGE) {
      const exact = 1 - (4 / Math.PI) * Math.asin(Math.sqrt(1 / (2 * (1 + 2 * q))));
      expect(Math.abs(expect1((u) => erf(u) ** 2, q, 96, true) - exact)).toBeLessThan(2e-15);
    }
  });

  it("erf's closed forms keep their digits at c = 1 for q up to 1e300: E[erf′(u)²] = (4/π)/√(1+4q) (a Gaussian integral of e^{−2u²})", () => {
    const erfPhi = activation("erf");
    for (const q of [1, 1e8, ...HUGE]) {
      const exact = 4 / Math.PI / Math.sqrt(1 + 4 * q);
      const k = gaussianKernel(q);
      expect(Math.abs(erfPhi.dcov(k.q1, k.q2, k.q12) / exact - 1)).toBeLessThan(1e-14);
      expect(erfPhi.cov(k.q1, k.q2, k.q12)).toBeLessThanOrEqual(1);
    }
  });

  it("E[sech⁴ u] → (4/3)/√(2πq) and E[relu(u)²] = q/2, to 1e-13 relative", () => {
    for (const q of HUGE) {
      const sech4 = expect1((u) => 1 / Math.cosh(u) ** 4, q, 96, true);
      expect(sech4 / (4 / 3 / Math.sqrt(2 * Math.PI * q)) - 1).toBeLessThan(1e-13);
      expect(expect1((u) => Math.max(u, 0) ** 2, q, 96) / (q / 2) - 1).toBeLessThan(1e-13);
    }
  });

  it("builds a rule of at most 56 panels for any finite q, and refuses q = ∞ instead of looping", () => {
    for (const q of [...HUGE, Number.MAX_VALUE]) {
      expect(gaussianRule(q, 96, true).x.length).toBeLessThanOrEqual(2 * 56 * 16);
    }
    expect(() => gaussianRule(Number.POSITIVE_INFINITY, 96, true)).toThrow(RangeError);
  });
});

describe("the recurrence where q^l overflows", () => {
  it("linear, μ = 100, σ_w² = 1, σ_b² = 0: q^l = 10001^l stops at the first l with 10001^l > 1.8e308", () => {
    const block = mlpBlock({ activation: activation("linear"), sigmaW2: 1, sigmaB2: 0, mu: 100 });
    const t = propagate(block, gaussianKernel(1, 1, 0.5), 200);
    const expected = Math.ceil(Math.log(Number.MAX_VALUE) / Math.log(10001));
    expect(t.overflowLayer).toBe(expected);
    expect(t.q[expected - 1]! / 10001 ** (expected - 1)).toBeCloseTo(1, 12);
    expect(t.logJ[expected - 1]).toBeCloseTo((expected - 1) * Math.log(10001), 8);
    expect(Number.isNaN(t.q[expected + 1]!)).toBe(true);
  });

  it("tanh at σ_w² = 1e300 runs 100 layers in bounded time with χ_J = σ_w² E[sech⁴] from the asymptotic form", () => {
    const block = mlpBlock({ activation: activation("tanh"), sigmaW2: 1e300, sigmaB2: 0 });
    const start = Date.now();
    const t = propagate(block, gaussianKernel(1, 1, 0.5), 100, { bivariateUpTo: 2 ** 52 });
    expect(Date.now() - start).toBeLessThan(5000);
    expect(t.overflowLayer).toBeNull();
    expect(t.correlationStop).toBe(1);
    // q ≈ σ_w² (tanh² → 1), χ = σ_w² E[sech²(u)²] ≈ σ_w² (4/3)/√(2π q)
    const q = t.q[50]!;
    expect(q / 1e300).toBeCloseTo(1, 10);
    expect(t.chi[50]! / ((1e300 * 4) / 3 / Math.sqrt(2 * Math.PI * q))).toBeCloseTo(1, 10);
  });

  it("phase diagrams stop the overflowing points and count them", () => {
    const tanh = activation("tanh");
    const g = phaseDiagram(
      (sw2, sb2) => mlpBlock({ activation: tanh, sigmaW2: sw2, sigmaB2: sb2, mu: 1e9 }),
      [1, 2],
      [0, 0.1],
      50,
    );
    expect(g.overflowPoints).toBe(4);
    expect(Array.from(g.q).every((q) => q === Number.POSITIVE_INFINITY)).toBe(true);
    expect(Array.from(g.phase).every((p) => p === 2)).toBe(true);
    expect(mlpPhaseDiagram(tanh, [1, 2], [0, 0.1], 50).overflowPoints).toBe(0);
  });

  it("depth scales: ∞ where χ = 1 within 1e-9, 1/|log χ| otherwise", () => {
    expect(depthScale(1 - 2 ** -52)).toBe(Number.POSITIVE_INFINITY);
    expect(depthScale(Math.exp(-0.01))).toBeCloseTo(100, 10);
  });
});

describe("the CLI says where values over- or underflow", () => {
  it("apjn-theory --residual 100: warning with the overflow layer on stderr and in JSON, nulls after it", async () => {
    const r = await runCli(
      ...argv(
        "apjn-theory --activation linear --sigma-w2 1 --sigma-b2 0 --residual 100 --depth 100 --json",
      ),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const layer = Math.ceil(Math.log(Number.MAX_VALUE) / Math.log(10001));
    expect(j.warnings.some((w: string) => w.includes(`at layer ${layer}`))).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`critkit: warning: q\\^l exceeds .* at layer ${layer}`));
    expect(j.q[layer - 1]).toBeGreaterThan(1e300);
    expect(j.q[layer + 1]).toBeNull();
    expect(j.power_law).toBeNull();
  });

  it("critical --json: ξ_c of a critical point is null (infinite), as the README says", async () => {
    const j = JSON.parse((await runCli(...argv("critical --json"))).stdout);
    expect(j.xi_c).toBeNull();
    expect(j.warnings).toEqual([]);
  });

  it("critical at σ_b² = 1e300 finishes and reports that χ_J never crosses 1", async () => {
    const r = await runCli(...argv("critical --sigma-b2 1e300 --json"));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.transition).toBe("none");
    expect(j.sigma_w2).toBeNull();
  });

  itRejects([
    [argv("apjn-theory --sigma-w2 0x10"), /--sigma-w2: must be a finite number, got '0x10'/],
  ]);
});
