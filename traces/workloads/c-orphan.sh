#!/bin/sh
# run as: unshare --pid --fork sh c-orphan.sh   (this sh is the namespace init, pid 1)
${PIDINFO:-/tmp/captures/bin/pidinfo} init
sh -c '(sleep 0.2; exec ${PIDINFO:-/tmp/captures/bin/pidinfo} orphan) & echo "middle exits, grandchild $!"; exit 0'
sleep 0.5
${PIDINFO:-/tmp/captures/bin/pidinfo} init-after
