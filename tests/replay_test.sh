#!/usr/bin/env bash
# Recordings as a user meets them: nudge run --record, nudge replay --check (identical; an edited
# action diverges at its tick; damaged, truncated and tampered files refused in one line with the
# offset; a changed scenario refused with both hashes unless --force), --to-scn (nudge check passes
# on what it writes). Usage: replay_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
py=/usr/bin/python3
tool="$py $(dirname "$0")/nrec_tool.py"

demo="$root/scenarios/demo/glass_off_table.scn"
# record and replay: identical
expect_status 0 "run --record" -- "$nudge" run "$demo" --record "$tmp/g.nrec" --events none
expect_status 0 "replay --check" -- "$nudge" replay "$tmp/g.nrec" --check
grep -q "^identical: 240 ticks, 240 world hashes checked$" "$tmp/out" && ok "240 hashes identical" || bad "check output: $(cat "$tmp/out")"
$tool info "$tmp/g.nrec" >"$tmp/info"
grep -qx "ticks 240" "$tmp/info" && grep -qx "end 1" "$tmp/info" && grep -qx "seed 0" "$tmp/info" && grep -q "^path /.*glass_off_table.scn$" "$tmp/info" \
  && ok "a second reader (from the README) agrees: 240 ticks, end record, seed, absolute path" || bad "nrec_tool info: $(cat "$tmp/info")"
# the replay prints the same timeline as the run
"$nudge" run "$demo" --jsonl >"$tmp/run.jsonl" 2>/dev/null
"$nudge" replay "$tmp/g.nrec" --jsonl >"$tmp/replay.jsonl" 2>/dev/null
cmp -s "$tmp/run.jsonl" "$tmp/replay.jsonl" && ok "replay prints the run's timeline" || bad "timelines differ"

# an edited action (the push at 0.5 s: tick 31), CRC written anew: diverges at that tick
$tool flip "$tmp/g.nrec" "$tmp/edit.nrec" 31 >/dev/null
expect_status 1 "an edited action" -- "$nudge" replay "$tmp/edit.nrec" --check
grep -q "^diverged at tick 31 (t = 0.517 s): body glass differs by [0-9.e-]* m" "$tmp/out" && ok "diverged at tick 31, naming the glass" || bad "divergence line: $(cat "$tmp/out")"
# the same flip without its CRC is damage: refused with the record's offset
off=$($tool flip "$tmp/g.nrec" "$tmp/flip.nrec" 31 --keep-crc)
expect_status 2 "a flipped byte" -- "$nudge" replay "$tmp/flip.nrec" --check
one_line_err "corrupted record (CRC-32 mismatch) at offset $off"
# a tampered header
$tool header "$tmp/g.nrec" "$tmp/head.nrec"
expect_status 2 "a tampered header" -- "$nudge" replay "$tmp/head.nrec"
one_line_err "corrupted header (CRC-32 mismatch"
# truncated inside a record: refused with the offset; at a record boundary: what is there replays
off=$($tool cut "$tmp/g.nrec" "$tmp/cut.nrec" 100 --inside)
expect_status 2 "truncated inside a record" -- "$nudge" replay "$tmp/cut.nrec" --check
cutat=$($tool cut "$tmp/g.nrec" "$tmp/cut2.nrec" 100)
one_line_err "truncated record at offset $cutat"
expect_status 0 "truncated at a record boundary (a recorder killed)" -- "$nudge" replay "$tmp/cut2.nrec" --check
grep -q "^identical: 100 ticks" "$tmp/out" && grep -q "no end record" "$tmp/err" && ok "100 ticks replay, the missing end said" || bad "cut replay: $(cat "$tmp/out" "$tmp/err")"
head -c 5 "$tmp/g.nrec" >"$tmp/tiny.nrec"
expect_status 2 "five bytes" -- "$nudge" replay "$tmp/tiny.nrec"
one_line_err "not a nudge recording"
printf 'just text\n' >"$tmp/text.nrec"
expect_status 2 "not a recording" -- "$nudge" replay "$tmp/text.nrec"
one_line_err "not a nudge recording"
expect_status 2 "a missing recording" -- "$nudge" replay "$tmp/none.nrec"
one_line_err "none.nrec"
expect_status 2 "a folder" -- "$nudge" replay "$tmp"
one_line_err "not a regular file"
expect_status 2 "no recording given" -- "$nudge" replay
one_line_err "expected one recording"
expect_status 2 "--expect with an unknown type" -- "$nudge" replay "$tmp/g.nrec" --to-scn "$tmp/x.scn" --expect all,bogus
one_line_err "^nudge replay: --expect: unknown event type 'all'"
# --to-scn over an input: the recording, or the scenario it replays against
cp "$tmp/g.nrec" "$tmp/keep.nrec"
expect_status 2 "--to-scn over the recording" -- "$nudge" replay "$tmp/keep.nrec" --to-scn "$tmp/keep.nrec"
one_line_err "--to-scn .*keep.nrec is also the recording: it would be overwritten"
cp "$demo" "$tmp/keep.scn"
expect_status 2 "--to-scn over the scenario" -- "$nudge" replay "$tmp/keep.nrec" --scenario "$tmp/keep.scn" --to-scn "$tmp/keep.scn"
one_line_err "--to-scn .*keep.scn is also the scenario: it would be overwritten"
cmp -s "$tmp/keep.nrec" "$tmp/g.nrec" && cmp -s "$tmp/keep.scn" "$demo" && ok "recording and scenario untouched" || bad "an input was overwritten"

