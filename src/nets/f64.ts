/**
 * Accurate float64 elementwise functions built only from jax-js ops that are exact (correctly
 * rounded) in float64 on the Wasm backend: +, −, ×, sqrt, floor, comparisons, where, clip, and
 * int32/float32 bit casts (÷ is x·(1/y): ≤ 1.5 ulp). jax-js computes exp, log, tanh, erf, sin,
 * cos, … of float64 arrays with float32 polynomials (relative errors 1e-6 to 1e-2), so critkit's
 * float64 path uses these instead. test/nets/f64.test.ts checks every function and its
 * autodiff derivative against plain JavaScript float64 on a dense sweep (max errors in
 * docs/float64.md).
 *
 * Constants enter as float64 arrays (`num`), never as JS numbers: jax-js rounds JS number
 * constants to float32 inside `jit` even for float64 operands. So these functions give the same
 * result eagerly and under jit. Every branch input is clipped to its range before the branches
 * are combined with `where`, so an unused branch never produces ±Infinity or NaN (which would
 * poison reverse-mode gradients: 0 · Infinity).
 *
 * Ownership follows jax-js: every function consumes its argument.
 */
import { InputError } from "../errors.js";
import type { Activation } from "../theory/activations.js";
import type { JaxArray, JaxModule } from "./jax.js";

/** A float64 scalar constant (an array: survives jit exactly). */
function num(jax: JaxModule, v: number): JaxArray {
  return jax.numpy.full([], v, { dtype: jax.numpy.float64 });
}

/** Σ c_i x^{n−i} (coefficients highest degree first) by Horner's rule; consumes x. */
function horner(jax: JaxModule, x: JaxArray, coeffs: readonly number[]): JaxArray {
  let acc = num(jax, coeffs[0]!);
  for (let i = 1; i < coeffs.length; i++) acc = acc.mul(x.ref).add(num(jax, coeffs[i]!));
  x.dispose();
  return acc;
}

/** Taylor coefficients of exp, 1/n! for n = deg … 0 (highest first). */
function expTaylor(deg: number): number[] {
  const c: number[] = [];
  let f = 1;
  for (let n = 0; n <= deg; n++) {
    c.push(1 / f);
    f *= n + 1;
  }
  return c.reverse();
}

/** |r| ≤ ln2/2 + ε: degree 15 leaves r^16/16! < 2e-20 (derivative: r^15/15! < 1e-18). */
const EXP_POLY = expTaylor(15);
/** expm1 polynomial on |y| ≤ 0.35: (exp(y) − 1)/y = Σ y^n/(n+1)!, n ≤ 14. */
const EXPM1_POLY = expTaylor(15).slice(0, -1);

/** ln 2 in two parts (fdlibm): LN2_HI has 32 significant bits, so k·LN2_HI is exact for |k| < 2^21. */
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;

/**
 * 2^m for integer-valued float64 m ∈ [−540, 515], built exactly: m = 5a + b with a ∈ [−108, 103],
 * b ∈ [0, 4], 2^a and 2^b as float32 bit patterns ((e + 127) << 23), widened exactly, and
 * 2^m = (2^a)^5 · 2^b (every product is a power of two inside the float64 range).
 */
function pow2(jax: JaxModule, m: JaxArray): JaxArray {
  const np = jax.numpy;
  const a = np.floor(m.ref.mul(num(jax, 0.2)));
  const b = m.sub(a.ref.mul(num(jax, 5)));
  const bits = (e: JaxArray) =>
    jax.lax
      .bitcastConvertType(
        e
          .astype(np.int32)
          .add(127)
          .mul(1 << 23),
        np.float32,
      )
      .astype(np.float64);
  const pa = bits(a);
  const pa2 = pa.ref.mul(pa.ref);
  return pa2.ref.mul(pa2).mul(pa).mul(bits(b));
}

/**
 * e^x: x = k ln2 + r with k = round(x/ln2), r = (x − k LN2_HI) − k LN2_LO (|r| ≤ 0.347),
 * e^r by its degree-15 Taylor polynomial, then × 2^⌊k/2⌋ × 2^{k−⌊k/2⌋} (two exact factors, so
 * results down to the subnormals are rounded once). x is clipped to [−746, 710]: e^x is 0 below
 * and +Infinity above (710 > ln(max double)), with no NaN.
 */
