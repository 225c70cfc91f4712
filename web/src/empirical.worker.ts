/**
 * The empirical APJN of a real finite network, computed in the browser with @jax-js/jax off the
 * main thread: critkit's `mlpArchitecture` + `measureApjn` (the same code as `critkit apjn`),
 * on WebGPU when the browser offers an adapter, else on Wasm. `?device=wasm` forces Wasm.
 */
import { loadJax, measureApjn, mlpArchitecture } from "../../src/index.js";
import { activationFor, type ExplorerSettings, Q0 } from "./model.js";

export interface EmpiricalRequest {
  id: number;
  settings: ExplorerSettings;
  /** network seeds (one network each), inputs per network, Hutchinson probes per input */
  seeds: number;
  inputs: number;
  probes: number;
  device: "auto" | "wasm";
}

export type EmpiricalReply =
  | {
      id: number;
      ok: true;
      /** log J^{0,l}, l = 1..L, and its relative standard error */
      logJ: Float64Array;
      relStderr: Float64Array;
      device: string;
      ms: number;
    }
  | { id: number; ok: false; error: string };

const scope = self as unknown as {
  onmessage: (e: MessageEvent<EmpiricalRequest>) => void;
  postMessage(m: EmpiricalReply): void;
};

let device: Promise<string> | undefined;

/** Loads jax-js once; moves the default device to WebGPU when an adapter is there. */
function pickDevice(choice: EmpiricalRequest["device"]): Promise<string> {
  device ??= (async () => {
    const jax = await loadJax();
    if (choice === "auto" && "gpu" in navigator) {
      const available = await jax.init("webgpu");
      if (available.includes("webgpu")) jax.defaultDevice("webgpu");
    }
    return jax.defaultDevice();
  })();
  return device;
}

scope.onmessage = async (e) => {
  const r = e.data;
  const failed = (err: unknown): EmpiricalReply => ({
    id: r.id,
    ok: false,
    error: String((err as Error)?.message ?? err),
  });
  let reply: EmpiricalReply;
  try {
    reply = await measure(r, await pickDevice(r.device));
  } catch (err) {
    reply = failed(err);
    if ((await device?.catch(() => "")) === "webgpu") {
      // WebGPU is young in jax-js: fall back to Wasm for good rather than show nothing.
      (await loadJax()).defaultDevice("wasm");
      device = Promise.resolve("wasm");
      reply = await measure(r, "wasm").catch(failed);
    }
  }
  scope.postMessage(reply);
};

async function measure(r: EmpiricalRequest, dev: string): Promise<EmpiricalReply> {
  const s = r.settings;
  const start = performance.now();
  const arch = mlpArchitecture({
    activations: [activationFor(s.activation)],
    sigmaW2: s.sigmaW2,
    sigmaB2: s.sigmaB2,
    width: s.width,
    depth: s.depth,
    layernorm: s.layernorm,
    mu: s.mu,
  });
  const profile = await measureApjn(arch, {
    seeds: Array.from({ length: r.seeds }, (_, i) => i + 1),
    inputs: r.inputs,
    probes: r.probes,
    q0: Q0,
  });
  return {
    id: r.id,
    ok: true,
    logJ: profile.logJ,
    relStderr: profile.relStderr,
    device: dev,
    ms: performance.now() - start,
  };
}
