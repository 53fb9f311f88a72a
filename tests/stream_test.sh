#!/usr/bin/env bash
# nudge train on a dataset larger than its memory cap: ~300 MB of episodes through --memory 64M.
# It completes; its peak RSS (train's own report, VmHWM) stays under the cap plus a stated fixed
# overhead while training in memory holds the whole dataset; the model scores on held-out test
# episodes as well as one trained in memory for the same steps (two seeds each, within the spread
# seeds give); streaming is bit-reproducible; several datasets, weights and bad flags.
#   usage: stream_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
export OPENBLAS_NUM_THREADS=1
scn=$root/scenarios/templates/push_off_table.scn
steps=${STREAM_TEST_STEPS:-1200}
# the fixed overhead beside the cap: the program and its libraries (~15 MiB), the model and AdamW's
# two moments, the batch's scratch at batch 64, eval's rollouts on the validation episodes. Measured:
# 20-30 MiB (train's summary line on a dataset of 20 short episodes); stated with room: 48 MiB
overhead=${STREAM_TEST_OVERHEAD:-48}

"$nudge" gen --scenario "$scn" --episodes 200 --seconds 8 --seed 21 --jobs 2 --out "$tmp/big" 2>/dev/null || bad "gen big"
"$nudge" gen --scenario "$scn" --episodes 16 --seconds 8 --seed 22 --out "$tmp/test" 2>/dev/null || bad "gen test"

# train DIR OUT FLAGS...: trains, keeps stdout in OUT.log
train() { local out=$1; shift; "$nudge" train --out "$out" "$@" >"$out.log" 2>"$out.err"; }
rss() { sed -n 's/^memory: peak RSS \([0-9.]*\) MiB.*/\1/p' "$1.log"; }
err30() {  # the model's mean position error at 30 ticks, all bodies, on the test episodes
  "$nudge" eval --model "$1" --data "$tmp/test" --report "$1.report" --horizon 30 >/dev/null 2>&1 || { echo nan; return; }
  awk -F, '$1 == "all" && $2 == "model" && $3 == 30 {print $5}' "$1.report/eval.csv"
}
mkdir -p "$tmp/m"
train "$tmp/m/stream.bin" --data "$tmp/big" --memory 64M --steps "$steps" --seed 3 || bad "streaming training failed: $(cat "$tmp/m/stream.bin.err")"
# what training holds of it, not its bytes on disk (format version 5 stores a body's properties
# once, not at every record: 104 MB on disk)
mb=$(sed -n 's/^nudge train: streaming [0-9]* training episodes (\([0-9]*\) MiB).*/\1/p' "$tmp/m/stream.bin.err")
[ "${mb:-0}" -ge 250 ] && ok "the training episodes hold $mb MiB in memory, more than 4x the 64 MiB cap" || bad "training episodes of ${mb:-?} MiB only"
grep -q "^trained $steps steps" "$tmp/m/stream.bin.log" && ok "streaming training ran its $steps steps" || bad "streaming: $(cat "$tmp/m/stream.bin.log")"
grep -q "(streaming)" "$tmp/m/stream.bin.log" && grep -q "of 20 held-out episodes" "$tmp/m/stream.bin.log" \
  && ! grep -q "(20 of 20 held-out" "$tmp/m/stream.bin.log" && ok "it streamed, validating on some of the 20 held-out episodes" \
  || bad "plan: $(cat "$tmp/m/stream.bin.log" "$tmp/m/stream.bin.err")"
r=$(rss "$tmp/m/stream.bin")
awk -v r="$r" -v o="$overhead" 'BEGIN { exit !(r > 0 && r < 64 + o) }' && ok "peak RSS $r MiB < 64 MiB cap + $overhead MiB overhead" \
  || bad "peak RSS $r MiB, over 64 + $overhead MiB"

train "$tmp/m/mem.bin" --data "$tmp/big" --steps "$steps" --seed 3 || bad "in-memory training failed"
train "$tmp/m/mem4.bin" --data "$tmp/big" --steps "$steps" --seed 4 || bad "in-memory training (seed 4) failed"
rm=$(rss "$tmp/m/mem.bin")
grep -q "(in memory)" "$tmp/m/mem.bin.log" && awk -v r="$rm" 'BEGIN { exit !(r > 250) }' \
  && ok "in memory (default --memory 2G) the same data takes $rm MiB" || bad "in memory: $(cat "$tmp/m/mem.bin.log")"

