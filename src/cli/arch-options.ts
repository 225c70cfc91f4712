/**
 * Options describing a finite network (`critkit apjn`, `critkit init-search`): an MLP of blocks
 * (one or several activations used in turn) or an MLP-Mixer, plus the sampling settings.
 */
import type { Command } from "commander";
import { InputError } from "../errors.js";
import { type Layer, mlpBlock, type Parametrization, serial } from "../nets/layers/index.js";
import {
  type Architecture,
  type Dtype,
  mixerArchitecture,
  mlpArchitecture,
} from "../nets/network.js";
import { activation } from "../theory/activations.js";
import { int, num, oneOf } from "./options.js";

export interface ArchOptions {
  arch: "mlp" | "mixer";
  /** σ_w² ↦ architecture, other settings fixed */
  archFor: (sigmaW2: number) => Architecture;
  /** σ_w² ↦ one period of blocks for the theory (null: no theory, e.g. Mixer) */
  theoryBlockFor: ((sigmaW2: number) => Layer) | null;
  /** blocks per theory period (several activations used in turn) */
  period: number;
  sigmaB2: number;
  seeds: number[];
  inputs: number;
  probes: number;
  q0: number;
  dtype: Dtype;
  settings: Record<string, unknown>;
}

export function withArchOptions(
  cmd: Command,
  defaults: { seeds: string; probes: string; inputs: string },
): Command {
  return cmd
    .option("--arch <kind>", "mlp | mixer", "mlp")
    .option(
      "--activation <names>",
      "activation, or a comma-separated list used in turn block by block",
      "tanh",
    )
    .option("--sigma-b2 <v>", "bias variance σ_b² ≥ 0", "0.05")
    .option("--width <n>", `mlp: width (default ${MLP_DEFAULTS.width})`)
    .option("--depth <L>", "number of blocks", "30")
    .option(
      "--layernorm <where>",
      `mlp: none | pre (on preactivations) | post (on activations) (default ${MLP_DEFAULTS.layernorm})`,
    )
    .option(
      "--ln-affine",
      "mlp: LayerNorm with a learnable gain and shift (1 and 0 at initialization)",
    )
    .option("--residual <mu>", "residual strength μ (0: none; mixer default 1)")
    .option("--parametrization <p>", "standard | ntk", "standard")
    .option("--tokens <T>", `mixer: tokens (default ${MIXER_DEFAULTS.tokens})`)
    .option("--channels <C>", `mixer: channels (default ${MIXER_DEFAULTS.channels})`)
    .option(
      "--token-hidden <n>",
      `mixer: hidden width of the token MLP (default ${MIXER_DEFAULTS.tokenHidden})`,
    )
    .option(
      "--channel-hidden <n>",
      `mixer: hidden width of the channel MLP (default ${MIXER_DEFAULTS.channelHidden})`,
    )
    .option("--seed <s>", "first network seed", "0")
    .option("--seeds <n>", "networks averaged (seeds s, s+1, …)", defaults.seeds)
    .option("--inputs <n>", "inputs per network, x ~ N(0, q0 I)", defaults.inputs)
    .option("--probes <n>", "Hutchinson probes per input", defaults.probes)
    .option("--q0 <v>", "input variance q^0", "1")
    .option("--dtype <d>", "float32 | float64", "float32");
}

/** Defaults of the options that only one architecture has (unset otherwise, to refuse them). */
const MLP_DEFAULTS = { width: "256", layernorm: "none" };
const MIXER_DEFAULTS = { tokens: "16", channels: "32", tokenHidden: "32", channelHidden: "64" };
const OPTION_NAMES: Record<string, string> = {
  width: "--width",
  layernorm: "--layernorm",
  lnAffine: "--ln-affine",
  tokens: "--tokens",
  channels: "--channels",
  tokenHidden: "--token-hidden",
  channelHidden: "--channel-hidden",
};

/** Refuses options of the other architecture, which would otherwise be silently ignored. */
function refuseOthers(o: Record<string, unknown>, arch: string, keys: readonly string[]): void {
  for (const k of keys)
    if (o[k] !== undefined)
      throw new InputError(
        OPTION_NAMES[k]!,
        `does not apply to --arch ${arch} (${arch === "mlp" ? "mixer" : "mlp"} only)`,
      );
}

/**
 * Bytes of working memory (Wasm, at most 4 GiB) one network may use for its tangents: the P·B
 * probe tangents of the widest layer, a few copies alive at once.
 */
const MAX_TANGENT_BYTES = 2 ** 30;

/** Refuses probe arrays that cannot fit in memory, before anything is allocated. */
function checkTangentMemory(
  c: { probes: number; inputs: number; dtype: Dtype },
  widest: number,
  widthOption: string,
): void {
  const bytes = c.probes * c.inputs * widest * (c.dtype === "float64" ? 8 : 4);
  if (bytes > MAX_TANGENT_BYTES)
    throw new InputError(
      "--probes",
      `--probes × --inputs × ${widthOption} = ${c.probes} × ${c.inputs} × ${widest} values need ${(bytes / 2 ** 30).toFixed(1)} GiB per layer (limit ${MAX_TANGENT_BYTES / 2 ** 30} GiB): use fewer probes or inputs, or a smaller width`,
    );
}

