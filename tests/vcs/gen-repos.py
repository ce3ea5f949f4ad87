#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate seeded test repositories for the git-bisect comparison test.

usage: gen-repos.py OUTDIR COUNT [SEED]
(KB_GEN_MIN/KB_GEN_MAX in the environment override the 20-300 commit sizes)

Writes OUTDIR/NNN/ for NNN in 0..COUNT-1, each with:
  repo/       a git repository made with git fast-import (fixed dates)
  start       "BAD GOOD..." for `git bisect start`
  verdicts    "<hash> good|bad|skip" for every commit
  skips       hashes the test command skips (exit 125), one per line
  desc        the shape, size, culprit and date mode, for failure messages

Shapes: linear history, merge-heavy history with long-lived branches (and a
few octopus merges), and criss-cross merges between branches.  The oracle:
the culprit commit adds the file "marker" and every descendant carries it
(merges add it when a parent has it), so a commit is bad iff it has the
file.  The culprit may sit on a merged branch or be a merge itself.
"""
import os
import random
import subprocess
import sys

SHAPES = ["linear", "merges", "crisscross"]
DATES = ["increasing", "same", "ties", "random", "skew"]


def make_graph(rng, shape, n):
    """List of parent lists (ids), in an order where parents come first."""
    parents = [[]]
    if shape == "linear":
        for i in range(1, n):
            parents.append([i - 1])
        return parents
    tips = {"main": 0}
    nbranch = 0
    while len(parents) < n - 4:
        r = rng.random()
        names = sorted(tips)
        if shape == "crisscross" and len(tips) < 3:
            nbranch += 1
            tips["b%d" % nbranch] = rng.randrange(len(parents))
            continue
        if shape == "merges" and r < 0.12 and len(tips) < 8:
            nbranch += 1
            tips["b%d" % nbranch] = rng.randrange(len(parents))
        elif r < 0.30 and len(tips) > 1:
            into = rng.choice(names)
            frm = rng.choice([x for x in names if x != into])
            ps = [tips[into], tips[frm]]
            if shape == "merges" and len(names) > 2 and rng.random() < 0.15:
                third = rng.choice([x for x in names if x not in (into, frm)])
                ps.append(tips[third])
            ps = list(dict.fromkeys(ps))
            parents.append(ps)
            tips[into] = len(parents) - 1
            if shape == "merges" and into == "main":
                del tips[frm]
        else:
            b = rng.choice(names)
            parents.append([tips[b]])
            tips[b] = len(parents) - 1
    # Merge everything left into main so that all commits reach the end.
    for b in sorted(tips):
        if b != "main" and tips[b] != tips["main"]:
            parents.append([tips["main"], tips[b]])
            tips["main"] = len(parents) - 1
    parents.append([tips["main"]])
    return parents


def make_dates(rng, mode, parents):
    base = 1600000000
    dates = []
    for i, ps in enumerate(parents):
        if mode == "increasing":
            d = base + 60 * i
        elif mode == "same":
            d = base
        elif mode == "ties":
            d = base + 60 * (i // 7)
        elif mode == "skew":
            # Clock skew: children may be older than their parents.
            d = base + rng.randrange(0, 20) * 60
        else:
            d = max([dates[p] for p in ps] + [base]) + rng.choice([0, 0, 1, 60, 3600])
        dates.append(d)
    return dates


def ancestors(parents, roots):
    seen = set()
    stack = list(roots)
    while stack:
        c = stack.pop()
        if c in seen:
            continue
        seen.add(c)
        stack.extend(parents[c])
    return seen


def data(s):
    b = s.encode()
    return b"data %d\n" % len(b) + b + b"\n"


def generate(outdir, k, seed):
    rng = random.Random(seed * 7919 + k)
    shape = SHAPES[k % len(SHAPES)]
    datemode = DATES[(k // len(SHAPES)) % len(DATES)]
    if "KB_GEN_MIN" in os.environ:
        # Manual runs on larger histories (slow; not part of the suite).
        n = rng.randrange(int(os.environ["KB_GEN_MIN"]), int(os.environ["KB_GEN_MAX"]) + 1)
    else:
        n = rng.randrange(20, 301) if k % 4 else rng.randrange(20, 60)
    parents = make_graph(rng, shape, n)
    n = len(parents)
    dates = make_dates(rng, datemode, parents)
    bad = n - 1

    goods = [0]
    if shape != "linear" and rng.random() < 0.4:
        goods.append(rng.randrange(1, n // 2))
    excluded = ancestors(parents, goods)
    cands = [i for i in range(n) if i not in excluded]
    merges = [i for i in cands if len(parents[i]) > 1]
    if merges and rng.random() < 0.2:
        culprit = rng.choice(merges)
    else:
        culprit = rng.choice(cands)

    has_marker = [False] * n
    for i in range(n):
        has_marker[i] = i == culprit or any(has_marker[p] for p in parents[i])

    skips = set()
    if k % 2 == 1:
        frac = rng.choice([0.05, 0.15, 0.3, 0.6])
        for i in cands:
            if i != bad and rng.random() < frac:
                skips.add(i)
        if rng.random() < 0.5:
            # A clustered run of untestable commits, as in real histories.
            start = rng.randrange(n)
            for i in range(start, min(n - 1, start + rng.randrange(2, 12))):
                skips.add(i)

    d = os.path.join(outdir, "%03d" % k)
    repo = os.path.join(d, "repo")
    os.makedirs(repo)
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True, env=env)
    stream = bytearray()
    files = []
    for i, ps in enumerate(parents):
        # Trees are real merges: the union of the parents' files.
        own = set(files[ps[0]]) if ps else set()
        base = set(own)
        for p in ps[1:]:
            own |= files[p]
        own.add(i)
        files.append(own)
        stream += b"commit refs/heads/main\nmark :%d\n" % (i + 1)
        stream += b"author A U Thor <author@example.org> %d +0000\n" % dates[i]
        stream += b"committer C O Mitter <committer@example.org> %d +0100\n" % dates[i]
        msg = "c%d %s\n" % (i, "merge" if len(ps) > 1 else "change")
        if i % 3 == 0:
            msg += "\nBody of commit %d.\n\nSigned-off-by: Dev %d <dev%d@example.org>\n" % (i, i, i)
        stream += data(msg)
        if ps:
            stream += b"from :%d\n" % (ps[0] + 1)
            for p in ps[1:]:
                stream += b"merge :%d\n" % (p + 1)
        for f in sorted(own - base):
            stream += b"M 644 inline c/%d\n" % f + data("%d" % f)
        if has_marker[i] and (not ps or not has_marker[ps[0]]):
            stream += b"M 644 inline marker\n" + data("culprit %d" % culprit)
        stream += b"\n"
    marks = os.path.join(d, "marks")
    subprocess.run(["git", "-C", repo, "fast-import", "--quiet", "--export-marks=" + marks],
                   input=bytes(stream), check=True, env=env)
    subprocess.run(["git", "-C", repo, "reset", "-q", "--hard", "main"], check=True, env=env)
    h = {}
    with open(marks) as f:
        for line in f:
            m, sha = line.split()
            h[int(m[1:]) - 1] = sha
    with open(os.path.join(d, "start"), "w") as f:
        f.write(" ".join([h[bad]] + [h[g] for g in goods]) + "\n")
    with open(os.path.join(d, "verdicts"), "w") as f:
        for i in range(n):
            v = "skip" if i in skips else "bad" if has_marker[i] else "good"
            f.write("%s %s\n" % (h[i], v))
    with open(os.path.join(d, "skips"), "w") as f:
        for i in sorted(skips):
            f.write(h[i] + "\n")
    with open(os.path.join(d, "desc"), "w") as f:
        f.write("seed=%d k=%d shape=%s n=%d dates=%s culprit=%d%s goods=%s skips=%d\n" % (
            seed, k, shape, n, datemode, culprit, " (merge)" if len(parents[culprit]) > 1 else "",
            goods, len(skips)))


def main():
    outdir = sys.argv[1]
    count = int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    for k in range(count):
        generate(outdir, k, seed)


if __name__ == "__main__":
    main()
