#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Journal and cache, end to end.  A bisection killed with SIGKILL at several
# points and started again with the same command finds the same culprit, and
# both invocations together execute the test no more often than one clean
# run plus the runs that were in flight.  A second bisection of the same
# repository with other good/bad ends but the same commands reuses the
# journaled runs.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

gen rs --commits 60 --p1 0.5 --seed 41
bad=$(info rs bad)
good=$(info rs good)
culprit=$(info rs culprit)
par=2

# The reference strategy: its path depends on the verdicts only, so a resumed
# run must walk exactly the clean run's path.  (bayes calibrates its costs on
# measured wall-clock times, so two clean bayes runs may already differ.)
ref='"strategy": "reference"'
cfg clean rs "$bad" "$good" 10 $par "$ref"
bisect clean
expect_culprit clean "$culprit" "clean run"
total=$(count clean)
check "clean run: executions ($total) = runs in the JSON" test "$total" -eq "$(res clean "d['runs']")"

# kill_at NAME WHAT N: start the bisection, SIGKILL it once the counter has N
# lines (WHAT=runs) or the log has N lines (WHAT=lines), then run it again.
kill_at() {
	local name=$1 what=$2 n=$3 pid file have

	cfg "$name" rs "$bad" "$good" 10 $par "$ref"
	"$KB" bisect "$TMP/$name.cfg" --workdir "$TMP/$name.w" --json "$TMP/$name.json" \
		>"$TMP/$name.log1" 2>&1 &
	pid=$!
	file="$TMP/$name.count"
	[ "$what" = lines ] && file="$TMP/$name.log1"
	for _ in $(seq 1 2000); do
		have=0
		[ -f "$file" ] && have=$(wc -l <"$file")
		[ "$have" -ge "$n" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "# $name: killed after $(count "$name") executions, $(wc -l <"$TMP/$name.log1") log lines"
	bisect "$name"
	expect_culprit "$name" "$culprit" "killed at $what=$n, resumed"
	[ "$ref" ] || return 0 # bayes: the path may differ from the clean run's
	check "killed at $what=$n: executions over both runs $(count "$name") in [$total, $((total + par))]" \
		test "$(count "$name")" -ge "$total" -a "$(count "$name")" -le $((total + par))
}

kill_at k-start lines 2
kill_at k-early runs 3
kill_at k-mid runs $((total / 3))
kill_at k-late runs $((2 * total / 3))
kill_at k-lines lines 40
# bayes, killed in the middle: the same culprit after the resume.
ref='' kill_at k-bayes runs $((total / 2))
check "resumed run replays the journal: same tested commits as the clean run" \
	test "$(res k-mid "[c['commit'] for c in d['commits']]")" = \
	"$(res clean "[c['commit'] for c in d['commits']]")"

# Cache: other ends (bad = a commit the clean run found bad, good = commit 2),
# same commands, the clean run's journal.
h() { jget "$TMP/rs.info" "d['hashes'][$1]"; }
bad2=$(res clean "[c['commit'] for c in d['commits'] if c['role'] == 'bisect' and c['verdict'] == 'bad'][0]")
good2=$(h 2)
# The test command (with its counter file) is part of the cache key: keep
# the clean run's, count the executions of each bisection as a difference.
delta() { # delta NAME WORKDIR: executions of one bisection with the clean command
	local before after
	before=$(count clean)
	WORKDIR=$2 bisect "$1"
	after=$(count clean)
	echo $((after - before)) >"$TMP/$1.delta"
}
COUNTER=clean cfg cache-fresh rs "$bad2" "$good2" 10 $par "$ref"
delta cache-fresh "$TMP/cache-fresh.w"
expect_culprit cache-fresh "$culprit" "other ends, fresh work directory"
COUNTER=clean cfg cache-reuse rs "$bad2" "$good2" 10 $par "$ref"
delta cache-reuse "$TMP/clean.w"
expect_culprit cache-reuse "$culprit" "other ends, the first bisection's journal"
fresh=$(cat "$TMP/cache-fresh.delta")
reuse=$(cat "$TMP/cache-reuse.delta")
check "cache: fewer executions with the journal ($reuse) than without ($fresh)" \
	test "$reuse" -lt "$fresh"
# The same tested commits: the verdicts do not depend on where runs came from.
check "cache: same tested commits with and without the journal" \
	test "$(res cache-reuse "[c['commit'] for c in d['commits']]")" = \
	"$(res cache-fresh "[c['commit'] for c in d['commits']]")"
# bayes on the same journal (runs are keyed by signature and commands, not
# by strategy).
COUNTER=clean cfg cache-bayes rs "$bad2" "$good2" 10 $par
delta cache-bayes "$TMP/clean.w"
expect_culprit cache-bayes "$culprit" "bayes on the reference's journal"
check "cache: bayes reuses journaled runs ($(cat "$TMP/cache-bayes.delta") executions, $(res cache-bayes "d['runs']") runs shown)" \
	test "$(cat "$TMP/cache-bayes.delta")" -lt "$(res cache-bayes "sum(len(c['runs']) for c in d['commits'])")"

done_testing
