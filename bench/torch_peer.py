#!/usr/bin/python3
"""The PyTorch quality peer of nudge's world model.

Same inputs as model/wm_graph.c (invariant node features; edges from every body whose surface is
within 0.3 m to every dynamic body, seeing the sender's surface through its closest point, the
signed distance, the normal, the gap, relative velocity, the pair's friction and elasticity, and for
dynamic senders the centre offset and the log mass ratio), the same targets (the velocity change
beyond the push, relative to constant velocity, and the position residual of the solver's
integration), the same input noise, the same rest rule in rollouts; a GNS-style network (edge and
node MLPs with residual updates, ROUNDS rounds, Battaglia et al. / Sanchez-Gonzalez et al.),
trained with Adam for a budget of CPU seconds on ONE thread. Then it rolls out from every 10th
tick of each test dataset and scores the rollouts the way `nudge eval` does: all bodies, moving,
fall, break (a broken body's truth is its shards' centre of mass) and resting, at the horizons
asked for; constant velocity is scored too, so its numbers can be checked against nudge eval's.
The peer does not shatter bodies in its rollouts (nudge does).

usage: torch_peer.py --train DIR --test DIR[,DIR...] [--budget S] [--horizons 60,120,240]
                     [--csv FILE] [--seed N] [--rounds R]
prints one line per (test set, subset, horizon) and writes the same as CSV with the columns
    set,subset,method,horizon,n,pos_mean_m
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

try:
    import torch
except ImportError:
    print("skip: python3-torch is not installed (apt-get install python3-torch)")
    sys.exit(3)

# ---- the observation contract (sim/observation.h) ----
COLS = ["x", "y", "cos", "sin", "vx", "vy", "omega", "kind_box", "kind_ball", "kind_cup", "kind_plank",
        "kind_ramp", "kind_shard", "size_w", "size_h", "mass", "friction", "elasticity", "breakable", "is_static"]
C = {n: i for i, n in enumerate(COLS)}
KB, KBALL, KCUP, KPLANK, KRAMP, KSHARD = range(6)
DT = 1.0 / 60.0
A_INT = 0.4375            # x' = x + dt (A v_after_push + (1 - A) v_next): sim's 8 substeps per tick (WM_INT_A)
RADIUS = 0.3
NN = 16                   # normalized node columns (then the push's 4)
REST_SPEED, REST_OMEGA = 0.02, 0.1
HORIZON_EVENTS = 30
EVENT_BREAK, EVENT_FALL = 1, 3   # type indexes, checked against the manifest below


def load(path):
    """a dataset as arrays: states [E,T,K,D], mask, actions [E,T,K,4], contacts, bits [E,T,K]
    (1 = a break, 2 = a fall marked on the record after the event, the one rule of model/replay.h)"""
    m = json.load(open(os.path.join(path, "manifest.json")))
    assert [c["name"] for c in m["columns"]] == COLS, "observation columns differ"
    types = m["event_types"]
    brk, fall = types.index("break"), types.index("fall")
    parts = {k: [] for k in ("states", "mask", "actions", "contacts")}
    evs = []
    for sh in sorted(m["shards"], key=lambda s: s["first"]):
        d = os.path.join(path, sh["dir"])
        for k in parts:
            if k == "actions" and m["version"] >= 7:   # the pushes as rows: the README's recipe
                a = np.zeros(parts["mask"][-1].shape + (4,), np.float32)
                p = np.load(os.path.join(d, "pushes.npy"))
                a[p["episode"] - sh["first"], p["tick"], p["slot"]] = np.stack([p[c] for c in ("jx", "jy", "px", "py")], -1)
                parts[k].append(a)
                continue
            parts[k].append(np.load(os.path.join(d, k + ".npy")))
        if m["version"] >= 5:   # states.npy holds the dynamic columns: the README's recipe
            st, mask = parts["states"][-1], parts["mask"][-1]
            if m["version"] >= 6:   # slot-first: [E, K, T, D_dynamic]
                st = np.swapaxes(st, 1, 2)
            full = np.concatenate([st, np.repeat(np.load(os.path.join(d, "bodies.npy"))[:, None], st.shape[1], 1)], -1)
            for c in np.load(os.path.join(d, "changes.npy")):
                full[c["episode"] - sh["first"], c["tick"]:, c["slot"], c["column"]] = c["value"]
            parts["states"][-1] = np.where(mask[..., None] == 1, full, np.float32(0))
        e = np.load(os.path.join(d, "events.npy"))
        ep = e["episode"].astype(np.int64)
        if len(ep) and ep.max() < sh["first"]:   # version 1 stored shard-local episodes
            ep = ep + sh["first"]
        evs.append((ep, e["tick"].astype(np.int64), e["type"].astype(np.int64), e["a"].astype(np.int64)))
    out = {k: np.concatenate(v) for k, v in parts.items()}
    E, T, K, _ = out["states"].shape
    bits = np.zeros((E, T, K), np.uint8)
    for ep, tick, typ, a in evs:
        ok = (a >= 0) & (a < K) & (tick + 1 < T)
        for want, bit in ((brk, 1), (fall, 2)):
            sel = ok & (typ == want)
            np.bitwise_or.at(bits, (ep[sel], tick[sel] + 1, a[sel]), bit)
    out["bits"] = bits
    return out


# ---- geometry (sim/shape.c) ----

def shapes(S):
    """S [N, D] rows -> polygons [N, 3, 4, 2] (world), part mask [N, 3], ball radius [N] (0: polygon)"""
    N = S.shape[0]
    kind = np.argmax(S[:, 7:13], axis=1)
    w, h = S[:, C["size_w"]].astype(np.float64), S[:, C["size_h"]].astype(np.float64)
    P = np.zeros((N, 3, 4, 2))
    pm = np.zeros((N, 3), bool)

    def rect(idx, part, cx, cy, rw, rh):
        x0, x1, y0, y1 = cx - rw / 2, cx + rw / 2, cy - rh / 2, cy + rh / 2
        P[idx, part] = np.stack([np.stack([x0, y0], -1), np.stack([x1, y0], -1),
                                 np.stack([x1, y1], -1), np.stack([x0, y1], -1)], 1)
        pm[idx, part] = True

    z = np.zeros(N)
    one = (kind == KB) | (kind == KPLANK) | (kind == KSHARD)
    i = np.nonzero(one)[0]
    rect(i, 0, z[i], z[i], w[i], h[i])
    i = np.nonzero(kind == KCUP)[0]
    t = np.maximum(0.1 * np.minimum(w[i], h[i]), 0.002)
    rect(i, 0, z[i], -h[i] / 2 + t / 2, w[i], t)
    rect(i, 1, -w[i] / 2 + t / 2, t / 2, t, h[i] - t)
    rect(i, 2, w[i] / 2 - t / 2, t / 2, t, h[i] - t)
    i = np.nonzero(kind == KRAMP)[0]
    tri = np.stack([np.stack([-w[i] / 2, -h[i] / 2], -1), np.stack([w[i] / 2, -h[i] / 2], -1),
                    np.stack([w[i] / 2, h[i] / 2], -1), np.stack([w[i] / 2, h[i] / 2], -1)], 1)
    P[i, 0] = tri
    pm[i, 0] = True
    # dynamic bodies are observed at their centre of mass: the parts' area-weighted centroid
    dyn = (S[:, C["is_static"]] < 0.5) & (kind != KBALL)
    if dyn.any():
        v = P[dyn]
        nxt = np.roll(v, -1, axis=2)
        cr = v[..., 0] * nxt[..., 1] - nxt[..., 0] * v[..., 1]
        cr = cr * pm[dyn][..., None]
        area = cr.sum((1, 2))
        gx = ((v[..., 0] + nxt[..., 0]) * cr).sum((1, 2)) / (3 * np.where(np.abs(area) > 1e-18, area, 1))
        gy = ((v[..., 1] + nxt[..., 1]) * cr).sum((1, 2)) / (3 * np.where(np.abs(area) > 1e-18, area, 1))
        P[dyn] -= np.stack([gx, gy], -1)[:, None, None, :]
    ang = np.arctan2(S[:, C["sin"]], S[:, C["cos"]]).astype(np.float64)
    ca, sa = np.cos(ang)[:, None, None], np.sin(ang)[:, None, None]
    X = S[:, C["x"]].astype(np.float64)[:, None, None]
    Y = S[:, C["y"]].astype(np.float64)[:, None, None]
    Pw = np.stack([X + ca * P[..., 0] - sa * P[..., 1], Y + sa * P[..., 0] + ca * P[..., 1]], -1)
    radius = np.where(kind == KBALL, 0.5 * w, 0.0)
    return Pw, pm, radius


def closest(Pw, pm, radius, cx, cy, px, py):
    """per pair: signed distance from p to the sender's shape, closest point q and outward normal n"""
    M = px.shape[0]
    a = Pw                                      # [M, 3, 4, 2]
    b = np.roll(Pw, -1, axis=2)
    e = b - a
    len2 = (e ** 2).sum(-1)
    p = np.stack([px, py], -1)[:, None, None, :]
    t = np.clip(((p - a) * e).sum(-1) / np.where(len2 > 0, len2, 1), 0, 1)
    q = a + t[..., None] * e
    d2 = ((p - q) ** 2).sum(-1)
    d2 = np.where(len2 > 0, d2, np.inf)
    cross = e[..., 0] * (p[..., 1] - a[..., 1]) - e[..., 1] * (p[..., 0] - a[..., 0])
    inside = np.all((cross >= 0) | (len2 <= 0), axis=2)        # [M, 3]
    k = np.argmin(d2, axis=2)                                   # nearest edge per part
    r3 = np.arange(3)[None, :]
    mi = np.arange(M)[:, None]
    dist = np.sqrt(d2[mi, r3, k])
    qq = q[mi, r3, k]                                            # [M, 3, 2]
    el = np.sqrt(len2[mi, r3, k])
    en = np.stack([e[mi, r3, k][..., 1], -e[mi, r3, k][..., 0]], -1) / np.where(el > 0, el, 1)[..., None]
    diff = p[:, 0] - qq
    use_edge = inside | (dist <= 1e-12)
    nrm = np.where(use_edge[..., None], en, diff / np.where(dist > 1e-12, dist, 1)[..., None])
    sd = np.where(inside, -dist, dist)
    sd = np.where(pm, sd, np.inf)
    best = np.argmin(sd, axis=1)
    m0 = np.arange(M)
    sd, qx, qy, nx, ny = sd[m0, best], qq[m0, best, 0], qq[m0, best, 1], nrm[m0, best, 0], nrm[m0, best, 1]
    # balls
    ball = radius > 0
    if ball.any():
        dx, dy = px[ball] - cx[ball], py[ball] - cy[ball]
        l = np.sqrt(dx * dx + dy * dy)
        bnx = np.where(l > 1e-12, dx / np.where(l > 0, l, 1), 0)
        bny = np.where(l > 1e-12, dy / np.where(l > 0, l, 1), 1)
        sd[ball] = l - radius[ball]
        qx[ball] = cx[ball] + radius[ball] * bnx
        qy[ball] = cy[ball] + radius[ball] * bny
        nx[ball], ny[ball] = bnx, bny
    return sd, qx, qy, nx, ny


