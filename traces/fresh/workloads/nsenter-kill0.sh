#!/bin/sh
# nsenter into a running pid namespace; the entered shell makes its own session and group (setsid)
# and kill(0)s that group: itself, a child that ignores SIGTERM and a sleeping child.
unshare --pid --fork sleep 1.5 &
U=$!
sleep 0.2
INIT=$(pgrep -P $U)
nsenter --target "$INIT" --pid setsid -w sh -c 'sh -c "trap \"\" TERM; sleep 0.3; echo survived" & sleep 2 & kill -TERM 0; echo never'
echo entered-status $?
kill -KILL "$INIT"
wait
echo host-done
