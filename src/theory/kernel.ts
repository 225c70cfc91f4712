/**
 * The covariance record that infinite-width layers map (cf. neural-tangents' `Kernel`): for two
 * inputs a, b and one unit of a layer's output,
 *   q1 = E[x_a²], q2 = E[x_b²], q12 = E[x_a x_b], m1 = E[x_a], m2 = E[x_b].
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
}

/** A centred Gaussian input pair with variances q1, q2 and correlation c. */
export function gaussianKernel(q1: number, q2 = q1, c = 1): Kernel {
  return { q1, q2, q12: c * geometricMean(q1, q2), m1: 0, m2: 0, gaussian: true };
}

/** √(a b), also where the product a b overflows (a, b ≳ 1e154): then √a·√b. */
export function geometricMean(a: number, b: number): number {
  const p = a * b;
  return Number.isFinite(p) ? Math.sqrt(p) : Math.sqrt(a) * Math.sqrt(b);
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
