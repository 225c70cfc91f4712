/**
 * Training checkpoints: a folder with `checkpoint.json` (metadata) and `weights-<step>.bin`
 * (parameters, then each optimizer slot, leaf by leaf, little-endian float32/float64).
 *
 * The metadata holds the run's config and its SHA-256 (a checkpoint only resumes the run it was
 * written for), the step, the parameter and optimizer-slot shapes, the optimizer's step count,
 * the data-order position (seed, epoch, batch: the loop's whole RNG state, see ./loop.ts), the
 * metrics so far, and the weights file's name, size and SHA-256.
 *
 * Writes are atomic against a kill at any moment: the weights go to a temporary file that is
 * renamed into place, then the metadata the same way (the rename of checkpoint.json is the commit
 * point), then older weights files and temporaries left by a killed writer are removed. A reader therefore sees the previous complete
 * checkpoint or the new one, never a mix. Loading checks everything before building any array and
 * throws InputError naming the offending field; it never writes.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";
import { type JaxArray, type JaxModule, readF64 } from "../nets/jax.js";
import type { JaxParams } from "../nets/stax.js";
import { batchPosition, type TrainHistory, type TrainState } from "../train/loop.js";

export const CHECKPOINT_FORMAT = "critkit-train-checkpoint";
export const CHECKPOINT_VERSION = 1;
const META = "checkpoint.json";

/** A JSON-serialisable description of the run (architecture, data, optimizer, schedule, seeds). */
export type RunConfig = Record<string, string | number | boolean | null>;

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  configHash: string;
  config: RunConfig;
  dtype: "float32" | "float64";
  step: number;
  /** Parameter leaves in jax.tree flatten order. */
  params: { shape: number[] }[];
  treedef: string;
  optimizer: { t: number; slots: string[] };
  rng: { seed: number; epoch: number; batch: number };
  weights: { file: string; bytes: number; sha256: string };
  history: TrainHistory;
}

/** SHA-256 of the config with keys sorted (order-independent). */
export function configHash(config: RunConfig): string {
  const sorted = Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex");
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, META));
}

/** Writes `state` to `dir` atomically (reads the arrays without consuming them). */
export async function saveCheckpoint(
  jax: JaxModule,
  dir: string,
  state: TrainState,
  run: {
    config: RunConfig;
    dtype: "float32" | "float64";
    seed: number;
    batchSize: number;
    nTrain: number;
  },
): Promise<void> {
  const [leaves, def] = jax.tree.flatten(state.params) as [JaxArray[], { toString(): string }];
  const slots = Object.keys(state.opt.slots).sort();
  const arrays = [...leaves, ...slots.flatMap((s) => state.opt.slots[s]!)];
  const chunks: Uint8Array[] = [];
  for (const a of arrays) {
    const v = await readF64(a.ref);
    const typed = run.dtype === "float64" ? v : Float32Array.from(v);
    chunks.push(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
  }
  const bytes = Buffer.concat(chunks);
  const file = `weights-${state.step}.bin`;
  mkdirSync(dir, { recursive: true });
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    configHash: configHash(run.config),
    config: run.config,
    dtype: run.dtype,
    step: state.step,
    params: leaves.map((a) => ({ shape: [...a.shape] })),
    treedef: def.toString(),
    optimizer: { t: state.opt.t, slots },
    rng: { seed: run.seed, ...batchPosition(state.step, run.nTrain, run.batchSize) },
    weights: { file, bytes: bytes.length, sha256: sha256(bytes) },
    history: state.history,
  };
  atomicWrite(join(dir, file), bytes);
  atomicWrite(join(dir, META), JSON.stringify(meta));
  // Older weights, and temporaries a killed writer left behind (one writer per folder).
  for (const f of readdirSync(dir))
    if (
      (/^weights-\d+\.bin$/.test(f) && f !== file) ||
      /^(weights-\d+\.bin|checkpoint\.json)\.tmp-\d+$/.test(f)
    )
      rmSync(join(dir, f), { force: true });
}

