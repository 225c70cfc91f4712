/**
 * Options shared by the commands that describe an MLP block: activation, σ_b², LayerNorm
 * placement, residual strength, input variance q^0, quadrature order.
 */
import type { Command } from "commander";
import { type LayerNormPlacement, mlpBlock } from "../nets/layers/index.js";
import { type Activation, activation } from "../theory/activations.js";
import type { KernelLayer } from "../theory/kernel.js";
import { int, num, oneOf } from "./options.js";

export interface BlockOptions {
  activation: Activation;
  sigmaB2: number;
  layernorm: LayerNormPlacement;
  mu: number;
  q0: number;
}

/** Adds --activation, --sigma-b2, --layernorm, --residual, --q0, --order to a command. */
export function withBlockOptions(cmd: Command, defaults: { sigmaB2?: string } = {}): Command {
  return cmd
    .option(
      "--activation <name>",
      "relu, leaky_relu(α), tanh, erf, gelu, silu|swish, sigmoid, softplus, linear, sin",
      "tanh",
    )
    .option("--sigma-b2 <v>", "bias variance σ_b² ≥ 0", defaults.sigmaB2 ?? "0.05")
    .option("--layernorm <where>", "none | pre (on preactivations) | post (on activations)", "none")
    .option("--residual <mu>", "residual strength μ: h' = μ h + block(h) (0: none)", "0")
    .option("--q0 <v>", "variance q^0 of the input preactivations", "1")
    .option("--order <n>", "quadrature order for activations without closed forms", "160");
}

/** Validates the shared options (each error names its option). */
export function parseBlockOptions(o: Record<string, unknown>): BlockOptions {
  const order = int("--order", o.order, 4, 1000);
  return {
    activation: activation(String(o.activation), "--activation", order),
    sigmaB2: num("--sigma-b2", o.sigmaB2, { min: 0 }),
    layernorm: oneOf("--layernorm", o.layernorm, ["none", "pre", "post"] as const),
    mu: num("--residual", o.residual, { min: 0 }),
    q0: num("--q0", o.q0, { minExclusive: 0 }),
  };
}

/** The block family σ_w² ↦ block for fixed other options. */
export function blockFamily(
  b: BlockOptions,
  phi = b.activation,
): (sigmaW2: number, sigmaB2?: number) => KernelLayer {
  return (sigmaW2, sigmaB2 = b.sigmaB2) =>
    mlpBlock({ activation: phi, sigmaW2, sigmaB2, layernorm: b.layernorm, mu: b.mu });
}

/** The settings echoed in JSON outputs. */
export function blockSettings(b: BlockOptions): Record<string, unknown> {
  return {
    activation: b.activation.name,
    sigma_b2: b.sigmaB2,
    layernorm: b.layernorm,
    residual: b.mu,
    q0: b.q0,
  };
}
