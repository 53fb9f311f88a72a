#!/usr/bin/env bash
# nudge gen as users lean on it: byte-identical across --jobs and --shard, resumable after kill -9
# and Ctrl-C, refusing foreign folders and bad input without leaving partial shards, readable by
# numpy.   usage: gen_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
scn=$root/scenarios/templates/push_off_table.scn
base=(--scenario "$scn" --seconds 2 --seed 11)
gen() { "$nudge" gen "${base[@]}" --episodes-per-shard 3 "$@"; }
same() { if diff -r "$1" "$2" >/dev/null; then ok "$3"; else bad "$3: $(diff -rq "$1" "$2" | head -3)"; fi; }
no_partial() {  # no shard folder beyond those complete, no temporaries
  if ls -A "$1" 2>/dev/null | grep -q "tmp"; then bad "$2: temporaries left: $(ls -A "$1")"; else ok "$2: nothing half-written"; fi
}

# determinism: --jobs 1 and --jobs 2 write the same bytes
gen --episodes 10 --out "$tmp/j1" --jobs 1 2>/dev/null || bad "gen --jobs 1 failed"
gen --episodes 10 --out "$tmp/j2" --jobs 2 2>/dev/null || bad "gen --jobs 2 failed"
same "$tmp/j1" "$tmp/j2" "--jobs 1 and --jobs 2 are byte-identical"
# gen does no matrix math: OpenBLAS is loaded on first use, so gen never loads it (its load was
# 3-6 ms of every start); train does load it (the dynamic loader's log of the files it maps)
LD_DEBUG=files gen --episodes 2 --out "$tmp/noblas" 2>"$tmp/ld.log" >/dev/null || bad "gen under LD_DEBUG failed"
if grep -q "file=libopenblas" "$tmp/ld.log"; then bad "gen loaded OpenBLAS"; else ok "gen does not load OpenBLAS"; fi
OPENBLAS_NUM_THREADS=1 LD_DEBUG=files "$nudge" train --data "$tmp/noblas" --out "$tmp/noblas.wm" --steps 2 --batch 4 >/dev/null 2>"$tmp/ld.log" || bad "train under LD_DEBUG failed: $(grep -v "^ *[0-9]*:" "$tmp/ld.log" | head -3)"
grep -q "file=libopenblas" "$tmp/ld.log" && ok "train loads OpenBLAS when it needs it" || bad "train did not load OpenBLAS"
rm -rf "$tmp/noblas" "$tmp/noblas.wm" "$tmp/ld.log"
# one-episode shards of very short episodes: the workers run ahead of the finisher from the start
# (shard 0's files are the finisher's to make; a worker that had claimed shard 1 before the finisher
# first ran once left shard 0 unopened and the run hung)
for j in 1 2; do
  for k in 1 2 3 4 5; do
    rm -rf "$tmp/tiny"
    timeout -s KILL 60 "$nudge" gen --scenario "$scn" --seconds 0.02 --episodes 4 --episodes-per-shard 1 --jobs $j --out "$tmp/tiny" 2>/dev/null ||
      { bad "gen of one-episode shards --jobs $j failed or hung (run $k)"; break; }
  done
done
ls "$tmp/tiny" | grep -c "^shard-" | grep -qx 4 && ok "one-episode shards of 0.02 s episodes, --jobs 1 and 2: no hang" || bad "one-episode shards: $(ls "$tmp/tiny")"
rm -rf "$tmp/tiny"
# beyond 4 workers each writes its own episodes (no writer thread): the same bytes
gen --episodes 10 --out "$tmp/j5" --jobs 5 2>/dev/null || bad "gen --jobs 5 failed"
same "$tmp/j1" "$tmp/j5" "--jobs 5 (workers writing) and --jobs 1 are byte-identical"
# a writer thread only when a core is left for it (jobs below the usable cores): on one core
# (taskset) --jobs 1 writes in its worker, with two or more it has the thread; the bytes are the same
writer_cpu() { sed -n 's/.*CPU s: workers [0-9.]*, writer \([0-9.]*\),.*/\1/p' "$1"; }
taskset -c 0 "$nudge" gen "${base[@]}" --episodes-per-shard 3 --episodes 10 --out "$tmp/c1" --jobs 1 2>"$tmp/c1.log" ||
  bad "gen on one core failed"
