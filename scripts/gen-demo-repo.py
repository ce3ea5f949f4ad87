#!/usr/bin/env python3
"""Generate a git repository with a crash bug, for kbisect's demo and end-to-end tests.

The repository holds a small C program (demo.c + parts/*.c). Every commit changes the
program (so builds differ) unless it is a documentation-only commit (README changes:
identical binary). One commit, the culprit, introduces a use-after-free that the program
reports as a kernel-style KASAN oops with probability --p1 per run. Optionally:
  --other A:B       commits in index range [A, B) crash with another title (an old bug
                    that was fixed later), with probability --p-other
  --broken A:B      commits in [A, B) do not compile (a later commit fixes it)
  --boot A:B        commits in [A, B) fail "to boot": every run exits 125 (untestable)
  --merges N        build the history as a mainline with N merged topic branches; the
                    culprit may then sit on a branch (--culprit-on-branch) or be a merge
  --tags K          tag every K-th mainline commit v1.1, v1.2, ... (oldest first)
  --docs A:B        commits in [A, B) are documentation-only (identical binary)
  --culprit-merge   the culprit is one of the merges (needs --merges)
  --culprit-docs    the culprit changes only demo.conf, a file the program reads at run
                    time: its binary equals its parent's (the "noop" case)

Whether a run crashes is decided from the run index (KBISECT_RUN) and a per-commit salt, so
results are deterministic per (commit, run) and a resumed bisection sees the same outcomes.

Prints a JSON object on stdout: repo, bad (tip of main), good (root), culprit,
culprit_index, culprit_parent, commits, hashes (by index), merges, docs_only, tags.
"""
import argparse
import json
import os
import random
import subprocess
import sys

DEMO_C = r'''/* demo: a tiny request server with a kernel-style bug report */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "demo.h"

static unsigned long mix(unsigned long x)
{
	x ^= x >> 33; x *= 0xff51afd7ed558ccdUL; x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53UL; x ^= x >> 33;
	return x;
}

static int chance(unsigned long salt, int percent)
{
	const char *run = getenv("KBISECT_RUN");
	unsigned long r = mix((run ? strtoul(run, NULL, 10) : 0) * 7919 + salt);

	return (int)(r % 1000) < percent * 10;
}

/* Run-time settings: demo.conf in the current directory (not part of the binary). */
static int conf_early_free(void)
{
	char line[128];
	int on = 0;
	FILE *f = fopen("demo.conf", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "early_free=1", 12))
			on = 1;
	fclose(f);
	return on;
}

static void oops(const char *kind, const char *func, const char *caller)
{
	printf("[   12.345678] ==================================================================\n");
	printf("[   12.345679] BUG: KASAN: %%s in %%s+0x1c/0x90\n", kind, func);
	printf("[   12.345680] Read of size 8 at addr ffff888012345678 by task demo/1234\n");
	printf("[   12.345681] \n");
	printf("[   12.345682] CPU: 0 PID: 1234 Comm: demo Not tainted 6.1.0 #1\n");
	printf("[   12.345683] Call Trace:\n");
	printf("[   12.345684]  <TASK>\n");
	printf("[   12.345685]  dump_stack_lvl+0x48/0x5f\n");
	printf("[   12.345686]  print_report+0x1a/0x2d0\n");
	printf("[   12.345687]  kasan_report+0xb0/0xe0\n");
	printf("[   12.345688]  %%s+0x1c/0x90\n", func);
	printf("[   12.345689]  %%s+0x40/0x100\n", caller);
	printf("[   12.345690]  do_syscall_64+0x35/0x80\n");
	printf("[   12.345691]  entry_SYSCALL_64_after_hwframe+0x46/0xb0\n");
	printf("[   12.345692]  </TASK>\n");
	printf("[   12.345693] ==================================================================\n");
	printf("[   12.345694] Kernel panic - not syncing: KASAN: panic_on_warn set ...\n");
	fflush(stdout);
	exit(1);
}

static void warn(const char *func)
{
	printf("[    3.000001] ------------[ cut here ]------------\n");
	printf("[    3.000002] WARNING: CPU: 0 PID: 1 at parts/legacy.c:42 %%s+0x10/0x20\n", func);
	printf("[    3.000003] Modules linked in:\n");
	printf("[    3.000004] CPU: 0 PID: 1 Comm: demo Not tainted 6.1.0 #1\n");
	printf("[    3.000005] RIP: 0010:%%s+0x10/0x20\n", func);
	printf("[    3.000006] Call Trace:\n");
	printf("[    3.000007]  <TASK>\n");
	printf("[    3.000008]  legacy_init+0x22/0x40\n");
	printf("[    3.000009]  do_one_initcall+0x5b/0x200\n");
	printf("[    3.000010]  kernel_init+0x1a/0x130\n");
	printf("[    3.000011]  </TASK>\n");
	printf("[    3.000012] ---[ end trace 0000000000000000 ]---\n");
	printf("[    3.000013] Kernel panic - not syncing: panic_on_warn set ...\n");
	fflush(stdout);
	exit(1);
}

int main(void)
{
	printf("[    0.000000] Linux version 6.1.0-demo (demo %%s)\n", DEMO_VERSION);
	if (BOOT_BROKEN) {
		printf("[    0.100000] VFS: Cannot open root device \"sda1\": error -6\n");
		printf("[    0.100001] demo: cannot boot, giving up (exit 125: untestable)\n");
		return 125;
	}
	if (OTHER_BUG && chance(SALT + 1, OTHER_PERCENT))
		warn("legacy_probe");
	printf("[    1.000000] demo: handling requests\n");
	parts_init();
	if ((UAF_BUG || conf_early_free()) && chance(SALT, CRASH_PERCENT))
		oops("use-after-free", "demo_handle_request", "demo_serve");
	printf("[    2.000000] demo: all requests done\n");
	return 0;
}
'''


