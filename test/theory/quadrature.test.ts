import { describe, expect, it } from "vitest";
import { expect1, expect2, gaussHermite, gaussLegendre } from "../../src/theory/quadrature.js";
import { erf, normalCdf } from "../../src/theory/special.js";

/** (2k−1)!! = E[z^{2k}] for z ~ N(0, 1). */
const doubleFactorial = (k: number) =>
  Array.from({ length: k }, (_, i) => 2 * i + 1).reduce((a, b) => a * b, 1);

describe("Gauss–Hermite rule", () => {
  it("integrates the Gaussian moments exactly up to degree 2n − 1", () => {
    for (const n of [1, 2, 5, 12, 20]) {
      const { x, w } = gaussHermite(n);
      for (let k = 0; 2 * k <= 2 * n - 1; k++) {
        const m = x.reduce((a, xi, i) => a + w[i]! * xi ** (2 * k), 0);
        expect(m).toBeCloseTo(doubleFactorial(k), 12 - 2 * Math.log10(doubleFactorial(k) + 1));
      }
      const odd = x.reduce((a, xi, i) => a + w[i]! * xi ** 3, 0);
      expect(Math.abs(odd)).toBeLessThan(1e-12);
    }
  });

  it("rejects orders outside [1, 1000]", () => {
    expect(() => gaussHermite(0)).toThrow(RangeError);
    expect(() => gaussHermite(2.5)).toThrow(RangeError);
  });
});

describe("Gauss–Legendre rule", () => {
  it("integrates polynomials of degree 2n − 1 on [−1, 1]", () => {
    const { x, w } = gaussLegendre(7);
    for (let k = 0; k <= 13; k++) {
      const exact = k % 2 ? 0 : 2 / (k + 1);
      expect(x.reduce((a, xi, i) => a + w[i]! * xi ** k, 0)).toBeCloseTo(exact, 14);
    }
  });
});

describe("Gaussian expectations against closed forms", () => {
  it("E[sin(u)²] = e^{−q} sinh q from q = 0.01 to 30, with both rules", () => {
    for (const smooth of [true, false]) {
      for (const q of [0.01, 0.5, 1, 1.5, 4, 10]) {
        expect(
          Math.abs(expect1((u) => Math.sin(u) ** 2, q, 96, smooth) - Math.exp(-q) * Math.sinh(q)),
        ).toBeLessThan(1e-12);
      }
      // 30 oscillations across the Gaussian's width: still 1e-9
      expect(
        Math.abs(expect1((u) => Math.sin(u) ** 2, 30, 96, smooth) - Math.exp(-30) * Math.sinh(30)),
      ).toBeLessThan(1e-9);
    }
  });

  it("Gauss–Hermite is spectrally accurate for smooth integrands but not at a kink", () => {
    const relu = (u: number) => Math.max(u, 0);
    const exact = 1 / Math.sqrt(2 * Math.PI); // E[relu(u)] at q = 1
    expect(Math.abs(expect1(relu, 1, 96, true) / exact - 1)).toBeGreaterThan(1e-4);
    expect(Math.abs(expect1(relu, 1, 96, false) / exact - 1)).toBeLessThan(1e-13);
  });

  it("E[erf(u)²] = (2/π) asin(2q/(1 + 2q)) up to q = 1e4, where plain Hermite fails", () => {
    for (const q of [0.1, 1, 10, 100, 1e4]) {
      const exact = (2 / Math.PI) * Math.asin((2 * q) / (1 + 2 * q));
      expect(Math.abs(expect1((u) => erf(u) ** 2, q, 96, true) - exact)).toBeLessThan(1e-10);
    }
  });

  it("E[relu(u)²] = q/2 and E[|u|] = √(2q/π) at every scale (kink on a panel edge)", () => {
    for (const q of [1e-6, 0.3, 7, 1e6]) {
      expect(expect1((u) => (u > 0 ? u * u : 0), q, 96) / (q / 2)).toBeCloseTo(1, 12);
      expect(expect1(Math.abs, q, 96) / Math.sqrt((2 * q) / Math.PI)).toBeCloseTo(1, 12);
    }
  });

  it("E[sin u1 sin u2] = e^{−(q1+q2)/2} sinh q12 for correlated pairs", () => {
    for (const [q1, q2, c] of [
      [1, 1, 0.5],
      [0.3, 2, -0.8],
      [5, 3, 0.99],
      [0.7, 0.7, 1],
    ] as const) {
      const q12 = c * Math.sqrt(q1 * q2);
      const exact = Math.exp(-(q1 + q2) / 2) * Math.sinh(q12);
      expect(Math.abs(expect2(Math.sin, Math.sin, q1, q2, q12, 96, true) - exact)).toBeLessThan(
        1e-11,
      );
    }
  });
});

describe("special functions", () => {
  it("erf matches Python's math.erf to 5e-15", () => {
    const ref: Array<[number, number]> = [
      [-3, -0.9999779095030014],
      [-0.7, -0.6778011938374184],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.4999, 0.9995928300996666],
      [2.5001, 0.9995932657565293],
      [5, 0.9999999999984626],
    ];
    for (const [x, v] of ref) expect(Math.abs(erf(x) - v)).toBeLessThan(5e-15);
  });

  it("Φ is accurate in the lower tail: Φ(−10) = 7.6198530241605e-24", () => {
    expect(normalCdf(-10) / 7.6198530241604696e-24).toBeCloseTo(1, 12);
    expect(normalCdf(0)).toBe(0.5);
  });
});
