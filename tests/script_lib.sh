# script_lib: what the shell tests share. Source it with NUDGE and ROOT as $1 and $2; it sets nudge,
# root, a temporary folder tmp (removed at exit), ok/bad reporters, expect_status and one_line_err
# (a command's exit status and its one-line error), view_window (the view's X window, waited for) and
# finish NAME (the verdict).
set -u
nudge=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok()  { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
finish() {
  if [ "$fails" -ne 0 ]; then echo "$1: $fails failed"; exit 1; fi
  echo "$1: all passed"
}

# expect_status WANT DESCRIPTION -- CMD...: runs CMD, checks its exit status, keeps stdout/stderr
expect_status() {
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then ok "$what (exit $got)"; else bad "$what: exit $got, wanted $want; stderr: $(head -c 300 "$tmp/err")"; fi
}
# one_line_err PATTERN: the last command's stderr is one line matching PATTERN (grep)
one_line_err() {
  local n; n=$(wc -l <"$tmp/err")
  if [ "$n" -eq 1 ] && grep -q -- "$1" "$tmp/err"; then ok "one-line error matching '$1'"; else bad "wanted one stderr line matching '$1', got $n: $(cat "$tmp/err")"; fi
}
# view_window: prints the id of the view's X window once xdotool finds it (10 s at most; nothing
# and status 1 if it never shows)
view_window() {
  local w
  for _ in $(seq 1 50); do
    w=$(xdotool search --name "nudge view" 2>/dev/null | head -1)
    [ -n "$w" ] && { echo "$w"; return 0; }
    sleep 0.2
  done
  return 1
}
# strided_model OUT: a model of 32 slots trained a few steps on gen --stride 2 records (it steps two
# control ticks, 1/30 s): what every command that runs a model on a live world must refuse
strided_model() {
  "$nudge" gen --scenario "$root/scenarios/templates/push_off_table.scn" --episodes 2 --seconds 2 --stride 2 --seed 5 \
    --out "$tmp/strided_data" >/dev/null 2>&1 &&
    OPENBLAS_NUM_THREADS=1 "$nudge" train --data "$tmp/strided_data" --out "$1" --steps 3 --batch 8 >/dev/null 2>&1 ||
    bad "a model of gen --stride 2 records could not be made"
}
