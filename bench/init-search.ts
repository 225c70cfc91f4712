/**
 * Accuracy and cost of `init-search` (no numpy reference: the reference is the theory's critical
 * σ_w², src/theory/critical.ts). For tanh and erf MLPs (depth 20, q0 = 1) at σ_b² ∈ {0.05, 0.1,
 * 0.3} and widths 256 and 512, each over independent seed sets (first seeds 0, 10⁴, 2·10⁴, …), it
 * runs the search with the CLI defaults (1 input × 2 probes per network, extrapolation from
 * width N and N/8, martingale control variates) at --tol 0.004 and reports per case: the mean finite-width and extrapolated
 * σ_w² with their mean standard errors, the largest |extrapolated − theory| relative to the theory,
 * how many seed sets land within 1 %, and the mean cost in forward-pass equivalents of the width-N
 * network against the method it replaced (9 + 6 + 1 scan/refine/exponent points × 4 seeds ×
 * 4 inputs × (1 + 16 probes) = 4352).
 *
 * A full run is long (12 cases × 10 seed sets); INIT_SEARCH_SETS (default 10) and
 * INIT_SEARCH_CASES (e.g. "tanh/0.1/256,erf/0.3/512"; default all) select a part, INIT_SEARCH_TOL
 * (default 0.004) another --tol. The note also gives the coverage of the reported standard error:
 * the largest |extrapolated − theory|/s.e. over the seed sets.
 */
import { initSearch } from "../src/diagnostics/init-search.js";
import { mlpArchitecture } from "../src/nets/network.js";
import { mlpBlock } from "../src/nets/stax.js";
import { activation } from "../src/theory/activations.js";
import { criticalPoint } from "../src/theory/critical.js";
import type { BenchRow } from "./types.js";

const OLD_PASSES = (9 + 6 + 1) * 4 * 4 * (1 + 16);
const DEPTH = 20;

export async function run(): Promise<BenchRow[]> {
  const sets = Number(process.env.INIT_SEARCH_SETS ?? 10);
  const tol = Number(process.env.INIT_SEARCH_TOL ?? 0.004);
  const wanted = process.env.INIT_SEARCH_CASES?.split(",");
  const rows: BenchRow[] = [];
  for (const act of ["tanh", "erf"]) {
    for (const sb2 of [0.05, 0.1, 0.3]) {
      for (const width of [256, 512]) {
        const name = `${act}/${sb2}/${width}`;
        if (wanted && !wanted.includes(name)) continue;
        const phi = activation(act);
        const theory = criticalPoint((s) =>
          mlpBlock({ activation: phi, sigmaW2: s, sigmaB2: sb2 }),
        ).sigmaW2;
        const runs = [];
        const t0 = performance.now();
        for (let k = 0; k < sets; k++) {
          runs.push(
            await initSearch(
              (s, f = 1) =>
                mlpArchitecture({
                  activations: [phi],
                  sigmaW2: s,
                  sigmaB2: sb2,
                  width: Math.round(width * f),
                  depth: DEPTH,
                }),
              {
                range: [0.25, 16],
                seed: 10_000 * k,
                pilot: 4,
                maxSeeds: 512,
                tol,
                inputs: 1,
                probes: 2,
                extrapolate: { factor: 0.125 },
              },
            ),
          );
        }
        const ms = (performance.now() - t0) / sets;
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const inf = runs.map((r) => r.infinite!.sigmaW2);
        const err = inf.map((v) => Math.abs(v / theory - 1));
        const z = runs.map(
          (r) => Math.abs(r.infinite!.sigmaW2 - theory) / r.infinite!.sigmaW2Stderr,
        );
        const passes = mean(runs.map((r) => r.passes));
        const f4 = (v: number) => v.toFixed(4);
        rows.push({
          name: `init-search ${act} σ_b²=${sb2} width ${width}, depth ${DEPTH}, tol ${tol}`,
          ms,
          note:
            `theory ${f4(theory)}; width N: ${f4(mean(runs.map((r) => r.sigmaW2)))} (mean s.e. ${f4(mean(runs.map((r) => r.sigmaW2Stderr)))}); ` +
            `extrapolated: ${f4(mean(inf))} (mean s.e. ${f4(mean(runs.map((r) => r.infinite!.sigmaW2Stderr)))}), ` +
            `max |Δ|/theory ${(100 * Math.max(...err)).toFixed(2)} % (max |Δ|/s.e. ${Math.max(...z).toFixed(2)}), ${err.filter((e) => e <= 0.01).length}/${sets} seed sets within 1 %; ` +
            `cost ${Math.round(passes)} forward-pass equivalents (N) vs ${OLD_PASSES} for the replaced scan (${(passes / OLD_PASSES).toFixed(2)}×); ms = wall time per search`,
        });
      }
    }
  }
  return rows;
}