def extent(Pw, pm, radius, cx, cy, ox, oy, dx, dy):
    """how far each shape reaches from o along (dx, dy)"""
    e = (Pw[..., 0] - ox[:, None, None]) * dx[:, None, None] + (Pw[..., 1] - oy[:, None, None]) * dy[:, None, None]
    e = np.where(pm[..., None], e, -np.inf).max((1, 2))
    eb = (cx - ox) * dx + (cy - oy) * dy + radius
    return np.where(radius > 0, eb, e)


def slog(v):
    return np.log(np.maximum(v, 1e-6))


def push_dv(S, P):
    """velocity change (dvx, dvy, domega) a push row P [.., 4] gives bodies S [.., D]"""
    m = S[..., C["mass"]]
    w, h = S[..., C["size_w"]], S[..., C["size_h"]]
    ipm = np.where(S[..., C["kind_ball"]] > 0.5, w * w / 8, (w * w + h * h) / 12)
    ok = m > 0
    mm = np.where(ok, m, 1)
    dv = np.stack([P[..., 0] / mm, P[..., 1] / mm, (P[..., 2] * P[..., 1] - P[..., 3] * P[..., 0]) / (mm * np.where(ipm > 0, ipm, 1))], -1)
    return np.where(ok[..., None], dv, 0).astype(np.float32)


