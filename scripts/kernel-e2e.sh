#!/usr/bin/env bash
# Build the synthetic kernel history of the kernel end-to-end test (cached).
#
# Usage: scripts/kernel-e2e.sh CACHE_DIR
#
# CACHE_DIR/linux        git repository: Debian's linux-source-6.1 tree plus
#                        a few dozen small real commits (see below)
# CACHE_DIR/kernel.config  tinyconfig + serial console, initramfs, ORC,
#                        reduced debug info, oops=panic friendly
# CACHE_DIR/repro.c      the reproducer (prctl from user space)
# CACHE_DIR/history.env  CULPRIT=, BAD=, GOOD_TAG=, ... for the test
#
# The history, newest tag first:
#   v6.1.5  the bug is in (crash)
#   v6.1.4  does not build (a later commit fixes it)
#   v6.1.3  does not boot (kb_synth's self test panics; fixed next commit)
#   v6.1.2  good
#   v6.1.1  the imported tree
# Between v6.1.2 and HEAD: changes of kernel/kb_synth.c (a new file, so no
# header is touched and every step rebuilds incrementally), documentation-only
# commits (identical vmlinux), and the culprit, which makes PR_GET_CHILD_SUBREAPER
# dereference NULL when asked for the parent's scope on odd jiffies (so the
# crash probability per boot is below 1).
#
# Commit dates and identities are fixed, so the hashes are the same on every
# machine and the result is cached: a second call returns at once.
set -euo pipefail

