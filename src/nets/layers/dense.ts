/** Dense (fully connected) layers: hidden layers, the input embedding and the readout. */
import type { JaxArray } from "../jax.js";
import type { Layer, Parametrization } from "./layer.js";

/**
 * Dense to `width` units: q' = σ_w² q + σ_b² (same for q12), χ = σ_w²; the output is a centred
 * Gaussian field. NTK (neural-tangents' Dense, NTK parametrization): Θ' = σ_w² Θ + q', the first
 * term from the parameters below (backpropagated through W), the second from W and b themselves.
 * (In the standard parametrization the W-gradient term grows like N_in: no finite limit.) Standard parametrization stores W ~ N(0, σ_w²/N_in), b ~ N(0, σ_b²); NTK stores
 * W, b ~ N(0, 1) and multiplies by σ_w/√N_in, σ_b in the forward pass (same function at
 * initialization, different gradient scales). W is stored [N_out, N_in] and transposed inside
 * the compiled step once per use (a transpose used twice is materialised: a copy per layer).
 * The input width comes from the previous layer (an embedding is dense(hidden) on inputs of
 * any width, a readout dense(classes) on the hidden width).
 */
export function dense(
  width: number,
  sigmaW2: number,
  sigmaB2: number,
  parametrization: Parametrization = "standard",
): Layer {
  const ntk = parametrization === "ntk";
  return {
    name: `dense(${sigmaW2}, ${sigmaB2})`,
    key: ntk ? `dense-ntk(${sigmaW2},${sigmaB2})` : "dense",
    hasTheory: true,
    fresh: () => true,
    init(rng, nIn) {
      const wStd = ntk ? 1 : Math.sqrt(sigmaW2 / nIn);
      const bStd = ntk ? 1 : Math.sqrt(sigmaB2);
      return {
        params: {
          w: { shape: [width, nIn], data: rng.normals(nIn * width, wStd) },
          b: { shape: [width], data: rng.normals(width, bStd) },
        },
        nOut: width,
      };
    },
    apply(jax, params, x) {
      const { w, b } = params as { w: JaxArray; b: JaxArray };
      const nIn = w.shape[1]!;
      const y = jax.numpy.matmul(x, jax.numpy.transpose(w));
      return ntk ? y.mul(Math.sqrt(sigmaW2 / nIn)).add(b.mul(Math.sqrt(sigmaB2))) : y.add(b);
    },
    jvp(jax, params, x, t) {
      const { w } = params as { w: JaxArray; b: JaxArray };
      const nIn = w.shape[1]!;
      const ty = jax.numpy.matmul(t, jax.numpy.transpose(w.ref));
      return [this.apply(jax, params, x), ntk ? ty.mul(Math.sqrt(sigmaW2 / nIn)) : ty];
    },
    map: (k) => {
      const q1 = sigmaW2 * k.q1 + sigmaB2;
      const q2 = sigmaW2 * k.q2 + sigmaB2;
      const q12 = sigmaW2 * k.q12 + sigmaB2;
      return {
        kernel: {
          q1,
          q2,
          q12,
          m1: 0,
          m2: 0,
          gaussian: true,
          t1: sigmaW2 * k.t1 + q1,
          t2: sigmaW2 * k.t2 + q2,
          t12: sigmaW2 * k.t12 + q12,
        },
        chi: sigmaW2,
      };
    },
  };
}