# nudge train's --support-inputs: two more edge features, how far the sender's surface reaches from q
# along the contact's tangent t = (-ny, nx) and along -t, capped at 1.5 m (model/wm_graph.c)
SUPPORT = False
SUPPORT_CAP = 1.5


def edge_feats():
    return 22 if SUPPORT else 20


def graph(S, M, Pu):
    """worlds S [N,K,D], mask M [N,K], pushes Pu [N,K,4] -> node rows (world, slot), node features
    [n, 19], edges (recv row, send row or -1) and edge features [ne, 20]"""
    N, K, D = S.shape
    live = M > 0
    dyn = live & (S[..., C["is_static"]] < 0.5) & (S[..., C["mass"]] > 0)
    rw, rk = np.nonzero(dyn)
    row_of = -np.ones((N, K), np.int64)
    row_of[rw, rk] = np.arange(len(rw))
    R = S[rw, rk]
    pd = push_dv(R, Pu[rw, rk])
    rest = ((np.hypot(R[:, 4], R[:, 5]) < REST_SPEED) & (np.abs(R[:, 6]) < REST_OMEGA)).astype(np.float32)[:, None]
    x = np.concatenate([R[:, 2:7], R[:, 7:13], slog(R[:, [C["size_w"]]]), slog(R[:, [C["size_h"]]]),
                        slog(R[:, [C["mass"]]]), R[:, [C["breakable"]]], rest,
                        pd[:, :2], 0.1 * pd[:, 2:3], (np.abs(pd).sum(1, keepdims=True) > 0).astype(np.float32)], 1)
    # candidate pairs: dynamic receiver, any other live body of the same world
    pair = dyn[:, :, None] & live[:, None, :] & ~np.eye(K, dtype=bool)[None]
    pw, pi, pj = np.nonzero(pair)
    if len(pw) == 0:
        return rw, rk, x.astype(np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, edge_feats()), np.float32), pd
    flat = S.reshape(N * K, D)
    Pw, pm, rad = shapes(flat)
    si, sj = pw * K + pi, pw * K + pj
    Si, Sj = flat[si].astype(np.float64), flat[sj].astype(np.float64)
    xi, yi = Si[:, 0], Si[:, 1]
    sd, qx, qy, nx, ny = closest(Pw[sj], pm[sj], rad[sj], Sj[:, 0], Sj[:, 1], xi, yi)
    gap = sd - extent(Pw[si], pm[si], rad[si], xi, yi, xi, yi, -nx, -ny)
    keep = gap <= RADIUS
    sender_dyn = dyn[pw, pj]
    dvx = np.where(sender_dyn, Sj[:, 4] - Si[:, 4], -Si[:, 4])
    dvy = np.where(sender_dyn, Sj[:, 5] - Si[:, 5], -Si[:, 5])
    dom = np.where(sender_dyn, Sj[:, 6], 0) - Si[:, 6]
    g = gap.astype(np.float32)
    dx, dy = Sj[:, 0] - xi, Sj[:, 1] - yi
    f = np.stack([qx - xi, qy - yi, sd, nx, ny, gap, dvx, dvy, dvx * nx + dvy * ny, -dvx * ny + dvy * nx, dom,
                  Si[:, C["friction"]] * Sj[:, C["friction"]], Si[:, C["elasticity"]] * Sj[:, C["elasticity"]],
                  np.exp(-np.maximum(g, 0) / 0.005), np.clip(g / 0.01, -1, 1),
                  np.where(sender_dyn, dx, 0), np.where(sender_dyn, dy, 0), np.where(sender_dyn, np.hypot(dx, dy), 0),
                  np.where(sender_dyn, slog(Sj[:, C["mass"]]) - slog(Si[:, C["mass"]]), 0),
                  (~sender_dyn).astype(np.float64)], 1).astype(np.float32)
    if SUPPORT:
        ep = extent(Pw[sj], pm[sj], rad[sj], Sj[:, 0], Sj[:, 1], qx, qy, -ny, nx)
        em = extent(Pw[sj], pm[sj], rad[sj], Sj[:, 0], Sj[:, 1], qx, qy, ny, -nx)
        f = np.concatenate([f, np.clip(np.stack([ep, em], 1), 0, SUPPORT_CAP).astype(np.float32)], 1)
    recv = row_of[pw, pi]
    send = np.where(sender_dyn, row_of[pw, pj], -1)
    return rw, rk, x.astype(np.float32), recv[keep], send[keep], f[keep], pd


def wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


def targets(R0, pd, R1):
    va = R0[:, 4:7] + pd
    vn = R1[:, 4:7]
    dv = vn - va
    ex = R1[:, 0] - (R0[:, 0] + DT * (A_INT * va[:, 0] + (1 - A_INT) * vn[:, 0]))
    ey = R1[:, 1] - (R0[:, 1] + DT * (A_INT * va[:, 1] + (1 - A_INT) * vn[:, 1]))
    turn = wrap(np.arctan2(R1[:, 3], R1[:, 2]) - np.arctan2(R0[:, 3], R0[:, 2]))
    ea = turn - DT * (A_INT * va[:, 2] + (1 - A_INT) * vn[:, 2])
    return np.concatenate([dv, np.stack([ex, ey, ea], 1)], 1).astype(np.float32)


# ---- the network ----

def mlp(i, h, o, last_act=False):
    layers = [torch.nn.Linear(i, h), torch.nn.ReLU(), torch.nn.Linear(h, o)]
    if last_act:
        layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


class Peer(torch.nn.Module):
    OUT = 6 + 4   # dv, eps; events (break, contact, fall), rest

    def __init__(self, L=64, E=64, H=96, rounds=2):
        super().__init__()
        self.enc = mlp(NN + 4, L, L, True)
        self.eenc = mlp(edge_feats(), E, E, True)
        self.static = torch.nn.Parameter(torch.zeros(L))
        self.edge = torch.nn.ModuleList([mlp(E + 2 * L, E, E) for _ in range(rounds)])
        self.node = torch.nn.ModuleList([mlp(L + E, L, L) for _ in range(rounds)])
        self.dec = mlp(L, H, self.OUT)
        torch.nn.init.zeros_(self.dec[-1].weight)
        torch.nn.init.zeros_(self.dec[-1].bias)

    def forward(self, x, recv, send, fe):
        z = self.enc(x)
        e = self.eenc(fe)
        for eu, nu in zip(self.edge, self.node):
            zs = torch.where((send >= 0)[:, None], z[send.clamp(min=0)], self.static[None, :].expand(len(send), -1))
            e = e + eu(torch.cat([e, z[recv], zs], 1))
            msg = torch.zeros(z.shape[0], e.shape[1]).index_add_(0, recv, e)
            z = z + nu(torch.cat([z, msg], 1))
        return self.dec(z)


