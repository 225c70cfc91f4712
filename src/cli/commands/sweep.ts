import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { shutdownJax } from "../../nets/jax.js";
import { ThreadPool, threadEntry } from "../../node/parallel.js";
import { flagOf } from "../main.js";
import { int } from "../options.js";
import { checkOutputFile, nonFiniteAsNull, printJson, progress } from "../output.js";
import {
  finishedKeys,
  loadSweep,
  type PointOutcome,
  type PointTask,
  runPoint,
  type SweepPoint,
} from "../sweep.js";

/** One line of JSON; non-finite numbers become null (as in printJson). */
const jsonLine = (value: unknown) => JSON.stringify(value, nonFiniteAsNull);

/** A point's error as the command itself would print it (an InputError's field as its flag). */
function pointError(
  program: Command,
  e: { message: string; field?: string; input: boolean },
): string {
  if (e.field !== undefined) return `${flagOf(program, e.field)}: ${e.message}`;
  return e.input ? e.message : `internal error: ${e.message}`;
}

export function registerSweep(program: Command): void {
  program
    .command("sweep")
    .description(
      "run a command (apjn-theory, critical, apjn) over a grid of settings and seeds from a YAML/JSON sweep file, on worker threads; results appended to a JSONL file, resumable",
    )
    .argument("<sweep-file>", "sweep file (.yaml, .yml or .json): command, base, grid, seeds")
    .requiredOption("--out <file>", "results, one JSON line per point (.jsonl); rerun to resume")
    .option("--threads <n>", "worker threads (0: this thread; default min(points, cores))")
    .option(
      "--queue <url>",
      "distribute the points over Redis (redis://host:port) to `critkit worker` processes, instead of threads",
    )
    .option("--json", "print the summary as JSON")
    .action(async (file: string, o) => {
      const out = checkOutputFile("--out", o.out, [".jsonl"]);
      const threadsWanted =
        o.threads === undefined ? undefined : int("--threads", o.threads, 0, 256);
      if (o.queue !== undefined && threadsWanted !== undefined)
        throw new InputError("--threads", "not with --queue: each worker has its --concurrency");
      const queued = o.queue === undefined ? undefined : String(o.queue);
      // BullMQ is loaded only for --queue; a bad URL fails before anything runs
      const queueing = queued === undefined ? undefined : await import("../sweep-queue.js");
      queueing?.redisOptions(queued!);
      const sweep = loadSweep(file, program);
      const done = finishedKeys(out, new Set(sweep.points.map((p) => p.key)));
      const pending = sweep.points.filter((p) => !done.has(p.key));
      // with nothing pending it still connects: closing a complete sweep clears its queue
      const coordinator =
        queued === undefined ? undefined : await queueing!.sweepCoordinator(queued, sweep);
      const threads = coordinator
        ? 0
        : Math.min(pending.length, threadsWanted ?? availableParallelism());
      const fd = openSync(out, "a");
      const pool = coordinator
        ? undefined
        : new ThreadPool<PointTask, PointOutcome>(
            threads,
            threadEntry("../sweep-worker", import.meta.url),
            runPoint,
          );
      // Lines are written whole by one synchronous write each, so a signal (handled between
      // writes) never leaves part of a line; the workers are stopped before the exit (a queue's
      // workers go on: their results wait in Redis for the rerun).
      const onSignal = (signal: NodeJS.Signals) => {
        coordinator?.stop();
        void (pool?.close() ?? Promise.resolve()).finally(() => {
          closeSync(fd);
          process.stderr.write(
            `critkit: interrupted (${signal}); ${out} holds every finished point: rerun to resume\n`,
          );
          process.exit(signal === "SIGINT" ? 130 : 143);
        });
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const bar = progress(pending.length, "points", Boolean(o.json));
      let finished = 0;
      let failed = 0;
      let retried = 0;
      const write = (line: object) => {
        writeSync(fd, `${jsonLine(line)}\n`);
        fdatasyncSync(fd);
      };
      const record = (p: SweepPoint, outcome: PointOutcome) => {
        const { seconds } = outcome;
        if ("error" in outcome) {
          failed++;
          const error = pointError(program, outcome.error);
          // bad input fails the same way every time: recorded as finished; any other failure
          // (a bug, a thread out of memory) is not written, so a rerun tries the point again
          process.stderr.write(
            `critkit: warning: point ${jsonLine(p.point)} failed: ${error}${outcome.error.input ? "" : " (not written: a rerun retries it)"}\n`,
          );
          if (outcome.error.input) write({ point: p.point, key: p.key, error, seconds });
          else retried++;
        } else write({ point: p.point, key: p.key, result: outcome.result, seconds });
        bar.tick(++finished);
      };
      let complete = false;
      try {
        if (coordinator) await coordinator.run(pending, record);
        else
          await Promise.all(
            pending.map(async (p) =>
              record(
                p,
                await pool!
                  .run({ command: sweep.command, options: p.options })
                  .catch((e: Error) => ({
                    error: { message: e.message, input: false },
                    seconds: 0,
                  })),
              ),
            ),
          );
        complete = true;
      } finally {
        bar.stop();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await pool?.close();
        await coordinator?.close(complete);
        closeSync(fd);
        if (threads === 0 && !queued && sweep.command === "apjn") await shutdownJax();
      }
      const summary = {
        command: sweep.command,
        points: sweep.points.length,
        done: finished - failed,
        skipped: done.size,
        failed,
        not_written: retried,
        threads,
        ...(queued === undefined ? {} : { queue: coordinator!.name }),
        out,
      };
      if (o.json) return printJson(summary);
      process.stdout.write(
        `sweep ${sweep.command}: ${summary.points} points: ${summary.done} done, ${summary.skipped} skipped (already in ${out}), ${failed} failed${failed ? ` (${failed - retried} with the error in their line, ${retried} not written: rerun to retry)` : ""}; ${summary.queue ? `Redis queue ${summary.queue}` : `${threads} threads`}\n`,
      );
    });
}
