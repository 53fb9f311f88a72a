#!/usr/bin/env bash
# The main job of `make demo`: the live view on the default demo scene. With a display it opens the
# window; without one it runs the same loop headless, saves a screenshot and says where it is.
set -euo pipefail
build=${1:-build}
scene=scenarios/demo/glass_off_table.scn
echo "== nudge run $scene: the event timeline (contacts hidden; see nudge run --help) =="
"$build/nudge" run "$scene" --events push,break,fall,topple,out_of_bounds
echo
echo "== nudge view $scene =="
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  "$build/nudge" view "$scene"
else
  shot="$build/demo-view.png"
  "$build/nudge" view "$scene" --headless --seconds 20 --agent random --screenshot "$shot"
  echo "no display: ran the view headless for 20 simulated seconds; screenshot: $shot"
  echo "(for the window without a display: xvfb-run -a $build/nudge view $scene)"
fi
