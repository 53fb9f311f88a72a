#!/usr/bin/env bash
# --video for run, replay and view: ffprobe reports the frame count, size and duration wanted, the
# frames are not blank (and show the model's ghosts with --model); a missing ffmpeg, an unwritable
# folder, a failing encoder and a bad size are one line each and leave no file under the final
# name. Usage: video_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
py=/usr/bin/python3
demo="$root/scenarios/demo/glass_off_table.scn"

# probe FILE W H FRAMES DURATION: ffprobe's view of a film
probe() {
  local got
  got=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=width,height,nb_read_frames,duration \
        -of default=nw=1 "$1" 2>&1 | sort | tr '\n' ' ')
  local want="duration=$5 height=$3 nb_read_frames=$4 width=$2 "
  [ "$got" = "$want" ] && ok "ffprobe $(basename "$1"): $got" || bad "ffprobe $(basename "$1"): got '$got', wanted '$want'"
}
# frame FILE T OUT.png [WIDTH]: the frame at T seconds (scaled to WIDTH pixels, for a quicker look)
frame() { ffmpeg -v error -y -ss "$2" -i "$1" -frames:v 1 ${4:+-vf scale=$4:-2} "$3"; }
# not_blank PNG [GHOSTS]: many colours, much that is not the background; with GHOSTS, the ghosts' purple
not_blank() {
  $py - "$@" <<'EOF'
import struct, sys, zlib
path = sys.argv[1]
d = open(path, "rb").read()
at, idat = 8, b""
while at < len(d):
    (n,) = struct.unpack(">I", d[at:at + 4]); kind = d[at + 4:at + 8]; body = d[at + 8:at + 8 + n]
    if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    if kind == b"IDAT": idat += body
    at += 12 + n
assert depth == 8 and ctype == 2, (depth, ctype)
raw, stride, prev, px = zlib.decompress(idat), 3 * w, bytearray(3 * w), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - 3] if i >= 3 else 0; b = prev[i]; c = prev[i - 3] if i >= 3 else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    px += [tuple(line[i:i + 3]) for i in range(0, stride, 3)]
    prev = line
near = lambda p, q, t: sum(abs(x - y) for x, y in zip(p, q)) <= t
colours = len(set(px))
other = sum(1 for p in px if not near(p, (236, 240, 244), 24))
assert colours > 30 and other > 0.1 * len(px), "blank-looking: %d colours, %d of %d pixels off the background" % (colours, other, len(px))
if len(sys.argv) > 2:
    ghost = sum(1 for p in px if near(p, (180, 50, 230), 90))
    assert ghost > 30, "no ghost pixels (%d)" % ghost
print("%d colours, %d pixels off the background" % (colours, other))
EOF
}

# nudge run: 4 s at 30 fps, 1280x720: 121 frames, 4.033333 s
"$nudge" run "$demo" --events none --video "$tmp/run.mp4" 2>"$tmp/err" && ok "run --video" || bad "run --video: $(cat "$tmp/err")"
probe "$tmp/run.mp4" 1280 720 121 4.033333
frame "$tmp/run.mp4" 1.1 "$tmp/run.png" 480 && not_blank "$tmp/run.png" >"$tmp/nb" && ok "the frame at 1.1 s: $(cat "$tmp/nb")" || bad "run frame: $(cat "$tmp/nb")"

# nudge replay, another size and rate, with a model's predictions drawn
"$nudge" run "$demo" --events none --record "$tmp/g.nrec" 2>/dev/null
"$nudge" view --headless --seconds 2 --quiet --save "$tmp/m.bin" >/dev/null 2>&1
"$nudge" replay "$tmp/g.nrec" --events none --video "$tmp/replay.mp4" --fps 24 --size 640x360 --model "$tmp/m.bin" 2>"$tmp/err" \
  && ok "replay --video --model" || bad "replay --video: $(cat "$tmp/err")"
probe "$tmp/replay.mp4" 640 360 97 4.041667
frame "$tmp/replay.mp4" 0.6 "$tmp/replay.png" && not_blank "$tmp/replay.png" ghosts >"$tmp/nb" \
  && ok "the frame at 0.6 s shows the ghosts: $(cat "$tmp/nb")" || bad "replay frame: $(cat "$tmp/nb")"
# a model trained on gen --stride 2 records steps two control ticks: its ghosts would be off by two
strided_model "$tmp/s2.bin"
expect_status 2 "replay --video --model of strided records" -- "$nudge" replay "$tmp/g.nrec" --events none --video "$tmp/s2.mp4" --model "$tmp/s2.bin"
one_line_err "^nudge replay: .*s2.bin: the model steps 0.0333333 s (2 control ticks of this world, as trained on gen --stride 2 records); the world's control tick is 0.0166667 s"
[ ! -e "$tmp/s2.mp4" ] && ok "no video written" || bad "replay wrote a video with a strided model"

# nudge view: what the window shows, 120 frames of 1/60 s at 30 fps: 61 frames
if command -v xvfb-run >/dev/null; then
  bash "$(dirname "$0")/xvfb.sh" -s '-screen 0 1280x720x24' "$nudge" view --frames 120 --size 800x600 --video "$tmp/view.mp4" >/dev/null 2>"$tmp/err" \
    && ok "view --video" || bad "view --video: $(cat "$tmp/err")"
  probe "$tmp/view.mp4" 800 600 61 2.033333
  frame "$tmp/view.mp4" 1.5 "$tmp/view.png" 400 && not_blank "$tmp/view.png" >"$tmp/nb" && ok "the view's frame: $(cat "$tmp/nb")" || bad "view frame: $(cat "$tmp/nb")"
fi

# bad input: one line, exit 2, nothing under the final name
expect_status 2 "no ffmpeg on PATH" -- env PATH=/nonexistent "$nudge" run "$demo" --events none --video "$tmp/a.mp4"
one_line_err "ffmpeg is not installed"
[ ! -e "$tmp/a.mp4" ] && ok "no file" || bad "a.mp4 left"
expect_status 2 "an unwritable folder" -- "$nudge" run "$demo" --events none --video /dev/null/b.mp4
one_line_err "b.mp4: cannot write in /dev/null"
mkdir -p "$tmp/bin"
printf '#!/bin/sh\ncat >/dev/null\necho "Unknown encoder libx264" >&2\nexit 1\n' >"$tmp/bin/ffmpeg"
chmod +x "$tmp/bin/ffmpeg"
expect_status 2 "an encoder that fails" -- env PATH="$tmp/bin:$PATH" "$nudge" replay "$tmp/g.nrec" --events none --video "$tmp/c.mp4"
one_line_err "c.mp4: ffmpeg failed (Unknown encoder libx264)"
[ -z "$(ls "$tmp" | grep '^c\.mp4')" ] && ok "nothing left, not even a temporary file" || bad "left: $(ls "$tmp" | grep '^c\.mp4')"
expect_status 2 "an odd size" -- "$nudge" run "$demo" --video "$tmp/d.mp4" --size 641x360
one_line_err "even numbers"
expect_status 2 "--fps 0" -- "$nudge" run "$demo" --video "$tmp/d.mp4" --fps 0
one_line_err "fps"
expect_status 2 "view --video headless" -- "$nudge" view --headless --video "$tmp/e.mp4"
one_line_err "xvfb-run"

finish video_test
