#!/usr/bin/env bash
# A real single-node Slurm cluster (munged, slurmctld, slurmd on localhost, a generated slurm.conf
# and munge key in a temporary folder, stopped on every exit path) runs the README's job-array
# script, scripts/gen_array.sbatch, as 4 array tasks of 2 CPUs: the gathered dataset must be
# byte-identical to one nudge gen of the same inputs, also after one array task is cancelled
# mid-run (scancel) and resubmitted. No Slurm or no root is a failure with the reason, never a
# skip.   usage: slurm_test.sh NUDGE ROOT
source "$(dirname "$0")/script_lib.sh" "$@"
t_start=$(date +%s.%N)
nudge=$(readlink -f "$nudge") root=$(readlink -f "$root")   # the jobs run in another folder
die() { echo "FAIL $*"; echo "slurm: cannot run: $*"; exit 1; }

# --- the README shows the script itself: they cannot drift ---------------------------------------
script=$root/scripts/gen_array.sbatch
/usr/bin/python3 - "$root/README.md" "$script" <<'PY' && ok "README shows scripts/gen_array.sbatch verbatim" || bad "README's job-array script differs from scripts/gen_array.sbatch"
import sys
readme, script = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sys.exit(0 if "```bash\n" + script + "```" in readme else 1)
PY

# --- the daemons --------------------------------------------------------------------------------
for b in munged munge slurmctld slurmd sbatch squeue scancel scontrol; do
  command -v "$b" >/dev/null || die "$b is not installed (scripts/deps.sh installs slurm-wlm and munge)"
done
[ "$(id -u)" -eq 0 ] || die "slurmd must run as root to start jobs (CI runs as root); run this test as root"

pids=()
stop_daemons() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  pids=()
}
trap 'stop_daemons; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
chmod 700 "$tmp"
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/logs"
chmod 700 "$tmp/munge"

# munge: a fresh key, a private socket
dd if=/dev/urandom of="$tmp/munge/key" bs=1024 count=1 2>/dev/null && chmod 400 "$tmp/munge/key"
sock=$tmp/munge/socket
munged -F --force --key-file="$tmp/munge/key" --socket="$sock" --pid-file="$tmp/munge/pid" \
  --log-file="$tmp/munge/log" --seed-file="$tmp/munge/seed" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
munge -S "$sock" -n 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1 \
  || die "munged did not start: $(tail -3 "$tmp/munge/log" 2>/dev/null)"
ok "munged runs with its own key and socket"

# two free TCP ports on localhost
read -r p1 p2 < <(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
node=$(hostname -s)
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=nudgetest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmctldPort=$p1
SlurmdPort=$p2
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/logs/slurmctld.log
SlurmdLogFile=$tmp/logs/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
KillWait=2
SlurmdParameters=config_overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=8 RealMemory=4000 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -i -f "$SLURM_CONF" >"$tmp/logs/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$node" >"$tmp/logs/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 150); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null)
  case $state in idle*|mixed*|allocated*) break ;; esac
  sleep 0.2
done
case $state in idle*|mixed*|allocated*) ok "slurmctld and slurmd up on localhost (node $node: $state)" ;;
  *) die "the node never became idle (state '$state'): $(tail -n 3 "$tmp/logs/slurmctld.log" "$tmp/logs/slurmd.log" 2>/dev/null | tr '\n' ' ')" ;;
esac

# --- the same inputs three ways: one gen, an array, an array with a task cancelled --------------
scn=$root/scenarios/templates/push_off_table.scn
episodes=240 seconds=8 seed=5 per=10   # 24 shards: 6 per task
export NUDGE=$nudge SCENARIO=$scn EPISODES=$episodes EPISODE_SECONDS=$seconds SEED=$seed TASKS=4
# GEN_ARGS: shards of 10 episodes, and few bytes per episode (every 8th tick) so that simulating,
# which is what a task spends its time on, dominates and the disk stays small (not fewer slots:
# these episodes reach 25 bodies with the glasses' shards, and gen refuses a body beyond --slots)
export GEN_ARGS="--episodes-per-shard $per --stride 8"
gen_args=(--scenario "$scn" --episodes "$episodes" --seconds "$seconds" --seed "$seed" $GEN_ARGS)
"$nudge" gen "${gen_args[@]}" --out "$tmp/whole" --jobs 1 2>/dev/null || bad "the single gen failed"

