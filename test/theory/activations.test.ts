import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import {
  ACTIVATION_NAMES,
  activation,
  customActivation,
  makeActivation,
} from "../../src/theory/activations.js";
import { expect1 } from "../../src/theory/quadrature.js";
import { normalCdf, normalPdf } from "../../src/theory/special.js";
import { tabulated } from "../../src/theory/tabulate.js";

const PAIRS: Array<[number, number, number]> = [
  [1, 1, 0.3],
  [0.5, 2, -0.6],
  [3, 0.2, 0.95],
  [1.3, 1.3, 1],
  [0.7, 4, 0],
];
const q12 = (q1: number, q2: number, c: number) => c * Math.sqrt(q1 * q2);

/**
 * Independent semi-analytic ReLU-family integrals: condition on z1 and use the closed form of
 * the inner Gaussian integral, then integrate z1 ∈ (0, ∞) and (−∞, 0) by 1-D quadrature.
 * For u2 = a z1 + b z2: E[relu(u2) | z1] = m Φ(m/b) + b φ(m/b), P(u2 > 0 | z1) = Φ(m/b), m = a z1.
 */
function reluPairByConditioning(alpha: number, q1: number, q2: number, r: number) {
  const s1 = Math.sqrt(q1);
  const a = r / s1;
  const b = Math.sqrt(q2 - a * a);
  const leaky = (x: number) => (x > 0 ? x : alpha * x);
  const slope = (x: number) => (x > 0 ? 1 : alpha);
  // E[leaky(u2) | z1] = E[relu(u2)] − α E[relu(−u2)]
  const innerF = (m: number) =>
    m * normalCdf(m / b) +
    b * normalPdf(m / b) -
    alpha * (-m * normalCdf(-m / b) + b * normalPdf(m / b));
  const innerD = (m: number) => normalCdf(m / b) + alpha * normalCdf(-m / b);
  const cov = expect1((u1) => leaky(u1) * innerF((a * u1) / s1), q1, 96);
  const dcov = expect1((u1) => slope(u1) * innerD((a * u1) / s1), q1, 96);
  return { cov, dcov };
}

describe("closed-form kernel maps", () => {
  it("ReLU and leaky ReLU arc-cosine kernels agree with an independent conditioning integral to 1e-10", () => {
    for (const alpha of [0, 0.1, 0.5]) {
      const phi = activation(alpha === 0 ? "relu" : `leaky_relu(${alpha})`);
      for (const [q1, q2, c] of PAIRS.filter((p) => p[2] < 1)) {
        const ref = reluPairByConditioning(alpha, q1, q2, q12(q1, q2, c));
        expect(Math.abs(phi.cov(q1, q2, q12(q1, q2, c)) - ref.cov)).toBeLessThan(1e-10);
        expect(Math.abs(phi.dcov(q1, q2, q12(q1, q2, c)) - ref.dcov)).toBeLessThan(1e-10);
      }
    }
  });

  it("erf, sin and linear closed forms agree with 2-D quadrature to 1e-10", () => {
    for (const name of ["erf", "sin", "linear"]) {
      const closed = activation(name);
      const quad = makeActivation({ name, f: closed.f, df: closed.df, smooth: true }, 120);
      for (const [q1, q2, c] of PAIRS) {
        const r = q12(q1, q2, c);
        expect(Math.abs(closed.cov(q1, q2, r) - quad.cov(q1, q2, r))).toBeLessThan(1e-10);
        expect(Math.abs(closed.dcov(q1, q2, r) - quad.dcov(q1, q2, r))).toBeLessThan(1e-10);
        expect(Math.abs(closed.mean(q1) - quad.mean(q1))).toBeLessThan(1e-12);
      }
    }
  });

  it("ReLU mean and second moments: E[relu] = √(q/2π), E[relu²] = q/2, E[relu′²] = 1/2", () => {
    const relu = activation("relu");
    for (const q of [1e-3, 1, 50]) {
      expect(relu.mean(q)).toBeCloseTo(Math.sqrt(q / (2 * Math.PI)), 14);
      expect(relu.secondMoment(q) / (q / 2)).toBeCloseTo(1, 14);
      expect(relu.derivSecondMoment(q)).toBeCloseTo(0.5, 14);
    }
  });
});