class Norm:
    """mean and std of columns (floored), and the range every value seen in training took (lo, hi:
    nudge's --clip-inputs clips a model's inputs to it; `clip` turns that on for the peer)"""
    def __init__(self, x, centred=True, floor=1e-2):
        x = x.astype(np.float64)
        self.mean = x.mean(0) if centred else np.zeros(x.shape[1])
        sd = x.std(0) if centred else np.sqrt((x ** 2).mean(0))
        self.std = np.maximum(sd, floor)
        self.lo, self.hi = x.min(0), x.max(0)
        self.clip = False

    def see(self, x):
        if len(x):
            self.lo = np.minimum(self.lo, x.min(0))
            self.hi = np.maximum(self.hi, x.max(0))

    def __call__(self, x):
        if self.clip:
            x = np.clip(x, self.lo, self.hi)
        return ((x - self.mean) / self.std).astype(np.float32)


# ---- training ----

def transitions(d):
    """every (episode, tick) with a next record"""
    E, T = d["mask"].shape[:2]
    e, t = np.meshgrid(np.arange(E), np.arange(T - 1), indexing="ij")
    return e.ravel(), t.ravel()


def labels(d, e, t):
    """[B, K, 4]: breaks within 30 ticks, contact next record, falls within 30, at rest next record"""
    B, K = len(e), d["mask"].shape[2]
    T = d["mask"].shape[1]
    y = np.zeros((B, K, 4), np.float32)
    for h in range(1, HORIZON_EVENTS + 1):
        th = np.minimum(t + h, T - 1)
        ok = (t + h < T)[:, None]
        b = d["bits"][e, th]
        y[..., 0] = np.maximum(y[..., 0], ((b & 1) > 0) & ok)
        y[..., 2] = np.maximum(y[..., 2], ((b & 2) > 0) & ok)
    y[..., 1] = d["contacts"][e, t + 1] > 0
    s1 = d["states"][e, t + 1]
    y[..., 3] = (np.hypot(s1[..., 4], s1[..., 5]) < REST_SPEED) & (np.abs(s1[..., 6]) < REST_OMEGA)
    return y


