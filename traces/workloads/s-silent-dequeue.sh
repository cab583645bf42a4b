#!/bin/sh
# Signals taken off a queue with no signal_deliver line. A python3 that blocks SIGCHLD forks a
# child at a time. First it takes none of their SIGCHLDs: the first stays pending, and the next
# two find it already there. Then it takes one with sigtimedwait (rt_sigtimedwait dequeues it)
# after each of three children, then one from a signalfd (a read dequeues it) after each of three
# more. Only the trace's rt_sigtimedwait and signalfd4 lines say that those left the queue:
# without them each next SIGCHLD would look already pending. Record with
#   ./replayer capture --follow --out FILE -- sh traces/workloads/s-silent-dequeue.sh
exec /usr/bin/python3 -c '
import ctypes, os, signal, time
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
def child():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    time.sleep(0.05)  # its SIGCHLD is pending now: blocked, so nothing takes it
    return pid
for _ in range(3):
    os.waitpid(child(), 0)
for _ in range(3):
    signal.sigtimedwait({signal.SIGCHLD}, 1.0)
    os.waitpid(child(), 0)
signal.sigtimedwait({signal.SIGCHLD}, 1.0)
libc = ctypes.CDLL(None, use_errno=True)
mask = (ctypes.c_ulong * 16)()
mask[0] = 1 << (signal.SIGCHLD - 1)
fd = libc.signalfd(-1, ctypes.byref(mask), 0)
if fd < 0:
    raise OSError(ctypes.get_errno(), "signalfd")
for _ in range(3):
    pid = child()
    os.read(fd, 128)
    os.waitpid(pid, 0)
'
