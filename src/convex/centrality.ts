/**
 * Gondzio's multiple centrality correctors (Gondzio 1996), shared by the interior-point solvers:
 * once a direction is factorized, an extra solve costs ~n² against the factorization's ~n³, so the
 * products s_j z_j that a trial step would leave far from the centring target are retargeted.
 */

/** Most centrality correctors per Newton step. */
export const CENTRALITY_CORRECTORS = 3;

/**
 * The targets of a corrected direction: `target` plus, for each pair (s_j, z_j) with z_j ≠ 0 whose
 * product after the trial step α̃ = min(1, α + 0.2) leaves [0.1 σμ, 10 σμ], the amount that brings
 * it back to the nearer edge (from above by at most 10 σμ).
 */
export function centralityTargets(
  s: Float64Array,
  z: Float64Array,
  ds: Float64Array,
  dz: Float64Array,
  alpha: number,
  sigma: number,
  mu: number,
  target: Float64Array,
): Float64Array {
  const trial = Math.min(1, alpha + 0.2);
  const lo = 0.1 * sigma * mu;
  const hi = 10 * sigma * mu;
  const out = new Float64Array(z.length);
  for (let j = 0; j < z.length; j++) {
    if (z[j] === 0) continue;
    const v = (s[j]! + trial * ds[j]!) * (z[j]! + trial * dz[j]!);
    out[j] = target[j]! + (v < lo ? lo - v : v > hi ? Math.max(hi - v, -hi) : 0);
  }
  return out;
}
