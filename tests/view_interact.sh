#!/usr/bin/env bash
# The live window driven as a person would, under Xvfb with xdotool: grab the box and carry it,
# push the glass, spawn a ball, pause, drag the scrub bar back, step back with ',', go on from the
# past (a branch), write the episode with W, screenshot with F12, quit. Then: the recording
# replays identically (branch included), the written scenario passes nudge check, the screenshot
# is a picture. Usage: view_interact.sh NUDGE ROOT (run inside xvfb-run)
source "$(dirname "$0")/script_lib.sh" "$@"
py=/usr/bin/python3
cd "$tmp"
"$nudge" view "$root/scenarios/demo/glass_off_table.scn" --agent none --no-train --size 1280x720 --record "$tmp/s.nrec" \
  >"$tmp/out" 2>"$tmp/err" &
pid=$!
wid=$(view_window)
[ -n "$wid" ] && ok "the window opened" || { bad "no window"; kill "$pid"; finish view_interact; }
sleep 1.5
m() { xdotool mousemove --window "$wid" "$1" "$2"; }
# the demo at 1280x720 before anything moved: the box at about (315, 287), the glass at (603, 285)
m 315 287; xdotool mousedown --window "$wid" 3
for i in $(seq 1 12); do m $((315 + i * 8)) $((287 - i * 8)); sleep 0.05; done
sleep 0.4; xdotool mouseup --window "$wid" 3; sleep 1.0
m 603 290; xdotool mousedown --window "$wid" 1; sleep 0.1; m 560 292; sleep 0.1; xdotool mouseup --window "$wid" 1
sleep 1.0
m 450 150; xdotool key --window "$wid" v b; sleep 1.5
xdotool key --window "$wid" space; sleep 0.2
m 700 703; xdotool mousedown --window "$wid" 1; sleep 0.1; m 500 703; sleep 0.2; xdotool mouseup --window "$wid" 1
xdotool key --window "$wid" comma comma comma; sleep 0.2
xdotool key --window "$wid" space; sleep 1.5
xdotool key --window "$wid" w; sleep 1.0
xdotool key --window "$wid" F12; sleep 0.8
xdotool key --window "$wid" Escape
wait "$pid"; status=$?
[ "$status" -eq 0 ] && ok "the view quit cleanly" || bad "the view exited $status: $(cat "$tmp/err")"
scn=$(sed -n 's/^scenario: wrote \([^ ]*\.scn\) .*/\1/p' "$tmp/out")
[ -n "$scn" ] && [ -f "$scn" ] && ok "W wrote $scn" || bad "W: $(cat "$tmp/out")"
"$nudge" check "$scn" >"$tmp/check" 2>&1 && ok "nudge check passes on it" || bad "check: $(cat "$tmp/check")"
"$nudge" replay "$tmp/s.nrec" --check >"$tmp/replay" 2>&1 && ok "the recording replays identically: $(cat "$tmp/replay")" || bad "replay: $(cat "$tmp/replay")"
info=$($py "$root/tests/nrec_tool.py" info "$tmp/s.nrec")
echo "$info" | grep -q "^branches [1-9]" && echo "$info" | grep -q "^end 1" && ok "it holds the branch and its end" || bad "recording: $info"
# the grab came early, before where the scrub bar went back to: the episode written holds it
grep -q "^at [0-9.]* grab box -\?[0-9.]* [0-9.]* anchor " "$scn" && grep -q "^at [0-9.]* release box$" "$scn" \
  && ok "the carried box is in it, as grab key frames and a release" || bad "no grab in $(grep '^at' "$scn" | head -5)"
shot=$(ls "$tmp"/nudge-*.png 2>/dev/null | head -1)
[ -n "$shot" ] && $py -c "
import sys, zlib, struct
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n'
w, h = struct.unpack('>II', d[16:24])
assert (w, h) == (1280, 720), (w, h)
" "$shot" && ok "F12 saved a 1280x720 PNG" || bad "no screenshot"
finish view_interact
