/**
 * Theory benchmark: the tanh phase diagram, 256×256 (σ_w² ∈ [0.5, 4], σ_b² ∈ [0, 0.5]) at depth
 * 100 from q^0 = 1, against bench/phase_ref.py (numpy, Gauss–Hermite order 64, vectorized over
 * the grid). critkit's time includes building the activation's interpolation table.
 */
import { activation } from "../src/theory/activations.js";
import { linspace, mlpPhaseDiagram } from "../src/theory/phase.js";
import { isNumpyError, runNumpy } from "./numpy.js";
import type { BenchRow } from "./types.js";

const GRID = 256;
const DEPTH = 100;

export async function run(): Promise<BenchRow[]> {
  const sw2 = linspace(0.5, 4, GRID);
  const sb2 = linspace(0, 0.5, GRID);
  const times: number[] = [];
  let logJ: Float64Array = new Float64Array();
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    logJ = mlpPhaseDiagram(activation("tanh"), sw2, sb2, DEPTH).logJ; // fresh table each run
    times.push(performance.now() - t0);
  }
  const ms = times.sort((a, b) => a - b)[2]!;
  const ref = await runNumpy(new URL("./phase_ref.py", import.meta.url), [
    "--grid",
    String(GRID),
    "--depth",
    String(DEPTH),
    "--order",
    "64",
  ]);
  const name = `phase diagram tanh ${GRID}×${GRID}, depth ${DEPTH}`;
  if (isNumpyError(ref)) return [{ name, ms, note: `numpy reference unavailable: ${ref.error}` }];
  const idx = ref.sample_index as number[];
  const sample = ref.logJ_sample as number[];
  const diffs = idx.map((k, i) => Math.abs(logJ[k]! - sample[i]!));
  return [
    {
      name,
      ms,
      referenceMs: ref.ms,
      note: `max |Δ log J| vs numpy at ${idx.length} samples: ${Math.max(...diffs).toExponential(1)} (numpy's Gauss–Hermite-64 errs ~1e-3 per layer at q > 1; critkit's rule is checked to 1e-10 in tests)`,
    },
  ];
}
