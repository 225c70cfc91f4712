/**
 * The coordinate check: backprop against central finite differences, and the measured width
 * exponents of RMS(Δh^l) against the infinite-width exponents (Tensor Programs IV / V:
 * SP blows up with width, NTK features move like n^{-½}, µP is flat), pooled over several seeds.
 * Widths 32 … 256 keep the test fast; the tolerances allow the finite-width corrections measured
 * there (e.g. the µP output slope is −0.15 at 32 … 256 and −0.08 at 64 … 512).
 */
import { describe, expect, it } from "vitest";
import {
  type CoordCheckConfig,
  coordBatch,
  coordCheck,
  coordLossGrad,
  initCoordMlp,
  logLogSlope,
  STEP1_DELTA_EXPONENT,
} from "../../src/diagnostics/coord-check.js";
import {
  PARAMETRIZATION_NAMES,
  PARAMETRIZATIONS,
  type ParametrizationTable,
} from "../../src/nets/parametrizations.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";

const relu = activation("relu");
const tanh = activation("tanh");

describe("coordLossGrad", () => {
  for (const name of PARAMETRIZATION_NAMES)
    it(`${name}: ∂L/∂ω matches central differences`, () => {
      const B = 4;
      const d = 3;
      const K = 2;
      const layers = initCoordMlp(
        {
          inputDim: d,
          width: 6,
          depth: 3,
          outputDim: K,
          activation: tanh,
          sigmaW2: 1.3,
          param: PARAMETRIZATIONS[name],
        },
        new Rng(11),
      );
      const { x, y } = coordBatch(3, B, d, K);
      const { grads } = coordLossGrad(layers, tanh, x, y, B);
      const h = 1e-6;
      for (const [l, layer] of layers.entries())
        for (let i = 0; i < layer.omega.length; i++) {
          const w0 = layer.omega[i]!;
          layer.omega[i] = w0 + h;
          const up = coordLossGrad(layers, tanh, x, y, B).loss;
          layer.omega[i] = w0 - h;
          const down = coordLossGrad(layers, tanh, x, y, B).loss;
          layer.omega[i] = w0;
          const fd = (up - down) / (2 * h);
          expect(Math.abs(fd - grads[l]![i]!)).toBeLessThan(1e-8 * (1 + Math.abs(fd)));
        }
    });
});

describe("logLogSlope", () => {
  it("recovers the exponent of a power law, NaN for zeros and a single width", () => {
    const widths = [8, 16, 64, 100];
    expect(
      logLogSlope(
        widths,
        widths.map((n) => 3 * n ** -0.37),
      ),
    ).toBeCloseTo(-0.37, 12);
    expect(logLogSlope(widths, [1, 2, 0, 3])).toBeNaN();
    expect(logLogSlope([8], [1])).toBeNaN();
  });
});

describe("width exponents of RMS(Δh^l) against the infinite-width theory", () => {
  const base = (
    param: keyof typeof PARAMETRIZATIONS,
    lr: number,
    seeds: number,
  ): CoordCheckConfig => ({
    widths: [32, 64, 128, 256],
    depth: 2,
    steps: 5,
    lr,
    seeds: Array.from({ length: seeds }, (_, i) => i),
    activation: relu,
    sigmaW2: 2,
    param: PARAMETRIZATIONS[param],
    inputDim: 16,
    outputDim: 4,
    batch: 32,
  });
  const step1 = (r: ReturnType<typeof coordCheck>, l: number) => r.layers[l]!.deltaSlopes[1]!;

  it("µP (mean-field trains the same, test/nets/parametrizations.test.ts): every layer's change is width-independent, at every step", () => {
    const r = coordCheck(base("mup", 0.1, 6));
    for (const l of r.layers) {
      expect(STEP1_DELTA_EXPONENT.mup[l.kind]).toBe(0);
      for (const s of l.deltaSlopes.slice(1))
        expect(Math.abs(s)).toBeLessThan(l.kind === "output" ? 0.2 : 0.1);
    }
    // the training moved the features by O(1), not by a vanishing amount
    expect(r.layers[1]!.deltaRms[3]![5]!).toBeGreaterThan(0.1);
  });

  it("NTK: input and hidden features move like n^{-½}, the output change is O(1)", () => {
    const r = coordCheck(base("ntk", 0.1, 16));
    for (const l of r.layers) {
      const e = STEP1_DELTA_EXPONENT.ntk[l.kind];
      expect(Math.abs(step1(r, l.layer - 1) - e)).toBeLessThan(0.15);
      expect(Math.abs(l.deltaSlope - e)).toBeLessThan(0.15);
    }
  });

  it("SP at a fixed lr: step 1 has the exponents −½, +½, +1; the output change keeps growing", () => {
    const r = coordCheck(base("sp", 0.01, 8));
    const [input, hidden, output] = [0, 1, 2].map((l) => step1(r, l));
    expect(Math.abs(input! - STEP1_DELTA_EXPONENT.sp.input)).toBeLessThan(0.15);
    expect(Math.abs(output! - STEP1_DELTA_EXPONENT.sp.output)).toBeLessThan(0.15);
    // +½ from ΔW·φ(h) plus an n^{-½} term from W·Δφ(h¹): the fitted slope is below ½ at n ≤ 256
    expect(hidden!).toBeGreaterThan(0.2);
    expect(hidden!).toBeLessThan(0.6);
    expect(r.layers[2]!.deltaSlope).toBeGreaterThan(0.4);
  });
});

