#!/usr/bin/env bash
# Run every libFuzzer target for a bounded time, seeded with its committed corpus.
# usage: fuzz-run.sh BUILDDIR SECONDS
#
# SECONDS is the total budget, split evenly across the targets (at least
# MIN_SECONDS each), so adding a target does not lengthen CI.  Every target
# runs even when an earlier one fails; inputs that crash or time out are
# kept in BUILDDIR/fuzz-artifacts/ and the exit status is non-zero.
set -uo pipefail
build=$1
secs=$2
min=${MIN_SECONDS:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
targets=()
for t in "$build"/fuzz/fuzz-*; do
  [ -f "$t" ] && [ -x "$t" ] && targets+=("$t")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz-run: no fuzz targets in $build/fuzz" >&2; exit 1; }
each=$((secs / ${#targets[@]}))
[ "$each" -ge "$min" ] || each=$min
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
failed=()
for t in "${targets[@]}"; do
  name=$(basename "$t")
  corpus="$src/fuzz/corpus/${name#fuzz-}"
  work=$(mktemp -d)
  echo "fuzz: $name for ${each}s (corpus $corpus)"
  # New inputs go to a scratch dir; the committed corpus is read-only input.
  if ! "$t" -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$name-" "$work" "$corpus"; then
    failed+=("$name")
  fi
  rm -rf "$work"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-run: failed: ${failed[*]} (inputs in $artifacts; add them to fuzz/corpus/NAME/regress-*)" >&2
  exit 1
fi
echo "fuzz-run: ${#targets[@]} targets, ${each}s each, no failures"
