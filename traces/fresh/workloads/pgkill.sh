#!/bin/bash
# A process group started in its own session; another session kills the whole group with kill -TERM -- -PGID.
setsid sh -c 'sleep 5 & sleep 5 & wait' &
sleep 0.2
PGID=$(ps -o pgid= -p $! 2>/dev/null | tr -d ' ')
[ -n "$PGID" ] || PGID=$!
setsid bash -c "kill -TERM -- -$PGID; echo killed \$?"
wait
echo done
