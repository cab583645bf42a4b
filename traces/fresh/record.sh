#!/bin/sh
# Records the captures of this folder (run as root from the repository root, with the CLI built by
#   dotnet build cli -c Release -o /tmp/fr-bin):  sh traces/fresh/record.sh
# Every run is wrapped in `setsid -w` so that a workload's kill(0) or kill(-pgid) can never reach the
# shell that records it.
set -eu
R="dotnet /tmp/fr-bin/replayer.dll"
F=traces/fresh
W=$F/workloads
setsid -w $R capture --follow --out $F/pipes.capture -- bash $W/pipes.sh
setsid -w $R capture --follow --out $F/make-j4.capture -- make -s -j4 -C $W -f Makefile
setsid -w $R capture --follow --out $F/pool.capture -- /usr/bin/python3 $W/pool.py
setsid -w $R capture --follow --out $F/timeout.capture -- timeout 0.3 sleep 5
setsid -w $R capture --follow --out $F/setsid-daemon.capture -- unshare --pid --fork --mount-proc sh $W/setsid-daemon.sh
setsid -w $R capture --follow --out $F/nest3.capture -- unshare --pid --fork sh $W/nest3.sh
setsid -w $R capture --follow --out $F/nsenter-kill0.capture -- sh $W/nsenter-kill0.sh
setsid -w $R capture --follow --out $F/pgkill.capture -- bash $W/pgkill.sh
setsid -w $R capture --follow --out $F/subreaper.capture -- /usr/bin/python3 $W/subreaper.py
setsid -w $R capture --follow --out $F/exitgroup.capture -- /usr/bin/python3 $W/exitgroup.py
# PostgreSQL as its own user, in a pid namespace, from a fresh data directory (initdb refuses root).
P=$(mktemp -d); chown postgres "$P"; runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$P/data" -A trust >/dev/null
setsid -w $R capture --follow --out $F/postgres-ns.capture -- unshare --pid --fork --mount-proc sh $W/postgres-ns.sh "$P/data" && gzip -9f $F/postgres-ns.capture
rm -rf "$P"
# Chromium as root needs --no-sandbox and a fresh profile.
U=$(mktemp -d)
setsid -w $R capture --follow --out $F/chromium-ns.capture -- unshare --pid --fork --mount-proc chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --user-data-dir=$U --dump-dom about:blank && gzip -9f $F/chromium-ns.capture
rm -rf "$U"
setsid -w $R capture --follow --out $F/threads-spawn.capture -- unshare --pid --fork --mount-proc /usr/bin/python3 $W/threads-spawn.py && gzip -9f $F/threads-spawn.capture
setsid -w $R capture --follow --out $F/twostorms.capture -- unshare --pid --fork --mount-proc sh $W/twostorms.sh && gzip -9f $F/twostorms.capture
E=trace=clone,clone3,fork,vfork,execve,exit,exit_group,wait4,waitid,setpgid,setsid,getpid,getppid,getpgid,getpgrp,getsid,gettid,kill,tkill,tgkill,unshare,setns,rt_sigaction,prctl
setsid -w strace -f -tt -e $E -o $F/nest3.strace -- unshare --pid --fork sh $W/nest3.sh
setsid -w strace -f -tt -e $E -o $F/pipes.strace -- bash $W/pipes.sh
setsid -w sh -c "sh $W/attach-target.sh & P=\$!; sleep 0.1; strace -f -tt -e $E -o $F/attach-host.strace -p \$P; wait"
setsid -w sh -c "unshare --pid --fork sh $W/attach-target.sh & U=\$!; sleep 0.1; P=\$(pgrep -P \$U); strace -f -tt -Y -e $E -o $F/attach-ns.strace -p \$P; wait"
setsid -w sh -c "unshare --pid --fork /usr/bin/python3 $W/busy-exec.py & U=\$!; sleep 0.15; P=\$(pgrep -P \$U); strace -f -tt -Y -e $E -o $F/attach-exec.strace -p \$P; wait"
