#!/bin/sh
# Two notices to one reaper from one exit: a perl whose parent is init leaves a child a zombie and
# is killed; its exit tells init of the orphaned zombie first (forget_original_parent), then of its
# own death. Run in the background, then capture the whole system with
#   sh traces/workloads/z-orphan-notices.sh & ./replayer capture --duration 8 --out FILE
setsid perl -e 'sleep 5; exit 0 unless fork; select(undef, undef, undef, 0.2); kill "KILL", $$' &
