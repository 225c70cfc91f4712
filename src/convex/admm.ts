/**
 * ADMM for the convex program (Mishkin, Kumar & Pilanci 2022; Bai, Gautam & Sojoudi 2022).
 * Splitting: u = v (group lasso), Gu = s (s ≥ 0, omitted for gated ReLU), Fu = z (loss), with
 * scaled duals a, b, c and penalty ρ:
 *
 *   u ← (I + GᵀG + FᵀF)⁻¹ [(v − a) + Gᵀ(s − b) + Fᵀ(z − c)]   (factorized once, `AdmmSystem`)
 *   v ← groupShrink(u + a, λ/ρ);  s ← max(0, Gu + b);  z ← prox_{ℓ/ρ}(Fu + c)
 *   a += u − v;  b += Gu − s;  c += Fu − z.
 *
 * Every loss (squared, logistic, hinge) enters only through its prox, so the system is the same.
 * ρ is adapted by residual balancing (Boyd et al. 2011, §3.4.1); the system does not depend on ρ,
 * so no refactorization. Dual certificate: θ = −ρc, μ = −ρb.
 */
import { InputError } from "../errors.js";
import type { Certificate } from "./certificate.js";
import {
  adjoint,
  type ConvexProblem,
  coneFromActivations,
  groupActivations,
  groupCount,
  groupNorm,
  groupShrink,
  predictFromActivations,
  validateProblem,
} from "./problem.js";
import {
  certify,
  markCertificate,
  type Rounding,
  type SolveResult,
  type SolverOptions,
  type TracePoint,
} from "./result.js";
import { AdmmSystem } from "./system.js";

export interface AdmmOptions extends SolverOptions {
  /** Initial penalty (default 1). */
  rho?: number;
  /** Residual balancing of ρ (default true). */
  adaptRho?: boolean;
  /** A factorization to reuse (same X, patterns and gated flag). */
  system?: AdmmSystem;
  /** Weight β of the Gu = s and Fu = z blocks against u = v: their penalty is βρ (default 1). */
  beta?: number;
  /**
   * Over-relaxation α (Boyd et al. 2011, §3.4.3; default 1): the split and dual steps use
   * α·lhs + (1 − α)·split in place of the constraint value lhs (u, Gu or Fu).
   */
  alpha?: number;
  /** How certified iterates are made cone-feasible (default "project", see `Rounding`). */
  rounding?: Rounding;
  /**
   * Warm start: the final iterates of a solve of the same X, patterns, loss and gated flag (e.g.
   * at a larger λ, `AdmmResult.state`); `rho` is then ignored in favour of the state's ρ (the duals
   * are scaled by it). Copied, not modified.
   */
  warmStart?: AdmmState;
}

/**
 * ADMM iterates after the last iteration: split variables v, s, z, their scaled duals a, b, c
 * (scaled by ρβ for b, c and ρ for a) and the penalty ρ they are scaled by.
 */
export interface AdmmState {
  v: Float64Array;
  a: Float64Array;
  s: Float64Array;
  b: Float64Array;
  z: Float64Array;
  c: Float64Array;
  rho: number;
}

export interface AdmmResult extends SolveResult {
  /** The final iterates, to warm-start another solve (`AdmmOptions.warmStart`). */
  state: AdmmState;
}

