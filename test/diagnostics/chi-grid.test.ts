/**
 * The empirical χ_J grid against the infinite-width recurrence (an independent computation:
 * Gauss–Hermite moments, no sampling), and the worker threads against the calling thread.
 */
import { afterAll, describe, expect, it } from "vitest";
import { chiGrid } from "../../src/diagnostics/chi-grid.js";
import { shutdownJax } from "../../src/nets/jax.js";
import { MeasurePool } from "../../src/node/parallel.js";

afterAll(shutdownJax);

const small = {
  activation: "erf",
  width: 128,
  depth: 12,
  sigmaW2: [0, 1.5, 3],
  sigmaB2: [0, 0.6, 1.2],
  networks: 4,
  inputs: 1,
  probes: 8,
  seed: 0,
  q0: 1,
};

describe("chiGrid (3×3, width 128, depth 12)", () => {
  for (const mu of [0, 0.9]) {
    it(`μ = ${mu}: every point within 4 s.e. + 3 % (finite width) of the theory`, async () => {
      const pool = new MeasurePool(0);
      const r = await chiGrid({ ...small, mu }, pool);
      expect(r.points).toHaveLength(9);
      expect(r.from).toBe(6);
      for (const p of r.points) {
        expect(Math.abs(p.chi - p.theory)).toBeLessThanOrEqual(4 * p.chiStderr + 0.03 * p.theory);
        if (p.sigmaW2 > 0) expect(p.chiStderr).toBeGreaterThan(0);
      }
      // σ_w² = 0: h' = μ h + b, so J^{l1,L} = μ^{2(L − l1)} and χ_J = μ² (exactly 0 without a
      // residual; with one, only the Hutchinson estimate of ‖μ I‖²_F fluctuates)
      for (const p of r.points.filter((q) => q.sigmaW2 === 0)) {
        expect(p.theory).toBeCloseTo(mu * mu, 12);
        if (mu === 0) expect([p.chi, p.chiStderr]).toEqual([0, 0]);
      }
      // independent draws per point: no two points share a seed
      const seeds = r.points.flatMap((p) => p.seeds);
      expect(new Set(seeds).size).toBe(seeds.length);
    });
  }

  it("two worker threads give bit-identical results to the calling thread", async () => {
    const grid = { ...small, sigmaW2: [1, 2], sigmaB2: [0.5], networks: 2, mu: 0 };
    const pool = new MeasurePool(2);
    const threaded = await chiGrid(grid, pool).finally(() => pool.close());
    const local = await chiGrid(grid, new MeasurePool(0));
    expect(threaded.points).toEqual(local.points);
  });
});
