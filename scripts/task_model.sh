#!/usr/bin/env bash
# make task-model: the world model the planner is measured with on scenarios/tasks/ (README, "nudge
# plan"), until the standard recipe (make model) covers the task scenes. The recipe: episodes of the
# eleven task templates and of templates/push_off_table.scn in turn (episode i uses scene i mod 12),
# each explored by the random agent (a task's planner explores at random under gen, with its impulse
# limit and no push budget), 4 s each; then nudge train on one BLAS thread.
#   TASK_MODEL_EPISODES  episodes to generate (default 3600)
#   TASK_MODEL_TIME      seconds of training (default 1200), or
#   TASK_MODEL_STEPS     a step count instead (deterministic: the same steps give the same bytes)
#   TASK_MODEL_OUT       the model file (default BUILD/models/tasks.wm)
# usage: task_model.sh BUILD
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
nudge=$build/nudge
work=$build/task-model
out=${TASK_MODEL_OUT:-$build/models/tasks.wm}
episodes=${TASK_MODEL_EPISODES:-3600}
mkdir -p "$work/scenes" "$(dirname "$out")"
rm -f "$work/scenes/"*.scn
for f in "$root"/scenarios/tasks/*.scn "$root/scenarios/templates/push_off_table.scn"; do
  ln -s "$f" "$work/scenes/$(basename "$f")"
done
# the same inputs continue (or reuse) a dataset already there
"$nudge" gen --scenario "$work/scenes" --episodes "$episodes" --seconds 4 --seed 11 --out "$work/data" --jobs 2 --resume
if [ -n "${TASK_MODEL_STEPS:-}" ]; then
  budget=(--steps "$TASK_MODEL_STEPS")
else
  budget=(--steps 1000000000 --time "${TASK_MODEL_TIME:-1200}")
fi
OPENBLAS_NUM_THREADS=1 "$nudge" train --data "$work/data" --out "$out" "${budget[@]}" --seed 1
echo "task-model: $out (plan with: $nudge plan $root/scenarios/tasks --model $out --episodes 50 --jobs 2)"