same "$tmp/j1" "$tmp/c1" "--jobs 1 on one core (the worker writing) and on all cores are byte-identical"
[ "$(writer_cpu "$tmp/c1.log")" = "0.000000" ] && ok "on one core no writer thread runs" ||
  bad "on one core: $(grep 'CPU s' "$tmp/c1.log")"
if [ "$(taskset -c 0,1 true 2>/dev/null && echo 2)" = 2 ]; then
  taskset -c 0,1 "$nudge" gen "${base[@]}" --episodes-per-shard 3 --episodes 10 --out "$tmp/c2" --jobs 1 2>"$tmp/c2.log" ||
    bad "gen on two cores failed"
  w=$(writer_cpu "$tmp/c2.log")
  [ -n "$w" ] && [ "$w" != "0.000000" ] && ok "on two cores --jobs 1 has its writer thread ($w CPU s)" ||
    bad "on two cores: $(grep 'CPU s' "$tmp/c2.log")"
  rm -rf "$tmp/c2" "$tmp/c2.log"
fi
rm -rf "$tmp/c1" "$tmp/c1.log"
ls "$tmp/j1" | grep -c "^shard-" | grep -qx 4 && ok "10 episodes in 4 shards of 3" || bad "shard count: $(ls "$tmp/j1")"
# zero runs are not written (states.npy, slot-first: the slots no body held): the file reads the
# same, takes less disk; the pushes are rows (format version 7), a few an episode
/usr/bin/python3 - "$tmp" <<'PY' && ok "states.npy is written sparse, pushes.npy as rows" || bad "states.npy takes all its blocks, or pushes.npy is not rows"
import numpy as np
import os, sys
probe = sys.argv[1] + "/probe"
with open(probe, "wb") as f:
    f.truncate(1 << 20)
sparse_fs = os.stat(probe).st_blocks * 512 < (1 << 20)
os.remove(probe)
st = os.stat(sys.argv[1] + "/j1/shard-00000/states.npy")
assert not sparse_fs or st.st_blocks * 512 < st.st_size // 2, (st.st_blocks, st.st_size)
p = np.load(sys.argv[1] + "/j1/shard-00000/pushes.npy")
assert 0 < len(p) < 3 * 60 and p.dtype.itemsize == 28, (len(p), p.dtype)
assert not os.path.exists(sys.argv[1] + "/j1/shard-00000/actions.npy")
PY

# another file system (tmpfs: O_DIRECT or not, whatever it allows) writes the same bytes
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  shm=$(mktemp -d /dev/shm/nudge-gen-XXXXXX)
  gen --episodes 10 --out "$shm/j1" 2>/dev/null || bad "gen on tmpfs failed"
  same "$tmp/j1" "$shm/j1" "a dataset on tmpfs is byte-identical to one on disk"
  rm -rf "$shm"
fi
# shards run separately (one folder, as an array job on a shared disk), then gathered with --resume
gen --episodes 10 --out "$tmp/sh" --shard 1/2 2>/dev/null || bad "--shard 1/2 failed"
gen --episodes 10 --out "$tmp/sh" --shard 0/2 2>/dev/null || bad "--shard 0/2 failed"
gen --episodes 10 --out "$tmp/sh" --resume 2>/dev/null || bad "gather failed"
same "$tmp/j1" "$tmp/sh" "separate shards gathered equal one whole run"
# ... and in separate folders, copied together, then gathered
gen --episodes 10 --out "$tmp/pa" --shard 0/2 2>/dev/null && gen --episodes 10 --out "$tmp/pb" --shard 1/2 2>/dev/null || bad "separate folders"
cp -r "$tmp/pb"/shard-* "$tmp/pa"/ && gen --episodes 10 --out "$tmp/pa" --resume 2>/dev/null || bad "gather copies"
same "$tmp/j1" "$tmp/pa" "shards from separate folders gathered equal one whole run"

# kill -9 at random points, then --resume: byte-identical, nothing lost or duplicated
long=(--episodes 96 --seconds 4 --episodes-per-shard 2)
gen "${long[@]}" --out "$tmp/whole" 2>/dev/null || bad "whole run"
for round in 1 2 3; do
  rm -rf "$tmp/k"
  "$nudge" gen "${base[@]}" "${long[@]}" --out "$tmp/k" 2>/dev/null &
  pid=$!
  sleep "0.$(( (RANDOM % 70) + 10 ))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  before=$(ls "$tmp/k" 2>/dev/null | grep -c "^shard-")
  if [ -d "$tmp/k" ]; then gen "${long[@]}" --out "$tmp/k" --resume 2>/dev/null || bad "resume $round failed"
  else gen "${long[@]}" --out "$tmp/k" 2>/dev/null || bad "rerun $round failed"; fi
  same "$tmp/whole" "$tmp/k" "kill -9 after $before of 48 shards, resumed: byte-identical"
