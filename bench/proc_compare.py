#!/usr/bin/env python3
"""Child-process benchmark results (bench/proc_run): print the comparison table.

    python3 bench/proc_compare.py bench/results/proc-<timestamp>.jsonl [more ...] [--markdown]

Input lines (written by bench/proc_run):
    {"workload": "start", "label": "orig|ours", "rep": 1, "seconds": ...,
     "starts": [...], "python_pass_s": ..., "import_lc_s": ...}
    {"workload": "library", ..., "per_second": ..., "p50_us": ..., "p99_us": ...,
     "first_reply_s": ..., "stop_s": ...}
    {"workload": "http", ..., "conns": 10, "rps": ..., "p50_ms": ..., "p99_ms": ...,
     "ready_s": ..., "worker_processes": 8}
    or the same keys with "error".

Targets (from the issue):
    (a) start-to-Returned time of a trivial function as a process: ours no
        slower than the original (time ratio ours/orig <= 1);
    (b) round trips per second to a library-mode child: ours >= 3x;
    (c) HTTP requests per second of the tutorial server with a spool of 8
        worker processes, at 10 and 100 connections: ours >= 3x.

For each side: the median over the repetitions [min-max, IQR]. The ratio
is ours/orig of the medians with (worst-best) across repetitions. For a
time (lower is better) the worst case is max ours / min orig. A verdict is
"met (every rep)" when even the worst case reaches the target, "met
(median)" when only the medians do, "NOT met" otherwise.

Only the standard library is used.
"""

import argparse
import statistics
import sys

import compare

SIDES = ('orig', 'ours')
RATE_RATIO = 3.0
TARGET_CONNS = (10, 100)


def fmt(x, unit):
    if x is None:
        return '-'
    if unit == 's':
        return f'{x:.3f}'
    if unit in ('ms', 'us'):
        return f'{x:.1f}' if x >= 10 or unit == 'us' else f'{x:.2f}'
    return compare.rate(x)


def cell(values, unit):
    if not values:
        return '-'
    med, lo, hi, q1, q3 = compare.spread(values)
    return (f'{fmt(med, unit)} [{fmt(lo, unit)}-{fmt(hi, unit)}, '
            f'IQR {fmt(q1, unit)}-{fmt(q3, unit)}] n={len(values)}')


def series(rows, workload, key, conns=None):
    out = {s: [] for s in SIDES}
    fails = {s: [] for s in SIDES}
    for d in rows:
        if d.get('workload') != workload or d.get('label') not in out:
            continue
        if conns is not None and d.get('conns') != conns:
            continue
        if 'error' in d or d.get(key) is None:
            fails[d['label']].append(d.get('error', f'no {key}'))
        else:
            out[d['label']].append(float(d[key]))
    return out, fails


# (test name, workload, conns, key, unit, label, higher_is_better, target)
# target: ('ratio', x) for ours/orig >= x on a rate; ('time', x) for ours/orig <= x.
def metrics(rows):
    specs = [
        ('a start', 'start', None, 'seconds', 's', 'start to Returned, s', False, ('time', 1.0)),
        ('a start', 'start', None, 'import_lc_s', 's', 'ref: python -c "import layer_cake", s',
         False, None),
        ('a start', 'start', None, 'python_pass_s', 's', 'ref: python -c pass, s', False, None),
        ('b library', 'library', None, 'per_second', 'rps', 'round trips/s', True,
         ('ratio', RATE_RATIO)),
        ('b library', 'library', None, 'p50_us', 'us', 'p50 us', False, None),
        ('b library', 'library', None, 'p99_us', 'us', 'p99 us', False, None),
        ('b library', 'library', None, 'first_reply_s', 's', 'first reply (start-up), s', False,
         None),
        ('b library', 'library', None, 'stop_s', 's', 'Stop to Returned, s', False, None),
    ]
    conns = sorted({d['conns'] for d in rows if d.get('workload') == 'http' and 'conns' in d})
    for c in conns:
        target = ('ratio', RATE_RATIO) if c in TARGET_CONNS else None
        specs += [
            (f'c http c={c}', 'http', c, 'rps', 'rps', 'req/s', True, target),
            (f'c http c={c}', 'http', c, 'p50_ms', 'ms', 'p50 ms', False, None),
            (f'c http c={c}', 'http', c, 'p99_ms', 'ms', 'p99 ms', False, None),
            (f'c http c={c}', 'http', c, 'ready_s', 's', 'ready (8 workers up), s', False, None),
        ]
    return specs


