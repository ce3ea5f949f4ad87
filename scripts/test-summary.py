#!/usr/bin/env python3
"""Print one plain summary line over the meson test logs of several build dirs.

usage: test-summary.py BUILDDIR...
Reads BUILDDIR/meson-logs/testlog.json (one JSON object per test) and prints
'N passed, N failed, N skipped'.  Exits 1 when a test failed or a log is missing.
"""
import json
import sys

passed = failed = skipped = 0
missing = False
for d in sys.argv[1:]:
    try:
        with open(f"{d}/meson-logs/testlog.json") as f:
            lines = f.readlines()
    except OSError:
        print(f"test-summary: no test log in {d}", file=sys.stderr)
        missing = True
        continue
    for line in lines:
        t = json.loads(line)
        res = t.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
        else:
            failed += 1
            print(f"FAILED: {d}: {t.get('name')} ({res})", file=sys.stderr)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or missing else 0)