describe("quadrature-only activations", () => {
  it("tanh moments match a dense 2M-point trapezoid reference (numpy) to 1e-10, where Gauss–Hermite-64 errs 1e-3", () => {
    const tanh = activation("tanh");
    // numpy: z = linspace(-12, 12, 2000001), trapezoid of tanh(√q z)² φ(z) and sech⁴(√q z) φ(z)
    const ref: Array<[number, number, number]> = [
      [0.5, 0.2736763079344806, 0.5924257933669078],
      [2, 0.5199757456596581, 0.3495082977437188],
      [4, 0.6352612342516979, 0.2559504432230969],
    ];
    for (const [q, m2, d2] of ref) {
      expect(Math.abs(tanh.secondMoment(q) - m2)).toBeLessThan(1e-10);
      expect(Math.abs(tanh.derivSecondMoment(q) - d2)).toBeLessThan(1e-10);
    }
  });

  it("gelu is the exact z·Φ(z): E[u Φ(u)] = q/√(2π(1+q))", () => {
    const gelu = activation("gelu");
    for (const q of [0.1, 1, 9])
      expect(Math.abs(gelu.mean(q) - q / Math.sqrt(2 * Math.PI * (1 + q)))).toBeLessThan(1e-11);
  });

  it("every activation's φ′ matches central finite differences of φ", () => {
    for (const name of ACTIVATION_NAMES) {
      const phi = activation(name);
      for (const x of [-2.3, -0.7, 0.3, 1.1, 3.7]) {
        const h = 1e-6;
        expect(phi.df(x)).toBeCloseTo((phi.f(x + h) - phi.f(x - h)) / (2 * h), 6);
      }
    }
  });

  it("tabulated single-variance maps agree with direct quadrature to 1e-9 relative over q ∈ [1e-30, 1e8]", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("tanh", "gelu", "silu", "sigmoid", "softplus"),
        fc.double({ min: -69, max: 18.4, noNaN: true }),
        (name, s) => {
          const phi = activation(name);
          const t = tabulated(phi);
          const q = Math.exp(s);
          for (const k of ["secondMoment", "derivSecondMoment"] as const) {
            const a = phi[k](q);
            expect(Math.abs(t[k](q) - a)).toBeLessThanOrEqual(1e-9 * Math.abs(a) + 1e-300);
          }
          expect(Math.abs(t.mean(q) - phi.mean(q))).toBeLessThanOrEqual(
            1e-9 * Math.sqrt(q) + 1e-14,
          );
        },
      ),
      { numRuns: 60, seed: -1341965843 },
    );
  });
});

describe("activation lookup", () => {
  it("accepts every documented name and leaky_relu(α); swish is silu", () => {
    for (const name of ACTIVATION_NAMES) expect(activation(name).f(0.5)).toBeTypeOf("number");
    expect(activation("leaky_relu(0.2)").f(-1)).toBeCloseTo(-0.2, 15);
    expect(activation("swish").f(1.3)).toBe(activation("silu").f(1.3));
  });

  it("rejects unknown names and bad parameters with an InputError naming the field", () => {
    expect(() => activation("tanhh", "--activation")).toThrow(InputError);
    expect(() => activation("tanhh", "--activation")).toThrow(
      /--activation: unknown activation 'tanhh'/,
    );
    expect(() => activation("leaky_relu(2)")).toThrow(/slope/);
    expect(() => activation("tanh(3)")).toThrow(/takes no parameter/);
  });

  it("custom activations: a wrong derivative is caught, a right one gives the same maps as the built-in", () => {
    expect(() => customActivation("bad", Math.tanh, (x) => 1 / Math.cosh(x))).toThrow(InputError);
    const mine = customActivation("mytanh", Math.tanh, (x) => 1 / Math.cosh(x) ** 2, {
      smooth: true,
    });
    expect(mine.secondMoment(0.8)).toBeCloseTo(activation("tanh").secondMoment(0.8), 13);
  });
});
