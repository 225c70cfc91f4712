/** `critkit twins`: JSON structure, the self-twin control at zero, a plot, and bad input → exit 2. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { argv, itRejects, runCli, signalWhenWritten, spawnCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "critkit-twins-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("critkit twins", () => {
  it("pairs of none/ulp twins plus seed twins; the self-twin stays at distance 0; writes the plot", async () => {
    const out = join(dir, "twins.svg");
    const r = await runCli(
      ...argv(
        `twins --dataset iris --width 8 --depth 1 --pairs 2 --steps 12 --every 4 --batch-size 16 --perturb none,ulp --out ${out} --json`,
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.step).toEqual([0, 4, 8, 12]);
    expect(res.summary.map((s: { perturbation: string }) => s.perturbation)).toEqual([
      "none",
      "ulp",
      "seed",
    ]);
    expect(res.runs).toHaveLength(6);
    for (const run of res.runs) {
      expect(run.layer_distance).toHaveLength(2);
      if (run.perturbation === "none") expect(run.distance).toEqual([0, 0, 0, 0]);
      if (run.perturbation === "seed") expect(run.twin_seed).toBe(run.seed + 2 ** 31);
      if (run.perturbation === "ulp") expect(run.distance[0]).toBeGreaterThan(0);
    }
    const none = res.summary[0];
    expect(none.mean_final_disagreement).toBe(0);
    expect(none.max_accuracy_diff).toBe(0);
    expect(res.warnings).toEqual([]);
    expect(readFileSync(out, "utf8")).toContain("<svg");
  });
  it("--sharpness-every: finite spectrum ends, predicted rates and per-window measured rates", async () => {
    const r = await runCli(
      ...argv(
        "twins --dataset iris --width 6 --depth 1 --pairs 1 --steps 12 --every 2 --sharpness-every 4 --perturb ulp --json",
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.sharpness_every).toBe(4);
    for (const run of res.runs) {
      expect(run.spectrum.step).toEqual([0, 4, 8]);
      for (const k of ["lambda_min", "lambda_max"])
        for (const v of run.spectrum[k]) expect(Number.isFinite(v)).toBe(true);
      for (let i = 0; i < 3; i++)
        expect(run.spectrum.lambda_min[i]).toBeLessThanOrEqual(run.spectrum.lambda_max[i]);
      expect(run.windows.map((w: { from: number; to: number }) => [w.from, w.to])).toEqual([
        [0, 4],
        [4, 8],
        [8, 12],
      ]);
      if (run.perturbation === "seed") {
        expect(run.predicted_growth_per_step).toBeNull();
        continue;
      }
      expect(Number.isFinite(run.predicted_growth_per_step)).toBe(true);
      for (const w of run.windows) {
        expect(Number.isFinite(w.measured_growth_per_step)).toBe(true);
        expect(Number.isFinite(w.predicted_growth_per_step)).toBe(true);
      }
      // the prediction at step 0 is ln max |1 − ηλ| at the spectrum ends (η = 0.05, GD)
      const [lo, hi] = [run.spectrum.lambda_min[0], run.spectrum.lambda_max[0]];
      expect(run.predicted_growth_per_step).toBeCloseTo(
        Math.log(Math.max(Math.abs(1 - 0.05 * lo), Math.abs(1 - 0.05 * hi))),
        12,
      );
    }
    expect(Number.isFinite(res.summary[0].predicted_growth_per_step)).toBe(true);
    const text = await runCli(
      ...argv(
        "twins --dataset iris --width 4 --depth 1 --pairs 1 --steps 4 --every 2 --sharpness-every 2 --perturb ulp",
      ),
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/growth\/step\s+predicted/);
    expect(text.stdout).toMatch(/ulp per window/);
  });
  it("--momentum and --weight-decay: the prediction is the heavy-ball map's spectral radius at the measured ends", async () => {
    const [eta, beta, wd] = [0.05, 0.5, 0.01];
    const r = await runCli(
      ...argv(
        `twins --dataset iris --width 6 --depth 1 --pairs 1 --steps 8 --every 2 --perturb ulp --lr ${eta} --momentum ${beta} --weight-decay ${wd} --json`,
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect([res.momentum, res.weight_decay]).toEqual([beta, wd]);
    const run = res.runs[0];
    // the ends include the L2 term: λ(H + wd·I); ρ = the larger |root| of z² − (1 + β − ηλ)z + β
    const rho = (lambda: number) => {
      const b = 1 + beta - eta * lambda;
      const disc = b * b - 4 * beta;
      return disc >= 0 ? (Math.abs(b) + Math.sqrt(disc)) / 2 : Math.sqrt(beta);
    };
    const [lo, hi] = [run.spectrum.lambda_min[0], run.spectrum.lambda_max[0]];
    expect(run.predicted_growth_per_step).toBeCloseTo(Math.log(Math.max(rho(lo), rho(hi))), 10);
    // plain SGD on the same seed differs: the momentum run is another run
    const plain = JSON.parse(
      (
        await runCli(
          ...argv(
            `twins --dataset iris --width 6 --depth 1 --pairs 1 --steps 8 --every 2 --perturb ulp --lr ${eta} --json`,
          ),
        )
      ).stdout,
    );
    expect(plain.runs[0].predicted_growth_per_step).not.toBeCloseTo(
      run.predicted_growth_per_step,
      6,
    );
  });
  it("--checkpoint keeps finished pairs; a later run with more --pairs resumes from them", async () => {
    const file = join(dir, "twins.json");
    const args = `twins --dataset iris --width 4 --depth 1 --steps 6 --every 3 --perturb ulp --checkpoint ${file} --json`;
    const first = await runCli(...argv(`${args} --pairs 1`));
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8")).runs).toHaveLength(2);
    const second = await runCli(...argv(`${args} --pairs 2`));
    expect(second.code, second.stderr).toBe(0);
    const a = JSON.parse(first.stdout);
    const b = JSON.parse(second.stdout);
    expect(b.resumed_pairs).toBe(1);
    expect(b.runs).toHaveLength(4);
    expect(b.runs.slice(0, 2)).toEqual(a.runs);
    expect(JSON.parse(readFileSync(file, "utf8")).runs).toHaveLength(4);
    // other settings, or not a checkpoint: refused before any work
    const other = await runCli(...argv(`${args.replace("--steps 6", "--steps 7")} --pairs 2`));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^critkit: --checkpoint: .*other settings/);
    const junk = join(dir, "junk.json");
    writeFileSync(junk, "{");
    const bad = await runCli(...argv(`twins --checkpoint ${junk}`));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--checkpoint: .*not a critkit twins checkpoint/);
  });
  it("Ctrl-C (SIGINT) ends the run keeping the finished pairs; rerunning resumes to the uninterrupted result", async () => {
    const file = join(dir, "interrupted.json");
    const args = argv(
      `twins --dataset iris --width 4 --depth 1 --steps 40 --every 10 --perturb ulp --json`,
    );
    // 200 pairs take ~30 s, so the signal sent at the first checkpoint write lands long before
    // the end however loaded the machine is (an 8-pair run could finish first under CI load)
    const child = spawnCli([...args, "--pairs", "200", "--checkpoint", file]);
    const ended = await signalWhenWritten(child, file, "SIGINT");
    // Ended by the signal (exit 130 from our handler while a write is pending, else the default
    // action); a run that finished before the signal arrived (exit 0) proves nothing.
    expect(["130", "SIGINT"]).toContain(ended);
    const onDisk = JSON.parse(readFileSync(file, "utf8")).runs.length;
    expect(onDisk).toBeGreaterThanOrEqual(2);
    expect(onDisk).toBeLessThan(400);
    // pair i depends only on seed + i, so the uninterrupted reference needs only the pairs compared
    const pairs = ["--pairs", String(onDisk / 2 + 1)];
    const reference = JSON.parse((await runCli(...args, ...pairs)).stdout);
    const resumed = await runCli(...args, ...pairs, "--checkpoint", file);
    expect(resumed.code, resumed.stderr).toBe(0);
    const j = JSON.parse(resumed.stdout);
    expect(j.resumed_pairs).toBe(onDisk / 2);
    expect(j.runs).toEqual(reference.runs);
  }, 90_000);
  itRejects([
    [argv("twins --checkpoint t.txt"), /--checkpoint/],
    [argv("twins --perturb ulp,nope"), /--perturb/],
    [argv("twins --perturb ulp,ulp"), /--perturb/],
    [argv("twins --pairs 0"), /--pairs/],
    [argv("twins --every 0"), /--every/],
    [argv("twins --lr -1"), /--lr/],
    [argv("twins --dataset teacher_regression"), /--dataset/],
    [argv("twins --out t.txt"), /--out/],
    [argv("twins --sharpness-every -1"), /--sharpness-every/],
    [argv("twins --momentum 1"), /--momentum/],
    [argv("twins --momentum -0.1"), /--momentum/],
    [argv("twins --weight-decay -1"), /--weight-decay/],
    [argv("twins --weight-decay nan"), /--weight-decay/],
    [argv("twins --sharpness-every 2.5"), /--sharpness-every/],
    [argv("twins --sharpness-every x"), /--sharpness-every/],
    [
      argv("twins --every 10 --sharpness-every 15"),
      /--sharpness-every: must be a multiple of --every/,
    ],
  ]);
});
