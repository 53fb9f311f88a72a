#!/usr/bin/env bash
# make model: the standard recipe for the default world model, into BUILD/model/default.wm (OUT=assets/models/default.wm ships it).
#
#   1. gen: EPISODES seeded episodes of SECONDS s on the training family (scenarios/templates/family/,
#      plus the planner's task templates in scenarios/tasks/ when there are any, so the planner's
#      scenes are in distribution), --jobs 2, dataset seed 1; and HELDOUT episodes with seed 2 to
#      judge it on;
#   2. train: STEPS (24000) optimizer steps with the model options --support-inputs --clip-inputs
#      --rest-gate 0.05, the break heads weighted 3x in the loss, --break-weight 3, and the model
#      the exponential moving average of the weights, --ema 0.999 (TRAIN_ARGS), on
#      2 training threads of one BLAS thread each (the same inputs give the same model bytes),
#      training seed SEED (default 1);
#   3. eval on the held-out episodes, into BUILD/model/eval/.
# Every step is deterministic, so the default model is reproducible from this script alone. The
# datasets are kept in BUILD/model/ and reused by a rerun (gen --resume checks their inputs).
# usage: scripts/model.sh [BUILD]   (environment: EPISODES, HELDOUT, SECONDS_PER_EPISODE, STEPS, THREADS, SEED,
#        OUT, WORK: the folder of datasets, logs and the evaluation, default BUILD/model; TRAIN_ARGS:
#        the model options and other nudge train flags, default "--support-inputs --clip-inputs
#        --rest-gate 0.05 --break-weight 3 --ema 0.999"; set it empty for none)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
nudge="$build/nudge"
work=${WORK:-$build/model}
episodes=${EPISODES:-1000}
heldout=${HELDOUT:-100}
seconds=${SECONDS_PER_EPISODE:-8}
steps=${STEPS:-24000}
seed=${SEED:-1}
train_args=${TRAIN_ARGS-"--support-inputs --clip-inputs --rest-gate 0.05 --break-weight 3 --ema 0.999"}
threads=${THREADS:-2}
# the model lands in the work folder; OUT=assets/models/default.wm ships it (it is the same bytes as
# the file nudge ships: README, "The default model"); a plain run never replaces a tracked file
out=${OUT:-$work/default.wm}

[ -x "$nudge" ] || { echo "model: $nudge is missing (make build first)" >&2; exit 2; }
[ -d "$root/scenarios/templates/family" ] || { echo "model: scenarios/templates/family/ is missing" >&2; exit 2; }

# the scenes: one folder of links, so one gen covers the family and the task templates (files in
# name order, episode i uses file i mod count). Each family template is linked three times, each
# task once: with 9 family templates and 11 tasks, 71% of the episodes are the family's breadth and
# 29% the planner's scenes.
scenes="$work/scenes"
rm -rf "$scenes"
mkdir -p "$scenes"
for f in "$root"/scenarios/templates/family/*.scn; do
  for copy in a b c; do ln -s "$f" "$scenes/family_${copy}_$(basename "$f")"; done
done
if [ -d "$root/scenarios/tasks" ]; then
  for f in "$root"/scenarios/tasks/*.scn; do [ -e "$f" ] && ln -s "$f" "$scenes/task_$(basename "$f")"; done
fi
echo "model: $(ls "$scenes" | wc -l) templates; $episodes + $heldout episodes of $seconds s; $steps steps on $threads threads"

t0=$(date +%s)
gen() {  # gen SEED EPISODES DIR: a new dataset, or the same one finished and verified (--resume starts an absent one)
  "$nudge" gen --scenario "$scenes" --episodes "$2" --seconds "$seconds" --seed "$1" --out "$3" --jobs 2 --resume
}
gen 1 "$episodes" "$work/train"
gen 2 "$heldout" "$work/heldout"
t1=$(date +%s)

mkdir -p "$(dirname "$out")"
# train_args are words (flags)
# shellcheck disable=SC2086
OPENBLAS_NUM_THREADS=1 "$nudge" train --data "$work/train" --out "$work/checkpoint.wm" --steps "$steps" \
  --threads "$threads" --seed "$seed" --log "$work/train.csv" --export "$work/default.wm" --memory 4G $train_args
t2=$(date +%s)
"$nudge" eval --model "$work/default.wm" --data "$work/heldout" --report "$work/eval" --horizon 240 > "$work/eval.txt"
cp "$work/default.wm" "$out.tmp" && sync "$out.tmp" && mv "$out.tmp" "$out"
t3=$(date +%s)
echo "model: gen $((t1 - t0)) s, train $((t2 - t1)) s, eval $((t3 - t2)) s -> $out ($(stat -c %s "$out") bytes)"
echo "model: held-out evaluation in $work/eval.txt and $work/eval/"
