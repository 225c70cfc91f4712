/**
 * Gaussian expectations E[f(u)], E[f(u1) g(u2)] by quadrature.
 *
 * Rule for u ~ N(0, q) (`gaussianRule`): Gauss–Hermite of the requested order for smooth
 * (analytic) integrands with q ≤ 1, where it converges spectrally. Otherwise a composite
 * Gauss–Legendre rule in z, with panel edges at 0, ±s, ±2s, ±4s, … (s = min(1, 1/√q)) up to
 * |z| = 10 (tail mass < 2e-23): for q > 1 the activations' features (at |u| ≲ 1, a z-width of
 * 1/√q) fall between Hermite nodes (E[erf(u)²] at q = 100 is off by 4e-2 even at order 128),
 * and a kink at u = 0 (ReLU family) costs Hermite 0.4 % at order 96 but is exact on a panel edge.
 *
 * Nodes and weights come from the Golub–Welsch algorithm: the nodes are the eigenvalues of the
 * symmetric tridiagonal Jacobi matrix of the Hermite_e polynomials (zero diagonal, off-diagonal
 * √k), and each weight is the squared first component of its normalized eigenvector. The
 * eigenproblem is solved by the implicit QL method, tracking only the first row of the
 * eigenvector matrix.
 */

export interface GaussRule {
  /** nodes z_i */
  readonly x: Float64Array;
  /** weights w_i, Σ w_i = 1, so E[f(z)] ≈ Σ w_i f(z_i) for z ~ N(0, 1) */
  readonly w: Float64Array;
}

const cache = new Map<number, GaussRule>();

/** The n-point Gauss–Hermite rule for N(0, 1); exact for polynomials of degree ≤ 2n − 1. */
export function gaussHermite(n: number): GaussRule {
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new RangeError(`quadrature order must be an integer in [1, 1000], got ${n}`);
  const hit = cache.get(n);
  if (hit) return hit;
  const d = new Float64Array(n); // diagonal → eigenvalues
  const e = new Float64Array(n); // sub-diagonal, e[i] couples i and i+1
  for (let k = 0; k < n - 1; k++) e[k] = Math.sqrt(k + 1);
  const z = new Float64Array(n); // first row of the eigenvector matrix
  z[0] = 1;
  tridiagonalQL(d, e, z);
  const order = Array.from(d.keys()).sort((a, b) => d[a]! - d[b]!);
  const x = Float64Array.from(order, (i) => d[i]!);
  const w = Float64Array.from(order, (i) => z[i]! * z[i]!);
  // Symmetrize: the rule is exactly symmetric, so average mirrored pairs to kill round-off.
  for (let i = 0; i < n >> 1; i++) {
    const j = n - 1 - i;
    const xs = 0.5 * (x[j]! - x[i]!);
    const ws = 0.5 * (w[i]! + w[j]!);
    x[i] = -xs;
    x[j] = xs;
    w[i] = ws;
    w[j] = ws;
  }
  if (n % 2 === 1) x[n >> 1] = 0;
  let total = 0;
  for (const wi of w) total += wi;
  for (let i = 0; i < n; i++) w[i]! /= total;
  const rule = { x, w };
  cache.set(n, rule);
  return rule;
}

/** Implicit QL for a symmetric tridiagonal matrix (d diagonal, e sub-diagonal); z is row 0 of Z. */
function tridiagonalQL(d: Float64Array, e: Float64Array, z: Float64Array): void {
  const n = d.length;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (iter > 60) throw new Error("Gauss–Hermite: QL iteration did not converge");
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        let f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1]! -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        f = z[i + 1]!;
        z[i + 1] = s * z[i]! + c * f;
        z[i] = c * z[i]! - s * f;
      }
      if (r === 0 && i >= l) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/** The n-point Gauss–Legendre rule on [−1, 1] (Newton iteration on P_n). */
export function gaussLegendre(n: number): GaussRule {
  const key = -n;
  const hit = cache.get(key);
  if (hit) return hit;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < (n + 1) >> 1; i++) {
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = t;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? t : p1;
      const pn1 = n === 1 ? 1 : p0;
      dp = (n * (t * pn - pn1)) / (t * t - 1);
      const dt = pn / dp;
      t -= dt;
      if (Math.abs(dt) < 1e-16) break;
    }
    x[i] = -t;
    x[n - 1 - i] = t;
    w[i] = w[n - 1 - i] = 2 / ((1 - t * t) * dp * dp);
  }
  const rule = { x, w };
  cache.set(key, rule);
  return rule;
}

const Z_MAX = 10;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * A rule for u ~ N(0, q) in z-space: nodes z_i and weights w_i with E[f(u)] ≈ Σ w_i f(√q z_i).
 * `order` is the Gauss–Hermite order (smooth integrands, q ≤ 1); panels get ⌈order/6⌉
 * Legendre points each.
 */
