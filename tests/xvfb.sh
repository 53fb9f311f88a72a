#!/usr/bin/env bash
# xvfb.sh [-s SERVER_ARGS] CMD ARGS...: runs CMD under `xvfb-run -a` once the display answers.
# xvfb-run goes on to CMD even when its Xvfb never became usable (on a loaded machine a view then
# failed with "x11 not available" and no trace of why), so each try first asks the display for its
# geometry (xdotool, 10 s at most); a display that does not answer is a new try on a new server
# (3 in all), and the last failure prints Xvfb's own log. CMD's exit status is this script's.
set -u
server_args="-screen 0 1280x1024x24"
if [ "${1:-}" = "-s" ]; then server_args="$2"; shift 2; fi
[ $# -ge 1 ] || { echo "usage: xvfb.sh [-s SERVER_ARGS] CMD ARGS..." >&2; exit 2; }
log=$(mktemp -t nudge-xvfb.XXXXXX) || exit 2
trap 'rm -f "$log"' EXIT
command -v xdotool >/dev/null || exec xvfb-run -a -s "$server_args" "$@"
for try in 1 2 3; do
  : >"$log"
  xvfb-run -a -e "$log" -s "$server_args" bash -c '
    for _ in $(seq 100); do xdotool getdisplaygeometry >/dev/null 2>&1 && exec "$@"; sleep 0.1; done
    echo "xvfb.sh: the display $DISPLAY did not answer in 10 s" >&2; exit 97' xvfb-probe "$@"
  rc=$?
  [ "$rc" -ne 97 ] && exit "$rc"
done
echo "xvfb.sh: no usable X display after 3 tries; Xvfb said: $(tr '\n' ' ' <"$log")" >&2
exit 1
