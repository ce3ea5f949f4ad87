#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Build slots with the real local backend: the demo's repository (300
# commits, 12 merged topic branches, a crash in P1 = 30% of runs) bisected
# with build.slots 0, 1 and 2 (and 2 with test.runs_ahead false: "2-"),
# every build taking BUILD_SLEEP seconds more
# and every run TEST_SLEEP more (the demo's own build and test take
# milliseconds), PARALLEL runs at once (2).  Prints wall time, the reported
# time, builds (and how many were started ahead of need, used, cancelled),
# runs (and how many ran ahead of need: started, used, stopped), and
# whether the commits tested and their runs equal those of slots 0.
#
# usage: bench/local-slots.sh BUILD_DIR [BUILD_SLEEP [TEST_SLEEP [P1 [PARALLEL]]]]
#        make bench-local-slots [ARGS='1 0.5']   (ARGS='1 1 1 8': runs ahead at p1 = 1)
set -eu
build=${1:?usage: $0 BUILD_DIR [BUILD_SLEEP [TEST_SLEEP]]}
bsleep=${2:-1}
tsleep=${3:-0.5}
p1=${4:-0.3}
par=${5:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
kb=$(cd "$build" && pwd)/src/kbisect
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kbisect-bench-slots.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@b \
	GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@b

python3 "$here/scripts/gen-demo-repo.py" "$tmp/repo" --commits 300 --merges 12 --p1 "$p1" \
	--seed 2026 >"$tmp/info.json"
read -r bad good culprit < <(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["bad"], d["good"], d["culprit"])' "$tmp/info.json")

echo "p1 $p1, build +${bsleep}s, run +${tsleep}s, 20 runs at most per step, $par in parallel (nproc $(nproc))"
printf '%-6s %8s %9s %7s %22s %5s %16s %9s %7s\n' slots wall_s reported builds "ahead started/used/canc" runs "ahead s/u/stop" same_path culprit
for s in 0 1 2 2-; do
	ahead=true
	[ "$s" = 2- ] && ahead=false
	cat >"$tmp/c$s.json" <<EOF
{"repo": "$tmp/repo", "bad": "$bad", "good": "$good",
 "build": {"command": "sleep $bsleep; make -s", "artifacts": ["demo"], "timeout": 120,
           "slots": ${s%-}},
 "test": {"command": "sleep $tsleep; exec ./demo", "runs": 20, "parallel": $par, "timeout": 30,
          "runs_ahead": $ahead}}
EOF
	t0=$(date +%s.%N)
	"$kb" bisect "$tmp/c$s.json" --workdir "$tmp/w$s" --json "$tmp/r$s.json" >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	python3 - "$tmp/r$s.json" "$tmp/r0.json" "$t0" "$t1" "$s" "$culprit" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); base = json.load(open(sys.argv[2]))
path = lambda r: [(c['commit'], len(c['runs'])) for c in r['commits']]
sp = d['speculative_builds']; ra = d['runs_ahead']
print('%-6s %8.1f %9.1f %7d %22s %5d %16s %9s %7s' % (
    sys.argv[5], float(sys.argv[4]) - float(sys.argv[3]), d['seconds']['total'], d['builds'],
    '%d/%d/%d' % (sp['started'], sp['used'], sp['cancelled']), d['runs'],
    '%d/%d/%d' % (ra['started'], ra['used'], ra['cancelled']),
    'yes' if path(d) == path(base) else 'NO', 'right' if d['culprit'] == sys.argv[6] else 'WRONG'))
EOF
done
