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
const nodeWorkers = new Set<{ terminate(): Promise<number> }>();

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
      const setup = isNode
        ? await installNodeShims({ workers, threads: opts.threads })
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
  const all = [...nodeWorkers];
  nodeWorkers.clear();
  await Promise.all(all.map((w) => w.terminate()));
}

function navigatorThreads(): number {
  return typeof navigator !== "undefined" && navigator.hardwareConcurrency
    ? navigator.hardwareConcurrency
    : 4;
}

/**
 * Installs what @jax-js/jax needs in Node 20. Idempotent; touches only globals that are missing
 * (Float16Array, iterator helpers, Worker, navigator.hardwareConcurrency) plus the V8 flag.
 */
export async function installNodeShims(opts: {
  workers: boolean;
  threads?: number;
}): Promise<{ threads: number; relaxedSimd: boolean }> {
  const os = await import("node:os");
  const v8 = await import("node:v8");
  const g = globalThis as Record<string, unknown>;

  // Must run before any Wasm module is validated/compiled for the flag to take effect.
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  const relaxedSimd = WebAssembly.validate(RELAXED_MADD_PROBE);

  if (typeof g.Float16Array === "undefined") {
    // Never instantiated for f32/f64 work; only `instanceof Float16Array` checks must not throw.
    g.Float16Array = class Float16ArrayUnsupported extends Uint16Array {};
  }
  installIteratorHelpers();

  const threads = Math.max(1, opts.threads ?? os.availableParallelism());
  if (opts.workers && typeof g.Worker === "undefined") {
    setNavigatorThreads(threads);
    g.Worker = await makeNodeWorkerClass();
  }
  return { threads: opts.workers ? threads : 1, relaxedSimd };
}

/** (f32x4.relaxed_madd a b c) in a one-function module: validates only with relaxed SIMD on. */
const RELAXED_MADD_PROBE = new Uint8Array(
  "0061736d0100000001080160037b7b7b017b030201000a0d010b00200020012002fd85020b"
    .match(/../g)!
    .map((h) => Number.parseInt(h, 16)),
);

function setNavigatorThreads(threads: number): void {
  const g = globalThis as Record<string, unknown>;
  const nav = g.navigator as { hardwareConcurrency?: number } | undefined;
  if (nav === undefined) {
    Object.defineProperty(globalThis, "navigator", {
      value: { hardwareConcurrency: threads },
      configurable: true,
      writable: true,
    });
  } else if (nav.hardwareConcurrency !== threads) {
    try {
      Object.defineProperty(nav, "hardwareConcurrency", { value: threads, configurable: true });
    } catch {
      // Read-only navigator: jax-js then uses its own value.
    }
  }
}

/** Iterator.prototype helpers (ES2025) for Node 20, only those that are missing. */
function installIteratorHelpers(): void {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<
    string,
    unknown
  >;
  type It = Iterator<unknown>;
  const helpers: Record<string, (this: It, ...a: never[]) => unknown> = {
    *map(this: It, fn: (v: unknown, i: number) => unknown) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) yield fn(r.value, i++);
    },
    *filter(this: It, fn: (v: unknown, i: number) => boolean) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) if (fn(r.value, i++)) yield r.value;
    },
    *take(this: It, n: number) {
      for (let k = 0; k < n; k++) {
        const r = this.next();
        if (r.done) return;
        yield r.value;
      }
    },
    *drop(this: It, n: number) {
      for (let k = 0; k < n; k++) if (this.next().done) return;
      for (let r = this.next(); !r.done; r = this.next()) yield r.value;
    },
    *flatMap(this: It, fn: (v: unknown, i: number) => Iterable<unknown>) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) yield* fn(r.value, i++);
    },
    toArray(this: It) {
      const out: unknown[] = [];
      for (let r = this.next(); !r.done; r = this.next()) out.push(r.value);
      return out;
    },
    forEach(this: It, fn: (v: unknown, i: number) => void) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) fn(r.value, i++);
    },
    reduce(this: It, fn: (acc: unknown, v: unknown, i: number) => unknown, ...init: unknown[]) {
      let i = 0;
      let acc: unknown;
      if (init.length > 0) acc = init[0];
      else {
        const first = this.next();
        if (first.done) throw new TypeError("Reduce of empty iterator with no initial value");
        acc = first.value;
        i = 1;
      }
      for (let r = this.next(); !r.done; r = this.next()) acc = fn(acc, r.value, i++);
      return acc;
    },
    some(this: It, fn: (v: unknown, i: number) => boolean) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) if (fn(r.value, i++)) return true;
      return false;
    },
    every(this: It, fn: (v: unknown, i: number) => boolean) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) if (!fn(r.value, i++)) return false;
      return true;
    },
    find(this: It, fn: (v: unknown, i: number) => boolean) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) if (fn(r.value, i++)) return r.value;
      return undefined;
    },
  };
  for (const [name, fn] of Object.entries(helpers)) {
    if (typeof proto[name] !== "function") {
      Object.defineProperty(proto, name, { value: fn, configurable: true, writable: true });
    }
  }
}

/**
 * A browser-style Worker over node:worker_threads, enough for jax-js's pool: `new Worker(blobUrl)`,
 * `onmessage`/`onerror`, `postMessage`. The worker script arrives asynchronously (Blob.text()), so
 * a bootstrap queues messages until it has evaluated the script. Each jax-js request gets exactly
 * one reply; a thread is ref'd only while it owes replies, so an idle pool never keeps the process
 * alive and no reply is lost to an exiting event loop.
 */
async function makeNodeWorkerClass(): Promise<unknown> {
  const { Worker: NodeWorker } = await import("node:worker_threads");
  const { resolveObjectURL } = await import("node:buffer");

  const bootstrap = `
const { parentPort } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (m) => parentPort.postMessage(m);
let loaded = false;
const queued = [];
parentPort.on("message", (msg) => {
  if (!loaded) {
    if (msg && typeof msg.__critkitWorkerSource === "string") {
      (0, eval)(msg.__critkitWorkerSource);
      loaded = true;
      for (const m of queued.splice(0)) self.onmessage({ data: m });
    } else queued.push(msg);
    return;
  }
  self.onmessage({ data: msg });
});`;

  return class NodeBrowserWorker {
    onmessage: ((e: { data: unknown }) => void) | null = null;
    onerror: ((e: { message: string }) => void) | null = null;
    #thread: InstanceType<typeof NodeWorker>;
    #owed = 0;

    constructor(url: string | URL) {
      const blob = resolveObjectURL(String(url));
      if (!blob) throw new Error(`critkit Worker shim: cannot resolve ${String(url)}`);
      // execArgv: [] — the parent's flags (e.g. --input-type=module, loaders) must not turn the
      // CommonJS bootstrap into an ES module or load TypeScript hooks into every worker.
      this.#thread = new NodeWorker(bootstrap, { eval: true, execArgv: [] });
      this.#thread.unref();
      nodeWorkers.add(this.#thread);
      this.#thread.on("message", (data: unknown) => {
        if (--this.#owed <= 0) {
          this.#owed = 0;
          this.#thread.unref();
        }
        this.onmessage?.({ data });
      });
      this.#thread.on("error", (err: Error) => this.onerror?.({ message: err.message }));
      void blob.text().then((source) => {
        this.#thread.postMessage({ __critkitWorkerSource: source });
      });
    }

    postMessage(msg: unknown): void {
      if (this.#owed++ === 0) this.#thread.ref();
      this.#thread.postMessage(msg);
    }

    terminate(): void {
      nodeWorkers.delete(this.#thread);
      void this.#thread.terminate();
    }
  };
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
