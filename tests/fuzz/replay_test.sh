#!/usr/bin/env bash
# ctest fuzz_corpus_replay: every harness's entry point (tests/fuzz/fuzz_NAME.c) over its seed
# corpus and its regression corpus (tests/fuzz/regressions/NAME: every input a fuzzer ever crashed
# on), without libFuzzer. A crash, a sanitizer finding or a broken promise fails the test.
set -euo pipefail
build=$1
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash "$here/make_seeds.sh" "$build" "$tmp/seeds"
for name in scenario checkpoint npy dataset recording; do
    corpora=("$here/regressions/$name")
    if [ "$name" = scenario ]; then corpora+=("$root/scenarios"); else corpora+=("$tmp/seeds/$name"); fi
    out="$("$build/tests/fuzz_replay_$name" "${corpora[@]}" 2>"$tmp/$name.log")" || {
        tail -n 40 "$tmp/$name.log" >&2
        echo "fuzz_corpus_replay: fuzz_replay_$name failed" >&2
        exit 1
    }
    echo "$out"
    # every corpus gave inputs: an empty seed folder would make this test pass vacuously
    n="$(echo "$out" | sed -n 's/.*: \([0-9]*\) inputs replayed.*/\1/p')"
    if [ "${n:-0}" -lt 2 ]; then
        echo "fuzz_corpus_replay: only ${n:-0} inputs for $name" >&2
        exit 1
    fi
done
