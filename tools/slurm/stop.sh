#!/usr/bin/env bash
# Stops the cluster tools/slurm/start.sh started: each daemon by its PID file
# (never by name, so nothing else on the machine is touched), then removes
# the slurm.conf it wrote.
set -uo pipefail

dir=${RACESIM_SLURM_DIR:-/tmp/racesim-slurm}
conf=/etc/slurm/slurm.conf
marker="# written by racesim tools/slurm/start.sh"

stop() {
  local pidfile=$1
  [ -s "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

stop "$dir/slurmd.pid"
stop "$dir/slurmctld.pid"
stop /run/munge/munged.pid
if [ -e "$conf" ] && grep -qF "$marker" "$conf"; then
  rm -f "$conf"
fi
echo "slurm: stopped"
