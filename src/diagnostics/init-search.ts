/**
 * The cheap numerical criticality test: find the σ_w² where the APJN of a finite network neither
 * grows nor decays exponentially with depth, without any closed-form theory (any architecture).
 *
 * Rate. Probes are placed at layer l1 (default L/4, after the transient of q^l) and carried to L:
 *   r(σ_w²) = log Ĵ^{l1,L} / (L − l1),
 * with Ĵ the APJN averaged over networks, inputs and probes (the mean of ‖J v‖²/N, as the APJN is
 * defined: an average of J, not of log J). r estimates the mean log χ_J per layer.
 *
 * Common random numbers. The pilot seeds are measured at every σ_w² on the same standard-normal
 * weights (scaled by σ_w), inputs and probes, so their r̂(σ_w²) is a smooth function and its root
 * is found like a deterministic one: doubling/halving σ_w² from the middle of `range` brackets the
 * sign change, safeguarded secant steps in log σ_w² solve it (no scan once bracketed), and the last
 * secant gives the slope g of log Ĵ in log σ_w².
 *
 * One measurement per network. The other networks are added in rounds (as many as the measured
 * seed-to-seed variance says `tol` needs, at most 4× per round, at most `maxSeeds`), each network
 * measured once, at the root estimate current when it joins, and carried to the final root along
 * g (see `transportedRoot`). The standard error is the seed-to-seed one of the carried values over
 * g (delta method). Networks, not probes, are added: 1 input × 2 probes per network is near the
 * least variance per cost (the probe and the network-to-network variance are of one order).
 *
 * Control variates. Where every block has a moment rule (dense layers, optionally scaled, in
 * serial or residual blocks: MLPs), each network also returns C/Ĵ with C = Σ_k (X_{k+1} −
 * E[X_{k+1} | past]), X_k = ‖t^k‖²/N: given everything before block k, its dense weights are
 * fresh and zero-mean, so the conditional mean square of the next tangent is exact (σ_w²/N_in
 * ‖φ'(h) t‖² for h ↦ W φ(h) + b) and E[C] = 0 with no theory of the network. C carries the part of
 * Ĵ's fluctuation that each layer's weights add along the probe's direction; the root's mean is
 * Ĵ − β C with the regression β (`logMeanWithControl`), which removes about 40 % of the
 * network-to-network variance at width 256 (the rest comes from the activation pattern φ'(h)).
 *
 * Finite width vs infinite width. The root is the critical σ_w² of the finite network as built
 * (width N): that is what to initialise that network with. The theory's value is its N → ∞ limit;
 * the finite-width shift is O(1/N). With `extrapolate`, the root is also measured at width N·f
 * (independent seeds; its secant starts from width N's root) and σ_∞ = (f σ_{fN} − σ_N)/(f − 1)
 * (linear in 1/N), with s.e. √(f² se_{fN}² + se_N²)/|f − 1|.
 * The per-network variance falls about like 1/width and the cost grows like width², so a narrower
 * second width (the CLI's default f = 1/8) is cheaper than a wider one for the same s.e. of σ_∞
 * (the N·f networks cost f² each), and the error budget is split f² se_{fN}² : se_N² = f^{3/2} : 1,
 * the cheapest split under that scaling; the total cost is then ∝ (1 + f^{3/2})²/(1 − f)², 2.25 at
 * f = 1/4 and 1.42 at f = 1/8. The 1/N² term b/N² is not removed: it leaves −b/(f N²) in σ_∞.
 *
 * Cost is counted in forward-pass equivalents of the width-N network for one input: one forward
 * pass per input plus (L − l1)/L per probe tangent (carried from l1 only), times (N'/N)² for a
 * network of width N'. Host-side weight sampling is not in that count (it is in wall time).
 */
import { InputError } from "../errors.js";
import type { Architecture } from "../nets/network.js";
import { fitLine } from "../theory/recurrence.js";
import { logMeanWithControl, logMeanWithError, measureApjn } from "./apjn-profile.js";

export interface InitSearchOptions {
  /** σ_w² search range (the root must lie inside) */
  range: [number, number];
  /** first network seed; seeds are seed, seed + 1, … */
  seed: number;
  /** seeds of the pilot (bracketing) sample and of the first round */
  pilot: number;
  /** largest number of seeds at width N (at width N·f: as many as the same cost buys, if more) */
  maxSeeds: number;
  /** target standard error of the reported σ_w², relative */
  tol: number;
  inputs: number;
  probes: number;
  q0?: number;
  dtype?: "float32" | "float64";
  /** first layer l1 of the rate (default ⌊L/4⌋, at least 2) */
  fitFrom?: number;
  /** also measure at width N·factor (archFor's second argument) and extrapolate in 1/N */
  extrapolate?: { factor: number };
  /**
   * Martingale control variates (apjn.ts `controls`) in the root's estimate, where every block
   * has a moment rule (dense layers, optionally scaled, in serial/residual blocks). Default true.
   */
  controls?: boolean;
  onProgress?: (passes: number) => void;
}