export function gaussianRule(q: number, order: number, smooth: boolean): GaussRule {
  if (!(q < Number.POSITIVE_INFINITY))
    throw new RangeError(`a Gaussian rule needs a finite variance, got q = ${q}`);
  if (smooth && q <= 1) return gaussHermite(order);
  // above 2⁵², s is rounded down to a power of 2 (edges still at |u| ≈ 1, 2, 4, …): a few
  // hundred rules serve every variance, so recurrences and sweeps reuse them from the cache
  const s =
    q > Q_GRADED ? 2 ** Math.floor(Math.log2(1 / Math.sqrt(q))) : Math.min(1, 1 / Math.sqrt(q));
  const key = `${order}:${s}`;
  const hit = panelCache.get(key);
  if (hit) return hit;
  const rule = panelRule(panelEdges(s), order);
  if (panelCache.size >= PANEL_CACHE_SIZE) panelCache.delete(panelCache.keys().next().value!);
  panelCache.set(key, rule);
  return rule;
}
const panelCache = new Map<string, GaussRule>();
/** Rules kept (each variance q > 1 has its own): bounded, so long recurrences use bounded memory. */
const PANEL_CACHE_SIZE = 256;

/** Variances above this get the graded panels of `panelEdges` (below it, the rule is unchanged). */
const Q_GRADED = 2 ** 52;
/**
 * Largest variance for which `expect2` is trusted: beyond it the inner rule's wide panels cut
 * through the integrand's transition at u2 = 0, which sits off the panel edges (errors ~1e-2).
 */
export const Q_BIVARIATE_MAX = Q_GRADED;
/** In u = √q z, panels double up to |u| = 64, where every built-in activation is at its asymptote. */
const U_FEATURES = 64;
/** Beyond |u| = 64 and below |z| = 2⁻⁶ (e^{−z²/2} a low-degree polynomial), panels grow 2¹⁶-fold. */
const Z_SMOOTH = 2 ** -6;
const WIDE_RATIO = 2 ** 16;

/**
 * Panel edges 0, s, 2s, 4s, … up to |z| = 10. For q > 2⁵², doubling from s = 1/√q would need
 * ½ log₂ q panels (500 at q = 1e300, and a quadratic cost in expect2); there the integrand is a
 * polynomial of low degree in z (the activation at its linear or constant asymptote times
 * e^{−z²/2} with z ≤ 2⁻⁶) on [64 s, 2⁻⁶], which panels 2¹⁶ times wider integrate exactly: at most
 * 56 panels for any finite q (test/theory/overflow.test.ts checks against large-q asymptotics).
 */
function panelEdges(s: number): number[] {
  const edges: number[] = [0];
  const graded = s * s < 1 / Q_GRADED;
  for (let e = s; e < Z_MAX; ) {
    edges.push(e);
    e *= graded && e >= U_FEATURES * s && e * WIDE_RATIO < Z_SMOOTH ? WIDE_RATIO : 2;
  }
  edges.push(Z_MAX);
  return edges;
}

/** Composite Gauss–Legendre on the panels of `edges` and their mirror images, weighted by N(0, 1). */
function panelRule(edges: number[], order: number): GaussRule {
  const leg = gaussLegendre(Math.max(4, Math.ceil(order / 6)));
  const xs: number[] = [];
  const ws: number[] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    const mid = 0.5 * (edges[k]! + edges[k + 1]!);
    const half = 0.5 * (edges[k + 1]! - edges[k]!);
    for (let i = 0; i < leg.x.length; i++) {
      const z = mid + half * leg.x[i]!;
      const wz = half * leg.w[i]! * INV_SQRT_2PI * Math.exp(-0.5 * z * z);
      xs.push(z, -z);
      ws.push(wz, wz);
    }
  }
  return { x: Float64Array.from(xs), w: Float64Array.from(ws) };
}

/** E[f(u)] for u ~ N(0, q); `smooth`: f is analytic (allows Gauss–Hermite). */
export function expect1(
  f: (u: number) => number,
  q: number,
  order: number,
  smooth = false,
): number {
  const { x, w } = gaussianRule(q, order, smooth);
  const s = Math.sqrt(q);
  let acc = 0;
  for (let i = 0; i < x.length; i++) acc += w[i]! * f(s * x[i]!);
  return acc;
}

/**
 * E[f(u1) g(u2)] for (u1, u2) ~ N(0, [[q1, q12], [q12, q2]]), as a product rule over
 * u1 = √q1 z1, u2 = (q12/√q1) z1 + √(q2 − q12²/q1) z2.
 */
export function expect2(
  f: (u: number) => number,
  g: (u: number) => number,
  q1: number,
  q2: number,
  q12: number,
  order: number,
  smooth = false,
): number {
  if (q1 <= 0) return f(0) * expect1(g, q2, order, smooth);
  const s1 = Math.sqrt(q1);
  const a = q12 / s1;
  const b2 = Math.max(q2 - a * a, 0);
  const b = Math.sqrt(b2);
  const outer = gaussianRule(q1, order, smooth);
  const inner = gaussianRule(b2, order, smooth);
  let acc = 0;
  for (let i = 0; i < outer.x.length; i++) {
    const fi = f(s1 * outer.x[i]!);
    if (fi === 0) continue;
    const base = a * outer.x[i]!;
    let sum = 0;
    for (let j = 0; j < inner.x.length; j++) sum += inner.w[j]! * g(base + b * inner.x[j]!);
    acc += outer.w[i]! * fi * sum;
  }
  return acc;
}
