/**
 * The cheap numerical criticality test: scan σ_w², measure the APJN of short finite networks,
 * and return the σ_w² where J^{0,l} neither grows nor decays exponentially with depth.
 *
 * For each σ_w² and each network seed, log J^{0,l} over l ∈ [fitFrom, L] is fitted by a line
 * a + r·l: r estimates log χ_J, the exponential rate. (Adding a c·log l term to the same fit makes
 * r unidentifiable at depth 20: l and log l are nearly collinear there.) The critical point is the
 * root of r(σ_w²): bracketed on a log-spaced scan, then located by weighted least squares of r
 * against log σ_w² at points inside the bracket (weights from the seed-to-seed spread), with its
 * standard error by the delta method. At the root, log J = a − ζ log l is fitted (J ∝ l^{−ζ}).
 * If every scanned rate is within noise of a power law (|r| ≤ max(3 s.e., 2/l̄), l̄ the mean fitted
 * layer: no exponential growth or decay distinguishable from l^{±2}), the architecture is
 * reported critical everywhere.
 * Nothing here needs a closed-form theory, so it works for any architecture.
 */
import { InputError } from "../errors.js";
import type { Architecture } from "../nets/network.js";
import { fitLine } from "../theory/recurrence.js";
import { type MeasureOptions, measureApjn } from "./apjn-profile.js";

export interface InitSearchOptions extends Omit<MeasureOptions, "onProgress" | "l0"> {
  /** σ_w² scan range (log-spaced) */
  range: [number, number];
  /** points of the coarse scan */
  scanPoints: number;
  /** points of the refinement inside the bracket */
  refinePoints: number;
  /** first layer of the fit (default: a quarter of the depth, skipping the variance transient) */
  fitFrom?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RatePoint {
  sigmaW2: number;
  /** fitted exponential rate r ≈ log χ_J per layer (mean over seeds) */
  rate: number;
  rateStderr: number;
}

export interface InitSearchResult {
  /** the critical σ_w² (when `everywhere`: the scan's geometric midpoint, where ζ is measured) */
  sigmaW2: number;
  sigmaW2Stderr: number;
  /** J ∝ l^{−ζ} at sigmaW2 */
  exponent: number;
  exponentStderr: number;
  /** true when every scanned σ_w² is critical within errors (no exponential growth or decay) */
  everywhere: boolean;
  scan: RatePoint[];
  refine: RatePoint[];
  /**
   * Cost in forward-pass equivalents of the whole network for one input: each measured input
   * costs one forward pass plus one tangent pass per probe. (Training for one epoch on n samples
   * costs about 3n.)
   */
  passes: number;
}

/** Least squares of y on the columns of X (rows of X are samples), weighted by w. */
function weightedLeastSquares(
  X: number[][],
  y: number[],
  w: number[],
): { beta: number[]; cov: number[][] } {
  const p = X[0]!.length;
  const A = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  X.forEach((row, i) => {
    for (let j = 0; j < p; j++) {
      b[j]! += w[i]! * row[j]! * y[i]!;
      for (let k = 0; k < p; k++) A[j]![k]! += w[i]! * row[j]! * row[k]!;
    }
  });
  const inv = invert(A);
  return { beta: inv.map((r) => r.reduce((s, v, k) => s + v * b[k]!, 0)), cov: inv };
}

/** Gauss–Jordan inverse of a small symmetric positive-definite matrix. */
function invert(A: number[][]): number[][] {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    const d = M[c]![c]!;
    for (let k = 0; k < 2 * n; k++) M[c]![k]! /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]!;
      for (let k = 0; k < 2 * n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((r) => r.slice(n));
}

/** Least-squares slope of log J^{0,l} over l ∈ [from, L] against x(l) (l for a rate, log l for a power law). */
export function fitSlope(
  logJ: Float64Array,
  layers: number[],
  from: number,
  x: (l: number) => number,
): number {
  const keep = layers.flatMap((l, i) => (l >= from ? [i] : []));
  return fitLine(
    keep.map((i) => x(layers[i]!)),
    keep.map((i) => logJ[i]!),
  ).slope;
}

/** A quarter of the depth (at least 2): skips the transient of q^l towards q*. */
const defaultFitFrom = (depth: number) => Math.max(2, Math.floor(depth / 4));

const meanSem = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
  return { mean: m, sem: Math.sqrt(v / xs.length) };
};