# submit SCRIPT's array (ARRAY) writing into OUT; prints the job id
submit() {
  OUT=$2 sbatch --parsable --export=ALL --array="$1" --cpus-per-task=2 --chdir="$tmp" \
    --output="$tmp/logs/task-%A_%a.out" "$script"
}
# waits (at most 90 s) until job $1 has no task pending or running
wait_job() {
  for _ in $(seq 900); do
    [ -z "$(squeue -h -j "$1" -t PENDING,CONFIGURING,RUNNING,COMPLETING 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}
# the states of job $1's array tasks, "TASK=STATE" sorted by task
task_states() {
  scontrol -o show job "$1" 2>/dev/null | sed -n 's/.*ArrayTaskId=\([0-9]*\).* JobState=\([A-Z_]*\).*/\1=\2/p' | sort -n
}
same() { if diff -r "$1" "$2" >/dev/null; then ok "$3"; else bad "$3: $(diff -rq "$1" "$2" 2>&1 | head -3 | tr '\n' ' ')"; fi; }

job=$(submit 0-3 "$tmp/array") || bad "sbatch refused the array: $job"
wait_job "$job" || bad "array $job did not finish within 90 s: $(squeue -h -j "$job")"
states=$(task_states "$job" | tr '\n' ' ')
[ "$states" = "0=COMPLETED 1=COMPLETED 2=COMPLETED 3=COMPLETED " ] && ok "4 array tasks of 2 CPUs completed" \
  || bad "array tasks: $states; $(cat "$tmp"/logs/task-"$job"_*.out 2>/dev/null | head -5)"
shards() { ls "$1" 2>/dev/null | grep -c '^shard-'; }
[ "$(shards "$tmp/array")" -eq 24 ] && ok "the tasks wrote all 24 shards" || bad "the tasks wrote $(shards "$tmp/array") of 24 shards"
"$nudge" gen "${gen_args[@]}" --out "$tmp/array" --resume 2>"$tmp/err" || bad "gather: $(cat "$tmp/err")"
grep -q "0 episodes in 0 shards written (24 already there)" "$tmp/err" && ok "the gather only verified and listed them" \
  || bad "the gather did more than gather: $(cat "$tmp/err")"
same "$tmp/whole" "$tmp/array" "array of 4 tasks + gather (--resume) byte-identical to one nudge gen"

# cancel task 2 mid-run: once it has written its first shard it is frozen (SIGSTOP, so that the
# cancellation cannot come too late on a fast machine), then scancel'ed. NUDGE is a wrapper for this
# array: it runs nudge, and in task 2 watches for the first shard itself (the gen process is its
# child: no search for it, which a loaded machine made too slow), stops it and says its pid
cat >"$tmp/freeze2.sh" <<'WRAP'
#!/usr/bin/env bash
[ "$SLURM_ARRAY_TASK_ID" = 2 ] || exec "$REAL_NUDGE" "$@"
"$REAL_NUDGE" "$@" &
child=$!
while kill -0 "$child" 2>/dev/null && [ ! -d "$FREEZE_DIR" ]; do :; done
kill -STOP "$child" 2>/dev/null
echo "$child" >"$FREEZE_PID.tmp" && mv "$FREEZE_PID.tmp" "$FREEZE_PID"
wait "$child"
WRAP
chmod +x "$tmp/freeze2.sh"
first=$(printf 'shard-%05d' 2)
job=$(REAL_NUDGE=$nudge NUDGE=$tmp/freeze2.sh FREEZE_DIR=$tmp/cut/$first FREEZE_PID=$tmp/freeze2.pid submit 0-3 "$tmp/cut") \
  || bad "sbatch refused the second array: $job"
pid=""
for _ in $(seq 3000); do [ -s "$tmp/freeze2.pid" ] && pid=$(cat "$tmp/freeze2.pid") && break; sleep 0.02; done
missing=0
for s in 6 10 14 18 22; do [ -d "$tmp/cut/$(printf 'shard-%05d' $s)" ] || missing=$((missing + 1)); done
[ -d "$tmp/cut/$first" ] && [ "$missing" -gt 0 ] && ok "task 2 stopped mid-run: its first shard written, $missing of its 6 shards still to do" \
  || bad "task 2 was not caught mid-run (pid '$pid', $missing shards to do)"
# scancel makes slurmd send SIGCONT and then SIGTERM, in two steps; a resumed gen can finish its
# remaining shards between them (a CI run saw three shards of 10 episodes done in that gap). So the
# SIGTERM goes first, pending while gen is stopped: it is handled the moment Slurm's SIGCONT resumes
# gen, as a cancellation arriving at that instant would be (gen stops after the episodes in hand)
[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
scancel "${job}_2"
wait_job "$job" || bad "second array did not finish within 90 s"
states=$(task_states "$job" | tr '\n' ' ')
case $states in *"2=CANCELLED"*) ok "scancel stopped task 2 ($states)" ;; *) bad "task 2 not cancelled: $states" ;; esac
left=0
for s in 2 6 10 14 18 22; do [ -d "$tmp/cut/$(printf 'shard-%05d' $s)" ] && left=$((left + 1)); done
[ "$left" -lt 6 ] && ok "the cancelled task left $left of its 6 shards" || bad "the cancelled task finished all its shards"
again=$(submit 2 "$tmp/cut") || bad "resubmitting task 2 failed: $again"
wait_job "$again" || bad "resubmitted task 2 did not finish"
[ "$(task_states "$again" | tr '\n' ' ')" = "2=COMPLETED " ] && ok "task 2 resubmitted alone (--array=2) completed" \
  || bad "resubmitted task: $(task_states "$again"); $(cat "$tmp"/logs/task-"$again"_*.out 2>/dev/null | head -5)"
[ "$(shards "$tmp/cut")" -eq 24 ] && ok "after the resubmission all 24 shards are there" || bad "$(shards "$tmp/cut") of 24 shards"
ls -A "$tmp/cut" | grep -q tmp && bad "temporaries left: $(ls -A "$tmp/cut" | grep tmp)" || ok "no temporaries left by the cancelled task"
"$nudge" gen "${gen_args[@]}" --out "$tmp/cut" --resume 2>"$tmp/err" || bad "gather after resubmission: $(cat "$tmp/err")"
same "$tmp/whole" "$tmp/cut" "cancelled task resubmitted + gather byte-identical to one nudge gen"

stop_daemons
echo "slurm test wall time: $(/usr/bin/python3 -c "import time; print(f'{time.time() - $t_start:.1f}')") s"
finish slurm
