"""Hildreth's method on a working set, as `leastNormInCone` in src/convex/recover.ts.

Shared by the numpy reference scripts in bench/ (imported from the script's own folder).
"""

import numpy as np


def least_norm_in_cone(X, sign, b, row_norm2, sweeps, rounds):
    """min ||z|| s.t. sign_k x_k.z >= b_k; returns z and the multipliers mu of the rows."""
    n, d = X.shape
    A = sign[:, None] * X
    z = np.zeros(d)
    mu = np.zeros(n)
    in_set = np.zeros(n, dtype=bool)
    work = []
    for _ in range(rounds):
        new = np.flatnonzero(~in_set & (row_norm2 > 0) & (A @ z < b))
        if new.size == 0:
            break
        in_set[new] = True
        work.extend(new.tolist())
        for _ in range(sweeps):
            moved = 0.0
            for k in work:
                nxt = max(0.0, mu[k] + (b[k] - A[k] @ z) / row_norm2[k])
                step = nxt - mu[k]
                if step == 0.0:
                    continue
                mu[k] = nxt
                z += step * A[k]
                moved = max(moved, abs(step))
            if moved == 0.0:
                break
    return z, mu
