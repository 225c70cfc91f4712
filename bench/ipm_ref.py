"""numpy reference for bench/convex.ts: the interior-point method of src/convex/ipm.ts, step for step.

Squared loss, ReLU program min 1/2 |Fu - y|^2 + lambda sum_g |u_g| s.t. G u >= 0 (groups u = [v_1..v_P,
w_1..w_P], rows = groups). Same start (`initialPoint`; a warm start is moved 60 % of the way to it,
`interiorStart`), Mehrotra predictor-corrector on the cone rows with the eliminated second-order-cone
barrier of the group norms at tau = 1/(sigma_prev mu), up to three Gondzio centrality correctors,
fraction to the boundary 0.99, the same Newton system in the cheaper Woodbury form by the same flop
count (`newtonCost`: samples n x n, or weights Pd x Pd by block Cholesky), one step of iterative
refinement, the same certificate (theta = y - Fu scaled into the dual ball, multipliers polished per
group once the central-path gap is below tol, kept when they certify better) and the same final
sparsification. Zero columns of X are dropped first (`withoutZeroColumns`). One difference: critkit's
Cholesky raises a pivot below 1e-14 x its diagonal; LAPACK's fails instead, and then 1e-14 x the
diagonal is added and the factorization retried.

With "workingSet": true in the spec, the working-set driver of src/convex/columns.ts
(`workingSetSolve`, critkit's default for P > 2 INITIAL_SET): the interior point on a working set of
patterns (the INITIAL_SET best priced at u = 0 first), each restricted solve priced once when its gap
reaches ROUND_TOL (ended there if a pattern violates), the other patterns priced by Hildreth
projections (`priceGroups`, `leastNormInCone`), at most max(INITIAL_SET, |S|) of the most violating
joining per round, patterns below PRUNE x the largest group norm leaving (each at most once), warm
starts restricted from the previous round's point, and every round's point certified on the whole
program. Same rules and constants, so the same rounds and Newton steps up to rounding. The Hildreth
projections of a pricing are independent problems, run side by side (`least_norm_in_cones`).

BLAS runs on one thread (OPENBLAS_NUM_THREADS, unless set, is 1), as critkit runs on one core: on this
2-core machine shared with other jobs two OpenBLAS threads spin-wait for each other (a 300 x 300
Cholesky took 0.2 s, the whole n = 300 solve 19 s instead of 0.56 s). `blas.num_threads` says which.

Reads the problem from a JSON file (X n x d, y, masks P x n, gates P x d, lambda, tol, maxIter, repeats,
optional workingSet) and prints JSON {"ms": median wall ms, "iterations" (Newton steps, all rounds),
"converged", "form", "relGap", "primal", "dual", "blas"}, plus "rounds" and "active" (the final
working set's size) with workingSet.
"""

import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.linalg import LinAlgError, cho_factor, cho_solve, solve_triangular  # noqa: E402

from blas_info import blas_info  # noqa: E402

CENTRALITY_CORRECTORS = 3
START_BLEND = 0.6  # ipm.ts `START_BLEND`
START_SCALE = 10  # ipm.ts `START_SCALE`
# columns.ts
INITIAL_SET = 10
ROUND_TOL = 1e-1  # columns.ts `roundTol` for smooth losses (this port: squared only)
PRUNE = 1e-2
LAZY_MARGIN = 1e-3
PRICE_TOL = 1e-6
# fewer unfinished Hildreth problems than this are finished one by one (`least_norm_in_cones`)
BATCH_MIN = 8


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

    def restricted(self, keep):
        """The program on the patterns `keep` only, in that order (`restrictTo`)."""
        return Problem(self.X, self.y, self.M[keep], self.gates[keep], self.lam)


