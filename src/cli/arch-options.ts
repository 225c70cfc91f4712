/**
 * Options describing a finite network (`critkit apjn`, `critkit init-search`): an MLP of blocks
 * (one or several activations used in turn) or an MLP-Mixer, plus the sampling settings.
 */
import type { Command } from "commander";
import { InputError } from "../errors.js";
import {
  type Architecture,
  type Dtype,
  mixerArchitecture,
  mlpArchitecture,
} from "../nets/network.js";
import { type Layer, mlpBlock, type Parametrization, serial } from "../nets/stax.js";
import { activation } from "../theory/activations.js";
import { int, num, oneOf } from "./options.js";

export interface ArchOptions {
  arch: "mlp" | "mixer";
  /**
   * σ_w² ↦ architecture, other settings fixed; `widthFactor` (default 1) multiplies the widths
   * that go to infinity in the theory (MLP width; mixer channels and hidden widths).
   */
  archFor: (sigmaW2: number, widthFactor?: number) => Architecture;
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
    .option("--width <n>", "MLP width", "256")
    .option("--depth <L>", "number of blocks", "30")
    .option("--layernorm <where>", "none | pre (on preactivations) | post (on activations)", "none")
    .option("--ln-affine", "LayerNorm with a learnable gain and shift (1 and 0 at initialization)")
    .option("--residual <mu>", "residual strength μ (0: none; mixer default 1)")
    .option("--parametrization <p>", "standard | ntk", "standard")
    .option("--tokens <T>", "mixer: tokens", "16")
    .option("--channels <C>", "mixer: channels", "32")
    .option("--token-hidden <n>", "mixer: hidden width of the token MLP", "32")
    .option("--channel-hidden <n>", "mixer: hidden width of the channel MLP", "64")
    .option("--seed <s>", "first network seed", "0")
    .option("--seeds <n>", "networks averaged (seeds s, s+1, …)", defaults.seeds)
    .option("--inputs <n>", "inputs per network, x ~ N(0, q0 I)", defaults.inputs)
    .option("--probes <n>", "Hutchinson probes per input", defaults.probes)
    .option("--q0 <v>", "input variance q^0", "1")
    .option("--dtype <d>", "float32 | float64", "float32");
}

export function parseArchOptions(o: Record<string, unknown>): ArchOptions {
  const arch = oneOf("--arch", o.arch, ["mlp", "mixer"] as const);
  const names = String(o.activation).split(",");
  const activations = names.map((n) => activation(n.trim(), "--activation"));
  const sigmaB2 = num("--sigma-b2", o.sigmaB2, { min: 0 });
  const depth = int("--depth", o.depth, 1, 100_000);
  const layernorm = oneOf("--layernorm", o.layernorm, ["none", "pre", "post"] as const);
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
  const nSeeds = int("--seeds", o.seeds, 1, 1000);
  const common = {
    sigmaB2,
    seeds: Array.from({ length: nSeeds }, (_, i) => seed + i),
    inputs: int("--inputs", o.inputs, 1, 4096),
    probes: int("--probes", o.probes, 1, 4096),
    q0: num("--q0", o.q0, { minExclusive: 0 }),
    dtype: oneOf("--dtype", o.dtype, ["float32", "float64"] as const),
  };
  if (arch === "mixer") {
    if (activations.length > 1)
      throw new InputError("--activation", "the mixer takes one activation");
    const m = {
      tokens: int("--tokens", o.tokens, 1, 4096),
      channels: int("--channels", o.channels, 1, 65536),
      tokenHidden: int("--token-hidden", o.tokenHidden, 1, 65536),
      channelHidden: int("--channel-hidden", o.channelHidden, 1, 65536),
    };
    const archFor = (sigmaW2: number, widthFactor = 1) =>
      mixerArchitecture({
        ...m,
        channels: Math.round(m.channels * widthFactor),
        tokenHidden: Math.round(m.tokenHidden * widthFactor),
        channelHidden: Math.round(m.channelHidden * widthFactor),
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
  const width = int("--width", o.width, 1, 1 << 20);
  const lnAffine = Boolean(o.lnAffine);
  const spec = { activations, sigmaB2, width, depth, layernorm, lnAffine, mu, parametrization };
  const archFor = (sigmaW2: number, widthFactor = 1) =>
    mlpArchitecture({ ...spec, sigmaW2, width: Math.round(width * widthFactor) });
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
