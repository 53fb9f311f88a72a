#!/usr/bin/env bash
# The nudge command line as a user meets it: exit codes, one-line errors, clean stdout, traces,
# JUnit XML. Usage: cli_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
py=/usr/bin/python3

expect_status 2 "no command" -- "$nudge"
expect_status 2 "unknown command" -- "$nudge" frobnicate
one_line_err "unknown command 'frobnicate'"
expect_status 0 "nudge --help" -- "$nudge" --help
grep -q "check" "$tmp/out" && ok "help lists commands" || bad "help does not list commands"
expect_status 0 "nudge run --help" -- "$nudge" run --help
grep -q -- "--trace" "$tmp/out" && ok "run help lists --trace" || bad "run help lacks --trace"
expect_status 2 "unknown flag" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --bogus
one_line_err "unknown flag '--bogus'"
# a value left out: at the end, before the next flag, or empty; nothing is written under a flag's name
expect_status 2 "a value missing at the end" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --seed
one_line_err "^nudge run: --seed needs a value$"
(cd "$tmp" && "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --trace --jsonl >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/rc")
[ "$(cat "$tmp/rc")" -eq 2 ] && ok "--trace --jsonl (exit 2)" || bad "--trace --jsonl: exit $(cat "$tmp/rc")"
one_line_err "^nudge run: --trace needs a value, got the flag '--jsonl'"
[ ! -e "$tmp/--jsonl" ] && ok "no file called --jsonl" || bad "run wrote a trace called --jsonl"
expect_status 2 "--trace=" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --trace=
one_line_err "^nudge run: --trace needs a value, got an empty one$"
[ ! -s "$tmp/out" ] && ok "--trace=: nothing run" || bad "--trace= ran the scenario: $(head -c 200 "$tmp/out")"
expect_status 2 "gen --out ''" -- "$nudge" gen --scenario "$root/scenarios/templates/push_off_table.scn" --episodes 1 --seconds 1 --out ""
one_line_err "^nudge gen: --out needs a value, got an empty one$"
expect_status 2 "bad number" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --seconds abc
one_line_err "seconds"
expect_status 2 "negative seconds" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --seconds -1
# a real number is decimal, as in a scenario file: no hex, no spaces, nothing after it
for v in 0x10 " 5" 5x 1e400 inf; do
  expect_status 2 "--seconds '$v'" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --seconds "$v" --events none
  one_line_err "^nudge run: --seconds: expected a number in"
done
expect_status 2 "--push-every 0x1,0x2" -- "$nudge" run "$root/scenarios/templates/push_off_table.scn" --push-every 0x1,0x2
one_line_err "push-every"
expect_status 2 "--push-dv ' 1,2'" -- "$nudge" run "$root/scenarios/templates/push_off_table.scn" --push-dv " 1,2"
one_line_err "push-dv"
expect_status 2 "an unknown event type" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --events fall,ALL
one_line_err "^nudge run: --events: unknown event type 'ALL' (known: .*magic; or all, none alone)$"
# a long list is read whole (it was cut at 255 characters, dropping the last names)
long=$(printf 'fall,%.0s' $(seq 1 60))break
expect_status 0 "--events with a ${#long}-character list" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --events "$long" --jsonl
grep -q '"type": "break"' "$tmp/out" && ok "the list's last name counts" || bad "no break in: $(head -c 300 "$tmp/out")"
expect_status 2 "bad agent" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --agent sleepy
one_line_err "agent"
expect_status 2 "bad --push-every" -- "$nudge" run "$root/scenarios/templates/push_off_table.scn" --push-every 2,1
one_line_err "push-every"
expect_status 2 "bad --push-dv" -- "$nudge" run "$root/scenarios/templates/push_off_table.scn" --push-dv -1,2
one_line_err "push-dv"
# the flags configure the random agent: pushes every 0.1-0.2 s instead of the template's 0.4-1.2 s
"$nudge" run "$root/scenarios/templates/push_off_table.scn" --seconds 3 --events push --jsonl >"$tmp/slow" 2>/dev/null
"$nudge" run "$root/scenarios/templates/push_off_table.scn" --seconds 3 --events push --jsonl --push-every 0.1,0.2 --push-dv 0.5,0.6 >"$tmp/fast" 2>/dev/null
nslow=$(wc -l <"$tmp/slow"); nfast=$(wc -l <"$tmp/fast")
[ "$nfast" -ge 12 ] && [ "$nfast" -gt $((2 * nslow)) ] && ok "--push-every: $nfast pushes against $nslow" || bad "--push-every: $nfast pushes against $nslow"
expect_status 2 "missing scenario" -- "$nudge" run "$tmp/nope.scn"
one_line_err "nope.scn"
# an output that names an input (through another spelling or a link) is refused; the input is kept
cp "$root/scenarios/demo/glass_off_table.scn" "$tmp/keep.scn"
ln -s keep.scn "$tmp/keep_link.scn"
for flag in --trace --record --video; do
  expect_status 2 "run $flag over the scenario" -- "$nudge" run "$tmp/keep.scn" $flag "$tmp/./keep_link.scn"
  one_line_err "$flag .*keep_link.scn is also the scenario: it would be overwritten"
