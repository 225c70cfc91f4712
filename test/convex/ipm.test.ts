import { describe, expect, it } from "vitest";
import { admm } from "../../src/convex/admm.js";
import { certificate } from "../../src/convex/certificate.js";
import { interiorPoint, newtonSystem } from "../../src/convex/ipm.js";
import { gram, matrix, timesTransposed, transpose } from "../../src/convex/linalg.js";
import { hinge, logistic, squared } from "../../src/convex/losses.js";
import { enumeratePatterns, samplePatterns } from "../../src/convex/patterns.js";
import {
  type ConvexProblem,
  coneFromActivations,
  coneViolation,
  convexObjective,
  groupActivations,
  lambdaMax,
  predictFromActivations,
  withoutZeroColumns,
} from "../../src/convex/problem.js";
import { iris } from "../../src/data/datasets.js";
import { Rng } from "../../src/rng.js";
import { expectSameOptimum, tinyData } from "./helpers.js";

describe("Newton-matrix kernels against naive triple loops", () => {
  it("timesTransposed (full and lower triangle, sizes off the 4 × 4 tiles) and the weighted Gram matrix Xᵀ diag(w) X", () => {
    const rng = new Rng(3);
    for (const [m, r, k] of [
      [1, 1, 1],
      [5, 7, 3],
      [9, 9, 13],
      [12, 8, 50],
    ] as const) {
      const A = rng.normals(m * k);
      const B = rng.normals(r * k);
      const naive = (a: number, b: number) => {
        let v = 0;
        for (let j = 0; j < k; j++) v += A[a * k + j]! * B[b * k + j]!;
        return v;
      };
      const full = timesTransposed(A, B, m, r, k, new Float64Array(m * r));
      const lower = timesTransposed(A, B, m, r, k, new Float64Array(m * (r + 2)), true, r + 2);
      for (let a = 0; a < m; a++)
        for (let b = 0; b < r; b++) {
          expect(Math.abs(full[a * r + b]! - naive(a, b))).toBeLessThan(1e-12 * k);
          if (b <= a)
            expect(Math.abs(lower[a * (r + 2) + b]! - naive(a, b))).toBeLessThan(1e-12 * k);
        }
    }
    const X = matrix(11, 6, rng.normals(66));
    const w = rng.normals(11).map(Math.abs);
    const G = gram(X, w, matrix(6, 6), transpose(X));
    for (let a = 0; a < 6; a++)
      for (let b = 0; b < 6; b++) {
        let v = 0;
        for (let i = 0; i < 11; i++) v += w[i]! * X.data[i * 6 + a]! * X.data[i * 6 + b]!;
        expect(Math.abs(G.data[a * 6 + b]! - v)).toBeLessThan(1e-12);
      }
  });
});

