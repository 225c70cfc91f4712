/**
 * Layers, defined once (after neural-tangents' stax). Every layer has
 *   - `map`: its infinite-width view (covariance record in → out, and its APJN factor χ),
 *   - `init`: sampling of its parameters for a given input width (seeded, float64 on the host),
 *   - `apply`: its finite forward pass on rows x [batch, N_in] → [batch, N_out] in @jax-js/jax,
 *   - `jvp`: the same forward pass with its tangent map for P probe tangents t [P, batch, N_in]
 *     sharing one primal (forward-mode rule written once per layer: ~3× faster than jax-js
 *     autodiff, which has no symbolic zeros; test/nets checks it against jax.jvp).
 * Theory commands iterate `map`; finite networks run `apply` on parameters from `init`; both come
 * from the same definition, so theory and experiment cannot describe different architectures.
 *
 * Conventions (PyTorch): Dense h = W x + b with W_ij ~ N(0, σ_w²/N_in), b_i ~ N(0, σ_b²);
 * LayerNorm normalizes over the features with the population variance and ε = 1e-5.
 * `apply` follows jax-js ownership: it consumes `params` and `x`.
 */
import { InputError } from "../errors.js";
import type { Rng } from "../rng.js";
import type { Activation } from "../theory/activations.js";
import { geometricMean, type Kernel, type KernelLayer, type KernelStep } from "../theory/kernel.js";
import type { JaxArray, JaxModule } from "./jax.js";

/** A parameter tensor on the host, float64 (cast to the network's dtype when moved to jax). */
export interface HostTensor {
  shape: number[];
  data: Float64Array;
}
/** Parameters of a layer: a tree of tensors (objects and arrays); `[]` for none. */
export type HostParams = HostTensor | HostParams[] | { [k: string]: HostParams };
/** The same tree with jax arrays at the leaves. */
export type JaxParams = JaxArray | JaxParams[] | { [k: string]: JaxParams };

export interface Layer extends KernelLayer {
  /** identifies `apply`: layers with equal keys compute the same function of (params, x) */
  readonly key: string;
  /** false for layers with no infinite-width view here (`map` throws) */
  readonly hasTheory: boolean;
  /** true when the layer ends in a fresh dense map (required inside a residual block) */
  readonly endsWithDense: boolean;
  init(rng: Rng, nIn: number): { params: HostParams; nOut: number };
  apply(jax: JaxModule, params: JaxParams, x: JaxArray): JaxArray;
  /** [apply(x), (∂apply/∂x) t] for x [..., N_in], t [P, ..., N_in]; consumes params, x, t */
  jvp(jax: JaxModule, params: JaxParams, x: JaxArray, t: JaxArray): [JaxArray, JaxArray];
}

export type Parametrization = "standard" | "ntk";

export const LAYERNORM_EPS = 1e-5;

/**
 * Dense to `width` units: q' = σ_w² q + σ_b² (same for q12), χ = σ_w²; the output is a centred
 * Gaussian field. Standard parametrization stores W ~ N(0, σ_w²/N_in), b ~ N(0, σ_b²); NTK stores
 * W, b ~ N(0, 1) and multiplies by σ_w/√N_in, σ_b in the forward pass (same function at
 * initialization, different gradient scales). W is stored [N_out, N_in] and transposed inside
 * the compiled step once per use (a transpose used twice is materialised: a copy per layer).
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
    endsWithDense: true,
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
    map: (k) => ({
      kernel: {
        q1: sigmaW2 * k.q1 + sigmaB2,
        q2: sigmaW2 * k.q2 + sigmaB2,
        q12: sigmaW2 * k.q12 + sigmaB2,
        m1: 0,
        m2: 0,
        gaussian: true,
      },
      chi: sigmaW2,
    }),
  };
}

/** Elementwise φ on a centred Gaussian field: q' = E[φ(u)²], q12' = E[φ(u1)φ(u2)], χ = E[φ′(u)²]. */
export function act(phi: Activation): Layer {
  const op = activationOp(phi);
  return {
    name: phi.name,
    key: phi.name,
    hasTheory: true,
    endsWithDense: false,
    init: (_rng, nIn) => ({ params: [], nOut: nIn }),
    apply: (jax, _params, x) => op.f(jax, x),
    jvp(jax, _params, x, t) {
      const [y, d] = op.fd(jax, x);
      return [y, d ? t.mul(d) : t];
    },
    map: (k) => {
      if (!k.gaussian || k.m1 !== 0 || k.m2 !== 0) {
        throw new InputError(
          "architecture",
          `${phi.name} applied to a non-Gaussian input has no infinite-width theory here (put a dense layer before it)`,
        );
      }
      const q1 = phi.secondMoment(k.q1);
      const same = k.q2 === k.q1 && k.q12 === k.q1;
      return {
        kernel: {
          q1,
          q2: same ? q1 : phi.secondMoment(k.q2),
          q12: same ? q1 : phi.cov(k.q1, k.q2, k.q12),
          m1: phi.mean(k.q1),
          m2: same ? phi.mean(k.q1) : phi.mean(k.q2),
          gaussian: false,
        },
        chi: phi.derivSecondMoment(k.q1),
      };
    },
  };
}

