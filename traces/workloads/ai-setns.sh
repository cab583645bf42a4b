#!/bin/sh
# run as: sh ai-setns.sh   (setns into a pid namespace made while tracing runs, whose inode no
# /proc read showed; the trace shows only setns's descriptor, the probe the namespace entered)
P=${PIDINFO:-/tmp/captures/bin/pidinfo}
unshare --pid --fork sleep 3 &
U=$!
sleep 0.3
S=$(pgrep -P $U)
echo "unshare=$U sleep(ns init)=$S"
# Into it: the children go there (the entered sh is 2, its pidinfo 3, ...).
nsenter -t $S -p sh -c "echo entered \$\$; $P entered-child; sh -c '$P grandchild'"
# A uts namespace: a setns of another kind.
nsenter -t $S -u true
# Into it again: a sh that kills a task of the namespace by its number there.
nsenter -t $S -p sh -c 'sleep 5 & kill -0 $!; kill -TERM $!; wait; echo "sleep $!"'
wait
