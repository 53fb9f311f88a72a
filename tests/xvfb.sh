#!/usr/bin/env bash
# xvfb.sh [-s SERVER_ARGS] CMD ARGS...: runs CMD under `xvfb-run` once the display answers.
# xvfb-run goes on to CMD even when its Xvfb never became usable (on a loaded machine a view then
# failed with "x11 not available" and no trace of why), so each try first asks the display for its
# geometry (xdotool, 10 s at most); a display that does not answer is a new try on a new server
# (3 in all), and the last failure prints Xvfb's own log. CMD's exit status is this script's.
#
# xvfb-run's own clean-up can fail after CMD has finished ("problem while cleaning up temporary
# directory", exit 5, seen once in a clean-clone CI run) and its status then replaces CMD's. So the
# auth file lives in this script's own folder (-f: xvfb-run makes no folder of its own), and CMD's
# status is written to a file there and read back, whatever xvfb-run exits with afterwards.
#
# The display number is drawn at random from :1000-:30999 (free of a lock file and a socket), not
# xvfb-run -a's lowest free one, which a server that just exited may still hold. A server that
# fails to start (xvfb-run exits before CMD, no status written) is a new try on a new number.
set -u
server_args="-screen 0 1280x1024x24"
if [ "${1:-}" = "-s" ]; then server_args="$2"; shift 2; fi
# -noreset: an X server resets when its last client leaves, and refuses connections while it does;
# the probe's xdotool is the first client, so the command's own connection raced that reset (a view
# found "x11 not available" on a display whose probe had just answered, under load)
server_args="$server_args -noreset"
[ $# -ge 1 ] || { echo "usage: xvfb.sh [-s SERVER_ARGS] CMD ARGS..." >&2; exit 2; }
dir=$(mktemp -d -t nudge-xvfb.XXXXXX) || exit 2
trap 'rm -rf "$dir"' EXIT
log="$dir/xvfb.log"
for try in 1 2 3 4; do
  : >"$log"
  rm -f "$dir/rc" "$dir/Xauthority"*
  touch "$dir/Xauthority"
  n=$(( 1000 + (RANDOM * 32768 + RANDOM) % 30000 ))
  while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$(( 1000 + (RANDOM * 32768 + RANDOM) % 30000 )); done
  xvfb-run -n "$n" -e "$log" -f "$dir/Xauthority" -s "$server_args" bash -c '
    rcfile=$1; shift
    if command -v xdotool >/dev/null; then
      up=0
      for _ in $(seq 100); do xdotool getdisplaygeometry >/dev/null 2>&1 && { up=1; break; }; sleep 0.1; done
      [ "$up" = 1 ] || { echo "xvfb.sh: the display $DISPLAY did not answer in 10 s" >&2; echo 97 >"$rcfile"; exit 97; }
    fi
    "$@"; rc=$?; echo "$rc" >"$rcfile"; exit "$rc"' xvfb-probe "$dir/rc" "$@"
  rc=$?
  [ -s "$dir/rc" ] || continue   # the server did not start: CMD never ran
  cmd_rc=$(cat "$dir/rc")
  [ "$cmd_rc" != "$rc" ] && echo "xvfb.sh: xvfb-run exited $rc after the command's $cmd_rc; the command's status stands" >&2
  [ "$cmd_rc" -ne 97 ] && exit "$cmd_rc"
done
echo "xvfb.sh: no usable X display after 4 tries; Xvfb said: $(tr '\n' ' ' <"$log")" >&2
exit 1
