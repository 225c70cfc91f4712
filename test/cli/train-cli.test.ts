import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { shutdownJax } from "../../src/nets/jax.js";
import { argv, itRejects, runCli, spawnCli } from "./run-cli.js";

const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), "critkit-train-"));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await shutdownJax();
});

const small = argv(
  "train --dataset teacher_classification --width 12 --depth 1 --optimizer momentum --lr 0.05 --batch-size 20 --schedule warmup --warmup 5 --eval-every 10 --seed 3",
);

describe("critkit train", () => {
  it("--json: per-step curves, periodic train/test metrics, learning happens", async () => {
    const r = await runCli(...small, "--steps", "30", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.curves.step).toEqual(Array.from({ length: 30 }, (_, i) => i));
    for (const [t, lr] of (j.curves.lr as number[]).entries())
      expect(lr).toBeCloseTo(0.05 * Math.min(1, (t + 1) / 5), 15);
    expect(j.evals.step).toEqual([0, 10, 20, 30]);
    expect(j.evals.test_accuracy.at(-1)).toBeGreaterThan(j.evals.test_accuracy[0]);
    expect(j).toMatchObject({
      n_train: 400,
      n_test: 100,
      loss: "cross_entropy",
      resumed_from: null,
    });
  });

  it("writes --out curves.svg", async () => {
    const out = join(newDir(), "curves.svg");
    const r = await runCli(...small, "--steps", "10", "--out", out);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toMatch(/^<svg/);
  });

  it("a run killed (SIGKILL) at a random step resumes into bit-identical curves", async () => {
    const steps = ["--steps", "80", "--eval-every", "10"];
    const reference = JSON.parse((await runCli(...small, ...steps, "--json")).stdout);
    const dir = newDir();
    const killAt = 3 + Math.floor(Math.random() * 40);
    const child = spawnCli([
      ...small,
      ...steps,
      "--checkpoint",
      dir,
      "--checkpoint-every",
      "1",
      "--json",
    ]);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const meta = join(dir, "checkpoint.json");
    let killedAfter = -1;
    while (child.exitCode === null) {
      if (existsSync(meta)) {
        try {
          killedAfter = JSON.parse(readFileSync(meta, "utf8")).step;
        } catch {
          // The rename makes a half-written checkpoint.json impossible: fail loudly below.
          killedAfter = Number.NaN;
        }
        if (killedAfter >= killAt || Number.isNaN(killedAfter)) {
          child.kill("SIGKILL");
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await exited;
    expect(killedAfter).toBeGreaterThanOrEqual(killAt);
    expect(killedAfter).toBeLessThan(80);
    const resumed = await runCli(...small, ...steps, "--checkpoint", dir, "--resume", "--json");
    expect(resumed.code).toBe(0);
    const j = JSON.parse(resumed.stdout);
    expect(j.resumed_from).toBeGreaterThanOrEqual(killedAfter);
    expect(j.curves).toEqual(reference.curves);
    expect(j.evals).toEqual(reference.evals);
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "weights-80.bin"]);
  }, 60_000);

  it("--resume with another architecture or a corrupted file exits 2 naming the field and overwrites nothing", async () => {
    const dir = newDir();
    const first = await runCli(...small, "--steps", "6", "--checkpoint", dir);
    expect(first.code).toBe(0);
    const before = readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]);
    const other = await runCli(
      ...small.map((a) => (a === "12" ? "16" : a)),
      ...argv(`--steps 6 --checkpoint ${dir} --resume`),
    );
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^critkit: --resume: config\.width: .*width=12.*width=16/);
    const again = await runCli(...small, ...argv(`--steps 6 --checkpoint ${dir}`));
    expect(again.stderr).toMatch(/--checkpoint: .*already holds a checkpoint/);
    writeFileSync(join(dir, "weights-6.bin"), "garbage");
    const corrupt = await runCli(...small, ...argv(`--steps 6 --checkpoint ${dir} --resume`));
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(/--resume: weights-6\.bin: has 7 bytes/);
    expect(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")])).toEqual(
      before.map(([f, c]) => [f, f === "weights-6.bin" ? "garbage" : c]),
    );
  });
});

