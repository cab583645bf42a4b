#!/bin/sh
# run as: sh l-unprivileged.sh   (kills that credentials refuse or allow)
sleep 3 &
p=$!
# As nobody: its own child may be signalled; root's sleep refuses SIGTERM (EPERM) but takes
# SIGCONT (the same session); init refuses even signal 0.
runuser -u nobody -- sh -c "sleep 2 & q=\$!; kill -TERM \$q; kill -TERM $p; kill -CONT $p; kill -0 1; wait"
# setresuid keeping a saved uid of 0: refused while the effective uid is nobody's, allowed once
# it is 0 again (the effective capabilities come back from the permitted set).
/usr/bin/python3 -c '
import os, sys
p = int(sys.argv[1])
os.setresuid(65534, 65534, 0)
try:
    os.kill(p, 0)
except PermissionError:
    print("refused as nobody")
os.setresuid(-1, 0, -1)
os.kill(p, 0)
print("allowed with euid 0")
' "$p"
kill "$p"
wait