export interface RatePoint {
  sigmaW2: number;
  /** r̂ = log Ĵ^{l1,L}/(L − l1) over the seeds measured there */
  rate: number;
  rateStderr: number;
  seeds: number;
}

export interface RootEstimate {
  sigmaW2: number;
  sigmaW2Stderr: number;
  seeds: number;
  /** the pilot bracketing and secant points, in order of evaluation */
  points: RatePoint[];
}

export interface InitSearchResult {
  /** critical σ_w² of the width-N network (when `everywhere`: the range's geometric middle) */
  sigmaW2: number;
  sigmaW2Stderr: number;
  /** σ_w² extrapolated to infinite width from width N and width N·factor (`second`), when requested */
  infinite: { sigmaW2: number; sigmaW2Stderr: number; factor: number; second: RootEstimate } | null;
  /** J^{0,l} ∝ l^{−ζ} at sigmaW2 */
  exponent: number;
  exponentStderr: number;
  /** true when no σ_w² in the range shows exponential growth or decay (within errors) */
  everywhere: boolean;
  finite: RootEstimate;
  /** forward-pass equivalents of the width-N network (see the module comment) */
  passes: number;
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

/**
 * The rate r̂(σ_w²) of one architecture family on a growing seed set, with every (σ_w², seed)
 * measured once and cached: the secant points of a round are re-used when seeds are added.
 */
class RateSampler {
  /** log Ĵ_s^{l1,L} (and the control C/Ĵ when measured) per σ_w², per seed */
  readonly #cache = new Map<number, Map<number, { logJ: number; k?: number }>>();
  passes = 0;
  /** whether the networks' controls are measured (every block has a moment rule) */
  readonly controls: boolean;

  constructor(
    private readonly archFor: (sigmaW2: number) => Architecture,
    private readonly o: InitSearchOptions,
    private readonly from: number,
    private readonly depth: number,
    /** cost of one network pass relative to the width-N network */
    readonly passCost: number,
  ) {
    this.controls =
      (o.controls ?? true) &&
      archFor(o.range[0])
        .blocks.slice(from)
        .every((b) => b.jvpMoment);
  }

  get span(): number {
    return this.depth - this.from;
  }

  async rate(sigmaW2: number, seeds: number[]): Promise<RatePoint> {
    return this.summarise(sigmaW2, await this.logJ(sigmaW2, seeds));
  }

  /** log Ĵ_s^{l1,L} of each seed's network at σ_w², measuring the ones not yet measured there. */
  async logJ(sigmaW2: number, seeds: number[]): Promise<number[]> {
    return (await this.measure(sigmaW2, seeds)).map((m) => m.logJ);
  }

  /** log Ĵ_s^{l1,L} and (with `controls`) the control C/Ĵ of each seed's network at σ_w². */
  async measure(sigmaW2: number, seeds: number[]): Promise<{ logJ: number; k?: number }[]> {
    const known = this.#cache.get(sigmaW2) ?? new Map<number, { logJ: number; k?: number }>();
    this.#cache.set(sigmaW2, known);
    const missing = seeds.filter((s) => !known.has(s));
    if (missing.length > 0) {
      const prof = await measureApjn(this.archFor(sigmaW2), {
        seeds: missing,
        inputs: this.o.inputs,
        probes: this.o.probes,
        l0: this.from,
        q0: this.o.q0,
        dtype: this.o.dtype,
        weights: "ziggurat",
        controls: this.controls,
      });
      const last = prof.logJ.length - 1;
      for (const [i, s] of missing.entries()) {
        const v = prof.perSeed[i]![last]!;
        if (!Number.isFinite(v))
          throw new InputError(
            "--range",
            `the finite networks' APJN is not finite at σ_w² = ${sigmaW2.toPrecision(4)} (values over- or underflow in ${this.o.dtype ?? "float32"}): narrow --range or use --dtype float64`,
          );
        known.set(s, { logJ: v, k: prof.perSeedControl?.[i]?.[last] });
      }
      this.passes +=
        missing.length *
        this.o.inputs *
        (1 + (this.o.probes * this.span) / this.depth) *
        this.passCost;
      this.o.onProgress?.(this.passes);
    }
    return seeds.map((s) => known.get(s)!);
  }

