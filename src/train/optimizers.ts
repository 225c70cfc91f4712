/**
 * First-order optimizers on a pytree of jax-js arrays, with torch.optim's update formulas
 * (PyTorch 2.x `SGD` and `Adam`/`AdamW`, single-tensor path), so a run can be checked against —
 * and compared with — the reference implementation everyone uses.
 *
 * With g = ∇L(p) and, for wdMode "l2", g ← g + λ·p (weight decay added to the gradient):
 *   sgd:       p ← p − η·g
 *   momentum:  b ← g (first step), b ← μ·b + (1 − τ)·g (later steps; τ = dampening, default 0);
 *              d = g + μ·b (Nesterov) or d = b;  p ← p − η·d
 *   adam:      m ← m + (1 − β₁)(g − m),  v ← β₂·v + (1 − β₂)·g²   (m, v start at 0)
 *              p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)   (ε outside the square root)
 * For wdMode "decoupled" (AdamW / SGDW) the parameters shrink first: p ← p·(1 − η·λ), and g is
 * the plain gradient.
 *
 * Ownership: `step` consumes `params`, `grads` and `state` and returns new ones (strict jax-js
 * ownership: every input array is used exactly once or disposed). The per-leaf update is jit'ed
 * with every scalar passed as an array argument, so float64 stays float64 (see `leafStep`).
 */
import { InputError, requireNumber } from "../errors.js";
import type { JaxArray, JaxModule } from "../nets/jax.js";
import type { JaxParams } from "../nets/stax.js";

export const optimizerNames = ["sgd", "momentum", "adam"] as const;
export type OptimizerName = (typeof optimizerNames)[number];
export const weightDecayModes = ["decoupled", "l2"] as const;
export type WeightDecayMode = (typeof weightDecayModes)[number];

