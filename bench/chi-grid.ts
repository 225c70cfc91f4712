/**
 * `critkit chi-grid` at the partial-Jacobian paper's Fig. 1 size: erf MLPs of width 500 and depth
 * 48 on the 9 × 11 grid σ_w² ∈ {0, 0.5, …, 4} × σ_b² ∈ {0, 0.2, …, 2}, without and with a
 * residual μ = 0.9, CLI defaults (2 independent networks × 1 input × 8 probes per point, worker
 * threads = available cores). No numpy reference: the authors' own code took ~36 s per grid on
 * the development machine (issue 15). Reported: wall time (worker start-up and compilation
 * included), CPU time of the whole process, and the agreement with the theory.
 */
import { availableParallelism, loadavg } from "node:os";
import { chiGrid } from "../src/diagnostics/chi-grid.js";
import { MeasurePool } from "../src/node/parallel.js";
import { linspace } from "../src/theory/phase.js";
import type { BenchRow } from "./types.js";

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const threads = availableParallelism();
  for (const mu of [0, 0.9]) {
    const load = loadavg()[0];
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const pool = new MeasurePool(threads);
    const r = await chiGrid(
      {
        activation: "erf",
        mu,
        width: 500,
        depth: 48,
        sigmaW2: Array.from(linspace(0, 4, 9)),
        sigmaB2: Array.from(linspace(0, 2, 11)),
        networks: 2,
        inputs: 1,
        probes: 8,
        seed: 0,
        q0: 1,
      },
      pool,
    ).finally(() => pool.close());
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const d = r.points.map((p) => Math.abs(p.chi - p.theory));
    const se = r.points.map((p) => p.chiStderr).sort((a, b) => a - b);
    rows.push({
      name: `chi-grid erf μ=${mu} 9×11, width 500, depth 48`,
      ms,
      note:
        `${threads} worker threads; CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (all threads); ` +
        `|χ̂ − theory|: max ${Math.max(...d).toFixed(4)}, rms ${Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length).toFixed(4)}, ` +
        `${d.filter((v) => v <= 0.02).length}/${d.length} within 0.02; s.e. median ${se[se.length >> 1]!.toFixed(4)}, max ${se[se.length - 1]!.toFixed(4)}; ` +
        `1-min load average ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
    });
  }
  return rows;
}
