#!/usr/bin/env bash
# The pixel model from the command line: gen a small dataset with frames, train --kind jepa briefly
# (twice: the same bytes), the checkpoint's kind, eval's table, CSV and plot; Ctrl-C saves; bad
# inputs are one line and exit 2 and leave nothing behind.
source "$(dirname "$0")/script_lib.sh" "$1" "$2"
tpl=$root/scenarios/templates/push_off_table.scn

expect_status 0 "gen with frames" -- "$nudge" gen --scenario "$tpl" --episodes 5 --seconds 1.2 --frames 64x48 --seed 3 --out "$tmp/d"
expect_status 0 "gen without frames" -- "$nudge" gen --scenario "$tpl" --episodes 2 --seconds 1 --seed 3 --out "$tmp/nf"

small=(--kind jepa --steps 12 --batch 4 --rollout 2 --width 4 --latent 4 --val-every 6 --save-every 6)
expect_status 0 "train --kind jepa" -- "$nudge" train "${small[@]}" --data "$tmp/d" --out "$tmp/a/j.ckpt"
grep -q "trained 12 steps" "$tmp/out" && grep -q "effective rank" "$tmp/out" && ok "train's last line" || bad "train's last line: $(cat "$tmp/out")"
head -1 "$tmp/a/train.csv" | grep -q "effective_rank" && [ "$(wc -l <"$tmp/a/train.csv")" -eq 3 ] && ok "train.csv: header and two validations" || bad "train.csv: $(cat "$tmp/a/train.csv")"
expect_status 0 "the same run again" -- "$nudge" train "${small[@]}" --data "$tmp/d" --out "$tmp/b/j.ckpt"
cmp -s "$tmp/a/j.ckpt" "$tmp/b/j.ckpt" && ok "bit-reproducible at one thread" || bad "two runs with one seed differ"
# the probe's windows are encoded on --probe-jobs threads (default 2): the same probe, so the same bytes
expect_status 0 "train --probe-jobs 1" -- "$nudge" train "${small[@]}" --data "$tmp/d" --out "$tmp/pj1/j.ckpt" --probe-jobs 1
expect_status 0 "train --probe-jobs 3" -- "$nudge" train "${small[@]}" --data "$tmp/d" --out "$tmp/pj3/j.ckpt" --probe-jobs 3
cmp -s "$tmp/a/j.ckpt" "$tmp/pj1/j.ckpt" && cmp -s "$tmp/a/j.ckpt" "$tmp/pj3/j.ckpt" && ok "--probe-jobs 1 and 3: the same bytes as 2" ||
  bad "--probe-jobs changed the model"
expect_status 2 "train --probe-jobs 0" -- "$nudge" train "${small[@]}" --data "$tmp/d" --out "$tmp/pj0/j.ckpt" --probe-jobs 0
one_line_err "probe-jobs"
[ ! -e "$tmp/pj0" ] && ok "--probe-jobs 0 writes nothing" || bad "--probe-jobs 0 wrote $(ls "$tmp/pj0")"
expect_status 0 "resume" -- "$nudge" train "${small[@]}" --steps 6 --data "$tmp/d" --out "$tmp/b/j.ckpt" --resume "$tmp/b/j.ckpt"
[ "$(wc -l <"$tmp/b/train.csv")" -eq 4 ] && ok "resume appends to the log" || bad "resume's log: $(cat "$tmp/b/train.csv")"

expect_status 0 "the probe fitted again (--steps 0 --resume)" -- "$nudge" train --kind jepa --steps 0 --data "$tmp/d" --out "$tmp/c/j.ckpt" --resume "$tmp/a/j.ckpt"
grep -q "trained 0 steps" "$tmp/out" && grep -Eq "^probe fitted on the 4 training episodes .* ridge 0.001 \(too few episodes" "$tmp/out" &&
  ok "--steps 0: the probe alone, its fixed ridge with 4 episodes" || bad "--steps 0: $(cat "$tmp/out")"
expect_status 0 "the probe with a given ridge and rows" -- "$nudge" train --kind jepa --steps 0 --data "$tmp/d" --out "$tmp/c/k.ckpt" --resume "$tmp/a/j.ckpt" --probe-ridge 0.25 --probe-rows 100
grep -Eq "^probe fitted on the 4 training episodes .* ridge 0.25 \(given\)" "$tmp/out" && ! cmp -s "$tmp/c/j.ckpt" "$tmp/c/k.ckpt" &&
  ok "--probe-ridge, --probe-rows: another probe" || bad "--probe-ridge: $(cat "$tmp/out")"
expect_status 0 "--probe-rows fewer than the training episodes" -- "$nudge" train --kind jepa --steps 0 --data "$tmp/d" --out "$tmp/c/r.ckpt" --resume "$tmp/a/j.ckpt" --probe-rows 2
grep -Eq "^probe fitted on the 4 training episodes" "$tmp/out" && ok "--probe-rows 2 with 4 episodes: one window of each (it looped past int before)" || bad "--probe-rows 2: $(cat "$tmp/out")"
# the appearance head (--appearance-weight): another model than the plain one, the same bytes twice
expect_status 0 "train --appearance-weight 0.5" -- "$nudge" train "${small[@]}" --appearance-weight 0.5 --data "$tmp/d" --out "$tmp/ap/j.ckpt"
expect_status 0 "train --appearance-weight 0.5 again" -- "$nudge" train "${small[@]}" --appearance-weight 0.5 --data "$tmp/d" --out "$tmp/ap/k.ckpt"
cmp -s "$tmp/ap/j.ckpt" "$tmp/ap/k.ckpt" && ! cmp -s "$tmp/ap/j.ckpt" "$tmp/a/j.ckpt" &&
  ok "--appearance-weight: bit-reproducible, and not the plain model" || bad "--appearance-weight: the checkpoints"
expect_status 2 "--appearance-weight below 0" -- "$nudge" train "${small[@]}" --appearance-weight -1 --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "appearance-weight"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
# the reconstruction decoder (--recon-weight): 0 is the plain model's bytes; W > 0 another model, the
# same bytes twice, its term in train.csv; a bad W is one line, exit 2, nothing written
expect_status 0 "train --recon-weight 0" -- "$nudge" train "${small[@]}" --recon-weight 0 --data "$tmp/d" --out "$tmp/rc/z.ckpt"
cmp -s "$tmp/rc/z.ckpt" "$tmp/a/j.ckpt" && ok "--recon-weight 0: the plain model's bytes" || bad "--recon-weight 0 changed the model"
expect_status 0 "train --recon-weight 2" -- "$nudge" train "${small[@]}" --recon-weight 2 --data "$tmp/d" --out "$tmp/rc/j.ckpt" --log "$tmp/rc/j.csv"
grep -q "reconstruction term" "$tmp/out" && head -1 "$tmp/rc/j.csv" | grep -q ",loss,recon_loss$" &&
  ok "--recon-weight: its term printed and logged" || bad "--recon-weight's output: $(cat "$tmp/out"; head -2 "$tmp/rc/j.csv")"
expect_status 0 "train --recon-weight 2 again" -- "$nudge" train "${small[@]}" --recon-weight 2 --data "$tmp/d" --out "$tmp/rc/k.ckpt"
cmp -s "$tmp/rc/j.ckpt" "$tmp/rc/k.ckpt" && ! cmp -s "$tmp/rc/j.ckpt" "$tmp/a/j.ckpt" &&
  ok "--recon-weight: bit-reproducible, and not the plain model" || bad "--recon-weight: the checkpoints"
expect_status 2 "--recon-weight not a number" -- "$nudge" train "${small[@]}" --recon-weight x --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "recon-weight"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
# the objectness keypoint (--keypoint-objness): its terms logged, the same bytes twice, another model
# with --objness-weight 0; without its companions, or a weight without it, one line, exit 2, nothing
# written
kp=(--context 3 --keypoints 1 --keypoint-frames --keypoint-sharp --keypoint-cv --keypoint-motion)
expect_status 0 "train --keypoint-objness" -- "$nudge" train "${small[@]}" "${kp[@]}" --keypoint-objness --data "$tmp/d" --out "$tmp/ob/j.ckpt" --log "$tmp/ob/j.csv"
head -1 "$tmp/ob/j.csv" | grep -q ",objness_loss,objness_changed$" && [ "$(wc -l <"$tmp/ob/j.csv")" -eq 3 ] &&
  ok "--keypoint-objness: its terms in train.csv" || bad "--keypoint-objness's log: $(cat "$tmp/ob/j.csv")"
expect_status 0 "train --keypoint-objness again" -- "$nudge" train "${small[@]}" "${kp[@]}" --keypoint-objness --data "$tmp/d" --out "$tmp/ob/k.ckpt"
expect_status 0 "train --keypoint-objness --objness-weight 0" -- "$nudge" train "${small[@]}" "${kp[@]}" --keypoint-objness --objness-weight 0 --data "$tmp/d" --out "$tmp/ob/z.ckpt"
cmp -s "$tmp/ob/j.ckpt" "$tmp/ob/k.ckpt" && ! cmp -s "$tmp/ob/j.ckpt" "$tmp/ob/z.ckpt" &&
  ok "--keypoint-objness: bit-reproducible; its loss changes the model" || bad "--keypoint-objness: the checkpoints"
expect_status 0 "eval of a model with an objectness keypoint" -- "$nudge" eval --model "$tmp/ob/j.ckpt" --data "$tmp/d"
expect_status 2 "--keypoint-objness without --keypoint-motion" -- "$nudge" train "${small[@]}" --keypoints 1 --keypoint-frames --keypoint-sharp --keypoint-objness --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "keypoint-objness needs"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
expect_status 2 "--objness-weight without --keypoint-objness" -- "$nudge" train "${small[@]}" "${kp[@]}" --objness-weight 2 --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "objness-weight needs --keypoint-objness"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
expect_status 2 "--objness-weight below 0" -- "$nudge" train "${small[@]}" "${kp[@]}" --keypoint-objness --objness-weight -1 --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "objness-weight"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
# --latent-noise S: training noise on the rollout; the same bytes twice, another model than without;
# a bad S is one line, exit 2, nothing written
expect_status 0 "train --latent-noise 0.3" -- "$nudge" train "${small[@]}" --latent-noise 0.3 --data "$tmp/d" --out "$tmp/ln/j.ckpt"
expect_status 0 "train --latent-noise 0.3 again" -- "$nudge" train "${small[@]}" --latent-noise 0.3 --data "$tmp/d" --out "$tmp/ln/k.ckpt"
expect_status 0 "train --latent-noise 0" -- "$nudge" train "${small[@]}" --latent-noise 0 --data "$tmp/d" --out "$tmp/ln/z.ckpt"
cmp -s "$tmp/ln/j.ckpt" "$tmp/ln/k.ckpt" && ! cmp -s "$tmp/ln/j.ckpt" "$tmp/a/j.ckpt" && cmp -s "$tmp/ln/z.ckpt" "$tmp/a/j.ckpt" &&
  ok "--latent-noise: bit-reproducible, another model; 0 is the plain one's bytes" || bad "--latent-noise: the checkpoints"