def least_norm_in_cones(X, signs, b, row_norm2, sweeps, rounds, H=None, bound=None):
    """B independent `leastNormInCone` problems: min |z_j| s.t. signs[j, k] x_k.z_j >= b[j, k], by
    Hildreth's method on a working set of rows (bench/hildreth.py), run side by side: each numpy step
    takes the next row of every unfinished problem's working set (its own rows, sweeps and rounds),
    so each problem goes through exactly the steps it would alone; once at most BATCH_MIN are left,
    each is finished on its own, one row at a time. With `bound`, problem j stops after a sweep that
    leaves |H[j] + z_j| <= bound (`enough`). Returns z (B x d) and the multipliers mu (B x n)."""
    B, n = b.shape
    z = np.zeros((B, X.shape[1]))
    mu = np.zeros(B * n)  # flat: problem j's row k at j n + k, like signs_f, b_f and order
    signs_f, b_f = signs.ravel(), b.ravel()
    in_set = np.zeros((B, n), dtype=bool)
    order = np.zeros(B * n, dtype=np.intp)  # problem j's working set (rows in admission order)
    length = np.zeros(B, dtype=np.intp)
    admits = np.zeros(B, dtype=np.intp)
    usable = row_norm2 > 0

    def admit(ids, zs):
        """Admits the rows violated at zs by problems ids; a mask of those that got any."""
        admits[ids] += 1
        violated = ~in_set[ids] & usable & (signs[ids] * (zs @ X.T) < b[ids])
        got = violated.any(axis=1)
        for j, g in zip(np.flatnonzero(got).tolist(), ids[got].tolist()):
            new = np.flatnonzero(violated[j])
            in_set[g, new] = True
            order[g * n + length[g] : g * n + length[g] + new.size] = new
            length[g] += new.size
        return got

    def finish(g, p, sw, mv):
        """Problem g on its own from position p of sweep sw (moved mv so far), one row at a time."""
        A = signs[g][:, None] * X
        bg = b[g].tolist()
        rn = row_norm2.tolist()
        zg = z[g]  # a view: updated in place
        mg = mu[g * n : (g + 1) * n].tolist()
        work = [(k, A[k]) for k in order[g * n : g * n + length[g]].tolist()]
        while True:
            for k, a in work[p:]:
                nxt = max(0.0, mg[k] + (bg[k] - a @ zg) / rn[k])
                step = nxt - mg[k]
                if step == 0.0:
                    continue
                mg[k] = nxt
                zg += step * a
                mv = max(mv, abs(step))
            sw += 1
            p = 0
            if bound is not None and np.linalg.norm(H[g] + zg) <= bound:
                break
            if mv != 0.0 and sw < sweeps:
                mv = 0.0
                continue
            if admits[g] >= rounds or not admit(np.array([g]), zg[None])[0]:
                break
            work.extend((k, A[k]) for k in order[g * n + len(work) : g * n + length[g]].tolist())
            sw, mv = 0, 0.0
        mu[g * n : (g + 1) * n] = mg

    # the unfinished problems ids, with their z, position, sweep and largest step in the sweep
    ids = np.arange(B) if rounds > 0 else np.zeros(0, dtype=np.intp)
    zs = z[ids]
    got = admit(ids, zs)
    ids, zs = ids[got], zs[got]
    pos = np.zeros(ids.size, dtype=np.intp)
    sweep = np.zeros(ids.size, dtype=np.intp)
    moved = np.zeros(ids.size)
    base = ids * n
    while ids.size > BATCH_MIN:
        k = order[base + pos]
        at = base + k
        a = signs_f[at][:, None] * X[k]
        m = mu[at]
        nxt = np.maximum(0.0, m + (b_f[at] - np.einsum("ij,ij->i", a, zs)) / row_norm2[k])
        step = nxt - m
        mu[at] = nxt
        zs += step[:, None] * a
        np.maximum(moved, np.abs(step), out=moved)
        pos += 1
        ended = pos == length[ids]
        if not ended.any():
            continue
        # end of a sweep: enough, another sweep, or the next round's rows
        E = np.flatnonzero(ended)
        sweep[E] += 1
        pos[E] = 0
        stays = np.ones(ids.size, dtype=bool)
        if bound is not None:
            stays[E] = np.linalg.norm(H[ids[E]] + zs[E], axis=1) > bound
        E = E[stays[E]]
        over = E[(moved[E] == 0) | (sweep[E] >= sweeps)]  # the round is over
        moved[E] = 0.0
        if over.size:
            more = admits[ids[over]] < rounds
            stays[over[~more]] = False
            over = over[more]
            stays[over] = admit(ids[over], zs[over])
            sweep[over] = 0
        if not stays.all():
            gone = ~stays
            z[ids[gone]] = zs[gone]
            ids, zs, pos, sweep, moved = ids[stays], zs[stays], pos[stays], sweep[stays], moved[stays]
            base = ids * n
    z[ids] = zs
    for j, g in enumerate(ids.tolist()):
        finish(g, int(pos[j]), int(sweep[j]), float(moved[j]))
    return z, mu.reshape(B, n)


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
        pz, pmu = least_norm_in_cones(X, sgn[None], b[None], row_norm2, 200, 10)
        if np.linalg.norm(c + pz[0]) < np.linalg.norm(current):
            out[g] = pmu[0]
    return out


