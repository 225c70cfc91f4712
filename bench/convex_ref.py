"""numpy reference for bench/convex.ts: the same ADMM as src/convex/admm.ts, iteration for iteration.

Reads the problem from a JSON file (X n×d, y, masks P×n, lambda, iters, repeats) written by the
benchmark, runs `iters` ADMM iterations (splitting u = v, Gu = s >= 0, Fu = z, beta = 1, initial rho from the spec
with residual balancing every 10 iterations; the system I + G^T G + F^T F is solved by Woodbury with
one d×d and one n×n Cholesky factorization, set up once), squared loss.
Prints JSON {"ms": median wall ms of the iterations, "setupMs", "objective": final trace objective, ...}.
"""

import json
import sys
import time

import numpy as np

from blas_info import blas_info
from scipy.linalg import cho_factor, cho_solve


class System:
    """(I + G^T G + F^T F)^{-1} by Woodbury, as src/convex/system.ts."""

    def __init__(self, X, M):
        n, d = X.shape
        self.X, self.M = X, M
        self.cB = cho_factor(np.eye(d) + X.T @ X, lower=True)
        Z = cho_solve(self.cB, X.T).T  # rows B^{-1} x_k
        S = np.eye(n) + 2.0 * (M.T @ M) * (X @ Z.T)
        self.cS = cho_factor(S, lower=True)

    def solve(self, r):
        """Both Woodbury products over the P differences t_v - t_w, as in system.ts."""
        P = self.M.shape[0]
        t = cho_solve(self.cB, r.T).T
        xd = (t[:P] - t[P:]) @ self.X.T
        w = cho_solve(self.cS, np.einsum("in,in->n", self.M, xd))
        corr = cho_solve(self.cB, ((self.M * w) @ self.X).T).T
        return t - np.concatenate([corr, -corr])


def adjoint(X, M, r, s):
    """F^T r + G^T s, rows = groups."""
    P = M.shape[0]
    sg = np.concatenate([M * r, -M * r]) if r is not None else np.zeros((2 * P, X.shape[0]))
    if s is not None:
        sg = sg + np.concatenate([2 * M - 1, 2 * M - 1]) * s
    return sg @ X


def group_shrink(U, t):
    nrm = np.linalg.norm(U, axis=1, keepdims=True)
    return U * np.where(nrm > t, 1 - t / np.maximum(nrm, 1e-300), 0.0)


def admm(X, y, M, lam, iters, rho):
    n, d = X.shape
    P = M.shape[0]
    t0 = time.perf_counter()
    sysm = System(X, M)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    sign = np.concatenate([2 * M - 1, 2 * M - 1])
    v = np.zeros((2 * P, d)); a = np.zeros_like(v)
    s = np.zeros((2 * P, n)); b = np.zeros_like(s)
    z = np.zeros(n); c = np.zeros(n)
    obj = None
    for it in range(1, iters + 1):
        u = sysm.solve(adjoint(X, M, z - c, s - b) + v - a)
        XU = u @ X.T
        fu = np.einsum("in,in->n", M, XU[:P] - XU[P:])
        gu = sign * XU
        obj = 0.5 * np.sum((fu - y) ** 2) + lam * np.linalg.norm(u, axis=1).sum()
        v_old, s_old, z_old = v, s, z
        v = group_shrink(u + a, lam / rho)
        s = np.maximum(0.0, gu + b)
        t = 1.0 / rho
        z = (fu + c + t * y) / (1 + t)
        a = a + u - v; b = b + gu - s; c = c + fu - z
        if it % 10 == 0:
            r = np.sqrt(np.sum((u - v) ** 2) + np.sum((gu - s) ** 2) + np.sum((fu - z) ** 2))
            dr = rho * np.sqrt(np.sum((v - v_old) ** 2) + np.sum((s - s_old) ** 2) + np.sum((z - z_old) ** 2))
            f = 2.0 if r > 10 * dr else 0.5 if dr > 10 * r else 1.0
            if f != 1.0:
                rho *= f
                a /= f; b /= f; c /= f
    return setup * 1e3, (time.perf_counter() - t0) * 1e3, obj


def main():
    spec = json.load(open(sys.argv[1]))
    X = np.array(spec["X"], dtype=np.float64).reshape(spec["n"], spec["d"])
    y = np.array(spec["y"], dtype=np.float64)
    M = np.array(spec["masks"], dtype=np.float64).reshape(spec["P"], spec["n"])
    runs = [admm(X, y, M, spec["lambda"], spec["iters"], spec["rho"]) for _ in range(spec["repeats"])]
    setups = sorted(r[0] for r in runs)
    mss = sorted(r[1] for r in runs)
    print(json.dumps({"ms": mss[len(mss) // 2], "setupMs": setups[len(setups) // 2], "objective": runs[-1][2], "blas": blas_info()}))


if __name__ == "__main__":
    main()
