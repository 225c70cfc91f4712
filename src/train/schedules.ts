/**
 * Learning-rate schedules η(t) for updates t = 0, 1, …, T − 1 (T = total steps, w = warm-up steps):
 *   constant: η(t) = η₀
 *   warmup:   η(t) = η₀ · min(1, (t + 1) / w)                       (linear warm-up, then constant)
 *   cosine:   η(t) = η₀ · (t + 1) / w                                 for t < w,
 *             η(t) = η₀ · ½ (1 + cos(π (t − w) / (T − w)))            for t ≥ w
 * The warm-up never gives η = 0 (its first step is η₀/w); the cosine reaches η₀ at t = w and
 * η₀·½(1 + cos(π (T − 1 − w)/(T − w))) at the last step, as in the usual "warm-up + cosine
 * decay to 0" recipe (e.g. timm/optax `warmup_cosine_decay_schedule` with end value 0).
 */
import { InputError, requireInteger, requireNumber } from "../errors.js";

export const scheduleNames = ["constant", "warmup", "cosine"] as const;
export type ScheduleName = (typeof scheduleNames)[number];

export interface ScheduleConfig {
  name: ScheduleName;
  /** Peak learning rate η₀ > 0. */
  lr: number;
  /** Total number of updates T (cosine). */
  steps: number;
  /** Warm-up steps w (warmup, cosine; default 0). */
  warmup?: number;
}

export type Schedule = (t: number) => number;

/** The schedule η(t); InputError naming the field for a bad config. */
export function makeSchedule(c: ScheduleConfig): Schedule {
  const lr = requireNumber("lr", c.lr, (x) => x > 0, "> 0");
  const steps = requireInteger("steps", c.steps, 1);
  const w = requireInteger("warmup", c.warmup ?? 0, 0, c.name === "cosine" ? steps - 1 : steps);
  const ramp = (t: number) => (w > 0 && t < w ? (t + 1) / w : 1);
  switch (c.name) {
    case "constant":
      return () => lr;
    case "warmup":
      return (t) => lr * ramp(t);
    case "cosine":
      return (t) =>
        t < w ? lr * ramp(t) : lr * 0.5 * (1 + Math.cos((Math.PI * (t - w)) / (steps - w)));
    default:
      throw new InputError(
        "schedule",
        `must be one of ${scheduleNames.join(", ")}, got ${String(c.name)}`,
      );
  }
}
