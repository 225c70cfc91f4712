/** Runs the CLI in-process with captured stdout/stderr and the exit code main() returns. */
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const mainTs = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** The CLI from source in a child process (for tests that kill it), run in the repository root. */
export function spawnCli(args: string[], stdio: StdioOptions = "ignore"): ChildProcess {
  const script = `const { main } = await import(${JSON.stringify(mainTs)});
process.exitCode = await main(["node", "critkit", ...process.argv.slice(1)]);`;
  return spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script, ...args],
    { cwd: root, stdio },
  );
}

/**
 * Sends `signal` to `child` as soon as `file` exists and is not empty, from a separate shell
 * process polling every 5 ms: unlike a timer in this (possibly starved) test worker, it fires
 * promptly on a loaded machine. Resolves with how the child ended (its exit code or signal).
 */
export function signalWhenWritten(
  child: ChildProcess,
  file: string,
  signal: NodeJS.Signals,
): Promise<string> {
  const exited = new Promise<string>((r) => child.on("exit", (c, sig) => r(String(sig ?? c))));
  const watcher = spawn(
    "bash",
    [
      "-c",
      `while [ ! -s "$1" ]; do sleep 0.005; done; kill -${signal.slice(3)} "$2"`,
      "_",
      file,
      String(child.pid),
    ],
    { stdio: "ignore" },
  );
  return exited.finally(() => watcher.kill("SIGKILL"));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(...args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  try {
    const code = await main(["node", "critkit", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A command line split into words (the tests' arguments have no spaces inside). */
export const argv = (line: string): string[] => line.trim().split(/\s+/);

/**
 * One test per case: bad input prints one line naming the problem on stderr (no stack trace,
 * nothing on stdout) and exits with code 2.
 */
export function itRejects(cases: Array<[string[], RegExp]>): void {
  for (const [args, message] of cases) {
    it(`critkit ${args.join(" ")}`, async () => {
      const r = await runCli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
    });
  }
}
