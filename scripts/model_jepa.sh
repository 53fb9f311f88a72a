#!/usr/bin/env bash
# make model-jepa: the standard recipe for the pixel (JEPA) world model (README, "The pixel model").
#
#   1. gen with antialiased frames (160x120 gray, --frames-aa, framed by render_frame_rect) on the training family
#      (scenarios/templates/family/, each template once) and scenarios/templates/push_off_table.scn
#      (twice: the glasses and tables the VoE scenes are made of), EPISODES episodes of SECONDS s
#      with seed 1, and HELDOUT episodes with seed 2 to judge it on. Never scenarios/voe: those are the test;
#   2. train --kind jepa for STEPS optimizer steps on one BLAS thread, seed 1 (the same inputs give
#      the same model bytes), 3-frame windows, 6 steps of rollout, motion weight 200, 4 motion
#      keypoints over overlapping windows with constant velocity and 4 appearance keypoints (their
#      heats a 3x3 convolution of a frame's pixels: a body at rest has a place too; TRAIN_ARGS
#      below), then the probe is fitted on 4000 windows of the training episodes (encoded on two
#      threads: --probe-jobs 2, train's default, the same probe as one);
#   3. eval on the held-out episodes (eval.txt, eval/eval_jepa.csv, eval/eval.svg), with the slot-free
#      cell probe fitted on the training episodes beside the checkpoint's slot probe;
#   4. after eval, the scale (nudge scale: how far each latent value's prediction is expected to
#      miss) fitted on every SCALE_STRIDE-th window of the training episodes on two threads (--jobs 2,
#      the same scale as one: it takes the core the energy head leaves when that is done; scale.txt,
#      scale.log), and meanwhile the energy head (nudge energy: how much the latent is expected to
#      change over the next 24 ticks, cell by cell; energy.txt, energy.log), whose two threads
#      (--jobs 2: the same head as one) take the second core and what the first leaves;
#   5. voe on scenarios/voe with PAIRS pairs per category, the scale's NLL and the energy's shortfall
#      (a change expected that did not come) mixed into the surprise (voe --scale --energy; voe.txt,
#      voe.csv).
# Every step is deterministic. The datasets are kept in WORK and reused by a rerun (gen --resume).
# usage: scripts/model_jepa.sh [BUILD]   (environment: EPISODES, HELDOUT, SECONDS_PER_EPISODE,
#        STEPS, PAIRS, FRAMES, SCALE_STRIDE, OUT (the model, default WORK/jepa.ckpt), WORK (default BUILD/model-jepa),
#        TRAIN_ARGS: train's flags instead of the recipe's (e.g. "" for train's defaults);
#        GEN_ARGS: gen's flags instead of --frames-aa (e.g. "" for render_world's hard edges, or
#        "--frames-aa --frames-outline" for outlined dynamic bodies: measured, not the recipe))
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
nudge="$build/nudge"
work=${WORK:-$build/model-jepa}
episodes=${EPISODES:-300}
heldout=${HELDOUT:-40}
seconds=${SECONDS_PER_EPISODE:-4}
steps=${STEPS:-1000}
pairs=${PAIRS:-20}
scale_stride=${SCALE_STRIDE:-4}
frames=${FRAMES:-160x120}
out=${OUT:-$work/jepa.ckpt}
# the recipe's flags (README, "The pixel model": the run of 2026-12-04 that made them the recipe)
gen_args=${GEN_ARGS---frames-aa}
train_args=${TRAIN_ARGS---context 3 --rollout 6 --motion-weight 200 --keypoints 4 --keypoint-frames --keypoint-sharp --keypoint-cv --keypoint-motion --keypoint-overlap --keypoint-appear 4 --probe-rows 4000}

[ -x "$nudge" ] || { echo "model-jepa: $nudge is missing (make build first)" >&2; exit 2; }
[ -d "$root/scenarios/templates/family" ] || { echo "model-jepa: scenarios/templates/family/ is missing" >&2; exit 2; }

# the scenes: one folder of links (files in name order, episode i uses file i mod count)
scenes="$work/scenes"
rm -rf "$scenes"
mkdir -p "$scenes" "$(dirname "$out")"
for f in "$root"/scenarios/templates/family/*.scn; do ln -s "$f" "$scenes/family_$(basename "$f")"; done
for copy in a b; do ln -s "$root/scenarios/templates/push_off_table.scn" "$scenes/table_${copy}_push_off_table.scn"; done
echo "model-jepa: $(ls "$scenes" | wc -l) templates; $episodes + $heldout episodes of $seconds s at $frames ($gen_args); $steps steps ($train_args)"

t0=$(date +%s)
gen() {  # gen SEED EPISODES DIR: a new dataset, or the same one finished and verified (--resume starts an absent one)
  "$nudge" gen --scenario "$scenes" --episodes "$2" --seconds "$seconds" --frames "$frames" --seed "$1" --out "$3" \
    --jobs 2 --resume $gen_args
}
gen 1 "$episodes" "$work/train"
gen 2 "$heldout" "$work/heldout"
t1=$(date +%s)
OPENBLAS_NUM_THREADS=1 "$nudge" train --kind jepa --data "$work/train" --out "$out" --steps "$steps" --seed 1 \
  --log "$work/train.csv" $train_args
t2=$(date +%s)
# the energy head (the longest fit) on two threads while eval and then the scale run
OPENBLAS_NUM_THREADS=1 "$nudge" energy --model "$out" --data "$work/train" --heldout "$work/heldout" \
  --jobs 2 --out "$work/energy.txt" > "$work/energy.log" &
energy_pid=$!
OPENBLAS_NUM_THREADS=1 "$nudge" eval --model "$out" --data "$work/heldout" --report "$work/eval" --probe-data "$work/train" \
  > "$work/eval.txt"
OPENBLAS_NUM_THREADS=1 "$nudge" scale --model "$out" --data "$work/train" --heldout "$work/heldout" \
  --stride "$scale_stride" --jobs 2 --out "$work/scale.txt" > "$work/scale.log" ||
  { echo "model-jepa: nudge scale failed" >&2; kill "$energy_pid" 2>/dev/null; exit 2; }
wait "$energy_pid" || { echo "model-jepa: nudge energy failed" >&2; exit 2; }
t3=$(date +%s)
OPENBLAS_NUM_THREADS=1 "$nudge" voe "$root/scenarios/voe" --model "$out" --scale "$work/scale.txt" \
  --energy "$work/energy.txt" --pairs "$pairs" --jobs 2 --csv "$work/voe.csv" > "$work/voe.txt"
t4=$(date +%s)
cat "$work/eval.txt" "$work/scale.log" "$work/energy.log" "$work/voe.txt"
echo "model-jepa: gen $((t1 - t0)) s, train $((t2 - t1)) s, eval, scale and energy $((t3 - t2)) s, voe $((t4 - t3)) s -> $out"
echo "model-jepa: held-out evaluation in $work/eval.txt and $work/eval/, the scale in $work/scale.txt, the energy head in $work/energy.txt, VoE in $work/voe.txt"
