#!/usr/bin/env bash
# Stop the cluster that tests/slurm/start.sh STATE_DIR started: cancel jobs, stop slurmd, slurmctld and (if it
# started it) munged, and put back a slurm.conf that was there before.
STATE=${1:?usage: stop.sh STATE_DIR}
scancel --full --quiet --user root 2>/dev/null || true
for name in slurmd slurmctld; do
  pidfile="$STATE/$name.pid"
  if [ -s "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
done
if [ -f "$STATE/munged.ours" ] && [ -s "$STATE/munged.pid" ]; then
  kill "$(cat "$STATE/munged.pid")" 2>/dev/null || true
fi
if [ -f /etc/slurm/slurm.conf.deidflow-backup ]; then
  mv /etc/slurm/slurm.conf.deidflow-backup /etc/slurm/slurm.conf
elif grep -q "deidflow test cluster" /etc/slurm/slurm.conf 2>/dev/null; then
  rm -f /etc/slurm/slurm.conf
fi
exit 0
