/**
 * Worker thread of bench/apjn.ts: holds the benchmark's network (its own jax-js instance) and, per
 * message { runs, seed }, measures `runs` APJNs on independent inputs and probes (seeds seed + i),
 * replying { logJ } with the last one's log J^{0,l}. The network is the one bench/apjn.ts times on
 * the main thread (same seed), so the work per APJN is the same.
 */
import { parentPort } from "node:worker_threads";
import { apjnEmpirical, type Block } from "../src/diagnostics/apjn.js";
import { loadJax } from "../src/nets/jax.js";
import { instantiate } from "../src/nets/network.js";
import { Rng } from "../src/rng.js";
import { benchArchitecture, PROBES, WIDTH } from "./apjn-network.js";

const port = parentPort!;
const jax = await loadJax();
const net = await instantiate(benchArchitecture(), 1, "float32");
const blocks = net.blocks as Block[];

async function measure(seed: number): Promise<Float64Array> {
  const x = jax.numpy.array(Float32Array.from(new Rng(seed).normals(WIDTH)), { shape: [1, WIDTH] });
  try {
    return (await apjnEmpirical(blocks, x, { probes: PROBES, seed: seed + 1 })).logJ;
  } finally {
    x.dispose();
  }
}

port.on("message", async ({ runs, seed }: { runs: number; seed: number }) => {
  let logJ: Float64Array = new Float64Array(0);
  for (let i = 0; i < runs; i++) logJ = await measure(seed + 2 * i);
  port.postMessage({ logJ });
});
port.postMessage({ ready: true });
