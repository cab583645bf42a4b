#!/bin/sh
# A zombie older than the capture: perl's child exits at once, perl sleeps, then reaps it. Run in
# the background, then capture the whole system with
#   sh traces/workloads/u-preexisting-zombie.sh & ./replayer capture --duration 6 --out FILE
# The snapshot shows the child as State Z: dead, its parent told, so perl's wait4 for it returns
# it at once (the models took it for alive, the wait for one that would block).
perl -e 'my $p = fork; exit 3 unless $p; sleep 4; exit(waitpid($p, 0) == $p && $? == 3 << 8 ? 0 : 1)'
