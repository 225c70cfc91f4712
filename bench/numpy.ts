/**
 * Runs a numpy reference script (`python3 <script> ...args`) and reads the JSON object it prints on
 * its last stdout line. Never throws: a missing python3/numpy, a crash, a timeout or unparsable
 * output comes back as `{ error }` so a benchmark can still report critkit's own timing.
 *
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the child's environment only: on this
 * machine they pin OpenBLAS to a slower kernel and would make the reference look worse than it is.
 * The scripts report the BLAS kernel actually used in their JSON (`blas`), so reports are honest.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface NumpyResult {
  /** The script's own timing (median wall ms of its repeats, excluding python start-up). */
  ms: number;
  /** BLAS library/kernel numpy used, as reported by the script. */
  blas?: unknown;
  [key: string]: unknown;
}

export interface NumpyError {
  error: string;
}

/** Environment variables dropped from the python child's environment. */
export const DROPPED_ENV = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] as const;

export const isNumpyError = (r: NumpyResult | NumpyError): r is NumpyError => "error" in r;

/**
 * @param script path of the python script, or a file URL (e.g. `new URL("./phase_ref.py", import.meta.url)`)
 * @param args   its command-line arguments
 * @param opts.timeoutMs kill the child after this long (default 10 minutes)
 * @param opts.python    interpreter (default `$PYTHON` or `python3`)
 */
export function runNumpy(
  script: string | URL,
  args: string[] = [],
  opts: { timeoutMs?: number; python?: string } = {},
): Promise<NumpyResult | NumpyError> {
  const path = script instanceof URL ? fileURLToPath(script) : script;
  const python = opts.python ?? process.env.PYTHON ?? "python3";
  const env = { ...process.env };
  for (const k of DROPPED_ENV) delete env[k];
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    const done = (r: NumpyResult | NumpyError) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(r);
      }
    };
    const child = spawn(python, [path, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      done({ error: `${python} ${path} timed out after ${opts.timeoutMs ?? 600_000} ms` });
    }, opts.timeoutMs ?? 600_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", (e: NodeJS.ErrnoException) => {
      done({ error: e.code === "ENOENT" ? `${python} not found` : `${python}: ${e.message}` });
    });
    child.on("close", (code, signal) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      let parsed: unknown;
      try {
        parsed = last ? JSON.parse(last) : undefined;
      } catch {
        parsed = undefined;
      }
      const obj =
        parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : undefined;
      if (obj && typeof obj.error === "string") return done({ error: obj.error });
      if (/No module named '?numpy/.test(stderr))
        return done({ error: `numpy is not installed for ${python}` });
      if (code !== 0 || signal) {
        const tail = stderr.trim().split("\n").slice(-3).join(" | ");
        return done({
          error: `${python} ${path} exited with ${signal ?? code}: ${tail || "(no stderr)"}`,
        });
      }
      if (!obj || typeof obj.ms !== "number" || !Number.isFinite(obj.ms)) {
        return done({
          error: `${path} printed no JSON line with a finite "ms" (last line: ${last.slice(0, 200)})`,
        });
      }
      done(obj as NumpyResult);
    });
  });
}

/** One line for a row's note from a script's `blas` object: library, kernel, threads. */
export function blasSummary(blas: unknown): string {
  if (typeof blas !== "object" || blas === null) return "BLAS unknown";
  const b = blas as Record<string, unknown>;
  const lib =
    typeof b.config === "string"
      ? b.config.split(/\s+/).slice(0, 2).join(" ")
      : String(b.internal_api ?? "BLAS");
  const arch = b.architecture ? ` ${b.architecture}` : "";
  const threads =
    b.num_threads === undefined ? "" : `, ${b.num_threads} thread${b.num_threads === 1 ? "" : "s"}`;
  return `${lib}${arch}${threads}`;
}
