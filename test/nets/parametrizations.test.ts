/**
 * The parametrization tables checked through what they imply, not by restating them:
 *   - the abc symmetry (Tensor Programs IV): NTK with lr η trains the same function as SP with
 *     per-layer lr η σ_w²/fan_in, and mean-field the same as µP (same effective weights W = m·ω at
 *     every step, up to rounding);
 *   - at initialization the hidden preactivations of SP and µP follow the infinite-width variance
 *     recursion q^{l+1} = σ_w² E[φ(h)²], h ~ N(0, q^l) (../theory/activations.ts, independent of
 *     the network code), width-independent; the µP output variance is that of SP divided by n.
 */
import { describe, expect, it } from "vitest";
import {
  coordBatch,
  coordCheck,
  coordRun,
  logLogSlope,
} from "../../src/diagnostics/coord-check.js";
import {
  PARAMETRIZATIONS,
  type ParametrizationTable,
  parametrization,
} from "../../src/nets/parametrizations.js";
import { activation } from "../../src/theory/activations.js";

const relu = activation("relu");
const tanh = activation("tanh");

/** Effective weights m·ω of every layer after `steps` GD steps, and the loss trajectory. */
function trained(param: ParametrizationTable, lr: number, steps: number, phi = tanh) {
  const B = 8;
  const d = 5;
  const K = 3;
  const { x, y } = coordBatch(7, B, d, K);
  const r = coordRun(
    { inputDim: d, width: 24, depth: 3, outputDim: K, activation: phi, sigmaW2: 1.5, param },
    7,
    steps,
    lr,
    { x, y, B },
  );
  return { w: r.layers.map((l) => l.omega.map((v) => v * l.multiplier)), loss: r.loss };
}

function expectSameWeights(a: Float64Array[], b: Float64Array[]) {
  expect(a.length).toBe(b.length);
  a.forEach((wa, l) => {
    let diff = 0;
    let norm = 0;
    wa.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - b[l]![i]!));
      norm = Math.max(norm, Math.abs(v));
    });
    expect(diff / norm).toBeLessThan(1e-12);
  });
}

describe("abc symmetry: equivalent parametrizations train the same function", () => {
  it("NTK with lr η = SP with per-layer lr η σ_w²/fan_in", () => {
    // trained() uses σ_w² = 1.5; NTK's σ_w sits in the multiplier, so its step carries σ_w²
    const spOverFanIn: ParametrizationTable = {
      name: "sp, lr σ_w²/fan_in",
      layer: (kind, nIn, nOut) => ({
        ...PARAMETRIZATIONS.sp.layer(kind, nIn, nOut),
        lr: 1.5 / nIn,
      }),
    };
    const ntk = trained(PARAMETRIZATIONS.ntk, 0.7, 4);
    const sp = trained(spOverFanIn, 0.7, 4);
    expectSameWeights(ntk.w, sp.w);
    for (const [t, v] of ntk.loss.entries()) expect(v).toBeCloseTo(sp.loss[t]!, 12);
    // and the steps did something: the weights moved and the loss fell
    expect(ntk.loss[4]!).toBeLessThan(0.95 * ntk.loss[0]!);
    // while plain SP with the same η trains a different function
    expect(Math.abs(trained(PARAMETRIZATIONS.sp, 0.7, 4).loss[4]! - ntk.loss[4]!)).toBeGreaterThan(
      1e-3,
    );
  });

  it("mean-field = µP (hidden ω·√n, multiplier /√n, lr ·n)", () => {
    const mf = trained(PARAMETRIZATIONS["mean-field"], 0.3, 4, relu);
    const mup = trained(PARAMETRIZATIONS.mup, 0.3, 4, relu);
    expectSameWeights(mf.w, mup.w);
    expect(mf.loss[4]!).toBeLessThan(0.95 * mf.loss[0]!);
  });

  it("unknown names are refused, naming the field", () => {
    expect(() => parametrization("foo", "--param")).toThrow(/--param.*sp, ntk, mup, mean-field/);
    expect(parametrization("mup")).toBe(PARAMETRIZATIONS.mup);
  });
});

describe("initialization scale against the infinite-width variance recursion", () => {
  const widths = [128, 512];
  const B = 8;
  const d = 16;
  const K = 64;
  const seeds = [0, 1, 2, 3];
  for (const phi of [relu, tanh]) {
    const sigmaW2 = phi === relu ? 2 : 1.5;
    /** q^l pooled over the batches of the seeds: mean over b of the recursion from q¹_b = σ²|x_b|²/d */
    const theory = (depth: number) => {
      const q = Array.from({ length: depth + 1 }, () => 0);
      for (const s of seeds) {
        const { x } = coordBatch(s, B, d, K);
        for (let b = 0; b < B; b++) {
          let qb = (sigmaW2 * x.subarray(b * d, (b + 1) * d).reduce((a, v) => a + v * v, 0)) / d;
          for (let l = 0; l <= depth; l++) {
            q[l]! += qb / (seeds.length * B);
            qb = sigmaW2 * phi.secondMoment(qb);
          }
        }
      }
      return q;
    };
    it(`${phi.name}: SP and µP hidden h RMS = √q^l at every width; µP output = SP output / √n`, () => {
      const depth = 3;
      const q = theory(depth);
      const run = (name: "sp" | "mup") =>
        coordCheck({
          widths,
          depth,
          steps: 1,
          lr: 1e-3,
          seeds,
          activation: phi,
          sigmaW2,
          param: PARAMETRIZATIONS[name],
          inputDim: d,
          outputDim: K,
          batch: B,
        });
      const sp = run("sp");
      const mup = run("mup");
      widths.forEach((n, w) => {
        for (let l = 0; l < depth; l++) {
          // mean of n·B·seeds squares of Gaussians: relative sd ≈ √(2/(n·seeds)) ≤ 3.5%
          expect(Math.abs(sp.layers[l]!.rms[w]![0]! ** 2 / q[l]! - 1)).toBeLessThan(0.15);
          expect(Math.abs(mup.layers[l]!.rms[w]![0]! ** 2 / q[l]! - 1)).toBeLessThan(0.15);
        }
        // output: K·seeds = 256 draws per batch row: relative sd of the mean square ≈ 9%
        const out = depth;
        expect(Math.abs(sp.layers[out]!.rms[w]![0]! ** 2 / q[out]! - 1)).toBeLessThan(0.3);
        expect(Math.abs((n * mup.layers[out]!.rms[w]![0]! ** 2) / q[out]! - 1)).toBeLessThan(0.3);
      });
      // width exponents of the init RMS: 0 for hidden layers (both) and the SP output, −½ for µP's
      const initSlope = (r: typeof sp, l: number) =>
        logLogSlope(
          widths,
          r.layers[l]!.rms.map((v) => v[0]!),
        );
      for (let l = 0; l < depth; l++) {
        expect(Math.abs(initSlope(sp, l))).toBeLessThan(0.05);
        expect(Math.abs(initSlope(mup, l))).toBeLessThan(0.05);
      }
      expect(Math.abs(initSlope(sp, depth))).toBeLessThan(0.15);
      expect(Math.abs(initSlope(mup, depth) + 0.5)).toBeLessThan(0.15);
    });
  }
});
