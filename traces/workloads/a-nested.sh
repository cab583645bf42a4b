#!/bin/sh
# run as: unshare --pid --fork sh a-nested.sh   (a namespace whose init starts a child, then a nested namespace)
sh -c 'echo $$; sleep 0.1' &
wait
unshare --pid --fork sh -c 'echo inner $$; '"${PIDINFO:-/tmp/captures/bin/pidinfo}"' nested'
