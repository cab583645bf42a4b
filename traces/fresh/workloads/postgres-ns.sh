#!/bin/sh
# PostgreSQL 15 (Debian's package) in a pid namespace: started with pg_ctl as the postgres user,
# one query through psql, then a fast shutdown. Run it as root inside the namespace, with a data
# directory initdb made for the postgres user:
#   unshare --pid --fork --mount-proc sh postgres-ns.sh DATADIR
# The postmaster forks its checkpointer, background writer, WAL writer, autovacuum launcher,
# logical replication launcher and a backend; latches wake with SIGURG; the fast shutdown is a
# SIGINT from pg_ctl to the postmaster, which sends SIGTERM to its children and SIGUSR2 to the
# checkpointer, and reaps them all: same-user signals and waits of real software.
B=/usr/lib/postgresql/15/bin
D=$1
runuser -u postgres -- $B/pg_ctl -D $D -l $D/../server.log -o "-k $D/.. -c listen_addresses=''" -w start
runuser -u postgres -- /usr/bin/psql -h $D/.. -d postgres -Atc "select count(*) from pg_stat_activity"
runuser -u postgres -- $B/pg_ctl -D $D -m fast -w stop
