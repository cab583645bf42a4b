#!/bin/sh
# Three shells in one pid namespace, each forking 400 subshells, all at once: on two CPUs the
# forks overlap, and a fork's sched_process_fork line may come after that of a fork that allocated
# its pid later.
#   unshare --pid --fork --mount-proc sh twostorms.sh
storm() { i=0; while [ $i -lt 400 ]; do ( : ) ; i=$((i+1)); done; }
storm & storm & storm & wait
