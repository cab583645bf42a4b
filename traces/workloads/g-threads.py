# threads (CLONE_THREAD), a process started from a thread, tgkill to a thread, exit_group with a live thread
import os, signal, subprocess, threading, time
signal.signal(signal.SIGUSR1, lambda s, f: None)
def worker(n):
    print("thread", n, "tid", threading.get_native_id(), "pid", os.getpid(), flush=True)
    if n == 0:
        subprocess.run([os.environ.get("PIDINFO", "/tmp/captures/bin/pidinfo"), "from-thread"])
    time.sleep(0.1)
ts = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
for t in ts: t.start()
for t in ts: t.join()
sleeper = threading.Thread(target=time.sleep, args=(5,), daemon=True)
sleeper.start()
time.sleep(0.05)
signal.pthread_kill(sleeper.ident, signal.SIGUSR1)   # tgkill(pid, tid, SIGUSR1)
os.kill(os.getpid(), 0)                               # kill(pid, 0)
time.sleep(0.05)
os._exit(3)                                           # exit_group while `sleeper` still runs