/**
 * LayerNorm over features: x ↦ γ ⊙ (x − m)/√(s² + ε) + β with s² = q − m² the population
 * variance. With `affine` the gain γ and shift β are learnable parameters, initialized to 1 and
 * 0 as in PyTorch; without, γ = 1, β = 0 fixed. At initialization both give
 * q' = s²/(s² + ε), q12' = (q12 − m1 m2)/√((s1² + ε)(s2² + ε)),
 * χ = 1/(s² + ε) (the projections onto 1 and x̂ remove two of N directions: O(1/N)).
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
    endsWithDense: false,
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
      return {
        kernel: {
          q1: (v1 - eps) / v1,
          q2: (v2 - eps) / v2,
          q12: (k.q12 - k.m1 * k.m2) / geometricMean(v1, v2),
          m1: 0,
          m2: 0,
          gaussian: k.gaussian,
        },
        chi: 1 / v1,
      };
    },
  };
}

/** Layers applied in order; χ multiplies. Parameters are a list, one entry per layer. */
export function serial(...layers: Layer[]): Layer {
  return {
    name: layers.map((l) => l.name).join(" → "),
    key: `[${layers.map((l) => l.key).join(",")}]`,
    hasTheory: layers.every((l) => l.hasTheory),
    endsWithDense: layers[layers.length - 1]?.endsWithDense ?? false,
    init(rng, nIn) {
      const params: HostParams[] = [];
      let n = nIn;
      for (const layer of layers) {
        const p = layer.init(rng, n);
        params.push(p.params);
        n = p.nOut;
      }
      return { params, nOut: n };
    },
    apply(jax, params, x) {
      const ps = params as JaxParams[];
      return layers.reduce((h, layer, i) => layer.apply(jax, ps[i]!, h), x);
    },
    jvp(jax, params, x, t) {
      const ps = params as JaxParams[];
      return layers.reduce<[JaxArray, JaxArray]>(
        ([h, th], layer, i) => layer.jvp(jax, ps[i]!, h, th),
        [x, t],
      );
    },
    map: (k) => {
      let kernel = k;
      let chi = 1;
      for (const layer of layers) {
        const s: KernelStep = layer.map(kernel);
        kernel = s.kernel;
        chi *= s.chi;
      }
      return { kernel, chi };
    },
  };
}

/** x ↦ μ x: q' = μ² q, m' = μ m, χ = μ². */
export function scale(mu: number): Layer {
  return {
    name: `scale(${mu})`,
    key: `scale(${mu})`,
    hasTheory: true,
    endsWithDense: false,
    init: (_rng, nIn) => ({ params: [], nOut: nIn }),
    apply: (_jax, _params, x) => x.mul(mu),
    jvp: (_jax, _params, x, t) => [x.mul(mu), t.mul(mu)],
    map: (k) => ({
      kernel: {
        ...k,
        q1: mu * mu * k.q1,
        q2: mu * mu * k.q2,
        q12: mu * mu * k.q12,
        m1: mu * k.m1,
        m2: mu * k.m2,
      },
      chi: mu * mu,
    }),
  };
}

