import { expect } from "vitest";
import type { Certificate } from "../../src/convex/certificate.js";
import type { Matrix } from "../../src/convex/linalg.js";
import { designMatrix } from "../../src/data/datasets.js";
import { Rng } from "../../src/rng.js";

/** n Gaussian points in R^dim, standardized, with a bias column; targets Gaussian. */
export function tinyData(seed: number, n: number, dim: number): { X: Matrix; y: Float64Array } {
  const rng = new Rng(seed);
  const X = designMatrix(Array.from({ length: n }, () => Array.from(rng.normals(dim))));
  return { X, y: rng.normals(n) };
}

/**
 * Two certified solves of one program agree: each dual bound is below the other's primal (so both
 * brackets hold p*), and with `rel` the primals agree to that relative tolerance.
 */
export function expectSameOptimum(
  a: { certificate: Certificate },
  b: { certificate: Certificate },
  rel?: number,
): void {
  expect(a.certificate.dual).toBeLessThanOrEqual(b.certificate.primal);
  expect(b.certificate.dual).toBeLessThanOrEqual(a.certificate.primal);
  if (rel !== undefined)
    expect(Math.abs(a.certificate.primal - b.certificate.primal)).toBeLessThan(
      rel * b.certificate.primal,
    );
}