# a view killed with kill -9 while it records: what it wrote replays (without the end record)
"$nudge" view --headless --seconds 3600 --agent random --no-train --quiet --record "$tmp/k.nrec" >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 100); do [ -s "$tmp/k.nrec" ] && [ "$(stat -c %s "$tmp/k.nrec")" -gt 20000 ] && break; sleep 0.1; done
sleep 0.5
kill -9 "$pid"; wait "$pid" 2>/dev/null
expect_status 0 "a recording of a view killed with kill -9" -- "$nudge" replay "$tmp/k.nrec" --check
grep -q "^identical: [0-9]* ticks" "$tmp/out" && grep -q "no end record" "$tmp/err" \
  && ok "killed view: $(cat "$tmp/out")" || bad "killed view: $(cat "$tmp/out" "$tmp/err")"

# the scenario changed since: refused with both hashes, unless --force
cp "$demo" "$tmp/scene.scn"
"$nudge" run "$tmp/scene.scn" --record "$tmp/s.nrec" --events none 2>/dev/null
sed -i 's/push glass 1.2 0/push glass 1.1 0/' "$tmp/scene.scn"
expect_status 2 "a changed scenario" -- "$nudge" replay "$tmp/s.nrec" --check
one_line_err "changed since it was recorded (text hash [0-9a-f]\{16\} recorded, [0-9a-f]\{16\} now); --force"
expect_status 0 "--force" -- "$nudge" replay "$tmp/s.nrec" --check --force
rm "$tmp/scene.scn"
expect_status 2 "a scenario gone" -- "$nudge" replay "$tmp/s.nrec"
one_line_err "scene.scn: cannot open"
expect_status 0 "--scenario points elsewhere" -- "$nudge" replay "$tmp/s.nrec" --scenario "$demo" --check

# --to-scn: a regression test that nudge check passes, for the demo and for random episodes
expect_status 0 "--to-scn" -- "$nudge" replay "$tmp/g.nrec" --to-scn "$tmp/g.scn"
grep -q "it replays the episode tick for tick" "$tmp/err" && ok "written scenario reproduces the episode" || bad "to-scn: $(cat "$tmp/err")"
expect_status 0 "nudge check on the written scenario" -- "$nudge" check "$tmp/g.scn"
grep -q "^expect event break glass near 1\.0[0-9]\{3\} 0\.1$" "$tmp/g.scn" && ok "the break became an expectation" || bad "written: $(cat "$tmp/g.scn")"
for seed in 1 2 3; do
  "$nudge" run "$root/scenarios/templates/push_off_table.scn" --seed $seed --record "$tmp/r$seed.nrec" --events none 2>/dev/null
  expect_status 0 "template seed $seed: --to-scn --tol 0.05" -- "$nudge" replay "$tmp/r$seed.nrec" --to-scn "$tmp/r$seed.scn" --tol 0.05 --expect all
  expect_status 0 "template seed $seed: nudge check passes" -- "$nudge" check "$tmp/r$seed.scn"
