import { describe, expect, it } from "vitest";
import { phaseHeatmap, transitionOverlays } from "../../src/report/phase-plot.js";
import { renderSvg } from "../../src/report/plot.js";
import { activation } from "../../src/theory/activations.js";
import { linspace, mlpPhaseDiagram } from "../../src/theory/phase.js";

describe("phase diagram: continuous and discontinuous transition lines", () => {
  const line = [
    { sigmaB2: 0, sigmaW2: 1.9, continuous: false },
    { sigmaB2: 0.1, sigmaW2: 2.1, continuous: false },
    { sigmaB2: 0.2, sigmaW2: 1.97, continuous: true },
    { sigmaB2: 0.3, sigmaW2: 1.96, continuous: true },
  ];

  it("splits the line into a dashed run of jumps joined to a solid run of critical points", () => {
    const runs = transitionOverlays(line);
    expect(runs.map((r) => r.dashed)).toEqual([true, false]);
    expect(runs[0]!.y).toEqual([0, 0.1]);
    expect(runs[1]!.y).toEqual([0.1, 0.2, 0.3]); // starts at the last jump: one connected line
  });

  it("renders both runs, the jumps dashed, each kind named in the legend", async () => {
    const grid = mlpPhaseDiagram(
      activation("relu"),
      linspace(1.5, 2.5, 4),
      linspace(0, 0.3, 4),
      10,
    );
    const svg = await renderSvg(phaseHeatmap(grid, "gelu", line));
    expect(svg).toContain("jump of q* (discontinuous)");
    expect(svg).toContain("χ_J = 1 (continuous)");
    const lines =
      svg.match(/<path[^>]*class="mark-line[^"]*"[^>]*>|<g[^>]*mark-line[\s\S]*?<\/g>/g) ?? [];
    expect(lines.join("")).toContain("stroke-dasharray");
  });
});
