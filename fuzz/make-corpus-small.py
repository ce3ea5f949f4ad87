#!/usr/bin/env python3
# Write the seed corpora of fuzz-dag, fuzz-config, fuzz-maintainers and
# fuzz-demangle (fuzz/corpus/{dag,config,maintainers,demangle}); deterministic, no inputs needed.
# usage: fuzz/make-corpus-small.py
import hashlib
import os
import random

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = random.Random(20261122)


def h(i):
    return hashlib.sha1(b'commit %d' % i).hexdigest()


# fuzz-dag: byte 0 = mode (bits 0-1 bad hash: none/first/last/malformed;
# bit 2: rest is a compact graph, see fuzz-dag.c), then the text.
dag = {}
lin = ''.join('%s %s\n' % (h(i), h(i + 1)) for i in range(20))
dag['linear'] = b'\x01' + lin.encode()
dag['linear-nobad'] = b'\x00' + lin.encode()
dag['linear-badhash'] = b'\x03' + lin.encode()
dag['linear-dates'] = b'\x01' + ''.join(
    '%d %s %s\n' % (1700000000 - i, h(i), h(i + 1)) for i in range(20)).encode()
merges = []
for i in range(40):
    ps = [h(i + 1)] + ([h(i + 2 + rng.randrange(5))] if i % 4 == 0 else [])
    merges.append(' '.join([h(i)] + ps))
dag['merges'] = b'\x01' + ('\n'.join(merges) + '\n').encode()
dag['shuffled'] = b'\x01' + ('\n'.join(merges[:1] + rng.sample(merges[1:], 39)) + '\n').encode()
dag['twice'] = b'\x01' + (lin + '%s\n' % h(3)).encode()
dag['cycle'] = b'\x01' + ('%s %s\n%s %s\n' % (h(0), h(1), h(1), h(0))).encode()
dag['orphan'] = b'\x01' + ('%s\n%s\n' % (h(0), h(1))).encode()
dag['short'] = b'\x01' + b'abcd efgh\n'
dag['last-bad'] = b'\x02' + lin.encode()
for k in range(6):
    dag['gen-%d' % k] = bytes([4 | (k & 3)]) + bytes(rng.randrange(256) for _ in range(60))
dag['gen-chain'] = b'\x05' + b'\x01' * 100
dag['gen-merges'] = b'\x05' + bytes([0x09 if i % 3 else 0x51 for i in range(80)])

# fuzz-config: JSON text; "repo" exists in the fuzzer's temp directory.
config = {
    'min': '{"repo": "repo", "bad": "HEAD", "test": {"command": "./t.sh"}}',
    'full': '{\n  "kind": "generic",\n  "repo": "repo",\n  "bad": "v2",\n  "good": "v1",\n'
            '  "release_tags": "v*",\n  "title": "BUG: x",\n'
            '  "build": {"command": ["make", "-j4"], "artifacts": ["a.out", "b/c"],'
            ' "timeout": 100},\n'
            '  "test": {"backend": "local", "command": "./t.sh", "runs": 5, "parallel": 2,'
            ' "timeout": 30.5},\n'
            '  "strategy": "reference",\n  "confidence": 0.95\n}\n',
    'linux': '{"kind": "linux", "repo": "repo", "bad": "HEAD", "test": {"command": ["r"]},'
             ' "linux": {"config": "x", "arch": "amd64", "deep": [1, {"a": null}]}}',
    'unknown-key': '{"repo": "repo", "bad": "HEAD", "frobnicate": 1}',
    'bad-type': '{\n  "repo": "repo",\n  "bad": 42\n}',
    'escapes': '{"a\\"b\\ud83d\\ude00\\n": 1, "x\\/y": 2, "\\u0072epo": "repo"}',
    'trailing-comma': '{\n  "bad": "x",\n}',
    'dup': '{"bad": "x", "bad": "y"}',
    'no-repo': '{"repo": "nope", "bad": "HEAD", "test": {"command": "x"}}',
    'ranges': '{"repo": "repo", "bad": "HEAD", "test": {"command": "x", "runs": 0,'
              ' "parallel": 100000, "timeout": -1}, "confidence": 1.5}',
    'not-object': '[1, 2, 3]',
    'utf8': '{"title": "\xc3\xa9\xc3\xa9", "x": 1}',
    'empty': '',
}

