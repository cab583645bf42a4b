# a child subreaper (prctl PR_SET_CHILD_SUBREAPER=36) adopts an orphaned grandchild
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(36, 1, 0, 0, 0)
pid = os.fork()
if pid == 0:
    if os.fork() == 0:
        time.sleep(0.2)
        os.execv("/tmp/captures/bin/pidinfo", ["pidinfo", "orphan-of-subreaper"])
    os._exit(0)
os.waitpid(pid, 0)
print("middle reaped", pid, flush=True)
r = os.wait()
print("subreaper reaped", r, flush=True)