  /** r̂ = log(mean_s Ĵ_s)/(L − l1) and its delta-method standard error over seeds. */
  summarise(sigmaW2: number, logJ: number[]): RatePoint {
    const span = this.depth - this.from;
    const max = Math.max(...logJ);
    const w = logJ.map((v) => Math.exp(v - max));
    const { mean, sem } = meanSem(w);
    return {
      sigmaW2,
      rate: (max + Math.log(mean)) / span,
      rateStderr: sem / mean / span,
      seeds: logJ.length,
    };
  }
}

/** Secant points this close (in log σ_w²) to the root need no further evaluation. */
const CLOSE = 0.05;

/** Where the line through (x0, y0), (x1, y1) crosses 0. */
const secant = (x0: number, y0: number, x1: number, y1: number) =>
  x1 - (y1 * (x1 - x0)) / (y1 - y0);

/**
 * Root of r̂ in log σ_w² on the seed set `seeds` from two starting points, inside [a, b] (log
 * σ_w²), narrowed by the signs of r̂ on this seed set, and the slope dr̂/dlog σ_w² of its last
 * secant. Safeguarded secant: the iterate
 * stays inside the current bracket (bisection otherwise). r̂ is smooth on a fixed sample, so once
 * the last two points lie within 5 % of the secant root the interpolation error is negligible
 * against the statistical one and the root is taken without measuring there; at most 8 steps.
 */
async function solveRoot(
  sampler: RateSampler,
  seeds: number[],
  start: [number, number],
  bracket: [number, number],
): Promise<{ x: number; slope: number; points: RatePoint[] }> {
  let [a, b] = bracket;
  const points: RatePoint[] = [];
  const f = async (x: number) => {
    const p = await sampler.rate(Math.exp(x), seeds);
    points.push(p);
    if (p.rate < 0) a = Math.max(a, x);
    else b = Math.min(b, x);
    return p;
  };
  let [x0, x1] = start;
  let p0 = await f(x0);
  let p1 = await f(x1);
  for (let it = 0; it < 8; it++) {
    let x2 = secant(x0, p0.rate, x1, p1.rate);
    if (!(x2 > a && x2 < b) || !Number.isFinite(x2)) x2 = (a + b) / 2;
    if (Math.abs(x2 - x1) < CLOSE && Math.abs(x2 - x0) < CLOSE) {
      return { x: x2, slope: (p1.rate - p0.rate) / (x1 - x0), points };
    }
    [x0, p0] = [x1, p1];
    x1 = x2;
    p1 = await f(x1);
  }
  return { x: secant(x0, p0.rate, x1, p1.rate), slope: (p1.rate - p0.rate) / (x1 - x0), points };
}

/** Bracket of the rate's sign change on the pilot sample, or null when flat (critical everywhere). */
async function bracketRoot(
  sampler: RateSampler,
  seeds: number[],
  range: [number, number],
  powerLawRate: number,
): Promise<{ lo: RatePoint; hi: RatePoint } | null> {
  const [lo, hi] = range.map(Math.log) as [number, number];
  const step = Math.LN2;
  const points: RatePoint[] = [];
  const at = async (x: number) => {
    const p = await sampler.rate(Math.exp(Math.min(hi, Math.max(lo, x))), seeds);
    points.push(p);
    return p;
  };
  let p = await at((lo + hi) / 2);
  const dir = p.rate < 0 ? 1 : -1;
  for (let x = Math.log(p.sigmaW2); ; ) {
    if ((dir > 0 && x >= hi) || (dir < 0 && x <= lo)) break;
    x += dir * step;
    const q = await at(x);
    if (q.rate < 0 !== p.rate < 0) return dir > 0 ? { lo: p, hi: q } : { lo: q, hi: p };
    p = q;
  }
  // No sign change on the walk: measure the other end too, then decide flat vs no root.
  await at(dir > 0 ? lo : hi);
  const flat = points.every((q) => Math.abs(q.rate) <= Math.max(3 * q.rateStderr, powerLawRate));
  if (flat) return null;
  const r = points
    .sort((x, y) => x.sigmaW2 - y.sigmaW2)
    .map((q) => `${q.sigmaW2.toPrecision(3)}: ${q.rate.toFixed(3)}`)
    .join(", ");
  throw new InputError(
    "--range",
    `the APJN rate log χ_J does not cross 0 for σ_w² in [${range[0]}, ${range[1]}] (σ_w²: rate ${r}); widen --range`,
  );
}

/**
 * One measurement per network. Every network s is measured once, at the root estimate x_s (log
 * σ_w²) current when it joins the sample, and carried to any nearby x along the common slope g of
 * log J in log σ_w² (from the pilot's common-random-number secant): log J_s(x) ≈ log J_s(x_s) +
 * g (x − x_s). The root of the annealed rate is then explicit,
 *   x̂ = −log(mean_s e^{log J_s − g x_s}) / g,
 * and its standard error is the seed-to-seed one of the carried values over g (delta method).
 * The carry is exact to first order; its error is (slope error) × (x_s − x̂) per network, small
 * because most networks (the later, larger rounds) are measured within a few standard errors of x̂.
 */
function transportedRoot(
  samples: { x: number; logJ: number; k?: number }[],
  g: number,
): { x: number; se: number } {
  const u = samples.map((s) => s.logJ - g * s.x);
  // the control C_s = k_s J_s has mean 0 at any x_s, so k_s carries over unchanged
  const ks = samples.map((s) => s.k);
  const [logMean, rel] = ks.every((k) => k !== undefined)
    ? logMeanWithControl(u, ks as number[])
    : logMeanWithError(u);
  return { x: -logMean / g, se: rel / Math.abs(g) };
}

/**
 * Networks behind a reported standard error, at least (unless `maxSeeds` is smaller): the
 * seed-to-seed variance of a handful of heavy-tailed Ĵ is itself too noisy (with 4 networks,
 * |σ̂ − σ|/s.e. reached 4 on exactly known ReLU roots).
 */
const MIN_NETWORKS = 16;

/**
 * The root search on one width: the pilot seeds bracket the sign change (or start from `from`, a
 * nearby width's root) and solve it by secant steps (common random numbers), which also gives the
 * slope; then rounds of new networks, each measured once at the current root, until
 * se ≤ tol·σ_w² (or maxSeeds).
 */
async function criticalAtWidth(
  sampler: RateSampler,
  o: InitSearchOptions,
  firstSeed: number,
  tol: number,
  powerLawRate: number,
  from?: number,
): Promise<RootEstimate | null> {
  const seedsOf = (a: number, b: number) =>
    Array.from({ length: b - a }, (_, i) => firstSeed + a + i);
  // A narrower width has heavier-tailed J and cheaper networks: its pilot has as many networks
  // as the same cost buys at width N (the slope below must be good to a few per cent).
  // A narrower width also gets as many more networks at most as the same cost buys.
  const maxSeeds = Math.max(o.maxSeeds, Math.ceil(o.maxSeeds / sampler.passCost));
  let k = Math.min(Math.max(o.pilot, Math.ceil(o.pilot / sampler.passCost)), maxSeeds);
  let guess = from;
  if (guess === undefined) {
    const br = await bracketRoot(sampler, seedsOf(0, k), o.range, powerLawRate);
    if (!br) return null;
    guess = secant(Math.log(br.lo.sigmaW2), br.lo.rate, Math.log(br.hi.sigmaW2), br.hi.rate);
  }
  // The pilot's bracket need not hold for the full sample (another function of σ_w²): the
  // secant starts from the whole range and narrows it with its own evaluations only.
  const whole = o.range.map(Math.log) as [number, number];
  const pilot = await solveRoot(sampler, seedsOf(0, k), [guess - 0.02, guess + 0.02], whole);
  const points = [...pilot.points];
  const span = sampler.span;
  // per-network slope of log J in log σ_w²
  const g = pilot.slope * span;
  // each pilot network enters with its measurement nearest the pilot's root
  const near = [...pilot.points].sort(
    (p, q) => Math.abs(Math.log(p.sigmaW2) - pilot.x) - Math.abs(Math.log(q.sigmaW2) - pilot.x),
  )[0]!;
  const samples = (await sampler.measure(near.sigmaW2, seedsOf(0, k))).map((m) => ({
    x: Math.log(near.sigmaW2),
    ...m,
  }));
  let est = transportedRoot(samples, g);
  for (;;) {
    const sigmaW2 = Math.exp(est.x);
    const se = est.se * sigmaW2;
    if ((se <= tol * sigmaW2 && k >= MIN_NETWORKS) || k >= maxSeeds)
      return { sigmaW2, sigmaW2Stderr: se, seeds: k, points };
    // se ∝ 1/√k: the seeds this needs, at most 4× per round (the variance estimate is noisy)
    const need = Math.ceil(k * (est.se / tol) ** 2 * 1.1);
    const next = Math.min(maxSeeds, Math.max(k + 1, MIN_NETWORKS, Math.min(4 * k, need)));
    const seeds = seedsOf(k, next);
    const values = await sampler.measure(sigmaW2, seeds);
    points.push(
      sampler.summarise(
        sigmaW2,
        values.map((m) => m.logJ),
      ),
    );
    for (const m of values) samples.push({ x: est.x, ...m });
    k = next;
    est = transportedRoot(samples, g);
  }
}

export async function initSearch(
  archFor: (sigmaW2: number, widthFactor?: number) => Architecture,
  o: InitSearchOptions,
): Promise<InitSearchResult> {
  const [lo, hi] = o.range;
  if (!(lo > 0 && hi > lo)) throw new InputError("--range", `need 0 < min < max, got ${lo},${hi}`);
  const depth = archFor(lo).blocks.length;
  const from = o.fitFrom ?? defaultFitFrom(depth);
  if (o.fitFrom === undefined && depth - from < 2)
    throw new InputError(
      "--depth",
      `the rate is fitted over layers ${from}…L: needs depth ≥ ${from + 2}, got ${depth}`,
    );
  if (!(from >= 0 && from < depth - 1))
    throw new InputError("--fit-from", `must be in [0, ${depth - 2}], got ${from}`);
  // the rate of a power law J ∝ l^{±2} over [l1, L]: anything within it is not exponential
  const powerLawRate = (2 * Math.log(depth / Math.max(1, from))) / (depth - from);
  const f = o.extrapolate?.factor;
  if (f !== undefined && !(f > 0 && f !== 1))
    throw new InputError("--extrapolate", `must be > 0 and ≠ 1, got ${f}`);
  const progress = () => o.onProgress?.(atN.passes + (second?.passes ?? 0));
  const atN = new RateSampler((s) => archFor(s), { ...o, onProgress: progress }, from, depth, 1);
  const width = archFor(lo).inputWidth;
  if (f !== undefined && Math.round(width * f) < 2)
    throw new InputError(
      "--extrapolate",
      `the second width (${width} × ${f}) must be at least 2 units wide`,
    );
  const second = f
    ? new RateSampler(
        (s) => archFor(s, f),
        { ...o, onProgress: progress },
        from,
        depth,
        (archFor(lo, f).inputWidth / width) ** 2,
      )
    : null;
  // The error budget of σ_∞ = (f σ_{fN} − σ_N)/(f − 1): se_∞² = (f² se_{fN}² + se_N²)/(f − 1)².
  // With the variance per network ∝ 1/width and its cost ∝ width², the cheapest split puts
  // f² se_{fN}² : se_N² = f^{3/2} : 1.
  const budget = f ? o.tol * Math.abs(f - 1) : o.tol;
  const share = f ? f ** 1.5 : 0;
  const tolN = budget / Math.sqrt(1 + share);
  const tolSecond = f ? (budget * Math.sqrt(share / (1 + share))) / f : 0;
  // Independent seeds at the two widths (their errors are uncorrelated). Width N brackets the
  // root; the second width starts its secant from width N's root.
  const finite = await criticalAtWidth(atN, o, o.seed, tolN, powerLawRate);
  const other =
    second && finite
      ? await criticalAtWidth(
          second,
          o,
          o.seed + 1_000_000,
          tolSecond,
          powerLawRate,
          Math.log(finite.sigmaW2),
        )
      : null;
  let passes = atN.passes + (second?.passes ?? 0);
  const infinite: InitSearchResult["infinite"] =
    finite && other && f
      ? {
          sigmaW2: (f * other.sigmaW2 - finite.sigmaW2) / (f - 1),
          sigmaW2Stderr:
            Math.hypot(f * other.sigmaW2Stderr, finite.sigmaW2Stderr) / Math.abs(f - 1),
          factor: f,
          second: other,
        }
      : null;
  const sigmaW2 = finite ? finite.sigmaW2 : Math.sqrt(lo * hi);
  // the power law at the root: J^{0,l} on the pilot seeds, l ∈ [l1, L]
  const pilot = Array.from({ length: o.pilot }, (_, i) => o.seed + i);
  const prof = await measureApjn(archFor(sigmaW2), {
    seeds: pilot,
    inputs: o.inputs,
    probes: o.probes,
    q0: o.q0,
    dtype: o.dtype,
    weights: "ziggurat",
  });
  passes += pilot.length * o.inputs * (1 + o.probes);
  const z = meanSem(prof.perSeed.map((s) => -fitSlope(s, prof.layers, from, Math.log)));
  return {
    sigmaW2,
    sigmaW2Stderr: finite ? finite.sigmaW2Stderr : Number.NaN,
    infinite,
    exponent: z.mean,
    exponentStderr: z.sem,
    everywhere: finite === null,
    finite: finite ?? { sigmaW2, sigmaW2Stderr: Number.NaN, seeds: o.pilot, points: [] },
    passes,
  };
}
