"""numpy reference for bench/convex.ts: the interior-point method of src/convex/ipm.ts, step for step.

Squared loss, ReLU program min 1/2 |Fu - y|^2 + lambda sum_g |u_g| s.t. G u >= 0 (groups u = [v_1..v_P,
w_1..w_P], rows = groups). Same start (`initialPoint`), Mehrotra predictor-corrector on the cone rows
with the eliminated second-order-cone barrier of the group norms at tau = 1/(sigma_prev mu), up to three
Gondzio centrality correctors, fraction to the boundary 0.99, the same Newton system in the cheaper
Woodbury form by the same flop count (`newtonCost`: samples n x n, or weights Pd x Pd by block
Cholesky), one step of iterative refinement, the same certificate (theta = y - Fu scaled into the dual
ball, multipliers polished per group once the central-path gap is below tol) and the same final
sparsification. Zero columns of X are dropped first (`withoutZeroColumns`). One difference: critkit's
Cholesky raises a pivot below 1e-14 x its diagonal; LAPACK's fails instead, and then 1e-14 x the
diagonal is added and the factorization retried.

BLAS runs on one thread (OPENBLAS_NUM_THREADS, unless set, is 1), as critkit runs on one core: on this
2-core machine shared with other jobs two OpenBLAS threads spin-wait for each other (a 300 x 300
Cholesky took 0.2 s, the whole n = 300 solve 19 s instead of 0.56 s). `blas.num_threads` says which.

Reads the problem from a JSON file (X n x d, y, masks P x n, gates P x d, lambda, tol, maxIter, repeats)
and prints JSON {"ms": median wall ms, "iterations", "converged", "relGap", "primal", "dual", "blas"}.
"""

import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.linalg import LinAlgError, cho_factor, cho_solve, solve_triangular  # noqa: E402

from blas_info import blas_info  # noqa: E402
from hildreth import least_norm_in_cone  # noqa: E402

CENTRALITY_CORRECTORS = 3


def cholesky_batched(H):
    """Lower Cholesky factors of a stack of matrices; one that LAPACK rejects gets `factor`'s shift."""
    try:
        return np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        out = np.empty_like(H)
        for g in range(H.shape[0]):
            L, _ = factor(H[g])
            out[g] = np.tril(L)
        return out


def factor(A):
    try:
        return cho_factor(A, lower=True, check_finite=False)
    except LinAlgError:
        B = A + np.diag(1e-14 * np.abs(np.diag(A)))
        return cho_factor(B, lower=True, check_finite=False)


class Problem:
    def __init__(self, X, y, M, gates, lam):
        self.X, self.y, self.M, self.gates, self.lam = X, y, M, gates, lam
        self.n, self.d = X.shape
        self.P = M.shape[0]
        self.G = 2 * self.P
        self.MM = np.concatenate([M, M])  # G x n
        self.sign2 = 2.0 * self.MM - 1.0  # cone row signs
        self.sigma = np.concatenate([np.ones(self.P), -np.ones(self.P)])

    def evaluate(self, U):
        XU = U @ self.X.T
        P = self.P
        fu = np.einsum("in,in->n", self.M, XU[:P] - XU[P:])
        return fu, self.sign2 * XU

    def adjoint(self, r, s):
        """F^T r + G^T s (rows = groups)."""
        sg = self.sigma[:, None] * self.MM * r[None, :] if r is not None else 0.0
        if s is not None:
            sg = sg + self.sign2 * s
        return sg @ self.X

    def objective(self, U, fu):
        return 0.5 * np.sum((fu - self.y) ** 2) + self.lam * np.linalg.norm(U, axis=1).sum()


def soc_curvature(c, r):
    q = np.sqrt(1 + c * c * r)
    return c * c / (1 + q), -(c**4) / (q * (1 + q) ** 2)


