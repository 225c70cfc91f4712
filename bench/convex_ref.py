"""numpy reference for bench/convex.ts: the same ADMM and rounding as src/convex, iteration for iteration.

Reads the problem from a JSON file (X n×d, y, masks P×n, gates P×d, lambda, rho, beta, alpha, iters,
repeats) written by the benchmark and runs `iters` ADMM iterations as src/convex/admm.ts: splitting
u = v, Gu = s >= 0, Fu = z with penalty rho on u = v and beta*rho on the other two blocks,
over-relaxation alpha, residual balancing every 10 iterations; the system I + beta (G^T G + F^T F) is
solved by Woodbury with one d×d and one n×n Cholesky factorization, set up once; squared loss.
The final split v is then made cone-feasible as `projectOntoCones` in src/convex/recover.ts (per group
Hildreth's method on a working set of violated rows, then the gate shift `shiftIntoCones`).
Prints JSON {"ms": median wall ms of iterations + rounding, "setupMs", "objective": objective of the
rounded point, "violation", ...}.
"""

import json
import sys
import time

import numpy as np

from blas_info import blas_info
from hildreth import least_norm_in_cone
from scipy.linalg import cho_factor, cho_solve


class System:
    """(I + beta (G^T G + F^T F))^{-1} by Woodbury, as src/convex/system.ts."""

    def __init__(self, X, M, beta):
        n, d = X.shape
        self.X, self.M, self.beta = X, M, beta
        self.cB = cho_factor(np.eye(d) + beta * (X.T @ X), lower=True)
        Z = cho_solve(self.cB, X.T).T  # rows B^{-1} x_k
        S = np.eye(n) + 2.0 * beta * (M.T @ M) * (X @ Z.T)
        self.cS = cho_factor(S, lower=True)

    def solve(self, r):
        """Both Woodbury products over the P differences t_v - t_w, as in system.ts."""
        P = self.M.shape[0]
        t = cho_solve(self.cB, r.T).T
        xd = (t[:P] - t[P:]) @ self.X.T
        w = cho_solve(self.cS, np.einsum("in,in->n", self.M, xd))
        corr = self.beta * cho_solve(self.cB, ((self.M * w) @ self.X).T).T
        return t - np.concatenate([corr, -corr])


def adjoint(X, M, r, s):
    """F^T r + G^T s, rows = groups."""
    sg = np.concatenate([M * r, -M * r]) + np.concatenate([2 * M - 1, 2 * M - 1]) * s
    return sg @ X


def group_shrink(U, t):
    nrm = np.linalg.norm(U, axis=1, keepdims=True)
    return U * np.where(nrm > t, 1 - t / np.maximum(nrm, 1e-300), 0.0)


def objective(X, y, M, lam, V):
    P = M.shape[0]
    XU = V @ X.T
    fu = np.einsum("in,in->n", M, XU[:P] - XU[P:])
    return 0.5 * np.sum((fu - y) ** 2) + lam * np.linalg.norm(V, axis=1).sum()


def project_onto_cones(X, M, gates, V, sweeps=50, rounds=10):
    """projectOntoCones (recover.ts): per-group projection, then the gate shift for the remainder."""
    P = M.shape[0]
    sign = np.concatenate([2 * M - 1, 2 * M - 1])
    slack = sign * (V @ X.T)
    row_norm2 = np.einsum("kj,kj->k", X, X)
    out = V.copy()
    for g in range(2 * P):
        if np.all(slack[g] >= 0):
            continue
        out[g] += least_norm_in_cone(X, sign[g], -slack[g], row_norm2, sweeps, rounds)[0]
    slack = sign * (out @ X.T)
    gate_slack = (2 * M - 1) * (gates @ X.T)
    for i in range(P):
        e = gate_slack[i]
        pos = e > 0
        s = np.max(-slack[[i, P + i]][:, pos] / e[pos], initial=0.0)
        if s > 0:
            out[[i, P + i]] += s * gates[i]
    return out


def admm(X, y, M, gates, lam, iters, rho, beta, alpha):
    n, d = X.shape
    P = M.shape[0]
    t0 = time.perf_counter()
    sysm = System(X, M, beta)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    sign = np.concatenate([2 * M - 1, 2 * M - 1])
    v = np.zeros((2 * P, d)); a = np.zeros_like(v)
    s = np.zeros((2 * P, n)); b = np.zeros_like(s)
    z = np.zeros(n); c = np.zeros(n)
    for it in range(1, iters + 1):
        u = sysm.solve(beta * adjoint(X, M, z - c, s - b) + v - a)
        XU = u @ X.T
        fu = np.einsum("in,in->n", M, XU[:P] - XU[P:])
        gu = sign * XU
        v_old, s_old, z_old = v, s, z
        ru, rg, rf = alpha * u + (1 - alpha) * v, alpha * gu + (1 - alpha) * s, alpha * fu + (1 - alpha) * z
        v = group_shrink(ru + a, lam / rho)
        s = np.maximum(0.0, rg + b)
        t = 1.0 / (rho * beta)
        z = (rf + c + t * y) / (1 + t)
        a = a + ru - v; b = b + rg - s; c = c + rf - z
        if it % 10 == 0:
            r = np.sqrt(np.sum((u - v) ** 2) + np.sum((gu - s) ** 2) + np.sum((fu - z) ** 2))
            dr = rho * np.sqrt(np.sum((v - v_old) ** 2) + np.sum((s - s_old) ** 2) + np.sum((z - z_old) ** 2))
            f = 2.0 if r > 10 * dr else 0.5 if dr > 10 * r else 1.0
            if f != 1.0:
                rho *= f
                a /= f; b /= f; c /= f
    feasible = project_onto_cones(X, M, gates, v)
    ms = (time.perf_counter() - t0) * 1e3
    violation = max(0.0, -np.min(sign * (feasible @ X.T)))
    return setup * 1e3, ms, objective(X, y, M, lam, feasible), violation


def main():
    spec = json.load(open(sys.argv[1]))
    X = np.array(spec["X"], dtype=np.float64).reshape(spec["n"], spec["d"])
    y = np.array(spec["y"], dtype=np.float64)
    M = np.array(spec["masks"], dtype=np.float64).reshape(spec["P"], spec["n"])
    gates = np.array(spec["gates"], dtype=np.float64).reshape(spec["P"], spec["d"])
    args = (spec["lambda"], spec["iters"], spec["rho"], spec["beta"], spec["alpha"])
    runs = [admm(X, y, M, gates, *args) for _ in range(spec["repeats"])]
    setups = sorted(r[0] for r in runs)
    mss = sorted(r[1] for r in runs)
    print(json.dumps({"ms": mss[len(mss) // 2], "setupMs": setups[len(setups) // 2], "objective": runs[-1][2], "violation": runs[-1][3], "blas": blas_info()}))


if __name__ == "__main__":
    main()