done
# Ctrl-C: exits 130 with a line saying how to resume; resuming completes it
rm -rf "$tmp/c"
"$nudge" gen "${base[@]}" "${long[@]}" --out "$tmp/c" 2>"$tmp/err" &
pid=$!
sleep 0.1
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 130 ] && grep -q -- "--resume" "$tmp/err"; then ok "Ctrl-C: exit 130, says --resume"
elif [ "$rc" -eq 0 ]; then ok "Ctrl-C came after the run finished (exit 0)"
else bad "Ctrl-C: exit $rc: $(cat "$tmp/err")"; fi
gen "${long[@]}" --out "$tmp/c" --resume 2>/dev/null
same "$tmp/whole" "$tmp/c" "interrupted with Ctrl-C, resumed: byte-identical"

# refusals: exit 2, one line, the folder untouched
expect2() {  # expect2 WHAT PATTERN -- CMD...
  local what=$1 pat=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$pat" "$tmp/err"; then ok "$what"
  else bad "$what: exit $rc, stderr: $(cat "$tmp/err")"; fi
}
cp -r "$tmp/j1" "$tmp/j1.copy"
expect2 "a different dataset is refused" "different dataset" -- "$nudge" gen --scenario "$scn" --seconds 2 --seed 12 --episodes-per-shard 3 --episodes 10 --out "$tmp/j1"
expect2 "a different dataset is refused even with --resume" "different dataset" -- "$nudge" gen --scenario "$scn" --seconds 3 --seed 11 --episodes-per-shard 3 --episodes 10 --out "$tmp/j1" --resume
expect2 "the same dataset needs --resume" "--resume" -- gen --episodes 10 --out "$tmp/j1"
expect2 "the refusal names the input that differs" "seed: 11 there, 12 here" -- "$nudge" gen --scenario "$scn" --seconds 2 --seed 12 --episodes-per-shard 3 --episodes 10 --out "$tmp/j1" --resume
same "$tmp/j1" "$tmp/j1.copy" "refused folders are untouched"
mkdir -p "$tmp/other" && echo hi >"$tmp/other/notes.txt"
expect2 "a folder with other files is refused" "not empty (it holds notes.txt)" -- gen --episodes 2 --out "$tmp/other"
# job-array tasks of one dataset start together into one new folder: none may take another task's
# manifest, landing between its look for one and its scan of the folder, for a stranger's file (the
# slurm test's array once failed so, about 1 start in 20 with 6 tasks at once)
races=0
for round in $(seq 1 12); do
  rm -rf "$tmp/array"
  for i in 0 1 2 3 4 5; do
    "$nudge" gen --scenario "$scn" --seconds 0.05 --episodes 12 --seed 5 --out "$tmp/array" --shard $i/6 \
      >/dev/null 2>"$tmp/array-$i.err" &
  done
  for i in 0 1 2 3 4 5; do wait -n || races=$((races + 1)); done
done
[ "$races" -eq 0 ] && ok "6 array tasks at once into one new folder, 12 times: every task ran" \
  || bad "$races array task starts refused: $(cat "$tmp"/array-*.err | head -2)"
