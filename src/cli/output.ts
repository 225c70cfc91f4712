/**
 * Output helpers shared by the commands: JSON to stdout, human text, progress on stderr, and the
 * output files. A file option (--out, --out-dir) is checked before any work is done, and every
 * file is written atomically: to a temporary file in the same folder, then renamed over the
 * target, so a failure or an interrupt (SIGINT, SIGTERM) never leaves a partial file behind.
 */
import { accessSync, constants, realpathSync, rmSync, statSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import { InputError, shown } from "../errors.js";

/** JSON.stringify's replacer for JSON output: non-finite numbers become null (JSON has none). */
export const nonFiniteAsNull = (_k: string, v: unknown) =>
  typeof v === "number" && !Number.isFinite(v) ? null : v;

/** Prints a JSON document; non-finite numbers become null (JSON has no Infinity/NaN). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, nonFiniteAsNull, 2)}\n`);
}

/**
 * A result that could not be computed in full (a value over- or underflows the float64 range):
 * one line on stderr now, and the same text in the JSON output's `warnings`, so a null in the
 * JSON is never unexplained.
 */
export function warn(warnings: string[], message: string): void {
  warnings.push(message);
  process.stderr.write(`critkit: warning: ${message}\n`);
}

/** log of the largest double: e^x overflows above it (and underflows to 0 below −745). */
const LOG_DOUBLE_MAX = Math.log(Number.MAX_VALUE);

/**
 * e^v for each log value v, NaN (null in JSON) where e^v leaves the float64 range; warns once,
 * naming the first such layer, that `name` is null there and `logName` holds its logarithm.
 */
export function expOfLogs(
  logs: ArrayLike<number>,
  layers: ArrayLike<number>,
  name: string,
  logName: string,
  warnings: string[],
): number[] {
  const inRange = (v: number) => Math.abs(v) < LOG_DOUBLE_MAX;
  const first = Array.from(logs).findIndex((v) => Number.isFinite(v) && !inRange(v));
  if (first >= 0)
    warn(
      warnings,
      `${name} leaves the float64 range at layer ${layers[first]}: it is null (0 or ∞) there; ${logName} holds its logarithm`,
    );
  // log = −∞ is an exact 0 (e.g. a layer with χ_J = 0), not a value out of range
  return Array.from(logs, (v) =>
    v === Number.NEGATIVE_INFINITY ? 0 : inRange(v) ? Math.exp(v) : Number.NaN,
  );
}

/** Index of the first value that is not a finite number, or −1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  return Array.from(values).findIndex((v) => !Number.isFinite(v));
}

/** Folders where an output file is never written: kernel interfaces, not storage. */
const SPECIAL_ROOTS = ["/proc", "/sys", "/dev"];

function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/** Throws InputError (naming `option`) unless `dir` is an existing folder that we may write in. */
function checkWritableFolder(option: string, dir: string, raw: string): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    throw new InputError(option, `folder '${shown(dir)}' does not exist (for '${shown(raw)}')`);
  }
  if (!statSync(real).isDirectory())
    throw new InputError(option, `'${shown(dir)}' is not a folder (for '${shown(raw)}')`);
  if (SPECIAL_ROOTS.some((r) => isUnder(real, r)))
    throw new InputError(option, `will not write under ${real} (a system folder)`);
  try {
    accessSync(real, constants.W_OK);
  } catch {
    throw new InputError(option, `folder '${shown(dir)}' is not writable`);
  }
}

/**
 * Checks, before any computing, that `raw` names a file this run may create or replace: its
 * folder exists, is writable and is not a system folder, the path itself is not a folder, and
 * its extension is one of `extensions` (when given). Returns the path. Creates nothing.
 */
