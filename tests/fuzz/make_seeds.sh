#!/usr/bin/env bash
# make_seeds.sh BUILD OUT: the seed corpora the repository holds no files of (tests/fuzz/seeds.c),
# made with the build's nudge and fuzz_seeds: small models, recordings of a demo scene, and two
# datasets as bundles (the committed version 1 dataset and a fresh one of the current format).
set -euo pipefail
build=$1
out=$2
root="$(cd "$(dirname "$0")/../.." && pwd)"
scene="$root/scenarios/demo/ball_knocks_glass.scn"
rm -rf "$out"
mkdir -p "$out"
"$build/nudge" gen --scenario "$scene" --episodes 2 --episodes-per-shard 1 --seconds 0.2 --seed 5 --slots 4 --frames 10x8:rgb \
    --out "$out/.gen" >/dev/null 2>&1 ||
    { echo "make_seeds: nudge gen failed" >&2; exit 1; }
"$build/tests/fuzz_seeds" "$out" "$scene" "$root/tests/data/dataset-v1" "$out/.gen"
rm -rf "$out/.gen"
