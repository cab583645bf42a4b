#!/usr/bin/env python3
"""repeat-trace.py IN N OUT: a big real-ish trace for the reader benchmark.

Writes the event lines of IN (tracefs text, a capture bundle's trace section, or perf script
output; gzip allowed) N times, each repetition's timestamps shifted past the previous one, so
the result reads like one long capture of the same workload repeated.
"""
import gzip, re, sys

src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
opener = gzip.open if src.endswith(".gz") else open
with opener(src, "rt") as f:
    lines = f.read().split("\n")
if lines and lines[0].startswith("# replayer capture"):
    lines = lines[next(i for i, l in enumerate(lines) if l.startswith("# tracer:")):]
events = [l for l in lines if l and not l.startswith("#")]
ts = re.compile(r" (\d+)\.(\d{6}): ")
first = int(ts.search(events[0]).group(1))
span = int(ts.search(events[-1]).group(1)) - first + 1
with open(out, "w") as w:
    for k in range(n):
        shift = k * span
        for l in events:
            m = ts.search(l)
            w.write(l[:m.start(1)] + str(int(m.group(1)) + shift) + l[m.end(1):] + "\n")
