/* pidinfo LABEL: prints the caller's own view of its ids (raw syscalls, no libc caching) */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int c, char **v) {
  long pid = syscall(SYS_getpid), ppid = syscall(SYS_getppid), pgid = syscall(SYS_getpgid, 0),
       pgrp = syscall(SYS_getpgrp), sid = syscall(SYS_getsid, 0), tid = syscall(SYS_gettid);
  printf("%s pid=%ld ppid=%ld pgid=%ld pgrp=%ld sid=%ld tid=%ld\n", c > 1 ? v[1] : "", pid, ppid, pgid, pgrp, sid, tid);
  return 0;
}
