/**
 * Finite networks as stacks of blocks (src/nets/stax.ts) with sampled parameters, in the form the
 * empirical diagnostics take: blocks {apply, params} on rows [batch, width]. Blocks built from the
 * same Layer share one `apply` function, so the diagnostics compile one step per distinct block.
 */
import { InputError } from "../errors.js";
import { Rng } from "../rng.js";
import type { Activation } from "../theory/activations.js";
import { type JaxArray, type JaxModule, loadJax } from "./jax.js";
import {
  type HostParams,
  type JaxParams,
  type Layer,
  type LayerNormPlacement,
  layerJvp,
  type MixerBlockConfig,
  mixerBlock,
  mlpBlock,
  type Parametrization,
} from "./layers/index.js";

export type Dtype = "float32" | "float64";

/** An architecture: the block of each depth (repeat the same Layer object to share compiled steps). */
export interface Architecture {
  inputWidth: number;
  blocks: Layer[];
}

export interface FiniteBlock {
  apply: (params: JaxParams, h: JaxArray) => JaxArray;
  /** forward-mode rule: h [B, N], t [P, B, N] → [h', t'] */
  jvp: (params: JaxParams, h: JaxArray, t: JaxArray) => [JaxArray, JaxArray];
  /** the layer's `jvpMoment` (where it has one): [h', t', E[row mean square of t' | h, t]] */
  jvpMoment?: (params: JaxParams, h: JaxArray, t: JaxArray) => [JaxArray, JaxArray, JaxArray];
  params: JaxParams;
}

export interface FiniteNetwork {
  blocks: FiniteBlock[];
  inputWidth: number;
  dispose(): void;
}

/** Bytes above which a network is refused before anything is allocated (default 4 GiB). */
export const MAX_PARAM_BYTES = 4 * 2 ** 30;

/**
 * The parameters of every block, sampled on the host (seeded: bit-identical for a seed). `rng`
 * replaces the default generator (e.g. a ZigguratRng: faster normals, another stream).
 */
export function sampleParams(arch: Architecture, seed: number, rng = new Rng(seed)): HostParams[] {
  const host: HostParams[] = [];
  let n = arch.inputWidth;
  for (const layer of arch.blocks) {
    const p = layer.init(rng.split(), n);
    host.push(p.params);
    n = p.nOut;
  }
  return host;
}

/**
 * One `apply`/`jvp` pair per layer key for the whole process: networks that differ only in their
 * parameters (a σ_w² scan, other seeds) share compiled steps in the diagnostics' jit caches.
 * Keys name the function exactly (user-supplied parts such as custom activations enter by
 * identity), so two layers share a compiled step only if they compute the same function.
 */
type BlockFunctions = Pick<FiniteBlock, "apply" | "jvp" | "jvpMoment">;
const functions = new Map<string, BlockFunctions>();
/** The `jvpMoment` of a layer per key and momentKey (see `blockFunctions`). */
const moments = new Map<string, NonNullable<FiniteBlock["jvpMoment"]>>();

/** The process-wide `apply`/`jvp` pair of a layer (see `functions`); runs the layer's checks once. */
export function blockFunctions(jax: JaxModule, layer: Layer): BlockFunctions {
  let fns = functions.get(layer.key);
  if (!fns) {
    layer.verify?.(jax);
    fns = {
      apply: (params, h) => layer.apply(jax, params, h),
      jvp: (params, h, t) => layerJvp(jax, layer, params, h, t),
    };
    functions.set(layer.key, fns);
  }
  if (!layer.jvpMoment) return fns;
  // the moment rule also depends on `momentKey` (e.g. σ_w²): one function per pair
  const key = `${layer.key}#${layer.momentKey ?? ""}`;
  let jvpMoment = moments.get(key);
  if (!jvpMoment) {
    jvpMoment = (params, h, t) => layer.jvpMoment!(jax, params, h, t);
    moments.set(key, jvpMoment);
  }
  return { ...fns, jvpMoment };
}

/** Samples the parameters (with `rng`, default `new Rng(seed)`) and moves them to jax in `dtype`. */
export async function instantiate(
  arch: Architecture,
  seed: number,
  dtype: Dtype = "float32",
  rng?: Rng,
): Promise<FiniteNetwork> {
  const jax = await loadJax();
  const params = paramsToJax(jax, sampleParams(arch, seed, rng), dtype);
  const blocks = arch.blocks.map((layer, i) => ({
    ...blockFunctions(jax, layer),
    params: params[i]!,
  }));
  return {
    blocks,
    inputWidth: arch.inputWidth,
    dispose: () => {
      for (const b of blocks) jax.tree.dispose(b.params as never);
    },
  };
}

/** Host parameters (float64) as jax arrays of `dtype`. */
export function paramsToJax(jax: JaxModule, host: HostParams[], dtype: Dtype): JaxParams[] {
  return host.map((p) => toJax(jax, p, dtype));
}

function toJax(jax: JaxModule, p: HostParams, dtype: Dtype): JaxParams {
  if (Array.isArray(p)) return p.map((q) => toJax(jax, q, dtype));
  if ("data" in p && p.data instanceof Float64Array) {
    const data = dtype === "float64" ? p.data : new Float32Array(p.data);
    return jax.numpy.array(data, {
      shape: p.shape as number[],
      dtype: dtype === "float64" ? jax.numpy.float64 : jax.numpy.float32,
    });
  }
  return Object.fromEntries(
    Object.entries(p).map(([k, v]) => [k, toJax(jax, v as HostParams, dtype)]),
  );
}

export interface MlpSpec {
  /** one activation, or several used in turn block by block (mixed activations) */
  activations: Activation[];
  sigmaW2: number;
  sigmaB2: number;
  width: number;
  depth: number;
  layernorm?: LayerNormPlacement;
  /** LayerNorm with learnable gain and shift */
  lnAffine?: boolean;
  mu?: number;
  parametrization?: Parametrization;
}

/** An MLP of `depth` blocks h ↦ μ h + W φ(·) + b on width `width` (input width = width). */
export function mlpArchitecture(s: MlpSpec): Architecture {
  const kinds = s.activations.map((activation) =>
    mlpBlock({
      activation,
      sigmaW2: s.sigmaW2,
      sigmaB2: s.sigmaB2,
      width: s.width,
      layernorm: s.layernorm,
      lnAffine: s.lnAffine,
      mu: s.mu,
      parametrization: s.parametrization,
    }),
  );
  checkSize(s.depth * (s.width * s.width + s.width), "width");
  return {
    inputWidth: s.width,
    blocks: Array.from({ length: s.depth }, (_, l) => kinds[l % kinds.length]!),
  };
}

export interface MixerSpec extends MixerBlockConfig {
  depth: number;
}

/** An MLP-Mixer of `depth` blocks on inputs of T tokens × C channels (rows of width T·C). */
export function mixerArchitecture(s: MixerSpec): Architecture {
  checkSize(s.depth * 2 * (s.tokens * s.tokenHidden + s.channels * s.channelHidden), "channels");
  const block = mixerBlock(s);
  return {
    inputWidth: s.tokens * s.channels,
    blocks: Array.from({ length: s.depth }, () => block),
  };
}

/** Refuses a network of `params` parameters above MAX_PARAM_BYTES (float64), naming `field`. */
export function checkSize(params: number, field: string): void {
  const bytes = params * 8;
  if (bytes > MAX_PARAM_BYTES) {
    throw new InputError(
      field,
      `the network would need ${(bytes / 2 ** 30).toFixed(1)} GiB of parameters (limit ${MAX_PARAM_BYTES / 2 ** 30} GiB): use a smaller width or depth`,
    );
  }
}