describe("critkit train: bad input", () => {
  itRejects([
    [argv("train --optimizer rmsprop"), /--optimizer/],
    [argv("train --lr 0"), /--lr: must be > 0/],
    [argv("train --lr -1"), /--lr/],
    [argv("train --steps 0"), /--steps/],
    [argv("train --batch-size -2"), /--batch-size/],
    [argv("train --wd-mode l1"), /--wd-mode/],
    [argv("train --weight-decay -0.1"), /--weight-decay/],
    [argv("train --schedule step"), /--schedule/],
    [argv("train --schedule cosine --steps 10 --warmup 10"), /--warmup/],
    [argv("train --dataset mnist"), /--dataset/],
    [argv("train --momentum 1"), /--momentum/],
    [argv("train --resume"), /--resume: needs --checkpoint/],
    [argv("train --out curves.pdf"), /--out: must end in .svg or .png/],
    [argv("train --parametrization standard-ish"), /--parametrization/],
  ]);
});

describe("critkit train --parametrization", () => {
  // the abc symmetry (Tensor Programs IV) through the whole command: mean-field is µP written
  // with hidden ω·√n, multiplier /√n and lr ·n, so the same base lr trains the same function —
  // only if the per-layer lr factors reach the optimizer (momentum, minibatches, warm-up)
  const curves = (opt: string) => async (p: string) => {
    const r = await runCli(
      ...small,
      ...argv(
        `--depth 2 --steps 12 --eval-every 6 --dtype float64 --parametrization ${p} ${opt} --json`,
      ),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.parametrization).toBe(p);
    return [...j.curves.loss, ...j.evals.train_loss, ...j.evals.test_loss] as number[];
  };
  it("mean-field and mup give the same curves (float64), sp another", async () => {
    const run = async (p: string) => {
      const r = await runCli(
        ...small,
        ...argv(
          `--depth 2 --steps 12 --eval-every 6 --dtype float64 --parametrization ${p} --json`,
        ),
      );
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.parametrization).toBe(p);
      return [...j.curves.loss, ...j.evals.train_loss, ...j.evals.test_loss] as number[];
    };
    const mf = await run("mean-field");
    const mup = await run("mup");
    const sp = await run("sp");
    for (const [i, v] of mup.entries()) {
      expect(Number.isFinite(v)).toBe(true);
      expect(Math.abs(mf[i]! - v)).toBeLessThan(1e-10 * v);
    }
    expect(mup.at(-1)!).toBeLessThan(mup[0]!); // it trained
    expect(Math.max(...sp.map((v, i) => Math.abs(v - mup[i]!) / mup[i]!))).toBeGreaterThan(1e-2);
  });
  // Adam's column: mean-field's hidden Adam factor 1/√n is µP's 1/n times θ = √n (Adam ignores
  // the gradient's scale), so the curves agree up to Adam's ε (1e-8, not rescaled by θ): with
  // the SGD column's factors (hidden n vs 1) under Adam they would differ at O(1)
  it("adam: mean-field and mup give the same curves up to ε, sp another", async () => {
    const run = curves("--optimizer adam --lr 0.01");
    const mf = await run("mean-field");
    const mup = await run("mup");
    const sp = await run("sp");
    for (const [i, v] of mup.entries()) {
      expect(Number.isFinite(v)).toBe(true);
      expect(Math.abs(mf[i]! - v)).toBeLessThan(1e-5 * v);
    }
    expect(mup.at(-1)!).toBeLessThan(mup[0]!);
    expect(Math.max(...sp.map((v, i) => Math.abs(v - mup[i]!) / mup[i]!))).toBeGreaterThan(1e-2);
  });
});
