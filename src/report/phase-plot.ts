/**
 * The phase-diagram figure: log χ_J over (σ_w², σ_b²) with the order-to-chaos line on top,
 * solid where the transition seen from q^0 is continuous (χ_J = 1), dashed where q* jumps.
 */
import type { CriticalLinePoint } from "../theory/critical.js";
import type { PhaseGrid } from "../theory/phase.js";
import { heatmapSpec, type Overlay, type TopLevelSpec } from "./plot.js";

const CONTINUOUS = "χ_J = 1 (continuous)";
const DISCONTINUOUS = "jump of q* (discontinuous)";

/** The line split into runs of one kind; a run of jumps is joined to its continuous neighbours. */
export function transitionOverlays(line: CriticalLinePoint[]): Overlay[] {
  const runs: Overlay[] = [];
  for (let i = 0; i < line.length; i++) {
    const p = line[i]!;
    const last = runs[runs.length - 1];
    if (last && last.dashed === !p.continuous) {
      last.x.push(p.sigmaW2);
      last.y.push(p.sigmaB2);
      continue;
    }
    const prev = line[i - 1];
    runs.push({
      x: prev ? [prev.sigmaW2, p.sigmaW2] : [p.sigmaW2],
      y: prev ? [prev.sigmaB2, p.sigmaB2] : [p.sigmaB2],
      label: p.continuous ? CONTINUOUS : DISCONTINUOUS,
      dashed: !p.continuous,
    });
  }
  return runs;
}

/** `marks`: further curves on top, e.g. a cross at one network's (σ_w², σ_b²). */
export function phaseHeatmap(
  grid: PhaseGrid,
  activationName: string,
  line: CriticalLinePoint[],
  marks: Overlay[] = [],
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
    overlay: line.length || marks.length ? [...transitionOverlays(line), ...marks] : undefined,
  });
}
