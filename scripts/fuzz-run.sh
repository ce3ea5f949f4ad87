#!/usr/bin/env bash
# Run every libFuzzer target for a bounded time, seeded with its committed corpus.
# usage: fuzz-run.sh BUILDDIR SECONDS
set -euo pipefail
build=$1
secs=$2
src=$(cd "$(dirname "$0")/.." && pwd)
found=0
for t in "$build"/fuzz/fuzz-*; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  found=1
  name=$(basename "$t")
  corpus="$src/fuzz/corpus/${name#fuzz-}"
  work=$(mktemp -d)
  echo "fuzz: $name for ${secs}s (corpus $corpus)"
  # New inputs go to a scratch dir; the committed corpus is read-only input.
  "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$work" "$corpus"
  rm -rf "$work"
done
[ $found = 1 ] || { echo "fuzz-run: no fuzz targets in $build/fuzz" >&2; exit 1; }
