import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mlpBlock } from "../../src/nets/stax.js";
import { activation } from "../../src/theory/activations.js";
import { fixedPointBranches } from "../../src/theory/branches.js";
import { criticalPoint } from "../../src/theory/critical.js";
import { fixedPointQ, fixedPoints } from "../../src/theory/fixed-points.js";
import { gaussianKernel } from "../../src/theory/kernel.js";
import { propagate } from "../../src/theory/recurrence.js";

const block = (name: string, sigmaW2: number, sigmaB2: number) =>
  mlpBlock({ activation: activation(name), sigmaW2, sigmaB2 });

/**
 * Independent reference: E[g(√q z)] by the trapezoid rule on z ∈ [−11, 11] with step 1/40
 * (spectrally accurate for smooth Gaussian-damped integrands), not the library's quadrature.
 */
function trapezoid(g: (u: number) => number, q: number): number {
  const h = 1 / 40;
  const s = Math.sqrt(q);
  let acc = 0;
  for (let z = -11; z <= 11 + 1e-12; z += h) acc += Math.exp(-0.5 * z * z) * g(s * z);
  return (acc * h) / Math.sqrt(2 * Math.PI);
}

/** Independent fixed points of q ↦ σ_w² E[φ²] + σ_b²: sign changes on a fine log grid + bisection. */
function referenceFixedPoints(name: string, sw2: number, sb2: number, qMax: number): number[] {
  const phi = activation(name);
  const g = (q: number) => sw2 * trapezoid((u) => phi.f(u) ** 2, q) + sb2 - q;
  const lo = Math.max(sb2, 1e-6);
  const n = Math.ceil(Math.log10(qMax / lo) * 200);
  const roots: number[] = [];
  let qa = lo;
  let ga = g(qa);
  for (let i = 1; i <= n; i++) {
    const qb = lo * (qMax / lo) ** (i / n);
    const gb = g(qb);
    if (ga * gb < 0) {
      let [a, b, fa] = [qa, qb, ga];
      for (let k = 0; k < 80; k++) {
        const m = 0.5 * (a + b);
        const fm = g(m);
        if (fm * fa > 0) [a, fa] = [m, fm];
        else b = m;
      }
      roots.push(0.5 * (a + b));
    }
    [qa, ga] = [qb, gb];
  }
  return roots;
}

describe("every fixed point of the variance map", () => {
  const cases: [string, number, number][] = [
    ["gelu", 1.9995, 0.15],
    ["gelu", 2.05, 0.1],
    ["gelu", 1.7, 0.3],
    ["silu", 3.5, 0.3],
    ["swish", 4.5, 0.5],
    ["softplus", 0.4, 0.1],
    ["tanh", 1.5, 0.05],
    ["tanh", 3, 0.3],
    ["erf", 2, 0.2],
  ];
  it.each(cases)(
    "%s σ_w² = %f, σ_b² = %f: the same set as an independent fine-grid root finder",
    (name, sw2, sb2) => {
      const qMax = 2e3;
      const ref = referenceFixedPoints(name, sw2, sb2, qMax);
      const found = fixedPoints(block(name, sw2, sb2))
        .points.map((p) => p.qStar)
        .filter((q) => q < qMax);
      expect(found).toHaveLength(ref.length);
      for (const [i, q] of found.entries()) expect(Math.abs(q / ref[i]! - 1)).toBeLessThan(1e-9);
    },
  );

  it("GELU σ_b² = 0.15, σ_w² = 1.9995 from q0 = 1: q* ≈ 1.0085 (χ_J ≈ 0.913), where 1500 layers of the recurrence settle", () => {
    const b = block("gelu", 1.9995, 0.15);
    const set = fixedPoints(b);
    expect(set.points.map((p) => p.attracting)).toEqual([true, false, true]);
    const q = fixedPointQ(b, 1, set);
    expect(q).toBeCloseTo(1.0085, 4);
    expect(set.points[0]!.chiJ).toBeCloseTo(0.913, 3);
    expect(set.points[0]!.basin[1]).toBe(set.points[1]!.qStar);
    const t = propagate(b, gaussianKernel(1), 1500);
    expect(Math.abs(t.q[1500]! / q - 1)).toBeLessThan(1e-10);
  });

  it("a close attracting/repelling pair just below a saddle-node is found on both sides of it", () => {
    const a = fixedPointBranches((s) => block("gelu", s, 0.1));
    const sn = a.saddleNodes.find((p) => p.qStar < 5)!;
    const s = sn.sigmaW2 * (1 - 1e-6);
    const set = fixedPoints(block("gelu", s, 0.1));
    const near = set.points.filter((p) => Math.abs(Math.log(p.qStar / sn.qStar)) < 0.05);
    expect(near.map((p) => p.attracting)).toEqual([true, false]);
    expect(near[0]!.qStar).toBeLessThan(sn.qStar);
    expect(near[1]!.qStar).toBeGreaterThan(sn.qStar);
    const phi = activation("gelu");
    for (const p of near)
      expect(s * trapezoid((u) => phi.f(u) ** 2, p.qStar) + 0.1).toBeCloseTo(p.qStar, 11);
  });

  it("property: the fixed point reported for q0 is the one the recurrence reaches", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("gelu", "silu", "tanh", "erf", "softplus", "relu"),
        fc.double({ min: 0.3, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: -2, max: 2, noNaN: true }),
        (name, sw2, sb2, logQ0) => {
          const q0 = 10 ** logQ0;
          const b = block(name, sw2, sb2);
          const qStar = fixedPointQ(b, q0);
          const t = propagate(b, gaussianKernel(q0), 300);
          const [qa, qb] = [t.q[299]!, t.q[300]!];
          if (!Number.isFinite(qStar)) {
            expect(qb).toBeGreaterThan(Math.max(q0, qa) * (1 - 1e-12));
            return;
          }
          // q^l moves monotonically towards q*: it has not passed it, and has reached it where converged
          expect((qb - qStar) * (q0 - qStar)).toBeGreaterThanOrEqual(-1e-12 * qStar * qStar);
          if (Math.abs(qb - qa) < 1e-13 * qb)
            expect(Math.abs(qb - qStar)).toBeLessThan(1e-9 * (qStar + 1e-12));
        },
      ),
      { numRuns: 20, seed: 15 },
    );
  });
});

