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

import json
import re
import sys

import tables

HTTP_RPS_RATIO = 3.0            # at TARGET_CONNS
TARGET_CONNS = (10, 100)
FRAMED_MIN = 5000.0             # round trips per second, absolute

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
    return tables.cell(values, lambda x: fmt(x, unit))


def table(rows, markdown=False):
    header = ['test', 'metric', 'original median [min-max]', 'ours median [min-max]',
              'ours/orig (worst-best)', 'target', 'verdict']
    out, notes = [], []
    conns_seen = sorted({d['conns'] for d in rows if d.get('test') == 'http' and 'conns' in d})
    for c in conns_seen:
        for key, unit, label in (('rps', 'rps', 'req/s'), ('p50_ms', 'ms', 'p50 ms'),
                                 ('p90_ms', 'ms', 'p90 ms'), ('p99_ms', 'ms', 'p99 ms')):
            data, fails = tables.series(rows, 'test', 'http', key, c)
            o, u = data['orig'], data['ours']
            ratio, target, verdict = '-', '', ''
            if o and u:     # lower is better but for rps: worst = max ours / min orig
                ratio = tables.ratio(o, u, higher=key == 'rps')[0]
            if c in TARGET_CONNS and key in ('rps', 'p99_ms'):
                target = f'>= {HTTP_RPS_RATIO:g}x' if key == 'rps' else '<= orig'
                # a failed original counts as missing here, as it always has
                verdict = tables.verdict(('ratio', HTTP_RPS_RATIO) if key == 'rps' else
                                         ('at-most-orig', None), o, u,
                                         ours_failed=bool(fails['ours']))
            out.append([f'http c={c}', label, cell(o, unit), cell(u, unit), ratio, target,
                        verdict])
            if key == 'rps':
                notes += tables.failure_notes(f'http c={c}', fails)
    for test in sorted({d['test'] for d in rows if d.get('test', '').startswith('framed')}):
        for key, unit, label in (('per_second', 'rps', 'round trips/s'),
                                 ('p50_us', 'us', 'p50 us'), ('p99_us', 'us', 'p99 us')):
            data, fails = tables.series(rows, 'test', test, key)
            o, u = data['orig'], data['ours']
            ratio, target, verdict = '-', '', ''
            if o and u:
                ratio = tables.ratio(o, u, higher=key == 'per_second')[0]
            if key == 'per_second':
                target = f'>= {fmt(FRAMED_MIN, "rps")}/s'
                verdict = tables.verdict(('min', FRAMED_MIN), o, u,
                                         ours_failed=bool(fails['ours']))
                notes += tables.failure_notes(test, fails)
            out.append([test, label, cell(o, unit), cell(u, unit), ratio, target, verdict])
    # Requests that were not plain successes make a rate meaningless: list them.
    for d in rows:
        if d.get('test') == 'http' and 'error' not in d and (note := tables.wrk_note(d)):
            notes.append(note)
        if d.get('test') == 'reference' and 'error' not in d:
            notes.append(f"reference rep {d.get('rep')}: {d.get('what')}: "
                         f"{fmt(d.get('per_second'), 'rps')} round trips/s")
    return tables.layout(header, out, markdown), notes


def main(argv=None):
    p = tables.parser(__doc__, nargs='*')
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
    rows, meta = tables.load(a.files, key='test')
    if not rows:
        print('no results', file=sys.stderr)
        return 1
    text, notes = table(rows, markdown=a.markdown)
    for m in meta:
        print(tables.run_line(m) + f", wrk {m.get('duration')} s per run, "
              f"sides {m.get('sides')}, ours at {m.get('commit', '?')}")
    print('http: wrk against the tutorial server, one fresh server per (side, connections); '
          'framed: sequential round trips on one connection')
    tables.show(text, notes)
    return 0


if __name__ == '__main__':
    sys.exit(main())
