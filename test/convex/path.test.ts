import { describe, expect, it } from "vitest";
import { admm } from "../../src/convex/admm.js";
import { interiorPoint } from "../../src/convex/ipm.js";
import { type LossName, losses } from "../../src/convex/losses.js";
import { activeNeurons, lambdaPath, logGrid } from "../../src/convex/path.js";
import { samplePatterns } from "../../src/convex/patterns.js";
import { type ConvexProblem, lambdaMax } from "../../src/convex/problem.js";
import { Rng } from "../../src/rng.js";
import { tinyData } from "./helpers.js";

/** n = 30 Gaussian points in R³ (+ bias), 10 sampled patterns; ±1 labels for classification losses. */
function problem(seed: number, loss: LossName, fraction: number): ConvexProblem {
  const { X, y } = tinyData(seed, 30, 3);
  const labels = loss === "squared" ? y : y.map((v) => (v > 0 ? 1 : -1));
  const patterns = samplePatterns(X, 10, new Rng(seed + 100));
  const p = { X, y: labels, patterns, lambda: 1, loss: losses[loss], gated: false };
  return { ...p, lambda: fraction * lambdaMax(p) };
}

const totalIterations = (path: ReturnType<typeof lambdaPath>) =>
  path.points.reduce((s, q) => s + q.result.iterations, 0);

describe("logGrid", () => {
  it("exact endpoints and a constant ratio", () => {
    const g = logGrid(50, 0.05, 4);
    expect(g[0]).toBe(50);
    expect(g[3]).toBe(0.05);
    for (let j = 1; j < 4; j++) expect(g[j]! / g[j - 1]!).toBeCloseTo(0.1, 12);
  });
});

describe("activeNeurons", () => {
  it("counts groups whose λ‖u_g‖ is above the tolerance × objective", () => {
    const p = problem(1, "squared", 0.1);
    const d = p.X.cols;
    const u = new Float64Array(2 * p.patterns.count * d);
    expect(activeNeurons(p, u)).toBe(0);
    u[0] = 1; // group 0, norm 1
    u[3 * d + 1] = 1e-13; // group 3: 1e-13 of the first
    expect(activeNeurons(p, u)).toBe(1);
    expect(activeNeurons(p, u, 1e-16)).toBe(2);
  });
});

describe("lambdaPath", () => {
  it("λ_max: u = 0, no active neuron, objective ℓ(0) (½‖y‖², n log 2) certified; just below λ_max it is not 0", () => {
    for (const [loss, l0] of [
      ["squared", (y: Float64Array) => 0.5 * y.reduce((s, v) => s + v * v, 0)],
      ["logistic", (y: Float64Array) => y.length * Math.log(2)],
    ] as const) {
      const p = problem(2, loss, 0.5);
      for (const solver of ["ipm", "admm"] as const) {
        const path = lambdaPath(p, { count: 2, solver, maxIter: 50_000 });
        const [top, below] = path.points;
        expect(top!.lambda).toBe(lambdaMax(p));
        expect(top!.result.converged).toBe(true);
        expect(top!.activeNeurons).toBe(0);
        expect(top!.result.certificate.primal).toBeCloseTo(l0(p.y), 6);
        expect(below!.activeNeurons).toBeGreaterThan(0);
        expect(below!.result.certificate.primal).toBeLessThan(l0(p.y) * (1 - 1e-3));
      }
    }
  });

  it("hinge: the interior point by default, ADMM on request; at λ_max u = 0 with objective n (hinge at 0) certified", () => {
    const p = problem(2, "hinge", 0.5);
    for (const solver of [undefined, "admm"] as const) {
      const path = lambdaPath(p, { count: 2, maxIter: 2000, ...(solver ? { solver } : {}) });
      expect(path.solver).toBe(solver ?? "ipm");
      const top = path.points[0]!;
      expect(top.result.converged).toBe(true);
      expect(top.activeNeurons).toBe(0);
      expect(top.result.certificate.primal).toBeCloseTo(p.X.rows, 6);
    }
  });

  it("λ above λ_max: interior point and ADMM return u = 0 (no active neuron)", () => {
    const p = problem(3, "squared", 2);
    for (const r of [interiorPoint(p), admm(p, { maxIter: 50_000 })]) {
      expect(r.converged).toBe(true);
      expect(activeNeurons(p, r.u)).toBe(0);
    }
  });

  it("every warm-started point equals a cold solve at its λ (1e-6 relative, both certified)", () => {
    for (const loss of ["squared", "logistic"] as const) {
      const p = problem(2, loss, 0.01);
      const path = lambdaPath(p, { count: 5, tol: 1e-7 });
      expect(path.solver).toBe("ipm");
      expect(path.warmStart).toBe(true);
      for (const q of path.points) {
        const cold = interiorPoint({ ...p, lambda: q.lambda }, { tol: 1e-7 });
        expect(q.result.converged && cold.converged).toBe(true);
        const [a, b] = [q.result.certificate.primal, cold.certificate.primal];
        expect(Math.abs(a - b)).toBeLessThan(1e-6 * b);
      }
    }
  });

  it("the ADMM path (warm: split variables, duals, ρ) meets the interior point's optimum at every λ", () => {
    const p = problem(4, "squared", 0.05);
    const path = lambdaPath(p, { count: 4, solver: "admm", tol: 1e-7, maxIter: 100_000 });
    for (const q of path.points) {
      const ipm = interiorPoint({ ...p, lambda: q.lambda }, { tol: 1e-7 });
      expect(q.result.converged && ipm.converged).toBe(true);
      const [a, b] = [q.result.certificate.primal, ipm.certificate.primal];
      expect(Math.abs(a - b)).toBeLessThan(1e-6 * b);
    }
  });

  it("interior point: warm starts take fewer Newton steps over the path than cold solves", () => {
    // measured totals over seeds 1–4, squared and logistic (6 points down to 0.01 λ_max, tol 1e-7):
    // 657 warm vs 739 cold, every case fewer (src/convex/ipm.ts, START_BLEND)
    for (const loss of ["squared", "logistic"] as const)
      for (const seed of [2, 3]) {
        const p = problem(seed, loss, 0.01);
        const [warm, cold] = [true, false].map((warmStart) =>
          lambdaPath(p, { count: 6, tol: 1e-7, warmStart }),
        );
        expect(totalIterations(warm!)).toBeLessThan(totalIterations(cold!));
      }
  });

  it("bad input names the field", () => {
    const p = problem(1, "squared", 0.1);
    expect(() => lambdaPath(p, { count: 1 })).toThrow(expect.objectContaining({ field: "count" }));
    expect(() => lambdaPath({ ...p, lambda: lambdaMax(p) }, { count: 3 })).toThrow(
      expect.objectContaining({ field: "lambda" }),
    );
    const state = admm(p, { maxIter: 10 }).state;
    expect(() =>
      admm(problem(1, "squared", 0.1), { warmStart: { ...state, v: state.v.subarray(1) } }),
    ).toThrow(expect.objectContaining({ field: "warmStart" }));
  });
});