function atomicWrite(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Loads the checkpoint in `dir` for the run described by `config`, whose freshly initialized
 * `template` parameters fix the tree structure, shapes and dtype (template is not consumed).
 */
export function loadCheckpoint(
  jax: JaxModule,
  dir: string,
  expected: {
    config: RunConfig;
    dtype: "float32" | "float64";
    template: JaxParams;
    slots: readonly string[];
  },
): TrainState {
  const metaPath = join(dir, META);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, "utf8"));
  } catch (e) {
    throw new InputError(
      META,
      `cannot be read as JSON in ${dir} (${(e as Error).message.split("\n")[0]})`,
    );
  }
  if (meta?.format !== CHECKPOINT_FORMAT || meta.version !== CHECKPOINT_VERSION)
    throw new InputError(
      `${META}.format`,
      `is not a ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION} file`,
    );
  checkConfig(meta.config, expected.config);
  if (meta.configHash !== configHash(meta.config))
    throw new InputError(
      `${META}.configHash`,
      "does not match its config (file edited or corrupted)",
    );
  if (meta.dtype !== expected.dtype)
    throw new InputError(`${META}.dtype`, `is ${meta.dtype}, this run uses ${expected.dtype}`);
  const [leaves, def] = jax.tree.flatten(expected.template) as [JaxArray[], { toString(): string }];
  if (
    meta.treedef !== def.toString() ||
    !Array.isArray(meta.params) ||
    meta.params.length !== leaves.length
  )
    throw new InputError(`${META}.params`, "parameter structure differs from this architecture");
  leaves.forEach((a, i) => {
    const got = meta.params[i]?.shape;
    if (!Array.isArray(got) || got.join(",") !== a.shape.join(","))
      throw new InputError(
        `${META}.params[${i}].shape`,
        `is [${String(got)}], this architecture has [${a.shape.join(",")}]`,
      );
  });
  const slots = [...expected.slots].sort();
  if (JSON.stringify(meta.optimizer?.slots) !== JSON.stringify(slots))
    throw new InputError(
      `${META}.optimizer.slots`,
      `are [${String(meta.optimizer?.slots)}], expected [${slots}]`,
    );
  const h = meta.history;
  if (
    !Number.isInteger(meta.step) ||
    meta.step < 0 ||
    h?.steps?.length !== meta.step ||
    !Array.isArray(h.evals)
  )
    throw new InputError(`${META}.step`, "is inconsistent with the recorded metrics");

  const w = meta.weights;
  if (typeof w?.file !== "string" || !/^weights-\d+\.bin$/.test(w.file))
    throw new InputError(`${META}.weights.file`, "is missing or not a weights-<step>.bin name");
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, w.file));
  } catch {
    throw new InputError(w.file, `is missing from ${dir}`);
  }
  const size = meta.dtype === "float64" ? 8 : 4;
  const count = leaves.reduce((s, a) => s + a.size, 0) * (1 + slots.length);
  if (bytes.length !== count * size || w.bytes !== bytes.length)
    throw new InputError(
      w.file,
      `has ${bytes.length} bytes, expected ${count * size} (truncated?)`,
    );
  if (sha256(bytes) !== w.sha256) throw new InputError(w.file, "SHA-256 mismatch (corrupted)");

  const np = jax.numpy;
  const values =
    meta.dtype === "float64"
      ? new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
      : new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  let offset = 0;
  const take = (shape: readonly number[]) => {
    const n = shape.reduce((p, s) => p * s, 1);
    const v = values.slice(offset, offset + n);
    offset += n;
    return np.array(v, {
      shape: [...shape],
      dtype: meta.dtype === "float64" ? np.float64 : np.float32,
    });
  };
  const params = jax.tree.unflatten(
    def as never,
    leaves.map((a) => take(a.shape)),
  ) as JaxParams;
  const slotArrays: Record<string, JaxArray[]> = {};
  for (const s of slots) slotArrays[s] = leaves.map((a) => take(a.shape));
  return { params, opt: { t: meta.optimizer.t, slots: slotArrays }, step: meta.step, history: h };
}

/** Throws InputError naming the first config field that differs. */
function checkConfig(saved: RunConfig | undefined, want: RunConfig): void {
  if (!saved || typeof saved !== "object") throw new InputError(`${META}.config`, "is missing");
  for (const k of new Set([...Object.keys(want), ...Object.keys(saved)]))
    if (saved[k] !== want[k])
      throw new InputError(
        `config.${k}`,
        `the checkpoint was written with ${k}=${JSON.stringify(saved[k])}, this run has ${k}=${JSON.stringify(want[k])}`,
      );
}
