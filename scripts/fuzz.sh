#!/usr/bin/env bash
# make fuzz: scripts/fuzz.sh BUILD FUZZ_BUILD SECONDS "NAMES"
#
# Builds tests/fuzz's libFuzzer harnesses with clang (-fsanitize=fuzzer,address,undefined, every
# library instrumented) in FUZZ_BUILD, makes the seed corpora with BUILD's nudge and fuzz_seeds,
# runs each named harness for SECONDS with its dictionary, and prints executions, exec/s and
# coverage per harness. What a fuzzer finds new is kept in FUZZ_BUILD/corpus/NAME for the next run.
# A crash, a leak, a sanitizer finding, a timeout (10 s an input) or an out-of-memory input is
# copied into tests/fuzz/regressions/NAME (the normal suite replays that folder: commit the file
# with the fix) and the script exits 1.
set -euo pipefail
build=$1
fbuild=$2
budget=$3
names=$4
jobs=${JOBS:-2}
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v clang >/dev/null || { echo "make fuzz: clang is missing (scripts/deps.sh installs it)" >&2; exit 2; }
case "$budget" in ''|*[!0-9]*) echo "make fuzz: SECONDS must be a whole number of seconds, got '$budget'" >&2; exit 2;; esac

targets=()
for n in $names; do
    [ -f "tests/fuzz/fuzz_$n.c" ] || { echo "make fuzz: no harness tests/fuzz/fuzz_$n.c" >&2; exit 2; }
    targets+=("fuzz_$n")
done
cmake -S . -B "$fbuild" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNUDGE_FUZZ=ON >/dev/null
for t in "${targets[@]}"; do
    cmake --build "$fbuild" -j "$jobs" --target "$t" -- --no-print-directory >/dev/null
done
bash tests/fuzz/make_seeds.sh "$build" "$fbuild/seeds"

export OPENBLAS_NUM_THREADS=1
# alloc_try_bytes expects NULL for a size the machine cannot give, as in a release build
# a small quarantine: memory is reused sooner (use-after-free is still caught within 16 MB of
# frees), which halves the page faults and the time an input takes
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1:quarantine_size_mb=16:max_malloc_fill_size=0:malloc_context_size=10${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
status=0
summary=()
for n in $names; do
    corpus="$fbuild/corpus/$n"
    crashes="$fbuild/crashes/$n"
    mkdir -p "$corpus" "$crashes"
    if [ "$n" = scenario ]; then seeds="$root/scenarios"; else seeds="$fbuild/seeds/$n"; fi
    log="$fbuild/fuzz-$n.log"
    echo "make fuzz: $n for $budget s (log $log)" >&2
    rc=0
    "$fbuild/tests/fuzz_$n" -max_total_time="$budget" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        -dict="tests/fuzz/dict/$n.dict" -artifact_prefix="$crashes/" \
        "$corpus" "$seeds" "tests/fuzz/regressions/$n" >"$log" 2>&1 || rc=$?
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    cov="$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)"
    units="$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1 || true)"
    summary+=("$(printf '%-11s %12s execs %8s exec/s  %-22s %s' "$n" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "${units:-}")")
    if [ "$rc" -ne 0 ]; then
        status=1
        tail -n 60 "$log" >&2
        for f in "$crashes"/*; do
            [ -f "$f" ] || continue
            cp "$f" "tests/fuzz/regressions/$n/"
            echo "make fuzz: $n: $(basename "$f") copied into tests/fuzz/regressions/$n/" >&2
        done
        summary+=("  ^ $n FAILED (exit $rc)")
    fi
done
echo "make fuzz: $budget s each on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${summary[@]}"
exit $status
