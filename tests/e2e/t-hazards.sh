#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# kbisect bisect end to end on histories with hazards: an old, unrelated
# crash with another title; a range of commits that does not build; a range
# whose runs cannot boot (exit 125); documentation-only commits (identical
# binaries: evidence is reused, not re-run); a culprit whose binary equals
# its parent's (flags.noop).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# -- other crash with another title in old commits ---------------------------
# Commits 10..37 crash in 90% of the runs with a WARNING (an old bug fixed
# later); commit 45 brings the KASAN use-after-free that is bisected.
gen oc --commits 60 --p1 1 --other 10:38 --p-other 0.9 --culprit 45 --seed 7
cfg oc-bayes oc "$(info oc bad)" "$(info oc good)" 10 2
bisect oc-bayes --strategy bayes
expect_culprit oc-bayes "$(info oc culprit)" "other crash in old commits, bayes"
check "other crash bayes: the WARNING runs are in the log" \
	has_line oc-bayes '^run #[0-9]+: crashed: WARNING in legacy_probe$'
check "other crash bayes: the result title is the KASAN crash" \
	test "$(res oc-bayes "d['title']")" = "KASAN: use-after-free Read in demo_handle_request"
# The reference counts any crash as bad: it follows the old bug to the first
# commit that has it.  That is the documented weakness, checked as such.
cfg oc-ref oc "$(info oc bad)" "$(info oc good)" 10 2
bisect oc-ref --strategy reference
want=$(jget "$TMP/oc.info" "d['hashes'][10]")
check "other crash reference: exit 0 with culprit = first commit of the old bug" \
	test "$RC:$(res oc-ref "d['culprit']")" = "0:$want"
check "other crash reference: marks a WARNING-only commit bad" \
	python3 - "$TMP/oc-ref.log" <<'EOF'
import re, sys
cur, warn, kasan = None, False, False
for line in open(sys.argv[1]):
    m = re.match(r"testing commit ([0-9a-f]{40})", line)
    if m:
        cur, warn, kasan = m.group(1), False, False
    warn |= "crashed: WARNING in legacy_probe" in line
    kasan |= "crashed: KASAN" in line
    m = re.match(r"# git bisect bad ([0-9a-f]{40})", line)
    if m and m.group(1) == cur and warn and not kasan:
        sys.exit(0)
sys.exit(1)
EOF

# -- a range that does not build ---------------------------------------------
gen nb --commits 40 --p1 1 --broken 12:26 --culprit 30 --seed 8
for s in reference bayes; do
	cfg nb-$s nb "$(info nb bad)" "$(info nb good)" 10 2
	bisect nb-$s --strategy $s
	expect_culprit nb-$s "$(info nb culprit)" "non-building range, $s"
	check "non-building $s: log shows 'failed building H: ... does not build'" \
		has_line nb-$s '^failed building [0-9a-f]{40}: .*this tree does not build'
	check "non-building $s: JSON build status failed, verdict skip" \
		test "$(res nb-$s "sorted({(c['build']['status'], c['verdict']) for c in d['commits'] if c['build']['status'] != 'ok'})")" = '[["failed", "skip"]]'
done
check "non-building reference: '# git bisect skip H' after the failed build" \
	has_line nb-reference '^# git bisect skip [0-9a-f]{40}$'

# A broken range right below the culprit: no single answer.
gen nb2 --commits 30 --p1 1 --broken 16:20 --culprit 20 --doc-every 0 --seed 8
cfg nb2 nb2 "$(info nb2 bad)" "$(info nb2 good)" 10 2
bisect nb2 --strategy reference
check "broken range below the culprit: exit 1, inconclusive" \
	test "$RC:$(res nb2 "d['verdict']")" = "1:inconclusive"
check "inconclusive: the log lists the candidates" \
	has_line nb2 '^bisection is inconclusive, the first bad commit could be any of:$'
check "inconclusive: the culprit is among the candidates" \
	test "$(res nb2 "'$(info nb2 culprit)' in [c['commit'] for c in d['candidates']]")" = true