describe("interior-point solver against independent solvers", () => {
  const { X, y } = tinyData(3, 30, 4);
  const p: ConvexProblem = {
    X,
    y,
    patterns: samplePatterns(X, 10, new Rng(1)),
    lambda: 0.5,
    loss: squared,
    gated: false,
  };

  it("logistic loss (labels ±1): agrees with ADMM to 1e-6, both certified", () => {
    const q = { ...p, y: y.map((v) => (v >= 0 ? 1 : -1)), loss: logistic, lambda: 0.2 };
    const r = interiorPoint(q, { tol: 1e-6 });
    const a = admm(q, { tol: 1e-8, maxIter: 20000 });
    expect(r.converged).toBe(true);
    expect(r.certificate.relGap).toBeLessThanOrEqual(1e-6);
    expectSameOptimum(r, a, 1e-6);
  });

  it("exactly enumerated patterns (n = 12, d = 3): certifies 1e-6 and equals ADMM's optimum certified to 1e-9", () => {
    const t = tinyData(5, 12, 2);
    const e: ConvexProblem = {
      ...t,
      patterns: enumeratePatterns(t.X),
      lambda: 0.05,
      loss: squared,
      gated: false,
    };
    const r = interiorPoint(e, { tol: 1e-6 });
    const a = admm(e, { tol: 1e-9, maxIter: 50000 });
    expect(r.converged).toBe(true);
    expect(a.converged).toBe(true);
    expect(r.certificate.dual).toBeLessThanOrEqual(a.certificate.primal);
    expect(Math.abs(r.certificate.primal - a.certificate.primal)).toBeLessThan(
      1e-6 * a.certificate.primal,
    );
  });

  it("the two Woodbury forms of the Newton system (n × n over samples, Pd × Pd over weights) solve it alike", () => {
    const t = tinyData(4, 40, 4);
    for (const loss of [squared, logistic]) {
      const q: ConvexProblem = {
        ...t,
        y: t.y.map((v) => (v >= 0 ? 1 : -1)),
        patterns: samplePatterns(t.X, 5, new Rng(2)),
        lambda: 0.3,
        loss,
        gated: false,
      };
      const { rows: n, cols: d } = q.X;
      const P = q.patterns.count;
      const u = new Float64Array(2 * P * d);
      for (let g = 0; g < 2 * P; g++)
        for (let j = 0; j < d; j++)
          u[g * d + j] = (0.01 + 0.02 * g) * q.patterns.gates[(g % P) * d + j]!;
      const xu = groupActivations(q, u);
      const st = { u, fu: predictFromActivations(q, xu), slack: coneFromActivations(q, xu) };
      const weights = st.slack.map((v, j) => (1 + (j % n)) / v);
      const grad = new Rng(7).normals(2 * P * d);
      const a = newtonSystem(q, st, 10, weights, "samples").solve(grad);
      const b = newtonSystem(q, st, 10, weights, "weights").solve(grad);
      const scale = Math.max(...a.map(Math.abs));
      for (let j = 0; j < a.length; j++) expect(Math.abs(a[j]! - b[j]!)).toBeLessThan(1e-9 * scale);
    }
  });

  it("the weights form stays accurate near the optimum: certifies 1e-8 where the explicit inverse of H_v⁻¹ + H_w⁻¹ stalled, and meets the samples form's optimum", () => {
    // n = 120, d = 5, P = 10 (P·d < n, the weights form's regime), λ = 0.1 λ_max, labels ±1: the
    // form that inverted K_i = H_v⁻¹ + H_w⁻¹ explicitly ran out its 200 Newton steps at relative
    // gaps 1.4e-7 … 6.5e-7 on all three seeds; block Cholesky needs 14–19.
    for (const seed of [1, 2, 3]) {
      const t = tinyData(seed, 120, 4);
      const atOne: ConvexProblem = {
        ...t,
        y: t.y.map((v) => (v >= 0 ? 1 : -1)),
        patterns: samplePatterns(t.X, 10, new Rng(seed)),
        lambda: 1,
        loss: squared,
        gated: false,
      };
      const q = { ...atOne, lambda: 0.1 * lambdaMax(atOne) };
      const w = interiorPoint(q, { tol: 1e-8, maxIter: 200, form: "weights" });
      const s = interiorPoint(q, { tol: 1e-8, maxIter: 200, form: "samples" });
      expect(w.converged, `seed ${seed}`).toBe(true);
      expect(w.iterations).toBeLessThanOrEqual(40);
      expect(s.converged).toBe(true);
      expectSameOptimum(w, s, 2e-8);
    }
  });

  it("an explicit small iteration budget ends unconverged with the gap it reached; a smooth loss is required", () => {
    const r = interiorPoint(p, { tol: 1e-12, maxIter: 3 });
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(3);
    expect(r.certificate.relGap).toBeGreaterThan(1e-12);
    expect(() => interiorPoint({ ...p, loss: { ...squared, curvature: undefined } })).toThrow(
      expect.objectContaining({ field: "solver" }),
    );
  });
});

describe("interior point, hinge loss (epigraph primal-dual) against ADMM", () => {
  it("iris, 20 pattern draws, λ = 0.1 λ_max: certifies 1e-6 in < 40 Newton steps; ADMM (1e-6) agrees to 1e-6, each dual below the other's primal", () => {
    const data = iris();
    const base: ConvexProblem = {
      X: data.X,
      y: data.y,
      patterns: samplePatterns(data.X, 20, new Rng(0).split()),
      lambda: 1,
      loss: hinge,
      gated: false,
    };
    const p = { ...base, lambda: 0.1 * lambdaMax(base) };
    const r = interiorPoint(p, { tol: 1e-6 });
    // Measured: 25 steps, relative gap 1.2e-7; ADMM (β = 10, α = 1.8, ρ₀ = 10) 4150 iterations,
    // objectives 45.4419762 vs 45.4419780.
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThan(40);
    expect(r.certificate.violation).toBe(0);
    const a = admm(p, { tol: 1e-6, maxIter: 20000, beta: 10, alpha: 1.8, rho: 10 });
    expect(a.converged).toBe(true);
    expectSameOptimum(r, a, 1e-6);
  });
});

