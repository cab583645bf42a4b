#!/bin/bash
# job control: bash with set -m puts each job in its own process group (setpgid in parent and child),
# then kills the whole group with kill -TERM -PGID
set -m
sleep 5 | sleep 5 &
pg=$(jobs -p %1)
${PIDINFO:-/tmp/captures/bin/pidinfo} job-shell
${PIDINFO:-/tmp/captures/bin/pidinfo} fg-job
sleep 0.2
kill -TERM -- -$pg
wait
echo "job group $pg killed"
