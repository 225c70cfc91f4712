import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { losses } from "../../src/convex/losses.js";

/** Golden-section minimization of a convex scalar function on [lo, hi] (independent of the closed forms). */
function argmin1d(f: (z: number) => number, lo: number, hi: number): number {
  const r = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  for (let i = 0; i < 200; i++) {
    const c = b - r * (b - a);
    const d = a + r * (b - a);
    if (f(c) < f(d)) b = d;
    else a = c;
  }
  return (a + b) / 2;
}

describe("losses", () => {
  for (const loss of Object.values(losses)) {
    it(`${loss.name}: prox matches a golden-section minimization`, () => {
      fc.assert(
        fc.property(
          fc.double({ min: -5, max: 5, noNaN: true }),
          fc.constantFrom(-1, 1),
          fc.double({ min: 0.01, max: 10, noNaN: true }),
          (a, y, t) => {
            const yy = Float64Array.of(y);
            const prox = loss.prox(Float64Array.of(a), yy, t, new Float64Array(1))[0]!;
            const f = (z: number) => loss.value(Float64Array.of(z), yy) + (z - a) ** 2 / (2 * t);
            const ref = argmin1d(f, -20, 20);
            expect(Math.abs(prox - ref)).toBeLessThan(1e-6);
          },
        ),
        { numRuns: 100 },
      );
    });
  }

  for (const loss of [losses.squared, losses.logistic]) {
    it(`${loss.name}: gradient matches central differences`, () => {
      const y = Float64Array.of(1, -1, 1);
      const z = Float64Array.of(0.3, -1.2, 2.5);
      const g = loss.grad(z, y, new Float64Array(3));
      for (let k = 0; k < 3; k++) {
        const h = 1e-6;
        const zp = Float64Array.from(z);
        const zm = Float64Array.from(z);
        zp[k] += h;
        zm[k] -= h;
        expect(g[k]).toBeCloseTo((loss.value(zp, y) - loss.value(zm, y)) / (2 * h), 6);
      }
    });
  }

  it("Fenchel–Young: ℓ(z) ≥ dual term at any θ in the domain, with equality at θ = −∇ℓ(z)", () => {
    const y = Float64Array.of(1, -1);
    const z = Float64Array.of(0.4, 0.7);
    for (const loss of [losses.squared, losses.logistic]) {
      const theta = loss.grad(z, y, new Float64Array(2)).map((v) => -v);
      // −ℓ*(−θ) = ℓ(z) + θ·z at θ = −∇ℓ(z).
      const thz = theta[0]! * z[0]! + theta[1]! * z[1]!;
      expect(loss.dualValue(theta, y)).toBeCloseTo(loss.value(z, y) + thz, 10);
    }
  });
});
