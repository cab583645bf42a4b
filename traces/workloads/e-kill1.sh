#!/bin/sh
# run as: unshare --pid --fork sh e-kill1.sh   (kill -1 from the namespace init)
sleep 5 &
sleep 5 &
sh -c 'trap "" TERM; sleep 0.6' &
unshare --pid --fork sleep 1.5 &
sleep 0.3
kill -TERM -1
echo "kill -1 rc=$?"
sleep 2
kill -TERM -1
echo "second kill -1 rc=$?"
wait
