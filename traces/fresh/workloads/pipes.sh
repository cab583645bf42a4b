#!/bin/bash
# Pipelines, subshells, background jobs and wait -n.
echo a b c | tr a-z A-Z | wc -c
( echo sub; ( echo subsub ) ) | cat
sleep 0.2 & s1=$!
sleep 0.05 & s2=$!
( exit 7 ) & s3=$!
wait -n; echo "first: $?"
wait -n; echo "second: $?"
wait $s1; echo "last: $?"
x=$(echo inner $$ | cat); echo "$x"