def initial_point(pr):
    act = pr.gates @ pr.X.T
    scale = START_SCALE / (2 * pr.P * np.max(np.abs(act), axis=1))
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


def interior_point(pr, tol, max_iter, start=None, stop=None):
    """`allPatterns` of ipm.ts. `start`: a cone-feasible point (G x d), moved START_BLEND of the way
    to `initial_point` (`interiorStart`). `stop(rel_gap, theta, mu)`, called with each unconverged
    iterate's certified gap and dual pair, ends the solve when it returns True. Returns the
    sparsified best point, its certificate, the Newton steps, converged, the Newton system's form
    and the best certificate's dual pair (theta, mu)."""
    n, G = pr.n, pr.G
    live = np.linalg.norm(pr.X, axis=1) > 0
    counts = pr.M.sum(axis=1)
    form = newton_cost(n, pr.d, pr.P, counts)
    cache = {"active": [np.nonzero(pr.M[i])[0] for i in range(pr.P)]}
    U = initial_point(pr)
    if start is not None:
        U = (1 - START_BLEND) * start + START_BLEND * U
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
        pair = (th, z)
        cert = certificate(pr, U, th, z)
        if cert["relGap"] > tol and float(np.sum(z * slack)) <= tol * cert["primal"]:
            polished = polish_multipliers(pr, th, z, slack)
            c = certificate(pr, U, th, polished)
            if c["relGap"] < cert["relGap"]:  # `tryPair`
                cert, pair = c, (th, polished)
        if best is None or cert["relGap"] < best[1]["relGap"]:
            best = (U, cert, pair)
        converged = cert["relGap"] <= tol
        if not converged and stop is not None and stop(cert["relGap"], *pair):
            break
    U, cert = sparsify(pr, best[:2], tol)
    return U, cert, it, converged, form, best[2]


def price_groups(pr, theta, skip, lazy=True, sweeps=50):
    """`priceGroups`: per pattern, max over sigma = +-1 of |Proj_{K_i}(sigma X^T D_i theta)| / lambda
    (> 1: the pattern can lower the objective), and the projections' multipliers mu (2P x n: u_i for
    sigma = +1, v_i for -1). Patterns in `skip` keep price 0, mu = 0. `lazy`: a group with
    |sigma X^T D_i theta| <= lambda is not projected, and a projection stops once
    |h + z| <= (1 - LAZY_MARGIN) lambda."""
    X, n, P, lam = pr.X, pr.n, pr.P, pr.lam
    H = (pr.M * theta[None, :]) @ X  # X^T D_i theta (the gated adjoint)
    plain = np.linalg.norm(H, axis=1) / lam  # the same for both signs
    prices = np.zeros(P)
    mu = np.zeros((2 * P, n))
    priced = np.array([i not in skip for i in range(P)], dtype=bool)
    cheap = priced & (plain <= 1) if lazy else np.zeros(P, dtype=bool)
    prices[cheap] = plain[cheap]
    todo = np.flatnonzero(priced & ~cheap)
    if todo.size == 0:
        return prices, mu
    h = np.concatenate([H[todo], -H[todo]])  # group u_i (sigma = +1), then v_i (sigma = -1)
    signs = np.tile(2.0 * pr.M[todo] - 1.0, (2, 1))
    b = -signs * (h @ X.T)  # Proj_K(h) = h + z, z the least-norm solution of a_k.z >= b_k
    bound = (1 - LAZY_MARGIN) * lam if lazy else None
    z, m = least_norm_in_cones(X, signs, b, np.sum(X * X, axis=1), sweeps, 10, h, bound)
    norms = np.linalg.norm(h + z, axis=1) / lam
    T = todo.size
    prices[todo] = np.maximum(norms[:T], norms[T:])
    mu[todo], mu[P + todo] = m[:T], m[T:]
    return prices, mu


