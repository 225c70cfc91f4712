/**
 * An APJN measurement as plain data (activation names, numbers), so that it crosses threads by
 * structured clone (./parallel.ts), and the function that runs it in the calling thread. No Node
 * modules here: the browser bundle (chi-grid) uses it too.
 */
import { type Architecture, type MlpSpec, mlpArchitecture } from "../nets/network.js";
import { activation } from "../theory/activations.js";
import { type ApjnProfile, type MeasureOptions, measureApjn } from "./apjn-profile.js";

/** An MLP (src/nets/network.ts MlpSpec) with its activations by name: clonable across threads. */
export type MlpTaskSpec = Omit<MlpSpec, "activations"> & { activations: string[] };

/** One APJN measurement: the MLP and the sampling (seeds, inputs, probes, l0, …). */
export interface MeasureTask {
  mlp: MlpTaskSpec;
  measure: Omit<MeasureOptions, "onProgress">;
}

export function mlpFromTask(spec: MlpTaskSpec): Architecture {
  return mlpArchitecture({ ...spec, activations: spec.activations.map((a) => activation(a)) });
}

/** Runs a task in this thread. */
export function measureTask(task: MeasureTask): Promise<ApjnProfile> {
  return measureApjn(mlpFromTask(task.mlp), task.measure);
}