export function exp64(jax: JaxModule, x: JaxArray): JaxArray {
  const np = jax.numpy;
  const xc = np.clip(x, -746, 710);
  const k = jax.lax.stopGradient(np.floor(xc.ref.mul(num(jax, Math.LOG2E)).add(num(jax, 0.5))));
  const r = xc.sub(k.ref.mul(num(jax, LN2_HI))).sub(k.ref.mul(num(jax, LN2_LO)));
  const k1 = np.floor(k.ref.mul(num(jax, 0.5)));
  const k2 = k.sub(k1.ref);
  return horner(jax, r, EXP_POLY).mul(pow2(jax, k1)).mul(pow2(jax, k2));
}

/** e^y − 1 without cancellation: y · Σ y^n/(n+1)! for |y| ≤ 0.35, e^y − 1 beyond. */
export function expm164(jax: JaxModule, y: JaxArray): JaxArray {
  const np = jax.numpy;
  const small = np.abs(y.ref).lessEqual(0.35);
  const ys = np.clip(y.ref, -0.35, 0.35);
  const series = horner(jax, ys.ref, EXPM1_POLY).mul(ys);
  return np.where(small, series, exp64(jax, y).sub(num(jax, 1)));
}

/** 2·atanh(s) = log((1+s)/(1−s)) for |s| ≤ 0.172: 2 Σ s^{2n+1}/(2n+1), n ≤ 12. */
const ATANH_POLY = Array.from({ length: 13 }, (_, i) => 2 / (2 * (12 - i) + 1));

/**
 * log(1 + u) for u ∈ [0, 1] (what softplus needs): log(1+u) = 2 atanh(u/(2+u)); above √2 − 1 the
 * argument is halved first, log(1+u) = ln2 + log(1+v), v = (u − 1)/2 ∈ (−0.293, 0] (exact).
 * Both keep |s| ≤ 0.172, where 13 series terms reach 1e-20.
 */
export function log1pUnit64(jax: JaxModule, u: JaxArray): JaxArray {
  const np = jax.numpy;
  const high = u.ref.greater(Math.SQRT2 - 1);
  const v = np.where(high.ref, u.ref.sub(num(jax, 1)).mul(num(jax, 0.5)), u);
  const s = v.ref.div(v.add(num(jax, 2)));
  const series = horner(jax, s.ref.mul(s.ref), ATANH_POLY).mul(s);
  const shift = np.where(high.ref, num(jax, LN2_LO), num(jax, 0));
  const base = np.where(high, num(jax, LN2_HI), num(jax, 0));
  return base.add(shift.add(series));
}

/**
 * log x for every float64 x (log 0 = −∞, log of a negative = NaN): the exponent comes from the
 * float32 bit pattern of x·2^{−m} (exact int32 bit ops), where the power of two 2^{−m} (m a
 * multiple of 200, from comparisons) first brings x into float32's exponent range; then
 * x = 2^E·μ with μ ∈ (0.707, 1.414] exactly, and log x = E ln2 + 2 atanh((μ−1)/(μ+1)).
 */
export function log64(jax: JaxModule, x: JaxArray): JaxArray {
  const np = jax.numpy;
  let tier = num(jax, 0);
  for (let j = 0; j < 10; j++)
    tier = tier.add(
      np.where(x.ref.greaterEqual(num(jax, 2 ** (-900 + 200 * j))), num(jax, 1), num(jax, 0)),
    );
  const shift = jax.lax.stopGradient(num(jax, 1000).sub(tier.mul(num(jax, 200))));
  const s1 = np.floor(shift.ref.mul(num(jax, 0.5)));
  const s2 = shift.ref.sub(s1.ref);
  const xs = x.ref.mul(pow2(jax, s1)).mul(pow2(jax, s2));
  const bits = jax.lax.bitcastConvertType(
    np.clip(xs.ref, 0, 2 ** 120).astype(np.float32),
    np.int32,
  );
  const e0 = jax.lax.stopGradient(
    np.floor(bits.astype(np.float64).mul(num(jax, 2 ** -23))).sub(num(jax, 127)),
  );
  const m0 = xs.mul(pow2(jax, e0.ref.mul(num(jax, -1))));
  const big = m0.ref.greater(Math.SQRT2);
  const m = np.where(big.ref, m0.ref.mul(num(jax, 0.5)), m0);
  const e = e0.add(np.where(big, num(jax, 1), num(jax, 0))).sub(shift);
  const f = m.sub(num(jax, 1));
  const s = f.ref.div(f.add(num(jax, 2)));
  const series = horner(jax, s.ref.mul(s.ref), ATANH_POLY).mul(s);
  const y = e.ref.mul(num(jax, LN2_HI)).add(e.mul(num(jax, LN2_LO)).add(series));
  const special = np.where(
    x.ref.equal(0),
    num(jax, Number.NEGATIVE_INFINITY),
    np.where(x.ref.less(0), num(jax, Number.NaN), num(jax, Number.POSITIVE_INFINITY)),
  );
  return np.where(x.ref.greater(0).mul(np.isfinite(x)), y, special);
}

