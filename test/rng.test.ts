/**
 * ZigguratRng against the normal distribution (independent reference: the normal CDF through
 * src/theory/special.ts erf, not the generator's tables).
 */
import { describe, expect, it } from "vitest";
import { ZigguratRng } from "../src/rng.js";
import { erf } from "../src/theory/special.js";

const Phi = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));

describe("ZigguratRng", () => {
  const n = 400_000;
  const z = new ZigguratRng(11).normals(n);

  it("moments of N(0, 1): mean, variance, kurtosis within 5 standard errors", () => {
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    for (const v of z) {
      s1 += v;
      s2 += v * v;
      s4 += v ** 4;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
  });

  it("tails beyond the base strip (|x| > 3.44, ~5.8e-4) and beyond 4 have the normal mass", () => {
    for (const t of [3.442619855899, 4]) {
      const p = 2 * (1 - Phi(t));
      const k = z.filter((v) => Math.abs(v) > t).length;
      expect(Math.abs(k - n * p)).toBeLessThan(5 * Math.sqrt(n * p));
    }
  });

  it("Kolmogorov–Smirnov: √n·D below the 0.1 % critical value 1.95", () => {
    const m = 100_000;
    const a = Array.from(z.subarray(0, m)).sort((x, y) => x - y);
    let d = 0;
    for (let i = 0; i < m; i++) {
      const F = Phi(a[i]!);
      d = Math.max(d, F - i / m, (i + 1) / m - F);
    }
    expect(Math.sqrt(m) * d).toBeLessThan(1.95);
  });

  it("is seeded (bit-identical streams), scales by std, and splits into ZigguratRngs", () => {
    expect(new ZigguratRng(3).normals(1000)).toEqual(new ZigguratRng(3).normals(1000));
    const a = new ZigguratRng(3).normals(1000, 0.5);
    const b = new ZigguratRng(3).normals(1000);
    expect(a).toEqual(b.map((v) => 0.5 * v));
    expect(new ZigguratRng(3).split()).toBeInstanceOf(ZigguratRng);
    expect(new ZigguratRng(4).normals(10)).not.toEqual(new ZigguratRng(3).normals(10));
  });
});
