#!/bin/sh
# A signal pending since before the capture: perl blocks SIGCHLD, reaps a first child (whose
# SIGCHLD stays pending, blocked), sleeps, then forks a second, whose SIGCHLD finds the first
# still there (already pending). Run in the background, then capture the whole system with
#   sh traces/workloads/v-preexisting-pending.sh & ./replayer capture --duration 8 --out FILE
# The snapshot's ShdPnd shows the pending SIGCHLD; without it the model took the queue for empty.
perl -MPOSIX -e 'sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGCHLD)) or die; my $a = fork; exit 0 unless $a;
  waitpid($a, 0); sleep 6; my $b = fork; exit 0 unless $b; select(undef, undef, undef, 0.2); exit(waitpid($b, 0) == $b ? 0 : 1)'