def newton_cost(n, d, P, counts):
    grams = P * n * d * d
    squares = sum(a * a * d / 2 for a in counts)
    samples = grams + squares + n**3 / 3
    weights = grams + (P * d) ** 3 / 3 + 2 * P * d**3
    return "samples" if samples <= weights else "weights"


def pair_grams(pr):
    B = (pr.M[:, :, None] * pr.X[None, :, :]).transpose(1, 0, 2).reshape(pr.n, pr.P * pr.d)
    return B.T @ B


def newton_system(pr, U, tau, weights, form, cache):
    """solve(grad) = -(tau F^T F + H)^{-1} grad, as `newtonSystem` (squared loss: Lambda = I)."""
    X, n, d, P, G = pr.X, pr.n, pr.d, pr.P, pr.G
    c = tau * pr.lam
    first, second = soc_curvature(c, np.sum(U * U, axis=1))
    H = np.matmul(X.T[None, :, :], weights[:, :, None] * X[None, :, :])  # X^T diag(w_g) X
    H += second[:, None, None] * (U[:, :, None] * U[:, None, :])
    H[:, np.arange(d), np.arange(d)] += first[:, None]

    def apply_exact(delta):
        fd = pr.evaluate(delta)[0]
        return np.einsum("gab,gb->ga", H, delta) + pr.adjoint(tau * fd, None)

    if form == "samples":
        # H_g^{-1} = L_g^{-T} L_g^{-1} from the Cholesky factors (batched over the groups)
        Linv = np.linalg.inv(cholesky_batched(H))
        Hinv = np.matmul(Linv.transpose(0, 2, 1), Linv)
        K = Hinv[:P] + Hinv[P:]
        S = np.eye(n) / tau
        for i in range(P):
            A = cache["active"][i]
            XA = X[A]
            S[np.ix_(A, A)] += XA @ K[i] @ XA.T
        cS = factor(S)

        def h_solve(r):
            return np.einsum("gba,gb->ga", Linv, np.einsum("gab,gb->ga", Linv, r))

        def once(grad):
            y = -h_solve(grad)
            b = y[:P] - y[P:]
            e = cho_solve(cS, np.einsum("in,in->n", pr.M, b @ X.T), check_finite=False)
            q = (pr.M * e[None, :]) @ X
            return y - h_solve(np.concatenate([q, -q]))

    else:
        if "T" not in cache:
            cache["T"] = pair_grams(pr)
        N = P * d
        Mx = tau * cache["T"]
        Ls, Ws = [], []
        for i in range(P):
            hv, hw = H[i], H[P + i]
            L = cholesky_batched((hv + hw)[None])[0]
            W = solve_triangular(L, hv, lower=True, check_finite=False)
            Ls.append(L)
            Ws.append(W)
            Mx[i * d : (i + 1) * d, i * d : (i + 1) * d] += hv - W.T @ W
        cM = factor(Mx)

        def once(grad):
            y = np.empty((P, d))
            rhs = np.empty((P, d))
            for i in range(P):
                y[i] = solve_triangular(Ls[i], -(grad[i] + grad[P + i]), lower=True, check_finite=False)
                rhs[i] = -grad[i] - Ws[i].T @ y[i]
            delta = cho_solve(cM, rhs.reshape(N), check_finite=False).reshape(P, d)
            out = np.empty((G, d))
            for i in range(P):
                dw = solve_triangular(Ls[i], y[i] - Ws[i] @ delta[i], lower=True, trans="T", check_finite=False)
                out[P + i] = dw
                out[i] = dw + delta[i]
            return out

    def solve(grad):
        delta = once(grad)
        return delta + once(grad + apply_exact(delta))

    return solve


def barrier_gradient(pr, U, fu, slack, tau, target):
    cone = -tau * target / slack
    grad = pr.adjoint(tau * (fu - pr.y), cone)
    first, _ = soc_curvature(tau * pr.lam, np.sum(U * U, axis=1))
    return grad + first[:, None] * U


