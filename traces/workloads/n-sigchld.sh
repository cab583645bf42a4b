#!/bin/sh
# run as: unshare --pid --fork sh n-sigchld.sh   (this sh is the namespace init, pid 1)
# What a parent's SIGCHLD action does to its children's exits, in three parents:
# SIG_IGN: each child is reaped by the kernel as it exits, and the parent's wait finds none (ECHILD).
perl -e '$SIG{CHLD} = "IGNORE"; for (1..2) { fork or exit 0 } select(undef, undef, undef, 0.3); print "ignore: wait ", wait, "\n"'
# A handler with SA_NOCLDWAIT: reaped as they exit too, the parent still signalled.
perl -MPOSIX -e 'sigaction(SIGCHLD, POSIX::SigAction->new(sub {}, POSIX::SigSet->new, SA_NOCLDWAIT)); for (1..2) { fork or exit 0 } select(undef, undef, undef, 0.3); print "nocldwait: wait ", wait, "\n"'
# A handler without it: zombies until the parent's waits reap them.
perl -e '$SIG{CHLD} = sub {}; for (1..2) { fork or exit 0 } select(undef, undef, undef, 0.3); print "handler: wait ", wait, " ", wait, " ", wait, "\n"'