def table(rows, markdown=False):
    header = ['test', 'metric', 'original median [min-max, IQR]', 'ours median [min-max, IQR]',
              'ours/orig (worst-best)', 'target', 'verdict']
    out, notes = [], []
    for name, workload, conns, key, unit, label, higher, target in metrics(rows):
        data, fails = series(rows, workload, key, conns)
        o, u = data['orig'], data['ours']
        if not o and not u and not any(fails.values()):
            continue
        ratio, tcell, verdict = '-', '', ''
        if o and u:
            mo, mu = statistics.median(o), statistics.median(u)
            if higher:
                worst, best = min(u) / max(o), max(u) / min(o)
            else:
                worst, best = max(u) / min(o), min(u) / max(o)
            ratio = f'{mu / mo:.2f}x ({worst:.2f}-{best:.2f})'
        if target:
            kind, x = target
            tcell = f'>= {x:g}x' if kind == 'ratio' else f'<= {x:g}x (time)'
            if not u:
                verdict = 'ours failed' if fails['ours'] else 'ours: not measured'
            elif not o:
                verdict = 'original failed' if fails['orig'] else 'original missing'
            else:
                med = statistics.median(u) / statistics.median(o)
                ok_worst = worst >= x if kind == 'ratio' else worst <= x
                ok_med = med >= x if kind == 'ratio' else med <= x
                verdict = ('met (every rep)' if ok_worst else 'met (median)' if ok_med
                           else 'NOT met')
            for s in SIDES:
                if fails[s]:
                    notes.append(f'{name} [{s}]: {len(fails[s])} failed run(s): {fails[s][0]}')
        out.append([name, label, cell(o, unit), cell(u, unit), ratio, tcell, verdict])
    for d in rows:
        if d.get('left_running', '').strip():
            notes.append(f"{d.get('workload')} {d.get('conns', '')} [{d.get('label')}] rep "
                         f"{d.get('rep')}: child process(es) still running after the end "
                         f"(killed): {d['left_running'].strip()}")
        if d.get('workload') == 'http' and 'error' not in d:
            errs = {k: v for k, v in (d.get('errors') or {}).items() if v}
            if d.get('non2xx') or errs:
                notes.append(f"http c={d.get('conns')} [{d.get('label')}] rep {d.get('rep')}: "
                             f"{d.get('non2xx', 0)} non-2xx responses, socket errors "
                             f"{errs or 0} (of {d.get('requests')} requests)")
            if d.get('worker_processes') not in (None, 8):
                notes.append(f"http c={d.get('conns')} [{d.get('label')}] rep {d.get('rep')}: "
                             f"{d.get('worker_processes')} worker processes seen (not 8)")
        if d.get('workload') == 'library' and 'error' not in d and \
                d.get('stop_returned') != 'Aborted':
            notes.append(f"library [{d.get('label')}] rep {d.get('rep')}: Stop gave "
                         f"Returned({d.get('stop_returned')}), not Aborted")
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
    p.add_argument('files', nargs='+')
    p.add_argument('--markdown', action='store_true', help='print a Markdown table')
    a = p.parse_args(argv)
    rows, meta = compare.load(a.files, key='workload')
    if not rows:
        print('no results', file=sys.stderr)
        return 1
    text, notes = table(rows, markdown=a.markdown)
    for m in meta:
        print(f"run {m.get('date')}: {m.get('host_cpus')} CPUs, load {m.get('loadavg')}, "
              f"{m.get('reps')} rep(s), {m.get('start_count')} starts per rep, "
              f"{m.get('library_count')} library round trips, wrk {m.get('duration')} s per run, "
              f"{m.get('workers')} worker processes, sides {m.get('sides')}, "
              f"ours at {m.get('commit', '?')}, bytecode caches "
              f"{'on' if m.get('bytecode_cache') else 'as the caller had them'}")
    print('a: ProcessObject(texture) start to Returned; b: sequential round trips to a '
          'library-mode child; c: wrk against the tutorial server with a spool of worker processes')
    print(text)
    for n in notes:
        print('  ' + n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