def batch(d, e, t, rng, noise):
    S0 = d["states"][e, t].copy()
    M0 = d["mask"][e, t]
    if noise:
        dyn = (M0 > 0) & (S0[..., C["is_static"]] < 0.5) & (S0[..., C["mass"]] > 0)
        n = rng.standard_normal(S0.shape[:2] + (5,)).astype(np.float32) * np.array([5e-4, 5e-4, 5e-3, 5e-3, 2e-2], np.float32)
        S0[..., [0, 1, 4, 5, 6]] += n * dyn[..., None]
    rw, rk, x, recv, send, fe, pd = graph(S0, M0, d["actions"][e, t])
    R1 = d["states"][e[rw], t[rw] + 1, rk]
    alive = d["mask"][e[rw], t[rw] + 1, rk] > 0
    y = targets(S0[rw, rk], pd, R1)
    lab = labels(d, e, t)[rw, rk]
    return x, recv, send, fe, y, alive, lab


def train(d, budget, rounds, seed, log, clip=False):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    E, T = d["mask"].shape[:2]
    te, tt = transitions(d)
    # the normalizers from the first batches (nudge keeps running statistics of the same columns)
    xs, fs, ys = [], [], []
    for _ in range(50):
        i = rng.integers(0, len(te), 64)
        x, recv, send, fe, y, alive, lab = batch(d, te[i], tt[i], rng, True)
        xs.append(x[:, :NN]), fs.append(fe), ys.append(y[alive])
    nx, ne, ny = Norm(np.concatenate(xs)), Norm(np.concatenate(fs)), Norm(np.concatenate(ys), centred=False, floor=1e-6)
    net = Peer(rounds=rounds)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    bce = torch.nn.BCEWithLogitsLoss()
    t0 = time.process_time()
    steps = 0
    while time.process_time() - t0 < budget:
        i = rng.integers(0, len(te), 64)
        x, recv, send, fe, y, alive, lab = batch(d, te[i], tt[i], rng, True)
        if clip:  # the range of what training saw, as nudge's normalizers keep it
            nx.see(x[:, :NN])
            ne.see(fe)
        x = np.concatenate([nx(x[:, :NN]), x[:, NN:]], 1)
        out = net(torch.from_numpy(x), torch.from_numpy(recv), torch.from_numpy(send), torch.from_numpy(ne(fe)))
        yt = torch.from_numpy(ny(y))
        a = torch.from_numpy(alive.astype(np.float32))[:, None]
        nd = max(float(alive.sum()), 1.0)
        w = torch.tensor([1, 1, 1, 0.5, 0.5, 0.5])
        ld = (((out[:, :6] - yt) ** 2) * w * a).sum() / (3 * nd)
        lab_t = torch.from_numpy(lab)
        le = bce(out[:, 6:9], lab_t[:, :3]) * 0.5 * 3 / 4
        lr_ = (torch.nn.functional.binary_cross_entropy_with_logits(out[:, 9], lab_t[:, 3], reduction="none") * a[:, 0]).sum() / nd * 0.5 / 4
        loss = ld + le + lr_
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        steps += 1
        if log and steps % 1000 == 0:
            print("  step %d loss %.4f (%.0f s)" % (steps, loss.item(), time.process_time() - t0), file=sys.stderr)
    nx.clip = ne.clip = clip
    return net, nx, ne, ny, steps


# ---- rollouts and scoring (model/eval.c's rules) ----