cache=${1:?usage: $0 CACHE_DIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
src_tar=/usr/src/linux-source-6.1.tar.xz
repo=$cache/linux
stamp=$cache/history.env
version=3 # bump when the history below changes

if [ -f "$stamp" ] && grep -qx "HISTORY_VERSION=$version" "$stamp"; then
	exit 0
fi
[ -f "$src_tar" ] || { echo "kernel-e2e: $src_tar missing (scripts/install-deps.sh kernel)" >&2; exit 1; }

rm -rf "$repo" "$stamp"
echo "kernel-e2e: extracting $src_tar" >&2
tar -C "$cache" -xf "$src_tar"
mv "$cache/linux-source-6.1" "$repo"
cd "$repo"
# Debian's .gitignore ignores the whole top level; keep the kernel's rules only.
sed -i '/^# Debian packaging/,$d' .gitignore

export GIT_AUTHOR_NAME="Kb Synth" GIT_AUTHOR_EMAIL="synth@example.org"
export GIT_COMMITTER_NAME="Kb Synth" GIT_COMMITTER_EMAIL="synth@example.org"
t=1700000000
commit() { # message...
	t=$((t + 3600))
	git add -A -f kernel Documentation .gitignore
	GIT_AUTHOR_DATE="@$t +0000" GIT_COMMITTER_DATE="@$t +0000" git commit -q -m "$1"
}
tag() { git tag -a -m "Linux $1" "$1"; }

git init -q -b master .
git config gc.auto 0
echo "kernel-e2e: importing the tree" >&2
git add -A -f .
GIT_AUTHOR_DATE="@$t +0000" GIT_COMMITTER_DATE="@$t +0000" git commit -q -m "Linux 6.1.192 (Debian linux-source-6.1)"
tag v6.1.1

synth() { # level extra-body
	cat >kernel/kb_synth.c <<EOF
// SPDX-License-Identifier: GPL-2.0
/* kbisect end-to-end test: a small file the synthetic history edits. */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/printk.h>

static int kb_synth_level = $1;

static int __init kb_synth_init(void)
{
$2	pr_info("kb_synth: level %d\n", kb_synth_level);
	return 0;
}
late_initcall(kb_synth_init);
EOF
}
doc() { # n
	printf '\nkb_synth note %s: documentation only.\n' "$1" >>Documentation/admin-guide/README.rst
	commit "docs: kb_synth note $1"
}

synth 1 ""
echo 'obj-y += kb_synth.o' >>kernel/Makefile
commit "kernel: add kb_synth"
doc 1
synth 2 ""
commit "kb_synth: level 2"
tag v6.1.2
doc 2
synth 3 "	panic(\"kb_synth: self test failed\");
"
commit "kb_synth: add a self test"
tag v6.1.3
synth 3 ""
commit "kb_synth: drop the broken self test"
doc 3
synth 4 "	int broken = 1
"
commit "kb_synth: level 4"
tag v6.1.4
doc 4
synth 4 ""
commit "kb_synth: fix the build"
for i in 5 6 7; do
	synth $i ""
	commit "kb_synth: level $i"
	doc $i
done
echo "GOOD_BEFORE=$(git rev-parse HEAD)" >"$stamp.tmp"

# The culprit (see docs/kernel.md): a helper that returns NULL for the
# parent's scope, reached with arg3 != 0 on odd jiffies.
python3 - kernel/sys.c <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
helper = '''#endif /* CONFIG_ANON_VMA_NAME */

/*
 * The signal struct whose subreaper flag PR_GET_CHILD_SUBREAPER reports:
 * the caller's own (scope 0) or its parent's (scope 1).
 */
static noinline struct signal_struct *subreaper_scope(struct task_struct *me,
						      unsigned long scope)
{
	if (!scope || (jiffies & 1))
		return me->signal;
	return NULL;	/* parent scope: lookup not wired up yet */
}

static noinline int prctl_get_child_subreaper(struct task_struct *me,
					      unsigned long scope,
					      int __user *uptr)
{
	struct signal_struct *sig = subreaper_scope(me, scope);

	return put_user(sig->is_child_subreaper, uptr);
}
'''
old_call = '''		error = put_user(me->signal->is_child_subreaper,
				 (int __user *)arg2);
'''
new_call = '''		error = prctl_get_child_subreaper(me, arg3, (int __user *)arg2);
'''
assert s.count('#endif /* CONFIG_ANON_VMA_NAME */\n') == 1 and s.count(old_call) == 1
s = s.replace('#endif /* CONFIG_ANON_VMA_NAME */\n', helper, 1).replace(old_call, new_call, 1)
open(p, 'w').write(s)
EOF
commit "prctl: factor out PR_GET_CHILD_SUBREAPER and allow the parent's scope"
echo "CULPRIT=$(git rev-parse HEAD)" >>"$stamp.tmp"
doc 8
for i in 8 9 10; do
	synth $i ""
	commit "kb_synth: level $i"
done
tag v6.1.5
doc 9
for i in 11 12 13 14; do
	synth $i ""
	commit "kb_synth: level $i"
	doc $((i - 1))
done
echo "BAD=$(git rev-parse HEAD)" >>"$stamp.tmp"
echo "COMMITS=$(git rev-list --count HEAD)" >>"$stamp.tmp"
# (no git gc: repacking costs a minute and saves only disk)

# The kernel config, made once from the v6.1.1 tree (docs/kernel.md).
echo "kernel-e2e: making kernel.config" >&2
cfgdir=$cache/config-build
rm -rf "$cfgdir"
git checkout -q v6.1.1
make -s -C "$repo" O="$cfgdir" ARCH=x86_64 tinyconfig >/dev/null
C="$repo/scripts/config --file $cfgdir/.config"
$C -e 64BIT
$C -e PRINTK -e PRINTK_TIME -e EARLY_PRINTK -e TTY -e SERIAL_8250 -e SERIAL_8250_CONSOLE
$C -e BLK_DEV_INITRD -e RD_GZIP -e BINFMT_ELF -e BINFMT_SCRIPT
$C -e PROC_FS -e SYSFS -e DEVTMPFS -e DEVTMPFS_MOUNT -e TMPFS
$C -e MULTIUSER -e FUTEX -e POSIX_TIMERS -e FILE_LOCKING
$C -d KERNEL_XZ -e KERNEL_GZIP
$C -e BUG -e KALLSYMS -e KALLSYMS_ALL -e DEBUG_KERNEL -e MAGIC_SYSRQ -e DEBUG_BUGVERBOSE
$C -d UNWINDER_GUESS -e UNWINDER_ORC
$C -e ACPI -e PCI
$C -d LOCALVERSION_AUTO
$C -d DEBUG_INFO_NONE -e DEBUG_INFO -e DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -e DEBUG_INFO_REDUCED
make -s -C "$repo" O="$cfgdir" ARCH=x86_64 olddefconfig >/dev/null
cp "$cfgdir/.config" "$cache/kernel.config"
rm -rf "$cfgdir"
git checkout -q master

cat >"$cache/repro.c" <<'EOF'
/* Reproducer: ask for the parent's subreaper flag a few times. */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(void)
{
	int v = -1;

	for (int i = 0; i < 2; i++) {
		long r = prctl(PR_GET_CHILD_SUBREAPER, &v, 1, 0, 0);

		printf("repro: call %d -> %ld\n", i, r);
		fflush(stdout);
		usleep(6000);
	}
	return 0;
}
EOF
echo "HISTORY_VERSION=$version" >>"$stamp.tmp"
mv "$stamp.tmp" "$stamp"
echo "kernel-e2e: history ready in $repo" >&2
