#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The release walk (no "good" in the config): release tags older than bad are
# tested newest to oldest and the first good one ends the walk.  Also the two
# ends of the reference without a good tag: the oldest release still
# crashes, and the releases only give errors.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# Tags v1.1..v1.7 on mainline commits 8, 16, ..., 56; the culprit is 30, so
# v1.4 (32) crashes and v1.3 (24) is the good end.
gen rw --commits 60 --p1 1 --tags 8 --culprit 30 --seed 23
for s in reference bayes; do
	cfg rw-$s rw "$(info rw bad)" "" 10 2
	bisect rw-$s --strategy $s
	expect_culprit rw-$s "$(info rw culprit)" "release walk, $s"
	check "release walk $s: tags tested newest to oldest, stops at the first good one" \
		test "$(sed -n 's/^testing release //p' "$TMP/rw-$s.log" | tr '\n' ' ')" = \
		"v1.7 v1.6 v1.5 v1.4 v1.3 "
	check "release walk $s: git bisect starts between the last bad tag and v1.3" \
		has_line rw-$s "^# git bisect start $(jget "$TMP/rw.info" "d['tags']['v1.4']") v1.3\$"
	check "release walk $s: JSON has the release commits with their tags" \
		test "$(res rw-$s "[c['tag'] for c in d['commits'] if c['role'] == 'release']")" = \
		'["v1.7", "v1.6", "v1.5", "v1.4", "v1.3"]'
done

# The bug is older than every release: the oldest release crashes.
gen ro --commits 40 --p1 1 --tags 8 --culprit 3 --seed 24
for s in reference bayes; do
	cfg ro-$s ro "$(info ro bad)" "" 10 2
	bisect ro-$s --strategy $s
	check "oldest release crashes $s: exit 1" test "$RC" -eq 1
	check "oldest release crashes $s: verdict oldest-release-bad" \
		test "$(res ro-$s "d['verdict']")" = oldest-release-bad
	check "oldest release crashes $s: every tag tested down to v1.1" \
		test "$(sed -n 's/^testing release //p' "$TMP/ro-$s.log" | tail -n 1)" = v1.1
	check "oldest release crashes $s: the log says so" \
		has_line ro-$s '^oldest tested release already had the bug'
done

# Every release fails to build: only errors.
gen re --commits 40 --p1 1 --tags 8 --culprit 36 --broken 4:34 --seed 25
cfg re re "$(info re bad)" "" 10 2
bisect re --strategy reference
check "releases only give errors: exit 3" test "$RC" -eq 3
check "releases only give errors: verdict error" test "$(res re "d['verdict']")" = error
check "releases only give errors: the log says so" \
	has_line re '^error: oldest tested release had build, boot or test errors$'
check "releases only give errors: each tag shows failed building" \
	test "$(grep -c '^failed building' "$TMP/re.log")" -eq 4

# Without tags and without good: a clear error.
gen nt --commits 10 --p1 1 --seed 26
cfg nt nt "$(info nt bad)" "" 4 2
bisect nt
check "no good and no tags: exit 2" test "$RC" -eq 2
check "no good and no tags: the message asks for \"good\"" grep -q 'set "good"' "$TMP/nt.err"

done_testing
