#!/bin/sh
# Records one run of the pair workload seen by tracefs and strace AT ONCE (run as root from the repository root):
#   sh traces/pair/record.sh
# strace runs under tracefs-capture.sh -f, so both see the same tasks with the same global pids.
# Under ptrace, signals that would be ignored are still delivered to strace; the answers compared
# (return values) are the kernel's either way.
set -eu
P=traces/pair
W=traces/workloads
E=trace=clone,clone3,fork,vfork,execve,exit,exit_group,wait4,waitid,setpgid,setsid,getpid,getppid,getpgid,getpgrp,getsid,gettid,kill,tkill,tgkill,unshare,setns,rt_sigaction,prctl
rm -rf $P/tracefs
/tmp/captures/tracefs-capture.sh -f -o $P/tracefs -- \
  strace -f -tt -e $E -o $P/strace.txt -- \
  unshare --pid --fork sh -c "bash $W/b-jobctl.sh; /usr/bin/python3 $W/h-daemon.py; sleep 0.5; unshare --pid --fork /tmp/captures/bin/pidinfo nested"
gzip -9 $P/tracefs/trace.txt