/**
 * Parallel branches on the same input, outputs summed (neural-tangents' FanOut + FanInSum).
 * All branches but at most one must end with a dense layer: fresh zero-mean weights make the
 * branch outputs uncorrelated, so the records add (q' = Σ q'_k, also q12, m) and so does χ
 * (the cross terms of ‖Σ_k J_k v‖² vanish in expectation).
 */
export function sum(...branches: Layer[]): Layer {
  if (branches.filter((b) => !b.endsWithDense).length > 1) {
    throw new Error("sum: all branches but one must end with a dense layer");
  }
  const add = (a: JaxArray, b: JaxArray) => a.add(b);
  return {
    name: `sum(${branches.map((b) => b.name).join(", ")})`,
    key: `sum(${branches.map((b) => b.key).join(",")})`,
    hasTheory: branches.every((b) => b.hasTheory),
    endsWithDense: false,
    init(rng, nIn) {
      const parts = branches.map((b) => b.init(rng, nIn));
      const nOut = parts[0]!.nOut;
      if (parts.some((p) => p.nOut !== nOut)) {
        throw new InputError(
          "architecture",
          `summed branches have different widths: ${parts.map((p) => p.nOut).join(", ")}`,
        );
      }
      return { params: parts.map((p) => p.params), nOut };
    },
    apply(jax, params, x) {
      const ps = params as JaxParams[];
      const last = branches.length - 1;
      return branches.map((b, i) => b.apply(jax, ps[i]!, i < last ? x.ref : x)).reduce(add);
    },
    jvp(jax, params, x, t) {
      const ps = params as JaxParams[];
      const last = branches.length - 1;
      const outs = branches.map((b, i) =>
        b.jvp(jax, ps[i]!, i < last ? x.ref : x, i < last ? t.ref : t),
      );
      return [outs.map((o) => o[0]).reduce(add), outs.map((o) => o[1]).reduce(add)];
    },
    map(k) {
      const steps = branches.map((b) => b.map(k));
      const total = (f: (k: Kernel) => number) => steps.reduce((acc, st) => acc + f(st.kernel), 0);
      return {
        kernel: {
          q1: total((o) => o.q1),
          q2: total((o) => o.q2),
          q12: total((o) => o.q12),
          m1: total((o) => o.m1),
          m2: total((o) => o.m2),
          gaussian: steps.every((st) => st.kernel.gaussian),
        },
        chi: steps.reduce((acc, st) => acc + st.chi, 0),
      };
    },
  };
}

/**
 * Residual h' = μ h + block(h) = sum(scale(μ), block). The block must end with a dense layer:
 * its fresh zero-mean weights make block(h) uncorrelated with h, so q' = μ² q + q_block,
 * χ = μ² + χ_block.
 */
export function residual(mu: number, block: Layer): Layer {
  if (!block.endsWithDense) throw new Error("residual: the block must end with a dense layer");
  return sum(scale(mu), block);
}

export type LayerNormPlacement = "none" | "pre" | "post";

export interface MlpBlockConfig {
  activation: Activation;
  sigmaW2: number;
  sigmaB2: number;
  /** output width of the block's dense layer (finite networks; irrelevant to the theory) */
  width?: number;
  parametrization?: Parametrization;
  /** "pre": LN on preactivations (before φ); "post": LN on activations (after φ) */
  layernorm?: LayerNormPlacement;
  /** residual strength μ (0: no skip connection) */
  mu?: number;
  /** LayerNorm with a learnable gain and shift (γ = 1, β = 0 at initialization) */
  lnAffine?: boolean;
}

/**
 * One MLP block h^l ↦ h^{l+1} on preactivations:
 *   none: h' = μ h + W φ(h) + b
 *   pre:  h' = μ h + W φ(LN(h)) + b
 *   post: h' = μ h + W LN(φ(h)) + b
 */
