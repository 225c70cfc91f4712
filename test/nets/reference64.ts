/**
 * Plain-JavaScript float64 references for test/nets/f64*.test.ts, independent of jax-js and of
 * src/nets/f64.ts: Math.* (V8's fdlibm ports, < 1 ulp) where it has the function, and
 * double-double arithmetic (Dekker/Knuth error-free transformations, ~32 digits) for erf, erfc and
 * Φ, whose series and continued fractions would lose digits in plain float64.
 */

/** A double-double number hi + lo with |lo| ≤ ulp(hi)/2. */
type DD = [number, number];

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function split(a: number): [number, number] {
  const c = 134217729 * a;
  const hi = c - (c - a);
  return [hi, a - hi];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function add(a: DD, b: DD): DD {
  const [s, e] = twoSum(a[0], b[0]);
  return twoSum(s, e + a[1] + b[1]);
}

function mul(a: DD, b: DD): DD {
  const [p, e] = twoProd(a[0], b[0]);
  return twoSum(p, e + a[0] * b[1] + a[1] * b[0]);
}

function div(a: DD, b: DD): DD {
  const q1 = a[0] / b[0];
  const r = add(a, neg(mul([q1, 0], b)));
  const q2 = r[0] / b[0];
  const r2 = add(r, neg(mul([q2, 0], b)));
  return add(twoSum(q1, q2), [r2[0] / b[0], 0]);
}

function neg(a: DD): DD {
  return [-a[0], -a[1]];
}

const dd = (x: number): DD => [x, 0];
/** 1/√π and 1/√2 to double-double precision. */
const INV_SQRT_PI: DD = [0.5641895835477563, 7.66772980658294e-18];
const INV_SQRT_2: DD = [Math.SQRT1_2, -4.833646656726457e-17];

/** e^{−a} for a double-double a ≥ 0: Math.exp of the head times (1 − lo) (< 1 ulp). */
function expNeg(a: DD): number {
  if (a[0] > 1e4) return 0;
  return Math.exp(-a[0]) * (1 - a[1]);
}

/** erf t for |t| < 3, Maclaurin series in double-double: 2/√π Σ (−1)^n t^{2n+1}/(n!(2n+1)). */
function erfSeries(t: DD): DD {
  const t2 = mul(t, t);
  let term = t;
  let sum = t;
  for (let n = 1; n < 200; n++) {
    term = div(mul(term, neg(t2)), dd(n));
    const a = div(term, dd(2 * n + 1));
    sum = add(sum, a);
    if (Math.abs(a[0]) < 1e-34 * Math.abs(sum[0])) break;
  }
  return mul(mul(sum, INV_SQRT_PI), dd(2));
}

/**
 * erfc t · e^{t²}·√π for t ≥ 3: the continued fraction 1/(t + (1/2)/(t + 1/(t + (3/2)/(t + …))))
 * evaluated backwards in double-double from 400 terms.
 */
function erfcCf(t: DD): DD {
  let f = t;
  for (let n = 400; n >= 1; n--) f = add(t, div(dd(n / 2), f));
  return div(dd(1), f);
}

/** erfc of a double-double t whose square is supplied as t2 (so callers can form it exactly). */
function erfcDD(t: DD, t2: DD): number {
  if (t[0] < 0) return 2 - erfcDD(neg(t), t2);
  if (t[0] > 1e4) return 0;
  if (t[0] < 3) return add(dd(1), neg(erfSeries(t)))[0];
  return mul(erfcCf(t), INV_SQRT_PI)[0] * expNeg(t2);
}

export function erfRef(x: number): number {
  if (Math.abs(x) > 1e4) return Math.sign(x);
  if (Math.abs(x) < 3) return erfSeries(dd(x))[0];
  return Math.sign(x) * (1 - erfcDD(dd(Math.abs(x)), twoProd(x, x)));
}

export function erfcRef(x: number): number {
  if (Math.abs(x) > 1e4) return x > 0 ? 0 : 2;
  return erfcDD(dd(x), twoProd(x, x));
}

/** Φ(x) = erfc(−x/√2)/2 with −x/√2 and x²/2 in double-double. */
export function normalCdfRef(x: number): number {
  if (Math.abs(x) > 1e4) return x > 0 ? 1 : 0;
  const t = mul(dd(-x), INV_SQRT_2);
  const x2 = twoProd(x, x);
  return erfcDD(t, [x2[0] / 2, x2[1] / 2]) / 2;
}

/** ϕ(x) = e^{−x²/2}/√(2π) with x²/2 in double-double. */
export function normalPdfRef(x: number): number {
  if (Math.abs(x) > 1e4) return 0;
  const x2 = twoProd(x, x);
  return mul(dd(expNeg([x2[0] / 2, x2[1] / 2])), mul(INV_SQRT_PI, INV_SQRT_2))[0];
}

/** e^{−x²} with x² in double-double. */
export function expNegSquareRef(x: number): number {
  if (Math.abs(x) > 1e4) return 0;
  return expNeg(twoProd(x, x));
}

export function sigmoidRef(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function softplusRef(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** sech² x = 4e/(1+e)², e = e^{−2|x|}. */
export function sech2Ref(x: number): number {
  const e = Math.exp(-2 * Math.abs(x));
  return (4 * e) / ((1 + e) * (1 + e));
}

/** Distance of `got` from `want` in units of the last place of `want` (Infinity for NaN). */
export function ulpError(got: number, want: number): number {
  if (Number.isNaN(got) || Number.isNaN(want))
    return Number.isNaN(got) && Number.isNaN(want) ? 0 : Infinity;
  if (got === want) return 0;
  const a = Math.abs(want);
  const e = a === 0 ? -1074 : Math.max(Math.floor(Math.log2(a)) - 52, -1074);
  return Math.abs(got - want) / 2 ** e;
}