expect2 "missing scenario" "nope.scn" -- "$nudge" gen --scenario "$tmp/nope.scn" --episodes 2 --seconds 1 --out "$tmp/x1"
printf 'body b box wood pos 0 1 size 0.1 heavy\n' >"$tmp/bad.scn"
expect2 "malformed scenario: file:line:col" "bad.scn:1:" -- "$nudge" gen --scenario "$tmp/bad.scn" --episodes 2 --seconds 1 --out "$tmp/x2"
[ -e "$tmp/x1" ] || [ -e "$tmp/x2" ] && bad "a folder was made for bad input" || ok "no folder for bad input"
expect2 "unwritable folder" "x" -- gen --episodes 2 --out /dev/null/x
expect2 "N out of range" "--episodes" -- gen --episodes 0 --out "$tmp/x3"
expect2 "S out of range" "--seconds" -- "$nudge" gen --scenario "$scn" --episodes 2 --seconds -1 --out "$tmp/x3"
expect2 "S not a number" "--seconds" -- "$nudge" gen --scenario "$scn" --episodes 2 --seconds nan --out "$tmp/x3"
expect2 "K out of range" "--stride" -- gen --episodes 2 --stride 0 --out "$tmp/x3"
expect2 "frame size too large" "unreasonable" -- gen --episodes 2 --frames 5000x5000 --out "$tmp/x3"
expect2 "frame size too small" "unreasonable" -- gen --episodes 2 --frames 4x4 --out "$tmp/x3"
expect2 "frame size garbage" "--frames" -- gen --episodes 2 --frames big --out "$tmp/x3"
expect2 "bad --shard" "--shard" -- gen --episodes 2 --shard 3/2 --out "$tmp/x3"
expect2 "--slots 0" "--slots" -- gen --episodes 2 --slots 0 --out "$tmp/x3"
expect2 "--slots too large" "--slots" -- gen --episodes 2 --slots 1025 --out "$tmp/x3"
expect2 "--slots garbage" "--slots" -- gen --episodes 2 --slots many --out "$tmp/x3"
expect2 "episodes too large for memory" "episode buffers" -- gen --episodes 100 --seconds 3600 --frames 1024x1024:rgb --out "$tmp/x3"
[ -e "$tmp/x3" ] && bad "a refused run made its folder" || ok "refused runs make no folder"
# a scene with more bodies than slots at its start fails with one line (the template has 4 to 8);
# shards beyond the slots (a falling glass: 2 bodies, then 8) are not recorded, and gen says so
expect2 "more bodies than --slots at the start: one line" "[4-8] bodies at 0.000 s, more than the 3 slots; raise --slots" -- gen --episodes 2 --slots 3 --out "$tmp/x5"
printf 'world seconds 2\nbody floor box stone static pos 0 -0.05 size 6 0.1\nbody glass cup glass pos 0 3 size 0.08 0.12\n' >"$tmp/drop.scn"
if "$nudge" gen --scenario "$tmp/drop.scn" --agent none --episodes 1 --seconds 2 --slots 2 --out "$tmp/x6" 2>"$tmp/err" \
   && grep -q "in 1 of the episodes written, 6 bodies made after the start (shards) went beyond the 2 slots and are not recorded; --slots 8 keeps them" "$tmp/err"; then
  ok "shards beyond --slots: the dataset is written, and gen counts what it left out"
else bad "shards beyond --slots: $(cat "$tmp/err")"; fi
"$nudge" gen --scenario "$tmp/drop.scn" --agent none --episodes 1 --seconds 2 --slots 8 --out "$tmp/x7" 2>"$tmp/err" && ok "8 slots hold the glass's shards" || bad "8 slots: $(cat "$tmp/err")"
# --where: every episode satisfies it, the same bytes with --jobs 1 and 2, the files rotate, each
# episode's seed and scenario replay it; the condition is an input (--resume compares it); bad ones
fam=$root/scenarios/templates/family
fgen() { "$nudge" gen --scenario "$fam" --seconds 0.5 --seed 4 --episodes 12 --episodes-per-shard 5 "$@"; }
fgen --where '$surface_h > 0.95' --out "$tmp/w1" --jobs 1 2>/dev/null || bad "gen --where failed"
fgen --where '$surface_h > 0.95' --out "$tmp/w2" --jobs 2 2>/dev/null || bad "gen --where --jobs 2 failed"
same "$tmp/w1" "$tmp/w2" "--where: --jobs 1 and --jobs 2 are byte-identical"
/usr/bin/python3 - "$tmp/w1" "$nudge" "$fam" <<'PY' && ok "--where: every episode satisfies it, and replays from its seed" || bad "--where: episodes"
import glob, json, subprocess, sys, numpy as np
d, nudge, fam = sys.argv[1:4]
m = json.load(open(d + "/manifest.json"))
assert m["inputs"]["where"] == "$surface_h > 0.95"
col = m["params"].index("surface_h")
p = np.concatenate([np.load(f + "/params.npy") for f in sorted(glob.glob(d + "/shard-*"))])
sc = np.concatenate([np.load(f + "/scenario.npy") for f in sorted(glob.glob(d + "/shard-*"))])
seed = np.concatenate([np.load(f + "/seed.npy") for f in sorted(glob.glob(d + "/shard-*"))])
assert len(p) == 12 and (p[:, col] > 0.95).all(), p[:, col]
assert len(set(sc.tolist())) >= 4, sc          # the files take turns
# episode 0 is nudge run of its file with its seed (its trace's first record is the dataset's)
path = m["scenarios"][int(sc[0])]["path"]
tr = subprocess.run([nudge, "run", path, "--seed", str(int(seed[0])), "--seconds", "0.1", "--trace", d + "/t.csv"],
                    capture_output=True, check=True)
