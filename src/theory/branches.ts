/**
 * The fixed points of the variance map as σ_w² varies, read off one curve. Q(q; σ_w²) increases
 * with σ_w², so every q > 0 is a fixed point for exactly one σ_w² = S(q), the solution of
 * Q(q; σ_w²) = q (for the MLP, S(q) = (q − σ_b²)/E[φ(√q z)²]). Hence:
 * - the fixed points at σ_w² are the q with S(q) = σ_w², plus q = 0 where Q(0; ·) = 0;
 * - dS/dq = (1 − χ_q)/∂Q/∂σ_w²: a fixed point is attracting (χ_q < 1) where S increases and
 *   repelling where it decreases. The branches are the monotone pieces of S; its interior
 *   extrema are saddle-nodes, where an attracting and a repelling branch merge;
 * - along the curve χ_J(q) = χ_J(q; S(q)); its roots are each branch's critical points;
 * - from q^0, iteration at σ_w² rises when σ_w² > S(q^0) (falls when <) to the first q beyond
 *   q^0 with S(q) = σ_w² (∞ or 0 if there is none).
 * The network from q^0 changes phase where log χ_J(reached q*) changes sign as σ_w² grows: at a
 * critical point of the branch it is on (continuous), or where that branch vanishes in a
 * saddle-node or its basin boundary passes q^0 (a jump of q*: discontinuous).
 *
 * S is sampled at 12 points per decade on q ∈ [max(Q(0; 0), 1e-12), 1e12]; extrema and roots are refined
 * with `localExtrema`/`allRoots` (which also catch pairs between samples). A block family whose
 * Q and χ_J are affine in σ_w² (every `mlpBlock`: σ_w² enters only through its last dense
 * layer) gets S in closed form from two evaluations; any other is solved for σ_w² by Brent.
 */
import { Q_LARGE, varianceMap } from "./fixed-points.js";
import type { KernelLayer } from "./kernel.js";
import { allRoots, brent, localExtrema } from "./roots.js";

export const SW2_MAX = 1e4;
const Q_SMALL = 1e-12;
const PER_DECADE = 12;
const X_TOL = 1e-13;

export type Stability = "attracting" | "repelling" | "neutral";

export interface BranchCritical {
  sigmaW2: number;
  qStar: number;
}

export interface Branch {
  stability: Stability;
  /** range of q* along the branch (0: the q* = 0 branch; Infinity: q^l → ∞) */
  qStar: [number, number];
  /** σ_w² range over which the branch exists */
  sigmaW2: [number, number];
  /** points where χ_J(q*) = 1 on this branch */
  critical: BranchCritical[];
}

export interface SaddleNode {
  sigmaW2: number;
  qStar: number;
}

export interface ReachedPoint {
  qStar: number;
  chiJ: number;
  /** index into `branches` */
  branch: number;
}

export interface PhaseChange {
  sigmaW2: number;
  /** q* and χ_J move continuously through χ_J = 1 (a critical point of the reached branch) */
  continuous: boolean;
  cause: "critical point" | "saddle-node" | "basin boundary";
  /** the fixed point reached from q^0 just below and just above σ_w² */
  below: ReachedPoint;
  above: ReachedPoint;
}

export interface FixedPointBranches {
  q0: number;
  branches: Branch[];
  saddleNodes: SaddleNode[];
  /** sign changes of log χ_J(q* reached from q^0) as σ_w² grows from 0 to 1e4, in order */
  transitions: PhaseChange[];
  /** |log χ_J| < 1e-6 everywhere with no transition (e.g. LayerNorm-pre + residual μ = 1) */
  everywhere: boolean;
  /** the fixed point reached from q^0 at σ_w² */
  reachedAt(sigmaW2: number): ReachedPoint;
}

/**
 * The σ_w² ≥ 0 where an increasing function f of σ_w² reaches `target` (NaN if not below
 * SW2_MAX): the affine guess from f(0), f(1), accepted if exact, else Brent on a doubling bracket.
 */
