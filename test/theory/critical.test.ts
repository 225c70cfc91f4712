import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { type LayerNormPlacement, mlpBlock } from "../../src/nets/stax.js";
import { activation } from "../../src/theory/activations.js";
import { criticalLine, criticalPoint } from "../../src/theory/critical.js";
import { gaussianKernel } from "../../src/theory/kernel.js";
import { linspace, mlpPhaseDiagram, PHASES, phaseDiagram } from "../../src/theory/phase.js";
import { expect1 } from "../../src/theory/quadrature.js";
import { correlationMap, fixedPoint, powerLawFit, propagate } from "../../src/theory/recurrence.js";
import { tabulated } from "../../src/theory/tabulate.js";

const family = (name: string, sigmaB2: number, layernorm: LayerNormPlacement = "none", mu = 0) => {
  const phi = activation(name);
  return (sigmaW2: number) => mlpBlock({ activation: phi, sigmaW2, sigmaB2, layernorm, mu });
};

describe("critical points against closed forms and published values", () => {
  it("ReLU at σ_b² = 0: σ_w² = 2; leaky ReLU(α): σ_w² = 2/(1 + α²)", () => {
    expect(criticalPoint(family("relu", 0)).sigmaW2).toBeCloseTo(2, 12);
    for (const a of [0.1, 0.3])
      expect(criticalPoint(family(`leaky_relu(${a})`, 0)).sigmaW2).toBeCloseTo(2 / (1 + a * a), 12);
  });

  it("erf at σ_b² = 0: q* = 0 and χ_J = σ_w² erf′(0)² = 4σ_w²/π, so σ_w² = π/4", () => {
    // χ_J(q*) − 1 vanishes quadratically just above the point, so it is resolved to ~1e-8
    expect(criticalPoint(family("erf", 0)).sigmaW2).toBeCloseTo(Math.PI / 4, 7);
  });

  it("tanh at σ_b² = 0 is critical at σ_w² = 1; at σ_b² = 0.05 at the published σ_w² ≈ 1.76 (Poole et al. 2016)", () => {
    expect(criticalPoint(family("tanh", 0)).sigmaW2).toBeCloseTo(1, 6);
    const cp = criticalPoint(family("tanh", 0.05));
    expect(Math.abs(cp.sigmaW2 - 1.76)).toBeLessThan(0.005);
    expect(cp.qStar).toBeGreaterThan(0.05);
  });

  it("χ_J(q*) = 1 to 1e-9 at every critical point found", () => {
    for (const [name, sb2] of [
      ["tanh", 0.01],
      ["tanh", 0.3],
      ["erf", 0.1],
      ["sin", 0.05],
      ["gelu", 0.3],
    ] as const) {
      expect(Math.abs(criticalPoint(family(name, sb2)).chiJ - 1)).toBeLessThan(1e-9);
    }
  });

  it("LayerNorm on preactivations: χ_J = σ_w² E[φ′(z)²]/(q* + ε) with unit-variance z gives σ_w² = σ_b²/(E[φ′²] − E[φ²]) (up to ε)", () => {
    const sb2 = 0.05;
    const m2 = expect1((z) => Math.tanh(z) ** 2, 1, 200, true);
    const d2 = expect1((z) => 1 / Math.cosh(z) ** 4, 1, 200, true);
    expect(criticalPoint(family("tanh", sb2, "pre")).sigmaW2).toBeCloseTo(sb2 / (d2 - m2), 4);
  });

  it("LayerNorm + residual μ = 1 is critical everywhere: χ_J → 1 for every σ_w²", () => {
    expect(criticalPoint(family("tanh", 0.05, "pre", 1)).everywhere).toBe(true);
  });

  it("GELU's order-to-chaos jump at σ_b² = 0.05 is reported, not hidden behind a wrong σ_w²", () => {
    expect(() => criticalPoint(family("gelu", 0.05))).toThrow(/jumps across 1/);
    expect(() => criticalPoint(family("gelu", 0.05))).toThrow(InputError);
  });
});

