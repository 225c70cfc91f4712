/**
 * Combinators: layers built from layers (neural-tangents' serial, FanOut + FanInSum), plus the
 * reshaping layers that let blocks act on groups of features (tokens × channels).
 */
import { InputError } from "../../errors.js";
import type { Kernel, KernelStep } from "../../theory/kernel.js";
import type { JaxArray, JaxModule } from "../jax.js";
import { type HostParams, type JaxParams, type Layer, layerJvp, noParams } from "./layer.js";

const verifyAll = (layers: Layer[]) => (jax: JaxModule) => {
  for (const l of layers) l.verify?.(jax);
};

/**
 * The part of a serial composition whose `jvpMoment` gives the composition's: the last part that
 * is not a constant tangent gain, if only gains follow it (the first part if all are gains); -1
 * when that part has no moment rule (e.g. an activation after the last dense layer).
 */
function momentPart(layers: Layer[]): number {
  let k = layers.length - 1;
  while (k > 0 && layers[k]!.tangentGain !== undefined) k--;
  return layers[k]?.jvpMoment ? k : -1;
}

/** Layers applied in order; χ multiplies. Parameters are a list, one entry per layer. */
export function serial(...layers: Layer[]): Layer {
  const k = momentPart(layers);
  const jvpMoment: Layer["jvpMoment"] = (jax, params, x, t) => {
    const ps = params as JaxParams[];
    let [h, th] = [x, t];
    for (let i = 0; i < k; i++) [h, th] = layerJvp(jax, layers[i]!, ps[i]!, h, th);
    let [y, ty, e] = layers[k]!.jvpMoment!(jax, ps[k]!, h, th);
    for (let i = k + 1; i < layers.length; i++) {
      [y, ty] = layerJvp(jax, layers[i]!, ps[i]!, y, ty);
      e = e.mul(layers[i]!.tangentGain!);
    }
    return [y, ty, e];
  };
  return {
    ...(k >= 0 ? { jvpMoment, momentKey: layers.map((l) => l.momentKey ?? "").join(",") } : {}),
    name: layers.map((l) => l.name).join(" → "),
    key: `[${layers.map((l) => l.key).join(",")}]`,
    parts: layers,
    hasTheory: layers.every((l) => l.hasTheory),
    fresh: (freshIn) => layers.reduce((f, l) => l.fresh(f), freshIn),
    verify: verifyAll(layers),
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
        ([h, th], layer, i) => layerJvp(jax, layer, ps[i]!, h, th),
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

/** x ↦ μ x: q' = μ² q, Θ' = μ² Θ, m' = μ m, χ = μ². Keeps a fresh field fresh. */
export function scale(mu: number): Layer {
  return {
    name: `scale(${mu})`,
    key: `scale(${mu})`,
    hasTheory: true,
    fresh: (freshIn) => freshIn,
    init: noParams,
    apply: (_jax, _params, x) => x.mul(mu),
    jvp: (_jax, _params, x, t) => [x.mul(mu), t.mul(mu)],
    tangentGain: mu * mu,
    jvpMoment: (jax, _params, x, t) => {
      const e = jax.numpy
        .square(t.ref)
        .mean(t.ndim - 1)
        .mul(mu * mu);
      return [x.mul(mu), t.mul(mu), e];
    },
    map: (k) => ({
      kernel: {
        ...k,
        q1: mu * mu * k.q1,
        q2: mu * mu * k.q2,
        q12: mu * mu * k.q12,
        m1: mu * k.m1,
        m2: mu * k.m2,
        t1: mu * mu * k.t1,
        t2: mu * mu * k.t2,
        t12: mu * mu * k.t12,
      },
      chi: mu * mu,
    }),
  };
}

/**
 * Parallel branches on the same input, outputs summed (neural-tangents' FanOut + FanInSum).
 * All branches but at most one must be fresh on any input (`fresh(false)`: they end in fresh
 * zero-mean weights, possibly scaled): then the branch outputs are uncorrelated, so the records
 * add (q' = Σ q'_k, also q12, m), and so do the NTK Θ and χ (the cross terms of
 * Σ_k ∂out_k/∂θ vanish in expectation: the fresh branches end in independent zero-mean weights). E.g. the depth-scaled residual sum(scale(1), serial(block, scale(L^-β))).
 */
export function sum(...branches: Layer[]): Layer {
  const shared = branches.filter((b) => !b.fresh(false));
  if (shared.length > 1) {
    throw new InputError(
      "branches",
      `all summed branches but one must end in a fresh dense layer (optionally scaled); not fresh: ${shared.map((b) => b.name).join("; ")}`,
    );
  }
  const add = (a: JaxArray, b: JaxArray) => a.add(b);
  // the branches' moments add: a fresh branch ends in zero-mean weights independent of the others
  const jvpMoment: Layer["jvpMoment"] = (jax, params, x, t) => {
    const ps = params as JaxParams[];
    const last = branches.length - 1;
    const outs = branches.map((b, i) =>
      b.jvpMoment!(jax, ps[i]!, i < last ? x.ref : x, i < last ? t.ref : t),
    );
    return [0, 1, 2].map((j) => outs.map((o) => o[j]!).reduce(add)) as [
      JaxArray,
      JaxArray,
      JaxArray,
    ];
  };
  return {
    ...(branches.every((b) => b.jvpMoment)
      ? { jvpMoment, momentKey: branches.map((b) => b.momentKey ?? "").join(",") }
      : {}),
    name: `sum(${branches.map((b) => b.name).join(", ")})`,
    key: `sum(${branches.map((b) => b.key).join(",")})`,
    hasTheory: branches.every((b) => b.hasTheory),
    fresh: (freshIn) => branches.every((b) => b.fresh(freshIn)),
    verify: verifyAll(branches),
    init(rng, nIn) {
      const parts = branches.map((b) => b.init(rng, nIn));
      const nOut = parts[0]!.nOut;
      if (parts.some((p) => p.nOut !== nOut)) {
        throw new InputError(
          "branches",
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
        layerJvp(jax, b, ps[i]!, i < last ? x.ref : x, i < last ? t.ref : t),
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
          t1: total((o) => o.t1),
          t2: total((o) => o.t2),
          t12: total((o) => o.t12),
          gaussian: steps.every((st) => st.kernel.gaussian),
        },
        chi: steps.reduce((acc, st) => acc + st.chi, 0),
      };
    },
  };
}

/**
 * Residual h' = μ h + block(h) = sum(scale(μ), block). The block must be fresh (end in a dense
 * layer, optionally scaled): then block(h) is uncorrelated with h, so q' = μ² q + q_block,
 * χ = μ² + χ_block.
 */
export function residual(mu: number, block: Layer): Layer {
  if (!block.fresh(false)) {
    throw new InputError("block", "a residual block must end in a dense layer (optionally scaled)");
  }
  return sum(scale(mu), block);
}

function noTheory(what: string): never {
  throw new InputError(
    "architecture",
    `${what} has no infinite-width theory here (measure it with the empirical APJN)`,
  );
}

/**
 * `layer` applied to each group of n consecutive features: rows [..., G·n] are viewed as
 * [..., G, n] (G groups, e.g. tokens × channels) and mapped group by group with shared weights.
 */
export function perGroup(n: number, layer: Layer): Layer {
  const split = (a: JaxArray) => {
    const lead = a.shape.slice(0, -1);
    return a.reshape([...lead, a.shape[a.shape.length - 1]! / n, n]);
  };
  const merge = (a: JaxArray) => {
    const s = a.shape;
    return a.reshape([...s.slice(0, -2), s[s.length - 2]! * s[s.length - 1]!]);
  };
  return {
    name: `per ${n}: ${layer.name}`,
    key: `per(${n},${layer.key})`,
    hasTheory: false,
    fresh: (freshIn) => layer.fresh(freshIn),
    verify: layer.verify?.bind(layer),
    init(rng, nIn) {
      if (nIn % n !== 0) {
        throw new InputError("width", `${nIn} features do not split into groups of ${n}`);
      }
      const p = layer.init(rng, n);
      return { params: p.params, nOut: (nIn / n) * p.nOut };
    },
    apply: (jax, params, x) => merge(layer.apply(jax, params, split(x))),
    jvp(jax, params, x, t) {
      const [y, ty] = layerJvp(jax, layer, params, split(x), split(t));
      return [merge(y), merge(ty)];
    },
    map: () => noTheory(`per-group ${layer.name}`),
  };
}

/** Rows [..., a·b] read as a×b matrices, transposed to b×a (token mixing ↔ channel mixing). */
export function transposeGroups(a: number, b: number): Layer {
  const swap = (jax: JaxModule, x: JaxArray) => {
    const lead = x.shape.slice(0, -1);
    return jax.numpy.swapaxes(x.reshape([...lead, a, b]), -1, -2).reshape([...lead, a * b]);
  };
  return {
    name: `transpose(${a}×${b})`,
    key: `transpose(${a},${b})`,
    hasTheory: false,
    fresh: (freshIn) => freshIn,
    init(_rng, nIn) {
      if (nIn !== a * b)
        throw new InputError("width", `expected ${a}×${b} = ${a * b} features, got ${nIn}`);
      return { params: [], nOut: nIn };
    },
    apply: (jax, _params, x) => swap(jax, x),
    jvp: (jax, _params, x, t) => [swap(jax, x), swap(jax, t)],
    map: () => noTheory("a feature transpose"),
  };
}
