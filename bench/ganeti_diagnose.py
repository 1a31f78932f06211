"""Baseline for bench/catalog.ts: Ganeti's own DiagnoseOS over a search path.

Usage: /usr/bin/python3 ganeti_diagnose.py inproc DIR REPEATS   -> prints median seconds of one DiagnoseOS call (warm)
       /usr/bin/python3 ganeti_diagnose.py once DIR             -> one whole-process run, prints JSON like a CLI would
"""
import json
import logging
import sys
import time

sys.path.insert(0, "/usr/share/ganeti/default")
logging.disable(logging.CRITICAL)
from ganeti import backend  # noqa: E402

mode, top = sys.argv[1], sys.argv[2]
if mode == "inproc":
  repeats = int(sys.argv[3])
  backend.DiagnoseOS(top_dirs=[top])  # warm the cache
  times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    backend.DiagnoseOS(top_dirs=[top])
    times.append(time.perf_counter() - t0)
  times.sort()
  print(times[len(times) // 2])
else:
  json.dump(backend.DiagnoseOS(top_dirs=[top]), sys.stdout)
