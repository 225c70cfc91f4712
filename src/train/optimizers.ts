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
 * ownership: every input array is used exactly once or disposed). Run float64 eagerly: inside
 * `jit` jax-js rounds JS number constants (η, β, ε) to float32.
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
  /** One update with learning rate `lr`; consumes params, grads and state. */
  step(
    params: JaxParams,
    grads: JaxParams,
    state: OptimizerState,
    lr: number,
  ): { params: JaxParams; state: OptimizerState };
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

/** An optimizer over pytrees of jax-js arrays (module `jax` from `loadJax()`). */
export function makeOptimizer(jax: JaxModule, config: OptimizerConfig): Optimizer {
  const np = jax.numpy;
  const c = resolveOptimizerConfig(config);
  const slotNames = SLOTS[c.name];
  const l2 = c.wdMode === "l2" && c.weightDecay > 0;
  const decoupled = c.wdMode === "decoupled" && c.weightDecay > 0;

  /** One leaf: returns the new parameter and its new slot values (inputs consumed). */
  const leafStep = (
    p: JaxArray,
    g: JaxArray,
    slots: JaxArray[],
    t: number,
    lr: number,
  ): [JaxArray, JaxArray[]] => {
    if (l2) g = np.add(g, np.multiply(p.ref, c.weightDecay));
    if (decoupled) p = np.multiply(p, 1 - lr * c.weightDecay);
    switch (c.name) {
      case "sgd":
        return [np.subtract(p, np.multiply(g, lr)), []];
      case "momentum": {
        const [b0] = slots as [JaxArray];
        let b: JaxArray;
        if (t === 0) {
          b0.dispose();
          b = g.ref;
        } else {
          const scaled = np.multiply(b0, c.momentum);
          b = np.add(scaled, c.dampening === 0 ? g.ref : np.multiply(g.ref, 1 - c.dampening));
        }
        if (!c.nesterov) g.dispose();
        const d = c.nesterov ? np.add(g, np.multiply(b.ref, c.momentum)) : b.ref;
        return [np.subtract(p, np.multiply(d, lr)), [b]];
      }
      case "adam": {
        const [m0, v0] = slots as [JaxArray, JaxArray];
        const m = np.add(m0.ref, np.multiply(np.subtract(g.ref, m0), 1 - c.beta1));
        const v = np.add(np.multiply(v0, c.beta2), np.multiply(np.multiply(g.ref, g), 1 - c.beta2));
        const bc1 = 1 - c.beta1 ** (t + 1);
        const bc2 = 1 - c.beta2 ** (t + 1);
        const denom = np.add(np.divide(np.sqrt(v.ref), Math.sqrt(bc2)), c.eps);
        const update = np.multiply(np.divide(m.ref, denom), lr / bc1);
        return [np.subtract(p, update), [m, v]];
      }
    }
  };

  return {
    config: c,
    slotNames,
    init(params) {
      const leaves = jax.tree.leaves(params) as JaxArray[];
      const slots: Record<string, JaxArray[]> = {};
      for (const s of slotNames) slots[s] = leaves.map((p) => np.zerosLike(p.ref));
      return { t: 0, slots };
    },
    step(params, grads, state, lr) {
      requireNumber("lr", lr, (x) => x > 0, "> 0");
      const [pLeaves, def] = jax.tree.flatten(params) as [JaxArray[], unknown];
      const gLeaves = jax.tree.leaves(grads) as JaxArray[];
      if (gLeaves.length !== pLeaves.length)
        throw new Error(`gradient has ${gLeaves.length} leaves, parameters ${pLeaves.length}`);
      const newSlots: Record<string, JaxArray[]> = {};
      for (const s of slotNames) newSlots[s] = [];
      const newLeaves = pLeaves.map((p, i) => {
        const [q, s] = leafStep(
          p,
          gLeaves[i]!,
          slotNames.map((n) => state.slots[n]![i]!),
          state.t,
          lr,
        );
        slotNames.forEach((n, k) => {
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
