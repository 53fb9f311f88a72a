#!/usr/bin/env bash
# make scenes end to end, small: a row per demo scene with finite errors, the ratio to in distribution
# when IN_DIST is given, a verdict per row that follows from its numbers; bad inputs exit 2.
#   usage: scenes_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
model=$root/assets/models/default.wm
export EPISODES=2 SCENE_SECONDS=1.5
# the in-distribution reference: the same model on two episodes of the push template
"$nudge" gen --scenario "$root/scenarios/templates/push_off_table.scn" --episodes 2 --seconds 1.5 --seed 3 \
  --out "$tmp/id" >/dev/null 2>&1 && "$nudge" eval --model "$model" --data "$tmp/id" --report "$tmp/id-eval" \
  --horizon 60 >/dev/null 2>&1 || bad "the in-distribution reference"
if IN_DIST=$tmp/id-eval bash "$root/bench/scenes.sh" "$nudge" "$model" "$tmp/s" >"$tmp/out" 2>"$tmp/err"; then
  ok "bench/scenes.sh runs"
else bad "bench/scenes.sh: $(tail -3 "$tmp/err")"; fi
grep -q "of 6 scenes meet every target" "$tmp/out" && ok "the table's last line" || bad "table: $(cat "$tmp/out")"
/usr/bin/python3 - "$tmp/s/default/scenes.csv" "$root/scenarios/demo" <<'PY' && ok "scenes.csv: a row per scene, finite errors, verdicts that follow from them" || bad "scenes.csv"
import csv, math, os, sys
rows = list(csv.DictReader(open(sys.argv[1])))
scenes = sorted(f[:-4] for f in os.listdir(sys.argv[2]) if f.endswith(".scn"))
assert [r["scene"] for r in rows] == scenes, [r["scene"] for r in rows]
for r in rows:
    m, cv, ratio = float(r["all_model"]), float(r["all_cv"]), float(r["ratio_in_dist"])
    assert math.isfinite(m) and m >= 0 and math.isfinite(cv) and math.isfinite(ratio) and ratio >= 0, r
    missed = set(r["missed"].split(";")) if r["missed"] != "met" else set()
    assert ("cv" in missed) == (not m < cv), r
    assert ("2x" in missed) == (ratio > 2), r
PY
expect_status 2 "a model that is not there" -- bash "$root/bench/scenes.sh" "$nudge" "$tmp/none.wm" "$tmp/s2"
one_line_err "no such model"
finish scenes