st = np.load(sorted(glob.glob(d + "/shard-*"))[0] + "/states.npy")
rows = [l.split(",") for l in open(d + "/t.csv").read().splitlines()[1:] if l.startswith("0,")]
assert len(rows) > 0 and all(abs(float(r[4]) - st[0, int(r[2]), 0, 0]) < 1e-6 for r in rows), rows[:2]   # [E, K, T, 7]
PY
expect2 "--resume with another --where names it" "where: '\$surface_h > 0.95' there, '\$surface_h > 1' here" -- fgen --where '$surface_h > 1' --out "$tmp/w1" --resume
expect2 "--resume without the --where names it" "where:" -- fgen --out "$tmp/w1" --resume
expect2 "--where naming a parameter a template lacks: the file and the column" "family/dominoes.scn: in '1 + \$nope', column 5: expected a parameter declared above" -- fgen --where '1 + $nope' --out "$tmp/x4"
expect2 "--where that is a material, not a condition" "expected a condition" -- "$nudge" gen --scenario "$fam/tabletop.scn" --seconds 0.5 --episodes 2 --where '$table_m' --out "$tmp/x4"
expect2 "--where malformed" "column 12: expected a number" -- fgen --where '$n_bodies >' --out "$tmp/x4"
expect2 "--where no episode satisfies" "none of 10000 candidates" -- fgen --where '$n_bodies > 8' --out "$tmp/x4"
[ -e "$tmp/x4" ] && bad "a refused --where made its folder" || ok "a refused --where makes no folder"

# a full disk (a file-size limit makes writes fail the same way): one line, no partial shard
( ulimit -f 64; exec "$nudge" gen --scenario "$scn" --seconds 2 --seed 11 --episodes 6 --out "$tmp/full" ) >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "write failed" "$tmp/err"; then ok "full disk: one line, exit 2"; else bad "full disk: exit $rc: $(cat "$tmp/err")"; fi
ls "$tmp/full" | grep -q "^shard-" && bad "full disk left a shard" || ok "full disk left no shard"
no_partial "$tmp/full" "full disk"

# the manifest is JSON, not text to match: pretty-printed (keys sorted, 4-space indents) by another
# program, it still resumes (inputs compared parsed) and still loads for training
rm -rf "$tmp/pp" && cp -r "$tmp/j1" "$tmp/pp" && rm -rf "$tmp/pp/shard-00003"
/usr/bin/python3 -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); json.dump(m, open(p,"w"), indent=4, sort_keys=True)' "$tmp/pp/manifest.json"
gen --episodes 10 --out "$tmp/pp" --resume 2>/dev/null && ok "a pretty-printed manifest resumes" || bad "a pretty-printed manifest does not resume"
same "$tmp/j1" "$tmp/pp" "resumed from a pretty-printed manifest: byte-identical"
/usr/bin/python3 -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); json.dump(m, open(p,"w"), indent=2, sort_keys=True)' "$tmp/pp/manifest.json"
"$nudge" train --data "$tmp/pp" --out "$tmp/pp-model/m.bin" --steps 2 --batch 8 >/dev/null 2>"$tmp/err" && ok "a pretty-printed manifest loads for training" || bad "pretty-printed manifest: $(cat "$tmp/err")"
# a shard file that is a device (the manifest with a CRC but no size): one line at once, no hang
rm -rf "$tmp/dz" && cp -r "$tmp/j1" "$tmp/dz"
/usr/bin/python3 -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); del m["shards"][0]["files"]["states.npy"]["bytes"]; json.dump(m, open(p,"w"))' "$tmp/dz/manifest.json"
rm "$tmp/dz/shard-00000/states.npy" && ln -s /dev/zero "$tmp/dz/shard-00000/states.npy"
timeout 20 "$nudge" train --data "$tmp/dz" --out "$tmp/dz-model/m.bin" --steps 2 >/dev/null 2>"$tmp/err"; rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "character device" "$tmp/err"; then ok "a shard symlinked to /dev/zero: one line, exit 2"
else bad "a shard symlinked to /dev/zero: exit $rc: $(cat "$tmp/err")"; fi
# a version 1 dataset (written by nudge before the data/ module) loads unchanged
"$nudge" train --data "$root/tests/data/dataset-v1" --out "$tmp/v1-model/m.bin" --steps 2 --batch 8 >/dev/null 2>"$tmp/err" && ok "a version 1 dataset loads for training" || bad "version 1 dataset: $(cat "$tmp/err")"