describe("σ_b² = 0: q* = 0 exactly", () => {
  it("tanh is critical at σ_w² = 1 and erf at π/4, to 1e-13, with q* = 0", () => {
    const tanh = criticalPoint((s) => block("tanh", s, 0));
    expect(Math.abs(tanh.sigmaW2 - 1)).toBeLessThan(1e-13);
    expect(tanh.qStar).toBe(0);
    expect(Math.abs(criticalPoint((s) => block("erf", s, 0)).sigmaW2 - Math.PI / 4)).toBeLessThan(
      1e-13,
    );
  });

  it("below the critical σ_w² the recurrence collapses to q = 0 and fixedPointQ says 0 exactly", () => {
    expect(fixedPointQ(block("tanh", 0.9, 0), 1)).toBe(0);
    const set = fixedPoints(block("tanh", 1.5, 0));
    expect(set.points[0]).toMatchObject({ qStar: 0, attracting: false });
    expect(set.points[1]!.attracting).toBe(true);
  });
});

describe("Gauss–Hermite default order", () => {
  it("E[tanh(u)²] and E[tanh′(u)⁴] at q ≤ 1 agree with an independent trapezoid integral to 1e-12", () => {
    const tanh = activation("tanh");
    for (const q of [0.05, 0.3, 0.7, 1]) {
      expect(Math.abs(tanh.secondMoment(q) - trapezoid((u) => Math.tanh(u) ** 2, q))).toBeLessThan(
        1e-12,
      );
      expect(
        Math.abs(tanh.derivSecondMoment(q) - trapezoid((u) => Math.cosh(u) ** -4, q)),
      ).toBeLessThan(1e-12);
    }
  });
});

describe("branches of fixed points over σ_w² (GELU, σ_b² = 0.1)", () => {
  const phi = activation("gelu");
  const m2 = (q: number) => trapezoid((u) => phi.f(u) ** 2, q);
  const d2 = (q: number) => trapezoid((u) => phi.df(u) ** 2, q);
  const a = fixedPointBranches((s) => block("gelu", s, 0.1), 1);

  it("two saddle-nodes where χ_q = 1 (independent difference quotient), separating attracting, repelling, attracting branches", () => {
    expect(a.saddleNodes).toHaveLength(2);
    for (const sn of a.saddleNodes) {
      const h = 1e-4 * sn.qStar;
      const chiQ = (sn.sigmaW2 * (m2(sn.qStar + h) - m2(sn.qStar - h))) / (2 * h);
      expect(chiQ).toBeCloseTo(1, 6);
      expect(sn.sigmaW2).toBeCloseTo((sn.qStar - 0.1) / m2(sn.qStar), 9);
    }
    expect(
      a.branches
        .filter((b) => Number.isFinite(b.qStar[0]) && b.qStar[0] > 0)
        .map((b) => b.stability),
    ).toEqual(["attracting", "repelling", "attracting"]);
  });

  it("the critical point on the repelling branch has σ_w² E[φ′²] = 1 with σ_w² = (q − σ_b²)/E[φ²], labelled repelling", () => {
    const rep = a.branches.find((b) => b.stability === "repelling")!;
    expect(rep.critical).toHaveLength(1);
    const c = rep.critical[0]!;
    expect(c.sigmaW2).toBeCloseTo((c.qStar - 0.1) / m2(c.qStar), 9);
    expect(c.sigmaW2 * d2(c.qStar)).toBeCloseTo(1, 9);
  });

  it("the jump seen from q0 is where the basin boundary passes q0 (σ_w² = S(q0)) below the saddle, and at the saddle-node above it", () => {
    const t = a.transitions[0]!;
    expect(t.continuous).toBe(false);
    expect(t.cause).toBe("basin boundary");
    expect(t.sigmaW2).toBeCloseTo((1 - 0.1) / m2(1), 9);
    expect(t.sigmaW2).toBeCloseTo(2.11654, 4);
    expect(t.below.chiJ).toBeLessThan(1);
    expect(t.above.chiJ).toBeGreaterThan(1);
    const from30 = fixedPointBranches((s) => block("gelu", s, 0.1), 30).transitions[0]!;
    expect(from30.cause).toBe("saddle-node");
    expect(from30.sigmaW2).toBe(a.saddleNodes.find((p) => p.qStar > 5)!.sigmaW2);
  });
});
