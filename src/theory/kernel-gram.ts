/**
 * Infinite-width NNGP and NTK Gram matrices of a stack of layers on a set of inputs: each pair of
 * inputs starts from `inputKernel` and is mapped through every layer's kernel map (the layers of a
 * model, embedding … readout). Entries are per output unit (every unit has the same kernel).
 */
import { inputKernel, type Kernel, type KernelLayer } from "./kernel.js";

export interface KernelGrams {
  rows: number;
  cols: number;
  /** NNGP K(a_i, b_j) = E[f(a_i) f(b_j)], row-major rows × cols */
  nngp: Float64Array;
  /** NTK Θ(a_i, b_j), row-major rows × cols */
  ntk: Float64Array;
}

/** The record of the pair (a, b) after all layers. */
export function kernelThrough(layers: readonly KernelLayer[], k0: Kernel): Kernel {
  return layers.reduce((k, layer) => layer.map(k).kernel, k0);
}

/** NNGP and NTK between rows of `a` and rows of `b` (default: a with itself, symmetric). */
export function kernelGrams(
  layers: readonly KernelLayer[],
  a: readonly ArrayLike<number>[],
  b?: readonly ArrayLike<number>[],
): KernelGrams {
  const rowsB = b ?? a;
  const m = a.length;
  const n = rowsB.length;
  const nngp = new Float64Array(m * n);
  const ntk = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = b ? 0 : i; j < n; j++) {
      const k = kernelThrough(layers, inputKernel(a[i]!, rowsB[j]!));
      nngp[i * n + j] = k.q12;
      ntk[i * n + j] = k.t12;
      if (!b) {
        nngp[j * n + i] = k.q12;
        ntk[j * n + i] = k.t12;
      }
    }
  }
  return { rows: m, cols: n, nngp, ntk };
}
