#!/usr/bin/env bash
# nudge against hostile files and limits (issue 16), as a user meets them:
#   - output paths that are character devices, FIFOs or symbolic links (never replaced);
#   - inputs that are FIFOs or devices (refused at once, never read forever);
#   - the file-size limit (ulimit -f) for every command that writes: one line, exit 2, no
#     temporary left, no half-written file;
#   - SIGINT / SIGTERM: train and view save, then exit 130;
#   - integer flags that would wrap around 2^32 or 2^64;
#   - no "nan" in human output.
# Usage: hostile_io_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
scn=$root/scenarios/demo/glass_off_table.scn
tpl=$root/scenarios/templates/push_off_table.scn
task=$root/scenarios/tasks/glass_off_table.scn

# a small dataset, a model and a recording to work with
"$nudge" gen --scenario "$tpl" --episodes 6 --seconds 1 --out "$tmp/ds" --episodes-per-shard 3 2>/dev/null \
  && "$nudge" train --data "$tmp/ds" --out "$tmp/m/wm.bin" --steps 20 >/dev/null 2>&1 \
  && "$nudge" run "$scn" --record "$tmp/r.nrec" --events none 2>/dev/null \
  && ok "setup: dataset, model, recording" || bad "setup failed"

# no_temporaries DIR: nothing named *.tmp-* under DIR
no_temporaries() {
  local left; left=$(find "$1" -name '*.tmp-*' 2>/dev/null)
  if [ -z "$left" ]; then ok "no temporaries under $(basename "$1")"; else bad "temporaries left: $left"; fi
}
# limited KB CMD...: runs CMD with a file-size limit of KB kilobytes (ulimit -f), its stdout to
# /dev/null and its stderr through a pipe (which no limit cuts, unlike the file expect_status keeps)
limited() {
  local kb=$1; shift
  bash -c '{ ulimit -f "$0"; exec "$@" 2>&1 >/dev/null; } | cat >&2; exit "${PIPESTATUS[0]}"' "$kb" "$@"
}

## outputs that are devices: written into, never replaced by a regular file
dev=$tmp/mynull
if ! mknod "$dev" c 1 3 2>/dev/null; then ln -s /dev/null "$dev"; fi   # a link to one without privileges
is_device() { if [ -c "$dev" ]; then ok "$1: $dev is still a character device"; else bad "$1: $dev was replaced: $(ls -la "$dev")"; fi; }
expect_status 0 "run --trace DEVICE" -- "$nudge" run "$scn" --events none --trace "$dev"
is_device "run --trace"
expect_status 0 "run --record DEVICE" -- "$nudge" run "$scn" --events none --record "$dev"
is_device "run --record"
expect_status 0 "check --junit DEVICE" -- "$nudge" check "$scn" --junit "$dev"
is_device "check --junit"
expect_status 0 "train --out DEVICE" -- "$nudge" train --data "$tmp/ds" --out "$dev" --steps 5
is_device "train --out"
[ ! -e "$tmp/train.csv" ] && ok "no train.csv beside a device" || bad "train wrote $tmp/train.csv beside a device"
expect_status 0 "view --save, --screenshot DEVICE" -- "$nudge" view --headless --seconds 1 --quiet --save "$dev" --screenshot "$dev"
is_device "view --save"
expect_status 0 "plan --csv DEVICE" -- "$nudge" plan "$task" --agents random --episodes 1 --csv "$dev"
is_device "plan --csv"
expect_status 0 "voe --trace DEVICE" -- "$nudge" voe "$root/scenarios/voe/teleport.scn" --model "$tmp/m/wm.bin" --pairs 1 --trace "$dev"
is_device "voe --trace"
ln -s "$tmp/voe_trace.csv" "$tmp/voe_link.csv"
expect_status 0 "voe --trace LINK" -- "$nudge" voe "$root/scenarios/voe/teleport.scn" --model "$tmp/m/wm.bin" --pairs 1 --trace "$tmp/voe_link.csv"
[ -L "$tmp/voe_link.csv" ] && grep -q "^category,pair," "$tmp/voe_trace.csv" && ok "voe --trace: the link stays, its file written" || bad "voe --trace link: $(ls -la "$tmp"/voe_*)"
mkdir -p "$tmp/vtmp"
expect_status 0 "run --video DEVICE" -- env TMPDIR="$tmp/vtmp" "$nudge" run "$scn" --events none --seconds 0.5 --video "$dev"
is_device "run --video"
[ -z "$(ls -A "$tmp/vtmp" 2>/dev/null)" ] && ok "run --video DEVICE: no temporary left" || bad "video temporaries: $(ls "$tmp/vtmp")"
mkdir -p "$tmp/rep"
ln -s "$dev" "$tmp/rep/eval.svg"
expect_status 0 "eval, eval.svg a link to a device" -- "$nudge" eval --model "$tmp/m/wm.bin" --data "$tmp/ds" --report "$tmp/rep" --horizon 10
is_device "eval.svg"
[ -L "$tmp/rep/eval.svg" ] && [ -s "$tmp/rep/eval.csv" ] && ok "eval: the link stays, eval.csv written" || bad "eval report: $(ls -la "$tmp/rep")"