export function checkOutputFile(
  option: string,
  raw: unknown,
  extensions: readonly string[] = [],
): string {
  const path = String(raw);
  if (path === "" || path.includes("\0"))
    throw new InputError(option, `not a file name: '${shown(path)}'`);
  if (extensions.length > 0 && !extensions.includes(extname(path).toLowerCase()))
    throw new InputError(option, `must end in ${extensions.join(" or ")}, got '${shown(path)}'`);
  if (path.endsWith("/")) throw new InputError(option, `'${shown(path)}' is a folder, not a file`);
  checkWritableFolder(option, dirname(resolve(path)), path);
  let target: ReturnType<typeof statSync> | undefined;
  try {
    target = statSync(path);
  } catch {
    target = undefined; // a new file
  }
  if (target && !target.isFile())
    throw new InputError(
      option,
      `'${shown(path)}' exists and is ${target.isDirectory() ? "a folder" : "not a regular file"}`,
    );
  return path;
}

/**
 * Checks, before any computing, an output folder: an existing writable folder, or a new one
 * whose parent exists (only the last component is ever created, by `makeOutputDir`).
 */
export function checkOutputDir(option: string, raw: unknown): string {
  const dir = String(raw);
  if (dir === "" || dir.includes("\0"))
    throw new InputError(option, `not a folder name: '${shown(dir)}'`);
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory())
    throw new InputError(option, `'${shown(dir)}' exists and is not a folder`);
  checkWritableFolder(option, st ? resolve(dir) : dirname(resolve(dir)), dir);
  return dir;
}

/** Creates the folder checked by `checkOutputDir` if it is new (its parent only, never more). */
export async function makeOutputDir(dir: string): Promise<void> {
  await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e;
  });
}

/**
 * Writes in progress: each temporary file with the controller that aborts its write and the
 * promise that settles once the write has ended and the temporary file is gone.
 */
const inFlight = new Map<string, { abort: AbortController; settled: Promise<unknown> }>();

/**
 * On SIGINT/SIGTERM: abort every write, wait until each has removed its temporary file (removing
 * it only after the write has ended, so a pending open cannot create it again), then exit. With no
 * write pending it steps aside: it removes itself and, unless the command has its own listener,
 * raises the signal again for its default action.
 *
 * So it stays installed after the last write ends: Node dispatches a signal on a later turn of the
 * event loop, and one that arrived while a write was pending but was dispatched after its listener
 * had been removed was dropped — the process ran on and exited 0 (measured: the twins Ctrl-C test
 * under load, and `process.on(s, f); process.kill(pid, s); process.off(s, f)` survives).
 */
function onSignal(signal: NodeJS.Signals): void {
  const writes = [...inFlight.values()];
  if (writes.length === 0) {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    return;
  }
  for (const w of writes) w.abort.abort();
  void Promise.allSettled(writes.map((w) => w.settled)).then(() => {
    for (const tmp of inFlight.keys()) rmSync(tmp, { force: true });
    process.stderr.write(`critkit: interrupted (${signal}); no partial file left\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

function track(tmp: string, abort: AbortController, settled: Promise<unknown>): void {
  if (!process.listeners("SIGINT").includes(onSignal)) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  inFlight.set(tmp, { abort, settled });
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder, then a rename over
 * the target. On any error (or SIGINT/SIGTERM meanwhile) the temporary file is removed and the
 * target is untouched.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`,
  );
  const abort = new AbortController();
  const write = (async () => {
    try {
      await writeFile(tmp, data, { flag: "wx", signal: abort.signal });
      if (abort.signal.aborted) throw abort.signal.reason;
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  })();
  track(tmp, abort, write);
  try {
    await write;
  } catch (e) {
    // interrupted: the signal handler exits the process; the caller never sees this write end
    if (abort.signal.aborted) await new Promise(() => {});
    throw e;
  } finally {
    inFlight.delete(tmp);
  }
}

export interface Progress {
  tick(done: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr for work that takes more than a second: it appears at the first tick
 * after one second, only on a TTY and when the output is not JSON (scripted use sees clean stdout
 * and stderr).
 */
export function progress(total: number, label: string, json: boolean): Progress {
  if (json || !process.stderr.isTTY) return { tick() {}, stop() {} };
  const start = Date.now();
  let bar: SingleBar | undefined;
  return {
    tick(done) {
      if (!bar && Date.now() - start > 1000) {
        bar = new SingleBar({
          format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta}s`,
          stream: process.stderr,
          hideCursor: true,
        });
        bar.start(total, done);
      }
      bar?.update(done);
    },
    stop: () => bar?.stop(),
  };
}
