#!/bin/sh
# run as: unshare --pid --fork sh d-initdeath.sh   (init exits while children and a nested namespace live)
sleep 5 &
sleep 5 &
sh -c 'sleep 5; echo never' &
unshare --pid --fork sleep 5 &
sleep 0.3
${PIDINFO:-/tmp/captures/bin/pidinfo} init
exit 0
