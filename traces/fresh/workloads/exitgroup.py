# Threads: two wait on a condition forever, a third calls exit_group (os._exit) while they wait.
import os, threading, time
cv = threading.Condition()
def waiter():
    with cv:
        cv.wait()
def exiter():
    time.sleep(0.1)
    os._exit(5)
for _ in range(2):
    threading.Thread(target=waiter).start()
threading.Thread(target=exiter).start()
time.sleep(5)
