import type { Matrix } from "../../src/convex/linalg.js";
import { designMatrix } from "../../src/data/datasets.js";
import { Rng } from "../../src/rng.js";

/** n Gaussian points in R^dim, standardized, with a bias column; targets Gaussian. */
export function tinyData(seed: number, n: number, dim: number): { X: Matrix; y: Float64Array } {
  const rng = new Rng(seed);
  const X = designMatrix(Array.from({ length: n }, () => Array.from(rng.normals(dim))));
  return { X, y: rng.normals(n) };
}
