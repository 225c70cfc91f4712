/**
 * The Node adapter of the jax-js loader (./jax.ts imports it only on Node, so browser bundles
 * of the core never see a `node:` import). Node 20 needs, before @jax-js/jax is evaluated: a
 * Float16Array stand-in, iterator helpers, the relaxed-SIMD flag and, for the Wasm worker pool,
 * a browser-style Worker over node:worker_threads (see ./jax.ts for the measurements).
 */

const nodeWorkers = new Set<{ terminate(): Promise<number> }>();

/** Terminates the worker threads this adapter started. */
export async function terminateNodeWorkers(): Promise<void> {
  const all = [...nodeWorkers];
  nodeWorkers.clear();
  await Promise.all(all.map((w) => w.terminate()));
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
