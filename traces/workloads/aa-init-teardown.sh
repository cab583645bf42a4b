#!/bin/sh
# A namespace init and its orphan die together: the init (sh) sends SIGTERM to its namespace with
# kill(-1), reaps its own child and exits, while the orphan (the inner sh's background child,
# handed to the init when the inner sh exited) dies of the SIGTERM. Two races, each in about one
# capture in three: the orphan's notice comes after the init began its exit (dropped), or the
# orphan takes its SIGKILL after the init's sched_process_exit and before the init's notice (the
# teardown found it dying and sent nothing). Capture with
#   ./replayer capture --follow --out FILE -- sh traces/workloads/aa-init-teardown.sh
exec unshare --pid --fork sh -c 'sleep 0.2 & sh -c "sleep 0.1 &"; kill -TERM -1; wait'
