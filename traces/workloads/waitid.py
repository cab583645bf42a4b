# waitid in its three forms: P_PID, P_PGID (own group, id 0) and P_ALL with WNOHANG before and after the child exits
import os, time
a = os.fork()
if a == 0:
    time.sleep(0.1)
    os._exit(3)
print("P_PID", os.waitid(os.P_PID, a, os.WEXITED), flush=True)
b = os.fork()
if b == 0:
    os._exit(4)
print("P_PGID", os.waitid(os.P_PGID, 0, os.WEXITED), flush=True)
c = os.fork()
if c == 0:
    time.sleep(0.2)
    os._exit(5)
print("P_ALL WNOHANG", os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG), flush=True)
print("P_ALL", os.waitid(os.P_ALL, 0, os.WEXITED), flush=True)