describe("zero columns of X (constant features, e.g. digits' blank pixels)", () => {
  // X with a zero column inserted at position 1 (of d = 5 + 1).
  const t = tinyData(6, 40, 4);
  const d = t.X.cols + 1;
  const data = new Float64Array(t.X.rows * d);
  for (let k = 0; k < t.X.rows; k++)
    for (let j = 0; j < d; j++)
      data[k * d + j] = j === 1 ? 0 : t.X.data[k * t.X.cols + j - (j > 1 ? 1 : 0)]!;
  const X = { rows: t.X.rows, cols: d, data };
  const p: ConvexProblem = {
    X,
    y: t.y,
    patterns: samplePatterns(X, 6, new Rng(3)),
    lambda: 0.4,
    loss: squared,
    gated: false,
  };
  const r = withoutZeroColumns(p)!;

  it("the reduced problem has the same patterns, and at the mapped point the same objective, cone slacks and certificate", () => {
    expect(r.reduced.X.cols).toBe(d - 1);
    expect(withoutZeroColumns(r.reduced)).toBeUndefined();
    const { rows: n } = X;
    const P = p.patterns.count;
    const gx = groupActivations({ ...r.reduced, gated: true }, r.reduced.patterns.gates);
    for (let i = 0; i < P; i++)
      for (let k = 0; k < n; k++)
        expect(gx[i * n + k]! >= 0 ? 1 : 0).toBe(p.patterns.masks[i * n + k]);
    const rng = new Rng(4);
    const small = rng.normals(2 * P * (d - 1), 0.1);
    const u = r.expand(small);
    for (let g = 0; g < 2 * P; g++) expect(u[g * d + 1]).toBe(0);
    expect(r.restrict(u)).toEqual(small);
    expect(convexObjective(r.reduced, small)).toBeCloseTo(convexObjective(p, u), 12);
    expect(coneViolation(r.reduced, small)).toBeCloseTo(coneViolation(p, u), 12);
    const theta = rng.normals(n);
    const mu = rng.normals(2 * P * n).map(Math.abs);
    const a = certificate(p, u, theta, mu);
    const b = certificate(r.reduced, small, theta, mu);
    expect(b.dual).toBeCloseTo(a.dual, 10);
    expect(b.primal).toBeCloseTo(a.primal, 10);
    // a nonzero entry in the zero column only adds to the group norms
    const off = Float64Array.from(u);
    off[1] = 0.5;
    expect(convexObjective(p, off)).toBeCloseTo(
      convexObjective(p, u) +
        p.lambda * (Math.hypot(...off.subarray(0, d)) - Math.hypot(...u.subarray(0, d))),
      12,
    );
  });

  it("interiorPoint solves the reduced problem: certified, zero in the zero column, the optimum of the problem without that column", () => {
    const full = interiorPoint(p, { tol: 1e-8 });
    expect(full.converged).toBe(true);
    expect(full.u).toHaveLength(2 * p.patterns.count * d);
    for (let g = 0; g < 2 * p.patterns.count; g++) expect(full.u[g * d + 1]).toBe(0);
    expect(full.certificate.primal).toBeCloseTo(convexObjective(p, full.u), 10);
    expect(coneViolation(p, full.u)).toBeLessThanOrEqual(0);
    // an independent solver on the problem with the column removed by hand (X = t.X)
    const P = p.patterns.count;
    const gates = Float64Array.from({ length: P * (d - 1) }, (_, j) => {
      const [i, a] = [Math.floor(j / (d - 1)), j % (d - 1)];
      return p.patterns.gates[i * d + a + (a >= 1 ? 1 : 0)]!;
    });
    const a = admm(
      { ...p, X: t.X, patterns: { ...p.patterns, gates } },
      { tol: 1e-9, maxIter: 50000 },
    );
    expect(a.converged).toBe(true);
    expectSameOptimum(full, a);
  });
});