# -- boot-like failures: a range whose runs all exit 125 ----------------------
gen bt --commits 40 --p1 1 --boot 12:26 --culprit 30 --seed 9
for s in reference bayes; do
	cfg bt-$s bt "$(info bt bad)" "$(info bt good)" 10 2
	bisect bt-$s --strategy $s
	expect_culprit bt-$s "$(info bt culprit)" "boot failures (exit 125), $s"
	check "boot failures $s: runs show exit code 125" \
		has_line bt-$s '^(all runs|run #[0-9]+): .*125'
	check "boot failures $s: JSON run outcome skip" \
		test "$(res bt-$s "any(r['outcome'] == 'skip' for c in d['commits'] for r in c['runs'])")" = true
done

# -- documentation-only commits: same binary, evidence reused -----------------
# Commits 2..11 change only the README: they all build to commit 1's binary.
gen dc --commits 14 --p1 1 --docs 2:12 --culprit 12 --seed 10
for s in reference bayes; do
	cfg dc-$s dc "$(info dc bad)" "$(info dc good)" 10 2
	bisect dc-$s --strategy $s
	expect_culprit dc-$s "$(info dc culprit)" "docs-only commits, $s"
	check "docs-only $s: log says the runs of an equal binary are reused" \
		has_line dc-$s '^same build signature as commit [0-9a-f]{40}: reusing its [0-9]+ runs$'
	check "docs-only $s: runs executed ($(count dc-$s)) = runs reported ($(res dc-$s "d['runs']"))" \
		test "$(count dc-$s)" -eq "$(res dc-$s "d['runs']")"
	check "docs-only $s: fewer executions than runs the tested commits stand on" \
		test "$(count dc-$s)" -lt "$(res dc-$s "sum(len(c['runs']) for c in d['commits'])")"
done

# -- the culprit's binary equals its parent's (noop) --------------------------
# Commit 20 changes only demo.conf, read at run time, with good = its parent.
# The reference lands on it and must flag it.  bayes treats equal binaries
# as one (a commit with its parent's binary cannot be the culprit), so it
# tests the good end, finds it crashing and says so instead of naming one.
gen nc --commits 30 --p1 1 --culprit 20 --culprit-docs --seed 12
cfg nc-reference nc "$(info nc bad)" "$(info nc culprit_parent)" 10 2
bisect nc-reference --strategy reference
expect_culprit nc-reference "$(info nc culprit)" "noop culprit, reference"
check "noop reference: flags.noop" test "$(res nc-reference "d['flags']['noop']")" = true
check "noop reference: parent built for its signature" \
	has_line nc-reference "^parent commit $(info nc culprit_parent) wasn't tested\$"
cs=$(sed -n 's/^culprit signature: //p' "$TMP/nc-reference.log")
ps=$(sed -n 's/^parent  signature: //p' "$TMP/nc-reference.log")
check "noop reference: culprit signature = parent signature" test -n "$cs" -a "$cs" = "$ps"
cfg nc-bayes nc "$(info nc bad)" "$(info nc culprit_parent)" 10 2
bisect nc-bayes --strategy bayes
# Depending on where it tests first, bayes either names the culprit and
# flags it (the parent was not built before) or stops at the good end.
echo "# noop bayes: exit $RC, verdict $(res nc-bayes "d['verdict']")"
if [ "$RC" -eq 0 ]; then
	check "noop bayes: culprit flagged noop" \
		test "$(res nc-bayes "[d['culprit'], d['flags']['noop']]")" = "[\"$(info nc culprit)\", true]"
else
	check "noop bayes: exit 1, inconclusive" test "$RC:$(res nc-bayes "d['verdict']")" = "1:inconclusive"
	check "noop bayes: the log says the good end crashes too" \
		has_line nc-bayes "^the good end $(info nc culprit_parent) crashes too"
	check "noop bayes: the culprit and its parent share their runs" \
		has_line nc-bayes "^same build signature as commit [0-9a-f]{40}: reusing its"
fi
check "noop bayes: at most one 'inconclusive' line" \
	test "$(grep -c '^bisection is inconclusive' "$TMP/nc-bayes.log")" -le 1

done_testing
