#!/bin/sh
# run as: unshare --pid --fork --mount-proc sh ah-last-pid.sh   (a namespace init that sets its
# next pid, as a checkpoint restore does, through /proc/sys/kernel/ns_last_pid)
sh -c 'echo first $$'
echo 199 > /proc/sys/kernel/ns_last_pid
sh -c 'echo after-echo $$'
/usr/bin/python3 -c '
import os
fd = os.open("/proc/sys/kernel/ns_last_pid", os.O_WRONLY)
os.pwrite(fd, b"49", 0)
os.close(fd)
pid = os.fork()
if pid == 0:
    os._exit(0)
print("python child", pid)
os.waitpid(pid, 0)
'
sh -c 'echo after-pwrite $$'
echo 29 > /proc/sys/kernel/ns_last_pid
sleep 0.1 &
echo "sleep $!"
wait
