import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainingSet } from "../../src/data/training.js";
import type { InputError } from "../../src/errors.js";
import type { JaxArray } from "../../src/nets/jax.js";
import { type JaxModule, loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import { loadCheckpoint, type RunConfig, saveCheckpoint } from "../../src/node/checkpoint.js";
import { initialState, type TrainConfig, type TrainState, train } from "../../src/train/loop.js";
import { tinyParams, tinyTask } from "../train/helpers.js";

let jax: JaxModule;
const dirs: string[] = [];
beforeAll(async () => {
  jax = await loadJax();
});
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await shutdownJax();
});

const data = trainingSet("teacher_classification", { seed: 1, n: 120, inputDim: 4, outputs: 3 });
const cfg: TrainConfig = {
  steps: 16,
  batchSize: 10,
  optimizer: { name: "adam" },
  lr: 0.02,
  schedule: "cosine",
  warmup: 3,
  evalEvery: 5,
  seed: 9,
  dtype: "float32",
};
const run: RunConfig = { width: 8, depth: 1, steps: 16, seed: 9 };
const saveOpts = {
  config: run,
  dtype: "float32" as const,
  seed: 9,
  batchSize: 10,
  nTrain: data.train.n,
};
const fresh = () => initialState(jax, tinyParams(jax, 4, [4, 8, 3], "float32"), cfg.optimizer);
const slots = ["m", "v"];

async function flat(s: TrainState): Promise<number[]> {
  const out: number[] = [];
  for (const a of jax.tree.leaves(s.params) as JaxArray[]) out.push(...(await readF64(a)));
  jax.tree.dispose(s.opt.slots as never);
  return out;
}

/** Trains up to `stopAt` updates, saving after each, then stops as a crash would. */
async function interrupted(dir: string, stopAt: number): Promise<void> {
  await train(jax, tinyTask(jax, "ce"), data, cfg, fresh(), {
    afterStep: async (s) => {
      await saveCheckpoint(jax, dir, s, saveOpts);
      if (s.step === stopAt) throw new Error("interrupted");
    },
  }).catch((e: Error) => {
    if (e.message !== "interrupted") throw e;
  });
}

const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), "critkit-ckpt-"));
  dirs.push(d);
  return d;
};

function loadError(dir: string, config: RunConfig = run): InputError {
  const template = fresh();
  try {
    loadCheckpoint(jax, dir, { config, dtype: "float32", template: template.params, slots });
  } catch (e) {
    return e as InputError;
  } finally {
    jax.tree.dispose([template.params, template.opt.slots] as never);
  }
  throw new Error("expected an InputError");
}

describe("checkpoints", () => {
  it("resume after an interruption continues bit-identically (metrics and parameters)", async () => {
    const full = await train(jax, tinyTask(jax, "ce"), data, cfg, fresh());
    const dir = newDir();
    await interrupted(dir, 7);
    const template = fresh();
    const loaded = loadCheckpoint(jax, dir, {
      config: run,
      dtype: "float32",
      template: template.params,
      slots,
    });
    jax.tree.dispose([template.params, template.opt.slots] as never);
    expect(loaded.step).toBe(7);
    const resumed = await train(jax, tinyTask(jax, "ce"), data, cfg, loaded);
    expect(resumed.history).toEqual(full.history);
    expect(await flat(resumed)).toEqual(await flat(full));
    // Only the latest weights file is kept.
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "weights-7.bin"]);
  });

  it("bad checkpoints are InputErrors naming the field, and the files are left as they were", async () => {
    const dir = newDir();
    await interrupted(dir, 2);
    const meta = readFileSync(join(dir, "checkpoint.json"), "utf8");
    const weights = readFileSync(join(dir, "weights-2.bin"));

    expect(loadError(dir, { ...run, width: 16 }).field).toBe("config.width");
    const other = JSON.parse(meta);
    other.params[0].shape = [4, 9];
    writeFileSync(join(dir, "checkpoint.json"), JSON.stringify(other));
    expect(loadError(dir).field).toBe("checkpoint.json.params[0].shape");

    writeFileSync(join(dir, "checkpoint.json"), meta.slice(0, meta.length / 2));
    expect(loadError(dir).field).toBe("checkpoint.json");
    writeFileSync(join(dir, "checkpoint.json"), meta);

    truncateSync(join(dir, "weights-2.bin"), weights.length - 4);
    const e = loadError(dir);
    expect(e.field).toBe("weights-2.bin");
    expect(e.message).toMatch(/truncated/);

    const flipped = Buffer.from(weights);
    flipped[17]! ^= 0x40;
    writeFileSync(join(dir, "weights-2.bin"), flipped);
    expect(loadError(dir).message).toMatch(/SHA-256 mismatch/);

    // Loading never writes: the folder holds exactly what the test put there.
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "weights-2.bin"]);
    expect(readFileSync(join(dir, "checkpoint.json"), "utf8")).toBe(meta);
  });
});