# format version 7 against 6, 5 and 4: the same episodes rewritten in version 6's layout
# (actions.npy [E, T, K, 4] put together from pushes.npy by the README's numpy recipe), in version
# 5's (states.npy [E, T, K, 7], not slot-first) and in version 4's (states.npy of all 20 columns
# and ids.npy) train the same model, byte for byte, in memory and streamed from disk: the reader
# gives the trainer the same arrays
/usr/bin/python3 - "$tmp/j1" "$tmp/v6" "$tmp/v5" "$tmp/v4" <<'PY' && ok "a version 7 dataset rewritten as versions 6, 5 and 4 by numpy" || bad "rewriting as versions 6, 5 and 4"
import json, os, shutil, sys, zlib, numpy as np
src, dst6, dst5, dst4 = sys.argv[1:5]
def rewrite(dst, version):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    m = json.load(open(dst + "/manifest.json"))
    assert m["version"] == 7
    changed = pushed = 0
    for sh in m["shards"]:
        d = dst + "/" + sh["dir"] + "/"
        states, bodies, mask = np.load(d + "states.npy"), np.load(d + "bodies.npy"), np.load(d + "mask.npy")
        p = np.load(d + "pushes.npy")
        actions = np.zeros(mask.shape + (4,), np.float32)
        actions[p["episode"] - sh["first"], p["tick"], p["slot"]] = np.stack([p["jx"], p["jy"], p["px"], p["py"]], -1)
        pushed += int((actions != 0).any())
        np.save(d + "actions.npy", actions)
        os.remove(d + "pushes.npy")
        del sh["files"]["pushes.npy"]
        names = ["actions.npy"]
        if version < 6:
            states = np.swapaxes(states, 1, 2)   # slot-first to [E, T, K, 7]
            names.append("states.npy")
        if version == 6:
            pass
        elif version == 5:
            np.save(d + "states.npy", np.ascontiguousarray(states))
        else:
            changes = np.load(d + "changes.npy")
            full = np.concatenate([states, np.repeat(bodies[:, None], states.shape[1], 1)], -1)
            for c in changes:
                full[c["episode"] - sh["first"], c["tick"]:, c["slot"], c["column"]] = c["value"]
            full = np.where(mask[..., None] == 1, full, np.float32(0))
            ids = np.where(mask == 1, np.arange(mask.shape[2], dtype=np.int32), np.int32(-1))
            np.save(d + "states.npy", full)
            np.save(d + "ids.npy", ids)
            names.append("ids.npy")
            for f in ("bodies.npy", "changes.npy"):
                os.remove(d + f)
                del sh["files"][f]
            changed += int((full != np.concatenate([states, np.zeros(full.shape[:3] + (13,), np.float32)], -1)).any())
        for f in names:
            data = open(d + f, "rb").read()
            sh["files"][f] = {"bytes": len(data), "crc32": "%08x" % (zlib.crc32(data) & 0xFFFFFFFF)}
    assert version >= 5 or changed
    assert pushed
    m["version"] = m["inputs"]["format_version"] = version
    json.dump(m, open(dst + "/manifest.json", "w"), indent=1)
