#!/usr/bin/env bash
# make model: the standard recipe for the default world model, into BUILD/model/default.wm (OUT=assets/models/default.wm ships it).
#
#   1. gen: EPISODES seeded episodes of SECONDS s on the training family (scenarios/templates/family/,
#      each template three times; with WIDEN > 0 (default 3) the third copy has its world bounds WIDEN
#      m beyond its floor's ends and below it, so that a body that rolls off a floor's end falls
#      instead of being removed at the edge; plus the planner's task templates in scenarios/tasks/
#      when there are any, so the planner's scenes are in distribution), --jobs 2, dataset seed 1;
#      HELDOUT episodes with seed 2 to judge it on; and with DROPS > 0 (default 800) that many
#      episodes (seed 13) of the family's seesaws.scn with 1-2 bodies dropped on each plank (its
#      n_drop drawn from 1..2, not 0..2): hard hits on planks;
#   2. train: STEPS (24000) optimizer steps (on the family data, or on it and the drops weighted
#      0.8 / 0.2) with the model options of TRAIN_ARGS (below), on 2 training threads of one BLAS thread
#      each (the same inputs give the same model bytes), training seed SEED (default 1);
#   3. eval on the held-out episodes, into BUILD/model/eval/.
# Every step is deterministic, so the default model is reproducible from this script alone. The
# datasets are kept in BUILD/model/ and reused by a rerun (gen --resume checks their inputs).
# usage: scripts/model.sh [BUILD]   (environment: EPISODES, HELDOUT, DROPS (default 800; 0: none),
#        SECONDS_PER_EPISODE, WIDEN (default 3; 0: the third copy as the others), STEPS, THREADS, SEED,
#        OUT, WORK: the folder of datasets, logs and the evaluation, default BUILD/model; TRAIN_ARGS:
#        the model options and other nudge train flags, default RECIPE_ARGS below; set it empty for
#        none). README, "The default model", gives the recipe and the ones it replaced (until
#        2026-12-05 night the same with --break-weight 3; until 2026-12-05 evening that without
#        --impact-sweep; before 2026-12-05 DROPS=0 WIDEN=0
#        TRAIN_ARGS="--support-inputs --clip-inputs --rest-gate 0.05 --break-weight 3 --ema 0.999").
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
# the recipe's model options: README, "The default model" and "Options of a new model"
RECIPE_ARGS="--support-inputs --clip-inputs --rest-gate 0.05 --break-weight 5 --ema 0.999 --release --release-impact 0.5
  --pair-inputs --collision-prior --collision-friction --contact-axis --edge-time --contact-anchor --prior-settle
  --contact-lift --impact-sweep"