export function parseArchOptions(
  o: Record<string, unknown>,
  limits: { minSeeds?: number } = {},
): ArchOptions {
  const arch = oneOf("--arch", o.arch, ["mlp", "mixer"] as const);
  const names = String(o.activation).split(",");
  const activations = names.map((n) => activation(n.trim(), "--activation"));
  const sigmaB2 = num("--sigma-b2", o.sigmaB2, { min: 0 });
  const depth = int("--depth", o.depth, 1, 100_000);
  const mu =
    o.residual === undefined
      ? arch === "mixer"
        ? 1
        : 0
      : num("--residual", o.residual, { min: 0 });
  const parametrization: Parametrization = oneOf("--parametrization", o.parametrization, [
    "standard",
    "ntk",
  ] as const);
  const seed = int("--seed", o.seed, 0, 2 ** 31);
  const minSeeds = limits.minSeeds ?? 1;
  const nSeeds = int("--seeds", o.seeds, minSeeds, 1000);
  const common = {
    sigmaB2,
    seeds: Array.from({ length: nSeeds }, (_, i) => seed + i),
    inputs: int("--inputs", o.inputs, 1, 4096),
    probes: int("--probes", o.probes, 1, 4096),
    q0: num("--q0", o.q0, { minExclusive: 0 }),
    dtype: oneOf("--dtype", o.dtype, ["float32", "float64"] as const),
  };
  if (arch === "mixer") {
    refuseOthers(o, arch, ["width", "layernorm", "lnAffine"]);
    if (activations.length > 1)
      throw new InputError("--activation", "the mixer takes one activation");
    // docs/float64.md: what test/nets/f64.test.ts proves the float64 path for
    if (common.dtype === "float64")
      process.stderr.write(
        "critkit: warning: --dtype float64 with --arch mixer: the Mixer's float64 forward pass is checked against a float64 reference (1e-13), its Jacobian is not: APJN digits beyond float32 are unverified\n",
      );
    const m = {
      tokens: int("--tokens", o.tokens ?? MIXER_DEFAULTS.tokens, 1, 4096),
      channels: int("--channels", o.channels ?? MIXER_DEFAULTS.channels, 1, 65536),
      tokenHidden: int("--token-hidden", o.tokenHidden ?? MIXER_DEFAULTS.tokenHidden, 1, 65536),
      channelHidden: int(
        "--channel-hidden",
        o.channelHidden ?? MIXER_DEFAULTS.channelHidden,
        1,
        65536,
      ),
    };
    const widest = Math.max(
      m.tokens * m.channels,
      m.channels * m.tokenHidden,
      m.tokens * m.channelHidden,
    );
    checkTangentMemory(common, widest, "--tokens × --channels");
    const archFor = (sigmaW2: number) =>
      mixerArchitecture({
        ...m,
        activation: activations[0]!,
        sigmaW2,
        sigmaB2,
        depth,
        mu,
        parametrization,
      });
    archFor(1); // validate sizes now
    return {
      arch,
      archFor,
      theoryBlockFor: null,
      period: 1,
      ...common,
      settings: {
        arch,
        activation: activations[0]!.name,
        sigma_b2: sigmaB2,
        depth,
        residual: mu,
        ...snake(m),
        parametrization,
        ...seedsSettings(common),
      },
    };
  }
  refuseOthers(o, arch, ["tokens", "channels", "tokenHidden", "channelHidden"]);
  const width = int("--width", o.width ?? MLP_DEFAULTS.width, 1, 1 << 20);
  const layernorm = oneOf("--layernorm", o.layernorm ?? MLP_DEFAULTS.layernorm, [
    "none",
    "pre",
    "post",
  ] as const);
  checkTangentMemory(common, width, "--width");
  const lnAffine = Boolean(o.lnAffine);
  const spec = { activations, sigmaB2, width, depth, layernorm, lnAffine, mu, parametrization };
  const archFor = (sigmaW2: number) => mlpArchitecture({ ...spec, sigmaW2 });
  archFor(1);
  return {
    arch,
    archFor,
    theoryBlockFor: (sigmaW2) =>
      serial(
        ...activations.map((a) => mlpBlock({ activation: a, sigmaW2, sigmaB2, layernorm, mu })),
      ),
    period: activations.length,
    ...common,
    settings: {
      arch,
      activation: activations.map((a) => a.name).join(","),
      sigma_b2: sigmaB2,
      width,
      depth,
      layernorm,
      ln_affine: lnAffine,
      residual: mu,
      parametrization,
      ...seedsSettings(common),
    },
  };
}

function seedsSettings(c: {
  seeds: number[];
  inputs: number;
  probes: number;
  q0: number;
  dtype: Dtype;
}) {
  return { seeds: c.seeds, inputs: c.inputs, probes: c.probes, q0: c.q0, dtype: c.dtype };
}

function snake(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
  );
}
