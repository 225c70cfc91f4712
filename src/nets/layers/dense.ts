/** Dense (fully connected) layers: hidden layers, the input embedding and the readout. */
import { InputError } from "../../errors.js";
import type { JaxArray } from "../jax.js";
import {
  biasScaling,
  type LayerKind,
  parametrization as parametrizationTable,
  storedScaling,
} from "../parametrizations.js";
import type { HostParams, HostTensor, Layer, Parametrization } from "./layer.js";

/** A tensor's SGD and Adam learning-rate factors (a table row's `lr` and `adamLr`). */
export type LrFactors = { lr: number; adamLr: number };

/** The factors as `HostTensor` fields (those ≠ 1 only). */
export const lrFactors = (s: LrFactors): Pick<HostTensor, "lr" | "adamLr"> => ({
  ...(s.lr === 1 ? {} : { lr: s.lr }),
  ...(s.adamLr === 1 ? {} : { adamLr: s.adamLr }),
});

/**
 * `layer` with the lr factors of a bias of `fanOut` units (default: the layer's output width) in
 * `parametrization` (`biasScaling`: SGD fan_out, Adam 1 in µP) on every parameter tensor: for
 * vector-like parameters (LayerNorm gain and shift, a position embedding), which Tensor Programs V
 * treats as biases.
 */
export function vectorLike(layer: Layer, parametrization: Parametrization, fanOut?: number): Layer {
  const name = parametrization === "standard" ? "sp" : parametrization;
  const table = parametrizationTable(name);
  const tag = (p: HostParams, f: Pick<HostTensor, "lr" | "adamLr">): HostParams => {
    if (Array.isArray(p)) return p.map((q) => tag(q, f));
    if ("data" in p && p.data instanceof Float64Array) return { ...(p as HostTensor), ...f };
    return Object.fromEntries(Object.entries(p).map(([k, q]) => [k, tag(q as HostParams, f)]));
  };
  return {
    ...layer,
    init(rng, nIn) {
      const r = layer.init(rng, nIn);
      return { ...r, params: tag(r.params, lrFactors(biasScaling(table, fanOut ?? r.nOut))) };
    },
  };
}

/**
 * Dense to `width` units: q' = σ_w² q + σ_b² (same for q12), χ = σ_w²; the output is a centred
 * Gaussian field. NTK (neural-tangents' Dense, NTK parametrization): Θ' = σ_w² Θ + q', the first
 * term from the parameters below (backpropagated through W), the second from W and b themselves.
 * (In the standard parametrization the W-gradient term grows like N_in: no finite limit.)
 *
 * The scalings come from the parametrization's table (../parametrizations.ts, one row per layer
 * `kind`; "standard" is the table's "sp"): ω ~ N(0, std²), y = m_w ω x + m_b b with std and m
 * from `storedScaling` (σ_w for ω; σ_b for the bias, an input weight from a constant 1,
 * `biasScaling`). Standard stores W ~ N(0, σ_w²/N_in), b ~ N(0, σ_b²); NTK stores W, b ~ N(0, 1)
 * and multiplies by σ_w/√N_in, σ_b in the forward pass (same function at initialization,
 * different gradient scales); µP and mean-field differ by layer kind. The table's lr factors go
 * on the parameter tensors (`HostTensor.lr` and `.adamLr`, for the optimizer). W is stored [N_out, N_in] and
 * transposed inside the compiled step once per use (a transpose used twice is materialised: a
 * copy per layer). The input width comes from the previous layer (an embedding is dense(hidden)
 * on inputs of any width, a readout dense(classes) on the hidden width).
 */
export function dense(
  width: number,
  sigmaW2: number,
  sigmaB2: number,
  parametrization: Parametrization = "standard",
  kind: LayerKind = "hidden",
): Layer {
  const name = parametrization === "standard" ? "sp" : parametrization;
  const table = parametrizationTable(name);
  const sigmaW = Math.sqrt(sigmaW2);
  const weight = (nIn: number) => storedScaling(table.layer(kind, nIn, width), sigmaW);
  const bias = storedScaling(biasScaling(table, width), Math.sqrt(sigmaB2));
  // sp and ntk scale every kind alike; µP and mean-field outputs shrink with N_in (no finite map)
  const byKind = name === "mup" || name === "mean-field";
  const scaled = (t: JaxArray, m: number) => (m === 1 ? t : t.mul(m));
  return {
    name: `dense(${sigmaW2}, ${sigmaB2})`,
    key:
      name === "sp" ? "dense" : `dense-${name}${byKind ? `-${kind}` : ""}(${sigmaW2},${sigmaB2})`,
    hasTheory: !(byKind && kind === "output"),
    fresh: () => true,
    init(rng, nIn) {
      const w = weight(nIn);
      const tensor = (shape: number[], n: number, s: { std: number } & LrFactors): HostTensor => ({
        shape,
        data: rng.normals(n, s.std),
        ...lrFactors(s),
      });
      return {
        params: { w: tensor([width, nIn], nIn * width, w), b: tensor([width], width, bias) },
        nOut: width,
      };
    },
    apply(jax, params, x) {
      const { w, b } = params as { w: JaxArray; b: JaxArray };
      const m = weight(w.shape[1]!).multiplier;
      const y = jax.numpy.matmul(x, jax.numpy.transpose(w));
      return scaled(y, m).add(scaled(b, bias.multiplier));
    },
    jvp(jax, params, x, t) {
      const { w } = params as { w: JaxArray; b: JaxArray };
      const m = weight(w.shape[1]!).multiplier;
      const ty = jax.numpy.matmul(t, jax.numpy.transpose(w.ref));
      return [this.apply(jax, params, x), scaled(ty, m)];
    },
    momentKey: `${sigmaW2}`,
    jvpMoment(jax, params, x, t) {
      // E over fresh W of mean_k (m Σ_j W_kj t_j)² = (m · std)² ‖t‖²
      const s = weight((params as { w: JaxArray }).w.shape[1]!);
      const e = jax.numpy
        .square(t.ref)
        .sum(t.ndim - 1)
        .mul((s.multiplier * s.std) ** 2);
      const [y, ty] = this.jvp!(jax, params, x, t);
      return [y, ty, e];
    },
    map: (k) => {
      if (byKind && kind === "output")
        throw new InputError(
          "parametrization",
          `the ${name} readout (multiplier 1/N_in) has no finite infinite-width covariance map`,
        );
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
