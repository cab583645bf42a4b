#!/bin/sh
# kill(-1) from the host. Run it as an unprivileged user, never as root: kill(-1) reaches every
# process its caller may signal, which for root is every process on the machine.
#   runuser -u nobody -- sh j-hostkill1.sh
# Two sleeps on the host, and a user+pid namespace (user, so that an unprivileged user may make
# it) whose init (sh, pid 1 inside) waits for two sleeps of its own, then starts a third. unshare
# runs without --fork: the shell it starts forks the init and exits, so no process outside holds
# the namespace open (unshare --fork would wait with SIGTERM blocked). The first kill(-1) is
# SIGTERM: the sleeps die; the init ignores it (a namespace init does not take a default action
# for a signal from an ancestor namespace, SIGKILL and SIGSTOP aside). The second is SIGKILL: the
# init and its third sleep die. The machine's other processes are targets the kernel refuses
# (EPERM, no signal generated); kill(-1) still returns 0.
sleep 5 &
sleep 5 &
unshare --user --map-root-user --pid sh -c "sh -c 'sleep 5 & sleep 5 & wait; sleep 5 & wait' &"
sleep 0.3
kill -TERM -1
echo "kill -TERM -1 rc=$?"
sleep 0.3
kill -KILL -1
echo "kill -KILL -1 rc=$?"
wait
echo "done"