## outputs that are symbolic links: the file they name gets the bytes, the link stays a link
mkdir -p "$tmp/links/real"
ln -s real/trace.csv "$tmp/links/trace.csv"
expect_status 0 "run --trace LINK" -- "$nudge" run "$scn" --events none --trace "$tmp/links/trace.csv"
[ -L "$tmp/links/trace.csv" ] && [ -s "$tmp/links/real/trace.csv" ] && head -c 9 "$tmp/links/real/trace.csv" | grep -q "tick,t,id" \
  && ok "trace written through the link" || bad "trace through a link: $(ls -laR "$tmp/links")"
cp "$tmp/m/wm.bin" "$tmp/links/real/model.bin"
ln -s "$tmp/links/real/model.bin" "$tmp/links/model.bin"
expect_status 0 "train --out LINK" -- "$nudge" train --data "$tmp/ds" --out "$tmp/links/model.bin" --steps 5
[ -L "$tmp/links/model.bin" ] && ! cmp -s "$tmp/m/wm.bin" "$tmp/links/real/model.bin" \
  && ok "train: the model behind the link is the new one" || bad "train through a link"
ln -s real/film.mp4 "$tmp/links/film.mp4"
expect_status 0 "run --video LINK" -- "$nudge" run "$scn" --events none --seconds 0.5 --video "$tmp/links/film.mp4"
[ -L "$tmp/links/film.mp4" ] && [ -s "$tmp/links/real/film.mp4" ] && ok "run --video through a link" || bad "video through a link: $(ls -la "$tmp/links" "$tmp/links/real")"
ln -s real/regression.scn "$tmp/links/regression.scn"
expect_status 0 "replay --to-scn LINK" -- "$nudge" replay "$tmp/r.nrec" --to-scn "$tmp/links/regression.scn"
[ -L "$tmp/links/regression.scn" ] && [ -s "$tmp/links/real/regression.scn" ] && ok "replay --to-scn through a link" || bad "replay --to-scn through a link"
ln -s loop_b "$tmp/links/loop_a"; ln -s loop_a "$tmp/links/loop_b"
expect_status 2 "a loop of links" -- "$nudge" run "$scn" --events none --trace "$tmp/links/loop_a"
one_line_err "loop_a: .*symbolic links"
no_temporaries "$tmp/links"

## a FIFO as output: the reader gets the whole trace
mkfifo "$tmp/out.fifo"
cat "$tmp/out.fifo" >"$tmp/from_fifo.csv" &
reader=$!
expect_status 0 "run --trace FIFO" -- "$nudge" run "$scn" --events none --trace "$tmp/out.fifo"
wait "$reader"
[ -p "$tmp/out.fifo" ] && [ "$(wc -l <"$tmp/from_fifo.csv")" -gt 240 ] && ok "the FIFO's reader got the trace" || bad "trace through a FIFO"

