/**
 * Twin runs: the comparison is honest (a run twinned with itself is bit-identical at every step),
 * the ulp twin starts exactly one float32 ulp away (ulp from the bits, by DataView, and from the
 * exponent) and drifts, the f64 twin really trains in float64, and the order twin sums the same
 * minibatch rows in another order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainingSet } from "../../src/data/training.js";
import {
  logGrowthRate,
  nextFloat32,
  type TwinsConfig,
  twinRuns,
} from "../../src/diagnostics/twins.js";
import { loadJax, shutdownJax } from "../../src/nets/jax.js";
import { mlpModel, objective } from "../../src/nets/model.js";
import { activation } from "../../src/theory/activations.js";
import { initialState, train } from "../../src/train/loop.js";

afterAll(shutdownJax);

/** One float32 ulp above |x| from the float32 bit pattern (DataView, big-endian). */
function ulpFromBits(x: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  const bits = view.getUint32(0);
  view.setUint32(0, bits + 1);
  return Math.abs(view.getFloat32(0) - Math.fround(x));
}

let config: TwinsConfig;
beforeAll(async () => {
  const data = trainingSet("iris", { seed: 0 });
  const model = await mlpModel({
    inputDim: data.inputDim,
    width: 8,
    depth: 2,
    outputDim: data.outputDim,
    activation: activation("tanh"),
    sigmaW2: 1,
    sigmaB2: 0,
    loss: "cross_entropy",
  });
  config = { model, data, steps: 20, batchSize: 16, lr: 0.1, every: 5 };
});

describe("twin runs", () => {
  it("a run twinned with itself is bit-identical at every step; an ulp twin starts one ulp away and drifts", async () => {
    const [none, ulp] = await twinRuns(config, ["none", "ulp"], 3);
    expect(none!.step).toEqual([0, 5, 10, 15, 20]);
    expect(none!.distance).toEqual([0, 0, 0, 0, 0]);
    for (const layer of none!.layerDistance) expect(layer).toEqual([0, 0, 0, 0, 0]);
    expect(none!.lossDiff).toEqual([0, 0, 0, 0, 0]);
    expect(none!.disagreement).toEqual([0, 0, 0, 0, 0]);
    expect(none!.twinOffGrid).toBe(0);
    // the runs did train: accuracy moved from its initial value
    expect(none!.accuracy.a.at(-1)).not.toBe(none!.accuracy.a[0]);

    const w = ulp!.perturbedWeight!;
    const u = ulpFromBits(w.from);
    // the same spacing from the exponent: 2^(⌊log2|x|⌋ − 23) for a normal float32
    expect(u).toBe(2 ** (Math.floor(Math.log2(Math.abs(w.from))) - 23));
    expect(Math.abs(w.to - w.from)).toBe(u);
    expect(Math.abs(w.to)).toBeGreaterThan(Math.abs(w.from));
    expect(ulp!.distance[0]).toBe(u);
    expect(ulp!.distance.at(-1)!).toBeGreaterThan(0);
    // the difference spread beyond the layer of the moved weight
    const spread = ulp!.layerDistance.filter((l) => l.at(-1)! > 0).length;
    expect(spread).toBeGreaterThan(1);
  });

  it("logGrowthRate recovers r of c·e^{rt} (zeros and non-finite points skipped)", () => {
    const t = [0, 10, 20, 30, 40];
    const d = t.map((s) => 1e-9 * Math.exp(0.07 * s));
    expect(logGrowthRate(t, d)).toBeCloseTo(0.07, 12);
    expect(logGrowthRate(t, [0, ...d.slice(1, 4), Number.NaN])).toBeCloseTo(0.07, 12);
    expect(logGrowthRate(t, [0, 0, 0, 0, 1])).toBeNull();
  });

  it("nextFloat32 moves away from zero by one ulp (0 → the least subnormal)", () => {
    expect(nextFloat32(1)).toBe(1 + 2 ** -23);
    expect(nextFloat32(-1)).toBe(-1 - 2 ** -23);
    expect(nextFloat32(0)).toBe(2 ** -149);
    expect(() => nextFloat32(Number.POSITIVE_INFINITY)).toThrow(/weight/);
  });

  it("the f64 twin trains in float64 from the same float32 start", async () => {
    const [f64] = await twinRuns({ ...config, steps: 3, every: 1 }, ["f64"], 3);
    expect(f64!.twinDtype).toBe("float64");
    // values float32 cannot represent: the twin's updates were not rounded to float32
    expect(f64!.twinOffGrid).toBeGreaterThan(0);
    expect(f64!.distance[0]).toBe(0);
    expect(f64!.distance.at(-1)!).toBeGreaterThan(0);
    // rounding-level differences only after 3 steps
    expect(f64!.distance.at(-1)!).toBeLessThan(1e-4);
  });

  it("the order twin sums the same rows in another order: rounding-level drift only", async () => {
    const [order, seed] = await twinRuns(config, ["order", "seed"], 3);
    expect(order!.distance[0]).toBe(0);
    expect(order!.distance.at(-1)!).toBeGreaterThan(0);
    expect(order!.distance.at(-1)!).toBeLessThan(1e-4);
    expect(seed!.distance.at(-1)!).toBeGreaterThan(0.1);
  });

  it("rowOrderSeed permutes rows within each minibatch: same batch loss to float32 rounding", async () => {
    const jax = await loadJax();
    const losses = async (rowOrderSeed?: number) => {
      const cfg = {
        steps: 8,
        batchSize: 16,
        optimizer: { name: "sgd" as const },
        lr: 1e-30,
        seed: 3,
        dtype: "float32" as const,
        rowOrderSeed,
      };
      const task = { objective: objective(config.model), predict: config.model.apply };
      const s = await train(
        jax,
        task,
        config.data,
        cfg,
        initialState(jax, config.model.init(3), cfg.optimizer),
      );
      jax.tree.dispose([s.params, s.opt.slots] as never);
      return s.history.steps.map((r) => r.loss);
    };
    const plain = await losses();
    const shuffled = await losses(7);
    for (let t = 0; t < plain.length; t++)
      expect(Math.abs(shuffled[t]! - plain[t]!)).toBeLessThan(1e-6 * plain[t]!);
    // different minibatches would differ far beyond rounding
    expect(Math.max(...plain) - Math.min(...plain)).toBeGreaterThan(1e-3);
  });

  it("bad input names the field", async () => {
    await expect(twinRuns(config, ["bogus" as never], 0)).rejects.toThrow(/perturbation/);
    await expect(twinRuns({ ...config, every: 0 }, ["none"], 0)).rejects.toThrow(/every/);
    await expect(twinRuns(config, ["seed"], 0, { twinSeed: 0 })).rejects.toThrow(/twinSeed/);
  });
});
