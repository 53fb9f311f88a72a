#!/usr/bin/env bash
# make bench: every benchmark, each printing its ratios against references measured in the same run.
# Installs python3-torch (Debian) for the PyTorch reference when it is missing.
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "bench: installing python3-torch for the PyTorch reference" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  $sudo_cmd apt-get install -y -qq --no-install-recommends python3-torch >&2 || echo "bench: python3-torch unavailable; the PyTorch column will be skipped" >&2
fi
cd "$build"
echo "== bench_gen =="
./bench/bench_gen ./nudge "$root/scenarios/templates/push_off_table.scn"
echo
echo "== bench_gen, the 100-body scene (the loops only) =="
./bench/bench_gen ./nudge "$root/bench/scenes/pile_100.scn" 32 world
echo
echo "== bench_train =="
BENCH_TRAIN_MODEL="$root/assets/models/default.wm" ./bench/bench_train 2 ./nudge "$root/scenarios/templates/push_off_table.scn"
echo
echo "== bench_view (under Xvfb) =="
xvfb-run -a -s '-screen 0 1280x720x24' ./bench/bench_view
echo
echo "== bench_replay =="
./bench/bench_replay "$root/bench/scenes/row_30.scn"
echo
echo "== bench_env: Python nudge.Env.step against the C loop (libnudge), one thread =="
OPENBLAS_NUM_THREADS=1 NUDGE_LIB="$PWD/libnudge.so.1" /usr/bin/python3 "$root/bench/bench_env.py" ./bench/bench_env "$root/scenarios/templates/push_off_table.scn"
echo
echo "== bench_plan =="
# a trained model gives the contact edges a planner really meets: make task-model's, else the
# shipped default, else a fresh one
model=""
for m in models/tasks.wm "$root/assets/models/default.wm"; do [ -f "$m" ] && model=$m && break; done
./bench/bench_plan $model ${model:+"$root/scenarios/tasks/glass_off_table.scn"}
echo
echo "== bench_surprise =="
./bench/bench_surprise "$root/bench/scenes/row_30.scn" "$root/assets/models/default.wm"
echo
echo "== voe: the shipped model on the violation-of-expectation suite (200 pairs per category) =="
if [ -f "$root/assets/models/default.wm" ]; then
  ./nudge voe "$root/scenarios/voe" --model "$root/assets/models/default.wm" --pairs 200 --csv voe.csv
else
  echo "no assets/models/default.wm (make model builds it)"
fi