maint = """List of maintainers
===================

Descriptions of section entries and preferred order
\tM: *Mail* patches to: FullName <address@domain>

IO_URING
M:\tJens Axboe <axboe@kernel.dk>
R:\tPavel Begunkov <asml.silence@gmail.com>
L:\tio-uring@vger.kernel.org
S:\tMaintained
T:\tgit git://git.kernel.dk/linux-block
F:\tio_uring/
F:\tinclude/linux/io_uring.h

EXT4 FILE SYSTEM
M:\t"Theodore Ts'o" <tytso@mit.edu>
M:\tAndreas Dilger <Adilger.Kernel@dilger.ca>
L:\tlinux-ext4@vger.kernel.org
S:\tMaintained
F:\tfs/ext4
X:\tfs/ext4/x*.c

NETWORKING [GENERAL]
M:\tA <a@b.org>
L:\tnetdev@vger.kernel.org
F:\tnet/
F:\tdrivers/net/*.c
N:\tnet
K:\t\\bnetdev_\\w+

TRACING
M:\tSteven Rostedt <rostedt@goodmis.org>
S:\tMaintained
N:\ttrace
K:\t\\btrace_printk\\b

THE REST
M:\tLinus Torvalds <torvalds@linux-foundation.org>
L:\tlinux-kernel@vger.kernel.org
S:\tBuried alive in reporters
F:\t*
F:\t*/
"""
maintainers = {
    'sample': maint,
    'bad-regex': 'X\nN:\t(unclosed\n',
    'bad-k-regex': 'X\nK:\t[z-a]\n',
    'globs': 'G\nM:\tG <g@g.org>\nF:\t*/*.c\nF:\tfs/?xt4/\nF:\tinclude/linux/\nX:\t**\n',
    'no-tags': 'just text\n\nmore text\n',
    'crlf': maint.replace('\n', '\r\n'),
    'odd-addrs': 'A\nM:\tNo Address\nM:\t<>\nM:\tUPPER@CASE.ORG (comment)\nR:\tupper@case.org\n'
                 'L:\tLINUX-KERNEL@vger.kernel.org\nL:\tstable@vger.kernel.org\nF:\t*\n',
}

demangle = {}
for i, name in enumerate([
        '_Z8fakeNameiii', '_ZN3foo3barEv', '_ZNK3foo3barEv', '_ZNSt6vectorC2Ev', '_ZN3FooD1Ev',
        '_Z3fooi.isra.0',
        '_RNvXCsktjF9JQNZ8U_5rnullNtB2_13NullBlkModuleNtCs43vyB533jt3_6kernel13InPlaceModule4init',
        '_RNvCs1234_7mycrate3foo', '_RNvMNtCs1_4core3ptrINtB2_7NonNullhE3new',
        '_ZN4core3ptr13drop_in_place17h0123456789abcdefE',
        '_ZN5alloc3vec12Vec$LT$T$GT$4push17h0123456789abcdefE',
        '_RINvNtCs1_4core3mem4swapRShE', '_RNvB0_1a', '_RNvB_1a', '_ZN3foo', '_Z', 'foo',
        '_ZN' + '1a' * 200 + 'E', '_R' + 'Nv' * 100 + 'C1a1b']):
    demangle['name-%02d' % i] = name


def write(name, files):
    out = os.path.join(root, 'fuzz', 'corpus', name)
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):
        if not old.startswith('regress-'):  # fuzzer finds, kept by hand
            os.unlink(os.path.join(out, old))
    for k, v in sorted(files.items()):
        with open(os.path.join(out, k), 'wb') as f:
            f.write(v if isinstance(v, bytes) else v.encode())
    print('%s: %d files, %d bytes' % (name, len(files), sum(len(v) for v in files.values())))


write('dag', dag)
write('config', config)
write('maintainers', maintainers)
write('demangle', demangle)
