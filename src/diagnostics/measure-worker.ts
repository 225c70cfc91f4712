/**
 * Worker-thread entry of MeasurePool (./parallel.ts): measures each MeasureTask it receives with
 * this thread's own jax-js instance and replies with the ApjnProfile, or with the error (an
 * InputError keeps its field).
 */
import { parentPort } from "node:worker_threads";
import { InputError } from "../errors.js";
import { type MeasureTask, measureTask } from "./measure-task.js";

const port = parentPort;
if (!port) throw new Error("measure-worker must run in a worker thread");
port.on("message", async (task: MeasureTask) => {
  try {
    const result = await measureTask(task);
    port.postMessage({ result });
  } catch (e) {
    const err = e as Error;
    port.postMessage({
      error: { message: err.message, field: e instanceof InputError ? e.field : undefined },
    });
  }
});
