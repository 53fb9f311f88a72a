#!/usr/bin/env bash
# nudge plan and the planning agents as a user meets them: the success table and its CSV, the
# same numbers with --jobs 1 and 2, the oracle reaching goals nobody reaches without pushing, and
# every bad input as one line with exit 2. Usage: plan_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
py=/usr/bin/python3
tasks=$root/scenarios/tasks

# a small model to plan with (its quality does not matter here)
"$nudge" gen --scenario "$tasks/box_up_ramp.scn" --episodes 4 --seconds 1 --seed 1 --out "$tmp/data" >/dev/null 2>&1
OPENBLAS_NUM_THREADS=1 "$nudge" train --data "$tmp/data" --out "$tmp/m.wm" --steps 40 --val-every 20 >/dev/null 2>&1
[ -f "$tmp/m.wm" ] && ok "a small model to plan with" || bad "could not train a small model"

# the table and the CSV: exact columns, a row per task and agent, then the totals
expect_status 0 "plan two tasks" -- "$nudge" plan "$tasks/box_up_ramp.scn" "$tasks/glass_off_table.scn" --model "$tmp/m.wm" \
  --agents none,random,model,oracle --episodes 2 --samples 16 --iters 2 --csv "$tmp/plan.csv"
grep -q "box_up_ramp.*oracle" "$tmp/out" && grep -q "ms/decision" "$tmp/out" && ok "the table names tasks, agents and ms/decision" || bad "table: $(cat "$tmp/out")"
$py - "$tmp/plan.csv" <<'PY' && ok "CSV: exact columns, 2 tasks x 4 agents + totals, rates in [0, 1], none solves nothing, the oracle solves" || bad "CSV: $(cat "$tmp/plan.csv")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["task", "agent", "episodes", "successes", "success_rate", "ms_per_decision"], rows[0]
body = rows[1:]
assert len(body) == 2 * 4 + 4, len(body)
for r in body:
    eps, ok, rate, ms = int(r[2]), int(r[3]), float(r[4]), float(r[5])
    assert 0 <= ok <= eps and abs(rate - ok / eps) < 1e-3 and ms >= 0, r
by = {(r[0], r[1]): r for r in body}
assert by[("all", "none")][3] == "0", "nobody pushing solved a task"
assert int(by[("all", "oracle")][3]) >= 2, "the oracle solved fewer than 2 of 4 episodes"
assert float(by[("all", "oracle")][5]) > 0 and float(by[("all", "model")][5]) > 0
PY

# the same numbers with one and two jobs (only the times differ)
"$nudge" plan "$tasks/box_up_ramp.scn" --model "$tmp/m.wm" --agents random,model --episodes 3 --samples 16 --iters 2 --jobs 1 --csv "$tmp/j1.csv" >/dev/null 2>&1
"$nudge" plan "$tasks/box_up_ramp.scn" --model "$tmp/m.wm" --agents random,model --episodes 3 --samples 16 --iters 2 --jobs 2 --csv "$tmp/j2.csv" >/dev/null 2>&1
if [ -s "$tmp/j1.csv" ] && [ "$(cut -d, -f1-5 "$tmp/j1.csv")" = "$(cut -d, -f1-5 "$tmp/j2.csv")" ]; then ok "--jobs 1 and --jobs 2 agree"; else bad "--jobs 1 and 2 differ"; fi

# the same seed, the same pushes: a planning run twice
"$nudge" run "$tasks/glass_off_table.scn" --agent planner --model "$tmp/m.wm" --samples 16 --iters 2 --seed 4 --events push --jsonl >"$tmp/p1" 2>/dev/null
"$nudge" run "$tasks/glass_off_table.scn" --agent planner --model "$tmp/m.wm" --samples 16 --iters 2 --seed 4 --events push --jsonl >"$tmp/p2" 2>/dev/null
cmp -s "$tmp/p1" "$tmp/p2" && ok "same seed, same pushes (model planner)" || bad "two planning runs differ"

