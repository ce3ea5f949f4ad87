#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The key test of lib/bisect/gitbisect: on seeded generated repositories
# (linear, merge-heavy, criss-cross; 20-300 commits; several date patterns;
# culprits on branches and on merges; some runs with skipped commits) the
# commits our search proposes, every "Bisecting:" line and the final answer
# (first bad commit with git's commit block, or the "only skipped commits
# left" list) must be identical to what `git bisect run` prints.
#
# usage: t-gitbisect-vs-git.sh DRIVER [COUNT [SEED]]   (TAP output)
set -u
driver=$1
count=${2:-45}
seed=${3:-1}
srcdir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kb-gitbisect.XXXXXX") || exit 1
[ -n "${KB_TEST_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT

export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" LC_ALL=C GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
unset GIT_DIR GIT_WORK_TREE

if ! python3 "$srcdir/gen-repos.py" "$tmp/r" "$count" "$seed"; then
	echo "1..0 # SKIP cannot generate repositories"
	exit 0
fi

# The test command of `git bisect run`: skip, then the marker oracle.
cat >"$tmp/oracle" <<'EOS'
#!/bin/sh
h=$(git rev-parse HEAD)
grep -qx "$h" "$KB_SKIPS" && exit 125
test -f marker && exit 1
exit 0
EOS
chmod +x "$tmp/oracle"

# git's run output without the lines that only `bisect run` prints.
normalize() {
	sed -e "/^running  *'/d" \
	    -e 's/bisect found first bad commit$//' \
	    -e 's/bisect run success$//' \
	    -e '/^error: bisect run cannot continue any more$/d' \
	    -e 's/bisect run cannot continue any more$//' | sed -e '/^$/{$d;}'
}

echo "1..$count"
fail=0
k=0
while [ "$k" -lt "$count" ]; do
	d=$tmp/r/$(printf %03d "$k")
	desc=$(cat "$d/desc")
	start=$(cat "$d/start")
	(
		cd "$d/repo" &&
		git bisect start $start &&
		KB_SKIPS=$d/skips git bisect run "$tmp/oracle"
	) >"$d/git.raw" 2>&1
	normalize <"$d/git.raw" >"$d/git.out"
	"$driver" "$d/repo" "$d/verdicts" $start >"$d/ours.raw" 2>"$d/ours.err"
	rc=$?
	normalize <"$d/ours.raw" >"$d/ours.out"
	git -C "$d/repo" rev-list --bisect-all $(echo "$start" | sed 's/ / ^/g') |
		sed 's/ (.*dist=/ (dist=/' >"$d/git.rank"
	"$driver" "$d/repo" - $start >"$d/ours.rank" 2>>"$d/ours.err" || rc=1
	if ! cmp -s "$d/git.rank" "$d/ours.rank"; then
		echo "# --bisect-all ranking differs" >>"$d/ours.err"
		rc=1
	fi
	if [ $rc -eq 0 ] && cmp -s "$d/git.out" "$d/ours.out"; then
		steps=$(grep -c '^Bisecting:' "$d/git.out")
		echo "ok $((k + 1)) - $desc steps=$steps"
	else
		echo "not ok $((k + 1)) - $desc"
		sed 's/^/# /' "$d/ours.err"
		diff -u "$d/git.out" "$d/ours.out" | head -40 | sed 's/^/# /'
		fail=$((fail + 1))
	fi
	k=$((k + 1))
done
exit $((fail > 0))
