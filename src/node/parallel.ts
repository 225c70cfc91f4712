/**
 * Coarse-grained parallelism for empirical measurements: whole APJN profiles (one MLP, a few
 * network seeds) run on node:worker_threads, each thread with its own jax-js instance (its own
 * Wasm backend, jax-js's per-op worker pool off). One message each way per task: per-op dispatch
 * to jax-js's pool costs ~100 µs a kernel and was measured slower than the main thread for APJN
 * steps (src/nets/jax.ts). Each thread compiles its jit'ed steps once and reuses them for every
 * task of the same block kinds (a σ_w² grid shares them: the dense layer's key has no σ in it).
 *
 * Tasks are plain data (activation names, numbers), so they cross threads by structured clone;
 * `measureTask` (./measure-task.ts) runs the same task in the calling thread (threads = 0, tests,
 * the worker itself).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ApjnProfile } from "../diagnostics/apjn-profile.js";
import { type MeasureTask, measureTask } from "../diagnostics/measure-task.js";
import { InputError } from "../errors.js";

interface Pending<T, R> {
  task: T;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

/** A worker's answer to one task (./thread-worker.ts): the result, or the error (with its field). */
export type Reply<R> = { result: R } | { error: { message: string; field?: string } };

/**
 * `threads` worker threads, each running the module `entry` (which serves tasks with
 * `serveTasks` from ./thread-worker.ts), taking tasks first come, first served. With threads = 0
 * the tasks run in the calling thread through `inline`, one at a time. Always `close()` it.
 */
export class ThreadPool<T, R> {
  readonly threads: number;
  #inline: (task: T) => Promise<R>;
  #entry: URL;
  #workers: Worker[] = [];
  #idle: Worker[] = [];
  #queue: Pending<T, R>[] = [];
  #busy = new Map<Worker, Pending<T, R>>();

  constructor(threads: number, entry: URL, inline: (task: T) => Promise<R>) {
    this.threads = threads;
    this.#inline = inline;
    this.#entry = entry;
    for (let i = 0; i < threads; i++) this.#idle.push(this.#spawn());
  }

  /**
   * A new worker. One that fails (an uncaught error ends its thread) fails its task and is
   * replaced by a fresh one, so the tasks still queued are not sent to a dead thread.
   */
  #spawn(): Worker {
    const w = spawnThread(this.#entry);
    w.on("message", (reply: Reply<R>) => this.#settle(w, reply));
    w.on("error", (e: Error) => {
      const i = this.#workers.indexOf(w);
      if (i < 0) return; // closed
      this.#workers.splice(i, 1);
      this.#idle = this.#idle.filter((x) => x !== w);
      const job = this.#busy.get(w);
      this.#busy.delete(w);
      this.#idle.push(this.#spawn());
      job?.reject(new Error(e.message));
      this.#dispatch();
    });
    this.#workers.push(w);
    return w;
  }

  run(task: T): Promise<R> {
    if (this.threads === 0) return this.#inline(task);
    return new Promise((resolve, reject) => {
      this.#queue.push({ task, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    const all = this.#workers.splice(0);
    this.#idle = [];
    await Promise.all(all.map((w) => w.terminate()));
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const w = this.#idle.pop()!;
      const job = this.#queue.shift()!;
      this.#busy.set(w, job);
      w.postMessage(job.task);
    }
  }

  #settle(w: Worker, reply: Reply<R>): void {
    const job = this.#busy.get(w);
    if (!job) return;
    this.#busy.delete(w);
    this.#idle.push(w);
    if ("result" in reply) job.resolve(reply.result);
    else {
      const { field, message } = reply.error;
      job.reject(
        field !== undefined
          ? new InputError(field, message.slice(field.length + 2))
          : new Error(message),
      );
    }
    this.#dispatch();
  }
}

/** Whole APJN profiles measured on `threads` worker threads (./measure-worker.ts). */
export class MeasurePool extends ThreadPool<MeasureTask, ApjnProfile> {
  constructor(threads: number) {
    super(threads, threadEntry("./measure-worker", import.meta.url), measureTask);
  }
}

/**
 * A worker thread running the module `entry` (a .js file, or a .ts file when critkit runs from
 * its TypeScript sources under tsx or vitest: tsx's loader is then registered in the thread
 * first, as Node 20 ignores `--import` in a worker's execArgv for its entry module). The thread's
 * jax-js gets no worker pool of its own (CRITKIT_WORKERS=0).
 */
export function spawnThread(entry: URL): Worker {
  const env = { ...process.env, CRITKIT_WORKERS: "0" };
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, { env });
  const tsx = new URL("dist/esm/api/index.mjs", pathToFileURL(tsxPackage())).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, execArgv: [], env });
}

/**
 * The worker module `path` (without extension) relative to `base` (a module's import.meta.url):
 * its .ts file when critkit runs from its TypeScript sources, its .js file otherwise.
 */
export function threadEntry(path: string, base: string): URL {
  return new URL(`${path}.${base.endsWith(".ts") ? "ts" : "js"}`, base);
}

/** tsx's package.json (a development dependency: only needed when running from sources). */
function tsxPackage(): string {
  return createRequire(import.meta.url).resolve("tsx/package.json");
}