describe("Adam: the Adam column of the tables (Tensor Programs V, Table 8)", () => {
  const base = (param: ParametrizationTable, lr: number): CoordCheckConfig => ({
    widths: [32, 64, 128, 256],
    depth: 2,
    steps: 5,
    lr,
    optimizer: "adam",
    seeds: [0, 1, 2, 3],
    activation: relu,
    sigmaW2: 2,
    param,
    inputDim: 16,
    outputDim: 4,
    batch: 32,
  });

  it("µP: every layer's change is width-independent at every step; with SGD's factors under Adam it is not", () => {
    const r = coordCheck(base(PARAMETRIZATIONS.mup, 0.01));
    // measured: slopes −0.01 (input), −0.03 (hidden), −0.13 (output: the same finite-width
    // correction as with SGD, −0.08 at 64 … 512) at every step
    for (const l of r.layers)
      for (const s of l.deltaSlopes.slice(1))
        expect(Math.abs(s)).toBeLessThan(l.kind === "output" ? 0.2 : 0.1);
    expect(r.layers[1]!.deltaRms[3]![5]!).toBeGreaterThan(0.1); // features moved by O(1)
    // the SGD column's factors (input n, hidden 1) with Adam: the hidden layer's ΔW·a sums n
    // sign-like terms (exponent +1), the input's step grows with n
    const mup = PARAMETRIZATIONS.mup;
    const sgdFactors: ParametrizationTable = {
      name: "mup with SGD's factors",
      layer: (k, i, o) => ({ ...mup.layer(k, i, o), adamLr: mup.layer(k, i, o).lr }),
    };
    const wrong = coordCheck({ ...base(sgdFactors, 0.01), steps: 1 });
    expect(wrong.layers[0]!.deltaSlopes[1]!).toBeGreaterThan(0.5);
    expect(wrong.layers[1]!.deltaSlopes[1]!).toBeGreaterThan(0.5);
  });

  it("mean-field (hidden Adam factor 1/√n, µP's 1/n times θ = √n) trains as µP does, up to ε", () => {
    const mup = coordCheck(base(PARAMETRIZATIONS.mup, 0.01));
    const mf = coordCheck(base(PARAMETRIZATIONS["mean-field"], 0.01));
    mup.layers.forEach((l, i) => {
      l.deltaRms.forEach((row, w) => {
        row.forEach((v, t) => {
          expect(Math.abs(mf.layers[i]!.deltaRms[w]![t]! - v)).toBeLessThanOrEqual(1e-4 * v); // measured ≤ 3.3e-5
        });
      });
    });
  });

  it("SP at a fixed lr: the hidden and output changes grow with the width", () => {
    // Adam's first step is ≈ η·sign(g) per entry: ΔW·a sums n aligned terms (hidden +1), and
    // the last hidden layer's change is aligned with the readout's row (output above +1).
    // Measured at step 1: input −0.01, hidden 0.83, output 1.19
    const r = coordCheck(base(PARAMETRIZATIONS.sp, 0.001));
    const [input, hidden, output] = r.layers.map((l) => l.deltaSlopes[1]!);
    expect(Math.abs(input!)).toBeLessThan(0.1);
    expect(hidden!).toBeGreaterThan(0.7);
    expect(output!).toBeGreaterThan(1);
    expect(r.layers[2]!.deltaSlope).toBeGreaterThan(0.6);
  });
});
