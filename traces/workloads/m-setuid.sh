#!/bin/sh
# run as: sh m-setuid.sh /ABSOLUTE/DIR   (on a mount without nosuid)
# A set-user-ID root copy of procps' kill, run by nobody: its effective uid is root's, so root's
# sleep takes the signal that nobody's own kill is refused (EPERM). The copy run under
# setpriv --no-new-privs gets no set-user-ID uid and is refused again. The copy stays in DIR
# (the capture looks the exec'd files up once the command has ended); remove it after.
k="$1/suid-kill"
cp /usr/bin/kill "$k"
chmod 4755 "$k"
sleep 3 &
p=$!
runuser -u nobody -- sh -c "kill -0 $p; $k -0 $p && echo 'allowed: set-user-ID root'; setpriv --no-new-privs $k -0 $p || echo 'refused: no_new_privs'"
kill "$p"
wait
