#!/bin/sh
# A shell whose name is markup: its comm, as every tracepoint records it, is <script>&"' ;
# inside a new pid namespace it forks, queries its ids and orphans a child to the init.
D=$(mktemp -d)
cp /bin/sh "$D/<script>&\"'"
"$D/<script>&\"'" -c '${PIDINFO:-/tmp/captures/bin/pidinfo} hostile; (sleep 0.2 &) ; sleep 0.1 & wait; kill -0 $$'
sleep 0.4
rm -r "$D"