export function mlpBlock(cfg: MlpBlockConfig): Layer {
  const ln = cfg.layernorm ?? "none";
  const phi = act(cfg.activation);
  const norm = layerNorm(LAYERNORM_EPS, cfg.lnAffine ?? false);
  const body = ln === "pre" ? [norm, phi] : ln === "post" ? [phi, norm] : [phi];
  const block = serial(
    ...body,
    dense(cfg.width ?? 0, cfg.sigmaW2, cfg.sigmaB2, cfg.parametrization),
  );
  const mu = cfg.mu ?? 0;
  return mu === 0 ? block : residual(mu, block);
}

interface ActivationOp {
  f(jax: JaxModule, x: JaxArray): JaxArray;
  /** φ(x) and φ′(x) from shared intermediates (φ′ null: identity) */
  fd(jax: JaxModule, x: JaxArray): [JaxArray, JaxArray | null];
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** tanh as 1 − 2/(e^{2x} + 1): jax-js fuses it into one kernel (np.tanh uses its input twice). */
const tanhOp = (jax: JaxModule, x: JaxArray) =>
  jax.numpy
    .reciprocal(jax.numpy.exp(x.mul(2)).add(1))
    .mul(-2)
    .add(1);
/** 1[x > 0] as floats, via sign(relu(x)). */
const stepOp = (jax: JaxModule, x: JaxArray) => jax.numpy.sign(jax.nn.relu(x));

/** The jax-js ops of each activation kind (same conventions as src/theory/activations.ts). */
function activationOp(phi: Activation): ActivationOp {
  const fromF = (
    f: ActivationOp["f"],
    df: (jax: JaxModule, x: JaxArray) => JaxArray,
  ): ActivationOp => ({
    f,
    fd: (jax, x) => [f(jax, x.ref), df(jax, x)],
  });
  switch (phi.kind) {
    case "relu":
      return fromF((jax, x) => jax.nn.relu(x), stepOp);
    case "leaky_relu": {
      const a = phi.params.alpha!;
      return fromF(
        (jax, x) => jax.nn.leakyRelu(x, a),
        (jax, x) =>
          stepOp(jax, x)
            .mul(1 - a)
            .add(a),
      );
    }
    case "tanh":
      return {
        f: tanhOp,
        fd: (jax, x) => {
          const y = tanhOp(jax, x);
          return [y.ref, jax.numpy.square(y).mul(-1).add(1)];
        },
      };
    case "erf":
      return fromF(
        (jax, x) => jax.lax.erf(x),
        (jax, x) => jax.numpy.exp(jax.numpy.square(x).mul(-1)).mul(2 / Math.sqrt(Math.PI)),
      );
    case "gelu":
      // φ′ = Φ(x) + x·ϕ(x), Φ(x) = erfc(−x/√2)/2
      return fromF(
        (jax, x) => jax.nn.gelu(x, { approximate: false }),
        (jax, x) =>
          jax.lax
            .erfc(x.ref.mul(-Math.SQRT1_2))
            .mul(0.5)
            .add(x.ref.mul(jax.numpy.exp(jax.numpy.square(x).mul(-0.5))).mul(INV_SQRT_2PI)),
      );
    case "silu":
      // φ′ = s (1 + x (1 − s)), s = sigmoid(x)
      return fromF(
        (jax, x) => jax.nn.silu(x),
        (jax, x) => {
          const s = jax.nn.sigmoid(x.ref);
          return s.ref.mul(x.mul(s.mul(-1).add(1)).add(1));
        },
      );
    case "sigmoid":
      return {
        f: (jax, x) => jax.nn.sigmoid(x),
        fd: (jax, x) => {
          const s = jax.nn.sigmoid(x);
          return [s.ref, s.ref.mul(s.mul(-1).add(1))];
        },
      };
    case "softplus":
      return fromF(
        (jax, x) => jax.nn.softplus(x),
        (jax, x) => jax.nn.sigmoid(x),
      );
    case "linear":
      return { f: (_jax, x) => x, fd: (_jax, x) => [x, null] };
    case "sin":
      return fromF(
        (jax, x) => jax.numpy.sin(x),
        (jax, x) => jax.numpy.cos(x),
      );
    default: {
      const missing = () => {
        throw new InputError(
          "activation",
          `'${phi.name}' has no finite-network implementation (only the built-in activations do)`,
        );
      };
      return { f: missing, fd: missing };
    }
  }
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

export interface MixerBlockConfig {
  tokens: number;
  channels: number;
  tokenHidden: number;
  channelHidden: number;
  activation: Activation;
  sigmaW2: number;
  sigmaB2: number;
  /** strength μ of both skip connections */
  mu?: number;
  parametrization?: Parametrization;
}

/**
 * MLP-Mixer block (Tolstikhin et al. 2021) on rows x = vec(X), X ∈ R^{T×C}:
 *   U = μ X + (token MLP applied to each column of LN(X))      (mixes tokens, per channel)
 *   Y = μ U + (channel MLP applied to each row of LN(U))       (mixes channels, per token)
 * with MLP(z) = dense(φ(dense(z))) and LayerNorm over channels. Its token dimension T is small,
 * so there is no infinite-width theory for it here: critkit measures it empirically.
 */
export function mixerBlock(cfg: MixerBlockConfig): Layer {
  const { tokens: T, channels: C, parametrization: pz } = cfg;
  const mu = cfg.mu ?? 1;
  const mlp = (hidden: number, out: number) =>
    serial(
      dense(hidden, cfg.sigmaW2, cfg.sigmaB2, pz),
      act(cfg.activation),
      dense(out, cfg.sigmaW2, cfg.sigmaB2, pz),
    );
  const tokenMlp = mlp(cfg.tokenHidden, T);
  const channelMlp = mlp(cfg.channelHidden, C);
  const ln = layerNorm();
  return {
    name: `mixer(T=${T}, C=${C}, ${cfg.activation.name})`,
    key: `mixer(${T},${C},${mu},${tokenMlp.key},${channelMlp.key})`,
    hasTheory: false,
    endsWithDense: false,
    map() {
      throw new InputError(
        "arch",
        "the MLP-Mixer block has no infinite-width theory here (measure it with critkit apjn / init-search)",
      );
    },
    init(rng, nIn) {
      if (nIn !== T * C)
        throw new InputError(
          "arch",
          `mixer block expects width tokens×channels = ${T * C}, got ${nIn}`,
        );
      return {
        params: { token: tokenMlp.init(rng, T).params, channel: channelMlp.init(rng, C).params },
        nOut: nIn,
      };
    },
    apply(jax, params, x) {
      const np = jax.numpy;
      const p = params as { token: JaxParams; channel: JaxParams };
      const lead = x.shape.slice(0, -1);
      const X = x.reshape([...lead, T, C]);
      const mixedT = tokenMlp.apply(jax, p.token, np.swapaxes(ln.apply(jax, [], X.ref), -1, -2));
      const U = np.swapaxes(mixedT, -1, -2).add(X.mul(mu));
      const Y = channelMlp.apply(jax, p.channel, ln.apply(jax, [], U.ref)).add(U.mul(mu));
      return Y.reshape([...lead, T * C]);
    },
    jvp(jax, params, x, t) {
      const np = jax.numpy;
      const p = params as { token: JaxParams; channel: JaxParams };
      const split = (a: JaxArray) => a.reshape([...a.shape.slice(0, -1), T, C]);
      const merge = (a: JaxArray) => a.reshape([...a.shape.slice(0, -2), T * C]);
      const swap = (a: JaxArray) => np.swapaxes(a, -1, -2);
      const [X, tX] = [split(x), split(t)];
      const [n1, tn1] = ln.jvp(jax, [], X.ref, tX.ref);
      const [m1, tm1] = tokenMlp.jvp(jax, p.token, swap(n1), swap(tn1));
      const [U, tU] = [swap(m1).add(X.mul(mu)), swap(tm1).add(tX.mul(mu))];
      const [n2, tn2] = ln.jvp(jax, [], U.ref, tU.ref);
      const [m2, tm2] = channelMlp.jvp(jax, p.channel, n2, tn2);
      return [merge(m2.add(U.mul(mu))), merge(tm2.add(tU.mul(mu)))];
    },
  };
}
