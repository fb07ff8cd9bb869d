#!/usr/bin/env python3
"""Network benchmark results: parse wrk output, print the comparison table.

    python3 bench/net_compare.py bench/results/net-<timestamp>.jsonl [more ...] [--markdown]
    wrk ... --latency URL | python3 bench/net_compare.py --wrk     # one JSON object

Input lines (written by bench/net_run):
    {"test": "http", "label": "orig|ours", "rep": 1, "conns": 10, "rps": ...,
     "p50_ms": ..., "p99_ms": ..., "non2xx": 0, "errors": {...}}
    {"test": "framed-thread|framed-machine", "label": ..., "rep": ..., "per_second": ...,
     "p50_us": ..., "p99_us": ...}
    or the same keys with "error".

Targets (from the issue):
    HTTP requests/s at 10 and 100 connections: ours >= 3x the original's,
    with p99 latency no worse than the original's.
    Framed round trips/s, sequential on one connection: ours >= 5000.

A verdict is "met (every rep)" when even the worst case reaches the target
(min ours / max orig for a ratio, max ours vs min orig for p99, min ours for
an absolute rate), "met (median)" when only the medians do, "NOT met"
otherwise.

Only the standard library is used.
"""

import argparse
import json
import re
import statistics
import sys

import compare

HTTP_RPS_RATIO = 3.0            # at TARGET_CONNS
TARGET_CONNS = (10, 100)
FRAMED_MIN = 5000.0             # round trips per second, absolute
SIDES = ('orig', 'ours')

_UNIT = {'us': 1e-3, 'ms': 1.0, 's': 1000.0, 'm': 60000.0, 'h': 3600000.0}


def to_ms(text):
    m = re.fullmatch(r'([0-9.]+)(us|ms|s|m|h)', text.strip())
    if not m:
        raise ValueError(f'not a wrk duration: {text!r}')
    return float(m.group(1)) * _UNIT[m.group(2)]


def parse_wrk(text):
    """The figures of one `wrk --latency` run."""
    d = {}
    m = re.search(r'^Requests/sec:\s*([0-9.]+)', text, re.M)
    if not m:
        raise ValueError('no "Requests/sec:" line in the wrk output')
    d['rps'] = float(m.group(1))
    for q in ('50', '75', '90', '99'):
        m = re.search(r'^\s*%s%%\s+([0-9.]+[a-z]+)' % q, text, re.M)
        if m:
            d[f'p{q}_ms'] = round(to_ms(m.group(1)), 3)
    m = re.search(r'^\s*(\d+) requests in ([0-9.]+[a-z]+)', text, re.M)
    if m:
        d['requests'] = int(m.group(1))
        d['wrk_seconds'] = round(to_ms(m.group(2)) / 1000.0, 3)
    m = re.search(r'Non-2xx or 3xx responses:\s*(\d+)', text)
    d['non2xx'] = int(m.group(1)) if m else 0
    m = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', text)
    d['errors'] = dict(zip(('connect', 'read', 'write', 'timeout'),
                           map(int, m.groups()))) if m else {}
    return d


def load(paths):
    return compare.load(paths, key='test')


def fmt(x, unit):
    if x is None:
        return '-'
    if unit == 'ms':
        return f'{x:.1f}' if x >= 10 else f'{x:.2f}'
    if unit == 'us':
        return f'{x:.0f}'
    if x >= 10000:
        return f'{x / 1000:.1f}k'
    if x >= 1000:
        return f'{x / 1000:.2f}k'
    return f'{x:.0f}'


def cell(values, unit):
    if not values:
        return '-'
    v = sorted(values)
    return f'{fmt(statistics.median(v), unit)} [{fmt(v[0], unit)}-{fmt(v[-1], unit)}] n={len(v)}'


def series(rows, test, key, conns=None):
    out = {s: [] for s in SIDES}
    fails = {s: [] for s in SIDES}
    for d in rows:
        if d.get('test') != test or d.get('label') not in out:
            continue
        if conns is not None and d.get('conns') != conns:
            continue
        if 'error' in d or d.get(key) is None:
            fails[d['label']].append(d.get('error', f'no {key}'))
        else:
            out[d['label']].append(float(d[key]))
    return out, fails


