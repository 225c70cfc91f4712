/** The phase-diagram figure: log χ_J over (σ_w², σ_b²) with the critical line on top. */
import type { CriticalLinePoint } from "../theory/critical.js";
import type { PhaseGrid } from "../theory/phase.js";
import { heatmapSpec, type TopLevelSpec } from "./plot.js";

export function phaseHeatmap(
  grid: PhaseGrid,
  activationName: string,
  line: CriticalLinePoint[],
): TopLevelSpec {
  const nw = grid.sigmaW2.length;
  const z = Array.from({ length: grid.sigmaB2.length }, (_, ib) =>
    Array.from(grid.logChi.subarray(ib * nw, (ib + 1) * nw)),
  );
  return heatmapSpec({
    x: Array.from(grid.sigmaW2),
    y: Array.from(grid.sigmaB2),
    z,
    xTitle: "σ_w²",
    yTitle: "σ_b²",
    zTitle: "log χ_J",
    title: `${activationName}: log χ_J at depth ${grid.depth} (blue ordered, red chaotic)`,
    diverging: true,
    overlay: line.length
      ? { x: line.map((p) => p.sigmaW2), y: line.map((p) => p.sigmaB2), label: "χ_J = 1" }
      : undefined,
  });
}
