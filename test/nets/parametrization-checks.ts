/** Assertions shared by the MLP and Transformer parametrization tests. */
import { expect } from "vitest";

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
export const maxAbs = (a: ArrayLike<number>) => maxAbsDiff(a, new Float64Array(a.length));

/** Outputs of one net at init (f0) and after a few optimizer steps (f). */
export interface Trained {
  f0: ArrayLike<number>;
  f: ArrayLike<number>;
}

/**
 * Mean-field and µP (the abc symmetry) give the same function at init (up to rounding) and after
 * training; the steps did move it, and SP with the same η trains a different one.
 */
export function expectMeanFieldIsMup(mf: Trained, mup: Trained, sp: Trained): void {
  const scale = maxAbs(mup.f);
  expect(maxAbsDiff(mf.f0, mup.f0)).toBeLessThan(1e-12 * maxAbs(mup.f0));
  expect(maxAbsDiff(mf.f, mup.f)).toBeLessThan(1e-10 * scale);
  expect(maxAbsDiff(mup.f, mup.f0)).toBeGreaterThan(1e-2 * scale);
  expect(maxAbsDiff(sp.f, mup.f)).toBeGreaterThan(1e-2 * scale);
}
