/** Worker-thread entry of `critkit sweep`: runs each point it receives (./sweep.ts, runPoint). */
import { serveTasks } from "../node/thread-worker.js";
import { runPoint } from "./sweep.js";

serveTasks("sweep-worker", runPoint);
