#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Kernel end-to-end test: real kernel builds of a synthetic history on
# Debian's linux-source-6.1 (scripts/kernel-e2e.sh), real QEMU boots, one
# "kbisect bisect" from the bad HEAD with a release walk.  It must name the
# culprit, print every line type of the reference format, and symbolize the
# crash report (file:line) with a code disassembly.
#
# Usage: t-kernel-e2e.sh KBISECT [--show]   (--show: print the log, for make demo-kernel)
# Env:   KBISECT_KERNEL_CACHE (default /var/tmp/kbisect-kernel-cache)
set -uo pipefail

kbisect=${1:?usage: $0 KBISECT [--show]}
show=${2:-}
srcdir=${KBISECT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cache=${KBISECT_KERNEL_CACHE:-/var/tmp/kbisect-kernel-cache}

for p in qemu-system-x86_64 gcc make flex bison bc ccache; do
	command -v $p >/dev/null || { echo "1..0 # SKIP $p missing (scripts/install-deps.sh kernel)"; exit 77; }
done
[ -f /usr/src/linux-source-6.1.tar.xz ] && [ -x /bin/busybox ] ||
	{ echo "1..0 # SKIP linux-source-6.1 or busybox-static missing"; exit 77; }
avail=$(df -Pk "$(dirname "$cache")" | awk 'NR==2 {print $4}')
if [ ! -d "$cache/linux" ] && [ "${avail:-0}" -lt 4000000 ]; then
	echo "1..0 # SKIP less than 4 GB free for $cache"
	exit 77
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
    "jobs": 2
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

echo "# times: history $((t1 - t0))s, bisection $((t2 - t1))s"
echo "1..$n"
[ $fails -eq 0 ]
