/** Runs the CLI in-process with captured stdout/stderr and the exit code main() returns. */
import { expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";

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
