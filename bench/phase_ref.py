#!/usr/bin/env python3
"""numpy reference for the theory benchmark: the tanh phase diagram by mean-field recursion.

Grid: sigma_w^2 = linspace(0.5, 4, N) (x, index ix), sigma_b^2 = linspace(0, 0.5, N) (y, index iy);
flat index k = iy * N + ix (row-major like a heatmap z[iy][ix]).
For every grid point, from q^0 = 1 and for l = 0 .. L-1:
    logJ += log(sigma_w^2 * E[tanh'(sqrt(q^l) z)^2])
    q^{l+1} = sigma_w^2 * E[tanh(sqrt(q^l) z)^2] + sigma_b^2
with z ~ N(0, 1) expectations by Gauss-Hermite(e) quadrature of order K (weights normalised to
sum 1), vectorised over the whole grid ([N*N, K] arrays per layer).

Prints ONE JSON line (the last line of stdout):
  {"ms": median wall ms of --repeats runs, "runs_ms": [...], "checksum": sum(final logJ),
   "logJ_sample": [...], "sample_index": [...], "sample_sw2": [...], "sample_sb2": [...],
   "grid": N, "depth": L, "order": K, "numpy": version, "blas": {...}}
"""

import argparse
import json
import os
import sys
import time

try:
    import numpy as np
except ImportError:  # reported as an error object by bench/numpy.ts
    print(json.dumps({"error": "numpy is not installed for " + sys.executable}))
    sys.exit(3)

from blas_info import blas_info  # noqa: E402  (bench/ is the script's folder)


def phase_logj(n: int, depth: int, order: int) -> np.ndarray:
    sw2 = np.linspace(0.5, 4.0, n)
    sb2 = np.linspace(0.0, 0.5, n)
    SW2, SB2 = np.meshgrid(sw2, sb2, indexing="xy")  # SW2[iy, ix] = sw2[ix]
    sw2f = SW2.ravel()
    sb2f = SB2.ravel()
    z, w = np.polynomial.hermite_e.hermegauss(order)
    w = w / w.sum()
    q = np.ones(n * n)
    logj = np.zeros(n * n)
    for _ in range(depth):
        h = np.sqrt(q)[:, None] * z[None, :]  # [G, K]
        t = np.tanh(h)
        t2 = t * t
        e_phi2 = t2 @ w  # E[tanh^2]
        d = 1.0 - t2  # tanh' = 1 - tanh^2
        e_dphi2 = (d * d) @ w  # E[tanh'^2]
        logj += np.log(sw2f * e_dphi2)
        q = sw2f * e_phi2 + sb2f
    return logj


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grid", type=int, default=256)
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--order", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    n = a.grid
    runs = []
    logj = None
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        logj = phase_logj(n, a.depth, a.order)
        runs.append((time.perf_counter() - t0) * 1e3)
    assert logj is not None
    mid = (n // 2) * n + n // 2
    idx = sorted({0, n - 1, (n - 1) * n, n * n - 1, mid})
    sw2 = np.linspace(0.5, 4.0, n)
    sb2 = np.linspace(0.0, 0.5, n)
    out = {
        "ms": float(np.median(runs)),
        "runs_ms": [round(r, 3) for r in runs],
        "checksum": float(logj.sum()),
        "logJ_sample": [float(logj[k]) for k in idx],
        "sample_index": idx,
        "sample_sw2": [float(sw2[k % n]) for k in idx],
        "sample_sb2": [float(sb2[k // n]) for k in idx],
        "grid": n,
        "depth": a.depth,
        "order": a.order,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "blas": blas_info(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