export async function initSearch(
  archFor: (sigmaW2: number) => Architecture,
  o: InitSearchOptions,
): Promise<InitSearchResult> {
  const [lo, hi] = o.range;
  if (!(lo > 0 && hi > lo)) throw new InputError("range", `need 0 < min < max, got ${lo},${hi}`);
  const depth = archFor(lo).blocks.length;
  const from = o.fitFrom ?? defaultFitFrom(depth);
  if (depth - from < 2)
    throw new InputError(
      "depth",
      `the rate is fitted over layers ${from}…L: needs depth ≥ ${from + 2}, got ${depth}`,
    );
  const total = (o.scanPoints + o.refinePoints + 1) * o.seeds.length;
  let done = 0;
  let passes = 0;
  const profile = async (sigmaW2: number) => {
    const prof = await measureApjn(archFor(sigmaW2), {
      ...o,
      l0: 0,
      onProgress: () => o.onProgress?.(++done, total),
    });
    passes += o.seeds.length * o.inputs * (1 + o.probes);
    return { prof };
  };
  const rateAt = async (sigmaW2: number): Promise<RatePoint> => {
    const { prof } = await profile(sigmaW2);
    const from = o.fitFrom ?? defaultFitFrom(prof.layers.length);
    const rates = prof.perSeed.map((s) => fitSlope(s, prof.layers, from, (l) => l));
    const { mean, sem } = meanSem(rates);
    if (!Number.isFinite(mean))
      throw new InputError(
        "--range",
        `the finite networks' APJN is not finite at σ_w² = ${sigmaW2.toPrecision(4)} (values over- or underflow in ${o.dtype ?? "float32"}): narrow --range or use --dtype float64`,
      );
    return { sigmaW2, rate: mean, rateStderr: sem };
  };
  const grid = Array.from(
    { length: o.scanPoints },
    (_, i) => lo * (hi / lo) ** (i / (o.scanPoints - 1)),
  );
  const scan: RatePoint[] = [];
  for (const s of grid) scan.push(await rateAt(s));
  const cross = scan.findIndex((p, i) => i > 0 && scan[i - 1]!.rate < 0 && p.rate >= 0);
  const meanLayer = (from + depth) / 2;
  const flat = scan.every((p) => Math.abs(p.rate) <= Math.max(3 * p.rateStderr, 2 / meanLayer));
  if (cross < 0 && !flat) {
    const r = scan.map((p) => p.rate.toFixed(3)).join(", ");
    throw new InputError(
      "range",
      `the APJN rate log χ_J does not cross 0 for σ_w² in [${lo}, ${hi}] (rates: ${r}); widen the range`,
    );
  }
  let sigmaW2: number;
  let sigmaW2Stderr: number;
  const refine: RatePoint[] = [];
  if (cross < 0) {
    sigmaW2 = Math.sqrt(lo * hi);
    sigmaW2Stderr = Number.NaN;
  } else {
    const a = Math.log(scan[cross - 1]!.sigmaW2);
    const b = Math.log(scan[cross]!.sigmaW2);
    for (let i = 0; i < o.refinePoints; i++)
      refine.push(await rateAt(Math.exp(a + ((b - a) * (i + 0.5)) / o.refinePoints)));
    const pts = [scan[cross - 1]!, ...refine, scan[cross]!];
    const floor = Math.max(...pts.map((p) => p.rateStderr)) * 0.1 + 1e-9;
    const { beta, cov } = weightedLeastSquares(
      pts.map((p) => [1, Math.log(p.sigmaW2)]),
      pts.map((p) => p.rate),
      pts.map((p) => 1 / (p.rateStderr + floor) ** 2),
    );
    const [c0, c1] = beta as [number, number];
    const logRoot = -c0 / c1;
    // δ(−c0/c1) = −δc0/c1 + c0 δc1/c1²
    const g = [-1 / c1, c0 / (c1 * c1)];
    const varLog =
      g[0]! ** 2 * cov[0]![0]! + 2 * g[0]! * g[1]! * cov[0]![1]! + g[1]! ** 2 * cov[1]![1]!;
    sigmaW2 = Math.exp(logRoot);
    sigmaW2Stderr = sigmaW2 * Math.sqrt(varLog);
  }
  const { prof } = await profile(sigmaW2);
  const zetas = prof.perSeed.map((s) => -fitSlope(s, prof.layers, from, Math.log));
  const z = meanSem(zetas);
  return {
    sigmaW2,
    sigmaW2Stderr,
    exponent: z.mean,
    exponentStderr: z.sem,
    everywhere: cross < 0,
    scan,
    refine,
    passes,
  };
}