# a goal as an expectation: check with the oracle verifies the task (and without pushes it fails)
expect_status 0 "check a task with the oracle" -- "$nudge" check "$tasks/box_up_ramp.scn" --agent oracle --samples 32 --iters 2
expect_status 1 "check a task with nobody pushing" -- "$nudge" check "$tasks/box_up_ramp.scn" --agent none
grep -q "FAIL .*box_up_ramp.scn:[0-9]*: goal box in" "$tmp/out" && ok "the failed goal is named" || bad "check output: $(cat "$tmp/out")"
expect_status 0 "check skips a planner task without a model" -- "$nudge" check "$tasks/box_up_ramp.scn"
grep -q "^SKIP" "$tmp/out" && ok "SKIP line" || bad "check output: $(cat "$tmp/out")"

# bad input: one line, exit 2
expect_status 2 "planner without a model (run)" -- "$nudge" run "$tasks/box_up_ramp.scn"
one_line_err "box_up_ramp.scn: agent planner needs a world model"
expect_status 2 "--agent planner without a model (check)" -- "$nudge" check "$tasks/box_up_ramp.scn" --agent planner
grep -q "ERROR .*needs a world model" "$tmp/out" && ok "check names it" || bad "check output: $(cat "$tmp/out")"
expect_status 2 "plan without tasks" -- "$nudge" plan --model "$tmp/m.wm"
one_line_err "expected a task"
expect_status 2 "plan the model agent without --model" -- "$nudge" plan "$tasks/box_up_ramp.scn"
one_line_err "needs a world model: --model FILE"
# a task named after a file with a comma and quotes: its CSV row is still six fields
cp "$tasks/box_up_ramp.scn" "$tmp/up, \"steep\".scn"
expect_status 0 "plan --csv of a task whose name holds a comma" -- "$nudge" plan "$tmp/up, \"steep\".scn" --agents random --episodes 1 --csv "$tmp/comma.csv"
/usr/bin/python3 -c "
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert [len(r) for r in rows] == [6, 6, 6], rows
assert rows[1][0] == 'up, \"steep\"', rows[1]
" "$tmp/comma.csv" && ok "CSV: the name quoted, six fields a row" || bad "CSV: $(cat "$tmp/comma.csv")"
cp "$tasks/box_up_ramp.scn" "$tmp/keep.scn"
expect_status 2 "plan --csv over its task" -- "$nudge" plan "$tmp/keep.scn" --agents random --episodes 1 --csv "$tmp/keep.scn"
one_line_err "--csv .*keep.scn is also a task: it would be overwritten"
cmp -s "$tmp/keep.scn" "$tasks/box_up_ramp.scn" && ok "the task is untouched" || bad "plan overwrote its task"
expect_status 2 "plan --csv over the model" -- "$nudge" plan "$tasks/box_up_ramp.scn" --model "$tmp/m.wm" --agents model --episodes 1 --csv "$tmp/m.wm"
one_line_err "--csv .*m.wm is also the model"
expect_status 2 "plan an unknown agent" -- "$nudge" plan "$tasks/box_up_ramp.scn" --agents random,wizard
one_line_err "--agents: expected a list of random, model, oracle, jepa, none, got 'wizard'"
expect_status 2 "the jepa agent without --jepa" -- "$nudge" plan "$tasks/box_into_zone.scn" --agents jepa
one_line_err "the 'jepa' agent needs a pixel model: --jepa FILE"
expect_status 2 "a missing --jepa file" -- "$nudge" plan "$tasks/box_into_zone.scn" --agents jepa --jepa "$tmp/nope.ckpt"
one_line_err "--jepa: cannot read model: .*nope.ckpt"
expect_status 2 "a state model as --jepa" -- "$nudge" plan "$tasks/box_into_zone.scn" --agents jepa --jepa "$tmp/m.wm"
one_line_err "--jepa: .*m.wm: a state model, not a pixel (jepa) model"
expect_status 2 "--jepa without the jepa agent" -- "$nudge" plan "$tasks/box_into_zone.scn" --agents random --jepa "$tmp/m.wm"
one_line_err "--jepa is for the 'jepa' agent"
expect_status 2 "an unknown --jepa-goal" -- "$nudge" plan "$tasks/box_into_zone.scn" --agents random --jepa-goal far
one_line_err "--jepa-goal: expected image or rolled, got 'far'"
expect_status 2 "an unknown --jepa-channels" -- "$nudge" plan "$tasks/box_into_zone.scn" --agents random --jepa-channels some
one_line_err "--jepa-channels: expected all or still, got 'some'"
expect_status 2 "samples 0" -- "$nudge" plan "$tasks/box_up_ramp.scn" --agents random --samples 0
one_line_err "--samples: expected an integer in \[1, 4096\], got '0'"
expect_status 2 "a negative horizon" -- "$nudge" run "$tasks/box_up_ramp.scn" --agent oracle --horizon -5
one_line_err "--horizon: expected an integer in \[1, 600\], got '-5'"
expect_status 2 "a NaN impulse" -- "$nudge" run "$tasks/box_up_ramp.scn" --agent oracle --impulse nan
one_line_err "--impulse: expected a number"
expect_status 2 "a missing model file" -- "$nudge" plan "$tasks/box_up_ramp.scn" --model "$tmp/nope.wm"
one_line_err "nope.wm"
printf 'body floor box stone static pos 0 -0.05 size 6 0.1\nbody b box wood pos 0 0.05 size 0.1 0.1\nagent oracle\n' >"$tmp/nogoal.scn"
expect_status 2 "a task without goals" -- "$nudge" plan "$tmp/nogoal.scn" --agents oracle --episodes 1
one_line_err "nogoal.scn: a task needs at least one 'goal' line"
printf 'body floor box stone static pos 0 -0.05 size 6 0.1\nbody b box wood pos 0 0.05 size 0.1 0.1\ngoal zz fell by 1\n' >"$tmp/badgoal.scn"
expect_status 2 "a goal on an unknown body" -- "$nudge" plan "$tmp/badgoal.scn" --agents oracle
one_line_err "badgoal.scn:3:6: expected a declared body name, got unknown body 'zz'"
# a model of another observation schema: eval's error
$py - "$tmp/m.wm" "$tmp/schema.wm" <<'PY'
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
b[12:16] = struct.pack("<I", struct.unpack("<I", b[12:16])[0] ^ 1)
b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])) & 0xffffffff)
open(sys.argv[2], "wb").write(bytes(b))
PY
expect_status 2 "a model of another observation schema" -- "$nudge" plan "$tasks/box_up_ramp.scn" --model "$tmp/schema.wm"
one_line_err "schema.wm: model was trained on a different observation schema"
expect_status 2 "a model of other slots" -- "$nudge" run "$tasks/box_up_ramp.scn" --agent planner --model "$tmp/m.wm" --slots 16
one_line_err "model has 32 slots of 20 columns, the episode 16 slots"
expect_status 2 "a CSV that cannot be written" -- "$nudge" plan "$tasks/box_up_ramp.scn" --agents random --episodes 1 --csv /dev/null/x.csv
one_line_err "/dev/null/x.csv"
# a model trained on gen --stride 2 records steps two control ticks: the planner does not imagine with it
strided_model "$tmp/s2.bin"
expect_status 2 "plan --agents model with a model of strided records" -- "$nudge" plan "$tasks/box_up_ramp.scn" --agents model --model "$tmp/s2.bin" --episodes 1 --csv "$tmp/s2.csv"
one_line_err "box_up_ramp.scn: the model steps 0.0333333 s (2 control ticks of this world, as trained on gen --stride 2 records); the world's control tick is 0.0166667 s"
[ ! -e "$tmp/s2.csv" ] && ok "no CSV written" || bad "plan wrote a CSV with a strided model"
finish plan_test
