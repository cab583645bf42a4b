#!/bin/sh
# A perl whose interval timer (ITIMER_REAL, SIGALRM caught) fires every 500 us for 0.1 s while
# short-lived processes run and exit on the same CPU: the timer's signal_generate fires in the
# tick's hardirq, in the context of whatever runs then, now and then a process between its
# sched_process_exit and its notice to its parent.
taskset -c 1 perl -e 'use Time::HiRes qw(setitimer ITIMER_REAL time); $SIG{ALRM} = sub {}; my $end = time + 0.1; setitimer(ITIMER_REAL, 0.0005, 0.0005); select(undef, undef, undef, 0.05) while time < $end;' &
taskset -c 1 sh -c 'i=0; while [ $i -lt 40 ]; do /bin/true; i=$((i + 1)); done'
wait