def run(args, cwd=None, input=None):
    return subprocess.run(args, cwd=cwd, input=input, check=True, capture_output=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--culprit", type=int, default=None, help="index of the culprit commit")
    ap.add_argument("--p1", type=float, default=0.3)
    ap.add_argument("--other", default=None)
    ap.add_argument("--p-other", type=float, default=0.5)
    ap.add_argument("--broken", default=None)
    ap.add_argument("--boot", default=None)
    ap.add_argument("--doc-every", type=int, default=7, help="every N-th commit is docs-only")
    ap.add_argument("--merges", type=int, default=0)
    ap.add_argument("--culprit-on-branch", action="store_true")
    ap.add_argument("--tags", type=int, default=0)
    ap.add_argument("--docs", default=None)
    ap.add_argument("--culprit-merge", action="store_true")
    ap.add_argument("--culprit-docs", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    n = a.commits
    culprit = a.culprit if a.culprit is not None else rnd.randrange(n // 4, n - 1)

    def rng(spec):
        if not spec:
            return range(0)
        lo, hi = spec.split(":")
        return range(int(lo), int(hi))

    other, broken, boot, docs = rng(a.other), rng(a.broken), rng(a.boot), rng(a.docs)

    # Shape: index -> (parents, is_merge).  Mainline is a chain; with --merges, topic
    # branches fork from mainline and merge back a few commits later.
    parents = {0: []}
    order = [0]
    branch_of = {0: None}
    next_idx = 1
    main_tip = 0
    mainline = [0]
    pending = []  # (merge_at_main_len, branch_tip)
    branches = a.merges
    while next_idx < n:
        # Maybe fork a branch.
        if branches and rnd.random() < 0.15 and next_idx + 4 < n:
            blen = rnd.randint(2, 6)
            base = main_tip
            tip = base
            for _ in range(blen):
                if next_idx >= n:
                    break
                parents[next_idx] = [tip]
                branch_of[next_idx] = "topic%d" % (a.merges - branches)
                order.append(next_idx)
                tip = next_idx
                next_idx += 1
            pending.append((len(mainline) + rnd.randint(1, 4), tip))
            branches -= 1
            continue
        ps = [main_tip]
        due = [p for p in pending if p[0] <= len(mainline)]
        if due:
            ps.append(due[0][1])
            pending.remove(due[0])
        parents[next_idx] = ps
        branch_of[next_idx] = None
        order.append(next_idx)
        main_tip = next_idx
        mainline.append(next_idx)
        next_idx += 1
    # Merge whatever is still pending so that the bad end contains everything.
    for _, tip in pending:
        parents[next_idx] = [main_tip, tip]
        branch_of[next_idx] = None
        order.append(next_idx)
        main_tip = next_idx
        mainline.append(next_idx)
        next_idx += 1
    total = next_idx

    if a.culprit_on_branch:
        cands = [i for i in range(total) if branch_of[i] is not None and i > total // 4]
        if cands:
            culprit = rnd.choice(cands)
    if a.culprit_merge:
        cands = [i for i in range(total) if len(parents[i]) > 1 and total // 4 < i != main_tip]
        if not cands:
            sys.exit("gen-demo-repo: --culprit-merge: no merge in the history")
        culprit = rnd.choice(cands)
    if a.culprit_docs and (branch_of[culprit] is not None or len(parents[culprit]) != 1):
        sys.exit("gen-demo-repo: --culprit-docs needs a single-parent mainline culprit")

    # Which commits contain the culprit: ancestry closure.
    anc = {}
    for i in order:
        s = {i}
        for p in parents[i]:
            s |= anc[p]
        anc[i] = s
    has_bug = {i: culprit in anc[i] and not a.culprit_docs for i in order}
    # Old bug: present in the ancestry of the range commits (fixed after it).
    docs_only = {i for i in order if ((a.doc_every and i % a.doc_every == a.doc_every - 1)
                                      or i in docs) and len(parents[i]) == 1 and i != 0}
    if a.culprit_docs:
        docs_only.add(culprit)
    else:
        docs_only.discard(culprit)

    os.makedirs(a.dir, exist_ok=True)
    run(["git", "init", "-q", "-b", "main", a.dir])
    run(["git", "config", "user.name", "Demo Maintainer"], cwd=a.dir)
    run(["git", "config", "user.email", "maintainer@demo.example"], cwd=a.dir)

    fi = []
    t0 = 1700000000
    parts = {}
    marks = {}
    for k, i in enumerate(order):
        files = {}
        if i == 0:
            files["demo.c"] = DEMO_C.replace("%%", "%")
            files["Makefile"] = "demo: demo.c parts/*.c demo.h\n\tcc -O1 -o demo demo.c parts/*.c\n"
            files["README"] = "demo project\n"
            files["demo.conf"] = "early_free=0\n"
        in_other = i in other
        in_broken = i in broken
        in_boot = i in boot
        hdr = ("#define DEMO_VERSION \"%d\"\n#define UAF_BUG %d\n#define CRASH_PERCENT %d\n"
               "#define OTHER_BUG %d\n#define OTHER_PERCENT %d\n#define BOOT_BROKEN %d\n"
               "#define SALT %dUL\nvoid parts_init(void);\n%s" % (
                   0, 1 if has_bug[i] else 0, int(round(a.p1 * 100)), 1 if in_other else 0,
                   int(round(a.p_other * 100)), 1 if in_boot else 0, 1000003 * (i + 1),
                   "#error this tree does not build\n" if in_broken else ""))
        if i in docs_only:
            files["README"] = "demo project, revision %d\n" % i
            subject = "docs: describe revision %d" % i
        else:
            files["demo.h"] = hdr
            parts["p%d" % i] = i
            body = "".join("int part_%s(void) { return %d; }\n" % (p, v)
                           for p, v in sorted(parts.items()))
            body += "void parts_init(void) { }\n"
            files["parts/all.c"] = body
            subject = "demo: add part %d" % i
        if i == culprit and a.culprit_docs:
            files = {"demo.conf": "early_free=1\n"}
            subject = "conf: free request buffers early by default"
        elif i == culprit:
            subject = "demo: free the request buffer early in demo_handle_request"
        if len(parents[i]) > 1:
            subject = "Merge branch '%s'" % branch_of.get(parents[i][1], "topic")
            if i == culprit:
                subject = "Merge branch 'requests' (free the request buffer early)"
        msg = subject + "\n\nChange %d of the demo history.\n\nSigned-off-by: Dev %d <dev%d@demo.example>\n" % (
            i, i % 5, i % 5)
        if i == culprit:
            msg += "Reviewed-by: Rita Reviewer <rita@demo.example>\nCc: someone@demo.example\n"
        ts = t0 + 60 * k
        ref = "refs/heads/main" if branch_of[i] is None else "refs/heads/%s" % branch_of[i]
        fi.append("commit %s\nmark :%d\nauthor Dev %d <dev%d@demo.example> %d +0000\n"
                  "committer Demo Maintainer <maintainer@demo.example> %d +0000\n" % (
                      ref, i + 1, i % 5, i % 5, ts, ts))
        mb = msg.encode()
        fi.append("data %d\n" % len(mb))
        fi.append(msg)
        if parents[i]:
            fi.append("from :%d\n" % (parents[i][0] + 1))
            for p in parents[i][1:]:
                fi.append("merge :%d\n" % (p + 1))
        # Each commit states its full tree contents for the files it owns (merges too).
        if len(parents[i]) > 1 or i not in docs_only:
            files["demo.h"] = hdr
            body = "".join("int part_%s(void) { return %d; }\n" % (p, v)
                           for p, v in sorted(parts.items()))
            body += "void parts_init(void) { }\n"
            files["parts/all.c"] = body
        for path, content in files.items():
            cb = content.encode()
            fi.append("M 100644 inline %s\ndata %d\n" % (path, len(cb)))
            fi.append(content)
        fi.append("\n")
        marks[i] = i + 1
        if a.tags and branch_of[i] is None and k and mainline.index(i) % a.tags == 0:
            fi.append("reset refs/tags/v1.%d\nfrom :%d\n\n" % (mainline.index(i) // a.tags, i + 1))
    data = "".join(fi).encode()
    marks_file = os.path.join(os.path.abspath(a.dir), ".git", "demo-marks")
    run(["git", "fast-import", "--quiet", "--export-marks=" + marks_file], cwd=a.dir, input=data)
    run(["git", "checkout", "-q", "-f", "main"], cwd=a.dir)
    m = {}
    with open(marks_file) as f:
        for line in f:
            k, h = line.split()
            m[int(k[1:]) - 1] = h
    os.unlink(marks_file)
    tags = {}
    if a.tags:
        for i in mainline[1:]:
            if mainline.index(i) % a.tags == 0:
                tags["v1.%d" % (mainline.index(i) // a.tags)] = m[i]
    res = {
        "repo": os.path.abspath(a.dir),
        "bad": m[main_tip],
        "good": m[0],
        "culprit": m[culprit],
        "culprit_index": culprit,
        "culprit_parent": m[parents[culprit][0]] if parents[culprit] else None,
        "commits": total,
        "hashes": [m[i] for i in range(total)],
        "merges": sorted(m[i] for i in order if len(parents[i]) > 1),
        "docs_only": sorted(m[i] for i in docs_only),
        "tags": tags,
    }
    json.dump(res, sys.stdout)
    print()


if __name__ == "__main__":
    main()