## inputs that are FIFOs or devices: refused at once (a FIFO without a writer would block forever)
mkfifo "$tmp/in.fifo"
mkdir -p "$tmp/fifodir"; mkfifo "$tmp/fifodir/x.scn"
quick() { timeout 30 "$@"; }
expect_status 2 "run FIFO" -- quick "$nudge" run "$tmp/in.fifo"
one_line_err "in.fifo: .*FIFO"
expect_status 2 "check FIFO" -- quick "$nudge" check "$tmp/in.fifo"
expect_status 2 "check a folder with a FIFO" -- quick "$nudge" check "$tmp/fifodir"
expect_status 2 "gen --scenario FIFO" -- quick "$nudge" gen --scenario "$tmp/in.fifo" --episodes 1 --seconds 1 --out "$tmp/g_fifo"
one_line_err "FIFO"
expect_status 2 "view FIFO" -- quick "$nudge" view --headless --seconds 1 "$tmp/in.fifo"
one_line_err "FIFO"
# a folder without scenes (under make sanitize: no memcpy from a NULL list)
mkdir -p "$tmp/noscenes"
expect_status 2 "view of a folder without scenarios" -- "$nudge" view "$tmp/noscenes" --headless --seconds 1
one_line_err "noscenes: no .scn scenarios found"
expect_status 2 "replay FIFO" -- quick "$nudge" replay "$tmp/in.fifo"
one_line_err "FIFO"
expect_status 2 "replay --scenario FIFO" -- quick "$nudge" replay "$tmp/r.nrec" --scenario "$tmp/in.fifo"
one_line_err "FIFO"
expect_status 2 "eval --model FIFO" -- quick "$nudge" eval --model "$tmp/in.fifo" --data "$tmp/ds"
one_line_err "FIFO"
expect_status 2 "train --resume FIFO" -- quick "$nudge" train --data "$tmp/ds" --out "$tmp/m2/wm.bin" --resume "$tmp/in.fifo"
one_line_err "FIFO"
expect_status 2 "view --model /dev/zero" -- quick "$nudge" view --headless --seconds 1 --model /dev/zero
one_line_err "character device"
expect_status 2 "plan FIFO" -- quick "$nudge" plan "$tmp/in.fifo" --agents random --episodes 1
one_line_err "FIFO"

## the file-size limit: one line, exit 2, nothing half-written, no temporary left
mkdir -p "$tmp/lim"
expect_status 2 "train under ulimit -f" -- limited 64 "$nudge" train --data "$tmp/ds" --out "$tmp/lim/t/wm.bin" --steps 20
one_line_err "wm.bin: write failed: File too large"
[ ! -e "$tmp/lim/t/wm.bin" ] && [ ! -e "$tmp/lim/t/train.csv" ] && ok "train: no model, no train.csv left" || bad "train left: $(ls -la "$tmp/lim/t")"
cp "$tmp/m/wm.bin" "$tmp/lim/resume.bin"; cp "$tmp/m/train.csv" "$tmp/lim/train.csv"
expect_status 2 "train --resume under ulimit -f" -- limited 64 "$nudge" train --data "$tmp/ds" --out "$tmp/lim/resume.bin" --resume "$tmp/lim/resume.bin" --steps 20 --val-every 5
cmp -s "$tmp/m/wm.bin" "$tmp/lim/resume.bin" && cmp -s "$tmp/m/train.csv" "$tmp/lim/train.csv" \
  && ok "train --resume: model and log as they were" || bad "train --resume changed the model or the log"
expect_status 2 "eval under ulimit -f" -- limited 0 "$nudge" eval --model "$tmp/m/wm.bin" --data "$tmp/ds" --report "$tmp/lim/rep" --horizon 10
one_line_err "eval.csv: write failed: File too large"
expect_status 2 "run --trace under ulimit -f" -- limited 16 "$nudge" run "$scn" --events none --trace "$tmp/lim/t.csv"
one_line_err "t.csv: write failed: File too large"
[ ! -e "$tmp/lim/t.csv" ] && ok "no half trace" || bad "a half trace was left"
expect_status 2 "run --record under ulimit -f" -- limited 16 "$nudge" run "$scn" --events none --record "$tmp/lim/r.nrec"
one_line_err "r.nrec: cannot write the recording: File too large"
"$nudge" replay "$tmp/lim/r.nrec" >"$tmp/out" 2>"$tmp/err"
grep -q "no end record\|end record" "$tmp/err" && ! grep -q "offset" "$tmp/err" \
  && ok "the cut recording ends on a whole record" || bad "cut recording: $(cat "$tmp/err")"
expect_status 2 "check --junit under ulimit -f" -- limited 0 "$nudge" check "$scn" --junit "$tmp/lim/j.xml"
one_line_err "j.xml: write failed: File too large"
expect_status 2 "view --save under ulimit -f" -- limited 64 "$nudge" view --headless --seconds 1 --quiet --save "$tmp/lim/v.bin"
one_line_err "v.bin: write failed: File too large"
expect_status 2 "plan --csv under ulimit -f" -- limited 0 "$nudge" plan "$task" --agents random --episodes 1 --csv "$tmp/lim/p.csv"
one_line_err "p.csv: write failed: File too large"
expect_status 2 "replay --to-scn under ulimit -f" -- limited 0 "$nudge" replay "$tmp/r.nrec" --to-scn "$tmp/lim/x.scn"
one_line_err "x.scn: write failed: File too large"
expect_status 2 "run --video under ulimit -f" -- limited 8 "$nudge" run "$scn" --events none --seconds 2 --video "$tmp/lim/film.mp4"
one_line_err "film.mp4: ffmpeg failed (.*File too large)"
[ ! -e "$tmp/lim/film.mp4" ] && ok "no cut film" || bad "a cut film was left: $(ls -la "$tmp/lim/film.mp4")"
expect_status 2 "gen under ulimit -f" -- limited 16 "$nudge" gen --scenario "$tpl" --episodes 2 --seconds 1 --out "$tmp/lim/g"
one_line_err "File too large"
expect_status 2 "stdout under ulimit -f" -- limited 1 bash -c '"$0" run "$1" --events all > "$2"' "$nudge" "$scn" "$tmp/lim/stdout.txt"
grep -q "cannot write the standard output: File too large" "$tmp/err" && ok "a cut stdout is an error" || bad "stdout: $(cat "$tmp/err")"
no_temporaries "$tmp/lim"

