#!/usr/bin/env python3
"""A process whose threads' tids are not in the order they were made, started before a
whole-system capture:
    python3 traces/workloads/af-thread-order.py & sleep 1; ./replayer capture --duration 6 --out FILE
The host's pid counter is set back (as a wrap at pid_max would), so threads B and A get numbers
below the leader's. Once tracing is on, A forks a child and exits; the kernel hands the child to
the first live thread of the process's thread list, the leader (find_alive_thread), and the
child's notice goes there. A snapshot whose threads went by tid put B first."""
import os
import threading
import time


def counter_at(n):
    with open('/proc/sys/kernel/ns_last_pid', 'w') as f:
        f.write(str(n))


go = threading.Event()
done = threading.Event()


def forker():
    go.wait()
    if os.fork() == 0:
        time.sleep(0.3)
        os._exit(0)
    # This thread ends here; its child outlives it.


counter_at(300)
b = threading.Thread(target=done.wait)
b.start()
a = threading.Thread(target=forker)
a.start()
print(f"leader {os.getpid()}, threads {b.native_id} (waits) and {a.native_id} (forks)", flush=True)
time.sleep(4)  # the capture begins meanwhile (its /proc snapshot takes a while)
go.set()
a.join()
os.waitpid(-1, 0)
done.set()
b.join()
