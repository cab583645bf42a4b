# A PR_SET_CHILD_SUBREAPER parent whose two grandchildren are orphaned: it adopts and reaps them.
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36
libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
mid = os.fork()
if mid == 0:
    for i in range(2):
        if os.fork() == 0:
            time.sleep(0.2)
            print("grandchild", i, "ppid", os.getppid(), flush=True)
            os._exit(10 + i)
    os._exit(0)
print("mid", os.waitpid(mid, 0))
for _ in range(2):
    pid, st = os.wait()
    print("reaped grandchild", os.waitstatus_to_exitcode(st))