train "$tmp/m/stream4.bin" --data "$tmp/big" --memory 64M --steps "$steps" --seed 4 || bad "streaming training (seed 4) failed"
es=$(err30 "$tmp/m/stream.bin") es4=$(err30 "$tmp/m/stream4.bin") em=$(err30 "$tmp/m/mem.bin") e4=$(err30 "$tmp/m/mem4.bin")
# as good as in memory: the mean of two seeds streamed within the larger of 15% and twice the
# seeds' spread (the larger of the two ways') of the mean of two seeds in memory. The spread is
# both ways': a model of a few hundred steps differs by its sample order, streamed or not (at the
# sanitizer's 200 steps one streamed seed against one in memory was a coin toss: 2026-12-05, when
# the simulator's impact fix changed the data)
awk -v s="$es" -v t="$es4" -v a="$em" -v b="$e4" 'BEGIN { d = a - b; if (d < 0) d = -d; e = s - t; if (e < 0) e = -e;
  if (e > d) d = e; m = (a + b) / 2; tol = 2 * d; if (tol < 0.15 * m) tol = 0.15 * m;
  exit !(s == s + 0 && t == t + 0 && (s + t) / 2 <= m + tol) }' \
  && ok "30-tick error on test episodes: streaming $es, $es4 m, in memory $em, $e4 m (seeds 3, 4)" \
  || bad "streaming $es, $es4 m against in memory $em, $e4 m (seeds 3, 4)"

# bit-reproducible for a seed, data and cap (one BLAS thread)
train "$tmp/m/r1.bin" --data "$tmp/big" --memory 64M --steps 120 --seed 9 --val-every 60 && \
train "$tmp/m/r2.bin" --data "$tmp/big" --memory 64M --steps 120 --seed 9 --val-every 60 || bad "short streaming runs"
cmp -s "$tmp/m/r1.bin" "$tmp/m/r2.bin" && ok "streaming: same seed, data and cap, same checkpoint bytes" || bad "streaming not reproducible"

# several datasets (same columns): in proportion to their sizes, or by --weights
"$nudge" gen --scenario "$scn" --episodes 6 --seconds 8 --seed 23 --out "$tmp/b2" 2>/dev/null || bad "gen b2"
"$nudge" gen --scenario "$scn" --episodes 4 --seconds 4 --seed 24 --out "$tmp/short" 2>/dev/null || bad "gen short"
train "$tmp/m/two.bin" --data "$tmp/test,$tmp/b2" --steps 40 --val-every 20 && grep -q "(in memory)" "$tmp/m/two.bin.log" \
  && grep -q "of 3 held-out" "$tmp/m/two.bin.log" && ok "--data A,B: both datasets, each with its held-out tenth" \
  || bad "--data A,B: $(cat "$tmp/m/two.bin.log" "$tmp/m/two.bin.err")"
train "$tmp/m/w.bin" --data "$tmp/big,$tmp/b2" --weights 1,3 --memory 64M --steps 40 --val-every 20 \
  && grep -q "(streaming)" "$tmp/m/w.bin.log" && ok "--weights 1,3 streams the mix" || bad "--weights: $(cat "$tmp/m/w.bin.err")"

# bad flags and mismatched datasets: one line, exit 2, no model written
expect_status 2 "--memory 64X" -- "$nudge" train --data "$tmp/b2" --out "$tmp/m/x.bin" --memory 64X
one_line_err "--memory"
expect_status 2 "--memory 2M is too small" -- "$nudge" train --data "$tmp/big" --out "$tmp/m/x.bin" --memory 2M
one_line_err "too small"
expect_status 2 "--weights of the wrong count" -- "$nudge" train --data "$tmp/b2,$tmp/test" --out "$tmp/m/x.bin" --weights 1
one_line_err "expected 2 numbers"
expect_status 2 "--weights 1,-1" -- "$nudge" train --data "$tmp/b2,$tmp/test" --out "$tmp/m/x.bin" --weights 1,-1
one_line_err "not a positive number"
expect_status 2 "--weights 1,0x10 (hex)" -- "$nudge" train --data "$tmp/b2,$tmp/test" --out "$tmp/m/x.bin" --weights 1,0x10
one_line_err "'0x10' is not a positive number"
# the log and the exported weights are files of their own: never the checkpoint written or resumed from
mkdir -p "$tmp/o"
cp "$tmp/m/w.bin" "$tmp/o/keep.bin"
expect_status 2 "--log over --out" -- "$nudge" train --data "$tmp/b2" --out "$tmp/o/x.bin" --log "$tmp/o/./x.bin" --steps 2
one_line_err "the log .*x.bin is also the checkpoint .*x.bin: it would be overwritten"
expect_status 2 "--out train.csv (the default log's name)" -- "$nudge" train --data "$tmp/b2" --out "$tmp/o/sub/train.csv" --steps 2
one_line_err "is also the checkpoint"
[ ! -e "$tmp/o/sub" ] && ok "no folder made for the refused run" || bad "a refused run made $tmp/o/sub"
expect_status 2 "--log over --resume" -- "$nudge" train --data "$tmp/b2" --out "$tmp/o/y.bin" --resume "$tmp/o/keep.bin" --log "$tmp/o/keep.bin" --steps 2
one_line_err "is also the checkpoint .*keep.bin"
expect_status 2 "--export over --resume" -- "$nudge" train --data "$tmp/b2" --out "$tmp/o/y.bin" --resume "$tmp/o/keep.bin" --export "$tmp/o/keep.bin" --steps 2
one_line_err "--export .*keep.bin is also the checkpoint resumed from"
expect_status 2 "--export over --out" -- "$nudge" train --data "$tmp/b2" --out "$tmp/o/y.bin" --export "$tmp/o/y.bin" --steps 2
one_line_err "--export .*y.bin is also the checkpoint (--out)"
# nothing written inside a dataset it reads (--out over its manifest destroyed it), through any spelling;
# a sibling folder whose name starts with the dataset's is not inside it
cp "$tmp/b2/manifest.json" "$tmp/o/manifest.keep"
expect_status 2 "--out inside the dataset (its manifest)" -- "$nudge" train --data "$tmp/b2" --out "$tmp/b2/manifest.json" --steps 2
one_line_err "^nudge train: --out .*b2/manifest.json is inside the dataset .*b2: it could overwrite the dataset's files$"
expect_status 2 "--log inside the second dataset of --data" -- "$nudge" train --data "$tmp/b2,$tmp/test" --out "$tmp/o/d.bin" --log "$tmp/o/../test/shard-00000/l.csv" --steps 2
one_line_err "^nudge train: --log .*l.csv is inside the dataset .*test: it could overwrite"
expect_status 2 "--export inside the dataset" -- "$nudge" train --data "$tmp/b2" --out "$tmp/o/d.bin" --export "$tmp/b2/new/e.wm" --steps 2
one_line_err "^nudge train: --export .*e.wm is inside the dataset"
cmp -s "$tmp/b2/manifest.json" "$tmp/o/manifest.keep" && [ ! -e "$tmp/o/d.bin" ] && [ ! -e "$tmp/b2/new" ] &&
  ok "the dataset untouched, nothing written" || bad "a refused run wrote into or beside the dataset"
