/**
 * The one place that loads @jax-js/jax. Everything else gets the module from `loadJax()` and
 * moves arrays around with the ownership helpers at the bottom of this file.
 *
 * Node 20 needs, before @jax-js/jax is evaluated (its Wasm backend is built at import time):
 * - a `Float16Array` stand-in (creating arrays does `instanceof Float16Array`; dtype float16
 *   itself stays unusable),
 * - iterator helpers (`np.einsum` calls `matchAll(...).map`),
 * - the relaxed-SIMD flag (fused multiply-add in the matmul kernel, +8–15 %),
 * - optionally a browser-style `Worker` over node:worker_threads: jax-js creates its Wasm worker
 *   pool only when `SharedArrayBuffer` and a global `Worker` exist, sized by
 *   `navigator.hardwareConcurrency`.
 *
 * With the pool, jax-js runs kernels on the workers when a result is read asynchronously
 * (`await x.data()`, `blockUntilReady`) and on the main thread when it is read synchronously
 * (`x.dataSync()`); the two must not be mixed on one computation. `readF32`/`readF64` below pick
 * the mode that matches the pool. Worker threads are ref'd only while they owe a reply, so the
 * process ends on its own when work is done; `shutdownJax()` terminates them explicitly.
 *
 * Workers default to OFF. Measured on the 2-core dev VM (Node 20.20, relaxed SIMD), APJN of a tanh
 * MLP width 512, depth 50, 1 input × 16 probes, f32 (bench/apjn.ts workload), same session,
 * alternating processes, other jobs sharing the machine (load ≈ 2):
 *   workers off (main thread, sync reads):  min 29–33 ms, median 31–40 ms
 *   workers on  (2 threads, async reads):   min 44–45 ms, median 56–57 ms
 * A lone 512×512 matmul is the other way round (9.8 ms off, 5.5–6.5 ms on): the pool pays
 * ~70–100 µs per kernel dispatch (postMessage round trips to woken threads) against ~10–25 µs on
 * the main thread, and the APJN step is a chain of ~5 small-to-medium kernels per block.
 * Override with `CRITKIT_WORKERS=1` or `loadJax({ workers: true })`.
 */
import type * as JaxNamespace from "@jax-js/jax";
import type { Array as JaxArray } from "@jax-js/jax";

export type JaxModule = typeof JaxNamespace;
export type { JaxArray };

export interface LoadJaxOptions {
  /** Enable the Wasm worker pool (Node: via node:worker_threads). Default: env CRITKIT_WORKERS, else off. */
  workers?: boolean;
  /** Worker-pool size. Default: os.availableParallelism(). */
  threads?: number;
}

/** What `loadJax` actually set up (the first call decides; later options are ignored). */
export interface JaxRuntime {
  workers: boolean;
  threads: number;
  relaxedSimd: boolean;
  node: boolean;
}

let loading: Promise<JaxModule> | undefined;
let runtime: JaxRuntime | undefined;
/** The Node adapter (../node/jax-shims.ts), loaded only on Node: the browser never imports it. */
let nodeShims: typeof import("../node/jax-shims.js") | undefined;

const isNode =
  typeof process !== "undefined" && typeof process.versions === "object" && !!process.versions.node;

/** Workers setting from options, then the CRITKIT_WORKERS environment variable, then the default. */
export function resolveWorkers(opt?: boolean): boolean {
  if (opt !== undefined) return opt;
  const env = isNode ? process.env.CRITKIT_WORKERS : undefined;
  if (env === "1" || env === "true") return true;
  if (env === "0" || env === "false") return false;
  return false;
}

/**
 * Loads @jax-js/jax once (idempotent) after installing the Node shims, and initialises the wasm
 * backend as the default device. The first call's options decide the worker pool.
 */
export function loadJax(opts: LoadJaxOptions = {}): Promise<JaxModule> {
  if (!loading) {
    loading = (async () => {
      // In a browser jax-js builds its pool by itself whenever the page may use it
      // (SharedArrayBuffer + Worker, i.e. cross-origin isolated); report what it will do.
      const workers = isNode
        ? resolveWorkers(opts.workers)
        : typeof SharedArrayBuffer !== "undefined" && typeof Worker !== "undefined";
      if (isNode) nodeShims = await import("../node/jax-shims.js");
      const setup = nodeShims
        ? await nodeShims.installNodeShims({ workers, threads: opts.threads })
        : { threads: navigatorThreads(), relaxedSimd: false };
      const jax = (await import("@jax-js/jax")) as JaxModule;
      const devices = await jax.init("wasm");
      if (devices.includes("wasm")) jax.defaultDevice("wasm");
      runtime = { workers, threads: setup.threads, relaxedSimd: setup.relaxedSimd, node: isNode };
      return jax;
    })();
  }
  return loading;
}

