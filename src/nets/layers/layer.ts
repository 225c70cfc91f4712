/**
 * The layer record (after neural-tangents' stax). Every layer has
 *   - `map`: its infinite-width view (covariance record in → out, and its APJN factor χ),
 *   - `init`: sampling of its parameters for a given input width (seeded, float64 on the host),
 *   - `apply`: its finite forward pass on rows x [..., N_in] → [..., N_out] in @jax-js/jax,
 *   - `jvp` (optional): a hand-written forward-mode rule for P probe tangents t [P, ..., N_in]
 *     sharing one primal, a measured fast path (~3× faster than jax-js autodiff, which has no
 *     symbolic zeros); without it `layerJvp` derives the rule from `apply` with jax.jvp, and
 *     test/nets checks every hand-written rule against the derived one.
 * Theory commands iterate `map`; finite networks run `apply` on parameters from `init`; both come
 * from the same definition, so theory and experiment cannot describe different architectures.
 *
 * Conventions (PyTorch): Dense h = W x + b with W_ij ~ N(0, σ_w²/N_in), b_i ~ N(0, σ_b²);
 * LayerNorm normalizes over the features with the population variance and ε = 1e-5.
 * `apply` and `jvp` follow jax-js ownership: they consume `params`, `x` and `t`.
 */
import type { Rng } from "../../rng.js";
import type { KernelLayer } from "../../theory/kernel.js";
import type { JaxArray, JaxModule } from "../jax.js";
import type { ParametrizationName } from "../parametrizations.js";

/** A parameter tensor on the host, float64 (cast to the network's dtype when moved to jax). */
export interface HostTensor {
  shape: number[];
  data: Float64Array;
  /**
   * learning-rate factor of this tensor (default 1): the SGD / momentum step is η · lr (the
   * parametrization's per-layer factor, ../parametrizations.ts)
   */
  lr?: number;
  /** Adam's learning-rate factor (default 1): Adam's step is η · adamLr (the table's Adam column) */
  adamLr?: number;
}
/** Parameters of a layer: a tree of tensors (objects and arrays); `[]` for none. */
export type HostParams = HostTensor | HostParams[] | { [k: string]: HostParams };
/** The same tree with jax arrays at the leaves. */
export type JaxParams = JaxArray | JaxParams[] | { [k: string]: JaxParams };

/** A table of ../parametrizations.ts by name; "standard" is its "sp". */
export type Parametrization = "standard" | ParametrizationName;

export interface Layer extends KernelLayer {
  /**
   * Identifies `apply`: layers with equal keys compute the same function of (params, x). Built
   * from the keys of the parts; anything user-supplied (a custom activation) enters by identity.
   */
  readonly key: string;
  /** the layers a `serial` composes, in order (for analyses that look inside a block) */
  readonly parts?: readonly Layer[];
  /** false for layers with no infinite-width view here (`map` throws) */
  readonly hasTheory: boolean;
  /**
   * Whether the output is a zero-mean field uncorrelated with everything computed before the
   * layer, given whether the input is (`freshIn`): true after fresh zero-mean weights (dense),
   * kept by `scale`, propagated through `serial` and `sum`. `sum` adds covariance records and
   * χ, which needs all its branches but one to be fresh on any input.
   */
  fresh(freshIn: boolean): boolean;
  init(rng: Rng, nIn: number): { params: HostParams; nOut: number };
  apply(jax: JaxModule, params: JaxParams, x: JaxArray): JaxArray;
  /** [apply(x), (∂apply/∂x) t] for x [..., N_in], t [P, ..., N_in]; consumes params, x, t */
  jvp?(jax: JaxModule, params: JaxParams, x: JaxArray, t: JaxArray): [JaxArray, JaxArray];
  /**
   * The tangent rule with the output tangent's conditional mean square, for the martingale
   * control variates of the empirical APJN (../../diagnostics/apjn.ts): [y, ty, e] with
   * e [P, ...rows] = E[mean over features of ty² | x, t, everything sampled before the layer's
   * last fresh weights], exact at initialisation (weights independent and zero-mean as `init`
   * samples them): dense (‖t‖² · (multiplier · std)²), scale, and the serial / sum compositions
   * that end in them (`momentRule`). Consumes params, x, t.
   */
  jvpMoment?(
    jax: JaxModule,
    params: JaxParams,
    x: JaxArray,
    t: JaxArray,
  ): [JaxArray, JaxArray, JaxArray];
  /**
   * What `jvpMoment` depends on beyond `key` (dense: σ_w², which the standard parametrization
   * stores in W, so its `key` omits it): equal key and momentKey, same moment rule.
   */
  readonly momentKey?: string;
  /** For tangent maps t ↦ c·t (scale): c², the factor of the tangent's mean square. */
  readonly tangentGain?: number;
  /** Checks that need jax-js (e.g. a custom activation's op against its scalar φ); throws InputError. */
  verify?(jax: JaxModule): void;
}

/** The layer's tangent map: its hand-written rule, else `derivedJvp`. Consumes params, x, t. */
export function layerJvp(
  jax: JaxModule,
  layer: Layer,
  params: JaxParams,
  x: JaxArray,
  t: JaxArray,
): [JaxArray, JaxArray] {
  if (layer.jvp) return layer.jvp(jax, params, x, t);
  return derivedJvp(jax, (p: JaxParams, h: JaxArray) => layer.apply(jax, p, h), params, x, t);
}

/**
 * The tangent map from jax-js autodiff: jvp of `apply` on the primal replicated once per probe
 * (rows stay independent), x [..., N], t [P, ..., N]. Costs the replicated forward pass and a
 * zero tangent per closed-over parameter (jax-js has no symbolic zeros). Consumes params, x, t.
 */
export function derivedJvp<P>(
  jax: JaxModule,
  apply: (params: P, x: JaxArray) => JaxArray,
  params: P,
  x: JaxArray,
  t: JaxArray,
): [JaxArray, JaxArray] {
  const P = t.shape[0]!;
  const lead = x.shape.slice(0, -1);
  const n = x.shape[x.shape.length - 1]!;
  const rows = lead.reduce((a, b) => a * b, 1);
  const xRep = jax.numpy.broadcastTo(x, t.shape).reshape([P * rows, n]);
  const [yRep, ty] = jax.jvp((h: JaxArray) => apply(params, h), [xRep], [t.reshape([P * rows, n])]);
  const nOut = ty.shape[1]!;
  return [yRep.reshape([P, ...lead, nOut]).slice(0), ty.reshape([P, ...lead, nOut])];
}

/** A layer without parameters whose output width is its input width. */
export const noParams = (_rng: Rng, nIn: number) => ({ params: [] as HostParams, nOut: nIn });
