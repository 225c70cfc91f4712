/** Elementwise activation layers: φ from the activation record (src/theory/activations.ts). */
import { InputError } from "../../errors.js";
import type { Activation } from "../../theory/activations.js";
import { type ActivationOp64, activationOp64 } from "../f64.js";
import type { JaxArray, JaxModule } from "../jax.js";
import { type Layer, noParams } from "./layer.js";

/** Points where a custom activation's jax op is checked against its scalar φ. */
const CHECK_POINTS = [-2.5, -1.3, -0.4, 0, 0.3, 1.1, 2.7];
const verified = new WeakSet<Activation>();

/**
 * Elementwise φ on a centred Gaussian field: q' = E[φ(u)²], q12' = E[φ(u1)φ(u2)], χ = E[φ′(u)²];
 * NTK (neural-tangents' elementwise): Θ12' = Θ12 · E[φ′(u1)φ′(u2)], Θ1' = Θ1 · E[φ′(u1)²].
 * The finite pass runs the activation's jax op; its tangent map is the op's φ′ fast path when it
 * has one, else jax-js autodiff of the op. An activation without an op (a custom φ given only as
 * a JS function) has theory but refuses to run on a finite network. Float64 arrays of a built-in
 * activation run critkit's accurate kernels (src/nets/f64.ts: jax-js's own float64 exp/tanh/erf
 * are float32-accurate); a custom activation runs its own op in every dtype.
 */
export function act(phi: Activation): Layer {
  const op = phi.op;
  const op64 = (x: JaxArray): ActivationOp64 | undefined =>
    x.dtype === "float64" && phi.kind !== "custom" ? activationOp64(phi) : undefined;
  const missing = (): never => {
    throw new InputError(
      "activation",
      `custom activation '${phi.name}' has no jax-js op, so no finite network can run it: pass customActivation(name, f, df, { op })`,
    );
  };
  return {
    name: phi.name,
    key: `act:${phi.key}`,
    hasTheory: true,
    fresh: () => false,
    init: noParams,
    apply: (jax, _params, x) => (op64(x) ?? op ?? missing()).f(jax, x),
    jvp: op?.fd
      ? (jax, _params, x, t) => {
          const [y, d] = (op64(x) ?? op).fd!(jax, x);
          return [y, d ? t.mul(d) : t];
        }
      : undefined,
    verify: (jax) => verifyOp(jax, phi),
    map: (k) => {
      if (!k.gaussian || k.m1 !== 0 || k.m2 !== 0) {
        throw new InputError(
          "architecture",
          `${phi.name} applied to a non-Gaussian input has no infinite-width theory here (put a dense layer before it)`,
        );
      }
      const q1 = phi.secondMoment(k.q1);
      const same = k.q2 === k.q1 && k.q12 === k.q1;
      const d1 = phi.derivSecondMoment(k.q1);
      const d2 = same ? d1 : phi.derivSecondMoment(k.q2);
      return {
        kernel: {
          q1,
          q2: same ? q1 : phi.secondMoment(k.q2),
          q12: same ? q1 : phi.cov(k.q1, k.q2, k.q12),
          m1: phi.mean(k.q1),
          m2: same ? phi.mean(k.q1) : phi.mean(k.q2),
          gaussian: false,
          t1: k.t1 * d1,
          t2: k.t2 * d2,
          t12: k.t12 * (same ? d1 : phi.dcov(k.q1, k.q2, k.q12)),
        },
        chi: d1,
      };
    },
  };
}

/**
 * Theory and experiment must describe one φ: a custom activation's jax op is evaluated (eagerly,
 * float32) at a few points and compared with its scalar φ (relative 1e-4) before first use.
 */
function verifyOp(jax: JaxModule, phi: Activation): void {
  if (phi.kind !== "custom" || verified.has(phi)) return;
  const op = phi.op;
  if (!op) return;
  const y = op.f(jax, jax.numpy.array(CHECK_POINTS)).dataSync();
  CHECK_POINTS.forEach((x, i) => {
    const want = phi.f(x);
    if (!(Math.abs(y[i]! - want) <= 1e-4 * (1 + Math.abs(want)))) {
      throw new InputError(
        "activation",
        `the jax-js op of '${phi.name}' disagrees with its scalar φ at x = ${x}: op ${y[i]}, φ ${want}`,
      );
    }
  });
  verified.add(phi);
}
