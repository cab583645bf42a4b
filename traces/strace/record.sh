#!/bin/sh
# Records the strace captures of this folder (run as root from the repository root):
#   sh traces/strace/record.sh
# Each capture runs the workload once under strace, tracing the same calls tracefs-capture.sh enables.
set -eu
T=traces/strace
W=traces/workloads
E=trace=clone,clone3,fork,vfork,execve,exit,exit_group,wait4,waitid,setpgid,setsid,getpid,getppid,getpgid,getpgrp,getsid,gettid,kill,tkill,tgkill,unshare,setns,rt_sigaction,prctl
strace -f -tt -e $E -o $T/jobctl.txt -- bash $W/b-jobctl.sh
strace -f -ttt -Y -e $E -o $T/nested.txt -- unshare --pid --fork sh -c 'sh -c "echo \$\$; sleep 0.1" & wait; unshare --pid --fork sh -c "echo inner \$\$; /tmp/captures/bin/pidinfo inner"'
strace -f -tt -e $E -o $T/orphan.txt -- unshare --pid --fork sh $W/c-orphan.sh
strace -f -ttt -e $E -o $T/daemon.txt -- unshare --pid --fork sh -c "/usr/bin/python3 $W/h-daemon.py; sleep 0.5; echo init-done"
strace -f -tt -e $E -o $T/kill1.txt -- unshare --pid --fork sh $W/e-kill1.sh
strace -f -e $E -o $T/clonens.txt -- /tmp/captures/bin/clonens
mkdir -p $T/ff-orphan
strace -ff -tt -e $E -o $T/ff-orphan/trace -- unshare --pid --fork sh $W/c-orphan.sh
strace -f -tt -e $E -o $T/threads.txt -- /usr/bin/python3 $W/g-threads.py
strace -f -tt -e $E -o $T/nsenter.txt -- sh $W/f-nsenter.sh
strace -f -tt -e $E -o $T/subreaper.txt -- /usr/bin/python3 $W/c2-subreaper.py
strace -f -tt -e $E -o $T/waitid.txt -- unshare --pid --fork /usr/bin/python3 $W/waitid.py
strace -f -tt -e $E -o $T/initdeath.txt -- unshare --pid --fork sh $W/d-initdeath.sh
# As nobody, never as root: kill(-1) reaches every process its caller may signal.
strace -f -tt -e $E -o $T/hostkill1.txt -- runuser -u nobody -- sh $W/j-hostkill1.sh
# --decode-pids=pidns: each pid returned inside the namespace is followed by its tid.
strace -f -tt --decode-pids=pidns -e $E -o $T/storms-pidns.txt -- unshare --pid --fork sh $W/k-storms.sh
gzip -9f $T/storms-pidns.txt
rm -rf $T/ff-storms && mkdir -p $T/ff-storms
strace -ff -tt --decode-pids=pidns -e $E -o $T/ff-storms/trace -- unshare --pid --fork sh $W/k-storms.sh 20
