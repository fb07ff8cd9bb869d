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

import sys

import tables

# Required speed-up of ours over the original (ratio of rates, ours/orig).
TARGETS = {
    'machines': 10.0,          # machine-to-machine
    'machines-quiet': 10.0,    # machine-to-machine
    'threads': 2.0,            # thread paths
    'spool': 2.0,
    'spool-untimed': 2.0,
}


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
            ratio = tables.ratio(o, u)[0]
            verdict = '' if target is None else tables.verdict(('ratio', target), o, u)
        out.append([w, '/'.join(ns) or '-', tables.cell(o, tables.rate, iqr=True),
                    tables.cell(u, tables.rate, iqr=True), ratio,
                    f'>= {target:g}x' if target else '', verdict])
    text = tables.layout(header, out, markdown)
    notes = []
    for (w, side), errs in sorted(errors.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        notes.append(f'{w} [{side}]: {len(errs)} failed run(s): {errs[0]}')
    for side in tables.SIDES:
        for lib, path in sorted(paths.get(side, ())):
            notes.append(f'{side}: {lib} from {path}')
    return text, notes


def main(argv=None):
    a = tables.parser(__doc__).parse_args(argv)
    rows, meta = tables.load(a.files)
    if not rows:
        print('no results', file=sys.stderr)
        return 1
    text, notes = table(rows, markdown=a.markdown)
    for m in meta:
        print(tables.run_line(m) + f", scale {m.get('scale')}, sides {m.get('sides')}")
    print('rates per second: messages (machines*, threads) or round trips (spool*); k = 1000')
    tables.show(text, notes)
    return 0


if __name__ == '__main__':
    sys.exit(main())
