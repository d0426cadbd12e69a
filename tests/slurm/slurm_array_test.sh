#!/usr/bin/env bash
# A real Slurm test of the sharded commands: installs Slurm and munge from the distribution's packages
# (Debian: slurmctld, slurmd, slurm-client, munge) on this machine, starts a one-node cluster on
# localhost, submits a 4-task array job of `galaxy fit --shard` over a simulated file and another of
# `galaxy predict`, waits for them (`sbatch --wait`), merges each array's parts with `galaxy merge`, and
# checks the merged catalogues against single runs byte for byte. It stops the daemons it started and
# removes its files, whatever happens.
#
#   tests/slurm/slurm_array_test.sh            (as root, or a user with sudo; .ci/run runs it)
#
# GALAXY names the binary to test (default: target/debug/galaxy, built if missing); IMAGES the size of
# the simulated file (default 48). How a one-node Slurm runs here: ../shared/notes/slurm-local.md and
# docs/scaling.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
GALAXY=${GALAXY:-$ROOT/target/debug/galaxy}
IMAGES=${IMAGES:-48}
if [ ! -x "$GALAXY" ]; then
  cargo build -q -p galaxy-cli --locked
  GALAXY=$ROOT/target/debug/galaxy
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

echo "== Slurm and munge from the distribution's packages"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
  || ! command -v munged >/dev/null; then
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi
dpkg-query -W -f '${Package} ${Version}\n' slurmctld slurmd slurm-client munge 2>/dev/null || true

WORK=$(mktemp -d /tmp/galaxy-slurm.XXXXXX)
chmod 755 "$WORK"
PIDS=()
STARTED_MUNGE=""
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do
    $SUDO kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do $SUDO kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ -n "$STARTED_MUNGE" ]; then
    $SUDO kill "$STARTED_MUNGE" 2>/dev/null || true
  fi
  if [ $status -ne 0 ]; then
    echo "-- the test failed; the daemons' logs:"
    tail -n 30 "$WORK"/*.log 2>/dev/null || true
  fi
  $SUDO rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT

echo "== munge (a key in /etc/munge/munge.key; munged runs as its own user)"
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then
    $SUDO mkdir -p /etc/munge
    $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    $SUDO chown munge:munge /etc/munge/munge.key
    $SUDO chmod 400 /etc/munge/munge.key
  fi
  $SUDO mkdir -p /run/munge /var/lib/munge /var/log/munge
  $SUDO chown munge:munge /run/munge /var/lib/munge /var/log/munge
  $SUDO runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  STARTED_MUNGE=$(cat /run/munge/munged.pid)
fi
munge -n | unmunge | grep STATUS

echo "== a one-node cluster on localhost ($(hostname -s), $(nproc) CPUs)"
HOST=$(hostname -s)
mkdir -p "$WORK/etc" "$WORK/state" "$WORK/spool"
cat >"$WORK/etc/slurm.conf" <<EOF
ClusterName=galaxytest
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=600
NodeName=$HOST CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
cat >"$WORK/etc/cgroup.conf" <<EOF
CgroupPlugin=autodetect
IgnoreSystemd=yes
ConstrainCores=no
ConstrainRAMSpace=no
EOF
export SLURM_CONF=$WORK/etc/slurm.conf
$SUDO env SLURM_CONF="$SLURM_CONF" slurmctld -D -f "$SLURM_CONF" >"$WORK/slurmctld.out" 2>&1 &
PIDS+=($!)
$SUDO env SLURM_CONF="$SLURM_CONF" slurmd -D -f "$SLURM_CONF" >"$WORK/slurmd.out" 2>&1 &
PIDS+=($!)
state=""
for _ in $(seq 120); do
  state=$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)
  [ "$state" = "idle" ] && break
  sleep 0.5
done
sinfo
[ "$state" = "idle" ] || { echo "the node did not come up (state '$state')"; exit 1; }

echo "== a simulated file of $IMAGES galaxies"
cd "$WORK"
"$GALAXY" generate --preset data_v3 --size "$IMAGES" --seed 11 -o d.npz

# Runs a 4-task array of `galaxy <command> d.npz -o <name>_{shard}.csv ...` under Slurm, merges the parts
# and compares the result with a single run, byte for byte.
array_test() {
  local name=$1
  shift
  local job
  job=$(sbatch --parsable --wait --array=0-3 --ntasks=1 --cpus-per-task=1 --chdir="$WORK" \
    --output="$WORK/${name}_%a.log" --job-name="galaxy-$name" \
    --wrap "$GALAXY $* -o ${name}_{shard}.csv")
  echo "job $job ($name): sbatch --wait returned 0"
  scontrol -o show job "$job" | tr ' ' '\n' \
    | grep -E '^(JobId|ArrayJobId|ArrayTaskId|JobState|ExitCode)=' | paste -d' ' - - - - -
  local states
  states=$(scontrol -o show job "$job" | grep -o 'JobState=[A-Z]*' | sort | uniq -c)
  echo "task states: $states"
  [ "$(scontrol -o show job "$job" | grep -c 'JobState=COMPLETED')" -eq 4 ] \
    || { echo "not every task of job $job completed"; exit 1; }
  for k in 0 1 2 3; do head -n 1 "${name}_$k.csv"; grep -h "shard $k/4" "${name}_$k.log" >/dev/null; done
  "$GALAXY" merge "${name}_0.csv" "${name}_1.csv" "${name}_2.csv" "${name}_3.csv" -o "${name}_merged.csv"
  "$GALAXY" "$@" -o "${name}_single.csv" >/dev/null 2>&1
  if cmp "${name}_merged.csv" "${name}_single.csv"; then
    echo "$name: merged $(($(wc -l <"${name}_merged.csv") - 1)) rows, identical to the single run" \
      "($(wc -c <"${name}_merged.csv") bytes, cmp: no difference)"
  else
    echo "$name: the merged catalogue differs from the single run"
    exit 1
  fi
}

echo "== galaxy fit --shard as a 4-task Slurm array"
array_test fit fit d.npz --threads 1
echo "== galaxy predict --shard as a 4-task Slurm array (batches of 8, so parts start inside batches)"
array_test predict predict d.npz --batch 8
echo "== Slurm test passed"