## Ctrl-C and SIGTERM: train and view --headless save, then exit 130
# wait_for FILE PATTERN: until FILE has a line matching PATTERN (30 s at most)
wait_for() { for _ in $(seq 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
for sig in INT TERM; do
  "$nudge" view --headless --seconds 100000 --save "$tmp/sig_$sig/v.bin" >"$tmp/v_$sig.out" 2>"$tmp/v_$sig.err" &
  pid=$!
  wait_for "$tmp/v_$sig.out" "^t=2 " || bad "view printed no metrics"
  kill -"$sig" "$pid"; wait "$pid"; rc=$?
  [ "$rc" -eq 130 ] && head -c 7 "$tmp/sig_$sig/v.bin" 2>/dev/null | grep -q NUDGEWM \
    && ok "view --headless: SIG$sig saves and exits 130" || bad "view SIG$sig: exit $rc, $(cat "$tmp/v_$sig.err")"
  grep -q "nan" "$tmp/v_$sig.out" && bad "view printed nan: $(grep nan "$tmp/v_$sig.out" | head -1)" || ok "view: no nan in its metrics"
  "$nudge" train --data "$tmp/ds" --out "$tmp/sig_$sig/t.bin" --steps 100000000 --val-every 20 >"$tmp/t_$sig.out" 2>"$tmp/t_$sig.err" &
  pid=$!
  wait_for "$tmp/sig_$sig/train.csv" "^40," || bad "train logged nothing"
  kill -"$sig" "$pid"; wait "$pid"; rc=$?
  [ "$rc" -eq 130 ] && grep -q "^interrupted after" "$tmp/t_$sig.out" && head -c 7 "$tmp/sig_$sig/t.bin" | grep -q NUDGEWM \
    && ok "train: SIG$sig saves and exits 130" || bad "train SIG$sig: exit $rc, $(cat "$tmp/t_$sig.out" "$tmp/t_$sig.err")"
done
# the window too (SDL's own handlers would quit with 0 and no save): SIGTERM saves, exits 130
# (every test that starts xvfb-run -a holds the ctest lock "xvfb": two at once could pick one display)
if command -v xvfb-run >/dev/null; then
  # the signal goes once the window is up (a fixed sleep raced the start-up on a loaded machine)
  bash "$(dirname "$0")/xvfb.sh" bash -c '"$0" view --save "$1" >/dev/null 2>"$2" & pid=$!
    for _ in $(seq 150); do xdotool search --name "nudge view" >/dev/null 2>&1 && break; sleep 0.2; done
    sleep 0.5; kill -TERM $pid; wait $pid' \
    "$nudge" "$tmp/win/v.bin" "$tmp/win.err"
  rc=$?
  [ "$rc" -eq 130 ] && head -c 7 "$tmp/win/v.bin" 2>/dev/null | grep -q NUDGEWM \
    && ok "view window: SIGTERM saves and exits 130" || bad "view window SIGTERM: exit $rc, $(cat "$tmp/win.err")"
fi
head -n 1 "$tmp/v_INT.out" | grep -q " loss=- val=- " && ok "view: '-' before the first step and validation" || bad "first metrics line: $(head -n 1 "$tmp/v_INT.out")"

## an output never overwrites an input: refused before anything runs
cp "$scn" "$tmp/keep.scn"
cp "$tmp/m/wm.bin" "$tmp/keep.bin"
expect_status 2 "view --screenshot over the scenario" -- "$nudge" view "$tmp/keep.scn" --headless --seconds 1 --quiet --screenshot "$tmp/keep.scn"
one_line_err "--screenshot .*keep.scn is also the scenario: it would be overwritten"
expect_status 2 "view --record over the model" -- "$nudge" view "$tmp/keep.scn" --headless --seconds 1 --quiet --model "$tmp/keep.bin" --record "$tmp/keep.bin"
one_line_err "--record .*keep.bin is also the model"
cmp -s "$tmp/keep.scn" "$scn" && cmp -s "$tmp/keep.bin" "$tmp/m/wm.bin" && ok "scenario and model untouched" || bad "view overwrote an input"
expect_status 0 "view --save over the model it started from (continuing it)" -- "$nudge" view "$tmp/keep.scn" --headless --seconds 1 --quiet --model "$tmp/keep.bin" --save "$tmp/keep.bin"

## integer flags never wrap
expect_status 2 "gen --frames 4294967304x8" -- "$nudge" gen --scenario "$tpl" --episodes 1 --seconds 1 --out "$tmp/gw" --frames 4294967304x8
one_line_err "frames: .*4294967304x8"
expect_status 2 "gen --shard 4294967296/4294967297" -- "$nudge" gen --scenario "$tpl" --episodes 1 --seconds 1 --out "$tmp/gw" --shard 4294967296/4294967297
one_line_err "shard: .*4294967296/4294967297"
[ ! -e "$tmp/gw" ] && ok "gen touched no folder" || bad "gen made $tmp/gw"
expect_status 2 "gen --episodes 2^32+1" -- "$nudge" gen --scenario "$tpl" --episodes 4294967297 --seconds 1 --out "$tmp/gw"
one_line_err "episodes: expected an integer in \[1, 100000000\]"
expect_status 2 "gen --seed 2^64" -- "$nudge" gen --scenario "$tpl" --episodes 1 --seconds 1 --out "$tmp/gw" --seed 18446744073709551616
one_line_err "seed"
expect_status 2 "run --seed -1" -- "$nudge" run "$scn" --seed -1
expect_status 2 "run --seed ' 5'" -- "$nudge" run "$scn" --seed " 5"
expect_status 2 "train --steps 1e3" -- "$nudge" train --data "$tmp/ds" --out "$tmp/m3.bin" --steps 1e3
one_line_err "steps"
expect_status 2 "view --size 4294967360x720" -- "$nudge" view --headless --size 4294967360x720
one_line_err "size"
# a replay buffer beyond the machine's memory (1e8 transitions: 349 GB): refused, not an abort
if [ "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" -lt 300000000 ]; then
  expect_status 2 "view --replay 100000000" -- "$nudge" view --headless --seconds 1 --quiet --replay 100000000
  one_line_err "^nudge view: --replay 100000000: .* GB) are more than this machine's .* GB of memory$"
fi
expect_status 2 "run --hash-every 18446744073709551617" -- "$nudge" run "$scn" --record "$tmp/h.nrec" --hash-every 18446744073709551617
one_line_err "hash-every"

## no nan in human output
"$nudge" gen --scenario "$tpl" --episodes 1 --seconds 1 --out "$tmp/one" 2>/dev/null
expect_status 0 "train on one episode (no validation)" -- "$nudge" train --data "$tmp/one" --out "$tmp/one_m/wm.bin" --steps 10 --batch 16
grep -q "val loss n/a (no validation episode" "$tmp/out" && ! grep -qi nan "$tmp/out" && ok "train: val loss n/a, and why" || bad "train output: $(cat "$tmp/out")"
# a second of resting bodies: no onset for the rest gate to hold, no class for its AUROC
expect_status 0 "eval of an episode without onsets" -- "$nudge" eval --model "$tmp/m/wm.bin" --data "$tmp/one" --report "$tmp/one_rep" --horizon 10
grep -q "^rest gate, .*: 0 onsets, - held; 0 hard .*, - held; .*rest head AUROC -$" "$tmp/out" && ! grep -qi nan "$tmp/out" \
  && ok "eval: the rest gate's missing figures are '-'" || bad "eval output: $(grep -i "nan\|rest gate" "$tmp/out")"
expect_status 2 "eval of a state model with --probe-jobs" -- "$nudge" eval --model "$tmp/m/wm.bin" --data "$tmp/one" --report "$tmp/pj_rep" --horizon 10 --probe-jobs 2
one_line_err "are for a pixel model"
[ ! -e "$tmp/pj_rep" ] && ok "--probe-jobs on a state model writes nothing" || bad "--probe-jobs on a state model wrote $(ls "$tmp/pj_rep")"
# a report folder that cannot be made: one line, exit 2 (and, under ASan, no leak)
expect_status 2 "eval --report under a file" -- "$nudge" eval --model "$tmp/m/wm.bin" --data "$tmp/one" --report "$tmp/one_rep/eval.csv/sub" --horizon 10
one_line_err "cannot create folder"

finish hostile_io