export function admm(p: ConvexProblem, opts: AdmmOptions = {}): AdmmResult {
  validateProblem(p);
  const t0 = performance.now();
  const { tol = 1e-6, maxIter = 5000, checkEvery = 10, adaptRho = true } = opts;
  const warm = opts.warmStart;
  let rho = warm?.rho ?? opts.rho ?? 1;
  const n = p.X.rows;
  const d = p.X.cols;
  const G = groupCount(p);
  const sys = opts.system ?? new AdmmSystem(p, opts.beta ?? 1);
  const beta = sys.beta;
  const sizes = { v: G * d, a: G * d, s: p.gated ? 0 : G * n, b: p.gated ? 0 : G * n, z: n, c: n };
  if (warm)
    for (const [key, size] of Object.entries(sizes))
      if (warm[key as keyof typeof sizes].length !== size)
        throw new InputError(
          "warmStart",
          `${key} has ${warm[key as keyof typeof sizes].length} entries, the problem needs ${size} (same X, patterns and gated flag)`,
        );
  const start = (key: keyof typeof sizes) =>
    warm ? Float64Array.from(warm[key]) : new Float64Array(sizes[key]);
  const [v, a, s, b, z, c] = (["v", "a", "s", "b", "z", "c"] as const).map(start) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const zc = new Float64Array(n);
  const sb = new Float64Array(s.length);
  const scratch = new Float64Array(G * n);
  const trace: TracePoint[] = [];
  let best: { u: Float64Array; certificate: Certificate } | undefined;
  let iter = 0;
  let converged = false;
  while (iter < maxIter && !converged) {
    iter++;
    for (let k = 0; k < n; k++) zc[k] = z[k]! - c[k]!;
    for (let k = 0; k < s.length; k++) sb[k] = s[k]! - b[k]!;
    const rhs = adjoint(p, zc, p.gated ? undefined : sb, undefined, scratch);
    for (let j = 0; j < rhs.length; j++) rhs[j] = beta * rhs[j]! + v[j]! - a[j]!;
    const u = sys.solve(rhs);
    const xu = groupActivations(p, u, scratch);
    const fu = predictFromActivations(p, xu);
    const gu = p.gated ? xu : coneFromActivations(p, xu);
    trace.push({ iter, objective: p.loss.value(fu, p.y) + groupNorm(p, u) });
    opts.onIter?.(iter, trace[trace.length - 1]!.objective);

    const { primal2, dual2 } = updateSplit(
      p,
      rho,
      beta,
      opts.alpha ?? 1,
      { u, v, a },
      { gu, s, b },
      { fu, z, c },
    );
    if (adaptRho && iter % 10 === 0) {
      const r = Math.sqrt(primal2);
      const dr = rho * Math.sqrt(dual2);
      const f = r > 10 * dr ? 2 : dr > 10 * r ? 0.5 : 1;
      if (f !== 1) {
        rho *= f;
        for (const arr of [a, b, c]) for (let j = 0; j < arr.length; j++) arr[j] = arr[j]! / f;
      }
    }
    if (iter % checkEvery === 0 || iter === maxIter) {
      const theta = c.map((x) => -rho * beta * x);
      const mu = p.gated ? undefined : b.map((x) => -rho * beta * x);
      const cert = certify(p, v, theta, mu, opts.rounding);
      markCertificate(trace, cert.certificate);
      if (!best || cert.certificate.relGap < best.certificate.relGap) best = cert;
      converged = cert.certificate.relGap <= tol;
    }
  }
  if (!best) throw new Error("admm: no iterations");
  return {
    ...best,
    iterations: iter,
    converged,
    trace,
    ms: performance.now() - t0,
    state: { v, a, s, b, z, c, rho },
  };
}

interface Block {
  /** Constraint value (u, Gu or Fu). */
  lhs: Float64Array;
  /** Split variable (v, s or z). */
  split: Float64Array;
  /** Scaled dual. */
  dual: Float64Array;
}

/**
 * The split-variable and dual steps of one iteration. Returns ‖primal residual‖² and
 * ‖change of the split variables‖² (the dual residual up to the factor ρ and the constraint map).
 */
function updateSplit(
  p: ConvexProblem,
  rho: number,
  beta: number,
  alpha: number,
  group: { u: Float64Array; v: Float64Array; a: Float64Array },
  cone: { gu: Float64Array; s: Float64Array; b: Float64Array },
  fit: { fu: Float64Array; z: Float64Array; c: Float64Array },
): { primal2: number; dual2: number } {
  const blocks: Array<[Block, (x: Float64Array) => void]> = [
    [
      { lhs: group.u, split: group.v, dual: group.a },
      (x) => groupShrink(x, p.X.cols, p.lambda / rho),
    ],
    [
      { lhs: cone.gu, split: cone.s, dual: cone.b },
      (x) => {
        for (let k = 0; k < x.length; k++) x[k] = Math.max(0, x[k]!);
      },
    ],
    [
      { lhs: fit.fu, split: fit.z, dual: fit.c },
      (x) => p.loss.prox(Float64Array.from(x), p.y, 1 / (rho * beta), x),
    ],
  ];
  let primal2 = 0;
  let dual2 = 0;
  for (const [{ lhs, split, dual }, prox] of blocks) {
    const old = Float64Array.from(split);
    const relaxed = lhs.map((x, j) => alpha * x + (1 - alpha) * old[j]!);
    for (let j = 0; j < split.length; j++) split[j] = relaxed[j]! + dual[j]!;
    prox(split);
    for (let j = 0; j < split.length; j++) {
      const r = lhs[j]! - split[j]!;
      dual[j] = dual[j]! + relaxed[j]! - split[j]!;
      primal2 += r * r;
      dual2 += (split[j]! - old[j]!) ** 2;
    }
  }
  return { primal2, dual2 };
}
