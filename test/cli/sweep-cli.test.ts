import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "./run-cli.js";
import { byKey, lines, sweepFile as makeSweepFile, SLOW, THEORY } from "./sweep-fixtures.js";

let parent = "";
afterAll(() => {
  if (parent) rmSync(parent, { recursive: true, force: true });
});
/** A sweep file in a new folder (sweep-fixtures.ts's, under this file's temporary folder). */
function sweepFile(text: string, name = "sweep.yaml"): { file: string; out: string } {
  parent ||= mkdtempSync(join(tmpdir(), "critkit-sweep-"));
  return makeSweepFile(parent, text, name);
}

/** The CLI from its sources in a child process, stderr piped. */
const spawnSweep = (args: string[]) => spawnCli(args, ["ignore", "ignore", "pipe"]);

/** Waits until `out` holds at least `n` complete lines (or the child has exited). */
async function waitForLines(child: ReturnType<typeof spawnSweep>, out: string, n: number) {
  while (child.exitCode === null) {
    if (existsSync(out) && readFileSync(out, "utf8").split("\n").length > n) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("critkit sweep", () => {
  it("runs every grid point once with the command's own result (same JSON as `critkit apjn-theory --json`)", async () => {
    const { file, out } = sweepFile(THEORY);
    const r = await runCli("sweep", file, "--out", out, "--threads", "2");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/6 points: 6 done, 0 skipped .* 0 failed/);
    const ls = lines(out);
    expect(
      ls.map((l) => l.point).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual(
      [0.5, 1.5, 2.5]
        .flatMap((w) => [0, 0.05].map((b) => ({ sigma_w2: w, sigma_b2: b })))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(new Set(ls.map((l) => l.key)).size).toBe(6);
    for (const l of ls) {
      expect(l.seconds).toBeGreaterThanOrEqual(0);
      const own = await runCli(
        "apjn-theory",
        ...["--activation", "tanh", "--depth", "12", "--sigma-w2", String(l.point.sigma_w2)],
        ...["--sigma-b2", String(l.point.sigma_b2), "--json"],
      );
      expect(l.result).toEqual(JSON.parse(own.stdout));
    }
    // one value checked independently: χ_J^0 = σ_w² E[tanh'(z)²], z ~ N(0, q^0 = 1), by a
    // midpoint rule on [−10, 10]
    const l = ls.find((x) => x.point.sigma_w2 === 1.5 && x.point.sigma_b2 === 0)!;
    const n = 200_000;
    let e = 0;
    for (let i = 0; i < n; i++) {
      const z = -10 + (20 * (i + 0.5)) / n;
      e +=
        (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * (1 - Math.tanh(z) ** 2) ** 2 * (20 / n);
    }
    expect((l.result!.chi_J as number[])[0]).toBeCloseTo(1.5 * e, 8);
  }, 60_000);

  it("a rerun skips finished points, an extended grid runs only the new ones, another sweep is refused", async () => {
    const { file, out } = sweepFile(THEORY);
    expect((await runCli("sweep", file, "--out", out, "--threads", "0")).code).toBe(0);
    const first = readFileSync(out, "utf8");
    const again = await runCli("sweep", file, "--out", out, "--threads", "0", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ points: 6, done: 0, skipped: 6, failed: 0 });
    expect(readFileSync(out, "utf8")).toBe(first);
    writeFileSync(file, THEORY.replace("[0.5, 1.5, 2.5]", "[0.5, 1.5, 2.5, 3]"));
    const more = await runCli("sweep", file, "--out", out, "--threads", "0", "--json");
    expect(JSON.parse(more.stdout)).toMatchObject({ points: 8, done: 2, skipped: 6 });
    expect(lines(out)).toHaveLength(8);
    const now = readFileSync(out, "utf8");
    writeFileSync(file, THEORY.replace("depth: 12", "depth: 13"));
    const other = await runCli("sweep", file, "--out", out);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^critkit: --out: .* holds results of another sweep \(line 1: /);
    expect(other.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(out, "utf8")).toBe(now);
  }, 60_000);

  it("a last line cut off mid-write is discarded and that point run again", async () => {
    const { file, out } = sweepFile(THEORY);
    expect((await runCli("sweep", file, "--out", out, "--threads", "0")).code).toBe(0);
    const full = readFileSync(out, "utf8");
    const reference = byKey(lines(out));
    const cut = full.lastIndexOf("\n", full.length - 2) + 40; // 40 bytes into the last line
    writeFileSync(out, full.slice(0, cut));
    const r = await runCli("sweep", file, "--out", out, "--threads", "0", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ done: 1, skipped: 5 });
    const ls = lines(out);
    expect(ls).toHaveLength(6);
    expect(byKey(ls)).toEqual(reference);
  }, 60_000);

  it("a point with bad input records its error and the others still run", async () => {
    const { file, out } = sweepFile(
      `{"command": "apjn-theory", "base": {"depth": 5}, "grid": {"sigma_w2": [1, -1, 2]}}`,
      "sweep.json",
    );
    const r = await runCli("sweep", file, "--out", out, "--threads", "0");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 done, 0 skipped .* 1 failed/);
    expect(r.stderr.trim()).toBe(
      `critkit: warning: point {"sigma_w2":-1} failed: --sigma-w2: must be ≥ 0, got -1`,
    );
    const bad = lines(out).filter((l) => l.error !== undefined);
    expect(bad).toEqual([
      expect.objectContaining({
        point: { sigma_w2: -1 },
        error: "--sigma-w2: must be ≥ 0, got -1",
      }),
    ]);
    expect(lines(out).filter((l) => l.result)).toHaveLength(2);
  });

  it("apjn points on worker threads: one line per (grid point, seed) with the seed's own network", async () => {
    const { file, out } = sweepFile(
      `command: apjn
base: { width: 8, depth: 3, seeds: 1, inputs: 2, probes: 2 }
grid: { sigma_w2: [1, 2] }
seeds: [0, 5]
`,
    );
    const r = await runCli("sweep", file, "--out", out, "--threads", "2");
    expect(r.code, r.stderr).toBe(0);
    const ls = lines(out);
    expect(ls.map((l) => l.point)).toHaveLength(4);
    const one = ls.find((l) => l.point.sigma_w2 === 2 && l.point.seed === 5)!;
    expect(one.result!.seeds).toEqual([5]);
    const own = await runCli(
      "apjn",
      ...["--width", "8", "--depth", "3", "--seeds", "1", "--inputs", "2", "--probes", "2"],
      ...["--sigma-w2", "2", "--seed", "5", "--json"],
    );
    expect(one.result).toEqual(JSON.parse(own.stdout));
  }, 60_000);

  it("SIGKILL mid-sweep, then a rerun: every point exactly once, results equal to an uninterrupted run", async () => {
    const { file, out } = sweepFile(SLOW);
    const ref = join(sweepFile(SLOW).file, "../ref.jsonl");
    expect((await runCli("sweep", file, "--out", ref, "--threads", "2")).code).toBe(0);
    const reference = byKey(lines(ref));
    expect(reference.size).toBe(12);
    const child = spawnSweep(["sweep", file, "--out", out, "--threads", "1"]);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await waitForLines(child, out, 2);
    child.kill("SIGKILL");
    await exited;
    const before = lines(out).length;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(12);
    const r = await runCli("sweep", file, "--out", out, "--threads", "2", "--json");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.skipped).toBeGreaterThanOrEqual(before);
    expect(summary.done + summary.skipped).toBe(12);
    const ls = lines(out);
    expect(ls).toHaveLength(12);
    expect(byKey(ls)).toEqual(reference);
  }, 90_000);

  it("SIGINT: exit 130, every line whole, and the rerun completes the sweep", async () => {
    const { file, out } = sweepFile(SLOW);
    const child = spawnSweep(["sweep", file, "--out", out, "--threads", "1"]);
    let stderr = "";
    child.stderr!.on("data", (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await waitForLines(child, out, 1);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\)/);
    const text = readFileSync(out, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const n = lines(out).length;
    expect(n).toBeGreaterThanOrEqual(1);
    const r = await runCli("sweep", file, "--out", out, "--threads", "2", "--json");
    expect(JSON.parse(r.stdout)).toMatchObject({ skipped: n, done: 12 - n });
    expect(new Set(lines(out).map((l) => l.key)).size).toBe(12);
  }, 90_000);
});

describe("critkit sweep refuses a bad sweep file before running anything (exit 2, one line)", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["command: apjnn\n", "yaml", /: command: Invalid option: expected one of/],
    ["command: apjn-theory\nbase: [1]\n", "yaml", /: base: /],
    [
      "command: apjn-theory\nbase: { sigma_w2: 1 }\ngrid: { depth: [2, {a: 1}] }\n",
      "yaml",
      /: grid\.depth\[1\]: /,
    ],
    [
      "command: apjn\ngrid: { sigma_w3: [1] }\n",
      "yaml",
      /: grid\.sigma_w3: apjn has no option --sigma-w3/,
    ],
    [
      "command: apjn\nbase: { width: 8 }\n",
      "yaml",
      /: base: apjn needs --sigma-w2 \(in base or grid\)/,
    ],
    [
      "command: apjn-theory\nbase: { sigma_w2: 1 }\ngrid: { sigma-w2: [1] }\n",
      "yaml",
      /: grid\.sigma-w2: also set in base\.sigma_w2/,
    ],
    [
      "command: apjn-theory\nbase: { sigma_w2: 1 }\nseeds: [0]\n",
      "yaml",
      /: seeds: apjn-theory has no option --seed/,
    ],
    [
      "command: apjn\nbase: { sigma_w2: 1, out: x.svg }\n",
      "yaml",
      /: base\.out: apjn has no option to sweep in --out/,
    ],
    [
      "command: apjn\nbase: { sigma_w2: 1, ln_affine: 2 }\n",
      "yaml",
      /: base\.ln_affine: --ln-affine is a flag/,
    ],
    [
      "command: apjn\nbase: { sigma_w2: 1 }\nextra: 1\n",
      "yaml",
      /: \(top level\): Unrecognized key/,
    ],
    ["command: [unclosed\n", "yaml", /: not valid YAML: /],
    [
      `command: apjn-theory\nbase: { sigma_w2: 1 }\ngrid: { depth: [${Array.from({ length: 400 }, (_, i) => i + 1)}], c0: [${Array.from({ length: 400 }, (_, i) => i / 400)}] }\n`,
      "yaml",
      /: grid: 160000 points \(with the seeds\), more than 100000/,
    ],
    ['{"command": ', "json", /: not valid JSON: /],
    ["command: critical\n", "txt", /: a sweep file must end in \.yaml, \.yml or \.json/],
  ];
  for (const [text, ext, message] of cases)
    it(text.split("\n").slice(0, 3).join(" | "), async () => {
      const { file, out } = sweepFile(text, `sweep.${ext}`);
      const r = await runCli("sweep", file, "--out", out);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    });

  it("--out must be a .jsonl file; a file that is not sweep results is left alone", async () => {
    const { file, out } = sweepFile(THEORY);
    const svg = await runCli("sweep", file, "--out", out.replace(".jsonl", ".svg"));
    expect(svg.code).toBe(2);
    expect(svg.stderr).toMatch(/^critkit: --out: must end in \.jsonl/);
    writeFileSync(out, "hello\n");
    const foreign = await runCli("sweep", file, "--out", out);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/^critkit: --out: .*line 1 is not a sweep result/);
    expect(readFileSync(out, "utf8")).toBe("hello\n");
    const missing = await runCli(
      "sweep",
      join(sweepFile(THEORY).file, "../nope.yaml"),
      "--out",
      out,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: cannot read the sweep file \(ENOENT\)/);
  });
});
