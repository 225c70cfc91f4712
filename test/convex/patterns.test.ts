import { describe, expect, it } from "vitest";
import { enumeratePatterns, samplePatterns } from "../../src/convex/patterns.js";
import { Rng } from "../../src/rng.js";
import { tinyData } from "./helpers.js";

const keys = (masks: Uint8Array, n: number) =>
  new Set(
    Array.from({ length: masks.length / n }, (_, i) => masks.subarray(i * n, (i + 1) * n).join("")),
  );

describe("activation patterns", () => {
  it("enumeration in R³ finds every cell: 2(1 + (n−1) + C(n−1, 2)) − 1 non-empty patterns (Cover 1965)", () => {
    for (const n of [5, 12, 20]) {
      const { X } = tinyData(n, n, 2);
      const m = n - 1;
      expect(enumeratePatterns(X).count).toBe(2 * (1 + m + (m * (m - 1)) / 2) - 1);
    }
  });

  it("enumeration in R² finds the 2n cells, minus the all-inactive one when the points lie in a half-plane", () => {
    const rng = new Rng(4);
    const X = {
      rows: 9,
      cols: 2,
      data: rng.normals(18).map((v, i) => (i % 2 === 0 ? Math.abs(v) : v)),
    };
    expect(enumeratePatterns(X).count).toBe(2 * 9 - 1);
  });

  it("every sampled pattern is one of the enumerated ones, and gates are strictly interior", () => {
    const { X } = tinyData(7, 15, 2);
    const all = enumeratePatterns(X);
    const sampled = samplePatterns(X, 500, new Rng(1));
    const allKeys = keys(all.masks, 15);
    for (const k of keys(sampled.masks, 15)) expect(allKeys.has(k)).toBe(true);
    for (let i = 0; i < all.count; i++) {
      for (let k = 0; k < 15; k++) {
        let s = 0;
        for (let j = 0; j < 3; j++) s += X.data[k * 3 + j]! * all.gates[i * 3 + j]!;
        expect(all.masks[i * 15 + k] ? s : -s).toBeGreaterThan(0);
      }
    }
  });
});
