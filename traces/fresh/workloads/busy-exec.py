# Spins without system calls for 0.3 s, then execs a shell: attached with strace -p, its first traced call is an execve.
import os, time
t = time.time()
while time.time() - t < 0.3:
    pass
os.execv("/bin/sh", ["sh", "-c", "sh -c 'exit 4'; echo exec-done $$"])