def table(rows, markdown=False):
    header = ['test', 'metric', 'original median [min-max]', 'ours median [min-max]',
              'ours/orig (worst-best)', 'target', 'verdict']
    out, notes = [], []
    conns_seen = sorted({d['conns'] for d in rows if d.get('test') == 'http' and 'conns' in d})
    for c in conns_seen:
        for key, unit, label in (('rps', 'rps', 'req/s'), ('p50_ms', 'ms', 'p50 ms'),
                                 ('p90_ms', 'ms', 'p90 ms'), ('p99_ms', 'ms', 'p99 ms')):
            data, fails = series(rows, 'http', key, c)
            o, u = data['orig'], data['ours']
            ratio, target, verdict = '-', '', ''
            if o and u:
                mo, mu = statistics.median(o), statistics.median(u)
                if key == 'rps':
                    ratio = f'{mu / mo:.2f}x ({min(u) / max(o):.2f}-{max(u) / min(o):.2f})'
                else:   # lower is better: worst = max ours / min orig
                    ratio = f'{mu / mo:.2f}x ({max(u) / min(o):.2f}-{min(u) / max(o):.2f})'
            if c in TARGET_CONNS and key in ('rps', 'p99_ms'):
                target = f'>= {HTTP_RPS_RATIO:g}x' if key == 'rps' else '<= orig'
                if not u:
                    verdict = 'ours failed' if fails['ours'] else 'ours: not measured'
                elif not o:
                    verdict = 'original missing'
                elif key == 'rps':
                    verdict = ('met (every rep)' if min(u) / max(o) >= HTTP_RPS_RATIO else
                               'met (median)' if statistics.median(u) / statistics.median(o)
                               >= HTTP_RPS_RATIO else 'NOT met')
                else:
                    verdict = ('met (every rep)' if max(u) <= min(o) else
                               'met (median)' if statistics.median(u) <= statistics.median(o)
                               else 'NOT met')
            out.append([f'http c={c}', label, cell(o, unit), cell(u, unit), ratio, target,
                        verdict])
            for s in SIDES:
                if fails[s] and key == 'rps':
                    notes.append(f'http c={c} [{s}]: {len(fails[s])} failed run(s): {fails[s][0]}')
    for test in sorted({d['test'] for d in rows if d.get('test', '').startswith('framed')}):
        for key, unit, label in (('per_second', 'rps', 'round trips/s'),
                                 ('p50_us', 'us', 'p50 us'), ('p99_us', 'us', 'p99 us')):
            data, fails = series(rows, test, key)
            o, u = data['orig'], data['ours']
            ratio, target, verdict = '-', '', ''
            if o and u:
                mo, mu = statistics.median(o), statistics.median(u)
                if key == 'per_second':
                    ratio = f'{mu / mo:.2f}x ({min(u) / max(o):.2f}-{max(u) / min(o):.2f})'
                else:
                    ratio = f'{mu / mo:.2f}x ({max(u) / min(o):.2f}-{min(u) / max(o):.2f})'
            if key == 'per_second':
                target = f'>= {fmt(FRAMED_MIN, "rps")}/s'
                if not u:
                    verdict = 'ours failed' if fails['ours'] else 'ours: not measured'
                else:
                    verdict = ('met (every rep)' if min(u) >= FRAMED_MIN else
                               'met (median)' if statistics.median(u) >= FRAMED_MIN
                               else 'NOT met')
                for s in SIDES:
                    if fails[s]:
                        notes.append(f'{test} [{s}]: {len(fails[s])} failed run(s): {fails[s][0]}')
            out.append([test, label, cell(o, unit), cell(u, unit), ratio, target, verdict])
    # Requests that were not plain successes make a rate meaningless: list them.
    for d in rows:
        if d.get('test') == 'http' and 'error' not in d:
            errs = {k: v for k, v in (d.get('errors') or {}).items() if v}
            if d.get('non2xx') or errs:
                notes.append(f"http c={d.get('conns')} [{d.get('label')}] rep {d.get('rep')}: "
                             f"{d.get('non2xx', 0)} non-2xx responses, socket errors {errs or 0} "
                             f"(of {d.get('requests')} requests)")
        if d.get('test') == 'reference' and 'error' not in d:
            notes.append(f"reference rep {d.get('rep')}: {d.get('what')}: "
                         f"{fmt(d.get('per_second'), 'rps')} round trips/s")
    lines = []
    if markdown:
        lines.append('| ' + ' | '.join(header) + ' |')
        lines.append('|' + '|'.join('---' for _ in header) + '|')
        for r in out:
            lines.append('| ' + ' | '.join(r) + ' |')
    else:
        widths = [max(len(h), *(len(r[i]) for r in out)) if out else len(h)
                  for i, h in enumerate(header)]
        f = '  '.join('{:<%d}' % wd for wd in widths)
        lines.append(f.format(*header))
        lines.append(f.format(*('-' * wd for wd in widths)))
        for r in out:
            lines.append(f.format(*r))
    return '\n'.join(lines), notes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('files', nargs='*')
    p.add_argument('--markdown', action='store_true', help='print a Markdown table')
    p.add_argument('--wrk', action='store_true',
                   help='parse wrk output on stdin and print its figures as one JSON object')
    a = p.parse_args(argv)
    if a.wrk:
        try:
            print(json.dumps(parse_wrk(sys.stdin.read())))
        except ValueError as e:
            print(json.dumps({'error': str(e)}))
            return 1
        return 0
    rows, meta = load(a.files)
    if not rows:
        print('no results', file=sys.stderr)
        return 1
    text, notes = table(rows, markdown=a.markdown)
    for m in meta:
        print(f"run {m.get('date')}: {m.get('host_cpus')} CPUs, load {m.get('loadavg')}, "
              f"{m.get('reps')} rep(s), wrk {m.get('duration')} s per run, "
              f"sides {m.get('sides')}, ours at {m.get('commit', '?')}")
    print('http: wrk against the tutorial server, one fresh server per (side, connections); '
          'framed: sequential round trips on one connection')
    print(text)
    for n in notes:
        print('  ' + n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
