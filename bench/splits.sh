#!/usr/bin/env bash
# make splits: the leave-one-factor-out evaluation of the world model on the training family.
# For every split of bench/splits.tsv it generates a training set, a test set on the held-out factor,
# and a held-out test set from the training distribution (nudge gen --where), trains a model on the
# training set (nudge train), and scores it (nudge eval) on both; the in_dist model (the whole
# family) is also scored on every split's test set. bench/splits_report.py then writes
# OUT/splits.csv and prints each split's 60-tick error and its ratio against in distribution.
#
#   usage: bench/splits.sh NUDGE [OUT]        (OUT defaults to splits/ next to NUDGE)
#   env:   SPLIT_TRAIN_EPISODES (300)  SPLIT_TEST_EPISODES (60)  SPLIT_SECONDS (8)
#          SPLIT_TRAIN_TIME (300: seconds of training per model)  SPLIT_TRAIN_STEPS (0: use the time;
#          a step count makes the trainings deterministic)  SPLIT_TRAIN_ARGS (more nudge train flags)
#          SPLIT_JOBS (2)  SPLIT_ONLY (names, comma-separated; in_dist is always run)
#          SPLIT_SCENARIO (scenarios/templates/family)  SPLIT_EVAL_ARGS (more nudge eval flags)
#          SPLIT_PEER (0; 1: also train bench/torch_peer.py, the PyTorch quality peer, on every split's
#          training set for the CPU seconds nudge's training took, and score it on the same test sets;
#          needs python3-torch)  SPLIT_PEER_ARGS (more torch_peer.py flags, e.g. the model options
#          "--clip-inputs --rest-gate 0.3" to match SPLIT_TRAIN_ARGS)
# Datasets are reused when the folder already holds the same one (gen --resume); models are trained
# anew each time. Everything runs at one BLAS thread.
set -euo pipefail
nudge=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$(dirname "$nudge")/splits}
train_eps=${SPLIT_TRAIN_EPISODES:-300}
test_eps=${SPLIT_TEST_EPISODES:-60}
seconds=${SPLIT_SECONDS:-8}
train_time=${SPLIT_TRAIN_TIME:-300}
train_steps=${SPLIT_TRAIN_STEPS:-0}
jobs=${SPLIT_JOBS:-2}
scenario=${SPLIT_SCENARIO:-$root/scenarios/templates/family}
only=${SPLIT_ONLY:-}
export OPENBLAS_NUM_THREADS=1
mkdir -p "$out"
t_start=$(date +%s)
say() { echo "splits: $*" >&2; }

# the splits: name, train condition, test condition
# (a split's seeds come from its place in bench/splits.tsv, so SPLIT_ONLY picks the same datasets)
names=(); trains=(); tests=(); rows=(); row=0
while IFS=$'\t' read -r name train test; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  row=$((row + 1))
  if [[ -n "$only" && "$name" != in_dist && ",$only," != *",$name,"* ]]; then continue; fi
  names+=("$name"); trains+=("$train"); tests+=("$test"); rows+=("$row")
done <"$root/bench/splits.tsv"
[[ "${names[0]:-}" == in_dist ]] || { echo "splits: bench/splits.tsv must start with in_dist" >&2; exit 2; }

gen() {  # gen DIR EPISODES SEED WHERE
  local where=()
  [[ "$4" != 1 ]] && where=(--where "$4")
  "$nudge" gen --scenario "$scenario" --episodes "$2" --seconds "$seconds" --seed "$3" "${where[@]}" \
    --jobs "$jobs" --out "$1" --resume 2>"$out/gen.log" || { cat "$out/gen.log" >&2; exit 1; }
}
train() {  # train DATA MODEL
  local budget=(--steps 1000000000 --time "$train_time")
  [[ "$train_steps" != 0 ]] && budget=(--steps "$train_steps")
  # shellcheck disable=SC2086
  # the training's CPU seconds (user + system) go to MODEL.cpu: the peer's budget
  local TIMEFORMAT='%U %S'
  { time "$nudge" train --data "$1" --out "$2" --log "${2%.wm}.train.csv" "${budget[@]}" --seed 1 ${SPLIT_TRAIN_ARGS:-} \
    >/dev/null 2>"$out/train.log" \
    || { cat "$out/train.log" >&2; exit 1; }; } 2>"${2%.wm}.time"
  awk 'END { printf "%.1f\n", $1 + $2 }' "${2%.wm}.time" >"${2%.wm}.cpu"
}
peer() {  # peer NAME TRAIN TESTS...: the PyTorch peer with nudge's CPU seconds for that split
  local tests
  tests=$(IFS=,; echo "${*:3}")
  mkdir -p "$out/peer"
  # shellcheck disable=SC2086
  /usr/bin/python3 "$root/bench/torch_peer.py" --train "$2" --test "$tests" --budget "$(cat "$out/models/$1.cpu")" \
    --horizons 60 --csv "$out/peer/$1.csv" --quiet ${SPLIT_PEER_ARGS:-} >"$out/peer/$1.txt" 2>"$out/peer.log" \
    || { cat "$out/peer.log" >&2; exit 1; }
}
evaluate() {  # evaluate MODEL DATA REPORT
  # shellcheck disable=SC2086
  "$nudge" eval --model "$1" --data "$2" --report "$3" ${SPLIT_EVAL_ARGS:-} >"$3.txt" 2>"$out/eval.log" \
    || { cat "$out/eval.log" >&2; exit 1; }
}

for i in "${!names[@]}"; do
  n=${names[$i]}
  seed=$((1000 * ${rows[$i]}))
  say "$n: data (train: ${trains[$i]}; test: ${tests[$i]})"
  gen "$out/data/$n-train" "$train_eps" $((seed + 1)) "${trains[$i]}"
  gen "$out/data/$n-test" "$test_eps" $((seed + 2)) "${tests[$i]}"
  [[ "$n" != in_dist ]] && gen "$out/data/$n-id" "$test_eps" $((seed + 3)) "${trains[$i]}"
  t0=$(date +%s)
  say "$n: training"
  mkdir -p "$out/models"
  train "$out/data/$n-train" "$out/models/$n.wm"
  say "$n: trained in $(( $(date +%s) - t0 )) s; scoring"
  mkdir -p "$out/eval"
  evaluate "$out/models/$n.wm" "$out/data/$n-test" "$out/eval/$n-test"
  if [[ "$n" != in_dist ]]; then
    evaluate "$out/models/$n.wm" "$out/data/$n-id" "$out/eval/$n-id"
    evaluate "$out/models/in_dist.wm" "$out/data/$n-test" "$out/eval/$n-seen"
  fi
  if [[ "${SPLIT_PEER:-0}" == 1 ]]; then
    say "$n: the PyTorch peer, $(cat "$out/models/$n.cpu") CPU s"
    if [[ "$n" == in_dist ]]; then peer "$n" "$out/data/$n-train" "$out/data/$n-test"
    else peer "$n" "$out/data/$n-train" "$out/data/$n-test" "$out/data/$n-id"; fi
  fi
done
{
  for i in "${!names[@]}"; do printf '%s\t%s\t%s\n' "${names[$i]}" "${trains[$i]}" "${tests[$i]}"; done
} >"$out/splits.tsv"
/usr/bin/python3 "$root/bench/splits_report.py" "$out"
say "done in $(( $(date +%s) - t_start )) s: $out/splits.csv"