rewrite(dst6, 6)
rewrite(dst5, 5)
rewrite(dst4, 4)
PY
for mode in "" "--memory 3M"; do
  for v in 7 6 5 4; do
    data=$tmp/v$v; [ "$v" = 7 ] && data=$tmp/j1
    OPENBLAS_NUM_THREADS=1 "$nudge" train --data "$data" --out "$tmp/m$v/m.bin" --steps 30 --batch 16 --seed 3 $mode >/dev/null 2>"$tmp/err" || bad "train on version $v: $(cat "$tmp/err")"
    [ -z "$mode" ] || grep -q "streaming" "$tmp/err" || bad "--memory 3M did not stream: $(cat "$tmp/err")"
  done
  cmp -s "$tmp/m7/m.bin" "$tmp/m6/m.bin" && cmp -s "$tmp/m7/m.bin" "$tmp/m5/m.bin" && cmp -s "$tmp/m7/m.bin" "$tmp/m4/m.bin" && ok "versions 7, 6, 5 and 4 of the same episodes train the same bytes ${mode:-(in memory)}" || bad "versions 7, 6, 5 and 4 train different models ${mode}"
done
# --resume of a dataset of an earlier version by this nudge: one line naming the version
expect2 "--resume of a version 6 dataset names the version" "format version: 6 there, 7 here" -- gen --episodes 10 --out "$tmp/v6" --resume
expect2 "--resume of a version 5 dataset names the version" "format version: 5 there, 7 here" -- gen --episodes 10 --out "$tmp/v5" --resume
expect2 "--resume of a version 4 dataset names the version" "format version: 4 there, 7 here" -- gen --episodes 10 --out "$tmp/v4" --resume

# a real client: numpy reads everything (with frames), checksums match, episode 0 equals nudge run --trace
gen --episodes 5 --out "$tmp/np" --frames 96x64 2>/dev/null || bad "gen with frames"
/usr/bin/python3 "$root/tests/numpy_client.py" "$nudge" "$tmp/np" && ok "numpy client" || bad "numpy client"
# frames: not blank, and a moving body's pixels move
/usr/bin/python3 - "$tmp/np" <<'PY' && ok "frames follow the bodies" || bad "frames"
import sys, numpy as np
d = sys.argv[1] + "/shard-00000/"
f, s, m = np.load(d + "frames.npy"), np.load(d + "states.npy"), np.load(d + "mask.npy")
s = np.swapaxes(s, 1, 2)   # slot-first (format version 6) to [E, T, K, D_dynamic]
s = np.concatenate([s, np.repeat(np.load(d + "bodies.npy")[:, None], s.shape[1], 1)], -1)   # the full observation
r = np.load(d + "frame_rect.npy")
assert f.std() > 5
moved = 0
for e in range(f.shape[0]):
    px_per_m = min(f.shape[3] / (r[e, 2] - r[e, 0]), f.shape[2] / (r[e, 3] - r[e, 1]))
    for t in range(1, f.shape[1]):
        live = (m[e, t] & m[e, t - 1]).astype(bool) & (s[e, t, :, -1] < 0.5)
        d_pos = np.abs(s[e, t, live, :2] - s[e, t - 1, live, :2]).max(initial=0)
        if d_pos * px_per_m > 0.8:   # something moved most of a pixel: the picture changed
            assert not np.array_equal(f[e, t], f[e, t - 1]), (e, t)
            moved += 1
        if d_pos == 0 and live.sum() == (m[e, t] & (s[e, t, :, -1] < 0.5)).sum() and (m[e, t] == m[e, t - 1]).all():
            assert np.array_equal(f[e, t], f[e, t - 1]), ("still world, changed frame", e, t)
assert moved > 0
PY

# a template whose file name is not UTF-8: manifest.json is still UTF-8 JSON (U+FFFD for the stray
# byte), and --resume takes the folder as the same dataset
bad_name="$tmp/$(printf 'tpl\xff').scn"
cp "$scn" "$bad_name"
"$nudge" gen --scenario "$bad_name" --episodes 2 --seconds 0.5 --episodes-per-shard 1 --shard 0/2 --out "$tmp/u8" >/dev/null 2>&1 \
  && "$nudge" gen --scenario "$bad_name" --episodes 2 --seconds 0.5 --episodes-per-shard 1 --out "$tmp/u8" --resume >/dev/null 2>&1 \
  && ok "a non-UTF-8 template name: gen, then --resume" || bad "gen with a non-UTF-8 template name"
/usr/bin/python3 -c "
import json, sys
m = json.load(open(sys.argv[1], encoding='utf-8'))
assert m['complete'] and m['inputs']['scenarios'][0]['path'].endswith('tpl\ufffd.scn'), m['inputs']['scenarios']
" "$tmp/u8/manifest.json" && ok "manifest.json: UTF-8 JSON, U+FFFD in the name" || bad "manifest.json is not UTF-8 JSON"

finish gen_test
