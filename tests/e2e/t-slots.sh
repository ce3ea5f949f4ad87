#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds beside the tests with the local backend (build.slots): while a
# commit is tested, the commits the engine would test next are built in
# other private clones of the repository.  The path (commits tested and
# their runs) is the one without slots; the builds ahead of need are used;
# the tree of the commit under test is never taken by them (no extra
# rebuilds); a build ahead of need that became useless is cancelled, also
# while it still waits for the slot.  A commit built ahead of need gets
# runs on VMs the step under way leaves idle (runs ahead), which the next
# step takes when it picks that commit; those of a commit the outcome ruled
# out are stopped.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# scfg NAME REPO SLOTS BUILD-SLEEP TEST-SLEEP: like cfg, with build.slots, a
# build command that counts its executions in $TMP/NAME.builds, and builds and
# runs taking that many seconds more.
scfg() {
	local name=$1 repo=$2 slots=$3 sleep=$4 tsleep=$5
	cat >"$TMP/$name.cfg" <<EOF
{
  "repo": "$TMP/$repo",
  "bad": "$(info "$repo" bad)", "good": "$(info "$repo" good)",
  "build": {"command": "echo b >>'$TMP/$name.builds'; sleep $sleep; make -s",
            "artifacts": ["demo"], "timeout": 120, "slots": $slots},
  "test": {"command": "sleep $tsleep; exec ./demo", "runs": 20, "parallel": 2, "timeout": 30}
}
EOF
}
execs() { wc -l <"$TMP/$1.builds"; }
path() { res "$1" "[(c['commit'], len(c['runs'])) for c in d['commits']]"; }

# -- the same path with and without slots, flaky crash ----------------------
gen fl --commits 300 --merges 12 --p1 0.3 --seed 2026
for s in 0 1; do
	scfg fl-$s fl $s 0 0.1
	t0=$(date +%s.%N)
	bisect fl-$s
	wall=$(python3 -c 'import sys; print(float(sys.argv[1]) - float(sys.argv[2]))' "$(date +%s.%N)" "$t0")
	expect_culprit fl-$s "$(info fl culprit)" "p1=0.3, build.slots $s"
	# nothing replayed: the reported time is the bisection's own clock
	check "build.slots $s: reported time $(res fl-$s "d['seconds']['total']") <= wall time $wall" \
		python3 -c 'import sys; sys.exit(not float(sys.argv[1]) <= float(sys.argv[2]))' \
		"$(res fl-$s "d['seconds']['total']")" "$wall"
done
check "slots 0 and 1: the same commits tested with the same runs" \
	test "$(path fl-0)" = "$(path fl-1)"
check "slots 0: nothing built ahead of need, one tree" \
	test "$(res fl-0 "d['speculative_builds']['started']")" -eq 0 -a ! -e "$TMP/fl-0.w/src-1"
started=$(res fl-1 "d['speculative_builds']['started']")
used=$(res fl-1 "d['speculative_builds']['used']")
check "slots 1: builds ahead of need ($started) in other trees, used ($used)" \
	test "$started" -ge 2 -a "$used" -ge 1 -a -d "$TMP/fl-1.w/src-1/.git"
# Executions beyond the JSON's builds are rebuilds for runs (a commit whose
# tree was reused); builds ahead of need must not add any.
re0=$(($(execs fl-0) - $(res fl-0 "d['builds']")))
re1=$(($(execs fl-1) - $(res fl-1 "d['builds'] + d['speculative_builds']['cancelled']")))
check "slots 1: rebuilds for runs ($re1) not more than without slots ($re0)" \
	test "$re1" -le "$re0"

# -- slow builds, fast tests: the build for the other outcome is dropped ----
gen ca --commits 60 --p1 1 --seed 9
scfg ca-1 ca 1 1 0
t0=$(date +%s.%N)
bisect ca-1
wall=$(python3 -c 'import sys; print(float(sys.argv[1]) - float(sys.argv[2]))' "$(date +%s.%N)" "$t0")
expect_culprit ca-1 "$(info ca culprit)" "p1=1, slow builds, build.slots 1"
# builds queued behind another: the model's guess of their start is not the time
check "slow builds: reported time $(res ca-1 "d['seconds']['total']") <= wall time $wall" \
	python3 -c 'import sys; sys.exit(not float(sys.argv[1]) <= float(sys.argv[2]))' \
	"$(res ca-1 "d['seconds']['total']")" "$wall"
cancelled=$(res ca-1 "d['speculative_builds']['cancelled']")
check "slow builds: useless builds ahead of need cancelled ($cancelled)" test "$cancelled" -ge 1
check "slow builds: executions ($(execs ca-1)) <= builds + cancelled" \
	test "$(execs ca-1)" -le "$(res ca-1 "d['builds'] + d['speculative_builds']['cancelled']")"
check "slow builds: the culprit's block is complete" \
	has_line ca-1 "^first bad commit: $(info ca culprit) "

# -- runs ahead of need on idle VMs ----------------------------------------
# p1 = 1: a step takes a few of 12 parallel runs, so both commits built
# ahead get as many on the idle VMs (builds take well under the 1.5 s of a
# run, also on a loaded machine).  Every run is counted in $TMP/NAME.count.
gen ah --commits 60 --p1 1 --seed 5
acfg() {
	local name=$1 slots=$2
	cat >"$TMP/$name.cfg" <<EOF
{
  "repo": "$TMP/ah",
  "bad": "$(info ah bad)", "good": "$(info ah good)",
  "build": {"command": "sleep 0.1; make -s", "artifacts": ["demo"], "timeout": 120,
            "slots": $slots},
  "test": {"command": "echo r >>'$TMP/$name.count'; sleep 1.5; exec ./demo", "runs": 10,
           "parallel": 12, "timeout": 30}
}
EOF
}
for s in 0 2; do
	acfg ah-$s $s
	bisect ah-$s
	expect_culprit ah-$s "$(info ah culprit)" "p1=1, build.slots $s"
done
check "runs ahead: the same commits tested with the same runs" \
	test "$(path ah-0)" = "$(path ah-2)"
started=$(res ah-2 "d['runs_ahead']['started']")
used=$(res ah-2 "d['runs_ahead']['used']")
check "runs ahead: none without build slots" test "$(res ah-0 "d['runs_ahead']['started']")" -eq 0
check "runs ahead: started ($started), used ($used)" test "$used" -ge 1 -a "$started" -ge "$used"
cancelled=$(res ah-2 "d['runs_ahead']['cancelled']")
check "runs ahead: VM-runs $(res ah-2 "d['runs']") = $(res ah-0 "d['runs']") + $started - $used - $cancelled (stopped)" \
	test "$(res ah-2 "d['runs']")" -eq "$(($(res ah-0 "d['runs']") + started - used - cancelled))"
# a stopped run started the command (or was stopped before it could)
check "runs ahead: test executions ($(count ah-2)) = runs .. runs + stopped" \
	test "$(count ah-2)" -ge "$(res ah-2 "d['runs']")" -a \
	"$(count ah-2)" -le "$(($(res ah-2 "d['runs']") + cancelled))"
# resume: the runs ahead were journaled, nothing runs again
n=$(count ah-2)
bisect ah-2
expect_culprit ah-2 "$(info ah culprit)" "p1=1, build.slots 2, resumed"
check "runs ahead: a resume runs nothing ($(count ah-2) executions, $n before)" \
	test "$(count ah-2)" -eq "$n"

done_testing
