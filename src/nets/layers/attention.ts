/**
 * Multi-head self-attention (Vaswani et al. 2017), no masks, on rows x = vec(X), X ∈ R^{T×d}
 * (T tokens of d channels, token-major):
 *   Q = X W_qᵀ + b_q,  K = X W_kᵀ + b_k,  V = X W_vᵀ + b_v                       (each T×d)
 *   head h (channels h·d_h … (h+1)·d_h − 1, d_h = d/H):
 *     A_h = softmax_rows(Q_h K_hᵀ / √d_h),  softmax(s)_j = e^{s_j − m} / Σ_k e^{s_k − m}, m = max_k s_k
 *   Y = concat_h(A_h V_h) W_oᵀ + b_o
 * Weights W ~ N(0, σ_w²/d), biases ~ N(0, σ_b²) (PyTorch's nn.MultiheadAttention zeroes the
 * biases: σ_b² = 0). The output ends in the fresh projection W_o, so the layer is `fresh`.
 *
 * Under a width parametrization (../parametrizations.ts; "sp" is the above) the four projections
 * are the table's hidden layers (fan-in d: init, multiplier, SGD and Adam lr factors) and the
 * biases its biases. NTK keeps the 1/√d_h logits (it is SP's function at init: the same
 * effective weights, σ_w/√d moved from the init into the multiplier). µP (Tensor Programs V, §4
 * and appendix on Transformers) and mean-field (µP up to the abc symmetry: the same effective
 * weights and steps) scale the attention logits by 1/d_h instead of 1/√d_h: after training, q and k are correlated and
 * q·k grows like d_h (a law of large numbers), not √d_h (a central limit). Written here as
 * 1/d_h exactly (no base-width multiplier), so at init the logits are O(1/√d_h) and the
 * attention tends to uniform as d_h grows.
 *
 * There is no infinite-width view here (T is small): the APJN is measured empirically.
 */
import { InputError } from "../../errors.js";
import type { JaxArray, JaxModule } from "../jax.js";
import {
  biasScaling,
  parametrization as parametrizationTable,
  storedScaling,
} from "../parametrizations.js";
import { lrFactors } from "./dense.js";
import type { Layer, Parametrization } from "./layer.js";

export interface AttentionConfig {
  tokens: number;
  heads: number;
  /** weight variance σ_w² of the four projections (default 1) */
  sigmaW2?: number;
  /** bias variance σ_b² (default 0) */
  sigmaB2?: number;
  /** "standard" (= "sp", default), "ntk", "mup" or "mean-field" (see the module comment) */
  parametrization?: Parametrization;
}

/** The logit scale of `selfAttention`: 1/d_h in µP and mean-field, 1/√d_h in SP and NTK. */
export const attentionLogitScale = (
  parametrization: AttentionConfig["parametrization"],
  dh: number,
) => (parametrization === "mup" || parametrization === "mean-field" ? 1 / dh : 1 / Math.sqrt(dh));

export interface AttentionParams {
  wq: JaxArray;
  wk: JaxArray;
  wv: JaxArray;
  wo: JaxArray;
  bq: JaxArray;
  bk: JaxArray;
  bv: JaxArray;
  bo: JaxArray;
}

export function selfAttention(cfg: AttentionConfig): Layer {
  const { tokens: T, heads: H } = cfg;
  const sigmaW2 = cfg.sigmaW2 ?? 1;
  const sigmaB2 = cfg.sigmaB2 ?? 0;
  const pz =
    cfg.parametrization === undefined || cfg.parametrization === "standard"
      ? "sp"
      : cfg.parametrization;
  const table = parametrizationTable(pz);
  const weight = (d: number) => storedScaling(table.layer("hidden", d, d), Math.sqrt(sigmaW2));
  const bias = (d: number) => storedScaling(biasScaling(table, d), Math.sqrt(sigmaB2));
  return {
    name: `attention(T=${T}, H=${H}${pz === "sp" ? "" : `, ${pz === "mup" ? "µP" : pz}`})`,
    key: pz === "sp" ? `attention(${T},${H})` : `attention-${pz}(${T},${H},${sigmaW2},${sigmaB2})`,
    hasTheory: false,
    fresh: () => true,
    init(rng, nIn) {
      if (nIn % T !== 0)
        throw new InputError("width", `${nIn} features do not split into ${T} tokens`);
      const d = nIn / T;
      if (d % H !== 0) throw new InputError("heads", `${d} channels do not split into ${H} heads`);
      const [ws, bs] = [weight(d), bias(d)];
      const w = () => ({ shape: [d, d], data: rng.normals(d * d, ws.std), ...lrFactors(ws) });
      const b = () => ({ shape: [d], data: rng.normals(d, bs.std), ...lrFactors(bs) });
      return {
        params: { wq: w(), wk: w(), wv: w(), wo: w(), bq: b(), bk: b(), bv: b(), bo: b() },
        nOut: nIn,
      };
    },
    apply(jax, params, x) {
      const d = x.shape[x.shape.length - 1]! / T;
      const m = {
        w: weight(d).multiplier,
        b: bias(d).multiplier,
        logits: attentionLogitScale(pz, d / H),
      };
      return attend(jax, params as unknown as AttentionParams, x, T, H, m);
    },
    map() {
      throw new InputError(
        "architecture",
        "self-attention has no infinite-width theory here (measure it with the empirical APJN)",
      );
    },
  };
}

/**
 * The forward pass of `selfAttention` on x [..., T·d] with multipliers `mult` (weights, biases: the
 * table's; logits: 1/√d_h or 1/d_h); consumes params and x.
 */
function attend(
  jax: JaxModule,
  p: AttentionParams,
  x: JaxArray,
  T: number,
  H: number,
  mult: { w: number; b: number; logits: number },
): JaxArray {
  const np = jax.numpy;
  const lead = x.shape.slice(0, -1);
  const d = x.shape[x.shape.length - 1]! / T;
  const dh = d / H;
  const X = x.reshape([...lead, T, d]);
  // [..., T, d] → [..., H, T, d_h]
  const scaled = (t: JaxArray, s: number) => (s === 1 ? t : t.mul(s));
  const linear = (h: JaxArray, w: JaxArray, b: JaxArray) =>
    scaled(np.matmul(h, np.transpose(w)), mult.w).add(scaled(b, mult.b));
  const project = (w: JaxArray, b: JaxArray, h: JaxArray) =>
    np.swapaxes(linear(h, w, b).reshape([...lead, T, H, dh]), -2, -3);
  const q = project(p.wq, p.bq, X.ref);
  const k = project(p.wk, p.bk, X.ref);
  const v = project(p.wv, p.bv, X);
  const scores = np.matmul(q, np.swapaxes(k, -1, -2)).mul(mult.logits);
  const m = jax.lax.stopGradient(np.max(scores.ref, -1, { keepdims: true }));
  const e = np.exp(scores.sub(m));
  const a = e.ref.div(np.sum(e, -1, { keepdims: true }));
  const heads = np.swapaxes(np.matmul(a, v), -2, -3).reshape([...lead, T, d]);
  return linear(heads, p.wo, p.bo).reshape([...lead, T * d]);
}