done
expect_status 2 "run --trace and --record naming one file" -- "$nudge" run "$tmp/keep.scn" --trace "$tmp/both" --record "$tmp/./both"
one_line_err "^nudge run: --trace .*both and --record .*both name the same file"
[ ! -e "$tmp/both" ] && ok "nothing written under the shared name" || bad "run wrote $tmp/both"
expect_status 2 "check --junit over a scenario it runs" -- "$nudge" check "$tmp/keep.scn" "$root/scenarios/regression/closed_push.scn" --junit "$tmp/keep.scn"
one_line_err "^nudge check: --junit .*keep.scn is also a scenario"
[ ! -s "$tmp/out" ] && cmp -s "$tmp/keep.scn" "$root/scenarios/demo/glass_off_table.scn" && ok "the scenario is untouched, nothing run" || bad "keep.scn changed or check ran: $(head -c 200 "$tmp/out")"

# a malformed scenario: one line naming file:line:col, exit 2
printf 'world seconds 2\nbody floor box stone static pos 0 -0.05 size 6 0.1\nbody b box wood pos 0 1 size 0.1 heavy\n' >"$tmp/bad.scn"
expect_status 2 "malformed scenario (run)" -- "$nudge" run "$tmp/bad.scn"
one_line_err "bad.scn:3:[0-9]*:"
# values the world refuses when it is built: still file:line:col, exit 2
printf 'body b box wood pos 0 1 size 0.1 0.1 vel 1e300 0\n' >"$tmp/fast.scn"
expect_status 2 "a body too fast" -- "$nudge" run "$tmp/fast.scn"
one_line_err "fast.scn:1:1: .*speed"
printf 'body b box wood pos 0 1 size 1e-9 1e-9\n' >"$tmp/tiny.scn"
expect_status 2 "a body too small" -- "$nudge" run "$tmp/tiny.scn"
one_line_err "tiny.scn:1:1: .*size"
# a physics step too small to count in (issue 16, defect 11), and runs too long to start
printf 'world dt 1e-300\nbody b box wood pos 0 1 size 0.1 0.1\n' >"$tmp/tinydt.scn"
expect_status 2 "dt 1e-300" -- "$nudge" run "$tmp/tinydt.scn"
one_line_err "tinydt.scn:1:10: expected a physics step dt in \[1e-05, 0.1\] s, got 1e-300"
printf 'world dt 1e-5\nworld ticks 1\nbody b box wood pos 0 1 size 0.1 0.1\n' >"$tmp/slow.scn"
expect_status 2 "a run of 8.64e9 physics steps" -- "$nudge" run "$tmp/slow.scn" --seconds 86400
one_line_err "a run of 86400 s at dt 1e-05 s is 8.64e+09 physics steps; at most 100000000 are allowed"
expect_status 2 "gen of 3.6e8 physics steps an episode" -- "$nudge" gen --scenario "$tmp/slow.scn" --episodes 1 --seconds 3600 --out "$tmp/slowdata"
one_line_err "at most 100000000 are allowed"
[ ! -e "$tmp/slowdata/manifest.json" ] && ok "nothing written for the refused dataset" || bad "a refused gen wrote a manifest"
# 1000 boxes piled into one place (issue 16, defect 5): refused at once, not simulated for minutes
$py -c "
print('body floor box stone static pos 0 -0.05 size 6 0.1')
for i in range(1000): print(f'body b{i} box wood pos {0.001 * (i % 10):.3f} 0.5 size 0.1 0.1')
" >"$tmp/pile.scn"
expect_status 2 "1000 overlapping boxes" -- "$nudge" run "$tmp/pile.scn"
one_line_err "pile.scn:3:6: expected bodies apart at the start"
mkdir -p "$tmp/suite"
cp "$tmp/bad.scn" "$tmp/suite/a_bad.scn"
expect_status 2 "malformed scenario (check)" -- "$nudge" check "$tmp/suite"
grep -q "bad.scn:3:" "$tmp/out" && ok "check names file:line" || bad "check output: $(cat "$tmp/out")"
# a bad agent flag is one line on stderr before any scenario runs, not an ERROR line per scenario
for flag in "--agent sleepy:agent" "--push-every nan:push-every" "--push-dv 2,1:push-dv" "--model $tmp/nope.wm:nope.wm"; do
  want=${flag##*:}; flag=${flag%:*}
  # shellcheck disable=SC2086
  expect_status 2 "check $flag" -- "$nudge" check "$root/scenarios/regression/closed_push.scn" "$root/scenarios/regression/closed_slide.scn" $flag --junit "$tmp/flag.xml"
  one_line_err "^nudge check: .*$want"
  [ ! -s "$tmp/out" ] && [ ! -e "$tmp/flag.xml" ] && ok "check $flag: no scenario run, no JUnit file" || bad "check $flag: stdout $(head -c 200 "$tmp/out")"
done

# as many paths as the shell's glob gives (there was room for 64)
mkdir -p "$tmp/many"
for i in $(seq 1 70); do printf 'world seconds 0.1\nbody b ball steel pos 0 1 radius 0.05\n' >"$tmp/many/s$i.scn"; done
expect_status 0 "check of 70 files named one by one" -- "$nudge" check "$tmp"/many/*.scn
tail -n 1 "$tmp/out" | grep -qx "70 passed, 0 failed" && ok "all 70 checked" || bad "check of 70 files: $(tail -n 2 "$tmp/out")"
# folders linked back to a parent: each folder is walked once (two such links gave 2583 copies of one file)
mkdir -p "$tmp/loop/sub"
cp "$tmp/many/s1.scn" "$tmp/loop/sub/only.scn"
ln -s .. "$tmp/loop/sub/up"
ln -s . "$tmp/loop/self"
expect_status 0 "check of a folder with links back to itself" -- timeout 60 "$nudge" check "$tmp/loop"
tail -n 1 "$tmp/out" | grep -qx "1 passed, 0 failed" && ok "its one scenario checked once" || bad "check of the loop: $(tail -n 1 "$tmp/out")"
# a failing expectation: exit 1, the FAIL line names the expectation and the observed value
printf 'world seconds 1\nbody floor box stone static pos 0 -0.05 size 6 0.1\nbody ball ball steel pos 0 1 radius 0.05\nexpect at 0.5 ball.y near 2.0 0.01\n' >"$tmp/suite2.scn"
expect_status 1 "failing expectation" -- "$nudge" check "$tmp/suite2.scn" --junit "$tmp/j.xml"
grep -q "^FAIL .*suite2.scn:4: .*ball.y = 0\.[0-9]*" "$tmp/out" && ok "FAIL line names value" || bad "FAIL line: $(cat "$tmp/out")"
tail -n 1 "$tmp/out" | grep -qx "0 passed, 1 failed" && ok "summary line" || bad "summary: $(tail -n 1 "$tmp/out")"
$py -c "import sys, xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); s=r.find('testsuite'); assert s.get('failures')=='1', s.attrib; assert s.find('testcase/failure') is not None" "$tmp/j.xml" \
  && ok "JUnit XML parses, one failure" || bad "JUnit XML"

# file names that are not UTF-8 (or are): the JUnit XML is still well-formed, and keeps what is UTF-8
mkdir -p "$tmp/names"
cp "$tmp/many/s1.scn" "$tmp/names/$(printf 'bad\xff')".scn
cp "$tmp/many/s1.scn" "$tmp/names/$(printf 'caf\xc3\xa9')".scn
expect_status 0 "check of files whose names are not UTF-8" -- "$nudge" check "$tmp/names" --junit "$tmp/names.xml"
$py -c "
import sys, xml.etree.ElementTree as E
names = sorted(t.get('name') for t in E.parse(sys.argv[1]).getroot().iter('testcase'))
assert names == ['bad\ufffd', 'caf\u00e9'], names
" "$tmp/names.xml" && ok "JUnit XML parses, U+FFFD for the stray byte" || bad "JUnit XML: $(cat "$tmp/names.xml")"

# stdout is clean: no Chipmunk banner; JSON lines parse
expect_status 0 "run --jsonl" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --jsonl
grep -q "Chipmunk" "$tmp/out" && bad "Chipmunk banner on stdout" || ok "no banner on stdout"
$py -c "
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
types = [e['type'] for e in ev]
assert 'push' in types and 'break' in types and 'fall' in types, types
assert types.index('push') < types.index('fall') < types.index('break')
" "$tmp/out" && ok "timeline: push, fall, break in order" || bad "jsonl timeline"

# the trace: header row, one row per live object per tick, 0..ticks
expect_status 0 "run --trace" -- "$nudge" run "$root/scenarios/regression/rest_events.scn" --seconds 1 --trace "$tmp/trace.csv" --events none
$py -c "
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows[0].keys() >= {'tick', 't', 'id', 'name', 'x', 'y', 'cos', 'sin', 'vx', 'vy', 'omega', 'mass', 'is_static'}
ticks = sorted({int(r['tick']) for r in rows})
assert ticks == list(range(61)), ticks[-3:]
box = [r for r in rows if r['name'] == 'box']
assert abs(float(box[0]['y']) - 0.5) < 1e-6 and float(box[-1]['y']) < 0.06
" "$tmp/trace.csv" && ok "trace CSV" || bad "trace CSV"
expect_status 2 "unwritable trace" -- "$nudge" run "$root/scenarios/regression/rest_events.scn" --trace /dev/null/x.csv
one_line_err "x.csv"

# determinism: the same scenario and seed print the same bytes
"$nudge" run "$root/scenarios/templates/push_off_table.scn" --seed 5 --jsonl >"$tmp/a" 2>/dev/null
"$nudge" run "$root/scenarios/templates/push_off_table.scn" --seed 5 --jsonl >"$tmp/b" 2>/dev/null
"$nudge" run "$root/scenarios/templates/push_off_table.scn" --seed 6 --jsonl >"$tmp/c" 2>/dev/null
cmp -s "$tmp/a" "$tmp/b" && ok "same seed, same timeline" || bad "same seed gave different timelines"
cmp -s "$tmp/a" "$tmp/c" && bad "different seeds gave the same timeline" || ok "different seed, different timeline"

# a model trained on gen --stride 2 records steps two control ticks: run on a live world it is refused
strided_model "$tmp/s2.bin"
expect_status 2 "run --surprise with a model of strided records" -- "$nudge" run "$root/scenarios/demo/glass_off_table.scn" --surprise --model "$tmp/s2.bin"
one_line_err "^nudge run: .*s2.bin: the model steps 0.0333333 s (2 control ticks of this world, as trained on gen --stride 2 records); the world's control tick is 0.0166667 s: use a model trained on records a tick apart$"
[ ! -s "$tmp/out" ] && ok "nothing run" || bad "run --surprise ran with a strided model: $(head -c 200 "$tmp/out")"
expect_status 2 "run --agent planner with it" -- "$nudge" run "$root/scenarios/tasks/box_up_ramp.scn" --agent planner --model "$tmp/s2.bin"
one_line_err "box_up_ramp.scn: the model steps 0.0333333 s (2 control ticks of this world, as trained on gen --stride 2 records); the world's control tick is 0.0166667 s"
expect_status 2 "check of model expectations with it" -- "$nudge" check --model "$tmp/s2.bin" "$root/scenarios/model"
grep -q "^ERROR .*s2.bin: the model steps 0.0333333 s (2 control ticks of this world, as trained on gen --stride 2 records); the world's control tick is 0.0166667 s" "$tmp/out" && ok "check: each scenario an ERROR naming the step" || bad "check with a strided model: $(head -c 300 "$tmp/out")"
grep -q "FAIL\|^PASS\|^ok" "$tmp/out" && bad "check judged expectations with a strided model" || ok "no expectation judged"
# the view does not refuse: its model trains live on the ticks of the scene it shows (a scene of its
# own tick too: world dt 0.1, one step a tick)
expect_status 0 "view --model with it: trained live" -- "$nudge" view --headless --seconds 1 --quiet --model "$tmp/s2.bin"
expect_status 0 "view of a scene with a 0.1 s tick, the shipped model" -- "$nudge" view "$root/scenarios/regression/world_dt_coarse.scn" --headless --seconds 1 --quiet
expect_status 0 "the same, a fresh model" -- "$nudge" view "$root/scenarios/regression/world_dt_coarse.scn" --headless --seconds 1 --quiet --fresh

finish cli_test
