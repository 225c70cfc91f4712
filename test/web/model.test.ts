/**
 * The explorer's theory path and figure helpers, in Node: the profile it shows against closed
 * forms (ReLU: χ_J = σ_w²/2 at every layer; linear network: q' = σ_w² q + σ_b²), and the SVG
 * scales and ticks against hand-computed values.
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SETTINGS,
  phaseRequestOf,
  samePhaseRequest,
  theoryProfile,
} from "../../web/src/model.js";
import { chiColour, depthSvg, phaseAxes, scaleLinear, ticks } from "../../web/src/plots.js";

describe("explorer theory profile", () => {
  it("ReLU MLP: log J^{0,l} = l log(σ_w²/2) and q^L from the linear variance recursion", () => {
    const s = { ...DEFAULT_SETTINGS, activation: "relu", sigmaW2: 2.6, sigmaB2: 0.1, depth: 12 };
    const t = theoryProfile(s);
    for (let l = 0; l <= 12; l++) expect(t.logJ[l]).toBeCloseTo(l * Math.log(1.3), 12);
    let q = 1;
    for (let l = 0; l < 12; l++) q = 1.3 * q + 0.1;
    expect(t.qLast / q).toBeCloseTo(1, 12);
    expect(t.chiLast).toBeCloseTo(1.3, 12);
    expect(t.phase).toBe("chaotic");
  });

  it("linear network with residual μ: χ_J = μ² + σ_w² per block", () => {
    const s = { ...DEFAULT_SETTINGS, activation: "linear", sigmaW2: 0.3, mu: 0.5, depth: 5 };
    const t = theoryProfile(s);
    expect(t.logJ[5]).toBeCloseTo(5 * Math.log(0.25 + 0.3), 12);
    expect(t.phase).toBe("ordered");
  });

  it("the phase diagram depends on everything but σ_w², σ_b² and width", () => {
    const a = phaseRequestOf(DEFAULT_SETTINGS);
    const moved = { ...DEFAULT_SETTINGS, sigmaW2: 3, sigmaB2: 0.4, width: 512 };
    expect(samePhaseRequest(a, phaseRequestOf(moved))).toBe(true);
    for (const change of [
      { activation: "relu" },
      { layernorm: "pre" as const },
      { mu: 1 },
      { depth: 9 },
    ]) {
      expect(samePhaseRequest(a, phaseRequestOf({ ...DEFAULT_SETTINGS, ...change }))).toBe(false);
    }
  });
});

describe("explorer figures", () => {
  it("scales map and invert the axes", () => {
    const x = scaleLinear(0.1, 4, 52, 386);
    expect(x(0.1)).toBe(52);
    expect(x(4)).toBeCloseTo(386, 12);
    const ax = phaseAxes([0.1, 4], [0, 0.5]);
    const [w, b] = ax.invert(ax.x(2.2), ax.y(0.35));
    expect(w).toBeCloseTo(2.2, 12);
    expect(b).toBeCloseTo(0.35, 12);
  });

  it("ticks are round and cover the range", () => {
    expect(ticks(0, 20, 6)).toEqual([0, 5, 10, 15, 20]);
    expect(ticks(0, 0.5, 5)).toEqual(
      [0, 0.1, 0.2, 0.3, 0.4, 0.5].map((v) => expect.closeTo(v, 12)),
    );
    expect(ticks(-1.07, 0.05, 5)[0]).toBeCloseTo(-1, 12);
  });

  it("colours: white at χ_J = 1, saturated blue/red beyond ±clamp, grey for NaN", () => {
    expect(chiColour(0)).toBe("rgb(255,255,255)");
    expect(chiColour(-5)).toBe("rgb(33,102,172)");
    expect(chiColour(5)).toBe("rgb(178,24,43)");
    expect(chiColour(Number.NaN)).toBe("#8c8c8c");
  });

  it("depth plot skips non-finite values instead of drawing NaN", () => {
    const svg = depthSvg({
      theory: [0, -1, Number.NEGATIVE_INFINITY],
      measured: { logJ: [-1.1, Number.NaN], relStderr: [0.1, Number.NaN] },
    });
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg.match(/<circle /g)).toHaveLength(2); // one point + the legend's
  });
});