describe("fixed points and depth scales", () => {
  it("χ_1 = ∂c′/∂c at c = 1 equals χ_J (checked by Richardson-extrapolated differences of the correlation map)", () => {
    for (const [name, sw2, sb2, tol] of [
      ["tanh", 1.3, 0.05, 1e-6],
      ["tanh", 2.5, 0.1, 1e-6],
      ["erf", 1.1, 0.2, 1e-6],
      ["relu", 1.5, 0.1, 2e-3], // √(1 − c) singularity of the arc-cosine kernel
    ] as const) {
      const block = family(name, sb2)(sw2);
      const fp = fixedPoint(block);
      if (!Number.isFinite(fp.qStar)) continue;
      const C = correlationMap(block, fp.qStar);
      const d = (h: number) => (1 - C(1 - h)) / h;
      const h = 1e-4;
      expect(Math.abs(2 * d(h / 2) - d(h) - fp.chiJ)).toBeLessThan(tol);
    }
  });

  it("the fixed point satisfies q* = σ_w² E[φ(u)²] + σ_b², and iteration converges to it", () => {
    const block = family("tanh", 0.05)(2.2);
    const fp = fixedPoint(block);
    const phi = activation("tanh");
    expect(fp.qStar).toBeCloseTo(2.2 * phi.secondMoment(fp.qStar) + 0.05, 14);
    const t = propagate(block, gaussianKernel(1), 200);
    expect(t.q[200]).toBeCloseTo(fp.qStar, 12);
  });

  it("the chaotic phase has a stable c* < 1 with χ_c < 1; ξ_c diverges at criticality", () => {
    const chaotic = fixedPoint(family("tanh", 0.05)(4));
    expect(chaotic.chi1).toBeGreaterThan(1);
    expect(chaotic.cStar).toBeLessThan(1);
    expect(chaotic.chiC).toBeLessThan(1);
    const C = correlationMap(family("tanh", 0.05)(4), chaotic.qStar);
    expect(C(chaotic.cStar)).toBeCloseTo(chaotic.cStar, 12);
    expect(criticalPoint(family("tanh", 0.05)).xiC).toBeGreaterThan(1e6);
    expect(fixedPoint(family("tanh", 0.05)(1.2)).xiC).toBeCloseTo(
      1 / Math.abs(Math.log(fixedPoint(family("tanh", 0.05)(1.2)).chiJ)),
      9,
    );
  });
});

describe("APJN through depth (log space)", () => {
  it("depth 10⁴ in the chaotic phase: log J finite and = L log χ* asymptotically, though J overflows float64", () => {
    const block = family("tanh", 0.05)(4);
    const t = propagate(block, gaussianKernel(1), 10_000);
    const fp = fixedPoint(block);
    expect(Number.isFinite(t.logJ[10_000])).toBe(true);
    expect(Math.exp(t.logJ[10_000]!)).toBe(Number.POSITIVE_INFINITY);
    expect(t.logJ[10_000]! - t.logJ[5_000]!).toBeCloseTo(5_000 * Math.log(fp.chiJ), 6);
  });

  it("critical tanh at σ_b² = 0: q^l ≈ 1/(2l), so J ∝ l^{−1} (ζ = 1)", () => {
    const t = propagate(family("tanh", 0)(1), gaussianKernel(1), 20_000);
    expect(powerLawFit(t.logJ, 5_000, 20_000).zeta).toBeCloseTo(1, 1);
  });

  it("LayerNorm-pre + μ = 1: q grows linearly and J ∝ l^{−ζ} with ζ = −σ_w² E[φ′(z)²]/(σ_w² E[φ(z)²] + σ_b²)", () => {
    const [sw2, sb2] = [1.5, 0.1];
    const t = propagate(family("tanh", sb2, "pre", 1)(sw2), gaussianKernel(1), 20_000);
    const m2 = expect1((z) => Math.tanh(z) ** 2, 1, 200, true);
    const d2 = expect1((z) => 1 / Math.cosh(z) ** 4, 1, 200, true);
    expect(powerLawFit(t.logJ, 5_000, 20_000).zeta).toBeCloseTo((-sw2 * d2) / (sw2 * m2 + sb2), 2);
  });
});

