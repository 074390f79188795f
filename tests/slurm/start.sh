#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine (root, Debian slurm-wlm + munge): munged, slurmctld, slurmd.
# Usage: tests/slurm/start.sh STATE_DIR   (stop it with tests/slurm/stop.sh STATE_DIR)
# Writes /etc/slurm/slurm.conf (srun inside a job reads only that path; an existing file is kept as
# slurm.conf.deidflow-backup and put back by stop.sh). Exit 0 once the node is idle; otherwise the logs' tails and 1.
set -euo pipefail
STATE=${1:?usage: start.sh STATE_DIR}
mkdir -p "$STATE"/ctld "$STATE"/spool
STATE=$(cd "$STATE" && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root (slurmd must run as root)"; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "installing slurm-wlm and munge"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# munge: the key the package made, or a fresh one; a private socket dir so we never touch a site's munged.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge && dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  munged --force --pid-file="$STATE/munged.pid"
  echo started > "$STATE/munged.ours"
  for _ in $(seq 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
fi

HOST=$(hostname -s)
MEM=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
if [ -f /etc/slurm/slurm.conf ] && ! grep -q "deidflow test cluster" /etc/slurm/slurm.conf; then
  cp -p /etc/slurm/slurm.conf /etc/slurm/slurm.conf.deidflow-backup
fi
mkdir -p /etc/slurm
cat > /etc/slurm/slurm.conf <<CONF
# deidflow test cluster (tests/slurm/start.sh): one node, this machine, no accounting.
ClusterName=deidflow
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=2 RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -c -f /etc/slurm/slurm.conf
slurmd -f /etc/slurm/slurm.conf
for _ in $(seq 60); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
  case "$state" in idle*|mix*|alloc*) echo "slurm node $HOST is $state"; exit 0;; esac
  sleep 0.5
done
echo "slurm node did not come up (state: ${state:-none})"
tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" 2>/dev/null || true
exit 1
