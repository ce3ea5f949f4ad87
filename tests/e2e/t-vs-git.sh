#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# kbisect bisect --strategy reference against real `git bisect run` on
# generated merge-heavy histories with a deterministic test (p = 1; a commit
# that does not build is skipped, exit 125): the sequence of tested commits
# and their verdicts (`# git bisect good|bad|skip H` in our log, `git bisect
# good|bad|skip H` in git's bisect log) and the first bad commit must be
# identical.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# The oracle git runs: build (125 when it fails), then the demo.
cat >"$TMP/oracle.sh" <<'EOS'
#!/bin/sh
make -s >/dev/null 2>&1 || exit 125
./demo >/dev/null 2>&1 || exit 1
exit 0
EOS
chmod +x "$TMP/oracle.sh"

n=0
for spec in "--merges 6 --culprit-on-branch --seed 31" \
	"--merges 8 --culprit-merge --seed 32" \
	"--merges 10 --seed 33" \
	"--merges 6 --culprit-on-branch --broken 20:26 --seed 34"; do
	n=$((n + 1))
	# shellcheck disable=SC2086 # $spec is a list of options
	gen vg$n --commits 60 --p1 1 $spec
	bad=$(info vg$n bad)
	good=$(info vg$n good)
	git clone -q "$TMP/vg$n" "$TMP/vg$n.git"
	(cd "$TMP/vg$n.git" && git bisect start "$bad" "$good" >/dev/null &&
		git bisect run "$TMP/oracle.sh" >"$TMP/vg$n.gitrun" 2>&1
		git bisect log) | sed -n 's/^git bisect \(good\|bad\|skip\) \([0-9a-f]\{40\}\)$/\1 \2/p' \
		>"$TMP/vg$n.want"
	cfg vg$n vg$n "$bad" "$good" 10 2
	bisect vg$n --strategy reference
	sed -n 's/^# git bisect \(good\|bad\|skip\) \([0-9a-f]\{40\}\)$/\1 \2/p' "$TMP/vg$n.log" \
		>"$TMP/vg$n.got"
	check "vs git $n ($spec): git tested commits" test -s "$TMP/vg$n.want"
	check "vs git $n: same $(wc -l <"$TMP/vg$n.want") tested commits and verdicts as git bisect run" \
		cmp -s "$TMP/vg$n.want" "$TMP/vg$n.got" ||
		diff "$TMP/vg$n.want" "$TMP/vg$n.got" | diag
	first=$(sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' "$TMP/vg$n.gitrun")
	check "vs git $n: same first bad commit as git ($first)" \
		test -n "$first" -a "$(res vg$n "d['culprit']")" = "$first"
	check "vs git $n: that is the generated culprit" test "$first" = "$(info vg$n culprit)"
done

done_testing
