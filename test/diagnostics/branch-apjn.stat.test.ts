import { beforeAll, describe, expect, it } from "vitest";
import { type ApjnProfile, measureApjn, theoryApjn } from "../../src/diagnostics/apjn-profile.js";
import { mlpArchitecture } from "../../src/nets/network.js";
import { mlpBlock } from "../../src/nets/stax.js";
import { activation } from "../../src/theory/activations.js";
import { fixedPoints } from "../../src/theory/fixed-points.js";

/**
 * GELU at σ_b² = 0.1, σ_w² = 2.09 is bistable: an attracting q* < 0.7 (ordered, χ_J < 1) and
 * q → ∞ (chaotic, χ_J → σ_w²/2 > 1), separated by a repelling q* ≈ 1.4. Finite networks
 * (width 1000) started on either side of it must follow the branch their input variance leads to.
 */
const gelu = activation("gelu");
const [SW2, SB2, DEPTH, FROM] = [2.09, 0.1, 20, 6];
const arch = mlpArchitecture({
  activations: [gelu],
  sigmaW2: SW2,
  sigmaB2: SB2,
  width: 1000,
  depth: DEPTH,
});
const measured = new Map<number, ApjnProfile>();

beforeAll(async () => {
  for (const q0 of [0.5, 4])
    measured.set(q0, await measureApjn(arch, { seeds: [1], inputs: 2, probes: 4, q0 }));
});

describe("the measured APJN rate follows the fixed-point branch of the input variance", () => {
  it("the two input variances lie on either side of the repelling fixed point", () => {
    const set = fixedPoints(mlpBlock({ activation: gelu, sigmaW2: SW2, sigmaB2: SB2 }));
    const repelling = set.points.find((p) => !p.attracting)!;
    expect(repelling.qStar).toBeGreaterThan(0.5);
    expect(repelling.qStar).toBeLessThan(4);
    expect(set.divergent).toBe(true);
  });

  const rate = (logJ: ArrayLike<number>) => (logJ[DEPTH - 1]! - logJ[FROM - 1]!) / (DEPTH - FROM);

  for (const [q0, other] of [
    [0.5, 4],
    [4, 0.5],
  ]) {
    it(`q0 = ${q0}: the rate of log J over layers ${FROM}..${DEPTH} is that of its own branch, not the other's`, () => {
      const own = rate(theoryApjn(arch, q0)!);
      const wrong = rate(theoryApjn(arch, other)!);
      const m = rate(measured.get(q0)!.logJ);
      // ordered (χ_J < 1) from below the repelling point, chaotic from above
      expect(Math.sign(m)).toBe(Math.sign(own));
      expect(Math.sign(own)).toBe(q0 < 1 ? -1 : 1);
      expect(Math.abs(m - own)).toBeLessThan(0.08);
      expect(Math.abs(m - own)).toBeLessThan(0.5 * Math.abs(m - wrong));
    });
  }
});
