/** The network of the APJN benchmark (bench/apjn.ts, bench/apjn-worker.ts, bench/apjn_ref.py). */
import { mlpArchitecture } from "../src/nets/network.js";
import { activation } from "../src/theory/activations.js";

export const WIDTH = 512;
export const DEPTH = 50;
export const PROBES = 16;
export const SW2 = 1.76;
export const SB2 = 0.05;

/** critkit's own tanh MLP blocks (src/nets/stax.ts) with their hand-written forward-mode rules. */
export const benchArchitecture = () =>
  mlpArchitecture({
    activations: [activation("tanh")],
    sigmaW2: SW2,
    sigmaB2: SB2,
    width: WIDTH,
    depth: DEPTH,
  });