done
grep -q "^at [0-9.]* push " "$tmp/r1.scn" && grep -q "near [0-9.]* 0.05$" "$tmp/r1.scn" && ok "random pushes became at lines, --tol" || bad "r1.scn"
# magic (impossible events) with a random agent: the recording holds what the scenario's magic did,
# so the replay adds none of its own (agent none still runs a scenario's magic); --to-scn writes
# each as its 'at T KIND' line, and the file reproduces the episode and passes
cat >"$tmp/magic.scn" <<'SCN'
world bounds -3 -1 3 4
world seconds 3
body floor box stone static pos 0 -0.05 size 6 0.1
body table box wood static pos 0 0.4 size 1.2 0.8
body glass cup glass pos 0.3 0.86 size 0.08 0.12
body box box wood pos -0.3 0.86 size 0.1 0.1
body ball ball rubber pos -1 0.2 radius 0.05
agent random every 0.3 0.6 dv 0.5 2
at 0.5 teleport box 1.5 1.5
at 0.9 freeze glass
at 1.0 mass ball 3 hidden
at 1.1 gravity 0 -5
at 1.2 ghost ball on
at 1.3 drift ball 0.5 1
at 1.4 appear ghostbox box wood pos -1.5 1 size 0.1 0.1
at 1.6 drift ghostbox 0 2
at 2.0 vanish box
SCN
expect_status 0 "run --record with magic" -- "$nudge" run "$tmp/magic.scn" --seed 4 --record "$tmp/m.nrec" --events none
expect_status 0 "replay --check with magic" -- "$nudge" replay "$tmp/m.nrec" --check
grep -q "^identical: 180 ticks" "$tmp/out" && ok "magic replays identically" || bad "magic replay: $(cat "$tmp/out")"
expect_status 0 "--to-scn with magic" -- "$nudge" replay "$tmp/m.nrec" --to-scn "$tmp/m.scn" --expect all --tol 0.05
grep -q "9 magic lines.*it replays the episode tick for tick" "$tmp/err" && ok "9 magic lines, exact" || bad "magic to-scn: $(cat "$tmp/err")"
for l in "at 0.5 teleport box 1.5 1.5" "at 1 mass ball 3 hidden" "at 1.1 gravity 0 -5" "at 1.2 ghost ball on" \
         "at 1.4 appear ghostbox box wood pos -1.5 1 size 0.1 0.1" "at 1.6 drift ghostbox 0 2" "at 2 vanish box"; do
  grep -qx "$l" "$tmp/m.scn" && ok "written: $l" || bad "missing line '$l' in the written scenario"
done
grep -q "^expect event magic ball near" "$tmp/m.scn" && ok "magic events became expectations" || bad "no magic expectation"
expect_status 0 "nudge check on the written magic scenario" -- "$nudge" check "$tmp/m.scn"

# a scenario that breaks when an expectation no longer holds: edit a push, check fails
sed -i 's/^\(at [0-9.]* push glass \)1.2 0$/\10.2 0/' "$tmp/g.scn"
expect_status 1 "the edited regression test fails" -- "$nudge" check "$tmp/g.scn"
expect_status 2 "--episode beyond the recording" -- "$nudge" replay "$tmp/g.nrec" --to-scn "$tmp/x.scn" --episode 2
one_line_err "holds 1 episode"
expect_status 2 "--to-scn into a missing folder" -- "$nudge" replay "$tmp/g.nrec" --to-scn "$tmp/no/x.scn"
one_line_err "x.scn"
[ ! -e "$tmp/x.scn" ] && ok "nothing half-written" || bad "x.scn left behind"
expect_status 2 "--tol 0" -- "$nudge" replay "$tmp/g.nrec" --to-scn "$tmp/x.scn" --tol 0
expect_status 2 "--record into a missing folder" -- "$nudge" run "$demo" --record "$tmp/no/x.nrec"
one_line_err "x.nrec"

finish replay_test
