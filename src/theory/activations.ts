/**
 * Activation functions φ with the Gaussian integrals the wide-network recurrences need.
 *
 * Every activation has φ and φ′. Where a closed form is known the Gaussian maps use it;
 * otherwise they fall back to quadrature (./quadrature.ts). For (u1, u2) ~ N(0, [[q1, q12],
 * [q12, q2]]):
 *   cov(q1, q2, q12)  = E[φ(u1) φ(u2)]        (the NNGP kernel map)
 *   dcov(q1, q2, q12) = E[φ′(u1) φ′(u2)]      (gives χ: dcov(q, q, q) = E[φ′(u)²])
 *   mean(q)           = E[φ(u)]               (needed by LayerNorm on activations)
 * Conventions follow PyTorch / neural-tangents: erf is plain erf(z); gelu is exact z·Φ(z);
 * silu(z) = z·sigmoid(z); softplus(z) = log(1 + e^z); leaky_relu(z) = max(z, αz).
 */
import { InputError, shown } from "../errors.js";
import {
  type ActivationOp,
  erfOp,
  geluOp,
  leakyReluOp,
  linearOp,
  mathFunctionOp,
  sigmoidOp,
  siluOp,
  sinOp,
  softplusOp,
  tanhOp,
} from "./activation-ops.js";
import { geometricMean } from "./kernel.js";
import { expect1, expect2 } from "./quadrature.js";
import { erf, normalCdf, normalPdf } from "./special.js";

export interface GaussianMaps {
  cov(q1: number, q2: number, q12: number): number;
  dcov(q1: number, q2: number, q12: number): number;
  mean(q: number): number;
  /** E[φ(u)²] for u ~ N(0, q) */
  secondMoment(q: number): number;
  /** E[φ′(u)²] for u ~ N(0, q) */
  derivSecondMoment(q: number): number;
}

export interface Activation extends GaussianMaps {
  /** canonical name with parameters, e.g. "leaky_relu(0.1)" */
  readonly name: string;
  /** registry key, e.g. "leaky_relu" */
  readonly kind: string;
  /**
   * Identifies the function: equal keys compute the same φ. Built-ins use their name; every
   * custom activation gets a key of its own (two customs named "tanh" are different functions).
   */
  readonly key: string;
  /** φ as a jax-js op for finite networks; null when φ is known only as a JS function */
  readonly op: ActivationOp | null;
  readonly params: Readonly<Record<string, number>>;
  f(x: number): number;
  df(x: number): number;
  /** true when cov/dcov/mean are closed forms (not quadrature) */
  readonly closedForm: boolean;
  /** φ(λx) = λ^k φ(x) for λ > 0 (ReLU family, linear): then χ does not depend on q */
  readonly homogeneous: boolean;
}

export interface ActivationSpec {
  name: string;
  kind?: string;
  params?: Record<string, number>;
  f: (x: number) => number;
  df: (x: number) => number;
  op?: ActivationOp | null;
  /** defaults to `name` */
  key?: string;
  closed?: Partial<Pick<GaussianMaps, "cov" | "dcov" | "mean">>;
  homogeneous?: boolean;
  /** φ and φ′ are analytic (no kinks): quadrature may use Gauss–Hermite */
  smooth?: boolean;
}

/**
 * Default quadrature order for activations without closed forms: 160-point Gauss–Hermite keeps
 * E[tanh(u)²] and E[tanh′(u)²] at q ≤ 1 within 2e-13 (96 points: 7e-10; test/theory checks it
 * against an independent integral). The bivariate product rule costs order² evaluations, so it
 * uses `bivariateOrder(order)` = ⌈0.6·order⌉ points per dimension (96 at the default).
 */
export const DEFAULT_ORDER = 160;

function bivariateOrder(order: number): number {
  return Math.max(4, Math.ceil(0.6 * order));
}

/** Builds an Activation; any Gaussian map without a closed form is computed by quadrature. */
export function makeActivation(spec: ActivationSpec, order = DEFAULT_ORDER): Activation {
  const { f, df, closed = {} } = spec;
  const smooth = spec.smooth ?? false;
  const order2 = bivariateOrder(order);
  const cov = closed.cov ?? ((q1, q2, q12) => expect2(f, f, q1, q2, q12, order2, smooth));
  const dcov = closed.dcov ?? ((q1, q2, q12) => expect2(df, df, q1, q2, q12, order2, smooth));
  const mean = closed.mean ?? ((q) => expect1(f, q, order, smooth));
  const secondMoment = closed.cov
    ? (q: number) => cov(q, q, q)
    : (q: number) => expect1((u) => f(u) ** 2, q, order, smooth);
  const derivSecondMoment = closed.dcov
    ? (q: number) => dcov(q, q, q)
    : (q: number) => expect1((u) => df(u) ** 2, q, order, smooth);
  return {
    name: spec.name,
    kind: spec.kind ?? spec.name,
    key: spec.key ?? spec.name,
    op: spec.op ?? null,
    params: spec.params ?? {},
    f,
    df,
    cov,
    dcov,
    mean,
    secondMoment,
    derivSecondMoment,
    closedForm: closed.cov !== undefined && closed.dcov !== undefined,
    homogeneous: spec.homogeneous ?? false,
  };
}

