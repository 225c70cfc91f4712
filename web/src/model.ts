/**
 * What the explorer shows, as plain functions of its settings: the MLP block family of critkit's
 * core (the same `mlpBlock` the CLI uses), the infinite-width APJN profile through depth, and the
 * phase diagram request. The page, the workers and the browser test all go through these.
 */
import {
  type Activation,
  activation,
  gaussianKernel,
  mlpBlock,
  propagate,
} from "../../src/index.js";
import { PHASES, phaseOf } from "../../src/theory/phase.js";

export type LayerNormPlacement = "none" | "pre" | "post";

export interface ExplorerSettings {
  /** an activation name accepted by critkit's `activation()` */
  activation: string;
  sigmaW2: number;
  sigmaB2: number;
  layernorm: LayerNormPlacement;
  /** residual strength μ: h' = μ h + W φ(·) + b (0: no skip connection) */
  mu: number;
  /** number of blocks L (theory, phase diagram and finite network alike) */
  depth: number;
  /** width of the finite network measured in the browser */
  width: number;
}

export const DEFAULT_SETTINGS: ExplorerSettings = {
  activation: "tanh",
  sigmaW2: 1.5,
  sigmaB2: 0.05,
  layernorm: "none",
  mu: 0,
  depth: 20,
  width: 128,
};

/** Activations offered in the page (critkit's names without the `swish` alias). */
export const EXPLORER_ACTIVATIONS = [
  "tanh",
  "relu",
  "leaky_relu(0.2)",
  "erf",
  "gelu",
  "silu",
  "sigmoid",
  "softplus",
  "linear",
  "sin",
];

/** The axes of the phase diagram. */
export const SIGMA_W2_RANGE: [number, number] = [0.1, 4];
export const SIGMA_B2_RANGE: [number, number] = [0, 0.5];
/** Input variance q⁰ of the theory and of the finite network's inputs. */
export const Q0 = 1;

const activations = new Map<string, Activation>();

/** critkit's activation for a name, built once per name (quadrature set-up is not free). */
export function activationFor(name: string): Activation {
  let phi = activations.get(name);
  if (!phi) {
    phi = activation(name);
    activations.set(name, phi);
  }
  return phi;
}

/** The block h ↦ μ h + W φ(LN?(h)) + b of the settings (critkit's `mlpBlock`). */
export function blockOf(s: ExplorerSettings, phi = activationFor(s.activation)) {
  return mlpBlock({
    activation: phi,
    sigmaW2: s.sigmaW2,
    sigmaB2: s.sigmaB2,
    layernorm: s.layernorm,
    mu: s.mu,
  });
}

export interface TheoryProfile {
  /** log J^{0,l} for l = 0..L */
  logJ: Float64Array;
  /** χ_J of the last block, J^{0,L} = χ_J^{L−1} J^{0,L−1} */
  chiLast: number;
  /** q^L */
  qLast: number;
  /** the phase label of the phase diagram at this point (src/theory/phase.ts `phaseOf`) */
  phase: (typeof PHASES)[number];
}

/** The infinite-width APJN profile of the settings' network from inputs with variance q⁰. */
export function theoryProfile(s: ExplorerSettings): TheoryProfile {
  const t = propagate(blockOf(s), gaussianKernel(Q0), s.depth);
  const chiLast = t.chi[s.depth - 1]!;
  return {
    logJ: t.logJ,
    chiLast,
    qLast: t.q[s.depth]!,
    phase: PHASES[phaseOf(Math.log(chiLast), s.depth)]!,
  };
}

/** What the phase diagram depends on (σ_w², σ_b² only move the marker). */
export interface PhaseRequest {
  activation: string;
  layernorm: LayerNormPlacement;
  mu: number;
  depth: number;
  /** grid points per axis */
  grid: number;
}

export function phaseRequestOf(s: ExplorerSettings, grid = 40): PhaseRequest {
  return { activation: s.activation, layernorm: s.layernorm, mu: s.mu, depth: s.depth, grid };
}

export function samePhaseRequest(a: PhaseRequest, b: PhaseRequest): boolean {
  return (
    a.activation === b.activation &&
    a.layernorm === b.layernorm &&
    a.mu === b.mu &&
    a.depth === b.depth &&
    a.grid === b.grid
  );
}
