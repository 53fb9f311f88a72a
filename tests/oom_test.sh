#!/usr/bin/env bash
# Sizes too large for the machine: nudge train estimates a step's working memory before the first
# step and refuses what the machine cannot hold (one line naming the flag, exit 2, nothing written);
# an allocation the machine refuses all the same (here under ulimit -v) is one line and exit 2, not
# an abort. Nothing large is ever allocated: the refusals come first, and the one failing
# allocation runs under a limit of 200 MiB.
#   usage: oom_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
export OPENBLAS_NUM_THREADS=1
tpl=$root/scenarios/templates/push_off_table.scn

# no_output DIR WHAT: nothing but the dataset was left in DIR (no model, log, or *.tmp-*)
no_output() {
  local left; left=$(find "$1" -maxdepth 1 \( -name 'm*.bin*' -o -name 'm*.ckpt*' -o -name '*.tmp-*' -o -name 'train.csv' \) | head -3)
  [ -z "$left" ] && ok "$2: nothing written" || bad "$2: left $left"
}

expect_status 0 "gen" -- "$nudge" gen --scenario "$tpl" --episodes 20 --seconds 8 --seed 5 --out "$tmp/d"
# 200 episodes of 8 s: more than 65536 trainable transitions, about 220 MiB in memory
expect_status 0 "gen 200 episodes" -- "$nudge" gen --scenario "$tpl" --episodes 200 --seconds 8 --seed 6 --jobs 2 --out "$tmp/big"
expect_status 0 "gen with frames" -- "$nudge" gen --scenario "$tpl" --episodes 4 --seconds 1.2 --frames 64x48 --seed 5 --out "$tmp/f"

# the relational model: 65536 worlds of every body with 1024-wide layers
expect_status 2 "huge --batch and widths refused" -- "$nudge" train --data "$tmp/big" --out "$tmp/m.bin" --batch 65536 --latent 1024 --edge 1024 --hidden 1024
one_line_err "needs about .* GiB of working memory, more than .*; lower --batch"
no_output "$tmp" "huge relational step"
# the pixel model: the largest --batch with the longest rollout
expect_status 2 "huge jepa --batch refused" -- "$nudge" train --kind jepa --data "$tmp/f" --out "$tmp/mj.ckpt" --batch 4096 --rollout 64
one_line_err "needs about .* GiB of working memory, more than .*; lower --batch (or --rollout"
no_output "$tmp" "huge jepa step"
# a limit on the address space counts too (and what runs under it is not refused); the sanitizers
# reserve terabytes of shadow memory, which no ulimit -v allows
if [ -z "${OOM_TEST_NO_ULIMIT:-}" ]; then
  (ulimit -v 400000 && "$nudge" train --data "$tmp/d" --out "$tmp/m.bin" --batch 4096 >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/status")
  [ "$(cat "$tmp/status")" = 2 ] && ok "--batch 4096 under ulimit -v 400000 refused (exit 2)" || bad "under ulimit -v: exit $(cat "$tmp/status"): $(cat "$tmp/err")"
  one_line_err "more than the .* GiB this process may use (ulimit -v)"
  no_output "$tmp" "refused under ulimit -v"
fi
expect_status 0 "a normal run" -- "$nudge" train --data "$tmp/d" --out "$tmp/ok/m.bin" --steps 5 --val-every 5
grep -Eq "^memory: peak RSS [0-9.]+ MiB \(estimated [0-9.]+ MiB before the first step\)" "$tmp/out" \
  && ok "the summary shows the estimate beside the peak RSS" || bad "summary: $(cat "$tmp/out")"

# the safety net: under ulimit -v 200000 (200 MiB; the program and the held-out episodes take under
# 100) the replay buffer of 200 episodes (about 220 MiB) cannot be had: one line, exit 2, no core
if [ -z "${OOM_TEST_NO_ULIMIT:-}" ]; then
  mkdir -p "$tmp/bo"
  (ulimit -v 200000 && timeout 120 "$nudge" train --data "$tmp/big" --out "$tmp/bo/m.bin" --steps 5 >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/status")
  [ "$(cat "$tmp/status")" = 2 ] && ok "a refused allocation: exit 2, not an abort" || bad "refused allocation: exit $(cat "$tmp/status"): $(cat "$tmp/err")"
  one_line_err "^nudge: out of memory: [0-9]* bytes more than the machine gave; lower the sizes$"
  no_output "$tmp/bo" "out of memory"
else
  ok "the ulimit -v run skipped ($OOM_TEST_NO_ULIMIT)"
fi
finish oom
