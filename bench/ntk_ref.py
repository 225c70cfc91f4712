"""numpy reference for bench/ntk.ts: the empirical NTK Gram matrix Θ = J Jᵀ of a ReLU MLP on 256
samples, float32, by the same per-layer structured products (no Jacobian):

  Θ = Σ_l (G_l G_lᵀ) ⊙ (A_l A_lᵀ + 1),  A_l the input of dense layer l, G_l = ∂f/∂(its output).

f = relu(relu(relu(x W1ᵀ + b1) W2ᵀ + b2) W3ᵀ + b3) W4ᵀ + b4: input 512, three hidden layers of
width 512, one output (standard parametrization). Prints JSON {"ms": median wall ms}.
Usage: ntk_ref.py [runs]
"""

import json
import sys
import time

import numpy as np

N, W = 256, 512
rng = np.random.default_rng(0)
f32 = np.float32
x = rng.standard_normal((N, W)).astype(f32)
dims = [W, W, W, W, 1]
Ws = [(rng.standard_normal((o, i)) * np.sqrt(2 / i)).astype(f32) for i, o in zip(dims, dims[1:])]
bs = [np.zeros(o, f32) for o in dims[1:]]


def ntk():
    inputs, masks = [x], []
    h = x @ Ws[0].T + bs[0]
    for w, b in zip(Ws[1:], bs[1:]):
        m = h > 0
        a = h * m
        inputs.append(a)
        masks.append(m)
        h = a @ w.T + b
    g = np.ones((N, 1), f32)
    theta = (g @ g.T) * (inputs[-1] @ inputs[-1].T + 1)
    for l in range(len(Ws) - 1, 0, -1):
        g = (g @ Ws[l]) * masks[l - 1]
        a = inputs[l - 1]
        theta += (g @ g.T) * (a @ a.T + 1)
    return theta


runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
ntk()
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    ntk()
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"ms": sorted(times)[len(times) // 2]}))