@torch.no_grad()
def rollout(net, nx, ne, ny, S, M, Pu, H, cv=False, gate=0.5):
    """S [N,K,D], M [N,K], Pu [N,H,K,4] -> predicted states [N,H,K,D]. The rest rule of nudge's
    rollout: an unpushed body is held still when P(at rest next tick) > 1/2, or, when it is at rest
    now, unless P(at rest) < gate (nudge's --rest-gate; 0.5 is the one rule for every body)"""
    N, K, D = S.shape
    cur = S.copy()
    out = np.zeros((N, H, K, D), np.float32)
    for h in range(H):
        rw, rk, x, recv, send, fe, pd = graph(cur, M, Pu[:, h])
        R = cur[rw, rk]
        va = R[:, 4:7] + pd
        if cv:
            vn, eps, rest = va, np.zeros_like(va), np.zeros(len(rw), bool)
        else:
            x = np.concatenate([nx(x[:, :NN]), x[:, NN:]], 1)
            o = net(torch.from_numpy(x), torch.from_numpy(recv), torch.from_numpy(send), torch.from_numpy(ne(fe))).numpy()
            vn = va + o[:, 0:3] * ny.std[0:3] + ny.mean[0:3]
            eps = o[:, 3:6] * ny.std[3:6] + ny.mean[3:6]
            p_rest = 1 / (1 + np.exp(-o[:, 9].astype(np.float64)))
            now = (np.hypot(R[:, 4], R[:, 5]) < REST_SPEED) & (np.abs(R[:, 6]) < REST_OMEGA)
            rest = (np.abs(pd).sum(1) == 0) & ((p_rest > 0.5) | (now & (p_rest >= gate)))
        if cv:
            nxp = R[:, 0] + DT * va[:, 0]
            nyp = R[:, 1] + DT * va[:, 1]
            ang = np.arctan2(R[:, 3], R[:, 2]) + DT * va[:, 2]
        else:
            nxp = R[:, 0] + DT * (A_INT * va[:, 0] + (1 - A_INT) * vn[:, 0]) + eps[:, 0]
            nyp = R[:, 1] + DT * (A_INT * va[:, 1] + (1 - A_INT) * vn[:, 1]) + eps[:, 1]
            ang = np.arctan2(R[:, 3], R[:, 2]) + DT * (A_INT * va[:, 2] + (1 - A_INT) * vn[:, 2]) + eps[:, 2]
        new = R.copy()
        new[:, 0], new[:, 1], new[:, 2], new[:, 3] = nxp, nyp, np.cos(ang), np.sin(ang)
        new[:, 4:7] = vn
        new[rest, 4:7] = 0
        new[rest, 0:4] = R[rest, 0:4]
        cur[rw, rk] = new
        out[:, h] = cur
    return out


def parents(d, e):
    """slot -> the body its shard came from (-1), as eval.c's episode_parents"""
    K = d["mask"].shape[2]
    T = d["mask"].shape[1]
    par = -np.ones(K, np.int64)
    st, mk, bits = d["states"][e], d["mask"][e], d["bits"][e]
    for t in range(1, T):
        brk = np.nonzero(bits[t] & 1)[0]
        if len(brk) == 0:
            continue
        for s in range(K):
            if not mk[t, s] or mk[t - 1, s] or st[t, s, C["kind_shard"]] < 0.5:
                continue
            dist = [math.hypot(st[t - 1, a, 0] - st[t, s, 0], st[t - 1, a, 1] - st[t, s, 1]) for a in brk]
            par[s] = brk[int(np.argmin(dist))]
    return par


def truth_at(d, e, t, k, par):
    if d["mask"][e, t, k]:
        r = d["states"][e, t, k]
        return r[0], r[1], True
    desc = []
    for s in range(len(par)):
        p, depth = par[s], 0
        while p >= 0 and depth < 64:
            if p == k:
                desc.append(s)
                break
            p, depth = par[p], depth + 1
    m = x = y = 0.0
    for s in desc:
        if d["mask"][e, t, s]:
            r = d["states"][e, t, s]
            m += r[C["mass"]]
            x += r[C["mass"]] * r[0]
            y += r[C["mass"]] * r[1]
    if m <= 0:
        return None
    return x / m, y / m, False


SUBSETS = ["all", "moving", "fall", "break", "resting"]


