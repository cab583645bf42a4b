#!/bin/sh
# Three shells in one pid namespace, each forking N subshells (default 100), all at once: on two
# CPUs their forks are in the call together, and the numbers come out in another order than the
# calls went in.
#   unshare --pid --fork sh k-storms.sh [N]
n=${1:-100}
storm() { i=0; while [ $i -lt "$n" ]; do ( : ) ; i=$((i+1)); done; }
storm & storm & storm & wait
