"""numpy reference for bench/hvp.ts: one Hessian-vector product of the MSE loss of a ReLU MLP,
float32, by explicit forward-over-reverse (tangents pushed through the hand-written backward).

f = relu(relu(x W1 + b1) W2 + b2) W3 + b3, every layer 512 wide, batch 256,
loss = ½ mean over batch and outputs of (f − y)². Prints JSON {"ms": median wall ms}.
Usage: hvp_ref.py [runs]
"""

import json
import sys
import time

import numpy as np

N, W = 256, 512
rng = np.random.default_rng(0)
f32 = np.float32
x = rng.standard_normal((N, W)).astype(f32)
y = rng.standard_normal((N, W)).astype(f32)
Ws = [(rng.standard_normal((W, W)) * np.sqrt(2 / W)).astype(f32) for _ in range(3)]
bs = [np.zeros(W, f32) for _ in range(3)]
dWs = [rng.standard_normal((W, W)).astype(f32) for _ in range(3)]
dbs = [rng.standard_normal(W).astype(f32) for _ in range(3)]
c = f32(1.0 / (N * W))


def hvp():
    (W1, W2, W3), (b1, b2, b3) = Ws, bs
    (V1, V2, V3), (e1, e2, e3) = dWs, dbs
    z1 = x @ W1 + b1
    m1 = z1 > 0
    h1 = z1 * m1
    z2 = h1 @ W2 + b2
    m2 = z2 > 0
    h2 = z2 * m2
    f = h2 @ W3 + b3
    dh1 = (x @ V1 + e1) * m1
    dh2 = (dh1 @ W2 + h1 @ V2 + e2) * m2
    df = dh2 @ W3 + h2 @ V3 + e3
    g = (f - y) * c
    dg = df * c
    out = [dh2.T @ g + h2.T @ dg, dg.sum(0)]
    gz2 = (g @ W3.T) * m2
    dgz2 = (dg @ W3.T + g @ V3.T) * m2
    out += [dh1.T @ gz2 + h1.T @ dgz2, dgz2.sum(0)]
    dgz1 = (dgz2 @ W2.T + gz2 @ V2.T) * m1
    out += [x.T @ dgz1, dgz1.sum(0)]
    return out


runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
hvp()
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    hvp()
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"ms": sorted(times)[len(times) // 2]}))
