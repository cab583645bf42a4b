# classic daemon: fork, setsid, fork, first child exits, grandchild is reparented
import os, time
pid = os.fork()
if pid == 0:
    print("child sid", os.setsid(), flush=True)
    if os.fork() == 0:
        time.sleep(0.2)
        os.execv(os.environ.get("PIDINFO", "/tmp/captures/bin/pidinfo"), ["pidinfo", "daemon"])
    os._exit(0)
os.waitpid(pid, 0)
print("parent done", flush=True)
