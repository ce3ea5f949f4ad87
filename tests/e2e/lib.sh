# SPDX-License-Identifier: Apache-2.0
# Helpers of the end-to-end tests (sourced).  Every test generates a git
# repository with scripts/gen-demo-repo.py, writes a config, runs the real
# kbisect binary and checks its exit code, its --json result and its log.
#
# usage in a test:  . "$(dirname "$0")/lib.sh" "$@"     ($1: the kbisect binary)
# Output is TAP; set KB_TEST_KEEP=1 to keep the temporary directory.

KB=${1:?usage: $0 PATH/TO/kbisect}
case $KB in /*) ;; *) KB=$PWD/$KB ;; esac
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${KBISECT_SRCDIR:-$(cd "$E2E_DIR/../.." && pwd)}
GEN="$SRCDIR/scripts/gen-demo-repo.py"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kb-e2e.XXXXXX") || exit 1
if [ -n "${KB_TEST_KEEP:-}" ]; then
	echo "# keeping $TMP"
else
	trap 'rm -rf "$TMP"' EXIT
fi

# A private, predictable git environment.
export GIT_CONFIG_NOSYSTEM=1 HOME="$TMP" LC_ALL=C GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
unset GIT_DIR GIT_WORK_TREE

T_N=0
T_FAIL=0

ok() { # ok COND-STATUS DESCRIPTION: TAP line from the status of the last command
	local st=$1
	shift
	T_N=$((T_N + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $T_N - $*"
	else
		echo "not ok $T_N - $*"
		T_FAIL=$((T_FAIL + 1))
	fi
	return "$st"
}

check() { # check DESCRIPTION COMMAND...: one TAP line for the command's status
	local d=$1
	shift
	"$@"
	ok $? "$d"
}

not() { ! "$@"; }

diag() { sed 's/^/# /'; }

done_testing() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
	exit $?
}

# gen NAME GEN-ARGS...: $TMP/NAME (repository) and $TMP/NAME.info (its JSON facts).
gen() {
	local name=$1
	shift
	rm -rf "${TMP:?}/$name"
	python3 "$GEN" "$TMP/$name" "$@" >"$TMP/$name.info" || {
		echo "Bail out! gen-demo-repo.py $* failed"
		exit 1
	}
}

# jq-like look-ups with python: jget FILE PYTHON-EXPR (the JSON is `d`).
jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2"
}
info() { jget "$TMP/$1.info" "d['$2']"; }

# cfg NAME REPO BAD GOOD RUNS PARALLEL [EXTRA-JSON-MEMBERS]: writes $TMP/NAME.cfg.
# GOOD may be "" (release walk).  Each run appends a line to $TMP/NAME.count
# before running the demo, so a test can count executions ($TMP/$COUNTER.count
# if COUNTER is set: the command is part of the journal's cache key, so
# configs that must share cached runs must share the counter too).
cfg() {
	local name=$1 repo=$2 bad=$3 good=$4 runs=$5 par=$6 extra=${7:-}
	local goodkv=""

	[ -n "$good" ] && goodkv="\"good\": \"$good\","
	[ -n "$extra" ] && extra=",$extra"
	cat >"$TMP/$name.cfg" <<EOF
{
  "repo": "$TMP/$repo",
  "bad": "$bad", $goodkv
  "build": {"command": "make -s", "artifacts": ["demo"], "timeout": 120},
  "test": {"command": "echo run >>'$TMP/${COUNTER:-$name}.count'; exec ./demo",
           "runs": $runs, "parallel": $par, "timeout": 30}$extra
}
EOF
}

# bisect NAME [ARGS...]: runs kbisect on $TMP/NAME.cfg with workdir $TMP/NAME.w;
# log in $TMP/NAME.log, stderr in $TMP/NAME.err, result in $TMP/NAME.json, exit
# code in $RC.  Set WORKDIR to share a work directory (journal) between runs.
bisect() {
	local name=$1
	shift
	"$KB" bisect "$TMP/$name.cfg" --workdir "${WORKDIR:-$TMP/$name.w}" \
		--json "$TMP/$name.json" "$@" >"$TMP/$name.log" 2>"$TMP/$name.err"
	RC=$?
	return 0
}

# Executions of the test command recorded for NAME.
count() { if [ -f "$TMP/$1.count" ]; then wc -l <"$TMP/$1.count"; else echo 0; fi; }

res() { jget "$TMP/$1.json" "$2"; }

# expect_culprit NAME WANT DESCRIPTION: exit 0, JSON verdict culprit = WANT,
# and the log names it as the first bad commit.
expect_culprit() {
	local name=$1 want=$2 d=$3 got

	check "$d: exit code 0" test "$RC" -eq 0 || diag <"$TMP/$name.err"
	got=$(res "$name" "d['culprit']" 2>/dev/null)
	check "$d: culprit $want (got $got)" test "$got" = "$want"
	check "$d: log says 'first bad commit: $want'" grep -q "^first bad commit: $want " "$TMP/$name.log"
}

has_line() { grep -qE "$2" "$TMP/$1.log"; }
