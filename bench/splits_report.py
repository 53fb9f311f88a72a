#!/usr/bin/python3
"""splits_report.py OUT: the table of make splits, from the eval reports bench/splits.sh wrote.

For every split: the split's model on its test set (the held-out factor), on a held-out test set of
its own training distribution, and the in_dist model (trained on the whole family) on the same test
set. Writes OUT/splits.csv and prints the table with the targets of issue 10:
  - the 60-tick error (all bodies) within 2x of in distribution (the in_dist model on its test set)
    and below constant velocity;
  - resting, unpushed bodies drift <= 2 mm at 60 ticks;
  - event AUROCs >= 0.9.
"""
import csv, math, os, sys

out = sys.argv[1]


def load(report):
    """(subset, method, horizon) -> row of eval.csv; event -> row of eval_events.csv"""
    if not os.path.exists(report + "/eval.csv"):
        return None
    err = {(r["subset"], r["method"], int(r["horizon"])): r for r in csv.DictReader(open(report + "/eval.csv"))}
    ev = {r["event"]: r for r in csv.DictReader(open(report + "/eval_events.csv"))}
    return err, ev


def num(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def get(rep, subset, method, h, col="pos_mean_m"):
    if rep is None or (subset, method, h) not in rep[0]:
        return math.nan
    return num(rep[0][(subset, method, h)][col])


def peer(name, which):
    """the PyTorch peer's 60-tick error (all bodies) on the split's test set (which = "test") or its own
    held-out set ("id"), from OUT/peer/NAME.csv (SPLIT_PEER=1); nan when it did not run"""
    path = f"{out}/peer/{name}.csv"
    if not os.path.exists(path):
        return math.nan
    for r in csv.DictReader(open(path)):
        if r["set"] == f"{name}-{which}" and r["subset"] == "all" and r["method"] == "peer" and r["horizon"] == "60":
            return num(r["pos_mean_m"])
    return math.nan


def auroc(rep, event):
    return math.nan if rep is None else num(rep[1][event]["auroc"])


splits = [l.rstrip("\n").split("\t") for l in open(out + "/splits.tsv") if l.strip()]
ref = load(out + "/eval/in_dist-test")
in_dist60 = get(ref, "all", "model", 60)
rows = []
for name, train, test in splits:
    rep = load(f"{out}/eval/{name}-test")
    own = load(f"{out}/eval/{name}-id") if name != "in_dist" else rep
    seen = load(f"{out}/eval/{name}-seen") if name != "in_dist" else rep
    e60 = get(rep, "all", "model", 60)
    row = {
        "split": name, "train_where": train, "test_where": test,
        "err60": e60,
        "err60_moving": get(rep, "moving", "model", 60),
        "err60_own_id": get(own, "all", "model", 60),
        "err60_seen": get(seen, "all", "model", 60),
        "err60_in_dist": in_dist60,
        "ratio_in_dist": e60 / in_dist60 if in_dist60 > 0 else math.nan,
        "ratio_seen": e60 / get(seen, "all", "model", 60) if get(seen, "all", "model", 60) > 0 else math.nan,
        "cv60": get(rep, "all", "const_vel", 60),
        "cv60_moving": get(rep, "moving", "const_vel", 60),
        "err60_fall": get(rep, "fall", "model", 60),
        "err60_break": get(rep, "break", "model", 60),
        "drift60_mm": 1000 * get(rep, "resting", "model", 60),
        "sink240": get(rep, "all", "model", 240, "sink_share"),
        "err240": get(rep, "all", "model", 240),
        "auroc_break": auroc(rep, "breaks_within_0.5s"),
        "auroc_contact": auroc(rep, "contact_next_tick"),
        "auroc_fall": auroc(rep, "falls_within_0.5s"),
        "peer_err60": peer(name, "test"),
        "peer_err60_own_id": peer(name, "id" if name != "in_dist" else "test"),
    }
    rows.append(row)

cols = list(rows[0].keys())
tmp = out + "/.splits.csv.tmp"
with open(tmp, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=cols)
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    f.flush()
    os.fsync(f.fileno())
os.replace(tmp, out + "/splits.csv")


def cell(v, fmt, width):
    return f"{'-':>{width}}" if not isinstance(v, float) or math.isnan(v) else f"{v:{width}{fmt}}"


print(f"60-tick position error (m), all bodies; ratio = against in distribution ({in_dist60:.4f} m)" if in_dist60 == in_dist60
      else "60-tick position error (m): the in_dist reference is missing")
print(f"{'split':<8} {'err@60':>8} {'ratio':>6} {'moving':>8} {'const_vel':>9} {'own test':>8} {'seen':>8} "
      f"{'x seen':>6} {'drift mm':>8} {'sink@240':>8} {'auroc b/c/f':>17}  targets")
for r in rows:
    misses = []
    if not r["ratio_in_dist"] <= 2:
        misses.append("ratio > 2")
    if not r["err60"] < r["cv60"]:
        misses.append("not below const_vel")
    if not r["drift60_mm"] <= 2:
        misses.append("drift > 2 mm")
    low = [k for k in ("auroc_break", "auroc_contact", "auroc_fall") if r[k] < 0.9]
    if low:
        misses.append("auroc < 0.9: " + ", ".join(k[6:] for k in low))
    au = "/".join(cell(r[k], ".2f", 4).strip() for k in ("auroc_break", "auroc_contact", "auroc_fall"))
    print(f"{r['split']:<8} {cell(r['err60'], '.4f', 8)} {cell(r['ratio_in_dist'], '.2f', 6)} "
          f"{cell(r['err60_moving'], '.4f', 8)} {cell(r['cv60'], '.4f', 9)} {cell(r['err60_own_id'], '.4f', 8)} "
          f"{cell(r['err60_seen'], '.4f', 8)} {cell(r['ratio_seen'], '.2f', 6)} {cell(r['drift60_mm'], '.2f', 8)} "
          f"{cell(r['sink240'] * 100 if r['sink240'] == r['sink240'] else math.nan, '.1f', 7)}% {au:>17}  "
          f"{'met' if not misses else 'missed: ' + '; '.join(misses)}")
if any(r["peer_err60"] == r["peer_err60"] for r in rows):
    print(f"{'split':<8} {'err@60':>8} {'peer':>8} {'nudge/peer':>10} {'own test':>8} {'peer':>8} {'nudge/peer':>10}")
    for r in rows:
        print(f"{r['split']:<8} {cell(r['err60'], '.4f', 8)} {cell(r['peer_err60'], '.4f', 8)} "
              f"{cell(r['err60'] / r['peer_err60'] if r['peer_err60'] > 0 else math.nan, '.2f', 10)} "
              f"{cell(r['err60_own_id'], '.4f', 8)} {cell(r['peer_err60_own_id'], '.4f', 8)} "
              f"{cell(r['err60_own_id'] / r['peer_err60_own_id'] if r['peer_err60_own_id'] > 0 else math.nan, '.2f', 10)}")
    print("peer: bench/torch_peer.py (PyTorch, one thread, the same inputs and targets) trained on the same data for "
          "the CPU seconds nudge's training took; nudge/peer < 1: nudge is more accurate")
print("own test: the split's model on held-out episodes of its own training distribution; seen: the in_dist "
      "model (trained on the held-out factor too) on the split's test set, and x seen the ratio to it; drift: "
      "resting, unpushed bodies at 60 ticks; sink: predictions more than 2 cm inside a static body by 240 ticks")