def step_length(slack, z, ds, dz, keep):
    live = z != 0
    a = 1.0
    for v, dv in ((slack, ds), (z, dz)):
        neg = live & (dv < 0)
        if neg.any():
            a = min(a, float(np.min(-keep * v[neg] / dv[neg])))
    return a


def certificate(pr, U, theta, mu):
    m = np.maximum(mu, 0.0)
    h = pr.adjoint(theta, m)
    worst = float(np.max(np.linalg.norm(h, axis=1)))
    t = pr.lam / worst if worst > pr.lam else 1.0
    th = theta * t
    fu, _ = pr.evaluate(U)
    primal = pr.objective(U, fu)
    dual = float(np.sum(th * pr.y - th * th / 2))
    return {"primal": primal, "dual": dual, "relGap": (primal - dual) / max(abs(primal), 1e-300)}


def polish_multipliers(pr, theta, z, slack):
    X, n, d, P, G = pr.X, pr.n, pr.d, pr.P, pr.G
    base = pr.adjoint(theta, None)
    with_z = pr.adjoint(theta, z)
    out = z.copy()
    row_norm2 = np.sum(X * X, axis=1)
    for g in range(G):
        i = g % P
        sgn = 2.0 * pr.M[i] - 1.0
        zg, sg = z[g], slack[g]
        ratio = np.where(zg > 0, zg / np.where(zg > 0, sg, 1.0), 0.0)
        top = float(ratio.max())
        if top == 0:
            continue
        rows = np.nonzero(zg / sg >= 1e-4 * top)[0]
        rows = rows[np.argsort(-(zg[rows] / sg[rows]), kind="stable")][: 2 * d]
        c = base[g]
        for _ in range(4):
            if len(rows) == 0:
                break
            A = sgn[rows, None] * X[rows]
            mu = cho_solve(factor(A @ A.T), -(A @ c))
            keep = rows[mu >= 0]
            if len(keep) < len(rows):
                rows = keep
                continue
            r = c + A.T @ mu
            if np.linalg.norm(r) < np.linalg.norm(with_z[g]):
                out[g] = 0
                out[g, rows] = mu
            break
        current = c + (sgn * out[g]) @ X
        if np.linalg.norm(current) <= pr.lam:
            continue
        b = -sgn * (X @ c)
        pz, pmu = least_norm_in_cone(X, sgn, b, row_norm2, 200, 10)
        if np.linalg.norm(c + pz) < np.linalg.norm(current):
            out[g] = pmu
    return out


def initial_point(pr):
    act = pr.gates @ pr.X.T
    scale = 1 / (2 * pr.P * np.max(np.abs(act), axis=1))
    u = scale[:, None] * pr.gates
    return np.concatenate([u, u])


def sparsify(pr, best, tol):
    U, cert = best
    norms = np.linalg.norm(U, axis=1)
    top = norms.max()
    max_primal = cert["primal"] + abs(cert["primal"]) * max(tol / 10, 1e-12)
    out = (U, cert)
    for level in (1e-8, 1e-6, 1e-4, np.inf):
        V = np.where((norms <= level * top)[:, None], 0.0, U)
        primal = pr.objective(V, pr.evaluate(V)[0])
        rel_gap = (primal - cert["dual"]) / max(abs(primal), 1e-300)
        if not (primal <= max_primal and rel_gap <= max(tol, cert["relGap"])):
            continue
        out = (V, {**cert, "primal": primal, "relGap": rel_gap})
    return out


