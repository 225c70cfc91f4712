import type { Command } from "commander";
import { int } from "../options.js";

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description(
      "serve the points of every `critkit sweep --queue` on a Redis server (BullMQ) until Ctrl-C or SIGTERM",
    )
    .requiredOption("--queue <url>", "the Redis server of the sweeps (redis://host:port[/db])")
    .option("--concurrency <n>", "points run at once, each on its own worker thread", "1")
    .option(
      "--lock-duration <ms>",
      "how long a job stays locked without a sign of life from its worker (BullMQ's lockDuration and stalledInterval): a killed worker's job runs elsewhere after 1 to 3 times this",
      "30000",
    )
    .action(async (o) => {
      const concurrency = int("--concurrency", o.concurrency, 1, 256);
      const lockDuration = int("--lock-duration", o.lockDuration, 100, 3_600_000);
      const log = (line: string) => process.stderr.write(`critkit worker: ${line}\n`);
      const { serveSweeps } = await import("../sweep-queue.js"); // BullMQ only when serving
      const worker = await serveSweeps(String(o.queue), { concurrency, lockDuration, log });
      log(`serving the sweeps on ${o.queue} (${concurrency} at once); Ctrl-C to stop`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        const stop = (s: NodeJS.Signals) => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop); // a second signal ends the process at once
          resolve(s);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      log(`${signal}: finishing the points in progress`);
      await worker.close();
    });
}
