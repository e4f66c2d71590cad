#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine, from Debian's packages,
# as root and without systemd (a CI container, a fresh VM). It is what racesim's
# CI submits its array-job test to (tests/it/slurm.rs); a user can run it the
# same way to try the examples in examples/scale-out/ before a real cluster.
#
#   sudo tools/slurm/start.sh            # installs the packages if missing
#   sbatch --array=0-3 --wait examples/scale-out/slurm.sbatch
#   sudo tools/slurm/stop.sh
#
# Everything the daemons write (state, spool, logs, PID files) goes under
# $RACESIM_SLURM_DIR (default /tmp/racesim-slurm); the one file outside it is
# /etc/slurm/slurm.conf, where sbatch and friends look for it. stop.sh stops the
# daemons by their PID files and removes that file again.
set -euo pipefail

dir=${RACESIM_SLURM_DIR:-/tmp/racesim-slurm}
conf=/etc/slurm/slurm.conf
marker="# written by racesim tools/slurm/start.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "tools/slurm/start.sh: run as root (it installs packages and starts daemons)" >&2
  exit 2
fi
if [ -e "$conf" ] && ! grep -qF "$marker" "$conf"; then
  echo "tools/slurm/start.sh: $conf exists and is not ours: this machine already has a Slurm setup, use it" >&2
  exit 2
fi

# About 20 s on a fresh Debian 12: no recommends (no mail server, no docs).
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
  ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  echo "installing slurmctld, slurmd, slurm-client and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# A restart leaves no daemon of the previous start behind.
"$(dirname "$0")/stop.sh" >/dev/null 2>&1 || true
mkdir -p "$dir"/ctld "$dir"/spool "$dir"/log

# munge authenticates every Slurm message. munged refuses to run as root and
# expects its socket directory, which systemd would have created.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  mungekey --create --keyfile=/etc/munge/munge.key
fi
chown -R munge:munge /etc/munge
chmod 0700 /etc/munge
chmod 0600 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 0755 /run/munge
runuser -u munge -- munged --pid-file=/run/munge/munged.pid
munge -n | unmunge >/dev/null

# The node as slurmd sees it (CPUs, sockets, memory), reachable on loopback.
node=$(slurmd -C | head -n 1)
host=$(printf '%s\n' "$node" | sed -n 's/^NodeName=\([^ ]*\).*/\1/p')
cat >"$conf" <<CONF
$marker
ClusterName=racesim
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# No cgroups in a container without systemd: track processes by /proc.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# Cores, not whole nodes, so an array's tasks share the node.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# Schedule a batch job at once, and forget finished ones after 2 s, so that
# \`sbatch --wait\` returns within seconds of the last task.
SchedulerParameters=batch_sched_delay=0
MinJobAge=2
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld
slurmd

# Ready when the node has registered and is idle.
for _ in $(seq 1 60); do
  if sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle; then
    echo "slurm: single-node cluster up ($host, $(sinfo -h -N -o '%c') CPUs); logs in $dir/log"
    exit 0
  fi
  sleep 0.5
done
echo "tools/slurm/start.sh: the node did not become idle in 30 s; logs:" >&2
tail -n 20 "$dir"/log/*.log >&2 || true
exit 1