/** The runtime chosen by the first `loadJax` call; throws if jax has not been loaded. */
export function jaxRuntime(): JaxRuntime {
  if (!runtime) throw new Error("loadJax() has not completed");
  return runtime;
}

/** Terminates the worker threads (a later asynchronous read would restart none: call at the end). */
export async function shutdownJax(): Promise<void> {
  await nodeShims?.terminateNodeWorkers();
}

function navigatorThreads(): number {
  return typeof navigator !== "undefined" && navigator.hardwareConcurrency
    ? navigator.hardwareConcurrency
    : 4;
}

// ---------------------------------------------------------------------------------------------
// Ownership helpers. jax-js ops consume their array arguments, and so do reads (`data`,
// `dataSync`, `js`). Use `keep(x)` for an argument you still need afterwards, `read*` to take
// a result to JS (consumes it), `dispose(...)` for arrays you own and will not read.
// ---------------------------------------------------------------------------------------------

interface RefCounted {
  readonly ref: unknown;
  dispose(): void;
}

/** A new reference to `x` for passing to an op that consumes it; the caller keeps its own. */
export function keep<T extends RefCounted>(x: T): T {
  return x.ref as T;
}

/** Releases arrays (or pytrees of arrays) the caller owns. Ignores null/undefined. */
export function dispose(...xs: unknown[]): void {
  for (const x of xs) disposeTree(x);
}

function disposeTree(x: unknown): void {
  if (x === null || x === undefined) return;
  if (typeof x !== "object") return;
  if (typeof (x as RefCounted).dispose === "function" && "ref" in (x as object)) {
    (x as RefCounted).dispose();
    return;
  }
  if (Array.isArray(x)) {
    for (const v of x) disposeTree(v);
    return;
  }
  if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x as object)) disposeTree(v);
  }
}

interface Readable {
  dataSync(): ArrayLike<number>;
  data(): Promise<ArrayLike<number>>;
  readonly dtype: string;
}

/**
 * Reads `x` into a Float32Array and consumes it. With the worker pool on this awaits the
 * asynchronous read (kernels run on the workers), otherwise it reads synchronously.
 */
export async function readF32(x: JaxArray): Promise<Float32Array> {
  const d = await readRaw(x as unknown as Readable);
  return d instanceof Float32Array ? d : Float32Array.from(d);
}

/** Reads `x` as float64 values (an f32 array is widened exactly) and consumes it. */
export async function readF64(x: JaxArray): Promise<Float64Array> {
  const d = await readRaw(x as unknown as Readable);
  return d instanceof Float64Array ? d : Float64Array.from(d);
}

function readRaw(x: Readable): Promise<ArrayLike<number>> | ArrayLike<number> {
  return runtime?.workers ? x.data() : x.dataSync();
}

/** A new reference to every array of a pytree (for an op or transform that consumes it). */
export function refTree<T>(jax: JaxModule, tree: T): T {
  return jax.tree.ref(tree as never) as T;
}

/**
 * `jax.jit(fn)` for float32 work, `fn` itself (run eagerly) for float64. Inside jit, @jax-js/jax
 * 0.1.25 rounds JS number constants to float32 even for float64 operands (x·(1/3) in float64
 * comes out off by 4e-9 relative; test/nets/f64.test.ts keeps checking it), and jit of float64
 * gradients has exhausted the heap and given wrong jvp-of-grad values. Eager float64 runs each
 * op as its own kernel: slower, but every constant stays float64.
 */
export function jitUnlessF64<A extends unknown[], R>(
  jax: JaxModule,
  fn: (...args: A) => R,
  dtype: string,
): ((...args: A) => R) & { dispose(): void } {
  if (dtype === "float64") return Object.assign((...args: A) => fn(...args), { dispose() {} });
  return jax.jit(fn as never) as unknown as ((...args: A) => R) & { dispose(): void };
}
