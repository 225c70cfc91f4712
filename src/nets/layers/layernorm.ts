/** LayerNorm over the features (the last axis). */

import { geometricMean } from "../../theory/kernel.js";
import type { JaxArray, JaxModule } from "../jax.js";
import type { JaxParams, Layer } from "./layer.js";

export const LAYERNORM_EPS = 1e-5;

/**
 * LayerNorm over features: x ↦ γ ⊙ (x − m)/√(s² + ε) + β with s² = q − m² the population
 * variance. With `affine` the gain γ and shift β are learnable parameters, initialized to 1 and
 * 0 as in PyTorch; without, γ = 1, β = 0 fixed. At initialization both give
 * q' = s²/(s² + ε), q12' = (q12 − m1 m2)/√((s1² + ε)(s2² + ε)),
 * χ = 1/(s² + ε) (the projections onto 1 and x̂ remove two of N directions: O(1/N)).
 * NTK (neural-tangents' LayerNorm): Θ12' = Θ12/√((s1² + ε)(s2² + ε)) (the same projections drop
 * out at infinite width); with `affine`, each unit's own γ and β add q12' + 1.
 */
export function layerNorm(eps = LAYERNORM_EPS, affine = false): Layer {
  const scaleShift = (params: JaxParams, y: JaxArray, ty: JaxArray): [JaxArray, JaxArray] => {
    if (!affine) return [y, ty];
    const { g, b } = params as { g: JaxArray; b: JaxArray };
    return [y.mul(g.ref).add(b), ty.mul(g)];
  };
  return {
    name: affine ? "layernorm(affine)" : "layernorm",
    key: `layernorm(${eps},${affine})`,
    hasTheory: true,
    fresh: () => false,
    init: (_rng, nIn) => ({
      params: affine
        ? {
            g: { shape: [nIn], data: new Float64Array(nIn).fill(1) },
            b: { shape: [nIn], data: new Float64Array(nIn) },
          }
        : [],
      nOut: nIn,
    }),
    apply(jax, params, x) {
      const y = normalize(jax, x, eps)[0];
      if (!affine) return y;
      const { g, b } = params as { g: JaxArray; b: JaxArray };
      return y.mul(g).add(b);
    },
    // dy = s⁻¹ (dx_c − y · mean(y dx_c)), dx_c = dx − mean(dx), s = √(var + ε); then × γ
    jvp(jax, params, x, t) {
      const np = jax.numpy;
      const [y, inv] = normalize(jax, x, eps);
      const tc = t.ref.sub(np.mean(t, -1, { keepdims: true }));
      const proj = np.mean(tc.ref.mul(y.ref), -1, { keepdims: true });
      return scaleShift(params, y.ref, tc.sub(y.mul(proj)).mul(inv));
    },
    map: (k) => {
      const v1 = k.q1 - k.m1 * k.m1 + eps;
      const v2 = k.q2 - k.m2 * k.m2 + eps;
      const q1 = (v1 - eps) / v1;
      const q2 = (v2 - eps) / v2;
      const q12 = (k.q12 - k.m1 * k.m2) / geometricMean(v1, v2);
      const own = affine ? 1 : 0;
      return {
        kernel: {
          q1,
          q2,
          q12,
          m1: 0,
          m2: 0,
          gaussian: k.gaussian,
          t1: k.t1 / v1 + own * (q1 + 1),
          t2: k.t2 / v2 + own * (q2 + 1),
          t12: k.t12 / Math.sqrt(v1 * v2) + own * (q12 + 1),
        },
        chi: 1 / v1,
      };
    },
  };
}

/** LayerNorm over the last axis: [(x − mean)/s, 1/s] with s = √(population variance + ε). */
function normalize(jax: JaxModule, x: JaxArray, eps: number): [JaxArray, JaxArray] {
  const np = jax.numpy;
  const centred = x.ref.sub(np.mean(x, -1, { keepdims: true }));
  const inv = np.reciprocal(
    np.sqrt(np.mean(np.square(centred.ref), -1, { keepdims: true }).add(eps)),
  );
  return [centred.mul(inv.ref), inv];
}
