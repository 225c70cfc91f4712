/**
 * Empirical APJN of a tanh MLP (width 512, depth 50, σ_w² = 1.76, σ_b² = 0.05, 1 input,
 * 16 Hutchinson probes, float32) with critkit's engine, against bench/apjn_ref.py (numpy doing
 * the same products: forward pass + 16 JVP tangents, renormalised per layer).
 *
 * Rows: critkit's stax MLP with its hand-written jvp rules (the fast path), and with the generic
 * autodiff rule (jvp of `apply` on a replicated primal). Times are medians of repeated full
 * `apjnEmpirical` calls after warm-up (first-call tracing/compilation excluded), probe generation
 * and read-back included. The worker pool is whatever `loadJax()` chose (CRITKIT_WORKERS); the
 * note says which. numpy gets exactly the same weights, input and probes (a temporary float32 file)
 * and the note reports the largest log J difference between the two, per layer.
 *
 * The first two rows use both cores coarse-grained: independent APJNs (other inputs and probes)
 * on 1 and on 2 worker threads, each thread with its own jax-js instance (bench/apjn-worker.ts),
 * timed as wall ms per APJN; numpy computes one APJN at a time with its 2-thread BLAS.
 */
import { rm, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { apjnEmpirical, type Block } from "../src/diagnostics/apjn.js";
import { dispose, jaxRuntime, loadJax } from "../src/nets/jax.js";
import { instantiate, sampleParams } from "../src/nets/network.js";
import type { HostTensor } from "../src/nets/stax.js";
import { spawnThread } from "../src/node/parallel.js";
import { Rng } from "../src/rng.js";
import { benchArchitecture, DEPTH, PROBES, WIDTH } from "./apjn-network.js";
import { isNumpyError, runNumpy } from "./numpy.js";
import type { BenchRow } from "./types.js";

/**
 * The benchmarked network is critkit's own: `mlpArchitecture` blocks from src/nets/stax.ts with
 * their hand-written forward-mode rules (W stored [out, in], tanh written to fuse), or, for the
 * second row, the same blocks differentiated by jax-js autodiff.
 */
function network() {
  const arch = benchArchitecture();
  const host = sampleParams(arch, 1) as Array<Array<{ w: HostTensor; b: HostTensor }>>;
  return { arch, host };
}

/**
 * Throughput of independent APJNs (other inputs and probes, same network) on `threads` worker
 * threads, each with its own jax-js (bench/apjn-worker.ts): wall ms per APJN, best of `rounds`
 * rounds of `runs` APJNs per thread, after a warm-up round.
 */
async function threadedMsPerApjn(threads: number, runs: number, rounds: number) {
  const workers = Array.from({ length: threads }, () =>
    spawnThread(new URL("./apjn-worker.ts", import.meta.url)),
  );
  const reply = (w: Worker) =>
    new Promise<{ logJ?: Float64Array }>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
  try {
    await Promise.all(workers.map(reply)); // ready
    const round = async (n: number, base: number) => {
      const t0 = performance.now();
      const out = workers.map(reply);
      for (const [i, w] of workers.entries()) w.postMessage({ runs: n, seed: base + 1000 * i });
      await Promise.all(out);
      return (performance.now() - t0) / (n * threads);
    };
    await round(2, 10_000);
    const ms: number[] = [];
    for (let r = 0; r < rounds; r++) ms.push(await round(runs, 100 * r));
    return ms;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function medianMs(f: () => Promise<unknown>, warmup: number, runs: number) {
  for (let i = 0; i < warmup; i++) await f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[runs >> 1], min: times[0] };
}

/** Rounds of (numpy, critkit) timings: the machine is shared, so the load drifts between runs. */
const ROUNDS = 3;

export async function run(): Promise<BenchRow[]> {
  const jax = await loadJax();
  const rt = jaxRuntime();
  const np = jax.numpy;
  const setting = rt.workers ? `workers on (${rt.threads} threads)` : "workers off (main thread)";
  const xData = Float32Array.from(new Rng(2).normals(WIDTH));
  const x = np.array(xData, { shape: [1, WIDTH] });
  const { arch, host } = network();
  const net = await instantiate(arch, 1, "float32");
  const hand: Block[] = net.blocks as Block[];
  const generic: Block[] = net.blocks.map((b) => ({ apply: b.apply, params: b.params })) as Block[];
  // the dense layer of block l is its last layer: W_l [out, in], b_l
  const raw = host.flatMap((p) => [
    Float32Array.from(p[p.length - 1]!.w.data),
    Float32Array.from(p[p.length - 1]!.b.data),
  ]);
  const opts = { probes: PROBES, seed: 3 };
  const script = new URL("./apjn_ref.py", import.meta.url);
  // The same network and probes for numpy: W_l [out, in], b_l, x, then the engine's probes
  // (apjnEmpirical draws them as Rng(seed).normals(P·B·N), rounded to f32).
  const probes = Float32Array.from(new Rng(opts.seed).normals(PROBES * WIDTH));
  const weightsFile = join(tmpdir(), `critkit-apjn-${process.pid}.f32`);
  const ws = raw.filter((_, i) => i % 2 === 0);
  const bs = raw.filter((_, i) => i % 2 === 1);
  await writeFile(
    weightsFile,
    Buffer.concat([...ws, ...bs, xData, probes].map((a) => Buffer.from(a.buffer))),
  );

  // Each round times numpy (median of 21) then critkit (median of 11); each side keeps its best
  // round's median, so a burst of load from other processes does not decide the ratio.
  let ours: Float64Array = new Float64Array(0);
  let refLogJ: number[] | undefined;
  const handMs: number[] = [];
  const refMs: number[] = [];
  const refMinMs: number[] = [];
  const loadBefore = loadavg()[0];
  let refError = "";
  for (let round = 0; round < ROUNDS; round++) {
    const ref = await runNumpy(script, ["21", weightsFile]);
    if (isNumpyError(ref)) refError = ref.error;
    else {
      refMs.push(ref.ms);
      refMinMs.push(ref.minMs as number);
      refLogJ = ref.logJ as number[];
    }
    const m = await medianMs(
      async () => {
        ours = (await apjnEmpirical(hand, x, opts)).logJ;
      },
      round === 0 ? 3 : 1,
      11,
    );
    handMs.push(m.median);
  }
  const genericMs = await medianMs(() => apjnEmpirical(generic, x, opts), 2, 7);
  const threaded = [];
  for (const threads of [1, 2])
    threaded.push({ threads, ms: await threadedMsPerApjn(threads, 12, 3) });

  net.dispose();
  dispose(x);
  await rm(weightsFile, { force: true });
  const agreement = refLogJ
    ? `max |log J − numpy log J| over 50 layers = ${Math.max(...refLogJ.map((v, l) => Math.abs(v - ours[l]))).toExponential(1)}`
    : "no numpy log J to compare";

  const best = (xs: number[]) => Math.min(...xs);
  const fmt = (xs: number[]) => xs.map((v) => v.toFixed(1)).join("/");
  const ms = best(handMs);
  const referenceMs = refMs.length > 0 ? best(refMs) : undefined;
  const sizes = `width ${WIDTH}, depth ${DEPTH}, 1 input × ${PROBES} probes, f32, ${setting}`;
  const refNote =
    referenceMs === undefined
      ? `numpy reference unavailable: ${refError}`
      : `numpy round medians ${fmt(refMs)} ms (fastest single run ${best(refMinMs).toFixed(1)} ms)`;
  // numpy's 2-thread BLAS slows down several-fold when another process holds a core; say so.
  const load = `1-min load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`;
  const threadRows: BenchRow[] = threaded.map(({ threads, ms: t }) => ({
    name: `APJN tanh MLP 512×50, 16 probes, ${threads} worker thread${threads > 1 ? "s" : ""}`,
    ms: best(t),
    referenceMs,
    ratio: referenceMs ? best(t) / referenceMs : undefined,
    note: `wall ms per APJN over independent inputs/probes on ${threads} worker thread(s), each with its own jax-js (no jax-js pool); best of rounds ${fmt(t)} ms (12 APJNs per thread per round); numpy: one APJN at a time with its own 2-thread BLAS; ${load}`,
  }));
  return [
    ...threadRows,
    {
      name: "APJN tanh MLP 512×50, 16 probes (hand jvp rule)",
      ms,
      referenceMs,
      ratio: referenceMs ? ms / referenceMs : undefined,
      note: `${sizes}; best of round medians ${fmt(handMs)} ms; ${refNote}; ${load}; log J^{0,50} = ${ours[DEPTH - 1].toFixed(4)}; ${agreement}`,
    },
    {
      name: "APJN tanh MLP 512×50, 16 probes (generic autodiff jvp)",
      ms: genericMs.median,
      referenceMs,
      ratio: referenceMs ? genericMs.median / referenceMs : undefined,
      note: `${sizes}; jvp of apply on the primal replicated per probe (+ zero parameter tangents); min ${genericMs.min.toFixed(1)} ms`,
    },
  ];
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!);
if (isMain) {
  for (const row of await run()) console.log(JSON.stringify(row));
}
