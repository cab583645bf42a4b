#!/bin/sh
# A signal whose default action kills, sent while blocked: it is queued, not fatal. python3 blocks
# SIGUSR2 and sends it to itself three times (queued, then already pending twice), ignores it
# (which takes it off the queue), catches it, sends it twice more (queued, already pending) and
# unblocks it: the handler runs and the process lives. Record with
#   ./replayer capture --follow --out FILE -- sh traces/workloads/x-blocked-fatal.sh
exec /usr/bin/python3 -c '
import os, signal
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
for _ in range(3):
    os.kill(os.getpid(), signal.SIGUSR2)
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
signal.signal(signal.SIGUSR2, lambda *a: None)
for _ in range(2):
    os.kill(os.getpid(), signal.SIGUSR2)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR2})
'
