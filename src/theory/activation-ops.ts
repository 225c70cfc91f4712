/**
 * The jax-js ops of the built-in activations (same conventions as ./activations.ts), so that one
 * activation record carries φ as a scalar function, as a jax-js op and its Gaussian maps. The ops
 * take the jax module as an argument: nothing here loads jax-js.
 */
import type { JaxArray, JaxModule } from "../nets/jax.js";

/** φ on jax arrays. Both functions consume `x`. */
export interface ActivationOp {
  f(jax: JaxModule, x: JaxArray): JaxArray;
  /**
   * [φ(x), φ′(x)] from shared intermediates (φ′ null: the identity), a fast path for the tangent
   * map; absent, the finite network differentiates `f` with jax-js autodiff.
   */
  fd?(jax: JaxModule, x: JaxArray): [JaxArray, JaxArray | null];
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** tanh as 1 − 2/(e^{2x} + 1): jax-js fuses it into one kernel (np.tanh uses its input twice). */
const tanhF = (jax: JaxModule, x: JaxArray) =>
  jax.numpy
    .reciprocal(jax.numpy.exp(x.mul(2)).add(1))
    .mul(-2)
    .add(1);
/** 1[x > 0] as floats, via sign(relu(x)). */
const step = (jax: JaxModule, x: JaxArray) => jax.numpy.sign(jax.nn.relu(x));

/** An op from φ and a separate φ′ on the same input. */
const fromF = (
  f: ActivationOp["f"],
  df: (jax: JaxModule, x: JaxArray) => JaxArray,
): ActivationOp => ({ f, fd: (jax, x) => [f(jax, x.ref), df(jax, x)] });

export const leakyReluOp = (a: number): ActivationOp =>
  a === 0
    ? fromF((jax, x) => jax.nn.relu(x), step)
    : fromF(
        (jax, x) => jax.nn.leakyRelu(x, a),
        (jax, x) =>
          step(jax, x)
            .mul(1 - a)
            .add(a),
      );

export const tanhOp: ActivationOp = {
  f: tanhF,
  fd: (jax, x) => {
    const y = tanhF(jax, x);
    return [y.ref, jax.numpy.square(y).mul(-1).add(1)];
  },
};

export const erfOp = fromF(
  (jax, x) => jax.lax.erf(x),
  (jax, x) => jax.numpy.exp(jax.numpy.square(x).mul(-1)).mul(2 / Math.sqrt(Math.PI)),
);

/** φ′ = Φ(x) + x·ϕ(x), Φ(x) = erfc(−x/√2)/2 */
export const geluOp = fromF(
  (jax, x) => jax.nn.gelu(x, { approximate: false }),
  (jax, x) =>
    jax.lax
      .erfc(x.ref.mul(-Math.SQRT1_2))
      .mul(0.5)
      .add(x.ref.mul(jax.numpy.exp(jax.numpy.square(x).mul(-0.5))).mul(INV_SQRT_2PI)),
);

/** φ′ = s (1 + x (1 − s)), s = sigmoid(x) */
export const siluOp = fromF(
  (jax, x) => jax.nn.silu(x),
  (jax, x) => {
    const s = jax.nn.sigmoid(x.ref);
    return s.ref.mul(x.mul(s.mul(-1).add(1)).add(1));
  },
);

export const sigmoidOp: ActivationOp = {
  f: (jax, x) => jax.nn.sigmoid(x),
  fd: (jax, x) => {
    const s = jax.nn.sigmoid(x);
    return [s.ref, s.ref.mul(s.mul(-1).add(1))];
  },
};

export const softplusOp = fromF(
  (jax, x) => jax.nn.softplus(x),
  (jax, x) => jax.nn.sigmoid(x),
);

export const linearOp: ActivationOp = { f: (_jax, x) => x, fd: (_jax, x) => [x, null] };

export const sinOp = fromF(
  (jax, x) => jax.numpy.sin(x),
  (jax, x) => jax.numpy.cos(x),
);

/**
 * The jax-js op of a plain JS Math function given by identity (`Math.sin`, not `x => Math.sin(x)`):
 * what lets `customActivation(name, Math.sin)` run on a finite network. null otherwise.
 */
export function mathFunctionOp(f: (x: number) => number): ActivationOp | null {
  const table = new Map<unknown, ActivationOp>([
    [Math.sin, sinOp],
    [Math.cos, { f: (jax, x) => jax.numpy.cos(x) }],
    [Math.tanh, tanhOp],
    [Math.exp, { f: (jax, x) => jax.numpy.exp(x) }],
    [Math.abs, { f: (jax, x) => jax.numpy.abs(x) }],
  ]);
  return table.get(f) ?? null;
}