def evaluate(d, net, norms, horizons, stride=10, gate=0.5):
    H = max(horizons)
    E, T, K, D = d["states"].shape
    acc = {(m, s, h): [] for m in ("model", "const_vel") for s in SUBSETS for h in horizons}
    for e in range(E):
        par = parents(d, e)
        t0s = np.arange(0, T - 1, stride)
        S = d["states"][e, t0s]
        M = d["mask"][e, t0s]
        Pu = np.zeros((len(t0s), H, K, 4), np.float32)
        for j, t0 in enumerate(t0s):
            n = min(H, T - t0)
            Pu[j, :n] = d["actions"][e, t0:t0 + n]
        preds = {"model": rollout(net, *norms, S, M, Pu, H, gate=gate), "const_vel": rollout(None, None, None, None, S, M, Pu, H, cv=True)}
        for j, t0 in enumerate(t0s):
            for k in range(K):
                b = d["states"][e, t0, k]
                if not d["mask"][e, t0, k] or b[C["is_static"]] > 0.5 or b[C["mass"]] <= 0:
                    continue
                rest0 = math.hypot(b[4], b[5]) < 0.02 and abs(b[6]) < 0.1
                fell = broke = pushed = False
                moved = 0.0
                for h in range(1, H + 1):
                    if t0 + h >= T:
                        break
                    bits = d["bits"][e, t0 + h, k]
                    fell |= bool(bits & 2)
                    broke |= bool(bits & 1)
                    a = d["actions"][e, t0 + h - 1, k]
                    pushed |= a[0] != 0 or a[1] != 0
                    tr = truth_at(d, e, t0 + h, k, par)
                    if tr is None:
                        break
                    moved = max(moved, math.hypot(tr[0] - b[0], tr[1] - b[1]))
                    if h not in horizons:
                        continue
                    member = ["all"]
                    if moved > 0.01: member.append("moving")
                    if fell: member.append("fall")
                    if broke: member.append("break")
                    if rest0 and not pushed and moved <= 0.005: member.append("resting")
                    for m, p in preds.items():
                        r = p[j, h - 1, k]
                        err = math.hypot(r[0] - tr[0], r[1] - tr[1])
                        if not math.isfinite(err):
                            err = 1e6
                        for s in member:
                            acc[(m, s, h)].append(err)
    return {k: (len(v), float(np.mean(v)) if v else float("nan")) for k, v in acc.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True, help="DIR[,DIR...]")
    ap.add_argument("--budget", type=float, default=300.0, help="CPU seconds of training (default 300)")
    ap.add_argument("--horizons", default="60", help="ticks, comma-separated (default 60)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--csv")
    ap.add_argument("--clip-inputs", action="store_true", help="as nudge train's: inputs clipped to the range training saw")
    ap.add_argument("--support-inputs", action="store_true", help="as nudge train's: edges see the room along the contact's tangent")
    ap.add_argument("--rest-gate", type=float, default=0.5, help="as nudge train's (default 0.5: the one rule)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    global SUPPORT
    SUPPORT = a.support_inputs
    torch.set_num_threads(1)
    horizons = [int(h) for h in a.horizons.split(",")]
    d = load(a.train)
    net, nx, ne, ny, steps = train(d, a.budget, a.rounds, a.seed, not a.quiet, a.clip_inputs)
    print("peer: %d steps in %.0f CPU seconds, %d parameters" % (steps, a.budget, sum(p.numel() for p in net.parameters())))
    rows = []
    for path in a.test.split(","):
        t = load(path)
        res = evaluate(t, net, (nx, ne, ny), horizons, gate=a.rest_gate)
        name = os.path.basename(path.rstrip("/"))
        for s in SUBSETS:
            for h in horizons:
                n, mm = res[("model", s, h)]
                _, cv = res[("const_vel", s, h)]
                print("%-10s %-8s h=%-4d n=%-6d peer %.4f  const_vel %.4f" % (name, s, h, n, mm, cv))
                rows.append((name, s, "peer", h, n, mm))
                rows.append((name, s, "const_vel", h, res[("const_vel", s, h)][0], cv))
    if a.csv:
        tmp = a.csv + ".tmp"
        with open(tmp, "w") as f:
            f.write("set,subset,method,horizon,n,pos_mean_m\n")
            for r in rows:
                f.write("%s,%s,%s,%d,%d,%.6g\n" % r)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, a.csv)


if __name__ == "__main__":
    main()
