#!/usr/bin/python3
"""A real client of a nudge dataset: loads every array with numpy (also memory-mapped), checks
shapes, dtypes, masks and the manifest's checksums, puts the full observation together as the
README shows (format version 7: states.npy slot-first + bodies.npy + changes.npy, the actions from
pushes.npy's rows), and checks that one
episode's observation equals `nudge run --trace` of the same scenario and seed.   usage: numpy_client.py NUDGE DATASET"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import zlib

import numpy as np

nudge, root = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(root, "manifest.json")))
assert m["format"] == "nudge-dataset" and m["version"] == 7, (m["format"], m["version"])
assert m["arrays"]["states"]["shape"] == ["E", "K", "T", "D_dynamic"], m["arrays"]["states"]
assert int(m["seed"]) == int(m["inputs"]["seed"]), "seeds are exact decimal strings"
assert m["complete"] is True and m["shards_done"] == m["shard_count"] == len(m["shards"])
T, K, D, P = m["ticks"], m["slots"], m["dim"], len(m["params"])
assert D == len(m["columns"]) and m["columns"][0]["name"] == "x" and m["columns"][0]["unit"] == "m"
names = [c["name"] for c in m["columns"]]
Dd = m["dynamic_columns"]   # states.npy holds columns [0, Dd), bodies.npy the rest
assert names[Dd - 1] == "omega" and names[Dd] == "kind_box", names
event_dtype = np.dtype(eval(m["arrays"]["events"]["dtype"]))  # a list of (name, type) pairs
assert event_dtype.itemsize == 21, event_dtype
change_dtype = np.dtype(eval(m["arrays"]["changes"]["dtype"]))
assert change_dtype.itemsize == 17, change_dtype
push_dtype = np.dtype(eval(m["arrays"]["pushes"]["dtype"]))
assert push_dtype.itemsize == 28 and "actions" not in m["arrays"], push_dtype

seen = 0
for sh in m["shards"]:
    d = os.path.join(root, sh["dir"])
    E = sh["count"]
    assert sh["first"] == seen, (sh["first"], seen)
    seen += E
    # checksums: every file's crc32 and size match the manifest
    for fname, info in sh["files"].items():
        data = open(os.path.join(d, fname), "rb").read()
        assert len(data) == info["bytes"], fname
        assert "%08x" % (zlib.crc32(data) & 0xFFFFFFFF) == info["crc32"], fname
    expect = {
        "states": ((E, K, T, Dd), np.float32), "bodies": ((E, K, D - Dd), np.float32), "mask": ((E, T, K), np.uint8),
        "contacts": ((E, T, K), np.uint8),
        "params": ((E, P), np.float64), "scenario": ((E,), np.int32), "seed": ((E,), np.uint64),
    }
    if m["frames"]:
        fr = m["frames"]
        shape = (E, T, fr["height"], fr["width"]) + ((3,) if fr["channels"] == 3 else ())
        expect["frames"] = (shape, np.uint8)
        expect["frame_rect"] = ((E, 4), np.float64)
    a = {}
    for name, (shape, dtype) in expect.items():
        a[name] = np.load(os.path.join(d, name + ".npy"))
        mm = np.load(os.path.join(d, name + ".npy"), mmap_mode="r")
        assert mm.offset == 4096, (name, mm.offset)  # version 3: every header padded to one page
        assert a[name].shape == shape and a[name].dtype == dtype, (name, a[name].shape, a[name].dtype)
        assert mm.shape == shape and np.array_equal(np.asarray(mm), a[name])
    ev = np.load(os.path.join(d, "events.npy"))
    assert ev.dtype == event_dtype and ev.ndim == 1
    if len(ev):
        assert ev["episode"].min() >= sh["first"] and ev["episode"].max() < sh["first"] + E
        assert ev["tick"].min() >= 0 and ev["tick"].max() < T - 1
        assert ev["type"].max() < len(m["event_types"])
        assert np.all(np.diff(ev["episode"]) >= 0), "events are in episode order"
    ch = np.load(os.path.join(d, "changes.npy"))
    assert ch.dtype == change_dtype and ch.ndim == 1
    # the actions [E, T, K, 4], as the README's recipe puts them together from pushes.npy's rows
    pu = np.load(os.path.join(d, "pushes.npy"))
    assert pu.dtype == push_dtype and pu.ndim == 1 and len(pu) > 0
    order = (pu["episode"].astype(np.int64) * T + pu["tick"]) * K + pu["slot"]
    assert np.all(np.diff(order) > 0), "pushes are in (episode, tick, slot) order"
    a["actions"] = np.zeros((E, T, K, 4), np.float32)
    a["actions"][pu["episode"] - sh["first"], pu["tick"], pu["slot"]] = np.stack([pu[c] for c in ("jx", "jy", "px", "py")], -1)
    # the full observation, as the README's recipe puts it together
    dyn = np.swapaxes(a["states"], 1, 2)   # slot-first (version 6) to [E, T, K, Dd]
    st = np.concatenate([dyn, np.repeat(a["bodies"][:, None], T, 1)], -1)
    for c in ch:
        st[c["episode"] - sh["first"], c["tick"]:, c["slot"], c["column"]] = c["value"]
    st = np.where(a["mask"][..., None] == 1, st, np.float32(0))
    mask = a["mask"].astype(bool)
    # an empty slot: zeros in states.npy too
    assert np.all(dyn[~mask] == 0) and np.all(np.isfinite(st))
    c, s = st[..., names.index("cos")], st[..., names.index("sin")]
    assert np.allclose((c * c + s * s)[mask], 1, atol=1e-5)
    static = st[..., names.index("is_static")] > 0.5
    assert np.all(st[..., names.index("vx")][static & mask] == 0)
    # actions only on live dynamic bodies; contacts only on live ones
    pushed = np.abs(a["actions"][..., :2]).sum(-1) > 0
    assert np.all(mask[pushed] & ~static[pushed]) and np.all(mask[a["contacts"] > 0])
    assert np.all(np.isfinite(a["params"]))
    if m["frames"]:
        assert a["frames"].std() > 1, "frames are not blank"
        # frame_rect: the world rectangle the frames show (aspect kept, centred): the pixel under a
        # dynamic body's centre differs from the background at the start (boxes and balls are filled)
        rect = a["frame_rect"]
        assert np.all(rect[:, 2] > rect[:, 0]) and np.all(rect[:, 3] > rect[:, 1])
        fr = m["frames"]
        W, H = fr["width"], fr["height"]
        hits = tries = 0
        for e in range(E):
            x0, y0, x1, y1 = rect[e]
            scale = min(W / (x1 - x0), H / (y1 - y0))
            for k in range(K):
                row = st[e, 0, k]
                if not mask[e, 0, k] or row[names.index("is_static")] > 0.5 or row[names.index("kind_cup")] > 0.5:
                    continue
                u = W / 2 + (row[0] - (x0 + x1) / 2) * scale
                v = H / 2 - (row[1] - (y0 + y1) / 2) * scale
                if 0 <= u < W and 0 <= v < H:
                    tries += 1
                    px = a["frames"][e, 0, int(v), int(u)]
                    hits += int(np.any(px != a["frames"][e, 0, 0, 0]))
        assert tries == 0 or hits >= 0.9 * tries, (hits, tries)

assert seen == m["episodes"]

# one episode equals `nudge run --trace` of its scenario and seed
d = os.path.join(root, m["shards"][0]["dir"])
mask0 = np.load(os.path.join(d, "mask.npy"))
states = np.concatenate([np.swapaxes(np.load(os.path.join(d, "states.npy")), 1, 2), np.repeat(np.load(os.path.join(d, "bodies.npy"))[:, None], T, 1)], -1)
states = np.where(mask0[..., None] == 1, states, np.float32(0))   # changes.npy: none without magic
assert len(np.load(os.path.join(d, "changes.npy"))) == 0
seed = int(np.load(os.path.join(d, "seed.npy"))[0])
scn = m["scenarios"][int(np.load(os.path.join(d, "scenario.npy"))[0])]["path"]
with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "trace.csv")
    cmd = [nudge, "run", scn, "--seed", str(seed), "--seconds", repr(m["seconds"]), "--trace", trace, "--events", "none"]
    agent = m["inputs"]["agent"]
    if agent != "scenario":
        cmd += ["--agent", agent]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = list(csv.DictReader(open(trace)))
assert m["stride"] == 1, "the trace comparison needs stride 1"
ticks = sorted({int(r["tick"]) for r in rows})
assert ticks == list(range(T)), (ticks[-1], T)
n = 0
for r in rows:
    t, i = int(r["tick"]), int(r["id"])
    if i >= K:
        continue
    row = np.array([np.float32(r[c]) for c in names], dtype=np.float32)
    assert np.array_equal(row, states[0, t, i]), (t, i, row, states[0, t, i])
    n += 1
live = int(np.load(os.path.join(d, "mask.npy"))[0].sum())
assert n == live, (n, live)
print("numpy client: %d episodes, %d shards, trace of episode 0 matches (%d object-ticks)" % (seen, len(m["shards"]), n))
