#!/bin/sh
# fork storm: N short-lived subshells (default 3000), started as fast as sh can fork, then reaped
N=${1:-3000}
i=0
while [ $i -lt $N ]; do
  ( exit 0 ) &
  i=$((i + 1))
done
wait
echo "forked $N"
