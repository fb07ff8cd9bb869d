#!/usr/bin/env python3
"""Compare bench/runtime_bench.py results of the original and of ours.

    python3 bench/compare.py bench/results/run-<timestamp>.jsonl [more.jsonl ...]
    python3 bench/compare.py --markdown FILE      # a Markdown table

Input: JSON lines as printed by runtime_bench.py (one per process), each
with "workload", "label" ("orig" or "ours") and "per_second" (or "error").
Output: per workload, the median rate of each side with its spread
(min-max and the interquartile range over the repetitions), the ratio
ours/orig of the medians with its worst/best case (min ours / max orig,
max ours / min orig), and the target.

Only the standard library is used.
"""

import argparse
import json
import statistics
import sys

# Required speed-up of ours over the original (ratio of rates, ours/orig).
TARGETS = {
    'machines': 10.0,          # machine-to-machine
    'machines-quiet': 10.0,    # machine-to-machine
    'threads': 2.0,            # thread paths
    'spool': 2.0,
    'spool-untimed': 2.0,
}
SIDES = ('orig', 'ours')


def load(paths, key='workload'):
    """(result rows, meta records) of JSON-lines files; a row is a line holding ``key``."""
    rows, meta = [], []
    for path in paths:
        with open(path) as f:
            for n, text in enumerate(f, 1):
                text = text.strip()
                if not text:
                    continue
                try:
                    d = json.loads(text)
                except ValueError:
                    print(f'{path}:{n}: not JSON, ignored', file=sys.stderr)
                    continue
                if 'meta' in d:
                    meta.append(d['meta'])
                elif key in d:
                    rows.append(d)
    return rows, meta


def spread(values):
    """median, min, max, q1, q3 of a non-empty list."""
    v = sorted(values)
    med = statistics.median(v)
    if len(v) >= 2:
        q1, _, q3 = statistics.quantiles(v, n=4, method='inclusive')
    else:
        q1 = q3 = v[0]
    return med, v[0], v[-1], q1, q3


def rate(x):
    if x >= 100000:
        return f'{x / 1000:.0f}k'
    if x >= 10000:
        return f'{x / 1000:.1f}k'
    if x >= 1000:
        return f'{x / 1000:.2f}k'
    return f'{x:.0f}'


def cell(values):
    if not values:
        return '-'
    med, lo, hi, q1, q3 = spread(values)
    return f'{rate(med)} [{rate(lo)}-{rate(hi)}, IQR {rate(q1)}-{rate(q3)}] n={len(values)}'


def build(rows):
    order, data, errors, counts, paths = [], {}, {}, {}, {}
    for d in rows:
        w, side = d.get('workload'), d.get('label')
        if w not in order:
            order.append(w)
        if 'error' in d or not d.get('per_second'):
            errors.setdefault((w, side), []).append(d.get('error', 'no rate'))
            continue
        data.setdefault((w, side), []).append(float(d['per_second']))
        counts.setdefault(w, set()).add((side, d.get('count')))
        if d.get('module_path'):
            paths.setdefault(side, set()).add((d.get('library'), d['module_path']))
    return order, data, errors, counts, paths


def table(rows, markdown=False):
    order, data, errors, counts, paths = build(rows)
    header = ['workload', 'count', 'original median [min-max, IQR]',
              'ours median [min-max, IQR]', 'ours/orig (worst-best)', 'target', 'verdict']
    out = []
    for w in order:
        o, u = data.get((w, 'orig'), []), data.get((w, 'ours'), [])
        ns = sorted({str(c) for _, c in counts.get(w, set())})
        ratio = '-'
        if not u:
            verdict = 'ours failed' if errors.get((w, 'ours')) else 'ours: to be measured'
        else:
            verdict = 'original failed' if errors.get((w, 'orig')) else 'original missing'
        target = TARGETS.get(w)
        if o and u:
            r = statistics.median(u) / statistics.median(o)
            worst, best = min(u) / max(o), max(u) / min(o)
            ratio = f'{r:.2f}x ({worst:.2f}-{best:.2f})'
            if target is None:
                verdict = ''
            elif worst >= target:
                verdict = 'met (every rep)'
            elif r >= target:
                verdict = 'met (median)'
            else:
                verdict = 'NOT met'
        out.append([w, '/'.join(ns) or '-', cell(o), cell(u), ratio,
                    f'>= {target:g}x' if target else '', verdict])
    lines = []
    if markdown:
        lines.append('| ' + ' | '.join(header) + ' |')
        lines.append('|' + '|'.join('---' for _ in header) + '|')
        for r in out:
            lines.append('| ' + ' | '.join(r) + ' |')
    else:
        widths = [max(len(h), *(len(r[i]) for r in out)) if out else len(h)
                  for i, h in enumerate(header)]
        fmt = '  '.join('{:<%d}' % wd for wd in widths)
        lines.append(fmt.format(*header))
        lines.append(fmt.format(*('-' * wd for wd in widths)))
        for r in out:
            lines.append(fmt.format(*r))
    notes = []
    for (w, side), errs in sorted(errors.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        notes.append(f'{w} [{side}]: {len(errs)} failed run(s): {errs[0]}')
    for side in SIDES:
        for lib, path in sorted(paths.get(side, ())):
            notes.append(f'{side}: {lib} from {path}')
    return '\n'.join(lines), notes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('files', nargs='+')
    p.add_argument('--markdown', action='store_true', help='print a Markdown table')
    a = p.parse_args(argv)
    rows, meta = load(a.files)
    if not rows:
        print('no results', file=sys.stderr)
        return 1
    text, notes = table(rows, markdown=a.markdown)
    for m in meta:
        print(f"run {m.get('date')}: {m.get('host_cpus')} CPUs, load {m.get('loadavg')}, "
              f"{m.get('reps')} rep(s), scale {m.get('scale')}, sides {m.get('sides')}")
    print('rates per second: messages (machines*, threads) or round trips (spool*); k = 1000')
    print(text)
    for n in notes:
        print('  ' + n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
