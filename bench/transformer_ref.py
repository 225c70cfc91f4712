"""numpy reference for bench/transformer.ts: loss and all parameter gradients (hand-written
backward) of a Pre-LN Transformer encoder at init: embedding per token + position, L blocks
x + Attn(LN(x)), x + FFN(LN(x)) (ReLU, hidden 4d), final LN, mean over tokens, dense readout,
cross-entropy. float32. Prints {"ms": median wall ms, "loss": loss}. Args: L d T B H rounds.
`python3 transformer_ref.py check` instead checks the backward pass against a central finite
difference along a random direction (float64, tiny size) and prints the relative error."""
import json, sys, time
import numpy as np

CHECK = sys.argv[1:2] == ["check"]
L, d, T, B, H, rounds = (2, 8, 4, 3, 2, 0) if CHECK else map(int, sys.argv[1:7])
P, C, EPS = 16, 10, 1e-5
dh = d // H
rng = np.random.default_rng(0)
f = np.float64 if CHECK else np.float32
def w(o, i): return (rng.standard_normal((o, i)) / np.sqrt(i)).astype(f)
emb, pos = w(d, P), rng.standard_normal(T * d).astype(f).reshape(T, d)
blocks = [dict(wq=w(d, d), wk=w(d, d), wv=w(d, d), wo=w(d, d), w1=w(4 * d, d), w2=w(d, 4 * d),
               bq=np.zeros(d, f), bk=np.zeros(d, f), bv=np.zeros(d, f), bo=np.zeros(d, f),
               b1=np.zeros(4 * d, f), b2=np.zeros(d, f), g1=np.ones(d, f), c1=np.zeros(d, f),
               g2=np.ones(d, f), c2=np.zeros(d, f)) for _ in range(L)]
wout, gF = w(C, d), np.ones(d, f)
x0 = rng.standard_normal((B, T, P)).astype(f)
y = np.eye(C, dtype=f)[np.arange(B) % C]

def ln(x, g, c):
    m = x.mean(-1, keepdims=True); xc = x - m
    inv = 1 / np.sqrt((xc * xc).mean(-1, keepdims=True) + EPS); xh = xc * inv
    return xh * g + c, (xh, inv, g)
def ln_back(dy, cache):
    xh, inv, g = cache; dxh = dy * g
    dx = inv * (dxh - dxh.mean(-1, keepdims=True) - xh * (dxh * xh).mean(-1, keepdims=True))
    return dx, (dy * xh).sum((0, 1)), dy.sum((0, 1))
def heads(z): return z.reshape(B, T, H, dh).transpose(0, 2, 1, 3)
def merge(z): return z.transpose(0, 2, 1, 3).reshape(B, T, d)

def step():
    grads = []; caches = []
    h = x0 @ emb.T + pos
    for p in blocks:
        a, lc1 = ln(h, p["g1"], p["c1"])
        q, k, v = heads(a @ p["wq"].T + p["bq"]), heads(a @ p["wk"].T + p["bk"]), heads(a @ p["wv"].T + p["bv"])
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh); s -= s.max(-1, keepdims=True)
        A = np.exp(s); A /= A.sum(-1, keepdims=True)
        om = merge(A @ v); h1 = h + om @ p["wo"].T + p["bo"]
        c, lc2 = ln(h1, p["g2"], p["c2"])
        z = c @ p["w1"].T + p["b1"]; r = np.maximum(z, 0)
        h = h1 + r @ p["w2"].T + p["b2"]
        caches.append((a, lc1, q, k, v, A, om, c, lc2, z, r))
    hf, lcf = ln(h, gF, np.zeros(d, f)); pooled = hf.mean(1); logits = pooled @ wout.T
    m = logits.max(-1, keepdims=True); e = np.exp(logits - m); sm = e / e.sum(-1, keepdims=True)
    loss = float(np.mean(np.log(e.sum(-1)) + m[:, 0] - (y * logits).sum(-1)))
    dl = (sm - y) / B; gw = dl.T @ pooled
    dh_ = np.repeat((dl @ wout)[:, None, :] / T, T, axis=1)
    dh_, _, _ = ln_back(dh_, lcf)
    for p, (a, lc1, q, k, v, A, om, c, lc2, z, r) in zip(reversed(blocks), reversed(caches)):
        g = {}
        g["w2"] = dh_.reshape(-1, d).T @ r.reshape(-1, 4 * d); g["b2"] = dh_.sum((0, 1))
        dz = (dh_ @ p["w2"]) * (z > 0)
        g["w1"] = dz.reshape(-1, 4 * d).T @ c.reshape(-1, d); g["b1"] = dz.sum((0, 1))
        dc, g["g2"], g["c2"] = ln_back(dz @ p["w1"], lc2)
        dh1 = dh_ + dc
        g["wo"] = dh1.reshape(-1, d).T @ om.reshape(-1, d); g["bo"] = dh1.sum((0, 1))
        dO = heads(dh1 @ p["wo"])
        dA = dO @ v.transpose(0, 1, 3, 2); dv = A.transpose(0, 1, 3, 2) @ dO
        dS = A * (dA - (dA * A).sum(-1, keepdims=True)) / np.sqrt(dh)
        dq = merge(dS @ k); dk = merge(dS.transpose(0, 1, 3, 2) @ q); dv = merge(dv)
        a2 = a.reshape(-1, d)
        for n, dd in (("q", dq), ("k", dk), ("v", dv)):
            g["w" + n] = dd.reshape(-1, d).T @ a2; g["b" + n] = dd.sum((0, 1))
        da = dq @ p["wq"] + dk @ p["wk"] + dv @ p["wv"]
        dx, g["g1"], g["c1"] = ln_back(da, lc1)
        dh_ = dh1 + dx
        grads.append(g)
    gemb = dh_.reshape(-1, d).T @ x0.reshape(-1, P); gpos = dh_.sum(0)
    return loss, grads, gw, gemb, gpos

def check():
    loss, grads, gw, gemb, gpos = step()
    names = sorted(blocks[0])
    params = [emb, pos, wout] + [p[n] for p in blocks for n in names]
    gs = [gemb, gpos, gw] + [g[n] for g in reversed(grads) for n in names]
    vs = [rng.standard_normal(a.shape) for a in params]
    base = [a.copy() for a in params]
    def at(s):
        for a, b0, v in zip(params, base, vs): a[...] = b0 + s * v
        return step()[0]
    h = 1e-5
    fd = (at(h) - at(-h)) / (2 * h); at(0)
    gv = sum(float((g * v).sum()) for g, v in zip(gs, vs))
    print(json.dumps({"relative_error": abs(fd - gv) / abs(gv)}))

if CHECK:
    check(); sys.exit(0)
step()
times = []
for _ in range(rounds):
    t0 = time.perf_counter(); loss = step()[0]; times.append((time.perf_counter() - t0) * 1e3)
print(json.dumps({"ms": float(np.median(times)), "loss": loss}))