/**
 * [|x|, sign] with sign = ±1 (+1 at 0) as where-selections, so autodiff gives d|x|/dx = ±1 at 0
 * too (jax-js differentiates abs and sign to 0 there).
 */
function absSign(jax: JaxModule, x: JaxArray): [JaxArray, JaxArray] {
  const np = jax.numpy;
  const pos = x.ref.greaterEqual(0);
  const sign = np.where(pos.ref, num(jax, 1), num(jax, -1));
  return [np.where(pos, x.ref, x.mul(num(jax, -1))), sign];
}

/** tanh x = −sign(x) · m/(2 + m), m = expm1(−2|x|) ∈ (−1, 0]: no cancellation anywhere. */
export function tanh64(jax: JaxModule, x: JaxArray): JaxArray {
  const [a, sign] = absSign(jax, x);
  const m = expm164(jax, a.mul(num(jax, -2)));
  return sign.mul(m.ref.div(m.add(num(jax, 2)))).mul(num(jax, -1));
}

/** tanh′ x = sech² x = 4e/(1 + e)², e = e^{−2|x|} (finite and accurate for every x). */
export function sech264(jax: JaxModule, x: JaxArray): JaxArray {
  const e = exp64(jax, jax.numpy.abs(x).mul(num(jax, -2)));
  const d = e.ref.add(num(jax, 1));
  return e.mul(num(jax, 4)).div(d.ref.mul(d));
}

/** σ(x) = 1/(1 + e^{−x}) for x ≥ 0, e^x/(1 + e^x) below: e = e^{−|x|} ≤ 1 never overflows. */
export function sigmoid64(jax: JaxModule, x: JaxArray): JaxArray {
  const np = jax.numpy;
  const [a, sign] = absSign(jax, x);
  const e = exp64(jax, a.mul(num(jax, -1)));
  const inv = np.reciprocal(e.ref.add(num(jax, 1)));
  return np.where(sign.greater(0), inv.ref, e.mul(inv));
}

/**
 * softplus x = max(x, 0) + log(1 + e^{−|x|}), max(x, 0) as a where-selection (the gradient of
 * (x + |x|)/2 would be summed as (½ + tail′) − ½, losing a tail′ below 1e-16).
 */
export function softplus64(jax: JaxModule, x: JaxArray): JaxArray {
  const np = jax.numpy;
  const [a, sign] = absSign(jax, x.ref);
  const tail = log1pUnit64(jax, exp64(jax, a.mul(num(jax, -1))));
  return np.where(sign.greater(0), x, num(jax, 0)).add(tail);
}

/**
 * e^{−s·y²} for s = 1 or 1/2 (W. J. Cody's split): y_h = ⌊16|y|⌋/16 has ≤ 14 significant bits
 * for |y| < 1024, so s·y_h² is exact, and e^{−s y²} = e^{−s y_h²} · e^{−s (|y| − y_h)(|y| + y_h)}.
 */
