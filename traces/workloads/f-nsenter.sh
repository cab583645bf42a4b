#!/bin/sh
# nsenter into a running pid namespace; getpgid/getsid read 0 inside, ppid 0 for the entered shell
unshare --pid --fork --mount-proc sleep 5 &
U=$!
sleep 0.3
S=$(pgrep -P $U)
echo "unshare=$U sleep(ns init)=$S"
nsenter -t $S -p sh -c 'echo $$; ${PIDINFO:-/tmp/captures/bin/pidinfo} entered-child; sh -c "${PIDINFO:-/tmp/captures/bin/pidinfo} grandchild"'
kill -TERM $S        # SIG_DFL SIGTERM from the ancestor namespace to a namespace init: ignored (res=1)
sleep 0.1
kill -KILL $S        # SIGKILL is forced through
wait
