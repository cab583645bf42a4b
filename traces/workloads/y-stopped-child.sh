#!/bin/sh
# A wait that reports a stopped child, not a dead one: bash with job control starts a pipeline in
# the background, stops its group and lets it go on; bash's wait4(-1, WNOHANG|WUNTRACED|WCONTINUED)
# returns each stopped child once, then 0. Record with
#   ./replayer capture --follow --out FILE -- sh traces/workloads/y-stopped-child.sh
exec bash -c 'set -m; (sleep 0.2; echo) | cat > /dev/null & kill -STOP -$!; kill -CONT -$!; wait'