export function expNegSquare64(jax: JaxModule, y: JaxArray, s: 1 | 0.5): JaxArray {
  const np = jax.numpy;
  const a = np.abs(y);
  const ah = jax.lax.stopGradient(np.floor(a.ref.mul(num(jax, 16))).mul(num(jax, 1 / 16)));
  const del = a.ref.sub(ah.ref).mul(a.add(ah.ref));
  const sq = ah.ref.mul(ah);
  return exp64(jax, sq.mul(num(jax, -s))).mul(exp64(jax, del.mul(num(jax, -s))));
}

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969)
// 631–638; coefficients of his CALERF (netlib specfun, shortest round-trip forms of the published
// 18-digit values: the same doubles), highest degree first.
const ERF_A = [
  0.18577770618460315, 3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694,
];
const ERF_B = [1, 23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const ERFC_C = [
  2.1531153547440383e-8, 0.5641884969886701, 8.883149794388377, 66.11919063714163,
  298.6351381974001, 881.952221241769, 1712.0476126340707, 2051.0783778260716, 1230.3393547979972,
];
const ERFC_D = [
  1, 15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903,
  3290.7992357334597, 4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
const ERFC_P = [
  0.016315387137302097, 0.30532663496123236, 0.36034489994980445, 0.12578172611122926,
  0.016083785148742275, 0.0006587491615298378,
];
const ERFC_Q = [
  1, 2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132,
  0.0023352049762686918,
];
const SQRT_PI_INV = 0.5641895835477563;
const ERF_THRESH = 0.46875;

/** erf(y)/y for |y| ≤ 0.46875 (Cody's first interval); consumes y. */
function erfSmallRatio(jax: JaxModule, y: JaxArray): JaxArray {
  const yc = jax.numpy.clip(y, -ERF_THRESH, ERF_THRESH);
  const y2 = yc.ref.mul(yc);
  return horner(jax, y2.ref, ERF_A).div(horner(jax, y2, ERF_B));
}

/**
 * erfc(a)·e^{a²} for a = |t| > 0.46875 (Cody's second and third intervals: rational in a up to 4,
 * rational in 1/a² beyond); consumes a. Clipped so both branches stay finite.
 */
function erfcScaled(jax: JaxModule, a: JaxArray): JaxArray {
  const np = jax.numpy;
  const mid = np.clip(a.ref, ERF_THRESH, 4);
  const rMid = horner(jax, mid.ref, ERFC_C).div(horner(jax, mid, ERFC_D));
  const big = np.clip(a.ref, 4, 1e150);
  const z = np.reciprocal(big.ref.mul(big.ref));
  const tail = z.ref.mul(horner(jax, z.ref, ERFC_P)).div(horner(jax, z, ERFC_Q));
  const rBig = num(jax, SQRT_PI_INV).sub(tail).div(big);
  return np.where(a.lessEqual(4), rMid, rBig);
}

/**
 * erfc(t) where e^{−t²} is supplied by the caller (computed accurately from t's own source,
 * e.g. t = −x/√2 in Φ(x) uses e^{−x²/2}): erfc(t) = 1 − t·R(t²) for |t| ≤ 0.46875, else
 * e^{−t²}·S(|t|), reflected (2 − erfc|t|) for t < 0.
 */
function erfcWith(jax: JaxModule, t: JaxArray, expNegT2: JaxArray): JaxArray {
  const np = jax.numpy;
  const a = np.abs(t.ref);
  const small = a.ref.lessEqual(ERF_THRESH);
  const inner = num(jax, 1).sub(t.ref.mul(erfSmallRatio(jax, t.ref)));
  const upper = expNegT2.mul(erfcScaled(jax, a));
  const outer = np.where(t.less(0), num(jax, 2).sub(upper.ref), upper);
  return np.where(small, inner, outer);
}

/** erf x: x·R(x²) for |x| ≤ 0.46875, sign(x)(1 − erfc|x|) beyond (Cody). */
export function erf64(jax: JaxModule, x: JaxArray): JaxArray {
  const np = jax.numpy;
  const a = np.abs(x.ref);
  const small = a.ref.lessEqual(ERF_THRESH);
  const inner = x.ref.mul(erfSmallRatio(jax, x.ref));
  const e = expNegSquare64(jax, a.ref, 1);
  const outer = np.sign(x).mul(num(jax, 1).sub(e.mul(erfcScaled(jax, a))));
  return np.where(small, inner, outer);
}

/** erfc x, accurate in the far right tail (relative) too. */
export function erfc64(jax: JaxModule, x: JaxArray): JaxArray {
  return erfcWith(jax, x.ref, expNegSquare64(jax, x, 1));
}

/** Φ(x) = erfc(−x/√2)/2 with e^{−x²/2} split on x itself (accurate in the lower tail). */
export function normalCdf64(jax: JaxModule, x: JaxArray): JaxArray {
  const t = x.ref.mul(num(jax, -Math.SQRT1_2));
  return erfcWith(jax, t, expNegSquare64(jax, x, 0.5)).mul(num(jax, 0.5));
}

/** ϕ(x) = e^{−x²/2}/√(2π). */
export function normalPdf64(jax: JaxModule, x: JaxArray): JaxArray {
  return expNegSquare64(jax, x, 0.5).mul(num(jax, 1 / Math.sqrt(2 * Math.PI)));
}

/** π/2 in three parts (fdlibm): PIO2_1 has 33 significant bits, k·PIO2_1 exact for |k| < 2^20. */
const PIO2_1 = 1.5707963267341256;
const PIO2_2 = 6.077100506506192e-11;
const PIO2_3 = 2.0222662487959506e-21;
/** sin r = r Σ (−1)^n r^{2n}/(2n+1)!, cos r = Σ (−1)^n r^{2n}/(2n)!, |r| ≤ π/4, n ≤ 9. */
const SIN_POLY = Array.from({ length: 9 }, (_, i) => {
  const n = 8 - i;
  let f = 1;
  for (let j = 2; j <= 2 * n + 1; j++) f *= j;
  return (n % 2 ? -1 : 1) / f;
});
const COS_POLY = Array.from({ length: 10 }, (_, i) => {
  const n = 9 - i;
  let f = 1;
  for (let j = 2; j <= 2 * n; j++) f *= j;
  return (n % 2 ? -1 : 1) / f;
});

/**
 * [sin x, cos x]: x = k π/2 + r (Cody–Waite, three-part π/2: accurate for |x| < 2^19), Taylor
 * series of sin r and cos r on |r| ≤ π/4, quadrant k mod 4. Beyond 2^19 the reduction loses
 * digits (results stay finite in [−1, 1]); |x| is clipped to 2^40.
 */
export function sinCos64(jax: JaxModule, x: JaxArray): [JaxArray, JaxArray] {
  const np = jax.numpy;
  const xc = np.clip(x, -(2 ** 40), 2 ** 40);
  const k = jax.lax.stopGradient(np.floor(xc.ref.mul(num(jax, 2 / Math.PI)).add(num(jax, 0.5))));
  const r = xc
    .sub(k.ref.mul(num(jax, PIO2_1)))
    .sub(k.ref.mul(num(jax, PIO2_2)))
    .sub(k.ref.mul(num(jax, PIO2_3)));
  const r2 = r.ref.mul(r.ref);
  const s = horner(jax, r2.ref, SIN_POLY).mul(r);
  const c = horner(jax, r2, COS_POLY);
  const q = k.ref.sub(np.floor(k.mul(num(jax, 0.25))).mul(num(jax, 4)));
  const isOdd = np.logicalOr(q.ref.equal(1), q.ref.equal(3));
  const flipSin = q.ref.greaterEqual(2);
  const flipCos = np.logicalOr(q.ref.equal(1), q.equal(2));
  const sRaw = np.where(isOdd.ref, c.ref, s.ref);
  const cRaw = np.where(isOdd, s, c);
  const sign = (flip: JaxArray) => np.where(flip, num(jax, -1), num(jax, 1));
  return [sRaw.mul(sign(flipSin)), cRaw.mul(sign(flipCos))];
}

export function sin64(jax: JaxModule, x: JaxArray): JaxArray {
  const [s, c] = sinCos64(jax, x);
  c.dispose();
  return s;
}

export function cos64(jax: JaxModule, x: JaxArray): JaxArray {
  const [s, c] = sinCos64(jax, x);
  s.dispose();
  return c;
}

/** φ and [φ, φ′] of one activation on float64 arrays (the shape of stax's activation ops). */
export interface ActivationOp64 {
  f(jax: JaxModule, x: JaxArray): JaxArray;
  /** φ(x) and φ′(x) from shared intermediates (φ′ null: identity) */
  fd(jax: JaxModule, x: JaxArray): [JaxArray, JaxArray | null];
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * The float64 ops of each built-in activation kind (conventions of src/theory/activations.ts),
 * built from the accurate functions above; φ′ by the closed forms below (the same derivatives
 * that autodiff of φ gives, test/nets/f64.test.ts checks both). Throws InputError for kinds
 * without a float64 path (custom activations).
 */
export function activationOp64(phi: Activation): ActivationOp64 {
  let op = compiled.get(phi);
  if (!op) {
    const eager = activationOpEager(phi);
    op = phi.kind === "linear" ? eager : jitOp(eager);
    compiled.set(phi, op);
  }
  return op;
}

const compiled = new WeakMap<Activation, ActivationOp64>();

/**
 * [φ, φ′] (the forward-mode rule's op) compiled once per shape with jax.jit: one fused kernel
 * instead of ~50 eagerly dispatched ops (APJN of a tanh MLP width 256, depth 10: 2.9 s → 0.24 s),
 * exact because every constant above is a float64 array. φ itself stays eager: reverse-mode
 * autodiff through a jit'ed float64 function gives wrong values in @jax-js/jax 0.1.25 (gradients
 * off by up to 1e215, measured with test/nets/f64.test.ts), so do not differentiate `fd`.
 */
function jitOp(op: ActivationOp64): ActivationOp64 {
  let fd: ((x: JaxArray) => [JaxArray, JaxArray | null]) | undefined;
  return {
    f: op.f,
    fd: (jax, x) => {
      fd ??= jax.jit(((u: JaxArray) => op.fd(jax, u)) as never) as unknown as (
        x: JaxArray,
      ) => [JaxArray, JaxArray | null];
      return fd(x);
    },
  };
}

function activationOpEager(phi: Activation): ActivationOp64 {
  const np = (jax: JaxModule) => jax.numpy;
  const fromF = (
    f: ActivationOp64["f"],
    df: (jax: JaxModule, x: JaxArray) => JaxArray,
  ): ActivationOp64 => ({ f, fd: (jax, x) => [f(jax, x.ref), df(jax, x)] });
  switch (phi.kind) {
    case "relu":
    case "leaky_relu": {
      // φ = x or αx, φ′ = 1 or α (α as a float64 array: exact under jit too)
      const a = phi.params.alpha ?? 0;
      return fromF(
        (jax, x) => np(jax).where(x.ref.greater(0), x.ref, x.mul(num(jax, a))),
        (jax, x) => np(jax).where(x.greater(0), num(jax, 1), num(jax, a)),
      );
    }
    case "linear":
      return { f: (_jax, x) => x, fd: (_jax, x) => [x, null] };
    case "tanh":
      return fromF(tanh64, sech264);
    case "erf":
      return fromF(erf64, (jax, x) => expNegSquare64(jax, x, 1).mul(num(jax, TWO_OVER_SQRT_PI)));
    case "gelu":
      // φ = x Φ(x), φ′ = Φ(x) + x ϕ(x)
      return fromF(
        (jax, x) => x.ref.mul(normalCdf64(jax, x)),
        (jax, x) => normalCdf64(jax, x.ref).add(x.ref.mul(normalPdf64(jax, x))),
      );
    case "silu":
      // φ = x σ(x), φ′ = σ(x) (1 + x σ(−x)) (σ(−x) = 1 − σ(x) without cancellation)
      return fromF(
        (jax, x) => x.ref.mul(sigmoid64(jax, x)),
        (jax, x) =>
          sigmoid64(jax, x.ref).mul(
            x.ref.mul(sigmoid64(jax, x.mul(num(jax, -1)))).add(num(jax, 1)),
          ),
      );
    case "sigmoid":
      return fromF(sigmoid64, (jax, x) =>
        sigmoid64(jax, x.ref).mul(sigmoid64(jax, x.mul(num(jax, -1)))),
      );
    case "softplus":
      return fromF(softplus64, sigmoid64);
    case "sin":
      return { f: sin64, fd: (jax, x) => sinCos64(jax, x) };
    default:
      throw new InputError(
        "activation",
        `'${phi.name}' has no float64 implementation (only the built-in activations do): use dtype float32`,
      );
  }
}