mkdir -p "$tmp/b2x"
expect_status 0 "--out in a sibling folder named like the dataset" -- "$nudge" train --data "$tmp/b2" --out "$tmp/b2x/m.bin" --steps 2
expect_status 2 "--export into a folder that cannot be made: refused before training" -- "$nudge" train --data "$tmp/b2" --out "$tmp/o/z.bin" --export "$tmp/o/keep.bin/sub/e.wm" --steps 2
one_line_err "e.wm: cannot write"
[ ! -e "$tmp/o/z.bin" ] && [ ! -e "$tmp/o/train.csv" ] && ok "no checkpoint or log for the refused run" || bad "refused --export left: $(ls "$tmp/o")"
cmp -s "$tmp/o/keep.bin" "$tmp/m/w.bin" && [ ! -e "$tmp/o/x.bin" ] && [ ! -e "$tmp/o/y.bin" ] && ok "the resumed checkpoint untouched, nothing written" \
  || bad "train wrote over an input or left a file: $(ls "$tmp/o")"
expect_status 2 "--data with an empty name" -- "$nudge" train --data "$tmp/b2,,$tmp/test" --out "$tmp/m/x.bin"
one_line_err "--data"
expect_status 2 "datasets whose episodes differ" -- "$nudge" train --data "$tmp/b2,$tmp/short" --out "$tmp/m/x.bin"
one_line_err "must agree"
[ -e "$tmp/m/x.bin" ] && bad "a refused run wrote a model" || ok "no model written by a refused run"
# records every second tick (gen --stride 2): as many records as short's, twice as far apart
"$nudge" gen --scenario "$scn" --episodes 4 --seconds 8 --stride 2 --seed 24 --out "$tmp/short2" 2>/dev/null || bad "gen short2"
expect_status 2 "datasets whose records are a tick and two ticks apart" -- "$nudge" train --data "$tmp/short,$tmp/short2" --out "$tmp/m/x.bin"
one_line_err "short2: episodes of 241 records of 32 slots of 20 columns every 0.0333333 s, but .*short has 241 of 32 of 20 every 0.0166667 s"
expect_status 2 "eval of a model stepping a tick on records two ticks apart" -- "$nudge" eval --model "$tmp/m/w.bin" --data "$tmp/short2" --report "$tmp/m/x.report"
one_line_err "w.bin: the model steps 0.0166667 s, the dataset's records are 0.0333333 s apart"
expect_status 0 "a model of the strided records" -- "$nudge" train --data "$tmp/short2" --out "$tmp/m/s2.bin" --steps 10 --batch 16
expect_status 0 "... evaluated on them" -- "$nudge" eval --model "$tmp/m/s2.bin" --data "$tmp/short2" --report "$tmp/m/s2.report" --horizon 10
expect_status 2 "... resumed on records a tick apart" -- "$nudge" train --data "$tmp/short" --out "$tmp/m/x.bin" --resume "$tmp/m/s2.bin"
one_line_err "s2.bin: the model steps 0.0333333 s, the dataset's records are 0.0166667 s apart"
finish train_stream