for v in -1 11 nan x; do
  expect_status 2 "--latent-noise $v" -- "$nudge" train "${small[@]}" --latent-noise "$v" --data "$tmp/d" --out "$tmp/x/j.ckpt"
  one_line_err "latent-noise"
  [ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
done
# --keypoint-blur S: the appearance heats blurred; the same bytes twice, another model than without,
# eval reads it; without appearance keypoints, or a bad S, one line, exit 2, nothing written
expect_status 0 "train --keypoint-blur 1" -- "$nudge" train "${small[@]}" "${kp[@]}" --keypoint-appear 1 --keypoint-blur 1 --data "$tmp/d" --out "$tmp/kb/j.ckpt"
expect_status 0 "train --keypoint-blur 1 again" -- "$nudge" train "${small[@]}" "${kp[@]}" --keypoint-appear 1 --keypoint-blur 1 --data "$tmp/d" --out "$tmp/kb/k.ckpt"
expect_status 0 "train without --keypoint-blur" -- "$nudge" train "${small[@]}" "${kp[@]}" --keypoint-appear 1 --data "$tmp/d" --out "$tmp/kb/z.ckpt"
cmp -s "$tmp/kb/j.ckpt" "$tmp/kb/k.ckpt" && ! cmp -s "$tmp/kb/j.ckpt" "$tmp/kb/z.ckpt" &&
  ok "--keypoint-blur: bit-reproducible, another model" || bad "--keypoint-blur: the checkpoints"
expect_status 0 "eval of a blurred model" -- "$nudge" eval --model "$tmp/kb/j.ckpt" --data "$tmp/d"
grep -q "effective rank" "$tmp/out" && ok "eval reads the blurred model" || bad "eval of the blurred model: $(cat "$tmp/out")"
expect_status 2 "--keypoint-blur without appearance keypoints" -- "$nudge" train "${small[@]}" "${kp[@]}" --keypoint-blur 1 --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "keypoint-blur needs --keypoint-appear"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
for v in -1 5 nan x; do
  expect_status 2 "--keypoint-blur $v" -- "$nudge" train "${small[@]}" "${kp[@]}" --keypoint-appear 1 --keypoint-blur "$v" --data "$tmp/d" --out "$tmp/x/j.ckpt"
  one_line_err "keypoint-blur"
  [ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
done
# --pred-gate: the gated predictor is the model's own (the same bytes twice, another model than
# without, eval and voe read it); without --keypoint-motion one line, exit 2, nothing written
expect_status 0 "train --pred-gate" -- "$nudge" train "${small[@]}" "${kp[@]}" --pred-gate --data "$tmp/d" --out "$tmp/pg/j.ckpt"
expect_status 0 "train --pred-gate again" -- "$nudge" train "${small[@]}" "${kp[@]}" --pred-gate --data "$tmp/d" --out "$tmp/pg/k.ckpt"
expect_status 0 "train without --pred-gate" -- "$nudge" train "${small[@]}" "${kp[@]}" --data "$tmp/d" --out "$tmp/pg/z.ckpt"
cmp -s "$tmp/pg/j.ckpt" "$tmp/pg/k.ckpt" && ! cmp -s "$tmp/pg/j.ckpt" "$tmp/pg/z.ckpt" &&
  ok "--pred-gate: bit-reproducible, another model" || bad "--pred-gate: the checkpoints"
expect_status 0 "eval of a gated model" -- "$nudge" eval --model "$tmp/pg/j.ckpt" --data "$tmp/d"
grep -q "effective rank" "$tmp/out" && ok "eval reads the gated model" || bad "eval of the gated model: $(cat "$tmp/out")"
expect_status 2 "--pred-gate without --keypoint-motion" -- "$nudge" train "${small[@]}" --pred-gate --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "pred-gate needs --keypoint-motion"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
# --break-sample P: windows with a break ahead drawn more often; 0 is the plain model's bytes; P > 0
# with no break in the training episodes, or a bad P, is one line, exit 2, nothing written
expect_status 0 "train --break-sample 0" -- "$nudge" train "${small[@]}" --break-sample 0 --data "$tmp/d" --out "$tmp/bs/z.ckpt"
cmp -s "$tmp/bs/z.ckpt" "$tmp/a/j.ckpt" && ok "--break-sample 0: the plain model's bytes" || bad "--break-sample 0 changed the model"
# sample_refusals break|push WITHOUT WITH: --break-sample or --push-sample on episodes WITHOUT any of its
# windows, and bad values on WITH: one line, exit 2, nothing written
sample_refusals() {
  expect_status 2 "--$1-sample with no $1 in the data" -- "$nudge" train "${small[@]}" --$1-sample 0.5 --data "$2" --out "$tmp/x/j.ckpt"
  one_line_err "no training window holds a $1 among its 2 predicted steps"
  [ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
  for v in -0.1 1.5 nan x; do
    expect_status 2 "--$1-sample $v" -- "$nudge" train "${small[@]}" --$1-sample "$v" --data "$3" --out "$tmp/x/j.ckpt"
    one_line_err "$1-sample"
    [ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
  done
}
sample_refusals break "$tmp/d" "$tmp/d"
# push_off_table for 2.4 s at seed 3: the glass of episode 3 breaks at record 101 (episodes 0-3 train)
"$nudge" gen --scenario "$tpl" --episodes 5 --seconds 2.4 --frames 64x48 --seed 3 --out "$tmp/db" >/dev/null 2>&1
# sample_trains break|push DATA N DIR WHY: --X-sample 0.5 on DATA counts N marked windows (WHY) and reports
# its draws; the same bytes twice (DIR/a, DIR/b), not the plain model's (DIR/c)
sample_trains() {
  expect_status 0 "train --$1-sample 0.5" -- "$nudge" train "${small[@]}" --$1-sample 0.5 --data "$2" --out "$4/a.ckpt"
  grep -Eq "^$1 sample: $3 of the [0-9]+ training windows \([0-9.]+%\) hold a $1 among their 2 predicted steps" "$tmp/out" &&
    grep -Eq "^trained 12 steps .*, [1-9][0-9]* windows drawn from the $1 windows" "$tmp/out" &&
    ok "--$1-sample: the $1 windows counted ($5), the draws reported" || bad "--$1-sample: $(cat "$tmp/out")"
  expect_status 0 "train --$1-sample 0.5 again" -- "$nudge" train "${small[@]}" --$1-sample 0.5 --data "$2" --out "$4/b.ckpt"
  expect_status 0 "train on the same data without it" -- "$nudge" train "${small[@]}" --data "$2" --out "$4/c.ckpt"
  cmp -s "$4/a.ckpt" "$4/b.ckpt" && ! cmp -s "$4/a.ckpt" "$4/c.ckpt" &&
    ok "--$1-sample 0.5: bit-reproducible, and not the plain model" || bad "--$1-sample 0.5: the checkpoints"
}
sample_trains break "$tmp/db" 2 "$tmp/bs" "the break in 2 windows of 2 steps ahead"
# --push-sample P: windows whose rollout is given a push drawn more often. A box pushed once at 0.5 s in
# each of the 4 training episodes: the push comes right after record 30, so the 2 windows whose 2
# predicted steps take it (ends at records 29 and 30) are marked, 8 in all; 0 is the plain model's bytes;
# no push in the data, a bad P, or both samples at once is one line, exit 2, nothing written
{ echo "world seconds 1.5"; echo "body floor box stone static pos 0 -0.05 size 9.8 0.1"
  echo "body a box wood pos -0.3 0.1 size 0.2 0.2"; echo "body b box wood pos 0.3 0.1 size 0.2 0.2"
  echo "at 0.5 push b 3 1"; } > "$tmp/ps.scn"
"$nudge" gen --scenario "$tmp/ps.scn" --episodes 5 --seconds 1.5 --frames 64x48 --seed 3 --out "$tmp/dps" >/dev/null 2>&1
sample_trains push "$tmp/dps" 8 "$tmp/ps" "one push in each of 4 episodes, 2 windows each"
expect_status 0 "train --push-sample 0" -- "$nudge" train "${small[@]}" --push-sample 0 --data "$tmp/dps" --out "$tmp/ps/z.ckpt"
cmp -s "$tmp/ps/z.ckpt" "$tmp/ps/c.ckpt" && ok "--push-sample 0: the plain model's bytes" || bad "--push-sample 0 changed the model"
grep -v push "$tmp/ps.scn" > "$tmp/pstill.scn"
"$nudge" gen --scenario "$tmp/pstill.scn" --episodes 5 --seconds 1.5 --frames 64x48 --seed 3 --out "$tmp/dstill" >/dev/null 2>&1
sample_refusals push "$tmp/dstill" "$tmp/dps"
expect_status 2 "--push-sample with --break-sample" -- "$nudge" train "${small[@]}" --push-sample 0.5 --break-sample 0.5 --data "$tmp/dps" --out "$tmp/x/j.ckpt"
one_line_err "one of them at a time"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
expect_status 0 "train --keypoints 2 --keypoint-frames --keypoint-sharp --keypoint-weight 4" -- "$nudge" train "${small[@]}" --keypoints 2 --keypoint-frames --keypoint-sharp --keypoint-weight 4 --data "$tmp/d" --out "$tmp/s/j.ckpt"
expect_status 0 "eval of a sharp keypoint model (its file read back)" -- "$nudge" eval --model "$tmp/s/j.ckpt" --data "$tmp/d" --stride 30 --report "$tmp/sr"
grep -q "effective rank" "$tmp/out" && ok "eval of a sharp keypoint model" || bad "eval of a sharp keypoint model: $(cat "$tmp/out")"
expect_status 2 "--keypoint-sharp without --keypoints" -- "$nudge" train "${small[@]}" --keypoint-sharp --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "need --keypoints"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
"$nudge" gen --scenario "$tpl" --episodes 7 --seconds 1.2 --frames 64x48 --seed 4 --out "$tmp/d7" >/dev/null 2>&1
expect_status 0 "train on 6 training episodes" -- "$nudge" train "${small[@]}" --data "$tmp/d7" --out "$tmp/e/j.ckpt"
grep -Eq "^probe fitted on the 6 training episodes .*\(chosen on every 5th of them" "$tmp/out" &&
  grep -Eq "^probe: root mean squared error .* by ridge: 0.001: [0-9.]+ 0.01: [0-9.]+ 0.1: [0-9.]+ 1: [0-9.]+ 10: [0-9.]+$" "$tmp/out" &&
  ok "the probe's ridge chosen on a held-out episode, each ridge's error printed" || bad "the chosen ridge: $(cat "$tmp/out")"
expect_status 2 "--steps 0 without --resume" -- "$nudge" train --kind jepa --steps 0 --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "needs --resume"
expect_status 0 "eval of a pixel model" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/d" --stride 30 --report "$tmp/r"
grep -q "effective rank" "$tmp/out" && grep -Eq "^all +0 +[1-9]" "$tmp/out" && ok "eval's table" || bad "eval's table: $(cat "$tmp/out")"
[ -s "$tmp/r/eval_jepa.csv" ] && grep -q "^all,jepa_probe,30," "$tmp/r/eval_jepa.csv" && ok "eval_jepa.csv" || bad "eval_jepa.csv missing or short"
# the rollout against copying its start: a row at h 1, 10 and 30 over every cell (the windows' 8 x 6 cells
# each), and the same in the CSV
grep -q "^the latent rollout against copying its start" "$tmp/out" &&
  [ "$(grep -Ec '^ +(1|10|30) +[1-9][0-9]* +[0-9]+\.[0-9]{4} +[0-9]+\.[0-9]{4} +[0-9.]+ \| +[0-9]+ ' "$tmp/out")" -eq 3 ] &&
  grep -Eq "^latent,rollout_l1,1,[1-9][0-9]*," "$tmp/r/eval_jepa.csv" && grep -q "^latent,copy_l1_changed,30," "$tmp/r/eval_jepa.csv" &&
  ok "eval: the rollout against copying its start" || bad "eval's rollout against the copy: $(grep -A4 'against copying' "$tmp/out")"
grep -q "effective rank over training" "$tmp/r/eval.svg" && grep -q "polyline" "$tmp/r/eval.svg" && ok "eval.svg" || bad "eval.svg"
# a FIFO called train.csv beside the model: eval reads no rank curve from it, and does not wait on it
mkdir -p "$tmp/ff" && cp "$tmp/a/j.ckpt" "$tmp/ff/j.ckpt" && mkfifo "$tmp/ff/train.csv"
expect_status 0 "eval beside a FIFO train.csv" -- timeout 120 "$nudge" eval --model "$tmp/ff/j.ckpt" --data "$tmp/d" --stride 30 --report "$tmp/ffr"
/usr/bin/python3 - "$tmp/r/eval_jepa.csv" <<'PY' && ok "eval_jepa.csv reads in numpy, finite errors at h 0..30" || bad "eval_jepa.csv numbers"
import sys, numpy as np
rows = [l.strip().split(',') for l in open(sys.argv[1])][1:]
err = [float(r[4]) for r in rows if r[0] == 'all' and r[1] == 'jepa_probe']
assert len(err) == 31 and all(np.isfinite(err)), err
PY

# in view: a box thrown out of the camera's frame is scored in the all-bodies rows, not in the in_view ones
cat > "$tmp/out.scn" <<'SCN'
world seconds 1.5
body floor box stone static pos 0 -0.05 size 9.8 0.1
body a box wood pos -0.3 0.1 size 0.2 0.2
body b box wood pos 0.3 0.1 size 0.2 0.2
at 0.05 push b 20 10
SCN
"$nudge" gen --scenario "$tmp/out.scn" --episodes 3 --seconds 1.5 --frames 64x48 --seed 3 --out "$tmp/o" >/dev/null 2>&1
expect_status 0 "eval on a box thrown out of the frame" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/o" --stride 10 --report "$tmp/ro" --probe-data "$tmp/d7" --cell-rows 200
/usr/bin/python3 - "$tmp/ro/eval_jepa.csv" <<'PY' && ok "in_view rows: the thrown box left out once it is out of the frame" || bad "the in_view rows: $(cat "$tmp/ro/eval_jepa.csv" | head -5)"
import sys, math
rows = {(r[0], r[1], int(r[2])): (int(r[3]), float(r[4])) for r in (l.strip().split(',') for l in list(open(sys.argv[1]))[1:]) if r[0] not in ('latent', 'event')}
for method in ('jepa_probe', 'const_vel_probe', 'jepa_probe_nearest_slot', 'cell_probe', 'const_vel_cell_probe'):
    for h in range(31):
        n_all, n_in, n_mov, n_movin = (rows[(s, method, h)][0] for s in ('all', 'in_view', 'moving', 'moving_in_view'))
        assert n_in <= n_all and n_movin <= min(n_mov, n_in), (method, h)
    n_all, e_all = rows[('all', method, 0)]
    n_in, e_in = rows[('in_view', method, 0)]
    # box b leaves the 1.4 m wide frame within 10 ticks: most of its windows see it gone
    assert 0 < n_in < n_all and e_in < e_all, (method, n_all, n_in, e_all, e_in)
    # at h0 "moving" is a body in motion when encoded (2 cm over the 10 records before): box b, thrown
    assert 0 < rows[('moving', method, 0)][0] < n_all, (method, rows[('moving', method, 0)])
PY

# pushed bodies: the rows of a body pushed after the window's last frame and before the horizon, and the
# same rollout without the pushes. A box pushed mid-episode is in them from the windows before its push;
# with no push in a dataset they are empty and the rollout without pushes is the rollout, to the byte
for kind in still push; do
  { echo "world seconds 1.5"; echo "body floor box stone static pos 0 -0.05 size 9.8 0.1"
    echo "body a box wood pos -0.3 0.1 size 0.2 0.2"; echo "body b box wood pos 0.3 0.1 size 0.2 0.2"
    [ "$kind" = push ] && echo "at 0.5 push b 3 1"; } > "$tmp/$kind.scn"
  "$nudge" gen --scenario "$tmp/$kind.scn" --episodes 2 --seconds 1.5 --frames 64x48 --seed 3 --out "$tmp/g$kind" >/dev/null 2>&1
  expect_status 0 "eval on a box pushed ($kind)" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/g$kind" --stride 5 --report "$tmp/r$kind" --probe-data "$tmp/d7" --cell-rows 200
done
[ "$(grep -A3 '^pushed ' "$tmp/out" | grep -Ec '^ +30 +[1-9][0-9]* \| .* \| +[0-9.]+ +[0-9.]+$')" -eq 2 ] &&
  grep -q "without the pushes: px, jepa/that" "$tmp/out" && grep -q "without the pushes: px, cell/that" "$tmp/out" &&
  ok "eval's tables: the pushed rows and the rollout without the pushes" || bad "the pushed rows printed: $(cat "$tmp/out")"
/usr/bin/python3 - "$tmp/rpush/eval_jepa.csv" "$tmp/rstill/eval_jepa.csv" <<'PY' && ok "eval: pushed bodies' rows, and the rollout without the pushes" || bad "the pushed rows: $(head -3 "$tmp/rpush/eval_jepa.csv")"
import sys
def load(path):
    return {(r[0], r[1], int(r[2])): (int(r[3]), r[4], r[5]) for r in (l.strip().split(',') for l in list(open(path))[1:])
            if r[0] not in ('latent', 'event')}
push, still = load(sys.argv[1]), load(sys.argv[2])
for model, cv, nopush in (('jepa_probe', 'const_vel_probe', 'jepa_probe_no_push'), ('cell_probe', 'const_vel_cell_probe', 'cell_probe_no_push')):
    # never pushed at h = 0; box b pushed at 0.5 s is pushed by the horizon in the windows before it
    assert push[('pushed', model, 0)][0] == 0, push[('pushed', model, 0)]
    assert push[('pushed', model, 30)][0] > 0, push[('pushed', model, 30)]
    for h in range(31):
        n = {s: push[(s, model, h)][0] for s in ('all', 'in_view', 'pushed', 'pushed_in_view')}
        assert n['pushed'] <= n['all'] and n['pushed_in_view'] <= min(n['pushed'], n['in_view']), (model, h, n)
        # one body of two pushed, once: never every body, and more of them the further ahead
        assert n['pushed'] < n['all'], (model, h, n)
        if h: assert n['pushed'] >= push[('pushed', model, h - 1)][0], (model, h)
        assert all(push[(s, nopush, h)][0] == push[(s, model, h)][0] for s in ('all', 'pushed')), (model, h)
        # with no push anywhere: no pushed rows, and the rollout without pushes is the rollout
        assert still[('pushed', model, h)][0] == 0, (model, h)
        for s in ('all', 'moving', 'in_view'):
            assert still[(s, nopush, h)] == still[(s, model, h)], (model, s, h, still[(s, nopush, h)], still[(s, model, h)])
    # the encoding is the same either way; after the push the predictor reads it, so the rollouts part
    assert push[('all', nopush, 0)] == push[('all', model, 0)], model
    assert any(push[('all', nopush, h)][1] != push[('all', model, h)][1] for h in range(1, 31)), model
PY

# the slot-free cell probe: fitted on other episodes, scored beside the slot probe; the same bytes twice
expect_status 0 "eval with the cell probe" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/d" --stride 30 --report "$tmp/r2" --probe-data "$tmp/d7" --cell-rows 200
grep -Eq "^slot-free cell probe \(fitted on $tmp/d7, ridge [0-9.e-]+, suppression radius (2|4|6|8|10|12) px\)" "$tmp/out" && grep -Eq "^all +0 +[1-9][0-9]* \| +[0-9.]+ " <(sed -n '/^slot-free/,$p' "$tmp/out") &&
  ok "eval's cell probe table" || bad "the cell probe table: $(cat "$tmp/out")"
/usr/bin/python3 - "$tmp/r2/eval_jepa.csv" <<'PY' && ok "eval_jepa.csv: the cell probe's rows, finite and inside the frame" || bad "the cell probe's rows"
import sys, numpy as np
rows = [l.strip().split(',') for l in open(sys.argv[1])][1:]
for method in ('cell_probe', 'const_vel_cell_probe'):
    err = [float(r[4]) for r in rows if r[0] == 'all' and r[1] == method]
    assert len(err) == 31 and all(np.isfinite(err)) and max(err) < np.hypot(64, 48), (method, err)
# the reference read from the frames' own pixels: h0 only, every body the cell probe scores
pix = {r[0]: (int(r[3]), float(r[4])) for r in rows if r[1] == 'pixel_cell_probe'}
cell0 = {r[0]: int(r[3]) for r in rows if r[1] == 'cell_probe' and r[2] == '0'}
assert sorted(pix) == sorted(cell0) and all(pix[s][0] == cell0[s] for s in pix), (pix, cell0)
assert all(r[2] == '0' for r in rows if r[1] == 'pixel_cell_probe')
assert 0 < pix['all'][1] < np.hypot(64, 48), pix
# the floor read from the bodies' exact heat: the same bodies, and in the frame it places them
# better than the pixels do (a heat at each true centre)
orc = {r[0]: (int(r[3]), float(r[4])) for r in rows if r[1] == 'oracle_cell_probe'}
assert sorted(orc) == sorted(cell0) and all(orc[s][0] == cell0[s] for s in orc), (orc, cell0)
assert all(r[2] == '0' for r in rows if r[1] == 'oracle_cell_probe')
assert 0 <= orc['in_view'][1] < pix['in_view'][1] and orc['in_view'][1] < 4.0, (orc, pix)
PY
# body by body: the median and 90th percentile, the error in body sizes and the share within a quarter
# of a body's smaller side; the size classes split the bodies in view at h0 (their counts, means and
# shares add up to the in_view row's); rows without per-body errors say nan
/usr/bin/python3 - "$tmp/r2/eval_jepa.csv" <<'PY' && ok "eval_jepa.csv: the cell probe body by body" || bad "the body-by-body columns: $(head -3 "$tmp/r2/eval_jepa.csv")"
import sys, csv, math
rows = list(csv.DictReader(open(sys.argv[1])))
extra = ['pos_median_px', 'pos_median_m', 'pos_p90_px', 'pos_p90_m', 'pos_mean_sizes', 'within_quarter']
assert list(rows[0].keys()) == ['subset', 'method', 'horizon', 'n', 'pos_mean_px', 'pos_mean_m'] + extra, rows[0].keys()
f = lambda r, k: float(r[k])
body = [r for r in rows if r['method'] in ('cell_probe', 'const_vel_cell_probe', 'pixel_cell_probe', 'oracle_cell_probe')]
assert len([r for r in body if int(r['n']) > 0]) >= 4 * 3 + 2 * 31
for r in body:
    if int(r['n']) == 0:
        assert all(math.isnan(f(r, k)) for k in extra), r
        continue
    assert 0 <= f(r, 'pos_median_px') <= f(r, 'pos_p90_px') and 0 <= f(r, 'pos_median_m') <= f(r, 'pos_p90_m'), r
    assert f(r, 'pos_mean_sizes') >= 0 and 0 <= f(r, 'within_quarter') <= 1, r
for r in rows:
    if r['method'] in ('jepa_probe', 'const_vel_probe', 'cell_probe_no_push') or r['subset'] in ('latent', 'event'):
        assert all(math.isnan(f(r, k)) for k in extra), r
get = {(r['subset'], r['method'], r['horizon']): r for r in rows}
for m in ('cell_probe', 'pixel_cell_probe', 'oracle_cell_probe'):
    whole = get[('in_view', m, '0')]
    parts = [get[(s, m, '0')] for s in ('in_view_up_to_a_cell', 'in_view_one_to_two_cells', 'in_view_over_two_cells')]
    n = sum(int(p['n']) for p in parts)
    assert n == int(whole['n']) > 0, (m, n, whole['n'])
    for k in ('pos_mean_px', 'within_quarter', 'pos_mean_sizes'):
        s = sum(int(p['n']) * f(p, k) for p in parts if int(p['n']))
        assert abs(s / n - f(whole, k)) < 1e-4 * max(1.0, f(whole, k)), (m, k, s / n, f(whole, k))
# the floor (a heat at each true centre) places more of the bodies within a quarter of their size
assert f(get[('in_view', 'oracle_cell_probe', '0')], 'within_quarter') >= f(get[('in_view', 'pixel_cell_probe', '0')], 'within_quarter')
PY
sed -n '/^the cell probe body by body/,/^the latent rollout/p' "$tmp/out" > "$tmp/body.txt"
grep -Eq "^in_view +0 +[1-9][0-9]* \| +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+% \|" "$tmp/body.txt" &&
  grep -Eq "^in view at h0: the pixels' reference median [0-9.]+ px" "$tmp/body.txt" &&
  [ "$(grep -Ec '^  (up_to_a_cell|one_to_two_cells|over_two_cells) +[0-9]+ bodies' "$tmp/body.txt")" -eq 3 ] &&
  ok "eval's body-by-body table" || bad "the body-by-body table: $(cat "$tmp/body.txt")"
grep -Eq "^the same cell probe read from the frames' own pixels \(the window's last frame, 8 x 8 pixels to a cell.*h0 px: all [0-9.]+ \([1-9]" "$tmp/out" &&
  ok "eval's pixel reference line" || bad "the pixel reference: $(cat "$tmp/out")"
grep -Eq "^its floor, the same cell probe read from a grid that is exactly the bodies .*h0 px: all [0-9.]+ \([1-9]" "$tmp/out" &&
  ok "eval's floor line" || bad "the floor: $(cat "$tmp/out")"
expect_status 0 "eval with the cell probe again" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/d" --stride 30 --report "$tmp/r3" --probe-data "$tmp/d7" --cell-rows 200
cmp -s "$tmp/r2/eval_jepa.csv" "$tmp/r3/eval_jepa.csv" && ok "the cell probe: the same numbers twice" || bad "two cell probe evals differ"
expect_status 0 "eval --probe-jobs 1" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/d" --stride 30 --report "$tmp/r4" --probe-data "$tmp/d7" --cell-rows 200 --probe-jobs 1
expect_status 0 "eval --probe-jobs 5" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/d" --stride 30 --report "$tmp/r5" --probe-data "$tmp/d7" --cell-rows 200 --probe-jobs 5
cmp -s "$tmp/r2/eval_jepa.csv" "$tmp/r4/eval_jepa.csv" && cmp -s "$tmp/r2/eval_jepa.csv" "$tmp/r5/eval_jepa.csv" &&
  ok "the cell probe at --probe-jobs 1 and 5: the same numbers as 2" || bad "--probe-jobs changed eval's numbers"
expect_status 2 "eval --probe-jobs 17" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/d" --report "$tmp/r6" --probe-data "$tmp/d7" --probe-jobs 17
one_line_err "probe-jobs"
"$nudge" gen --scenario "$tpl" --episodes 2 --seconds 1 --frames 32x32 --seed 3 --out "$tmp/s32" >/dev/null 2>&1
expect_status 2 "the cell probe on frames of another size" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/d" --probe-data "$tmp/s32"
one_line_err "64x48 frames"

# nudge voe takes a pixel model: its surprise from frames it renders
mkdir -p "$tmp/voe" && cp "$root/scenarios/voe/teleport.scn" "$tmp/voe/"
expect_status 0 "voe with a pixel model" -- "$nudge" voe "$tmp/voe" --model "$tmp/a/j.ckpt" --pairs 1
grep -Eq "^teleport +1 +[01] " "$tmp/out" && grep -q "world surprise per tick" "$tmp/out" && ok "voe's table" || bad "voe's table: $(cat "$tmp/out")"

# --keypoints: cell soft-argmax channels; the same bytes twice, eval (both probes) and voe read the file
expect_status 0 "train with keypoints" -- "$nudge" train "${small[@]}" --keypoints 2 --data "$tmp/d" --out "$tmp/k/j.ckpt"
grep -q "effective rank .* of 10" "$tmp/out" && ok "keypoints: 4 + 3 x 2 latent channels" || bad "keypoints' rank line: $(cat "$tmp/out")"
expect_status 0 "train with keypoints again" -- "$nudge" train "${small[@]}" --keypoints 2 --data "$tmp/d" --out "$tmp/k2/j.ckpt"
cmp -s "$tmp/k/j.ckpt" "$tmp/k2/j.ckpt" && ! cmp -s "$tmp/k/j.ckpt" "$tmp/a/j.ckpt" && ok "keypoints: bit-reproducible, another model" || bad "keypoints' runs"
expect_status 0 "eval of a model with keypoints" -- "$nudge" eval --model "$tmp/k/j.ckpt" --data "$tmp/d" --stride 30 --report "$tmp/rk" --probe-data "$tmp/d7" --cell-rows 200
grep -Eq "^all +0 +[1-9]" "$tmp/out" && grep -q "^slot-free cell probe" "$tmp/out" && ok "keypoints: eval's tables" || bad "keypoints' eval: $(cat "$tmp/out")"
expect_status 0 "voe with a model with keypoints" -- "$nudge" voe "$tmp/voe" --model "$tmp/k/j.ckpt" --pairs 1
grep -Eq "^teleport +1 +[01] " "$tmp/out" && ok "keypoints: voe's table" || bad "keypoints' voe: $(cat "$tmp/out")"
expect_status 0 "resume a model with keypoints" -- "$nudge" train "${small[@]}" --steps 3 --data "$tmp/d" --out "$tmp/k2/j.ckpt" --resume "$tmp/k/j.ckpt"
expect_status 2 "--keypoints out of range" -- "$nudge" train "${small[@]}" --keypoints 17 --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "keypoints"
# --keypoint-cv: offsets and velocity per keypoint (4 + 5 x 2 channels); voe weighs the keypoint channels
expect_status 0 "train with constant-velocity keypoints" -- "$nudge" train "${small[@]}" --keypoints 2 --keypoint-frames --keypoint-sharp --keypoint-cv --data "$tmp/d" --out "$tmp/cv/j.ckpt"
grep -q "effective rank .* of 14" "$tmp/out" && ok "keypoint cv: 4 + 5 x 2 latent channels" || bad "keypoint cv's rank line: $(cat "$tmp/out")"
expect_status 0 "voe with keypoint cv and --keypoint-weight" -- "$nudge" voe "$tmp/voe" --model "$tmp/cv/j.ckpt" --pairs 1 --keypoint-weight 8
grep -Eq "^teleport +1 +[01] " "$tmp/out" && ok "keypoint cv: voe's table" || bad "keypoint cv's voe: $(cat "$tmp/out")"
expect_status 2 "--keypoint-cv without --keypoint-frames" -- "$nudge" train "${small[@]}" --keypoints 2 --keypoint-cv --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "keypoint-frames"
# --keypoint-motion --keypoint-overlap: heats from the frames' change over overlapping windows; the file
# read back by eval and voe (the same channels); the same bytes twice; bad combinations are one line
expect_status 0 "train with motion keypoints over overlapping windows" -- "$nudge" train "${small[@]}" --context 3 --keypoints 2 --keypoint-frames --keypoint-sharp --keypoint-cv --keypoint-motion --keypoint-overlap --data "$tmp/d" --out "$tmp/mo/j.ckpt"
grep -q "effective rank .* of 14" "$tmp/out" && ok "motion keypoints: 4 + 5 x 2 latent channels" || bad "motion keypoints' rank line: $(cat "$tmp/out")"
expect_status 0 "the same again" -- "$nudge" train "${small[@]}" --context 3 --keypoints 2 --keypoint-frames --keypoint-sharp --keypoint-cv --keypoint-motion --keypoint-overlap --data "$tmp/d" --out "$tmp/mo2/j.ckpt"
cmp -s "$tmp/mo/j.ckpt" "$tmp/mo2/j.ckpt" && ! cmp -s "$tmp/mo/j.ckpt" "$tmp/cv/j.ckpt" && ok "motion keypoints: bit-reproducible, another model" || bad "motion keypoints' runs"
expect_status 0 "voe of a motion keypoint model" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1
grep -Eq "^teleport +1 +[01] " "$tmp/out" && ok "motion keypoints: voe's table" || bad "motion keypoints' voe: $(cat "$tmp/out")"
expect_status 2 "--keypoint-motion with a 2-frame context" -- "$nudge" train "${small[@]}" --keypoints 2 --keypoint-frames --keypoint-cv --keypoint-motion --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "context 3"
expect_status 2 "--keypoint-motion without --keypoint-cv" -- "$nudge" train "${small[@]}" --context 3 --keypoints 2 --keypoint-frames --keypoint-motion --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "keypoint-cv"
# --keypoint-appear: 2 motion keypoints and 1 from the frames' pixels (4 + 5 x 3 channels), read back by
# voe; --levels 2 (cells of 4 px, 12 x 16 at 64x48) with --hidden 8: eval's cell probe over the finer grid
expect_status 0 "train with appearance keypoints" -- "$nudge" train "${small[@]}" --context 3 --keypoints 2 --keypoint-appear 1 --keypoint-frames --keypoint-sharp --keypoint-cv --keypoint-motion --keypoint-overlap --data "$tmp/d" --out "$tmp/kap/j.ckpt"
grep -q "effective rank .* of 19" "$tmp/out" && ! cmp -s "$tmp/kap/j.ckpt" "$tmp/mo/j.ckpt" && ok "appearance keypoints: 4 + 5 x 3 latent channels, another model" || bad "appearance keypoints: $(cat "$tmp/out")"
expect_status 0 "voe of an appearance keypoint model" -- "$nudge" voe "$tmp/voe" --model "$tmp/kap/j.ckpt" --pairs 1
grep -Eq "^teleport +1 +[01] " "$tmp/out" && ok "appearance keypoints: voe's table" || bad "appearance keypoints' voe: $(cat "$tmp/out")"
expect_status 2 "--keypoint-appear without --keypoint-motion" -- "$nudge" train "${small[@]}" --context 3 --keypoints 2 --keypoint-appear 1 --keypoint-frames --keypoint-sharp --keypoint-cv --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "keypoint-motion"
expect_status 2 "--keypoints and --keypoint-appear past 16" -- "$nudge" train "${small[@]}" --context 3 --keypoints 8 --keypoint-appear 9 --keypoint-frames --keypoint-sharp --keypoint-cv --keypoint-motion --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "at most 16"
expect_status 0 "train --levels 2 --hidden 8" -- "$nudge" train "${small[@]}" --levels 2 --hidden 8 --context 3 --keypoints 2 --keypoint-frames --keypoint-sharp --keypoint-cv --keypoint-motion --data "$tmp/d" --out "$tmp/lv/j.ckpt"
expect_status 0 "eval of the finer grid with the cell probe" -- "$nudge" eval --model "$tmp/lv/j.ckpt" --data "$tmp/d" --probe-data "$tmp/d" --stride 30 --report "$tmp/rlv"
grep -Eq "^in_view +0 " "$tmp/out" && grep -q "slot-free cell probe" "$tmp/out" && ! cmp -s "$tmp/lv/j.ckpt" "$tmp/mo/j.ckpt" && ok "--levels 2: eval's cell probe" || bad "--levels 2's eval: $(cat "$tmp/out")"
expect_status 2 "--levels 4" -- "$nudge" train "${small[@]}" --levels 4 --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "levels"
expect_status 2 "--keypoint-overlap without --keypoints" -- "$nudge" train "${small[@]}" --keypoint-overlap --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "need --keypoints"
[ ! -e "$tmp/x/j.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
expect_status 2 "voe --keypoint-weight of a model without keypoints" -- "$nudge" voe "$tmp/voe" --model "$tmp/a/j.ckpt" --pairs 1 --keypoint-weight 8
one_line_err "keypoint-weight"
# --top-cells K: a tick's surprise from the K cells that err most (8 x 6 cells at 64x48); the plain
# table's CSV is another figure's; K past the grid, 0, or a state model is one line and exit 2
expect_status 0 "voe --top-cells 4" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --top-cells 4 --csv "$tmp/top4.csv"
grep -Eq "^teleport +2 +[012] " "$tmp/out" && grep -q "^teleport,2," "$tmp/top4.csv" && ok "--top-cells: voe's table and CSV" || bad "--top-cells' voe: $(cat "$tmp/out")"
expect_status 0 "voe --top-cells 48 (the whole grid)" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --top-cells 48
expect_status 2 "voe --top-cells past the grid" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --top-cells 49
one_line_err "48 cells"
expect_status 2 "voe --top-cells 0" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --top-cells 0
one_line_err "top-cells"
expect_status 2 "voe --top-cells of a state model" -- "$nudge" voe "$tmp/voe" --model "$root/assets/models/default.wm" --pairs 1 --top-cells 4
one_line_err "pixel model"

# nudge fate: the fate probe on a model's frozen latent (pooled and per cell), the same bytes twice; voe
# --fate adds its NLL (weight 0: the plain world surprise, the same CSV); --trace's parts; bad inputs
mkdir -p "$tmp/fate"
expect_status 0 "gen with breaks" -- "$nudge" gen --scenario "$tpl" --episodes 10 --seconds 2 --frames 64x48 --seed 3 --out "$tmp/fd"
expect_status 0 "fate (pooled)" -- "$nudge" fate --model "$tmp/mo/j.ckpt" --data "$tmp/fd" --heldout "$tmp/fd" --out "$tmp/fate/p.txt"
grep -Eq "^held-out: ahead +head .* AUROC 0\.[0-9]+ over [0-9]+ windows, [1-9]" "$tmp/out" && head -1 "$tmp/fate/p.txt" | grep -q "^nudge-jepa-fate 1$" &&
  ok "fate: AUROC lines and the file" || bad "fate: $(cat "$tmp/out")"
expect_status 0 "fate again" -- "$nudge" fate --model "$tmp/mo/j.ckpt" --data "$tmp/fd" --out "$tmp/fate/p2.txt"
cmp -s "$tmp/fate/p.txt" "$tmp/fate/p2.txt" && ok "fate: the same bytes twice" || bad "fate: two runs differ"
expect_status 0 "fate --kind cells" -- "$nudge" fate --kind cells --model "$tmp/mo/j.ckpt" --data "$tmp/fd" --out "$tmp/fate/c.txt"
sed -n 2p "$tmp/fate/c.txt" | grep -q "^14 28$" && sed -n 2p "$tmp/fate/p.txt" | grep -q "^14 42$" && ok "fate: 2C per cell, 3C pooled" || bad "fate's headers"
expect_status 0 "voe plain" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --csv "$tmp/fate/plain.csv"
expect_status 0 "voe --fate --fate-weight 0 --trace" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --fate "$tmp/fate/c.txt" --fate-weight 0 --csv "$tmp/fate/w0.csv" --trace "$tmp/fate/t0.csv"
cmp -s "$tmp/fate/plain.csv" "$tmp/fate/w0.csv" && ok "voe --fate-weight 0: the plain CSV" || bad "--fate-weight 0 changed the CSV"
head -1 "$tmp/fate/t0.csv" | grep -q "^category,pair,impossible,tick,world,evidence_grid,evidence_top,fate_p,fate_q,energy,energy_short,energy_shortfall,energy_predicted$" &&
  awk -F, 'NR > 1 && $5 !~ /nan/ { n++; if ($5 != $6 || $8 ~ /nan/) bad++ } END { exit !(n > 100 && bad == 0) }' "$tmp/fate/t0.csv" &&
  ok "--trace: the world is the grid's evidence at weight 0, and the fate is read" || bad "--trace: $(head -3 "$tmp/fate/t0.csv")"
expect_status 0 "voe --fate --trace" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --fate "$tmp/fate/c.txt" --fate-weight 100 --trace "$tmp/fate/t1.csv"
awk -F, 'NR > 1 && $5 !~ /nan/ && $5 > $6 + 1e-6 { n++ } END { exit !(n > 0) }' "$tmp/fate/t1.csv" && ok "--fate-weight 100: the fate adds" || bad "the fate added nothing"
expect_status 2 "fate with no break in the data" -- "$nudge" fate --model "$tmp/mo/j.ckpt" --data "$tmp/d" --out "$tmp/fate/x.txt"
one_line_err "with and without"
[ ! -e "$tmp/fate/x.txt" ] && ok "nothing written" || bad "a probe was written"
expect_status 2 "fate --kind other" -- "$nudge" fate --kind other --model "$tmp/mo/j.ckpt" --data "$tmp/fd" --out "$tmp/fate/x.txt"
one_line_err "pooled or cells"
expect_status 2 "voe --fate-weight without --fate" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --fate-weight 2
one_line_err "needs --fate"
expect_status 2 "voe --fate of another model's channels" -- "$nudge" voe "$tmp/voe" --model "$tmp/a/j.ckpt" --pairs 1 --fate "$tmp/fate/p.txt"
one_line_err "latent channels"
expect_status 2 "voe --fate of a state model" -- "$nudge" voe "$tmp/voe" --model "$root/assets/models/default.wm" --pairs 1 --fate "$tmp/fate/p.txt"
one_line_err "pixel model"
head -n 20 "$tmp/fate/p.txt" > "$tmp/fate/cut.txt"
expect_status 2 "voe --fate of a truncated probe" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --fate "$tmp/fate/cut.txt" --trace "$tmp/fate/t2.csv"
one_line_err "truncated"
[ ! -e "$tmp/fate/t2.csv" ] && ok "no trace written" || bad "a trace was written"

# nudge scale: the expected error per latent value, fitted on a model's predictions (the same bytes
# twice, its header F = 1 + 4C), scored against a constant scale; voe --scale scores the Laplace NLL
# (the world no longer the grid's L1 evidence); bad inputs are one line, exit 2, nothing written
mkdir -p "$tmp/sc"
expect_status 0 "scale" -- "$nudge" scale --model "$tmp/mo/j.ckpt" --data "$tmp/d" --heldout "$tmp/fd" --out "$tmp/sc/s.txt"
grep -Eq "^scale fitted on [0-9]+ cells of 5 episodes \(stride 4\), 57 features x 14 channels$" "$tmp/out" &&
  grep -Eq "^held-out: Laplace NLL per latent value -?[0-9.]+ with the scale, -?[0-9.]+ with each channel's mean error" "$tmp/out" &&
  head -1 "$tmp/sc/s.txt" | grep -q "^nudge-jepa-scale 1$" && sed -n 2p "$tmp/sc/s.txt" | grep -Eq "^14 57 [1-9][0-9]*$" &&
  ok "scale: its lines and the file" || bad "scale: $(cat "$tmp/out"; head -2 "$tmp/sc/s.txt")"
cp "$tmp/out" "$tmp/sc/out1"
# --jobs: the episodes encoded on N threads, the same scale and the same held-out scores
expect_status 0 "scale --jobs 2" -- "$nudge" scale --model "$tmp/mo/j.ckpt" --data "$tmp/d" --heldout "$tmp/fd" --out "$tmp/sc/sj2.txt" --jobs 2
cmp -s "$tmp/out" "$tmp/sc/out1" && cmp -s "$tmp/sc/s.txt" "$tmp/sc/sj2.txt" && ok "scale --jobs 2: the same bytes and scores" ||
  bad "scale --jobs 2 differs: $(cat "$tmp/out")"
expect_status 0 "scale --jobs 4" -- "$nudge" scale --model "$tmp/mo/j.ckpt" --data "$tmp/d" --heldout "$tmp/fd" --out "$tmp/sc/sj4.txt" --jobs 4
cmp -s "$tmp/out" "$tmp/sc/out1" && cmp -s "$tmp/sc/s.txt" "$tmp/sc/sj4.txt" && ok "scale --jobs 4 (some rounds short): the same" ||
  bad "scale --jobs 4 differs: $(cat "$tmp/out")"
expect_status 2 "scale --jobs 0" -- "$nudge" scale --model "$tmp/mo/j.ckpt" --data "$tmp/d" --out "$tmp/sc/sj0.txt" --jobs 0
one_line_err "jobs"
[ ! -e "$tmp/sc/sj0.txt" ] && ok "scale --jobs 0: nothing written" || bad "scale --jobs 0 wrote a file"
expect_status 0 "scale again" -- "$nudge" scale --model "$tmp/mo/j.ckpt" --data "$tmp/d" --out "$tmp/sc/s2.txt"
cmp -s "$tmp/sc/s.txt" "$tmp/sc/s2.txt" && ok "scale: the same bytes twice" || bad "scale: two runs differ"
expect_status 0 "scale --stride 1" -- "$nudge" scale --model "$tmp/mo/j.ckpt" --data "$tmp/d" --stride 1 --out "$tmp/sc/s1.txt"
! cmp -s "$tmp/sc/s.txt" "$tmp/sc/s1.txt" && ok "scale --stride 1: fitted on other windows" || bad "--stride changed nothing"
expect_status 0 "voe --scale --trace" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --scale "$tmp/sc/s.txt" --trace "$tmp/sc/t.csv"
awk -F, 'NR > 1 && $5 !~ /nan/ { n++; if ($5 != $6) d++ } END { exit !(n > 100 && d > 0) }' "$tmp/sc/t.csv" &&
  ok "voe --scale: the world is another evidence than the grid's L1" || bad "voe --scale: $(head -3 "$tmp/sc/t.csv")"
expect_status 0 "voe --scale --scale-weight 1 --trace" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --scale "$tmp/sc/s.txt" --scale-weight 1 --trace "$tmp/sc/t1.csv"
# the default weight 0.1: the world is the L1 evidence plus a tenth of (the NLL's - the L1's), the
# NLL's evidence the world at weight 1 (to the trace's printed digits)
paste -d, "$tmp/sc/t.csv" "$tmp/sc/t1.csv" | awk -F, 'NR > 1 && $5 !~ /nan/ { n++; x = $6 + 0.1 * ($18 - $6); d = $5 - x; if (d < 0) d = -d; if (d > 1e-4 * (1 + x)) b++ } END { exit !(n > 100 && b == 0) }' &&
  ok "--scale-weight: the world is e1 + W (e2 - e1)" || bad "--scale-weight's mix: $(paste -d, "$tmp/sc/t.csv" "$tmp/sc/t1.csv" | sed -n 30,32p)"
expect_status 0 "voe --scale --scale-weight 0" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --scale "$tmp/sc/s.txt" --scale-weight 0 --csv "$tmp/sc/w0.csv"
cmp -s "$tmp/fate/plain.csv" "$tmp/sc/w0.csv" && ok "voe --scale-weight 0: the plain CSV" || bad "--scale-weight 0 changed the CSV"
expect_status 2 "voe --scale-weight without --scale" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --scale-weight 0.5
one_line_err "needs --scale"
expect_status 2 "voe --scale-weight 2" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --scale "$tmp/sc/s.txt" --scale-weight 2
one_line_err "scale-weight"
expect_status 2 "scale without --out" -- "$nudge" scale --model "$tmp/mo/j.ckpt" --data "$tmp/d"
one_line_err "--out"
expect_status 2 "scale of data without frames" -- "$nudge" scale --model "$tmp/mo/j.ckpt" --data "$tmp/nf" --out "$tmp/sc/x.txt"
one_line_err "frames"
[ ! -e "$tmp/sc/x.txt" ] && ok "nothing written" || bad "a scale was written"
expect_status 2 "scale into a missing folder" -- "$nudge" scale --model "$tmp/mo/j.ckpt" --data "$tmp/d" --out "$tmp/sc/no/x.txt"
one_line_err "no/x.txt"
# --out over the model it reads: refused before any fitting, the model kept
cp "$tmp/mo/j.ckpt" "$tmp/sc/keep.ckpt"
for c in fate scale energy; do
  expect_status 2 "$c --out over its model" -- "$nudge" $c --model "$tmp/sc/keep.ckpt" --data "$tmp/fd" --out "$tmp/sc/keep.ckpt"
  one_line_err "^nudge $c: --out .*keep.ckpt is also the model: it would be overwritten"
done
cmp -s "$tmp/sc/keep.ckpt" "$tmp/mo/j.ckpt" && ok "the model is untouched" || bad "a fitter overwrote its model"
# nor into a dataset they read (the training or the held-out episodes)
for c in fate scale energy; do
  expect_status 2 "$c --out inside its dataset" -- "$nudge" $c --model "$tmp/sc/keep.ckpt" --data "$tmp/fd" --out "$tmp/fd/manifest.json"
  one_line_err "^nudge $c: --out .*fd/manifest.json is inside the dataset .*fd: it could overwrite the dataset's files$"
  expect_status 2 "$c --out inside its held-out dataset" -- "$nudge" $c --model "$tmp/sc/keep.ckpt" --data "$tmp/fd" --heldout "$tmp/d" --out "$tmp/d/x.txt"
  one_line_err "^nudge $c: --out .*d/x.txt is inside the dataset"
done
[ ! -e "$tmp/d/x.txt" ] && head -c 1 "$tmp/fd/manifest.json" | grep -q "{" && ok "the datasets untouched" || bad "a fitter wrote into a dataset"
expect_status 2 "train --kind jepa --out inside its dataset" -- "$nudge" train "${small[@]}" --data "$tmp/d" --out "$tmp/d/j.ckpt"
one_line_err "^nudge train: --out .*d/j.ckpt is inside the dataset"
expect_status 2 "voe --scale of another model's channels" -- "$nudge" voe "$tmp/voe" --model "$tmp/a/j.ckpt" --pairs 1 --scale "$tmp/sc/s.txt"
one_line_err "latent channels"
expect_status 2 "voe --scale of a state model" -- "$nudge" voe "$tmp/voe" --model "$root/assets/models/default.wm" --pairs 1 --scale "$tmp/sc/s.txt"
one_line_err "pixel model"
head -n 30 "$tmp/sc/s.txt" > "$tmp/sc/cut.txt"
expect_status 2 "voe --scale of a truncated file" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --scale "$tmp/sc/cut.txt" --trace "$tmp/sc/t2.csv"
one_line_err "truncated"
[ ! -e "$tmp/sc/t2.csv" ] && ok "no trace written" || bad "a trace was written"
expect_status 2 "voe --scale of a fate probe" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --scale "$tmp/fate/p.txt"
one_line_err "expected a scale"
# a FIFO for either file is refused at once (a FIFO without a writer would block forever)
mkfifo "$tmp/sc/in.fifo"
expect_status 2 "voe --scale FIFO" -- timeout 30 "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --scale "$tmp/sc/in.fifo"
one_line_err "in.fifo: .*FIFO"
expect_status 2 "voe --fate FIFO" -- timeout 30 "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --fate "$tmp/sc/in.fifo"
one_line_err "in.fifo: .*FIFO"

# nudge energy: the expected change over the next ticks, fitted after the model (the same bytes twice,
# its header, better than a constant on what it was fitted on); voe --energy adds W times the
# shortfall's evidence to the world (0: the plain CSV); bad inputs are one line, exit 2, nothing written
mkdir -p "$tmp/en"
expect_status 0 "energy" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d" --heldout "$tmp/fd" --out "$tmp/en/e.txt"
grep -Eq "^energy head fitted on [1-9][0-9]* windows of 5 episodes \(stride 4, horizon 24 ticks\), mean energy [0-9.]+$" "$tmp/out" &&
  grep -Eq "^held-out: mean \|energy error\| per cell [0-9.]+; the constant mean [0-9.]+; persistence [0-9.]+$" "$tmp/out" &&
  head -1 "$tmp/en/e.txt" | grep -q "^nudge-jepa-energy 1$" && sed -n 2p "$tmp/en/e.txt" | grep -Eq "^6 8 14 24 32 3 [1-9][0-9]* [0-9.e-]+ [1-9][0-9]*$" &&
  ok "energy: its lines and the file" || bad "energy: $(cat "$tmp/out"; head -2 "$tmp/en/e.txt")"
expect_status 0 "energy again" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d" --heldout "$tmp/fd" --out "$tmp/en/e2.txt"
cmp -s "$tmp/en/e.txt" "$tmp/en/e2.txt" && ok "energy: the same bytes twice" || bad "energy: two runs differ"
cp "$tmp/out" "$tmp/en/out1"
expect_status 0 "energy --jobs 3" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d" --heldout "$tmp/fd" --out "$tmp/en/e3.txt" --jobs 3
cmp -s "$tmp/en/e.txt" "$tmp/en/e3.txt" && cmp -s "$tmp/out" "$tmp/en/out1" && ok "energy --jobs 3: the same head and scores" ||
  bad "energy --jobs 3 differs from one thread"
expect_status 2 "energy --jobs 0" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d" --out "$tmp/en/e0.txt" --jobs 0
one_line_err "jobs"
expect_status 0 "energy --epochs 60 --horizon 6" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d" --epochs 60 --horizon 6 --out "$tmp/en/e6.txt"
sed -n 2p "$tmp/en/e6.txt" | grep -Eq "^6 8 14 6 " &&
  awk '/^training: mean/ { gsub(";", ""); exit !($6 < $10) } END { if (NR == 0) exit 1 }' "$tmp/out" &&
  ok "energy --epochs 60: fitted better than a constant, horizon 6" || bad "energy --epochs 60: $(cat "$tmp/out")"
expect_status 0 "voe --energy --energy-weight 0" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --energy "$tmp/en/e6.txt" --energy-weight 0 --csv "$tmp/en/w0.csv"
cmp -s "$tmp/fate/plain.csv" "$tmp/en/w0.csv" && ok "voe --energy-weight 0: the plain CSV" || bad "--energy-weight 0 changed the CSV"
expect_status 0 "voe --energy --energy-weight 2 --trace" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --energy "$tmp/en/e6.txt" --energy-weight 2 --trace "$tmp/en/t.csv"
# the world is the grid's evidence plus 2 times the shortfall's; the shortfall's evidence is read once
# the head has 7 ticks, and its raw shortfall is at most its mean predicted energy
awk -F, 'NR > 1 && $5 !~ /nan/ { n++; x = ($11 ~ /nan/) ? $6 : $6 + 2 * $11; d = $5 - x; if (d < 0) d = -d; if (d > 1e-4 * (1 + x)) b++;
  if ($11 !~ /nan/) { e++; if ($12 > $13 + 1e-6) b++ } } END { exit !(n > 100 && e > 50 && b == 0) }' "$tmp/en/t.csv" &&
  ok "voe --energy: the world is the grid's evidence + W x the shortfall's" || bad "voe --energy: $(sed -n 20,22p "$tmp/en/t.csv")"
expect_status 0 "voe --energy --energy-weight 2 --trace --jobs 2" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --energy "$tmp/en/e6.txt" --energy-weight 2 --trace "$tmp/en/tj.csv" --jobs 2
cmp -s "$tmp/en/t.csv" "$tmp/en/tj.csv" && ok "voe --jobs 2 with an energy head: the same trace" || bad "voe --jobs 2: another trace"
expect_status 0 "voe --energy --energy-smooth 1 --trace" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --energy "$tmp/en/e6.txt" --energy-weight 2 --energy-smooth 1 --trace "$tmp/en/t1.csv"
# smoothing: the shortfall's evidence over its raw ticks (M = 1) differs from the default's mean of 6
paste -d, "$tmp/en/t.csv" "$tmp/en/t1.csv" | awk -F, 'NR > 1 && $11 !~ /nan/ { n++; if ($11 != $24) d++; if ($12 != $25) b++ } END { exit !(n > 50 && d > 0 && b == 0) }' &&
  ok "--energy-smooth 1: the same shortfalls, another evidence" || bad "--energy-smooth: $(paste -d, "$tmp/en/t.csv" "$tmp/en/t1.csv" | sed -n 30,31p)"
# a window with a push in the head's horizon reads no shortfall (how far the push carries a body is not
# in the frames); --energy-pushed reads it; a clip without pushes is the same either way
mkdir -p "$tmp/vm" && cp "$root/scenarios/voe/mass_hidden.scn" "$tmp/vm/"
expect_status 0 "voe --energy over pushes" -- "$nudge" voe "$tmp/vm" --model "$tmp/mo/j.ckpt" --pairs 2 --energy "$tmp/en/e6.txt" --trace "$tmp/en/p0.csv"
expect_status 0 "voe --energy --energy-pushed" -- "$nudge" voe "$tmp/vm" --model "$tmp/mo/j.ckpt" --pairs 2 --energy "$tmp/en/e6.txt" --energy-pushed --trace "$tmp/en/p1.csv"
paste -d, "$tmp/en/p0.csv" "$tmp/en/p1.csv" | awk -F, 'NR > 1 && $12 !~ /nan/ { n++; if ($12 != $25) { d++; if ($12 != 0) b++ } }
  END { exit !(n > 100 && d >= 6 && b == 0) }' && ok "the pushed windows read no shortfall; --energy-pushed reads them" ||
  bad "--energy-pushed: $(paste -d, "$tmp/en/p0.csv" "$tmp/en/p1.csv" | awk -F, '$12 != $25' | head -3)"
expect_status 0 "voe --energy --energy-pushed without pushes" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 2 --energy "$tmp/en/e6.txt" --energy-weight 2 --energy-pushed --trace "$tmp/en/tp.csv"
cmp -s "$tmp/en/t.csv" "$tmp/en/tp.csv" && ok "--energy-pushed: the same trace without pushes" || bad "--energy-pushed changed a clip without pushes"
expect_status 2 "voe --energy-pushed without --energy" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --energy-pushed
one_line_err "need --energy"
expect_status 2 "voe --energy-smooth 0" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --energy "$tmp/en/e.txt" --energy-smooth 0
one_line_err "energy-smooth"
expect_status 2 "voe --energy-slack without --energy" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --energy-slack 1
one_line_err "need --energy"
expect_status 2 "voe --energy-weight -1" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --energy "$tmp/en/e.txt" --energy-weight -1
one_line_err "energy-weight"
expect_status 2 "voe --energy of another model's grid" -- "$nudge" voe "$tmp/voe" --model "$tmp/a/j.ckpt" --pairs 1 --energy "$tmp/en/e.txt"
one_line_err "not this model's"
expect_status 2 "voe --energy of a state model" -- "$nudge" voe "$tmp/voe" --model "$root/assets/models/default.wm" --pairs 1 --energy "$tmp/en/e.txt"
one_line_err "pixel model"
head -n 30 "$tmp/en/e.txt" > "$tmp/en/cut.txt"
expect_status 2 "voe --energy of a truncated file" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --energy "$tmp/en/cut.txt" --trace "$tmp/en/t2.csv"
one_line_err "truncated"
[ ! -e "$tmp/en/t2.csv" ] && ok "no trace written" || bad "a trace was written"
expect_status 2 "voe --energy of a scale" -- "$nudge" voe "$tmp/voe" --model "$tmp/mo/j.ckpt" --pairs 1 --energy "$tmp/sc/s.txt"
one_line_err "expected an energy head"
expect_status 2 "energy without --out" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d"
one_line_err "--out"
expect_status 2 "energy of data without frames" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/nf" --out "$tmp/en/x.txt"
one_line_err "frames"
expect_status 2 "energy --horizon 0" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d" --horizon 0 --out "$tmp/en/x.txt"
one_line_err "horizon"
expect_status 2 "energy --horizon 61" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d" --horizon 61 --out "$tmp/en/x.txt"
one_line_err "horizon"
expect_status 2 "energy --more-data without frames" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d" --more-data "$tmp/nf" --out "$tmp/en/x.txt"
one_line_err "frames"
[ ! -e "$tmp/en/x.txt" ] && ok "nothing written" || bad "an energy head was written"
expect_status 2 "energy into a missing folder" -- "$nudge" energy --model "$tmp/mo/j.ckpt" --data "$tmp/d" --out "$tmp/en/no/x.txt"
one_line_err "no/x.txt"

# train --event-weight W: the event heads trained with the model (flag 1024 in its file), the same
# bytes twice, 0 the plain model's bytes; voe --fate-weight without --fate reads the model's own heads
# (0: the plain CSV); fate --heads reports their AUROC; bad values are one line, exit 2, nothing written
ev=("${small[@]}" --context 3 --keypoints 2 --keypoint-frames --keypoint-sharp --keypoint-cv --keypoint-motion --keypoint-overlap)
expect_status 0 "train --event-weight 0" -- "$nudge" train "${ev[@]}" --event-weight 0 --data "$tmp/d" --out "$tmp/ev/z.ckpt"
cmp -s "$tmp/ev/z.ckpt" "$tmp/mo/j.ckpt" && ok "--event-weight 0: the plain model's bytes" || bad "--event-weight 0 changed the model"
expect_status 0 "train --event-weight 0.5" -- "$nudge" train "${ev[@]}" --event-weight 0.5 --data "$tmp/fd" --out "$tmp/ev/a.ckpt"
grep -Eq "^trained 12 steps .*, event term [0-9.]+ \(a window with a break weighs [0-9.]+ ahead, [0-9.]+ seen\)" "$tmp/out" &&
  head -1 "$tmp/ev/train.csv" | grep -q ",seconds,loss,event_loss$" && ok "--event-weight: the term and its weights reported, logged" ||
  bad "--event-weight: $(cat "$tmp/out")"
expect_status 0 "train --event-weight 0.5 again" -- "$nudge" train "${ev[@]}" --event-weight 0.5 --data "$tmp/fd" --out "$tmp/ev/b.ckpt"
expect_status 0 "train on the same data without it" -- "$nudge" train "${ev[@]}" --data "$tmp/fd" --out "$tmp/ev/c.ckpt"
cmp -s "$tmp/ev/a.ckpt" "$tmp/ev/b.ckpt" && ! cmp -s "$tmp/ev/a.ckpt" "$tmp/ev/c.ckpt" &&
  ok "--event-weight 0.5: bit-reproducible, and not the plain model" || bad "--event-weight 0.5: the checkpoints"
expect_status 0 "fate --heads" -- "$nudge" fate --heads --model "$tmp/ev/a.ckpt" --data "$tmp/fd" --heldout "$tmp/fd"
grep -Eq "^event heads of .* \(42 features\)" "$tmp/out" && grep -Eq "^held-out: ahead +head .* AUROC 0\.[0-9]+ over [0-9]+ windows, [1-9]" "$tmp/out" &&
  ok "fate --heads: the model's heads' AUROC" || bad "fate --heads: $(cat "$tmp/out")"
expect_status 2 "fate --heads of a model without them" -- "$nudge" fate --heads --model "$tmp/ev/c.ckpt" --data "$tmp/fd"
one_line_err "no event heads"
expect_status 2 "fate --heads --out" -- "$nudge" fate --heads --model "$tmp/ev/a.ckpt" --data "$tmp/fd" --out "$tmp/fate/x.txt"
one_line_err "heads"
[ ! -e "$tmp/fate/x.txt" ] && ok "nothing written" || bad "a probe was written"
expect_status 0 "voe of a model with heads, plain" -- "$nudge" voe "$tmp/voe" --model "$tmp/ev/a.ckpt" --pairs 2 --csv "$tmp/ev/plain.csv"
expect_status 0 "voe --fate-weight 0 (the model's heads) --trace" -- "$nudge" voe "$tmp/voe" --model "$tmp/ev/a.ckpt" --pairs 2 --fate-weight 0 --csv "$tmp/ev/w0.csv" --trace "$tmp/ev/t0.csv"
cmp -s "$tmp/ev/plain.csv" "$tmp/ev/w0.csv" && awk -F, 'NR > 1 && $5 !~ /nan/ { n++; if ($8 ~ /nan/ || $9 ~ /nan/) bad++ } END { exit !(n > 100 && bad == 0) }' "$tmp/ev/t0.csv" &&
  ok "voe --fate-weight 0: the plain CSV, the heads' p and q traced" || bad "voe with the model's heads: $(head -3 "$tmp/ev/t0.csv")"
expect_status 0 "voe --fate-weight 100 (the model's heads)" -- "$nudge" voe "$tmp/voe" --model "$tmp/ev/a.ckpt" --pairs 2 --fate-weight 100 --trace "$tmp/ev/t1.csv"
awk -F, 'NR > 1 && $5 !~ /nan/ && $5 > $6 + 1e-6 { n++ } END { exit !(n > 0) }' "$tmp/ev/t1.csv" && ok "--fate-weight 100: the heads' fate adds" || bad "the heads' fate added nothing"
for v in -1 101 nan x; do
  expect_status 2 "--event-weight $v" -- "$nudge" train "${ev[@]}" --event-weight "$v" --data "$tmp/fd" --out "$tmp/x/e.ckpt"
  one_line_err "event-weight"
  [ ! -e "$tmp/x/e.ckpt" ] && ok "nothing written" || bad "a checkpoint was written"
done

# make model-jepa's recipe, tiny: every stage runs and leaves its files; a rerun reuses the datasets
recipe=(env EPISODES=4 HELDOUT=2 SECONDS_PER_EPISODE=1 STEPS=3 PAIRS=1 FRAMES=64x48 WORK="$tmp/recipe"
        TRAIN_ARGS="--batch 4 --rollout 2 --width 4 --latent 4")
expect_status 0 "the model-jepa recipe" -- "${recipe[@]}" bash "$root/scripts/model_jepa.sh" "$(dirname "$nudge")"
[ -s "$tmp/recipe/jepa.ckpt" ] && grep -Eq "^all +0 +[1-9]" "$tmp/recipe/eval.txt" && [ -s "$tmp/recipe/eval/eval.svg" ] &&
  grep -q "^all,9," "$tmp/recipe/voe.csv" && grep -q "model-jepa: gen .* s, train .* s, eval, scale and energy .* s, voe .* s" "$tmp/out" &&
  head -1 "$tmp/recipe/scale.txt" | grep -q "^nudge-jepa-scale 1$" && grep -q "^held-out: Laplace NLL" "$tmp/recipe/scale.log" &&
  head -1 "$tmp/recipe/energy.txt" | grep -q "^nudge-jepa-energy 1$" && grep -q "^held-out: mean |energy error|" "$tmp/recipe/energy.log" &&
  ok "the recipe's model, eval, scale, energy head and voe" || bad "the recipe: $(tail -3 "$tmp/out")"
grep -q '"antialiased":[[:space:]]*true' "$tmp/recipe/train/manifest.json" && grep -q '"antialiased":[[:space:]]*true' "$tmp/recipe/heldout/manifest.json" &&
  ok "the recipe's frames are antialiased" || bad "the recipe's frames are not antialiased"
expect_status 0 "the recipe again" -- "${recipe[@]}" bash "$root/scripts/model_jepa.sh" "$(dirname "$nudge")"
cat "$tmp/out" "$tmp/err" | grep -q "0 episodes in 0 shards written (1 already there)" && ok "a rerun reuses the datasets" || bad "the rerun: $(head -3 "$tmp/err")"

# a kind of frames (gen FLAG): the same bytes at --jobs 1 and 2 (DIR and DIR2), other frames than BASE's
# and the same states, the manifest's two keys (only then), gen --resume without FLAG refused, FLAG
# without --frames refused, nothing left behind.
# usage: frame_kind FLAG DIR BASE FRAMES_KEY INPUTS_KEY GEN_ARGS... (gen's arguments without FLAG)
frame_kind() {
  local flag=$1 dir=$2 base=$3 fkey=$4 ikey=$5
  shift 5
  expect_status 0 "gen $flag" -- "$nudge" "$@" "$flag" --out "$dir" --jobs 1
  expect_status 0 "gen $flag --jobs 2" -- "$nudge" "$@" "$flag" --out "${dir}2" --jobs 2
  diff -r "$dir" "${dir}2" >/dev/null && ok "$flag: the same bytes at --jobs 1 and 2" || bad "$flag: --jobs 1 and 2 differ"
  ! cmp -s "$dir/shard-00000/frames.npy" "$base/shard-00000/frames.npy" && cmp -s "$dir/shard-00000/states.npy" "$base/shard-00000/states.npy" &&
    ok "$flag: other frames, the same states" || bad "$flag's frames or states"
  grep -q "\"$fkey\":[[:space:]]*true" "$dir/manifest.json" && grep -q "\"$ikey\":[[:space:]]*true" "$dir/manifest.json" &&
    ! grep -q "$fkey\\|$ikey" "$base/manifest.json" && ok "the manifest says $fkey (only then)" || bad "the manifest's $fkey"
  expect_status 2 "gen --resume without $flag on such a dataset" -- "$nudge" "$@" --out "$dir" --resume
  one_line_err "${flag#--}: given there, not given here"
  expect_status 2 "$flag without --frames" -- "$nudge" gen --scenario "$tpl" --episodes 2 --seconds 1 "$flag" --seed 3 --out "$tmp/x/kind"
  one_line_err "needs --frames"
  [ ! -e "$tmp/x/kind" ] && ok "no dataset left behind" || bad "a dataset was written"
}
# --frames-aa: antialiased frames, the same bytes at --jobs 1 and 2; the manifest and the checkpoint
# say so; a model of one kind refuses a dataset of the other (eval, the cell probe, --resume), one line
frame_kind --frames-aa "$tmp/aa" "$tmp/d" antialiased frames_aa gen --scenario "$tpl" --episodes 5 --seconds 1.2 --frames 64x48 --seed 3
expect_status 0 "train on antialiased frames" -- "$nudge" train "${small[@]}" --data "$tmp/aa" --out "$tmp/aam/j.ckpt"
! cmp -s "$tmp/aam/j.ckpt" "$tmp/a/j.ckpt" && ok "another model than the aliased frames'" || bad "the same model from other frames"
expect_status 0 "eval of the antialiased model on antialiased frames" -- "$nudge" eval --model "$tmp/aam/j.ckpt" --data "$tmp/aa" --stride 30 --report "$tmp/raa"
expect_status 2 "eval of the antialiased model on aliased frames" -- "$nudge" eval --model "$tmp/aam/j.ckpt" --data "$tmp/d" --stride 30 --report "$tmp/raa"
one_line_err "trained on antialiased frames, the dataset holds aliased ones"
expect_status 2 "eval of an aliased model on antialiased frames" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/aa" --stride 30 --report "$tmp/raa"
one_line_err "trained on aliased frames, the dataset holds antialiased ones"
expect_status 2 "the cell probe on the other kind of frames" -- "$nudge" eval --model "$tmp/aam/j.ckpt" --data "$tmp/aa" --probe-data "$tmp/d7" --stride 30 --report "$tmp/raa"
one_line_err "antialiased frames"
expect_status 2 "resume an antialiased model on aliased frames" -- "$nudge" train "${small[@]}" --steps 3 --data "$tmp/d" --out "$tmp/x/j.ckpt" --resume "$tmp/aam/j.ckpt"
one_line_err "antialiased frames"
[ ! -e "$tmp/x/j.ckpt" ] && ok "no model left behind" || bad "a model was written"
expect_status 0 "resume it on antialiased frames" -- "$nudge" train "${small[@]}" --steps 3 --data "$tmp/aa2" --out "$tmp/aam2/j.ckpt" --resume "$tmp/aam/j.ckpt"
expect_status 0 "eval of the resumed model (still antialiased)" -- "$nudge" eval --model "$tmp/aam2/j.ckpt" --data "$tmp/aa" --stride 30 --report "$tmp/raa2"
expect_status 0 "voe with the antialiased model" -- "$nudge" voe "$tmp/voe" --model "$tmp/aam/j.ckpt" --pairs 1
grep -Eq "^teleport +1 +[01] " "$tmp/out" && ok "antialiased: voe's table" || bad "antialiased voe: $(cat "$tmp/out")"

# --frames-outline: dynamic bodies outlined, the same states, other frames than --frames-aa's alone, the
# same bytes at --jobs 1 and 2; the manifest and the checkpoint say so; a model of one kind refuses a
# dataset of the other, one line
frame_kind --frames-outline "$tmp/ol" "$tmp/aa" outlined frames_outline gen --scenario "$tpl" --episodes 5 --seconds 1.2 --frames 64x48 --frames-aa --seed 3
expect_status 0 "train on outlined frames" -- "$nudge" train "${small[@]}" --data "$tmp/ol" --out "$tmp/olm/j.ckpt"
expect_status 0 "eval of the outlined model on outlined frames" -- "$nudge" eval --model "$tmp/olm/j.ckpt" --data "$tmp/ol2" --stride 30 --report "$tmp/rol"
expect_status 2 "eval of the outlined model on frames without outlines" -- "$nudge" eval --model "$tmp/olm/j.ckpt" --data "$tmp/aa" --stride 30 --report "$tmp/rol"
one_line_err "trained on frames with outlined bodies, the dataset's have none"
expect_status 2 "eval of a model without outlines on outlined frames" -- "$nudge" eval --model "$tmp/aam/j.ckpt" --data "$tmp/ol" --stride 30 --report "$tmp/rol"
one_line_err "trained on frames without outlined bodies, the dataset's have them"

# bad inputs: one line, exit 2, nothing written
expect_status 2 "a dataset without frames" -- "$nudge" train --kind jepa --data "$tmp/nf" --out "$tmp/x/j.ckpt"
one_line_err "no frames"
# --kind given twice: the last one counts, as for every flag
expect_status 0 "--kind state --kind jepa trains the pixel model" -- "$nudge" train --kind state "${small[@]}" --steps 2 --data "$tmp/d" --out "$tmp/k2/j.ckpt"
grep -q "effective rank" "$tmp/out" && ok "a pixel model was trained" || bad "--kind state --kind jepa: $(tail -n 2 "$tmp/out")"
expect_status 0 "--kind jepa --kind state trains the state model (on a dataset without frames)" -- "$nudge" train --kind jepa --kind state --data "$tmp/nf" --out "$tmp/k2/s.wm" --steps 2 --batch 8
[ ! -e "$tmp/x/j.ckpt" ] && ok "no model left behind" || bad "a model was written"
expect_status 2 "an unknown kind" -- "$nudge" train --kind pixels --data "$tmp/d" --out "$tmp/x/j.ckpt"
one_line_err "expected state or jepa"
"$nudge" train --data "$tmp/nf" --out "$tmp/s/wm.bin" --steps 5 --batch 8 >/dev/null 2>&1
expect_status 2 "resume a pixel run from a state model" -- "$nudge" train --kind jepa --data "$tmp/d" --out "$tmp/x/j.ckpt" --resume "$tmp/s/wm.bin"
one_line_err "a state model, not a pixel"
expect_status 2 "the cell probe's flags with a state model" -- "$nudge" eval --model "$tmp/s/wm.bin" --data "$tmp/nf" --probe-data "$tmp/d"
one_line_err "for a pixel model"
expect_status 2 "eval of a pixel model on a dataset without frames" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/nf"
one_line_err "no frames"
"$nudge" gen --scenario "$tpl" --episodes 2 --seconds 1 --frames 32x32 --seed 3 --out "$tmp/small" >/dev/null 2>&1
expect_status 2 "eval on frames of another size" -- "$nudge" eval --model "$tmp/a/j.ckpt" --data "$tmp/small"
one_line_err "64x48 frames"
expect_status 2 "eval of a checkpoint without a probe" -- "$nudge" eval --model "$tmp/a/j.ckpt.noprobe" --data "$tmp/d"
one_line_err "cannot read model"
head -c 100 "$tmp/a/j.ckpt" >"$tmp/cut.ckpt"
expect_status 2 "a cut pixel model" -- "$nudge" eval --model "$tmp/cut.ckpt" --data "$tmp/d"
one_line_err "truncated or corrupted"

# Ctrl-C: saves and exits 130
"$nudge" train --kind jepa --steps 100000 --batch 4 --width 4 --latent 4 --data "$tmp/d" --out "$tmp/i/j.ckpt" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/err" ] && break; sleep 0.2; done
sleep 1
kill -INT $pid
wait $pid
st=$?
[ "$st" -eq 130 ] && [ -s "$tmp/i/j.ckpt" ] && grep -q "interrupted after" "$tmp/out" && ok "Ctrl-C saves and exits 130" || bad "Ctrl-C: exit $st, $(cat "$tmp/out" "$tmp/err" | tail -2)"
# a pixel model trained on frames of gen --stride 2 records steps two control ticks: voe refuses it
expect_status 0 "gen with frames, --stride 2" -- "$nudge" gen --scenario "$tpl" --episodes 3 --seconds 1.2 --frames 64x48 --stride 2 --seed 3 --out "$tmp/ds2"
expect_status 0 "train --kind jepa on them" -- "$nudge" train "${small[@]}" --steps 2 --data "$tmp/ds2" --out "$tmp/js2/j.ckpt"
expect_status 2 "voe with a pixel model of strided records" -- "$nudge" voe "$root/scenarios/voe/freeze.scn" --pairs 1 --model "$tmp/js2/j.ckpt" --csv "$tmp/js2.csv"
one_line_err "^nudge voe: .*scn: the model steps 0.0333333 s (2 control ticks of this world, as trained on gen --stride 2 records); the world's control tick is 0.0166667 s"
[ ! -e "$tmp/js2.csv" ] && ok "no CSV written (strided pixel model)" || bad "voe wrote a CSV with a strided pixel model"
# and the pixel planner, which renders a frame a control tick, refuses it the same way
expect_status 2 "plan --agents jepa with a pixel model of strided records" -- "$nudge" plan "$root/scenarios/tasks/box_into_zone.scn" --model "$root/assets/models/default.wm" --agents jepa --jepa "$tmp/js2/j.ckpt" --episodes 1 --csv "$tmp/js2p.csv"
one_line_err "^nudge plan: .*box_into_zone.scn: the model steps 0.0333333 s (2 control ticks of this world, as trained on gen --stride 2 records); the world's control tick is 0.0166667 s"
[ ! -e "$tmp/js2p.csv" ] && ok "no CSV written (plan, strided pixel model)" || bad "plan wrote a CSV with a strided pixel model"

# the pixel planner's audit: each search's candidates also by the simulator; the same decisions as
# without it, its table and CSV, and its bad inputs
zone=$root/scenarios/tasks/box_into_zone.scn
plan_small=(plan "$zone" --agents jepa --jepa "$tmp/a/j.ckpt" --jepa-samples 6 --jepa-iters 1 --jepa-push-cost 0 --episodes 1)
expect_status 0 "plan --agents jepa" -- "$nudge" "${plan_small[@]}" --csv "$tmp/pa.csv"
expect_status 0 "plan --agents jepa --jepa-audit-csv" -- "$nudge" "${plan_small[@]}" --csv "$tmp/pb.csv" --jepa-audit-csv "$tmp/audit.csv"
grep -q "^jepa audit" "$tmp/out" && grep -q "^box_into_zone  *[0-9]" "$tmp/out" && ok "the audit's table" || bad "the audit's table: $(cat "$tmp/out")"
[ -s "$tmp/pa.csv" ] && [ "$(cut -d, -f1-5 "$tmp/pa.csv")" = "$(cut -d, -f1-5 "$tmp/pb.csv")" ] && ok "the audit leaves the outcomes as they were" ||
  bad "the audit changed the outcomes: $(cat "$tmp/pa.csv" "$tmp/pb.csv")"
/usr/bin/python3 - "$tmp/audit.csv" <<'PY' && ok "the audit's CSV: columns, rows, correlations in [-1, 1], rates in [0, 1], best <= pick, doing nothing misses" || bad "the audit's CSV: $(cat "$tmp/audit.csv")"
import csv, math, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["task", "searches", "rho", "rho_true", "pick_better", "best_better", "pick_cost", "best_cost", "idle_cost"], rows[0]
assert [r[0] for r in rows[1:]] == ["box_into_zone", "all"], rows
assert rows[1][1:] == rows[2][1:], rows
r = rows[1]
assert int(r[1]) > 0, r
for v in (float(r[2]), float(r[3])):
    assert math.isnan(v) or -1 <= v <= 1, r
assert 0 <= float(r[4]) <= float(r[5]) <= 1, r
assert float(r[7]) <= float(r[6]) + 1e-9 and float(r[8]) > 0.1, r
PY
expect_status 2 "--jepa-audit without the jepa agent" -- "$nudge" plan "$zone" --agents random --jepa-audit
one_line_err "--jepa-audit is for the 'jepa' agent"
cp "$tmp/a/j.ckpt" "$tmp/keep.ckpt"
expect_status 2 "--jepa-audit-csv over the pixel model" -- "$nudge" plan "$zone" --agents jepa --jepa "$tmp/keep.ckpt" --episodes 1 --jepa-audit-csv "$tmp/keep.ckpt"
one_line_err "--jepa-audit-csv .*keep.ckpt is also the pixel model"
cmp -s "$tmp/keep.ckpt" "$tmp/a/j.ckpt" && ok "the pixel model is untouched" || bad "plan overwrote the pixel model"
expect_status 2 "--jepa-audit-csv that cannot be written" -- "$nudge" "${plan_small[@]}" --jepa-audit-csv /dev/null/a.csv
one_line_err "/dev/null/a.csv"

finish jepa
