#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Kernel end-to-end test: real kernel builds of a synthetic history on
# Debian's linux-source-6.1 (scripts/kernel-e2e.sh), real QEMU boots, one
# "kbisect bisect" from the bad HEAD with a release walk.  It must name the
# culprit, print every line type of the reference format, and symbolize the
# crash report (file:line) with a code disassembly.  A compiler table builds
# the release v6.1.2 and its ancestors with clang-14 and everything from
# v6.1.3 on with gcc, each in its own O= directory, so the gcc builds stay
# incremental.  Then a second "kbisect bisect --strategy bayes" on the same
# work directory (builds and runs mostly from the journal) must agree.
#
# Usage: t-kernel-e2e.sh KBISECT [--show]   (--show: print the log, for make demo-kernel)
# Env:   KBISECT_KERNEL_CACHE (default /var/tmp/kbisect-kernel-cache)
set -uo pipefail

kbisect=${1:?usage: $0 KBISECT [--show]}
show=${2:-}
srcdir=${KBISECT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cache=${KBISECT_KERNEL_CACHE:-/var/tmp/kbisect-kernel-cache}

for p in qemu-system-x86_64 gcc clang-14 make flex bison bc ccache; do
	command -v $p >/dev/null || { echo "1..0 # SKIP $p missing (scripts/install-deps.sh kernel)"; exit 77; }
done
[ -f /usr/src/linux-source-6.1.tar.xz ] && [ -x /bin/busybox ] ||
	{ echo "1..0 # SKIP linux-source-6.1 or busybox-static missing"; exit 77; }
avail=$(df -Pk "$(dirname "$cache")" | awk 'NR==2 {print $4}')
if [ ! -d "$cache/linux" ] && [ "${avail:-0}" -lt 4000000 ]; then
	echo "1..0 # SKIP less than 4 GB free for $cache"
	exit 77
fi

# One test at a time per cache: a second one (CI next to a developer's
# run) would delete the first one's logs and journal under its feet.
mkdir -p "$cache"
exec 9>"$cache/.lock"
if ! flock -n 9; then
	echo "# waiting for another kernel e2e test using $cache"
	flock 9
fi

t0=$(date +%s)
"$srcdir/scripts/kernel-e2e.sh" "$cache" || { echo "not ok 1 - kernel history"; exit 1; }
t1=$(date +%s)
# shellcheck disable=SC1091
. "$cache/history.env"

work=$cache/work
# A fresh bisection, but the private clone stays: its files keep their
# mtimes, so the persistent build directory rebuilds incrementally.
rm -rf "$work/state/journal.sqlite"* "$work/state/logs" "$work/state/images" "$work"/*.log
mkdir -p "$work"
# Before per-compiler O= directories, kernel-build was the gcc tree itself.
# A moved O= tree was rebuilt in full anyway (measured), so drop it.
if [ -f "$cache/kernel-build/Makefile" ]; then
	rm -rf "$cache/kernel-build"
fi
cat >"$work/bisect.json" <<EOF
{
  "kind": "linux",
  "repo": "$cache/linux",
  "bad": "$BAD",
  "release_tags": "v6.1.*",
  "test": {
    "backend": "qemu",
    "command": "/repro",
    "runs": 10,
    "parallel": 2,
    "timeout": 120
  },
  "strategy": "reference",
  "linux": {
    "config": "$cache/kernel.config",
    "arch": "x86_64",
    "reproducer": "$cache/repro.c",
    "reproducer_timeout": 30,
    "required_configs": ["KALLSYMS", "BLK_DEV_INITRD", "UNWINDER_ORC"],
    "vms": 2,
    "memory": 256,
    "build_dir": "$cache/kernel-build",
    "ccache_dir": "$cache/ccache",
    "jobs": 2,
    "compilers": [
      { "since_tag": "v6.1.3", "cc": "gcc" },
      { "cc": "clang-14" }
    ]
  }
}
EOF
log=$work/bisect.log
"$kbisect" bisect "$work/bisect.json" --workdir "$work/state" --json "$work/result.json" \
	>"$log" 2>"$work/stderr"
rc=$?
t2=$(date +%s)
[ -n "$show" ] && cat "$log"

n=0 fails=0
check() { # description command...
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $d"
	else
		echo "not ok $n - $d"
		fails=$((fails + 1))
	fi
}
has() { grep -Eq "$1" "$log"; }

check "kbisect bisect exits 0 (rc=$rc; stderr: $(head -c 300 "$work/stderr"))" test $rc -eq 0
check "the culprit is the prctl commit" has "^$CULPRIT is the first bad commit\$"
check "starts from the bad commit" has "^bisecting cause commit starting from $BAD\$"
check "'testing commit' lines" has '^testing commit [0-9a-f]{40}$'
check "'compiler:' line read from the built kernel" has '^compiler: gcc .*GNU ld'

# The compiler table on real tags: the line after each "testing commit H" is
# clang for ancestors of v6.1.2 (not of v6.1.3), gcc from v6.1.3 on.
compilers_match() {
	local c line want nclang=0 ngcc=0 bad=0
	while read -r c line; do
		if git -C "$cache/linux" merge-base --is-ancestor v6.1.3 "$c"; then
			want='^compiler: gcc \(Debian 12'
			ngcc=$((ngcc + 1))
		else
			want='^compiler: Debian clang version 14\.'
			nclang=$((nclang + 1))
		fi
		if ! [[ $line =~ $want ]]; then
			echo "# $c: '$line' does not match '$want'"
			bad=1
		fi
	done < <(awk '/^testing commit / {c = $3; next}
		c != "" && /^compiler: / {print c, $0}
		{c = ""}' "$log")
	echo "# compiler lines: $nclang clang, $ngcc gcc"
	[ $bad -eq 0 ] && [ $nclang -ge 1 ] && [ $ngcc -ge 1 ]
}
check "compiler table: clang-14 before v6.1.3, gcc from v6.1.3 on" compilers_match
v612=$(git -C "$cache/linux" rev-parse "v6.1.2^{commit}")
check "v6.1.2 is tested and built with clang" \
	grep -Fxq "testing commit $v612" "$log"
check "v6.1.2's compiler line says clang" \
	sh -c "grep -Fx -A1 'testing commit $v612' '$log' | grep -q '^compiler: Debian clang version 14'"
check "one O= directory per compiler" \
	test -f "$cache/kernel-build/gcc/vmlinux" -a -f "$cache/kernel-build/clang-14/vmlinux"

# Incremental gcc builds: after the first gcc build, every gcc build
# (including the one right after the clang build) compiles a few objects,
# not the whole kernel (about 930 objects).
incremental() {
	local c line n first=1 bad=0 counts=""
	while read -r c line; do
		[[ $line == "compiler: gcc"* ]] || continue
		n=$(grep -cE '^  CC ' "$work/state/logs/build-$c.log")
		counts="$counts ${c:0:8}:$n"
		if [ $first -eq 0 ] && [ "$n" -gt 50 ]; then
			bad=1
		fi
		first=0
	done < <(awk '/^testing commit / {c = $3; next}
		c != "" && /^compiler: / {print c, $0}
		{c = ""}' "$log")
	echo "# gcc builds, objects compiled:$counts"
	[ $bad -eq 0 ]
}
check "gcc builds after the first (and after the clang one) are incremental" incremental
check "'kernel signature:' lines" has '^kernel signature: [0-9a-f]{64}$'
check "release walk: 'testing release v6.1.x'" has '^testing release v6\.1\.[0-9]+$'
check "a crash: 'run #N: crashed: BUG: unable to handle kernel NULL pointer dereference in prctl_get_child_subreaper'" \
	has '^(run #[0-9]+|all runs): crashed: BUG: unable to handle kernel NULL pointer dereference in prctl_get_child_subreaper$'
check "an OK run" has '^(run #[0-9]+|all runs): OK$'
check "the kernel that panics in an initcall: 'boot failed: ...'" \
	has '^(run #[0-9]+|all runs): boot failed: .*kb_synth'
check "the broken commit: 'failed building ...'" has '^failed building [0-9a-f]{40}: .*error: '
check "'# git bisect start BAD GOOD'" has '^# git bisect start [0-9a-f]{40} [^ ]+$'
check "'# git bisect good'" has '^# git bisect good [0-9a-f]{40}$'
check "'# git bisect bad'" has '^# git bisect bad [0-9a-f]{40}$'
check "'Bisecting: N revisions left'" has '^Bisecting: [0-9]+ revisions? left to test after this'
check "crash title" has '^crash: BUG: unable to handle kernel NULL pointer dereference in prctl_get_child_subreaper$'
check "report symbolized with file:line" has 'prctl_get_child_subreaper\+0x[0-9a-f]+/0x[0-9a-f]+ kernel/sys\.c:[0-9]+'
check "code disassembly block" has '^Code disassembly \(best guess\)'
check "stats line" has '^revisions tested: [0-9]+, total time: '
# kernel/sys.c has no entry of its own in MAINTAINERS: THE REST covers it
check "recipients: the culprit's author and signers, MAINTAINERS for kernel/sys.c (THE REST)" \
	has '^recipients \(to\): \[.*"torvalds@linux-foundation.org"'
check "recipients: LKML in Cc" has '^recipients \(cc\): \[.*"linux-kernel@vger.kernel.org"'
check "a documentation-only commit has its neighbour's kernel signature" \
	has '^same kernel signature as commit [0-9a-f]{40}: reusing its [0-9]+ runs$'
# documentation-only commits give the same kernel: some step must say so
# when one is tested next to a code commit; the culprit's parent has a
# different signature, so it is not a noop
check "culprit is not flagged as a noop" \
	python3 -c "import json,sys; d=json.load(open('$work/result.json')); sys.exit(1 if d['flags']['noop'] else 0)"

for c in $(awk '/^testing commit / {c = $3; next}
	c != "" && /^compiler: Debian clang/ {print c}
	{c = ""}' "$log"); do
	echo "# clang build of ${c:0:12}: $(grep -cE '^  CC ' "$work/state/logs/build-$c.log") objects"
done
python3 - "$work/result.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("# reference: builds %s, runs %s" % (d.get("builds"), d.get("runs")))
PY

# The default strategy on the same work directory: the journal has the
# builds (commit + build section) and runs (signature + commands), so most
# of the work is reused.
blog=$work/bayes.log
touch "$work/bayes.start"
"$kbisect" bisect "$work/bisect.json" --strategy bayes --workdir "$work/state" \
	--json "$work/result-bayes.json" >"$blog" 2>"$work/bayes.stderr"
brc=$?
t3=$(date +%s)
[ -n "$show" ] && cat "$blog"
check "bayes on the same work directory exits 0 (rc=$brc; stderr: $(head -c 300 "$work/bayes.stderr"))" \
	test $brc -eq 0
check "bayes names the same culprit" grep -Eq "^$CULPRIT is the first bad commit\$" "$blog"
check "bayes prints 'kernel signature:' lines" grep -Eq '^kernel signature: [0-9a-f]{64}$' "$blog"
# "builds" counts journal hits too; the logs tell what really ran again
newb=$(find "$work/state/logs" -maxdepth 1 -name 'build-*.log' -newer "$work/bayes.start" | wc -l)
newr=$(find "$work/state/logs" -maxdepth 1 -name 'run-*.log' -newer "$work/bayes.start" | wc -l)
python3 - "$work/result.json" "$work/result-bayes.json" "$newb" "$newr" <<'PY'
import json, sys
r, b = (json.load(open(p)) for p in sys.argv[1:3])
print("# bayes: builds %s, runs %s, of them new: %s builds, %s runs"
      " (reference: builds %s, runs %s); speculative %s"
      % (b.get("builds"), b.get("runs"), sys.argv[3], sys.argv[4],
         r.get("builds"), r.get("runs"), b.get("speculative_builds")))
PY
# A speculative build stopped because its outcome did not happen says so in
# its log (make got SIGTERM).  The JSON counts them; a log can be
# overwritten when the commit is built again later, so at most that many.
ncancel=$(python3 -c "import json; print(json.load(open('$work/result-bayes.json'))['speculative_builds']['cancelled'])")
nlogs=$(find "$work/state/logs" -maxdepth 1 -name 'build-*.log' -newer "$work/bayes.start" \
	-exec grep -l '^.*build cancelled after' {} + 2>/dev/null | wc -l)
echo "# bayes: $ncancel speculative builds cancelled, $nlogs build logs say so"
check "bayes: no more build logs say 'build cancelled' ($nlogs) than builds were ($ncancel)" \
	test "$nlogs" -le "$ncancel"

echo "# times: history $((t1 - t0))s, bisection $((t2 - t1))s, bayes $((t3 - t2))s"
echo "1..$n"
[ $fails -eq 0 ]