def first_set(pr, size):
    """`firstSet` without a start: the `size` patterns with the largest |X^T D_i y| (theta_0 = y)."""
    norms = np.linalg.norm((pr.M * pr.y[None, :]) @ pr.X, axis=1)
    order = np.argsort(-norms, kind="stable")[: min(pr.P, size)]
    return sorted(order.tolist())


def working_set(pr, tol, max_iter, price_tol=PRICE_TOL):
    """`workingSetSolve` with the interior point as the restricted solver. Returns the best round's
    point and certificate, the Newton steps of all rounds, converged, the forms used, the rounds and
    the final working set."""
    P = pr.P
    active = first_set(pr, INITIAL_SET)
    start = None
    iterations = 0
    rounds = 0
    best = None
    again = False
    left = set()  # patterns pruned once (they are not pruned again)
    forms = []
    while True:
        rounds += 1
        in_set = set(active)
        state = {"priced": len(active) == P or again, "stopped": False}

        def stop(gap, theta, _mu, in_set=in_set, state=state):
            if state["priced"] or gap > ROUND_TOL:
                return False
            state["priced"] = True
            prices, mu = price_groups(pr, theta, in_set)
            state["early"] = (theta, prices, mu)
            state["stopped"] = bool(np.any(prices > 1 + price_tol))
            return state["stopped"]

        keep = np.array(active)
        S = len(active)
        Us, _, it, sub_converged, form, (theta, sub_mu) = interior_point(
            pr.restricted(keep), tol, max_iter - iterations, start, stop
        )
        iterations += it
        if form not in forms:
            forms.append(form)
        U = np.zeros((2 * P, pr.d))  # `embed`
        U[keep], U[P + keep] = Us[:S], Us[S:]
        early = state.get("early")
        if early is not None and early[0] is theta:  # the stop priced this very θ
            prices, mu = early[1], early[2]
        else:
            prices, mu = price_groups(pr, theta, in_set)
        mu[keep], mu[P + keep] = sub_mu[:S], sub_mu[S:]
        cert = certificate(pr, U, theta, mu)
        if best is None or cert["relGap"] < best[1]["relGap"]:
            best = (U, cert)
        converged = cert["relGap"] <= tol
        out = [i for i in np.argsort(-prices, kind="stable").tolist() if prices[i] > 1]
        # marginal prices (1, 1 + price_tol] join only when the restricted solve converged
        violators = [i for i in out if prices[i] > 1 + price_tol]
        joining = (violators if violators or not sub_converged else out)[: max(INITIAL_SET, S)]
        # a solve ended early whose final dual prices nothing in is solved again, to the tolerance
        again = state["stopped"] and not joining
        if converged or iterations >= max_iter or (not joining and not again):
            return best[0], best[1], iterations, converged, "/".join(forms), rounds, active
        size = np.maximum(np.linalg.norm(U[:P], axis=1), np.linalg.norm(U[P:], axis=1))
        top = size[keep].max()
        # a pattern leaves at most once, so the set cannot cycle
        kept = [i for i in active if size[i] >= PRUNE * top or i in left]
        left.update(set(active) - set(kept))
        active = kept + joining
        keep = np.array(active)
        start = np.concatenate([U[keep], U[P + keep]])  # `restrict`


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
        if spec.get("workingSet"):
            U, cert, it, converged, form, rounds, active = working_set(pr, spec["tol"], spec["maxIter"])
            extra = {"rounds": rounds, "active": len(active)}
        else:
            U, cert, it, converged, form, _ = interior_point(pr, spec["tol"], spec["maxIter"])
            extra = {}
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
                **extra,
                "blas": blas_info(),
            }
        )
    )


if __name__ == "__main__":
    main()
