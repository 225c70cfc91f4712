/** Output files: checked before any work, written atomically, nothing left behind on failure. */
import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkOutputDir, checkOutputFile, writeFileAtomic } from "../../src/cli/output.js";
import { InputError } from "../../src/errors.js";
import { itRejects, runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "critkit-out-"));
writeFileSync(join(dir, "afile"), "");
mkdirSync(join(dir, "folder.svg"));

describe("checkOutputFile / checkOutputDir", () => {
  const refused: Array<[string, RegExp]> = [
    ["/nonexistent/x.svg", /folder '\/nonexistent' does not exist/],
    [join(dir, "afile", "x.svg"), /is not a folder/],
    [join(dir, "folder.svg"), /exists and is a folder/],
    [`${dir}/`, /must end in|is a folder/],
    ["/proc/x.svg", /system folder/],
    ["/sys/kernel/x.svg", /system folder/],
    ["x.pdf", /must end in .svg or .png/],
  ];
  for (const [path, message] of refused)
    it(`refuses ${path}`, () => {
      expect(() => checkOutputFile("--out", path, [".svg", ".png"])).toThrow(message);
      expect(() => checkOutputFile("--out", path, [".svg", ".png"])).toThrow(InputError);
    });

  it("accepts a new file in an existing folder and creates nothing", () => {
    expect(checkOutputFile("--out", join(dir, "new.svg"), [".svg"])).toBe(join(dir, "new.svg"));
    expect(existsSync(join(dir, "new.svg"))).toBe(false);
  });

  it("an output folder: existing, or new with an existing parent; never a tree", () => {
    expect(checkOutputDir("--out-dir", dir)).toBe(dir);
    expect(checkOutputDir("--out-dir", join(dir, "new"))).toBe(join(dir, "new"));
    expect(() => checkOutputDir("--out-dir", join(dir, "a", "b"))).toThrow(/does not exist/);
    expect(() => checkOutputDir("--out-dir", join(dir, "afile"))).toThrow(/not a folder/);
    expect(() => checkOutputDir("--out-dir", "/proc/critkit")).toThrow(/system folder/);
  });
});

describe("writeFileAtomic", () => {
  it("replaces the target in one step and leaves no temporary file", async () => {
    const target = join(dir, "atomic.txt");
    writeFileSync(target, "old");
    await writeFileAtomic(target, "new");
    expect(readFileSync(target, "utf8")).toBe("new");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("on failure leaves neither the target nor a temporary file", async () => {
    const target = join(dir, "gone", "x.txt");
    await expect(writeFileAtomic(target, "x")).rejects.toThrow();
    expect(existsSync(join(dir, "gone"))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("SIGINT during a write removes the temporary file and exits 130", async () => {
    const sub = mkdtempSync(join(dir, "sigint-"));
    const target = join(sub, "big.bin");
    const script = `import { writeFileAtomic } from ${JSON.stringify(join(import.meta.dirname, "../../src/cli/output.ts"))};
setTimeout(() => process.kill(process.pid, "SIGINT"), 0);
await writeFileAtomic(${JSON.stringify(target)}, new Uint8Array(1 << 29));
console.log("finished");`;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: join(import.meta.dirname, "../.."),
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(out).not.toMatch(/finished/);
    expect(code).toBe(130);
    expect(readdirSync(sub)).toEqual([]);
  });
});

/** Runs `body` (ESM, with `writeFileAtomic` imported) in a child; its stdout and how it ended. */
async function runWriter(body: string): Promise<{ out: string; ended: string }> {
  const script = `import { writeFileAtomic } from ${JSON.stringify(join(import.meta.dirname, "../../src/cli/output.ts"))};
${body}`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: join(import.meta.dirname, "../.."),
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  const ended = await new Promise<string>((r) => child.on("exit", (c, sig) => r(String(sig ?? c))));
  return { out, ended };
}

describe("signals after the writes have ended", () => {
  // The handler stays installed after a write: a signal delivered while a write was pending is
  // dispatched on a later turn of the event loop, and removing the listener first dropped it.
  it("the signal still has its default action (the handler steps aside and raises it again)", async () => {
    const target = join(mkdtempSync(join(dir, "after-")), "a.txt");
    const { out, ended } = await runWriter(`await writeFileAtomic(${JSON.stringify(target)}, "x");
process.kill(process.pid, "SIGINT");
setTimeout(() => console.log("survived"), 1000);`);
    expect(out).not.toMatch(/survived/);
    expect(ended).toBe("SIGINT");
    expect(readFileSync(target, "utf8")).toBe("x");
  });

  it("a command's own listener gets the signal alone", async () => {
    const target = join(mkdtempSync(join(dir, "own-")), "a.txt");
    const { out, ended } =
      await runWriter(`process.on("SIGINT", () => { console.log("mine"); process.exit(7); });
await writeFileAtomic(${JSON.stringify(target)}, "x");
process.kill(process.pid, "SIGINT");
setTimeout(() => console.log("survived"), 1000);`);
    expect(out).toMatch(/mine/);
    expect(out).not.toMatch(/survived/);
    expect(ended).toBe("7");
  });
});

describe("stdout on a full device", () => {
  it.runIf(existsSync("/dev/full"))("prints one line on stderr, no stack trace", async () => {
    const script = `import { main } from ${JSON.stringify(join(import.meta.dirname, "../../src/cli/main.ts"))};
process.exitCode = await main(["node", "critkit", "critical"]);`;
    const full = openSync("/dev/full", "w");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: join(import.meta.dirname, "../.."),
        stdio: ["ignore", full, "pipe"],
      },
    );
    let err = "";
    child.stderr!.on("data", (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    closeSync(full);
    expect(code).toBe(1);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toMatch(/^critkit: cannot write .*ENOSPC/);
  });
});

describe("commands and their output files", () => {
  it("phase --json writes no plot unless asked", async () => {
    const cwd = process.cwd();
    const work = mkdtempSync(join(dir, "phase-"));
    process.chdir(work);
    try {
      const r = await runCli("phase", "--grid", "4", "--depth", "5", "--json");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).plots).toEqual([]);
      expect(readdirSync(work)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });

  itRejects([
    [["phase", "--grid", "4", "--out", "/nonexistent/p.svg"], /--out: folder '\/nonexistent'/],
    [["demo", "--out-dir", join(dir, "afile")], /--out-dir: .* exists and is not a folder/],
    [["apjn", "--sigma-w2", "1", "--out", "/proc/a.svg"], /--out: will not write under \/proc/],
  ]);
});