export function solveSigmaW2(f: (sigmaW2: number) => number, target: number): number {
  const f0 = f(0);
  if (f0 >= target) return f0 === target ? 0 : Number.NaN;
  const f1 = f(1);
  const guess = (target - f0) / (f1 - f0);
  if (guess >= 0 && Number.isFinite(guess)) {
    const fg = f(guess);
    if (Math.abs(fg - target) <= 4 * Number.EPSILON * Math.abs(target)) return guess;
  }
  let lo = 0;
  let hi = 1;
  while (f(hi) < target) {
    lo = hi;
    hi *= 2;
    if (hi > 2 * SW2_MAX) return Number.NaN;
  }
  const s = brent((x) => f(x) - target, lo, hi, 1e-15 * hi);
  return s <= SW2_MAX ? s : Number.NaN;
}

/** All branches, saddle-nodes and the phase changes seen from q^0 for the family `blockFor`. */
export function fixedPointBranches(
  blockFor: (sigmaW2: number) => KernelLayer,
  q0 = 1,
): FixedPointBranches {
  const mapAt = (s: number, q: number) => varianceMap(blockFor(s))(q);
  const affine = isAffine(mapAt);
  /** S(x) and χ_J along the curve at q = e^x (χ_J NaN where S < 0) */
  const curve = (x: number): { s: number; chi: number } => {
    const q = Math.exp(x);
    const m0 = mapAt(0, q);
    const m1 = mapAt(1, q);
    if (affine) {
      const s = (q - m0.q) / (m1.q - m0.q);
      return { s, chi: s >= 0 ? m0.chi + s * (m1.chi - m0.chi) : Number.NaN };
    }
    if (m0.q > q) return { s: (q - m0.q) / (m1.q - m0.q), chi: Number.NaN };
    const s = solveSigmaW2((t) => mapAt(t, q).q, q);
    return { s, chi: Number.isNaN(s) ? Number.NaN : mapAt(s, q).chi };
  };
  const S = (x: number) => curve(x).s;

  // every fixed point has q = Q(q; σ_w²) ≥ Q(0; 0)
  const zeroFixed = mapAt(0, 0).q === 0 && mapAt(1, 0).q === 0;
  const xLo = Math.log(Math.max(mapAt(0, 0).q, Q_SMALL));
  const xHi = Math.log(Q_LARGE);
  const n = Math.ceil(((xHi - xLo) / Math.LN10) * PER_DECADE) + 1;
  const xs = Float64Array.from({ length: n }, (_, i) => xLo + ((xHi - xLo) * i) / (n - 1));
  const samples = Array.from(xs, curve);
  const ss = Float64Array.from(samples, (p) => p.s);
  const sMax = Math.max(...ss.filter(Number.isFinite));
  const sMin = Math.min(...ss.filter(Number.isFinite));
  const flat = sMax - sMin <= 1e-12 * Math.abs(sMax);

  // saddle-nodes: interior extrema of S at σ_w² ≥ 0
  const allExtrema = flat ? [] : localExtrema(S, xs, ss, X_TOL);
  const extrema = allExtrema.filter((e) => e.fx >= 0 && e.fx <= SW2_MAX);
  const saddleNodes = extrema.map((e) => ({ sigmaW2: e.fx, qStar: Math.exp(e.x) }));

  // nodes: samples plus extrema, so S is monotone between consecutive nodes
  const nodes = [
    ...Array.from(xs, (x, i) => ({ x, s: ss[i]! })),
    ...allExtrema.map((e) => ({ x: e.x, s: e.fx })),
  ].sort((a, b) => a.x - b.x);

  // finite branches: monotone pieces of S where S ≥ 0
  const branches: Branch[] = [];
  const pieceEnds: { x0: number; x1: number }[] = [];
  const firstNonNeg = nodes.findIndex((p) => p.s >= 0);
  if (firstNonNeg >= 0) {
    const xStart =
      firstNonNeg === 0
        ? nodes[0]!.x
        : brent(S, nodes[firstNonNeg - 1]!.x, nodes[firstNonNeg]!.x, X_TOL);
    const cuts = [xStart, ...extrema.map((e) => e.x).filter((x) => x > xStart), xHi];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const [x0, x1] = [cuts[k]!, cuts[k + 1]!];
      const [s0, s1] = [Math.max(S(x0), 0), S(x1)];
      const q0b = x0 === xLo && zeroFixed ? 0 : Math.exp(x0);
      const q1b = x1 === xHi ? Number.POSITIVE_INFINITY : Math.exp(x1);
      branches.push({
        stability: flat ? "neutral" : s1 > s0 ? "attracting" : "repelling",
        qStar: [q0b, q1b],
        sigmaW2: [Math.min(s0, s1), Math.max(s0, s1)],
        critical: [],
      });
      pieceEnds.push({ x0, x1 });
    }
  }

  // the q* = 0 branch (attracting below S(0+), repelling above) and its critical point
  const s0plus = ss[0]!;
  let zeroAttracting = -1;
  if (zeroFixed) {
    const sz = solveSigmaW2((s) => mapAt(s, 0).chi, 1);
    const split = Math.min(Math.max(s0plus, 0), SW2_MAX);
    const onAttracting = sz <= split * (1 + 1e-9);
    zeroAttracting = branches.length;
    branches.push({
      stability: "attracting",
      qStar: [0, 0],
      sigmaW2: [0, split],
      critical: sz >= 0 && onAttracting ? [{ sigmaW2: sz, qStar: 0 }] : [],
    });
    if (split < SW2_MAX) {
      branches.push({
        stability: "repelling",
        qStar: [0, 0],
        sigmaW2: [split, SW2_MAX],
        critical: sz >= 0 && !onAttracting ? [{ sigmaW2: sz, qStar: 0 }] : [],
      });
    }
  }

  // q^l → ∞: attracting for σ_w² above S at the top of the range
  const sTop = Math.max(ss[n - 1]!, 0);
  const divergent = branches.length;
  if (sTop < SW2_MAX) {
    const sInf = solveSigmaW2((s) => mapAt(s, Q_LARGE).chi, 1);
    branches.push({
      stability: "attracting",
      qStar: [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
      sigmaW2: [sTop, SW2_MAX],
      critical: sInf > 0 && sInf >= sTop * (1 - 1e-9) ? [{ sigmaW2: sInf, qStar: Infinity }] : [],
    });
  }

  // critical points on the finite branches: roots of χ_J(q; S(q)) − 1 where S ≥ 0
  if (firstNonNeg >= 0) {
    const valid = samples
      .map((p, i) => ({ x: xs[i]!, f: p.chi - 1 }))
      .filter((p) => Number.isFinite(p.f));
    const sz = zeroFixed ? branches[zeroAttracting]!.critical[0]?.sigmaW2 : undefined;
    const roots = allRoots(
      (x) => curve(x).chi - 1,
      valid.map((p) => p.x),
      valid.map((p) => p.f),
      X_TOL,
    );
    for (const x of roots) {
      const s = S(x);
      if (!(s >= 0 && s <= SW2_MAX)) continue;
      // a root at the bifurcation from q* = 0 is the zero branch's critical point
      if (zeroFixed && sz !== undefined && Math.abs(s - sz) <= 1e-6 * sz) continue;
      const k = pieceEnds.findIndex((p) => x >= p.x0 && x <= p.x1);
      if (k >= 0) branches[k]!.critical.push({ sigmaW2: s, qStar: Math.exp(x) });
    }
  }

  const branchOfX = (x: number) => {
    const k = pieceEnds.findIndex((p) => x >= p.x0 && x <= p.x1);
    return Math.max(k, 0);
  };
  const x0 = Math.log(q0);
  const sq0 = curve(x0).s;
  const reachedAt = (s: number): ReachedPoint => {
    let qStar: number;
    let branch: number;
    if (flat && Math.abs(s - sq0) <= 1e-12 * Math.abs(s)) {
      qStar = q0;
      branch = branchOfX(x0);
    } else if (s > sq0) {
      // rising: the first node above q^0 with S ≥ σ_w², refined inside its cell
      let prev = x0;
      const j = nodes.findIndex((p) => p.x > x0 && p.s >= s);
      if (j < 0) {
        qStar = Number.POSITIVE_INFINITY;
        branch = divergent;
      } else {
        if (j > 0 && nodes[j - 1]!.x > x0) prev = nodes[j - 1]!.x;
        const x = brent((t) => S(t) - s, prev, nodes[j]!.x, X_TOL);
        qStar = Math.exp(x);
        branch = branchOfX(x);
      }
    } else {
      const j = nodes.findLastIndex((p) => p.x < x0 && p.s <= s);
      if (j < 0) {
        qStar = 0;
        branch = Math.max(zeroAttracting, 0);
      } else {
        const next = j + 1 < nodes.length && nodes[j + 1]!.x < x0 ? nodes[j + 1]!.x : x0;
        const x = brent((t) => S(t) - s, nodes[j]!.x, next, X_TOL);
        qStar = Math.exp(x);
        branch = branchOfX(x);
      }
    }
    const chiJ = mapAt(s, Number.isFinite(qStar) ? qStar : Q_LARGE).chi;
    return { qStar, chiJ, branch };
  };

  // phase changes: log χ_J(reached) has one sign between consecutive events
  const criticalS = branches.flatMap((b) => b.critical.map((c) => c.sigmaW2));
  const saddleS = saddleNodes.map((p) => p.sigmaW2);
  const events = [...new Set([...criticalS, ...saddleS, sq0])]
    .filter((s) => s > 0 && s < SW2_MAX)
    .sort((a, b) => a - b);
  const bounds = [0, ...events, SW2_MAX];
  const signs = bounds
    .slice(1)
    .map((b, k) => Math.sign(Math.log(reachedAt(0.5 * (bounds[k]! + b)).chiJ)));
  const transitions: PhaseChange[] = [];
  for (let k = 0; k + 1 < signs.length; k++) {
    if (signs[k] === signs[k + 1] || signs[k] === 0 || signs[k + 1] === 0) continue;
    const e = events[k]!;
    const below = reachedAt(e * (1 - 1e-9));
    const above = reachedAt(e * (1 + 1e-9));
    const onBranch = [below.branch, above.branch].some((b) =>
      branches[b]?.critical.some((c) => c.sigmaW2 === e),
    );
    transitions.push({
      sigmaW2: e,
      continuous: onBranch,
      cause: onBranch ? "critical point" : saddleS.includes(e) ? "saddle-node" : "basin boundary",
      below,
      above,
    });
  }
  const tiny = (s: number) => Math.abs(Math.log(reachedAt(s).chiJ)) < 1e-6;
  const everywhere = transitions.length === 0 && tiny(1e-3) && tiny(SW2_MAX);
  return { q0, branches, saddleNodes, transitions, everywhere, reachedAt };
}

/** Whether Q(q; σ_w²) and χ_J(q; σ_w²) are affine in σ_w² (checked at a few q). */
function isAffine(mapAt: (s: number, q: number) => { q: number; chi: number }): boolean {
  return [1e-3, 1, 1e3].every((q) => {
    const [a, b, c] = [mapAt(0, q), mapAt(1, q), mapAt(2.5, q)];
    const close = (u: number, v: number) =>
      Math.abs(u - v) <= 1e-12 * Math.max(Math.abs(u), 1e-300);
    return close(c.q, a.q + 2.5 * (b.q - a.q)) && close(c.chi, a.chi + 2.5 * (b.chi - a.chi));
  });
}