describe("properties", () => {
  const arbBlock = fc.record({
    name: fc.constantFrom("relu", "tanh", "erf", "sin", "sigmoid", "leaky_relu(0.2)", "linear"),
    sb2: fc.double({ min: 0, max: 2, noNaN: true }),
    ln: fc.constantFrom<LayerNormPlacement>("none", "pre", "post"),
    mu: fc.constantFrom(0, 0.5, 1),
  });

  it("χ_J is monotone in σ_w² at fixed q", () => {
    fc.assert(
      fc.property(
        arbBlock,
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        (b, s1, s2, q) => {
          const f = family(b.name, b.sb2, b.ln, b.mu);
          const [lo, hi] = s1 < s2 ? [s1, s2] : [s2, s1];
          expect(f(lo).map(gaussianKernel(q)).chi).toBeLessThanOrEqual(
            f(hi).map(gaussianKernel(q)).chi * (1 + 1e-12),
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it("q^l ≥ σ_b² for every layer l ≥ 1", () => {
    fc.assert(
      fc.property(
        arbBlock,
        fc.double({ min: 0.05, max: 5, noNaN: true }),
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        (b, sw2, q0) => {
          const t = propagate(family(b.name, b.sb2, b.ln, b.mu)(sw2), gaussianKernel(q0), 12);
          for (let l = 1; l <= 12; l++) expect(t.q[l]!).toBeGreaterThanOrEqual(b.sb2 * (1 - 1e-12));
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe("phase diagrams", () => {
  it("the specialized MLP path equals the generic layer path, and labels agree with the critical line", () => {
    const phi = activation("tanh");
    const sw2 = linspace(0.5, 4, 24);
    const sb2 = linspace(0, 0.5, 7);
    const fast = mlpPhaseDiagram(phi, sw2, sb2, 60);
    const generic = phaseDiagram(
      (a, b) => mlpBlock({ activation: tabulated(phi), sigmaW2: a, sigmaB2: b }),
      sw2,
      sb2,
      60,
    );
    for (let i = 0; i < fast.logJ.length; i++)
      expect(fast.logJ[i]).toBeCloseTo(generic.logJ[i]!, 9);
    const line = criticalLine(
      (a, b) => mlpBlock({ activation: phi, sigmaW2: a, sigmaB2: b }),
      sb2.slice(1),
      1,
      [0.5, 4],
    );
    for (const p of line) {
      const ib = Array.from(sb2).indexOf(p.sigmaB2);
      for (let iw = 0; iw < sw2.length; iw++) {
        const lc = fast.logChi[ib * sw2.length + iw]!;
        if (sw2[iw]! < p.sigmaW2 - 0.05) expect(lc).toBeLessThan(0);
        if (sw2[iw]! > p.sigmaW2 + 0.05) expect(lc).toBeGreaterThan(0);
      }
    }
  });

  it("LayerNorm-pre + residual μ = 1 is labelled critical on the whole grid; the plain MLP has all three phases", () => {
    const phi = tabulated(activation("tanh"));
    const sw2 = linspace(0.25, 8, 9);
    const sb2 = linspace(0, 1, 5);
    const ln = phaseDiagram(
      (a, b) => mlpBlock({ activation: phi, sigmaW2: a, sigmaB2: b, layernorm: "pre", mu: 1 }),
      sw2,
      sb2,
      100,
    );
    expect(Array.from(ln.phase).every((p) => PHASES[p] === "critical")).toBe(true);
    const plain = mlpPhaseDiagram(activation("tanh"), sw2, sb2, 100);
    expect(new Set(Array.from(plain.phase, (p) => PHASES[p]))).toEqual(
      new Set(["ordered", "critical", "chaotic"]),
    );
  });
});
