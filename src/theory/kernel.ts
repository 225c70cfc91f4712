/**
 * The covariance record that infinite-width layers map (cf. neural-tangents' `Kernel`): for two
 * inputs a, b and one unit of a layer's output,
 *   q1 = E[x_a²], q2 = E[x_b²], q12 = E[x_a x_b], m1 = E[x_a], m2 = E[x_b]   (NNGP),
 *   t1 = Θ(a, a), t2 = Θ(b, b), t12 = Θ(a, b)                                 (NTK),
 * with Θ(a, b) = Σ_θ ∂x_a/∂θ ∂x_b/∂θ over all parameters before the unit, in the NTK
 * parametrization (weights N(0, 1) multiplied by σ_w/√N_in, biases by σ_b: dense layers built with
 * parametrization "ntk"), where the empirical Θ of a wide network converges to this one.
 * `gaussian` records whether the unit is a centred Gaussian field (true after a dense layer at
 * infinite width); activations need Gaussian inputs. Records are plain immutable objects.
 */
export interface Kernel {
  readonly q1: number;
  readonly q2: number;
  readonly q12: number;
  readonly m1: number;
  readonly m2: number;
  readonly gaussian: boolean;
  readonly t1: number;
  readonly t2: number;
  readonly t12: number;
}

/** A centred Gaussian input pair with variances q1, q2 and correlation c (no parameters yet: Θ = 0). */
export function gaussianKernel(q1: number, q2 = q1, c = 1): Kernel {
  return {
    q1,
    q2,
    q12: c * geometricMean(q1, q2),
    m1: 0,
    m2: 0,
    gaussian: true,
    t1: 0,
    t2: 0,
    t12: 0,
  };
}

/** √(a b), also where the product a b overflows (a, b ≳ 1e154): then √a·√b. */
export function geometricMean(a: number, b: number): number {
  const p = a * b;
  return Number.isFinite(p) ? Math.sqrt(p) : Math.sqrt(a) * Math.sqrt(b);
}

/**
 * The record of two network inputs a, b ∈ R^n before any layer: q = a·b/n (what a dense layer
 * with fan-in scaling sees), means over the features, Θ = 0. Not Gaussian: the first layer must
 * be dense.
 */
export function inputKernel(a: ArrayLike<number>, b: ArrayLike<number>): Kernel {
  const n = a.length;
  let q1 = 0;
  let q2 = 0;
  let q12 = 0;
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    q1 += a[i]! * a[i]!;
    q2 += b[i]! * b[i]!;
    q12 += a[i]! * b[i]!;
    m1 += a[i]!;
    m2 += b[i]!;
  }
  return {
    q1: q1 / n,
    q2: q2 / n,
    q12: q12 / n,
    m1: m1 / n,
    m2: m2 / n,
    gaussian: false,
    t1: 0,
    t2: 0,
    t12: 0,
  };
}

/** The correlation of the pair, q12/√(q1 q2) (1 when a variance is 0). */
export function correlation(k: Kernel): number {
  const d = geometricMean(k.q1, k.q2);
  return d > 0 ? k.q12 / d : 1;
}

/** One layer's infinite-width step: the output record and the layer's APJN factor χ. */
export interface KernelStep {
  readonly kernel: Kernel;
  readonly chi: number;
}

/**
 * The infinite-width view of a layer: how it maps the covariance record, and its APJN factor
 * χ = J^{l0,out}/J^{l0,in} = (1/N_out) E‖(∂out/∂in) v‖² / ((1/N_in) ‖v‖²) for input a.
 */
export interface KernelLayer {
  readonly name: string;
  map(k: Kernel): KernelStep;
}
