#!/bin/sh
# A shell for strace -p to attach to: it sits in wait for a first child, then forks and reaps two more.
sleep 0.4
sh -c 'exit 3'
sleep 0.05 &
wait
echo target-done $$
