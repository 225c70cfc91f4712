/**
 * Worker-thread entry of MeasurePool (./parallel.ts): measures each MeasureTask it receives with
 * this thread's own jax-js instance and replies with the ApjnProfile, or with the error (an
 * InputError keeps its field).
 */
import { measureTask } from "../diagnostics/measure-task.js";
import { serveTasks } from "./thread-worker.js";

serveTasks("measure-worker", measureTask);
