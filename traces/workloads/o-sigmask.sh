#!/bin/sh
# run as: unshare --pid --fork sh o-sigmask.sh   (this sh is the namespace init, pid 1)
# A blocked signal is never ignored (sig_ignored, kernel/signal.c): it is queued whatever its
# action. Each parent below leaves SIGCHLD at SIG_DFL, whose default is to ignore it.
# 1. Blocked, then not: the first child's SIGCHLD is queued ("delivered"), the second's ignored.
perl -MPOSIX -e 'my $c = POSIX::SigSet->new(SIGCHLD); sigprocmask(SIG_BLOCK, $c); my $a = fork; exit 0 unless $a; select(undef, undef, undef, 0.2); sigprocmask(SIG_UNBLOCK, $c); my $b = fork; exit 0 unless $b; select(undef, undef, undef, 0.2); waitpid($a, 0); waitpid($b, 0); print "blocked, then not\n"'
# 2. Blocked, but waiting in sigsuspend with an empty mask: the child exits while the parent
#    waits under the temporary mask, so its SIGCHLD is ignored; SIGALRM's handler ends the wait.
perl -MPOSIX -MTime::HiRes=ualarm -e 'my $c = POSIX::SigSet->new(SIGCHLD); sigprocmask(SIG_BLOCK, $c); $SIG{ALRM} = sub {}; my $a = fork; if (!$a) { select(undef, undef, undef, 0.1); exit 0 } ualarm(300000); sigsuspend(POSIX::SigSet->new); waitpid($a, 0); print "suspended\n"'
# 3. runuser's watching parent (su's code) blocks every signal while it waits: its child's SIGCHLD is queued.
runuser -u nobody -- true
