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

import sys

import tables

RATE_RATIO = 3.0
TARGET_CONNS = (10, 100)


def fmt(x, unit):
    if x is None:
        return '-'
    if unit == 's':
        return f'{x:.3f}'
    if unit in ('ms', 'us'):
        return f'{x:.1f}' if x >= 10 or unit == 'us' else f'{x:.2f}'
    return tables.rate(x)


def cell(values, unit):
    return tables.cell(values, lambda x: fmt(x, unit), iqr=True)


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
        data, fails = tables.series(rows, 'workload', workload, key, conns)
        o, u = data['orig'], data['ours']
        if not o and not u and not any(fails.values()):
            continue
        ratio, tcell, verdict = '-', '', ''
        if o and u:
            ratio = tables.ratio(o, u, higher)[0]
        if target:
            kind, x = target
            tcell = f'>= {x:g}x' if kind == 'ratio' else f'<= {x:g}x (time)'
            verdict = tables.verdict(target, o, u, ours_failed=bool(fails['ours']),
                                     orig_failed=bool(fails['orig']))
            notes += tables.failure_notes(name, fails)
        out.append([name, label, cell(o, unit), cell(u, unit), ratio, tcell, verdict])
    for d in rows:
        if d.get('left_running', '').strip():
            notes.append(f"{d.get('workload')} {d.get('conns', '')} [{d.get('label')}] rep "
                         f"{d.get('rep')}: child process(es) still running after the end "
                         f"(killed): {d['left_running'].strip()}")
        if d.get('workload') == 'http' and 'error' not in d:
            if (note := tables.wrk_note(d)):
                notes.append(note)
            if d.get('worker_processes') not in (None, 8):
                notes.append(f"http c={d.get('conns')} [{d.get('label')}] rep {d.get('rep')}: "
                             f"{d.get('worker_processes')} worker processes seen (not 8)")
        if d.get('workload') == 'library' and 'error' not in d and \
                d.get('stop_returned') != 'Aborted':
            notes.append(f"library [{d.get('label')}] rep {d.get('rep')}: Stop gave "
                         f"Returned({d.get('stop_returned')}), not Aborted")
    return tables.layout(header, out, markdown), notes


def main(argv=None):
    a = tables.parser(__doc__).parse_args(argv)
    rows, meta = tables.load(a.files, key='workload')
    if not rows:
        print('no results', file=sys.stderr)
        return 1
    text, notes = table(rows, markdown=a.markdown)
    for m in meta:
        print(tables.run_line(m) + f", {m.get('start_count')} starts per rep, "
              f"{m.get('library_count')} library round trips, wrk {m.get('duration')} s per run, "
              f"{m.get('workers')} worker processes, sides {m.get('sides')}, "
              f"ours at {m.get('commit', '?')}, bytecode caches "
              f"{'on' if m.get('bytecode_cache') else 'as the caller had them'}")
    print('a: ProcessObject(texture) start to Returned; b: sequential round trips to a '
          'library-mode child; c: wrk against the tutorial server with a spool of worker processes')
    tables.show(text, notes)
    return 0


if __name__ == '__main__':
    sys.exit(main())
