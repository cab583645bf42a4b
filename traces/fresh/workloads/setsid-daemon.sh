#!/bin/sh
# Inside a new pid namespace: a setsid-ed child that double-forks a daemon, which the init must reap.
setsid sh -c '( sleep 0.3; echo daemon $$ ) & echo first-child-exits' &
wait
sleep 0.5
echo init-done
