#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Bad inputs to kbisect bisect: each must exit 2 and print exactly one line
# on stderr that names the problem.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

gen er --commits 12 --p1 1 --seed 21
bad=$(info er bad)
good=$(info er good)

# expect_error NAME PATTERN DESCRIPTION
expect_error() {
	check "$3: exit 2" test "$RC" -eq 2 || diag <"$TMP/$1.err"
	check "$3: one line on stderr" test "$(wc -l <"$TMP/$1.err")" -eq 1
	check "$3: it says /$2/" grep -qE "$2" "$TMP/$1.err" || diag <"$TMP/$1.err"
}

cfg missing nope "$bad" "$good" 2 1
bisect missing
expect_error missing "repo.*nope.*(not a directory|does not exist)" "missing repository"

cfg unknown er "$bad" "deadbeefdeadbeef" 2 1
bisect unknown
expect_error unknown "deadbeefdeadbeef" "unknown good commit"

cfg unknownbad er "no-such-branch" "$good" 2 1
bisect unknownbad
expect_error unknownbad "no-such-branch" "unknown bad revision"

# good not an ancestor of bad: swap them
cfg swapped er "$good" "$bad" 2 1
bisect swapped
expect_error swapped "not an ancestor" "good not an ancestor of bad"

# a full hash that is not in this repository
cfg foreign er "$bad" 0123456789abcdef0123456789abcdef01234567 2 1
bisect foreign
expect_error foreign 0123456789abcdef0123456789abcdef01234567 "good: a full hash not in the repository"

# bad does not crash: the root commit of the history has no bug
cfg nocrash er "$(jget "$TMP/er.info" "d['hashes'][1]")" "$good" 4 2
bisect nocrash --strategy reference
expect_error nocrash "does not crash" "bad does not crash (reference)"
check "bad does not crash (reference): verdict not-reproducible" \
	test "$(res nocrash "d['verdict']")" = not-reproducible
bisect nocrash --strategy bayes
expect_error nocrash "does not crash" "bad does not crash (bayes)"

# broken configs
printf '{"repo": "%s", "bad": "main",\n "test": {"command": "./demo", "runz": 3}}\n' \
	"$TMP/er" >"$TMP/typo.cfg"
bisect typo
expect_error typo 'typo.cfg:2:.*unknown key "runz".*did you mean "runs"' "config with a typo"
printf '{"repo": "%s", "bad": "main", "test": {"command": "./demo"}\n' "$TMP/er" >"$TMP/syntax.cfg"
bisect syntax
expect_error syntax 'syntax.cfg:[0-9]+' "config with a syntax error"
printf '{"repo": "%s", "test": {"command": "./demo"}}\n' "$TMP/er" >"$TMP/nobad.cfg"
bisect nobad
expect_error nobad 'missing key "bad"' "config without bad"
: >"$TMP/empty.cfg"
bisect empty
expect_error empty 'empty.cfg' "empty config"
"$KB" bisect "$TMP/does-not-exist.cfg" >/dev/null 2>"$TMP/nofile.err"
RC=$?
expect_error nofile "does-not-exist.cfg" "config file missing"
check "no work was done for bad inputs: no journal" test ! -e "$TMP/missing.w/journal.sqlite"

# A work directory another kbisect holds (this shell's flock stands in for it): the
# second one stops before it touches the journal, the clone or the counter.
cfg busy er "$bad" "$good" 2 1
mkdir -p "$TMP/busy.w"
exec 9>"$TMP/busy.w/lock"
flock -x 9
bisect busy
exec 9>&-
expect_error busy "work directory '$TMP/busy.w' is in use by another kbisect" "work directory in use"
check "work directory in use: no journal, no clone, no run" \
	test ! -e "$TMP/busy.w/journal.sqlite" -a ! -e "$TMP/busy.w/src" -a ! -e "$TMP/busy.count"
bisect busy
check "work directory free again: the bisection runs (exit $RC)" test "$RC" -eq 0

done_testing
