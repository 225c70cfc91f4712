/** Scalar root finding. */

/**
 * Brent's method for f(x) = 0 on a bracket [a, b] with f(a)·f(b) ≤ 0 (Brent 1973, ch. 4):
 * inverse quadratic interpolation / secant steps guarded by bisection. Converges to
 * |b − a| ≤ 2·eps·|x| + tol.
 */
export function brent(
  f: (x: number) => number,
  a: number,
  b: number,
  tol = 1e-15,
  maxIter = 200,
): number {
  let fa = f(a);
  let fb = f(b);
  if (fa === 0) return a;
  if (fb === 0) return b;
  if (fa * fb > 0)
    throw new RangeError(`brent: root not bracketed: f(${a}) = ${fa}, f(${b}) = ${fb}`);
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let i = 0; i < maxIter; i++) {
    if (fb * fc > 0) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol1 = 2 * Number.EPSILON * Math.abs(b) + 0.5 * tol;
    const xm = 0.5 * (c - b);
    if (Math.abs(xm) <= tol1 || fb === 0) return b;
    if (Math.abs(e) >= tol1 && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * xm * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * xm * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      p = Math.abs(p);
      if (2 * p < Math.min(3 * xm * q - Math.abs(tol1 * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol1 ? d : xm > 0 ? tol1 : -tol1;
    fb = f(b);
  }
  return b;
}

const INV_PHI = (Math.sqrt(5) - 1) / 2;

/** Golden-section search for a local minimum of f on [a, b], to |b − a| ≤ tol (+ round-off). */
export function goldenMinimum(
  f: (x: number) => number,
  a: number,
  b: number,
  tol: number,
): { x: number; fx: number } {
  let c = b - INV_PHI * (b - a);
  let d = a + INV_PHI * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (Math.abs(b - a) > tol + 4 * Number.EPSILON * Math.max(Math.abs(a), Math.abs(b))) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - INV_PHI * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + INV_PHI * (b - a);
      fd = f(d);
    }
  }
  return fc <= fd ? { x: c, fx: fc } : { x: d, fx: fd };
}

/**
 * The local extrema of f hidden between samples (xs increasing, fs = f(xs)): wherever a sample
 * (or an end sample) is a discrete local minimum or maximum of the sampled values, the extremum
 * is located by golden-section search over its neighbouring cells. Returns them in order.
 */
export function localExtrema(
  f: (x: number) => number,
  xs: ArrayLike<number>,
  fs: ArrayLike<number>,
  tol: number,
): { x: number; fx: number; kind: "min" | "max" }[] {
  const n = xs.length;
  const out: { x: number; fx: number; kind: "min" | "max" }[] = [];
  for (let i = 1; i + 1 < n; i++) {
    const [l, m, r] = [fs[i - 1]!, fs[i]!, fs[i + 1]!];
    const isMin = m <= l && m <= r && (m < l || m < r);
    const isMax = m >= l && m >= r && (m > l || m > r);
    if (!isMin && !isMax) continue;
    // a plateau (equal neighbours) is reported once, at its first sample
    if ((isMin && m === l) || (isMax && m === l)) continue;
    const sign = isMin ? 1 : -1;
    const e = goldenMinimum((x) => sign * f(x), xs[i - 1]!, xs[i + 1]!, tol);
    out.push({ x: e.x, fx: sign * e.fx, kind: isMin ? "min" : "max" });
  }
  return out;
}

/**
 * Every root of a continuous f sampled at xs (increasing) with values fs, including pairs of
 * roots that fall between two samples: a sign change between neighbours is refined by Brent's
 * method; where |f| has a discrete local minimum without a sign change (the samples approach
 * zero and turn back, also at an end sample), the extremum of f over the neighbouring cells is
 * located by golden-section search and, if f reaches zero or the other sign there, the roots on
 * either side of it are refined (a tangency gives one double root). Misses only structure
 * narrower than the sampling that leaves no trace in the samples (two extrema of f inside one
 * cell). Returns sorted, deduplicated roots.
 */
export function allRoots(
  f: (x: number) => number,
  xs: ArrayLike<number>,
  fs: ArrayLike<number>,
  tol: number,
): number[] {
  const n = xs.length;
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const fi = fs[i]!;
    if (fi === 0) {
      roots.push(xs[i]!);
      continue;
    }
    if (i + 1 < n && fi * fs[i + 1]! < 0) roots.push(brent(f, xs[i]!, xs[i + 1]!, tol));
    const lo = Math.max(i - 1, 0);
    const hi = Math.min(i + 1, n - 1);
    const sameSign = fi * fs[lo]! > 0 && fi * fs[hi]! > 0;
    const nearer = Math.abs(fi) <= Math.abs(fs[lo]!) && Math.abs(fi) <= Math.abs(fs[hi]!);
    if (!sameSign || !nearer || lo === hi) continue;
    const s = Math.sign(fi);
    const m = goldenMinimum((x) => s * f(x), xs[lo]!, xs[hi]!, tol);
    if (m.fx > 0) continue;
    if (m.fx === 0) roots.push(m.x);
    else roots.push(brent(f, xs[lo]!, m.x, tol), brent(f, m.x, xs[hi]!, tol));
  }
  roots.sort((p, q) => p - q);
  return roots.filter((r, k) => k === 0 || r - roots[k - 1]! > 4 * tol);
}
