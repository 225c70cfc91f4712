import { describe, expect, it } from "vitest";
import { losses } from "../../src/convex/losses.js";
import { networkObjective } from "../../src/convex/network.js";
import { networkGradient } from "../../src/convex/sgd.js";
import { breastCancer, digits, iris, synthetic } from "../../src/data/datasets.js";
import { Rng } from "../../src/rng.js";

describe("datasets", () => {
  it.each([
    [iris, 100, 5, 50],
    [digits, 1797, 65, 891],
    [breastCancer, 569, 31, 357],
  ] as const)(
    "%o has the documented shape, a bias column and standardized features",
    (load, n, d, positives) => {
      const ds = load();
      expect([ds.X.rows, ds.X.cols]).toEqual([n, d]);
      expect(ds.y.filter((v) => v === 1).length).toBe(positives);
      for (let k = 0; k < n; k++) expect(ds.X.data[k * d + d - 1]).toBe(1);
      let mean = 0;
      for (let k = 0; k < n; k++) mean += ds.X.data[k * d]!;
      expect(Math.abs(mean / n)).toBeLessThan(1e-9);
    },
  );

  it("synthetic data is reproducible from its seed", () => {
    expect(synthetic(4).y).toEqual(synthetic(4).y);
    expect(synthetic(4).y).not.toEqual(synthetic(5).y);
  });
});

describe("non-convex network gradient", () => {
  it("matches central finite differences", () => {
    const ds = synthetic(1, 20, 3);
    const rng = new Rng(2);
    const net = { d: 4, m: 3, U: rng.normals(12), alpha: rng.normals(3) };
    const g = networkGradient(net, ds.X, ds.y, losses.squared, 0.1);
    const f = () => networkObjective(net, ds.X, ds.y, losses.squared, 0.1);
    const h = 1e-6;
    for (const [arr, grad] of [
      [net.U, g.U],
      [net.alpha, g.alpha],
    ] as const) {
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i]!;
        arr[i] = v + h;
        const fp = f();
        arr[i] = v - h;
        const fm = f();
        arr[i] = v;
        expect(grad[i]).toBeCloseTo((fp - fm) / (2 * h), 5);
      }
    }
  });
});
