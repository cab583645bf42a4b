#!/bin/sh
# Parents that predate the capture, one of them with SA_NOCLDWAIT: run in the background, then
# capture the whole system with
#   sh traces/workloads/r-preexisting-flags.sh & ./replayer capture --duration 6 --out FILE
# /proc shows that both catch SIGCHLD, not with which flags: the capture's probe reads them from
# the kernel. perl's children are reaped as they exit (SA_NOCLDWAIT), so its wait finds none
# (ECHILD) once they are gone; the shell's wait reaps its child.
perl -MPOSIX -e 'sigaction(SIGCHLD, POSIX::SigAction->new(sub {}, POSIX::SigSet->new, SA_NOCLDWAIT)) or die;
  sleep 4; for (1 .. 2) { if (!fork) { select(undef, undef, undef, 0.1); exit 0 } }
  my $r = wait; exit($r == -1 ? 0 : 1)' &
sleep 4.2
sleep 0.2 &
wait
true