/** c = q12/√(q1 q2) clamped to [−1, 1], and θ = arccos c. */
function angle(q1: number, q2: number, q12: number): { norm: number; c: number; theta: number } {
  const norm = geometricMean(q1, q2);
  const c = norm > 0 ? Math.min(1, Math.max(-1, q12 / norm)) : 1;
  return { norm, c, theta: Math.acos(c) };
}

/**
 * Leaky ReLU φ(z) = max(z, αz) (α = 0: ReLU). Arc-cosine kernels (Cho & Saul 2009), written via
 * φ = (1+α)/2 · z + (1−α)/2 · |z|:
 *   E[φφ]   = ((1+α)/2)² q12 + ((1−α)/2)² √(q1q2)/π · (2 sin θ + (π − 2θ) c)
 *   E[φ′φ′] = ((1+α²)(π − θ) + 2αθ) / (2π)
 *   E[φ]    = (1−α) √q / √(2π)
 */
function leakyRelu(alpha: number): Activation {
  const a = (1 + alpha) / 2;
  const b = (1 - alpha) / 2;
  return makeActivation({
    name: alpha === 0 ? "relu" : `leaky_relu(${alpha})`,
    kind: alpha === 0 ? "relu" : "leaky_relu",
    params: alpha === 0 ? {} : { alpha },
    f: (x) => (x > 0 ? x : alpha * x),
    df: (x) => (x > 0 ? 1 : alpha),
    homogeneous: true,
    op: leakyReluOp(alpha),
    closed: {
      cov: (q1, q2, q12) => {
        const { norm, c, theta } = angle(q1, q2, q12);
        return (
          a * a * q12 +
          ((b * b * norm) / Math.PI) * (2 * Math.sin(theta) + (Math.PI - 2 * theta) * c)
        );
      },
      dcov: (q1, q2, q12) => {
        const { theta } = angle(q1, q2, q12);
        return ((1 + alpha * alpha) * (Math.PI - theta) + 2 * alpha * theta) / (2 * Math.PI);
      },
      mean: (q) => (1 - alpha) * Math.sqrt(q / (2 * Math.PI)),
    },
  });
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf (Williams 1997):
 *   E[erf(u1) erf(u2)]   = (2/π) arcsin(2 q12 / √((1 + 2q1)(1 + 2q2)))
 *   E[erf′(u1) erf′(u2)] = (4/π) / √((1 + 2q1)(1 + 2q2) − 4 q12²)
 * The determinant is evaluated as 1 + 2(q1 + q2) + 4(g − q12)(g + q12) with g = √(q1 q2): expanding
 * the product cancels catastrophically at large q (all digits lost near q = 1e15 at c = 1).
 */
const erfActivation = makeActivation({
  name: "erf",
  f: erf,
  op: erfOp,
  df: (x) => TWO_OVER_SQRT_PI * Math.exp(-x * x),
  closed: {
    cov: (q1, q2, q12) =>
      (2 / Math.PI) *
      Math.asin(
        Math.max(-1, Math.min(1, (2 * q12) / (Math.sqrt(1 + 2 * q1) * Math.sqrt(1 + 2 * q2)))),
      ),
    dcov: (q1, q2, q12) => {
      const g = geometricMean(q1, q2);
      const r = Math.min(Math.abs(q12), g);
      return 4 / Math.PI / Math.sqrt(1 + 2 * (q1 + q2) + 4 * (g - r) * (g + r));
    },
    mean: () => 0,
  },
});

/** sin: E[sin u1 sin u2] = e^{−(q1+q2)/2} sinh q12, E[cos u1 cos u2] = e^{−(q1+q2)/2} cosh q12. */
const sinActivation = makeActivation({
  name: "sin",
  f: Math.sin,
  df: Math.cos,
  op: sinOp,
  closed: {
    cov: (q1, q2, q12) => Math.exp(-(q1 + q2) / 2) * Math.sinh(q12),
    dcov: (q1, q2, q12) => Math.exp(-(q1 + q2) / 2) * Math.cosh(q12),
    mean: () => 0,
  },
});

const linearActivation = makeActivation({
  name: "linear",
  f: (x) => x,
  df: () => 1,
  op: linearOp,
  homogeneous: true,
  closed: { cov: (_q1, _q2, q12) => q12, dcov: () => 1, mean: () => 0 },
});

/** tanh′ = 1 − tanh² = sech², written to stay finite for large |x|. */
function sech2(x: number): number {
  const e = Math.exp(-2 * Math.abs(x));
  return (4 * e) / ((1 + e) * (1 + e));
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

const closedFormActivations: Record<string, Activation> = {
  relu: leakyRelu(0),
  erf: erfActivation,
  sin: sinActivation,
  linear: linearActivation,
};

const quadratureActivations: Record<string, ActivationSpec> = {
  tanh: { name: "tanh", f: Math.tanh, df: sech2, op: tanhOp, smooth: true },
  gelu: {
    name: "gelu",
    op: geluOp,
    f: (x) => x * normalCdf(x),
    df: (x) => normalCdf(x) + x * normalPdf(x),
    smooth: true,
  },
  silu: {
    name: "silu",
    op: siluOp,
    smooth: true,
    f: (x) => x * sigmoid(x),
    df: (x) => {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    },
  },
  sigmoid: {
    name: "sigmoid",
    op: sigmoidOp,
    smooth: true,
    f: sigmoid,
    df: (x) => {
      const s = sigmoid(x);
      return s * (1 - s);
    },
  },
  softplus: {
    name: "softplus",
    op: softplusOp,
    smooth: true,
    f: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
    df: sigmoid,
  },
};

/** Names accepted by `activation()`; `swish` is an alias of `silu`. */
export const ACTIVATION_NAMES = [
  "relu",
  "leaky_relu",
  "tanh",
  "erf",
  "gelu",
  "silu",
  "swish",
  "sigmoid",
  "softplus",
  "linear",
  "sin",
] as const;

/**
 * Looks an activation up by name: "tanh", "relu", "leaky_relu" (α = 0.01 by default) or
 * "leaky_relu(0.2)", … Unknown names throw InputError naming `field`.
 */
export function activation(spec: string, field = "activation", order = DEFAULT_ORDER): Activation {
  const m = /^\s*([a-z_]+)\s*(?:\(\s*([^)]*)\s*\))?\s*$/.exec(spec);
  const name = m?.[1] ?? "";
  const arg = m?.[2];
  if (!m || !(ACTIVATION_NAMES as readonly string[]).includes(name)) {
    throw new InputError(
      field,
      `unknown activation '${shown(spec)}' (known: ${ACTIVATION_NAMES.join(", ")})`,
    );
  }
  if (name === "leaky_relu") {
    const alpha = arg === undefined || arg === "" ? 0.01 : Number(arg);
    if (!Number.isFinite(alpha) || alpha < 0 || alpha >= 1)
      throw new InputError(field, `leaky_relu slope must be in [0, 1), got '${shown(arg)}'`);
    return leakyRelu(alpha);
  }
  if (arg !== undefined) throw new InputError(field, `activation '${name}' takes no parameter`);
  if (name in closedFormActivations) return closedFormActivations[name]!;
  const make = quadratureActivations[name === "swish" ? "silu" : name]!;
  return makeActivation(make, order);
}

let customCount = 0;

/**
 * φ′ by a fourth-order central difference (h = 10⁻³: truncation ~1e-12·|φ⁽⁵⁾|, rounding ~1e-13),
 * the theory's derivative of a custom activation given without one.
 */
export function numericDerivative(f: (x: number) => number): (x: number) => number {
  const h = 1e-3;
  return (x) => (8 * (f(x + h) - f(x - h)) - (f(x + 2 * h) - f(x - 2 * h))) / (12 * h);
}

export interface CustomActivationOptions {
  order?: number;
  smooth?: boolean;
  /**
   * φ as a jax-js op, for finite networks. Default: the op of `f` when `f` is itself one of
   * Math.sin, Math.cos, Math.tanh, Math.exp, Math.abs; otherwise the activation has theory only
   * and a finite network refuses it (InputError on field "activation"). Finite networks check
   * the op against `f` before use.
   */
  op?: ActivationOp;
}

/**
 * A user-supplied activation (library API): φ (and optionally φ′) as functions; Gaussian maps by
 * quadrature (declare `smooth` only for analytic φ: it enables Gauss–Hermite, which is inaccurate
 * at kinks). A given φ′ is checked against a central finite difference at a few points so a wrong
 * derivative is caught early rather than producing a wrong critical line; without one the theory
 * uses `numericDerivative(f)` and finite networks differentiate the op with jax-js autodiff.
 * Every call makes a distinct function identity (`key`), whatever its name.
 */
export function customActivation(
  name: string,
  f: (x: number) => number,
  df?: (x: number) => number,
  opts: CustomActivationOptions = {},
): Activation {
  if (df) {
    for (const x of [-1.7, -0.3, 0.4, 1.3]) {
      const h = 1e-5;
      const fd = (f(x + h) - f(x - h)) / (2 * h);
      const d = df(x);
      if (!Number.isFinite(d) || Math.abs(fd - d) > 1e-4 * (1 + Math.abs(fd))) {
        throw new InputError(
          "activation",
          `derivative of '${name}' disagrees with finite differences at x = ${x}: df = ${d}, fd = ${fd}`,
        );
      }
    }
  }
  const op = opts.op ?? mathFunctionOp(f);
  return makeActivation(
    {
      name,
      kind: "custom",
      key: `custom#${++customCount}(${name})`,
      f,
      df: df ?? numericDerivative(f),
      op,
      smooth: opts.smooth ?? false,
    },
    opts.order ?? DEFAULT_ORDER,
  );
}
