/**
 * The empirical χ_J over a (σ_w², σ_b²) grid, as in Fig. 1 of Doshi, He & Gromov, "Critical
 * initialization of wide and deep neural networks through partial Jacobians" (NeurIPS 2023):
 * MLP blocks h' = μ h + W φ(h) + b of width N and depth L, one measurement per grid point.
 *
 * Estimator: Hutchinson probes are placed at layer l1 (default L/2, after the transient of q^l)
 * and carried to L, so J^{l1,L} = Π_{l=l1}^{L−1} χ_J^l is measured directly and
 *   χ̂_J = (Ĵ^{l1,L})^{1/(L−l1)},
 * the geometric mean of χ_J^l over the window. Its standard error is χ̂_J · se(log Ĵ)/(L − l1),
 * with se(log Ĵ) the spread of the per-network estimates (≥ 2 networks per point; with one, the
 * spread over its inputs and probes, which misses the network-to-network part). The theory beside
 * it is the same window of the infinite-width recurrence from the same input variance q0.
 *
 * Draws are independent across grid points: point i (row-major, σ_b² outer) uses network seeds
 * seed + i·networks + k, k < networks, for weights, inputs and probes. With shared seeds a whole
 * grid is one sample and its error is common to every point.
 */
import type { Architecture } from "../nets/network.js";
import type { MeasurePool } from "../node/parallel.js";
import { theoryApjn } from "./apjn-profile.js";
import { type MlpTaskSpec, mlpFromTask } from "./measure-task.js";

export interface ChiGridOptions {
  activation: string;
  /** residual strength μ (0: plain MLP) */
  mu: number;
  width: number;
  depth: number;
  sigmaW2: number[];
  sigmaB2: number[];
  /** independent networks per grid point */
  networks: number;
  inputs: number;
  probes: number;
  /** first layer l1 of the window (default ⌊L/2⌋) */
  from?: number;
  seed: number;
  q0: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ChiPoint {
  sigmaW2: number;
  sigmaB2: number;
  /** χ̂_J over layers [l1, L) */
  chi: number;
  chiStderr: number;
  /** the infinite-width recurrence over the same window */
  theory: number;
  seeds: number[];
}

export interface ChiGridResult {
  points: ChiPoint[];
  from: number;
  /** forward-pass equivalents of one network for one input: networks × inputs × (1 + probes) */
  passes: number;
}

const defaultFrom = (depth: number) => Math.floor(depth / 2);

/** χ_J of the theory over the window [from, L) of `arch` from inputs of variance q0. */
export function theoryChi(arch: Architecture, from: number, q0: number): number {
  const logJ = theoryApjn(arch, q0, from);
  if (logJ === null) return Number.NaN;
  return Math.exp(logJ[logJ.length - 1]! / (arch.blocks.length - from));
}

export async function chiGrid(o: ChiGridOptions, pool: MeasurePool): Promise<ChiGridResult> {
  const from = o.from ?? defaultFrom(o.depth);
  const span = o.depth - from;
  const cells = o.sigmaB2.flatMap((sigmaB2) => o.sigmaW2.map((sigmaW2) => ({ sigmaW2, sigmaB2 })));
  let done = 0;
  const points = await Promise.all(
    cells.map(async ({ sigmaW2, sigmaB2 }, i): Promise<ChiPoint> => {
      const mlp: MlpTaskSpec = {
        activations: [o.activation],
        sigmaW2,
        sigmaB2,
        width: o.width,
        depth: o.depth,
        mu: o.mu,
      };
      const seeds = Array.from({ length: o.networks }, (_, k) => o.seed + i * o.networks + k);
      const prof = await pool.run({
        mlp,
        measure: {
          seeds,
          inputs: o.inputs,
          probes: o.probes,
          l0: from,
          q0: o.q0,
          weights: "ziggurat",
        },
      });
      o.onProgress?.(++done, cells.length);
      const last = prof.logJ.length - 1;
      const theory = theoryChi(mlpFromTask(mlp), from, o.q0);
      // Every network's J is exactly 0 (σ_w² = 0 without a residual): χ̂ = 0, no spread.
      if (prof.perSeed.every((s) => s[last] === Number.NEGATIVE_INFINITY)) {
        return { sigmaW2, sigmaB2, chi: 0, chiStderr: 0, theory, seeds };
      }
      const chi = Math.exp(prof.logJ[last]! / span);
      return {
        sigmaW2,
        sigmaB2,
        chi,
        chiStderr: (chi * prof.relStderr[last]!) / span,
        theory,
        seeds,
      };
    }),
  );
  return { points, from, passes: cells.length * o.networks * o.inputs * (1 + o.probes) };
}
