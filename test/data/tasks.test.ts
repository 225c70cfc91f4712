/** Task relabelling: each task's labels recomputed here from the raw rows by a direct rule. */
import { describe, expect, it } from "vitest";
import { relabel } from "../../src/data/tasks.js";
import { trainingSet } from "../../src/data/training.js";
import { kendallTau } from "../../src/diagnostics/linearized-training.js";

const iris = trainingSet("iris", { seed: 0 });

describe("tasks on the same inputs", () => {
  it("class keeps the data; ovr:c is 1 exactly on class c, as two-class one-hot rows", () => {
    expect(relabel(iris, "class", 0).train.y).toEqual(iris.train.y);
    const t = relabel(iris, "ovr:2", 0);
    expect(t.outputDim).toBe(2);
    expect(t.train.x).toBe(iris.train.x);
    for (const [s, orig] of [
      [t.train, iris.train],
      [t.test, iris.test],
    ] as const)
      for (let i = 0; i < s.n; i++) {
        const want = orig.labels![i] === 2 ? 1 : 0;
        expect(s.labels![i]).toBe(want);
        expect([s.y[2 * i], s.y[2 * i + 1]]).toEqual(want ? [0, 1] : [1, 0]);
      }
  });

  it("parity:k is the XOR of k features binarized at their training medians (features split ~half/half)", () => {
    const d = iris.inputDim;
    const n = iris.train.n;
    // the median and the balance of every feature, by sorting each column here
    const stats = Array.from({ length: d }, (_, j) => {
      const col = Array.from({ length: n }, (_, i) => iris.train.x[i * d + j]!);
      const m = [...col].sort((a, b) => a - b)[Math.floor((n - 1) / 2)]!;
      return { j, m, off: Math.abs(col.filter((v) => v > m).length / n - 0.5) };
    });
    const chosen = [...stats].sort((a, b) => a.off - b.off || a.j - b.j).slice(0, 3);
    const t = relabel(iris, "parity:3", 0);
    for (const [s, orig] of [
      [t.train, iris.train],
      [t.test, iris.test],
    ] as const)
      for (let i = 0; i < s.n; i++) {
        let bit = 0;
        for (const { j, m } of chosen) if (orig.x[i * d + j]! > m) bit = 1 - bit;
        expect(s.labels![i]).toBe(bit);
      }
    // a parity of balanced bits is itself roughly balanced
    const ones = t.train.labels!.reduce((a, b) => a + b, 0);
    expect(Math.abs(ones / n - 0.5)).toBeLessThan(0.2);
  });

  it("random labels depend on the seed only, and are about half ones", () => {
    const a = relabel(iris, "random", 7);
    expect(relabel(iris, "random", 7).train.labels).toEqual(a.train.labels);
    expect(relabel(iris, "random", 8).train.labels).not.toEqual(a.train.labels);
    const ones = a.train.labels!.reduce((s, v) => s + v, 0);
    expect(Math.abs(ones / a.train.n - 0.5)).toBeLessThan(0.15);
  });

  it("bad task names and regression data are refused naming --task", () => {
    for (const bad of ["ovr:3", "ovr:x", "parity:0", "parity:5", "nope", "class:1", "random:2"])
      expect(() => relabel(iris, bad, 0)).toThrow(/--task/);
    const reg = trainingSet("teacher_regression", { seed: 0 });
    expect(() => relabel(reg, "class", 0)).toThrow(/--task.*classification/);
  });
});

describe("Kendall's τ", () => {
  it("1 for equal orders, −1 for reversed, and the pair count otherwise", () => {
    expect(kendallTau([0, 1, 2, 3], [0, 1, 2, 3])).toBe(1);
    expect(kendallTau([0, 1, 2, 3], [3, 2, 1, 0])).toBe(-1);
    // one swapped adjacent pair out of 6 pairs: (5 − 1)/6
    expect(kendallTau([0, 1, 2, 3], [1, 0, 2, 3])).toBeCloseTo(4 / 6, 15);
  });
});
