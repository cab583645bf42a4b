#!/bin/sh
# A parent that predates the capture: run in the background, then capture the whole system with
#   sh traces/workloads/q-preexisting.sh & ./replayer capture --duration 3 --out FILE
# Its actions come from the /proc snapshot only (SigIgn, SigCgt): its children's exits and their
# SIGCHLDs, and its waits, fall inside the capture; the ignoring subshell's start does too.
sleep 1.5
sleep 0.3 &
sleep 0.2 &
wait
sh -c 'trap "" CHLD; sleep 0.1 & sleep 0.3; wait'
true
