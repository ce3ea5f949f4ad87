#!/usr/bin/env bash
# make demo: show kbisect on real and generated data.
#  1. parse a real kernel console log from the shared test data (title + report);
#  2. generate a git repository with a few hundred commits, merges, docs-only
#     commits and a flaky crash (30% of runs), bisect it with the default
#     strategy and print the log and the result.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
shared=${KBISECT_SHARED:-$(cd "$here/../.." && pwd)/shared}
kb="$(cd "$build" && pwd)/src/kbisect"

# A real syzbot console log (KASAN report among fuzzer output), when the shared data is there.
log="$shared/testdata/crash-reports/165"
if [ -f "$log" ]; then
	echo "== kbisect report (a real kernel console log: $log, test header removed)"
	# sed, not head: the whole output is read, so kbisect never gets SIGPIPE
	sed '1,/^$/d' "$log" | "$kb" report - | sed -n '1,16p'
	echo "   ..."
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kbisect-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@demo \
	GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@demo

echo
echo "== generating a repository: 300 commits, 12 merged topic branches, crash in 30% of runs"
python3 "$here/gen-demo-repo.py" "$tmp/repo" --commits 300 --merges 12 --p1 0.3 --seed 2026 \
	>"$tmp/info.json"
read -r bad good culprit < <(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["bad"], d["good"], d["culprit"])' "$tmp/info.json")
cat >"$tmp/config.json" <<EOC
{
  "repo": "$tmp/repo",
  "bad": "$bad",
  "good": "$good",
  "build": {"command": "make -s", "artifacts": ["demo"], "timeout": 120},
  "test": {"command": "./demo", "runs": 20, "parallel": 2, "timeout": 30}
}
EOC
echo "== config:"
cat "$tmp/config.json"
echo "== kbisect bisect config.json (the generator planted the bug in $culprit)"
echo
start=$(date +%s)
rc=0
"$kb" bisect "$tmp/config.json" --workdir "$tmp/work" --json "$tmp/result.json" || rc=$?
end=$(date +%s)
echo
echo "== exit code $rc after $((end - start))s; result:"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("verdict %s, culprit %s, confidence %s" % (d["verdict"], d["culprit"], d["confidence"]))
print("%d revisions tested, %d builds, %d runs" % (d["revisions_tested"], d["builds"], d["runs"]))
print("planted culprit found" if d["culprit"] == sys.argv[2] else "WRONG culprit (planted: %s)" % sys.argv[2])
sys.exit(d["culprit"] != sys.argv[2])' "$tmp/result.json" "$culprit"
exit $rc
