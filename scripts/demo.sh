#!/usr/bin/env bash
# The main job of `make demo`: run the default demo scenario and print its event timeline.
set -euo pipefail
build=${1:-build}
scene=scenarios/demo/glass_off_table.scn
echo "== nudge run $scene (event timeline; contacts hidden, see --events) =="
"$build/nudge" run "$scene" --events push,break,fall,rest,topple,out_of_bounds
