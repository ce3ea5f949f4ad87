#!/usr/bin/env bash
# make demo: show kbisect on bundled/real data.
# Until the bisection engine lands, it parses the reference bisection logs
# and prints the crash title of each one.
set -euo pipefail
build=${1:-build}
shared=${KBISECT_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
kb="$build/src/kbisect"
for log in "$shared"/reference-logs/*.log; do
  echo "== kbisect report $log"
  "$kb" report "$log" | head -n 1
done
