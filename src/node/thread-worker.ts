/**
 * The worker-thread side of ThreadPool (./parallel.ts): answers each task the thread receives
 * with `handle`'s result, or with its error (an InputError keeps its field). Kept apart from
 * ./parallel.ts so that a worker loads only what its tasks need.
 */
import { parentPort } from "node:worker_threads";
import { InputError } from "../errors.js";

export function serveTasks<T, R>(name: string, handle: (task: T) => Promise<R>): void {
  const port = parentPort;
  if (!port) throw new Error(`${name} must run in a worker thread`);
  port.on("message", async (task: T) => {
    try {
      const result = await handle(task);
      port.postMessage({ result });
    } catch (e) {
      const err = e as Error;
      port.postMessage({
        error: { message: err.message, field: e instanceof InputError ? e.field : undefined },
      });
    }
  });
}
