"""numpy reference for bench/train.ts: one SGD step of a ReLU MLP, float32.

The same step as critkit's trainer: forward h1 = relu(x W1 + b1), h2 = relu(h1 W2 + b2),
f = h2 W3 + b3 (all 512 wide), loss = ½ mean over the batch of ‖f − y‖², backward by hand, and
p ← p − lr·∇p for every weight and bias. Prints JSON {"ms": median wall ms of one step, ...,
"loss": the loss before the first update, "loss2": the loss before the second}.

Usage: train_ref.py [runs] [data.f32]. The data file (raw float32, written by bench/train.ts)
holds W1, W2, W3 as [in, out], then x [256, 512], then y [256, 512]; biases start at 0.
"""

import json
import sys
import time

import numpy as np

from blas_info import blas_info

N, WIDTH, LAYERS, LR = 256, 512, 3, 0.01
DTYPE = np.float32


def step(params, x, y, lr):
    """One forward + backward + update in place; returns the loss before the update."""
    hs = [x]
    zs = []
    for i, (w, b) in enumerate(params):
        z = hs[-1] @ w + b
        zs.append(z)
        hs.append(np.maximum(z, 0) if i < len(params) - 1 else z)
    r = hs[-1] - y
    loss = 0.5 * float(np.sum(r * r)) / N
    g = r * DTYPE(1.0 / N)
    for i in range(len(params) - 1, -1, -1):
        w, b = params[i]
        gw = hs[i].T @ g
        gb = g.sum(axis=0)
        if i > 0:
            g = (g @ w.T) * (zs[i - 1] > 0)
        w -= DTYPE(lr) * gw
        b -= DTYPE(lr) * gb
    return loss


def load(path):
    flat = np.fromfile(path, dtype=np.float32)
    expected = LAYERS * WIDTH * WIDTH + 2 * N * WIDTH
    if flat.size != expected:
        raise SystemExit(json.dumps({"error": f"{path}: {flat.size} floats, expected {expected}"}))
    ws = flat[: LAYERS * WIDTH * WIDTH].reshape(LAYERS, WIDTH, WIDTH)
    off = LAYERS * WIDTH * WIDTH
    x = flat[off : off + N * WIDTH].reshape(N, WIDTH).copy()
    y = flat[off + N * WIDTH :].reshape(N, WIDTH).copy()
    return [(ws[i].copy(), np.zeros(WIDTH, dtype=DTYPE)) for i in range(LAYERS)], x, y


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 31
    params, x, y = load(sys.argv[2])
    loss = step(params, x, y, LR)
    loss2 = step(params, x, y, LR)
    for _ in range(3):
        step(params, x, y, LR)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        step(params, x, y, LR)
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    print(
        json.dumps(
            {
                "ms": times[len(times) // 2],
                "minMs": times[0],
                "runs": runs,
                "loss": loss,
                "loss2": loss2,
                "numpy": np.__version__,
                "blas": blas_info(),
            }
        )
    )


if __name__ == "__main__":
    main()
