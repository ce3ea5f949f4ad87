#!/usr/bin/env python3
# Regenerate fuzz/corpus/report from the shared test data (deterministic).
# usage: fuzz/make-corpus.py [SHARED_DIR]   (default: ../shared next to the repo)
import os
import random
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, '..', 'shared')
td = os.path.join(shared, 'testdata')
out = os.path.join(root, 'fuzz', 'corpus', 'report')
rng = random.Random(20261122)


def log_of(data):
    """The console log of a crash-reports/ file: after the header, before REPORT:."""
    i = data.find(b'\n\n')
    body = data[i + 2:] if i >= 0 else data
    j = body.find(b'\n\nREPORT:\n')
    return body[:j + 1] if j >= 0 else body


files = {}
reports = sorted((n for n in os.listdir(os.path.join(td, 'crash-reports')) if n.isdigit()), key=int)
small = [n for n in reports if os.path.getsize(os.path.join(td, 'crash-reports', n)) < 12000]
for n in small[::9] + ['620']:
    with open(os.path.join(td, 'crash-reports', n), 'rb') as f:
        files['log-%s' % n] = log_of(f.read())
for arch in ('amd64', 'arm64', 'arm'):
    d = os.path.join(td, 'decompile', arch)
    for n in sorted(os.listdir(d)):
        if n.endswith('.in'):
            with open(os.path.join(d, n), 'rb') as f:
                files['code-%s-%s' % (arch, n[:-3])] = f.read()
for n in sorted(os.listdir(os.path.join(td, 'guilty')), key=int)[::7]:
    with open(os.path.join(td, 'guilty', n), 'rb') as f:
        files['guilty-%s' % n] = log_of(f.read())
with open(os.path.join(td, 'symbolize', '1'), 'rb') as f:
    files['symbolize-1'] = log_of(f.read())

# Truncated logs: cut anywhere, also inside a line.
logs = sorted(k for k in files if k.startswith('log-'))
for k in rng.sample(logs, 12):
    d = files[k]
    files['cut-%s' % k[4:]] = d[:rng.randrange(1, max(2, len(d)))]

# Garbage and edge cases.
files['empty'] = b''
files['random'] = bytes(rng.randrange(256) for _ in range(3000))
files['random-markers'] = b''.join(
    rng.choice([b'BUG: ', b'WARNING: ', b'Code: ', b'<0f> 0b ', b'RIP: 0010:', b'\n', b'\x00',
                b'[  1.000000] ', b'[ T1] ', b'foo+0x1/0x2 ', b'Kernel panic - not syncing',
                b'Call Trace:\n', b'fs/x.c:1 ', b'_RNvB0_', b'_ZN3', b'(', b')', b'ff '])
    for _ in range(1500))
files['long-line'] = b'[    1.0] BUG: ' + b'A' * 70000 + b'\n'
files['crlf'] = files[logs[0]].replace(b'\n', b'\r\n')
files['nul-ff'] = bytes(b if rng.random() > 0.02 else rng.choice([0, 255])
                        for b in files[logs[1]])
files['code-edge'] = (b'RIP: 0010:f+0x1/0x2\nCode: <0f>\nCode: (d4210000)\nCode: 0f 0b <0f\n'
                      b'Code: 4770 (6818)\nCode: ' + b'90 ' * 300 + b'<c3>\n'
                      b'Code: ' + b'00 ' * 10 + b'<00> ' + b'00 ' * 10 + b'\n')

os.makedirs(out, exist_ok=True)
# Replace what this script made before; hand-added inputs (regress-*, fuzzer finds) stay.
generated = ('log-', 'code-', 'guilty-', 'symbolize-', 'cut-', 'empty', 'random', 'long-line',
             'crlf', 'nul-ff')
for old in os.listdir(out):
    if old.startswith(generated):
        os.unlink(os.path.join(out, old))
for k, v in sorted(files.items()):
    with open(os.path.join(out, k), 'wb') as f:
        f.write(v)
print('%d files, %d bytes' % (len(files), sum(len(v) for v in files.values())))
