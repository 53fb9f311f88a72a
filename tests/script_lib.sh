# script_lib: what the shell tests share. Source it with NUDGE and ROOT as $1 and $2; it sets nudge,
# root, a temporary folder tmp (removed at exit), ok/bad reporters and finish NAME (the verdict).
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
