#!/bin/sh
# Three nested pid namespaces; a process at each level; kills across levels.
# Level 1 (this shell is its init) starts a sleeper, then level 2, whose init starts level 3.
sleep 5 & L1=$!
unshare --pid --fork sh -c '
  sleep 5 &
  unshare --pid --fork sh -c "sleep 5 & echo L3 \$\$ \$!; wait" &
  sleep 0.2
  echo L2 $$; kill -TERM -1; echo L2-kill-all $?
  wait
' &
L2=$!
sleep 0.5
kill -KILL $L1; echo L1-killed-sleeper $?
wait
kill -0 $L2; echo after $?
