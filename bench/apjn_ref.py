"""numpy reference for bench/apjn.ts: empirical APJN of a tanh MLP, forward mode.

Same products as critkit's engine: one forward pass of the input and P = 16 Jacobian-vector
products (Hutchinson probes) carried through all layers in row layout, T <- (T * tanh'(h)) @ W^T,
with every tangent row renormalised after each layer and its squared norm kept (float32).
Prints JSON {"ms": median wall time of one full APJN evaluation, ...}.

Usage: apjn_ref.py [runs] [weights.f32]. With a weights file (raw float32, written by
bench/apjn.ts: W_l as [out, in] for l = 1..L, then b_l, then the input x, then the probes V [P, N])
it times and reports log J for exactly critkit's network and probes ("logJ"), so the two can be
compared; without one it draws its own.
"""

import json
import sys
import time

import numpy as np

from blas_info import blas_info

WIDTH, DEPTH, PROBES = 512, 50, 16
SIGMA_W2, SIGMA_B2 = 1.76, 0.05
DTYPE = np.float32


def apjn_log(wts, bs, x, v):
    """log J^{0,l} for l = 1..L (Hutchinson mean over probes), plus per-layer row norms."""
    h = x
    t = v
    log_scale = np.zeros(t.shape[0], dtype=np.float64)
    log_j = np.empty(len(wts))
    for layer, (wt, b) in enumerate(zip(wts, bs)):
        phi = np.tanh(h)
        deriv = 1 - phi * phi
        h = phi @ wt + b
        t = (t * deriv) @ wt
        sq = np.einsum("ij,ij->i", t, t)
        t /= np.sqrt(sq)[:, None]
        log_scale += np.log(sq.astype(np.float64))
        m = log_scale.max()
        log_j[layer] = m + np.log(np.mean(np.exp(log_scale - m))) - np.log(t.shape[1])
    return log_j


def load_or_draw(path):
    """(wts, bs, x, v) with wt[l] = W_l^T of shape [in, out]: h_{l+1} = tanh(h_l) @ wt + b."""
    n, depth, p = WIDTH, DEPTH, PROBES
    if path:
        flat = np.fromfile(path, dtype=np.float32)
        expected = depth * n * n + depth * n + n + p * n
        if flat.size != expected:
            raise SystemExit(json.dumps({"error": f"{path}: {flat.size} floats, expected {expected}"}))
        w = flat[: depth * n * n].reshape(depth, n, n)
        off = depth * n * n
        bs = list(flat[off : off + depth * n].reshape(depth, n))
        off += depth * n
        x = flat[off : off + n].reshape(1, n).copy()
        v = flat[off + n :].reshape(p, n).copy()
        return [np.ascontiguousarray(w[l].T) for l in range(depth)], bs, x, v
    rng = np.random.default_rng(0)
    std_w = np.sqrt(SIGMA_W2 / n)
    wts = [(rng.standard_normal((n, n)) * std_w).astype(DTYPE) for _ in range(depth)]
    bs = [(rng.standard_normal(n) * np.sqrt(SIGMA_B2)).astype(DTYPE) for _ in range(depth)]
    x = rng.standard_normal((1, n)).astype(DTYPE)
    v = rng.standard_normal((p, n)).astype(DTYPE)
    return wts, bs, x, v


def main():
    wts, bs, x, v = load_or_draw(sys.argv[2] if len(sys.argv) > 2 else None)

    for _ in range(5):
        apjn_log(wts, bs, x, v)
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 31
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        log_j = apjn_log(wts, bs, x, v)
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    print(
        json.dumps(
            {
                "ms": times[len(times) // 2],
                "minMs": times[0],
                "runs": runs,
                "numpy": np.__version__,
                "blas": blas_info(),
                "logJ": [float(a) for a in log_j],
            }
        )
    )


if __name__ == "__main__":
    main()