train_args=${TRAIN_ARGS-$RECIPE_ARGS}
drops=${DROPS:-800}
widen=${WIDEN:-3}
[[ "$drops" =~ ^[0-9]+$ ]] || { echo "model: DROPS must be a whole number of episodes, not '$drops'" >&2; exit 2; }
[[ "$widen" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "model: WIDEN must be a number of metres >= 0, not '$widen'" >&2; exit 2; }
threads=${THREADS:-2}
# the model lands in the work folder; OUT=assets/models/default.wm ships it (the shipped file is this
# recipe's output, the same bytes); a plain run never replaces a tracked file
out=${OUT:-$work/default.wm}

[ -x "$nudge" ] || { echo "model: $nudge is missing (make build first)" >&2; exit 2; }
[ -d "$root/scenarios/templates/family" ] || { echo "model: scenarios/templates/family/ is missing" >&2; exit 2; }

# widen FILE OUT: FILE with its `world bounds XMIN YMIN XMAX YMAX` line (numbers) moved WIDEN m outward
# at the sides and the bottom (the top stays); a template without exactly one such line is an error
widen() {
  awk -v w="$widen" -v f="$1" '
    $1 == "world" && $2 == "bounds" {
      if (NF != 6 || $3 !~ /^-?[0-9.]+$/ || $4 !~ /^-?[0-9.]+$/ || $5 !~ /^-?[0-9.]+$/ || $6 !~ /^-?[0-9.]+$/) {
        printf "model: %s:%d:1: world bounds must be four numbers to be widened\n", f, NR > "/dev/stderr"; bad = 1; exit 2 }
      printf "world bounds %g %g %g %g\n", $3 - w, $4 - w, $5 + w, $6; n++; next }
    { print }
    END { if (!bad && n != 1) { printf "model: %s: %d world bounds lines, need 1 to widen\n", f, n > "/dev/stderr"; exit 2 } }' "$1" > "$2"
}

# the scenes: one folder, so one gen covers the family and the task templates (files in name order,
# episode i uses file i mod count). Each family template is there three times (links; with WIDEN the
# third a copy with widened bounds), each task once: with 9 family templates and 11 tasks, 71% of the
# episodes are the family's breadth and 29% the planner's scenes.
scenes="$work/scenes"
rm -rf "$scenes"
mkdir -p "$scenes"
for f in "$root"/scenarios/templates/family/*.scn; do
  for copy in a b; do ln -s "$f" "$scenes/family_${copy}_$(basename "$f")"; done
  if [ "$widen" = 0 ]; then ln -s "$f" "$scenes/family_c_$(basename "$f")"; else widen "$f" "$scenes/family_c_$(basename "$f")"; fi
done
if [ -d "$root/scenarios/tasks" ]; then
  for f in "$root"/scenarios/tasks/*.scn; do [ -e "$f" ] && ln -s "$f" "$scenes/task_$(basename "$f")"; done
fi
# the drops: seesaws.scn with n_drop drawn from 1..2 (a template whose n_drop line is not "param
# n_drop int 0 2" is an error, not silently another dataset)
drops_scn="$work/drops.scn"
if [ "$drops" -gt 0 ]; then
  grep -q '^param n_drop int 0 2$' "$root/scenarios/templates/family/seesaws.scn" ||
    { echo "model: scenarios/templates/family/seesaws.scn: no 'param n_drop int 0 2' line to make the drops from" >&2; exit 2; }
  sed 's/^param n_drop int 0 2$/param n_drop int 1 2/' "$root/scenarios/templates/family/seesaws.scn" > "$drops_scn"
fi
echo "model: $(ls "$scenes" | wc -l) templates; $episodes + $heldout episodes of $seconds s, $drops drops; $steps steps on $threads threads"

t0=$(date +%s)
gen() {  # gen SCENES SEED EPISODES DIR: a new dataset, or the same one finished and verified (--resume starts an absent one)
  "$nudge" gen --scenario "$1" --episodes "$3" --seconds "$seconds" --seed "$2" --out "$4" --jobs 2 --resume
}
gen "$scenes" 1 "$episodes" "$work/train"
gen "$scenes" 2 "$heldout" "$work/heldout"
data=(--data "$work/train")
if [ "$drops" -gt 0 ]; then
  gen "$drops_scn" 13 "$drops" "$work/drops"
  data=(--data "$work/train,$work/drops" --weights 0.8,0.2)
fi
t1=$(date +%s)

mkdir -p "$(dirname "$out")"
# train_args are words (flags)
# shellcheck disable=SC2086
OPENBLAS_NUM_THREADS=1 "$nudge" train "${data[@]}" --out "$work/checkpoint.wm" --steps "$steps" \
  --threads "$threads" --seed "$seed" --log "$work/train.csv" --export "$work/default.wm" --memory 4G $train_args
t2=$(date +%s)
"$nudge" eval --model "$work/default.wm" --data "$work/heldout" --report "$work/eval" --horizon 240 > "$work/eval.txt"
cp "$work/default.wm" "$out.tmp" && sync "$out.tmp" && mv "$out.tmp" "$out"
t3=$(date +%s)
echo "model: gen $((t1 - t0)) s, train $((t2 - t1)) s, eval $((t3 - t2)) s -> $out ($(stat -c %s "$out") bytes)"
echo "model: held-out evaluation in $work/eval.txt and $work/eval/"
