/**
 * Phase diagrams over (σ_w², σ_b²): at each grid point the MLP block is iterated `depth` times
 * from q^0, accumulating log J^{0,L}; log χ_J at the last layer (≈ at q*) labels the phase.
 *
 * Speed comes from two exact shortcuts: the activation's single-variance maps are read from an
 * interpolation table (./tabulate.ts), and a point stops iterating once q^l has converged
 * (|q^{l+1} − q^l| ≤ 1e-15 q^l): every later layer multiplies J by the same χ_J, so
 * log J^{0,L} = log J^{0,l} + (L − l) log χ_J. A point whose q^l overflows stops there (see
 * PhaseGrid.overflowPoints).
 */
import type { Activation } from "./activations.js";
import { gaussianKernel, type KernelLayer } from "./kernel.js";
import { GaussianTable } from "./tabulate.js";

export const PHASES = ["ordered", "critical", "chaotic"] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseGrid {
  sigmaW2: Float64Array;
  sigmaB2: Float64Array;
  depth: number;
  /** row-major [iB][iW]: log χ_J at layer L−1 */
  logChi: Float64Array;
  /** log J^{0,L} */
  logJ: Float64Array;
  /** q^L */
  q: Float64Array;
  /** index into PHASES (see phaseOf) */
  phase: Uint8Array;
  /**
   * Grid points where q^l left the float64 range before depth L: there q = ∞, log J = NaN, and
   * log χ_J and the phase are those of the last finite layer.
   */
  overflowPoints: number;
}

/**
 * ordered (0), critical (1) or chaotic (2): critical when |log χ_J| · L ≤ 2, i.e. over the last
 * layers J changes no faster than a power law l^{±2} would at depth L (χ_J^l = 1 − ζ/l there).
 */
export function phaseOf(logChi: number, depth: number): number {
  return Math.abs(logChi) * depth <= 2 ? 1 : logChi < 0 ? 0 : 2;
}

const CONVERGED = 1e-15;

function allocate(
  sigmaW2: ArrayLike<number>,
  sigmaB2: ArrayLike<number>,
  depth: number,
): PhaseGrid {
  const n = sigmaW2.length * sigmaB2.length;
  return {
    sigmaW2: Float64Array.from(sigmaW2),
    sigmaB2: Float64Array.from(sigmaB2),
    depth,
    logChi: new Float64Array(n),
    logJ: new Float64Array(n),
    q: new Float64Array(n),
    phase: new Uint8Array(n),
    overflowPoints: 0,
  };
}

/** One layer of the single-input recurrence: writes q^{l+1} to out[0] and χ_J^l to out[1]. */
type VarianceStep = (q: number, out: Float64Array) => void;

/**
 * Iterates every grid point's step `depth` times from q^0 (with the early exit described above)
 * and stores q^L, log J^{0,L}, log χ_J and the phase.
 */
function sweep(
  sigmaW2: ArrayLike<number>,
  sigmaB2: ArrayLike<number>,
  depth: number,
  q0: number,
  stepAt: (sigmaW2: number, sigmaB2: number) => VarianceStep,
): PhaseGrid {
  const grid = allocate(sigmaW2, sigmaB2, depth);
  const out = new Float64Array(2);
  const nw = sigmaW2.length;
  for (let ib = 0; ib < sigmaB2.length; ib++) {
    for (let iw = 0; iw < nw; iw++) {
      const step = stepAt(sigmaW2[iw]!, sigmaB2[ib]!);
      let q = q0;
      let logJ = 0;
      let logChi = 0;
      for (let l = 0; l < depth; l++) {
        step(q, out);
        logChi = Math.log(out[1]!);
        logJ += logChi;
        const converged = Math.abs(out[0]! - q) <= CONVERGED * q;
        q = out[0]!;
        if (!(q < Number.POSITIVE_INFINITY && Number.isFinite(logChi))) {
          // q^{l+1} overflows: no Gaussian expectation at q = ∞, so this point stops here
          q = Number.POSITIVE_INFINITY;
          logJ = Number.NaN;
          if (!Number.isFinite(logChi)) logChi = Number.NaN;
          grid.overflowPoints++;
          break;
        }
        if (converged) {
          logJ += (depth - 1 - l) * logChi;
          break;
        }
      }
      const i = ib * nw + iw;
      grid.q[i] = q;
      grid.logJ[i] = logJ;
      grid.logChi[i] = logChi;
      grid.phase[i] = phaseOf(logChi, depth);
    }
  }
  return grid;
}

/**
 * Generic phase diagram for any block family (LayerNorm, residual, …):
 * `blockFor(σ_w², σ_b²)` builds the block; its activation should be `tabulated` for speed.
 */
export function phaseDiagram(
  blockFor: (sigmaW2: number, sigmaB2: number) => KernelLayer,
  sigmaW2: ArrayLike<number>,
  sigmaB2: ArrayLike<number>,
  depth: number,
  q0 = 1,
): PhaseGrid {
  return sweep(sigmaW2, sigmaB2, depth, q0, (sw2, sb2) => {
    const block = blockFor(sw2, sb2);
    return (q, out) => {
      const s = block.map(gaussianKernel(q));
      out[0] = s.kernel.q1;
      out[1] = s.chi;
    };
  });
}

/**
 * The plain MLP h' = W φ(h) + b, specialized: q' = σ_w² E[φ(u)²] + σ_b², χ_J = σ_w² E[φ′(u)²]
 * with both expectations from one table lookup. Equal to `phaseDiagram(mlpBlock…)` (tested).
 */
export function mlpPhaseDiagram(
  phi: Activation,
  sigmaW2: ArrayLike<number>,
  sigmaB2: ArrayLike<number>,
  depth: number,
  q0 = 1,
): PhaseGrid {
  const moments = phi.closedForm
    ? (q: number, m: Float64Array) => {
        m[0] = phi.secondMoment(q);
        m[1] = phi.derivSecondMoment(q);
      }
    : tableLookup(phi);
  const m = new Float64Array(2);
  return sweep(sigmaW2, sigmaB2, depth, q0, (sw2, sb2) => (q, out) => {
    moments(q, m);
    out[0] = sw2 * m[0]! + sb2;
    out[1] = sw2 * m[1]!;
  });
}

function tableLookup(phi: Activation): (q: number, out: Float64Array) => void {
  const table = new GaussianTable(phi, ["secondMoment", "derivSecondMoment"]);
  return (q, out) => table.lookup(q, out);
}

/** Evenly spaced values from a to b inclusive. */
export function linspace(a: number, b: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
}

/** n values from a to b, denser near a (quadratic spacing): resolves a critical line's steep start. */
export function quadspace(a: number, b: number, n: number): Float64Array {
  return Float64Array.from(
    { length: n },
    (_, i) => a + (b - a) * (n === 1 ? 0 : (i / (n - 1)) ** 2),
  );
}