export interface OptimizerConfig {
  name: OptimizerName;
  /** Weight decay λ ≥ 0 (default 0). */
  weightDecay?: number;
  /** "decoupled" (AdamW style, default) or "l2" (λ·p added to the gradient). */
  wdMode?: WeightDecayMode;
  /** Momentum μ ∈ [0, 1) (momentum only; default 0.9). */
  momentum?: number;
  /** Dampening τ ∈ [0, 1] (momentum only; default 0, as in PyTorch). */
  dampening?: number;
  /** Nesterov momentum (default false; needs dampening 0, as in PyTorch). */
  nesterov?: boolean;
  /** Adam β₁, β₂ ∈ [0, 1) (defaults 0.9, 0.999) and ε > 0 (default 1e-8). */
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** The optimizer's running state: slot pytrees shaped like the parameters, and the step count t. */
export interface OptimizerState {
  /** Completed updates t (Adam's bias correction uses t + 1 for the next one). */
  t: number;
  /** Named slots: momentum "buffer"; Adam "m" and "v". Each is a list aligned with the leaves. */
  slots: Record<string, JaxArray[]>;
}

export interface Optimizer {
  readonly config: Required<OptimizerConfig>;
  /** Slot names in a fixed order (the checkpoint layout). */
  readonly slotNames: readonly string[];
  /** Fresh state for `params` (read only: `params` is not consumed). */
  init(params: JaxParams): OptimizerState;
  /**
   * One update with learning rate `lr` (leaf i: lr · lrScales[i], e.g. a model's `lrScales` for
   * sgd and momentum, its `adamLrScales` for adam: `optimizerLrScales`; default 1 for every
   * leaf); consumes params, grads and state.
   */
  step(
    params: JaxParams,
    grads: JaxParams,
    state: OptimizerState,
    lr: number,
    lrScales?: readonly number[],
  ): { params: JaxParams; state: OptimizerState };
  /** Frees the compiled update kernels. */
  dispose(): void;
}

/** Validates the config (InputError naming the field) and fills in the PyTorch defaults. */
export function resolveOptimizerConfig(c: OptimizerConfig): Required<OptimizerConfig> {
  if (!optimizerNames.includes(c.name))
    throw new InputError("optimizer", `must be one of ${optimizerNames.join(", ")}, got ${c.name}`);
  const wdMode = c.wdMode ?? "decoupled";
  if (!weightDecayModes.includes(wdMode))
    throw new InputError("wdMode", `must be decoupled or l2, got ${String(wdMode)}`);
  const unit = (field: string, v: number, closed = false) =>
    requireNumber(
      field,
      v,
      (x) => x >= 0 && (closed ? x <= 1 : x < 1),
      closed ? "in [0, 1]" : "in [0, 1)",
    );
  const r: Required<OptimizerConfig> = {
    name: c.name,
    weightDecay: requireNumber("weightDecay", c.weightDecay ?? 0, (x) => x >= 0, "≥ 0"),
    wdMode,
    momentum: unit("momentum", c.momentum ?? 0.9),
    dampening: unit("dampening", c.dampening ?? 0, true),
    nesterov: c.nesterov ?? false,
    beta1: unit("beta1", c.beta1 ?? 0.9),
    beta2: unit("beta2", c.beta2 ?? 0.999),
    eps: requireNumber("eps", c.eps ?? 1e-8, (x) => x > 0, "> 0"),
  };
  if (r.nesterov && (r.momentum <= 0 || r.dampening !== 0))
    throw new InputError("nesterov", "needs momentum > 0 and dampening 0");
  return r;
}

const SLOTS: Record<OptimizerName, readonly string[]> = {
  sgd: [],
  momentum: ["buffer"],
  adam: ["m", "v"],
};

/** The optimizer's state slots (one pytree each, shaped like the parameters). */
export const slotNames = (name: OptimizerName): readonly string[] => SLOTS[name];

/** An optimizer over pytrees of jax-js arrays (module `jax` from `loadJax()`). */
export function makeOptimizer(jax: JaxModule, config: OptimizerConfig): Optimizer {
  const np = jax.numpy;
  const c = resolveOptimizerConfig(config);
  const slots = SLOTS[c.name];
  const l2 = c.wdMode === "l2" && c.weightDecay > 0;
  const decoupled = c.wdMode === "decoupled" && c.weightDecay > 0;

  /**
   * Every scalar (η, 1 − ηλ, λ, μ, 1 − τ, β₁, β₂, ε, the bias corrections) enters the jit'ed leaf
   * update as a 0-d array of the parameter's dtype, never as a JS number: inside jit jax-js
   * rounds JS constants to float32, and eagerly it compiles a kernel per distinct constant (a
   * schedule or the bias correction, changing every step, grew memory by ~100 KB a step).
   */
  type H = Record<string, JaxArray>;
  const leafStep = (
    p: JaxArray,
    g: JaxArray,
    slots: JaxArray[],
    first: boolean,
    h: H,
  ): [JaxArray, JaxArray[]] => {
    if (l2) g = np.add(g, np.multiply(p.ref, h.wd!));
    if (decoupled) p = np.multiply(p, h.decay!);
    switch (c.name) {
      case "sgd":
        return [np.subtract(p, np.multiply(g, h.lr!)), []];
      case "momentum": {
        const [b0] = slots as [JaxArray];
        let b: JaxArray;
        if (first) {
          b0.dispose();
          b = g.ref;
        } else {
          b = np.add(np.multiply(b0, h.mu!), np.multiply(g.ref, h.undamped!));
        }
        if (!c.nesterov) g.dispose();
        const d = c.nesterov ? np.add(g, np.multiply(b.ref, h.mu2!)) : b.ref;
        return [np.subtract(p, np.multiply(d, h.lr!)), [b]];
      }
      case "adam": {
        const [m0, v0] = slots as [JaxArray, JaxArray];
        const m = np.add(m0.ref, np.multiply(np.subtract(g.ref, m0), h.oneMinusB1!));
        const v = np.add(np.multiply(v0, h.b2!), np.multiply(np.multiply(g.ref, g), h.oneMinusB2!));
        const denom = np.add(np.divide(np.sqrt(v.ref), h.sqrtBc2!), h.eps!);
        const update = np.multiply(np.divide(m.ref, denom), h.stepSize!);
        return [np.subtract(p, update), [m, v]];
      }
    }
  };
  const compiled = {
    first: jax.jit((p: JaxArray, g: JaxArray, s: JaxArray[], h: H) => leafStep(p, g, s, true, h)),
    rest: jax.jit((p: JaxArray, g: JaxArray, s: JaxArray[], h: H) => leafStep(p, g, s, false, h)),
  };
  /** The scalars this configuration uses at update t with learning rate lr. */
  const scalars = (t: number, lr: number): Record<string, number> => {
    const h: Record<string, number> = {};
    if (l2) h.wd = c.weightDecay;
    if (decoupled) h.decay = 1 - lr * c.weightDecay;
    if (c.name === "sgd") h.lr = lr;
    if (c.name === "momentum") {
      h.lr = lr;
      if (t > 0) Object.assign(h, { mu: c.momentum, undamped: 1 - c.dampening });
      if (c.nesterov) h.mu2 = c.momentum;
    }
    if (c.name === "adam") {
      Object.assign(h, {
        oneMinusB1: 1 - c.beta1,
        b2: c.beta2,
        oneMinusB2: 1 - c.beta2,
        sqrtBc2: Math.sqrt(1 - c.beta2 ** (t + 1)),
        eps: c.eps,
        stepSize: lr / (1 - c.beta1 ** (t + 1)),
      });
    }
    return h;
  };

  return {
    config: c,
    slotNames: slots,
    dispose() {
      compiled.first.dispose();
      compiled.rest.dispose();
    },
    init(params) {
      const leaves = jax.tree.leaves(params) as JaxArray[];
      const zeros: Record<string, JaxArray[]> = {};
      for (const s of slots) zeros[s] = leaves.map((p) => np.zerosLike(p.ref));
      return { t: 0, slots: zeros };
    },
    step(params, grads, state, lr, lrScales) {
      requireNumber("lr", lr, (x) => x > 0, "> 0");
      const [pLeaves, def] = jax.tree.flatten(params) as [JaxArray[], unknown];
      const gLeaves = jax.tree.leaves(grads) as JaxArray[];
      if (gLeaves.length !== pLeaves.length)
        throw new Error(`gradient has ${gLeaves.length} leaves, parameters ${pLeaves.length}`);
      if (lrScales !== undefined && lrScales.length !== pLeaves.length)
        throw new Error(`${lrScales.length} lr factors for ${pLeaves.length} parameter leaves`);
      const newSlots: Record<string, JaxArray[]> = {};
      for (const s of slots) newSlots[s] = [];
      const newLeaves = pLeaves.map((p, i) => {
        const hostScalars = scalars(state.t, lr * (lrScales?.[i] ?? 1));
        const h = Object.fromEntries(
          Object.entries(hostScalars).map(([k, v]) => [k, np.array(v, { dtype: p.dtype })]),
        );
        const f = state.t === 0 ? compiled.first : compiled.rest;
        const [q, s] = f(
          p,
          gLeaves[i]!,
          slots.map((n) => state.slots[n]![i]!),
          h,
        ) as [JaxArray, JaxArray[]];
        slots.forEach((n, k) => {
          newSlots[n]!.push(s[k]!);
        });
        return q;
      });
      return {
        params: jax.tree.unflatten(def as never, newLeaves) as JaxParams,
        state: { t: state.t + 1, slots: newSlots },
      };
    },
  };
}
