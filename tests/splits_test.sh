#!/usr/bin/env bash
# make splits end to end, small: every split's data satisfy its conditions, every model is trained
# and scored, and splits.csv holds each split's 60-tick error and its ratio against in distribution.
#   usage: splits_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
export SPLIT_TRAIN_EPISODES=10 SPLIT_TEST_EPISODES=5 SPLIT_SECONDS=1.5 SPLIT_TRAIN_STEPS=60 SPLIT_JOBS=2
if bash "$root/bench/splits.sh" "$nudge" "$tmp/s" >"$tmp/out" 2>"$tmp/err"; then ok "bench/splits.sh runs"
else bad "bench/splits.sh: $(tail -3 "$tmp/err")"; fi
grep -q "^count .* missed\|^count .* met" "$tmp/out" && ok "the table has a row per split" || bad "table: $(cat "$tmp/out")"
/usr/bin/python3 - "$tmp/s" <<'PY' && ok "each split's data satisfy its conditions; splits.csv is complete" || bad "splits data or csv"
import csv, glob, json, math, sys, numpy as np
out = sys.argv[1]
conds = {"tall": ("surface_h", lambda v: v <= 0.95, lambda v: v > 0.95),
         "steel": ("n_steel", lambda v: v == 0, lambda v: v >= 1),
         "count": ("n_bodies", lambda v: v <= 4, lambda v: v == 8),
         "ramps": ("n_ramps", lambda v: v == 0, lambda v: v >= 1)}
for name, (factor, train, test) in conds.items():
    for part, ok in (("train", train), ("id", train), ("test", test)):
        d = f"{out}/data/{name}-{part}"
        m = json.load(open(d + "/manifest.json"))
        p = np.concatenate([np.load(f + "/params.npy") for f in sorted(glob.glob(d + "/shard-*"))])
        v = p[:, m["params"].index(factor)]
        assert len(v) == m["episodes"] and all(ok(x) for x in v), (name, part, v)
rows = {r["split"]: r for r in csv.DictReader(open(out + "/splits.csv"))}
assert list(rows) == ["in_dist", "tall", "steel", "count", "ramps"], list(rows)
assert float(rows["in_dist"]["ratio_in_dist"]) == 1
for r in rows.values():
    for k in ("err60", "ratio_in_dist", "cv60", "err60_own_id", "err60_seen"):
        assert math.isfinite(float(r[k])) and float(r[k]) > 0, (r["split"], k, r[k])
PY
finish splits
