#!/usr/bin/env bash
# The pixel model in the live window, driven as a person would under Xvfb with xdotool: J turns it
# on (its worker thread, named nudge-pixel, starts), it trains on the frames the view renders, F12
# screenshots show its ghost dots over the world and its surprise trace in the panels, J turns it
# off (the thread ends, having made steps). Then --jepa: a pixel checkpoint saved by the view
# (--save-jepa) starts it again; a state model, a damaged file and a missing one are one line and
# exit 2. Usage: view_pixel.sh NUDGE ROOT (run inside xvfb-run)
source "$(dirname "$0")/script_lib.sh" "$@"
py=/usr/bin/python3
check="$py $root/tests/view_check.py"
scn="$root/scenarios/demo/glass_off_table.scn"
here=$PWD
cd "$tmp"
"$nudge" view "$scn" --agent random --seed 2 --size 1280x720 >"$tmp/out" 2>"$tmp/err" &
pid=$!
wid=$(view_window)
[ -n "$wid" ] && ok "the window opened" || { bad "no window; the view said: $(cat "$tmp/err" "$tmp/out" 2>/dev/null | tail -n 5 | tr "\n" " ")"; kill "$pid" 2>/dev/null; finish view_pixel; }
# the threads' names: the pixel model's worker is nudge-pixel
pixel_threads() { cat /proc/"$pid"/task/*/comm 2>/dev/null | grep -c '^nudge-pixel$'; }
sleep 1
[ "$(pixel_threads)" -eq 0 ] && ok "no pixel thread before J" || bad "a pixel thread before J"
xdotool key --window "$wid" j; sleep 1
grep -q "^pixel model: on" "$tmp/out" && ok "J turned the pixel model on" || bad "J: $(cat "$tmp/out")"
[ "$(pixel_threads)" -eq 1 ] && ok "its thread runs" || bad "no nudge-pixel thread after J"
# its probe is fitted after some 120 scored frames and a step; the ghost dots come then (a busy
# machine takes longer): a screenshot every 5 s until one shows them, for at most 200 s
shown=
for i in $(seq 1 40); do
  sleep 5
  rm -f nudge-*.png
  xdotool key --window "$wid" F12; sleep 1
  shot=$(ls nudge-*.png 2>/dev/null | head -1)
  [ -n "$shot" ] || continue
  if $check pixel "$shot" >"$tmp/check" 2>&1; then shown=$shot; break; fi
done
[ -n "$shown" ] && ok "F12 shows the pixel model after $((i * 5)) s: $(cat "$tmp/check")" \
  || bad "no screenshot showed the pixel model: $(cat "$tmp/check")"
# kept beside the test's other output (the build's tests folder) to look at
[ -n "$shown" ] && cp "$shown" "$here/view_pixel.png"
xdotool key --window "$wid" j
# the thread ends after the step or the probe refit it is in (seconds on a busy machine); the window
# does not wait for it
for i in $(seq 1 120); do grep -q "^pixel model: off" "$tmp/out" && [ "$(pixel_threads)" -eq 0 ] && break; sleep 0.5; done
line=$(grep "^pixel model: off" "$tmp/out" | tail -1)
steps=$(echo "$line" | sed -n 's/^pixel model: off, \([0-9]*\) steps, \([0-9]*\) frames$/\1/p')
frames=$(echo "$line" | sed -n 's/^pixel model: off, \([0-9]*\) steps, \([0-9]*\) frames$/\2/p')
[ -n "$steps" ] && [ "$steps" -gt 0 ] && [ "$frames" -gt 100 ] && ok "J turned it off after $steps steps on $frames frames" \
  || bad "off: '$line'"
[ "$(pixel_threads)" -eq 0 ] && ok "its thread ended" || bad "the nudge-pixel thread still runs after J"
xdotool key --window "$wid" Escape
wait "$pid"; status=$?
[ "$status" -eq 0 ] && ok "the view quit cleanly" || bad "the view exited $status: $(cat "$tmp/err")"

# --jepa: a checkpoint the view saved starts the pixel model, on from the start
expect_status 0 "--save-jepa writes the live pixel model" -- "$nudge" view "$scn" --headless --seconds 1 --quiet --fresh --keys j --save-jepa "$tmp/px.ckpt"
expect_status 0 "--jepa starts from it" -- "$nudge" view "$scn" --headless --seconds 1 --quiet --fresh --jepa "$tmp/px.ckpt"
grep -q "^pixel model: on" "$tmp/out" && ok "on from the start" || bad "--jepa: $(cat "$tmp/out")"
# the bad ones: one line, exit 2
expect_status 2 "--jepa with a state model" -- "$nudge" view "$scn" --headless --seconds 1 --quiet --jepa "$root/assets/models/default.wm"
one_line_err "a state model, not a pixel (jepa) model"
cp "$tmp/px.ckpt" "$tmp/bad.ckpt"
size=$(stat -c %s "$tmp/bad.ckpt")
printf '\x55' | dd of="$tmp/bad.ckpt" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect_status 2 "--jepa with a damaged file" -- "$nudge" view "$scn" --headless --seconds 1 --quiet --jepa "$tmp/bad.ckpt"
one_line_err "CRC-32 mismatch"
expect_status 2 "--jepa with a missing file" -- "$nudge" view "$scn" --headless --seconds 1 --quiet --jepa "$tmp/none.ckpt"
one_line_err "none.ckpt"
finish view_pixel
