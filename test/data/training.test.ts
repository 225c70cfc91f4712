import { describe, expect, it } from "vitest";
import { irisData } from "../../src/data/datasets.js";
import { oneHot, stratifiedSplit, trainingSet } from "../../src/data/training.js";

describe("training data", () => {
  it("stratified split: each class keeps its share, disjoint, covering, fixed by the seed", () => {
    const { labels } = irisData();
    const s = stratifiedSplit(labels, 0.2, 7);
    for (const c of [0, 1, 2]) expect(s.test.filter((i) => labels[i] === c)).toHaveLength(10);
    expect([...s.train, ...s.test].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    expect(stratifiedSplit(labels, 0.2, 7)).toEqual(s);
    expect(stratifiedSplit(labels, 0.2, 8).test).not.toEqual(s.test);
  });

  it("standardization is fitted on the training rows only and applied to both", () => {
    const { features, labels } = irisData();
    const set = trainingSet("iris", { seed: 7 });
    const idx = stratifiedSplit(labels, 0.2, 7);
    const d = 4;
    for (let j = 0; j < d; j++) {
      const col = idx.train.map((i) => features[i]![j]!);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
      idx.train.forEach((i, r) => {
        expect(set.train.x[r * d + j]).toBeCloseTo((features[i]![j]! - mean) / sd, 12);
      });
      idx.test.forEach((i, r) => {
        expect(set.test.x[r * d + j]).toBeCloseTo((features[i]![j]! - mean) / sd, 12);
      });
    }
    // Targets are one-hot rows of the labels.
    expect(set.outputDim).toBe(3);
    idx.test.forEach((i, r) => {
      expect(Array.from(set.test.y.subarray(3 * r, 3 * r + 3))).toEqual(
        [0, 1, 2].map((c) => (c === labels[i] ? 1 : 0)),
      );
      expect(set.test.labels![r]).toBe(labels[i]);
    });
    expect(Array.from(oneHot([2, 0], 3))).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it("digits and breast_cancer load with all classes; constant pixels standardize to 0", () => {
    const dg = trainingSet("digits", { seed: 0 });
    expect([dg.inputDim, dg.outputDim, dg.train.n + dg.test.n]).toEqual([64, 10, 1797]);
    expect(dg.train.x.every(Number.isFinite)).toBe(true);
    // Pixel 0 is blank in every image: its standardized value is 0, not NaN.
    for (let r = 0; r < dg.test.n; r++) expect(dg.test.x[r * 64]).toBe(0);
    const bc = trainingSet("breast_cancer", { seed: 0 });
    expect([bc.inputDim, bc.outputDim, bc.train.n + bc.test.n]).toEqual([30, 2, 569]);
  });

  it("synthetic teachers are fixed by the seed; classes are the teacher's argmax", () => {
    const a = trainingSet("teacher_classification", { seed: 4, n: 200, outputs: 4 });
    const b = trainingSet("teacher_classification", { seed: 4, n: 200, outputs: 4 });
    expect(b).toEqual(a);
    expect(new Set(a.train.labels).size).toBe(4);
    const r = trainingSet("teacher_regression", { seed: 4, n: 100, outputs: 2, noise: 0 });
    expect([r.task, r.outputDim, r.train.n, r.test.n]).toEqual(["regression", 2, 80, 20]);
    expect(trainingSet("teacher_regression", { seed: 5, n: 100 }).train.y).not.toEqual(
      trainingSet("teacher_regression", { seed: 4, n: 100 }).train.y,
    );
  });
});