def interior_point(pr, tol, max_iter):
    n, G = pr.n, pr.G
    live = np.linalg.norm(pr.X, axis=1) > 0
    counts = pr.M.sum(axis=1)
    form = newton_cost(n, pr.d, pr.P, counts)
    cache = {"active": [np.nonzero(pr.M[i])[0] for i in range(pr.P)]}
    U = initial_point(pr)
    fu, slack = pr.evaluate(U)
    pair_terms = G * int(live.sum())
    tau = (pair_terms + 2 * G) / max(pr.objective(U, fu), 1e-300)
    livemask = np.broadcast_to(live, (G, n))
    z = np.where(livemask, 1 / (tau * slack), 0.0)
    best = None
    it = 0
    converged = False
    sigma = 1.0
    while it < max_iter and not converged:
        it += 1
        sz = float(np.sum(z * slack))
        mu = sz / pair_terms
        if (pair_terms + 2 * G) * mu <= 1e-15 * pr.objective(U, fu):
            break
        tau = 1 / (sigma * mu)
        weights = np.where(z == 0, 0.0, tau * z / slack)
        solve = newton_system(pr, U, tau, weights, form, cache)

        def direction(tg):
            du = solve(barrier_gradient(pr, U, fu, slack, tau, tg))
            dfu, ds = pr.evaluate(du)
            dz = np.where(z == 0, 0.0, (tg - z * ds) / slack - z)
            return du, dfu, ds, dz

        zero = np.zeros_like(z)
        pdu, pdfu, pds, pdz = direction(zero)
        a_aff = step_length(slack, z, pds, pdz, 1.0)
        sz_aff = float(np.sum((slack + a_aff * pds) * (z + a_aff * pdz)))
        sigma = min(1.0, max(1e-3, (sz_aff / sz) ** 3))
        target = np.where(z == 0, 0.0, sigma * mu - pds * pdz)
        dirn = direction(target)
        alpha = step_length(slack, z, dirn[2], dirn[3], 0.99)
        for _ in range(CENTRALITY_CORRECTORS):
            if alpha >= 1:
                break
            trial = min(1.0, alpha + 0.2)
            lo, hi = 0.1 * sigma * mu, 10 * sigma * mu
            v = (slack + trial * dirn[2]) * (z + trial * dirn[3])
            corr = np.where(v < lo, lo - v, np.where(v > hi, np.maximum(hi - v, -hi), 0.0))
            tg = np.where(z == 0, 0.0, target + corr)
            nxt = direction(tg)
            a_next = step_length(slack, z, nxt[2], nxt[3], 0.99)
            if a_next < 1.01 * alpha:
                break
            dirn, alpha, target = nxt, a_next, tg
        du, dfu, ds, dz = dirn
        U = U + alpha * du
        fu = fu + alpha * dfu
        slack = slack + alpha * ds
        z = z + alpha * dz
        th = pr.y - fu
        cert = certificate(pr, U, th, z)
        if cert["relGap"] > tol and float(np.sum(z * slack)) <= tol * cert["primal"]:
            cert = certificate(pr, U, th, polish_multipliers(pr, th, z, slack))
        if best is None or cert["relGap"] < best[1]["relGap"]:
            best = (U, cert)
        converged = cert["relGap"] <= tol
    U, cert = sparsify(pr, best, tol)
    return U, cert, it, converged, form


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    n, d, P = spec["n"], spec["d"], spec["P"]
    X = np.array(spec["X"], dtype=np.float64).reshape(n, d)
    y = np.array(spec["y"], dtype=np.float64)
    M = np.array(spec["masks"], dtype=np.float64).reshape(P, n)
    gates = np.array(spec["gates"], dtype=np.float64).reshape(P, d)
    kept = np.any(X != 0, axis=0)  # withoutZeroColumns
    pr = Problem(X[:, kept], y, M, gates[:, kept], spec["lambda"])
    times = []
    for _ in range(spec.get("repeats", 1)):
        t0 = time.perf_counter()
        U, cert, it, converged, form = interior_point(pr, spec["tol"], spec["maxIter"])
        times.append(1000 * (time.perf_counter() - t0))
    print(
        json.dumps(
            {
                "ms": float(np.median(times)),
                "iterations": it,
                "converged": bool(converged),
                "form": form,
                "relGap": cert["relGap"],
                "primal": cert["primal"],
                "dual": cert["dual"],
                "blas": blas_info(),
            }
        )
    )


if __name__ == "__main__":
    main()
