#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# kbisect bisect end to end on generated repositories: a linear history with
# a crash in every run (both strategies), merge-heavy histories with the
# culprit on a topic branch and the culprit being a merge, and flaky crashes
# (p = 0.5 and p = 0.1) where the bayes strategy must still be right.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# -- linear, p1 = 1, both strategies ---------------------------------------
gen lin --commits 40 --p1 1 --seed 11
for s in reference bayes; do
	cfg lin-$s lin "$(info lin bad)" "$(info lin good)" 10 2
	bisect lin-$s --strategy $s
	expect_culprit lin-$s "$(info lin culprit)" "linear p1=1 $s"
	check "linear $s: log starts with 'bisecting cause commit starting from BAD'" \
		test "$(head -n 1 "$TMP/lin-$s.log")" = \
		"bisecting cause commit starting from $(info lin bad)"
	check "linear $s: '# git bisect start BAD GOOD'" \
		has_line lin-$s "^# git bisect start $(info lin bad) $(info lin good)\$"
	check "linear $s: crash title is the KASAN report" \
		has_line lin-$s "^crash: KASAN: use-after-free Read in demo_handle_request\$"
	check "linear $s: culprit/parent signature lines differ" \
		test "$(sed -n 's/^culprit signature: //p' "$TMP/lin-$s.log")" != \
		"$(sed -n 's/^parent  signature: //p' "$TMP/lin-$s.log")"
	check "linear $s: not flagged noop/merge" \
		test "$(res lin-$s "[d['flags']['noop'], d['flags']['merge']]")" = "[false, false]"
	check "linear $s: recipients from the culprit's trailers" \
		has_line lin-$s '^recipients \(to\): \[.*"rita@demo.example"'
	check "linear $s: stats line" \
		has_line lin-$s '^revisions tested: [0-9]+, total time: .*\(build: .*, test: .*\)$'
done
# The reference makes 20 runs on the start commit and 10 per step with p=1.
check "linear reference: 20 runs on the start commit" \
	test "$(res lin-reference "[d['commits'][0]['role'], len(d['commits'][0]['runs'])]")" = '["start", 20]'
check "linear reference: runs = 20 + 10 per tested revision" \
	test "$(res lin-reference "d['runs']")" = \
	"$((20 + 10 * ($(res lin-reference "d['revisions_tested']") - 1)))"
check "linear: bayes needs fewer runs than reference with p1=1" \
	test "$(res lin-bayes "d['runs']")" -lt "$(res lin-reference "d['runs']")"

# -- merge-heavy history: culprit on a topic branch --------------------------
gen mb --commits 80 --merges 8 --culprit-on-branch --p1 1 --seed 5
for s in reference bayes; do
	cfg mb-$s mb "$(info mb bad)" "$(info mb good)" 10 2
	bisect mb-$s --strategy $s
	expect_culprit mb-$s "$(info mb culprit)" "merges, culprit on a branch, $s"
	check "merges on branch $s: culprit is not a merge" \
		test "$(res mb-$s "d['flags']['merge']")" = false
done

# -- merge-heavy history: the culprit is a merge ----------------------------
gen mm --commits 80 --merges 8 --culprit-merge --p1 1 --seed 6
for s in reference bayes; do
	cfg mm-$s mm "$(info mm bad)" "$(info mm good)" 10 2
	bisect mm-$s --strategy $s
	expect_culprit mm-$s "$(info mm culprit)" "culprit is a merge, $s"
	check "merge culprit $s: flags.merge" test "$(res mm-$s "d['flags']['merge']")" = true
	check "merge culprit $s: no signature lines for a merge" \
		not has_line mm-$s '^culprit signature:'
done

# -- flaky: p1 = 0.5 --------------------------------------------------------
gen f5 --commits 60 --p1 0.5 --seed 3
cfg f5 f5 "$(info f5 bad)" "$(info f5 good)" 10 2
bisect f5 --strategy bayes
expect_culprit f5 "$(info f5 culprit)" "p1=0.5 bayes"
check "p1=0.5 bayes: confidence >= 0.99" \
	python3 -c 'import sys; sys.exit(not float(sys.argv[1]) >= 0.99)' "$(res f5 "d['confidence']")"
check "p1=0.5 bayes: both crashed and OK runs on the start commit" \
	test "$(sed -n '3,/^#/p' "$TMP/f5.log" | grep -c '^run #[0-9]*: OK$')" -gt 0

# -- flaky: p1 = 0.1 (100 commits) -------------------------------------------
gen f1 --commits 100 --p1 0.1 --seed 4
cfg f1 f1 "$(info f1 bad)" "$(info f1 good)" 40 2
bisect f1 --strategy bayes
expect_culprit f1 "$(info f1 culprit)" "p1=0.1 bayes"
check "p1=0.1 bayes: confidence >= 0.99" \
	python3 -c 'import sys; sys.exit(not float(sys.argv[1]) >= 0.99)' "$(res f1 "d['confidence']")"
echo "# p1=0.1: $(res f1 "d['runs']") runs, $(res f1 "d['revisions_tested']") revisions"

# -- time budget: spent before the search converges ---------------------------
# A 10 ms budget is gone once the start commit is built and tested: no
# search step starts, the result is inconclusive (exit 1) and says why.
cfg tb f5 "$(info f5 bad)" "$(info f5 good)" 10 2 '"time_budget": 0.01'
bisect tb
check "time budget: exit 1 (inconclusive), got $RC" test "$RC" -eq 1
check "time budget: verdict inconclusive" test "$(res tb "d['verdict']")" = inconclusive
check "time budget: the log says the budget was spent" \
	has_line tb 'time budget of 0.01 s spent before the search converged'

done_testing
