#!/usr/bin/python3
"""Builds the seed corpora of the libFuzzer targets in fuzz/.

Usage: make_seeds.py OUT_DIR [--fixtures DIR] [--corpus DIR] [--rules DIR]

OUT_DIR/<target>/ receives one file per seed, named by content hash. Sources: the generated
fixtures of a normal build (build/fixtures: hives with their logs, EVTX files), the shared corpus
(../shared/corpus: real and corrupt hives, hive logs, EVTX; big files contribute only their first
bytes / chunks) and rules/**.yaml. Nothing is written outside OUT_DIR and every source is only read.
"""

import argparse
import hashlib
import os
import struct
import subprocess
import sys

HIVE_HEAD = 4096            # REGF base block
EVTX_HEADER = 4096          # EVTX file header
EVTX_CHUNK = 65536          # one EVTX chunk
MAX_SEED = 1 << 20          # inputs larger than this slow libFuzzer down for little gain


def read(path, limit=None):
    with open(path, 'rb') as f:
        return f.read() if limit is None else f.read(limit)


def prefixed(parts):
    """[u32 n][bytes]... as fuzz_common.hpp take_prefixed() reads it (the last part is bare)."""
    out = b''
    for p in parts[:-1]:
        out += struct.pack('<I', len(p)) + p
    return out + parts[-1]


class Seeds:
    def __init__(self, out):
        self.out = out
        self.count = {}

    def add(self, target, data):
        if not data:
            return
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
        self.count[target] = self.count.get(target, 0) + 1


def is_regf(path):
    try:
        return read(path, 4) == b'regf'
    except OSError:
        return False


def is_evtx(path):
    try:
        return read(path, 8) == b'ElfFile\0'
    except OSError:
        return False


def walk(root):
    for dirpath, _, files in os.walk(root):
        for n in sorted(files):
            p = os.path.join(dirpath, n)
            if os.path.isfile(p) and not os.path.islink(p):
                yield p


def log_files(hive):
    d, base = os.path.split(hive)
    out = []
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return out
    for suffix in ('.LOG1', '.LOG2', '.LOG'):
        for n in names:
            if n.lower() == (base + suffix).lower():
                out.append(os.path.join(d, n))
    return out


def hive_seeds(seeds, path):
    size = os.path.getsize(path)
    head = read(path, HIVE_HEAD)
    seeds.add('base_block', head)
    log_type = len(head) > 32 and struct.unpack_from('<I', head, 28)[0] != 0
    if log_type:
        return
    primary = read(path, MAX_SEED)
    if size <= MAX_SEED:
        seeds.add('hive_reader', primary)
    logs = [read(p, MAX_SEED) for p in log_files(path)]
    if size <= MAX_SEED and logs:
        parts = [primary] + logs[:2]
        if len(parts) == 2:
            parts.append(b'')
        seeds.add('replay', prefixed(parts))
    elif size <= MAX_SEED:
        seeds.add('replay', prefixed([primary, b'']))


def evtx_seeds(seeds, path):
    size = os.path.getsize(path)
    data = read(path, EVTX_HEADER + 2 * EVTX_CHUNK) if size > MAX_SEED else read(path)
    # A big log gives its header plus its first chunk, and header plus two chunks.
    if size > MAX_SEED:
        seeds.add('evtx_native', data[:EVTX_HEADER + EVTX_CHUNK])
        seeds.add('evtx_libevtx', data[:EVTX_HEADER + EVTX_CHUNK])
    seeds.add('evtx_native', data)
    seeds.add('evtx_libevtx', data)


def xml_seeds(seeds, path, limit=40):
    try:
        out = subprocess.run(['evtxexport', '-f', 'xml', path], capture_output=True,
                             timeout=120, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return
    seen = set()
    for rec in out.split(b'\n\n'):
        rec = rec.strip()
        if not rec.startswith(b'<Event'):
            continue
        i = rec.find(b'<EventID')
        key = rec[i:i + 40]
        if key in seen and len(seen) > 3:
            continue
        seen.add(key)
        seeds.add('evtx_xml', rec)
        if len(seen) >= limit:
            break


def locate_seeds(seeds, hive, evtx):
    """Folder trees in the layouts locate_evidence() groups: KAPE, Velociraptor, host folders."""
    h = read(hive, HIVE_HEAD) if hive else b'regf'
    e = read(evtx, EVTX_HEADER) if evtx else b'ElfFile\0'
    trees = [
        [('C/Windows/System32/config/SYSTEM', h), ('C/Windows/System32/config/SYSTEM.LOG1', h),
         ('C/Windows/System32/winevt/Logs/Security.evtx', e)],
        [('uploads/auto/C%3A/Windows/System32/config/SYSTEM', h),
         ('uploads/auto/C%3A/Windows/System32/winevt/Logs/'
          'Microsoft-Windows-Sysmon%254Operational.evtx', e)],
        [('host1/SYSTEM', h), ('host2/SYSTEM', h), ('host1/Security.evtx', e),
         ('host2/Security.evtx', e)],
        [('hive/SYSTEM', h), ('logs/System.evtx', e), ('old.evt', b'LfLe'), ('notes.txt', b'x'),
         ('loop~', b'')],
        [('C/Windows/System32/config/RegBack/SYSTEM', h), ('C/Windows/System32/config/SOFTWARE',
                                                         h)],
    ]
    for t in trees:
        parts = []
        for name, content in t:
            parts += [name.encode(), content]
        parts.append(b'')
        seeds.add('locate', prefixed(parts))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--fixtures', default=os.path.join(here, '..', 'build', 'fixtures'))
    ap.add_argument('--corpus', default=os.path.join(here, '..', '..', 'shared', 'corpus'))
    ap.add_argument('--rules', default=os.path.join(here, '..', 'rules'))
    a = ap.parse_args()
    seeds = Seeds(a.out)
    first_hive = first_evtx = None
    xml_files = 0
    for root in (a.fixtures, os.path.join(a.corpus, 'hives'), os.path.join(a.corpus, 'evtx')):
        if not os.path.isdir(root):
            print(f'make_seeds: {root} missing, skipped', file=sys.stderr)
            continue
        for p in walk(root):
            if is_regf(p):
                hive_seeds(seeds, p)
                first_hive = first_hive or p
            elif is_evtx(p):
                evtx_seeds(seeds, p)
                first_evtx = first_evtx or p
                if xml_files < 30 and os.path.getsize(p) <= 4 << 20:
                    xml_seeds(seeds, p)
                    xml_files += 1
            elif os.path.getsize(p) > 0:
                # Not a hive nor EVTX (corrupt files, legacy .evt): still a useful start.
                head = read(p, HIVE_HEAD)
                seeds.add('base_block', head)
                seeds.add('evtx_native', read(p, EVTX_HEADER + EVTX_CHUNK))
    locate_seeds(seeds, first_hive, first_evtx)
    for p in walk(a.rules):
        if p.endswith('.yaml'):
            seeds.add('rules', read(p))
    fixture_rules = os.path.join(here, '..', 'fixtures')
    for p in walk(fixture_rules):
        if p.endswith('.yaml') and ('/rules/' in p or '/baselines/' in p):
            seeds.add('rules', read(p))
    for t in sorted(seeds.count):
        print(f'{t}: {seeds.count[t]} seeds')


if __name__ == '__main__':
    main()
