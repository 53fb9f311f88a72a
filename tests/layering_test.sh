#!/bin/sh
# usage: layering_test.sh ROOT -- fails (exit 1, listing the lines) when a C file or header outside
# ROOT/sim includes Chipmunk or calls its API. Build folders and git metadata are skipped.
root=${1:?usage: layering_test.sh ROOT}
hits=$(find "$root" \( -name .git -o -name 'build*' -o -path "$root/sim" \) -prune -o \
            -type f \( -name '*.c' -o -name '*.h' \) -print |
       xargs grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]chipmunk|\bcp(Space|Body|Shape|Constraint|Arbiter|PivotJoint|Poly|Circle|BB|v)[A-Za-z0-9]*[[:space:]]*\(' 2>/dev/null)
if [ -n "$hits" ]; then
    echo "Chipmunk outside sim/ (only sim/ may include or call it):"
    echo "$hits"
    exit 1
fi
n=$(find "$root" \( -name .git -o -name 'build*' -o -path "$root/sim" \) -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print | wc -l)
if [ "$n" -lt 20 ]; then
    echo "layering_test: only $n source files found under $root: wrong root?"
    exit 1
fi
echo "no Chipmunk outside sim/ ($n files checked)"
