#!/bin/sh
# A signal ignored and blocked since before the capture: python3 sets SIGURG to SIG_IGN and blocks
# it, as a PostgreSQL 15 postmaster does (it reads SIGURG from a signalfd), then sleeps; three
# seconds in, this shell sends it SIGURG twice. sig_ignored: a blocked signal is never ignored,
# so the first is queued (res 0), the second finds it pending. Run in the background, then capture
# the whole system without following masks, with
#   sh traces/workloads/ag-preexisting-blocked.sh & sleep 0.5; ./replayer capture --signal-actions off --duration 5 --out FILE
# The snapshot's SigBlk shows SIGURG blocked; the capture does not follow the mask from there.
python3 -c 'import signal, time
signal.signal(signal.SIGURG, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGURG})
time.sleep(6)' &
p=$!
sleep 3
kill -URG $p
kill -URG $p
wait $p
