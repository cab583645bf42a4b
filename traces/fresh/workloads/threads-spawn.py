# Four threads, each running 25 short subprocesses at once (subprocess.run: CPython's vfork, every
# signal blocked around it), in whatever namespace it is started in:
#   unshare --pid --fork --mount-proc python3 threads-spawn.py
import subprocess, threading
def worker(n):
    for i in range(25):
        subprocess.run(["/bin/true"])
ts = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("done")
