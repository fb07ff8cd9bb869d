#!/usr/bin/env python3
"""Composite-process (CLI) benchmark results (bench/cli_run): print the comparison table.

    python3 bench/cli_compare.py bench/results/cli-<timestamp>.jsonl [more ...] [--markdown]

Input lines (one per repetition and side, printed by bench/cli_bench.py):
    {"test": "cli", "label": "orig|ours", "rep": 1,
     "setup_create_s": ..., "setup_add_server_s": ..., "setup_add_workers_s": ...,
     "run_ready_s": ..., "run_stop_s": ..., "run_exit_s": ..., "run_group_gone_s": ...,
     "start_return_s": ..., "start_ready_s": ..., "stop_return_s": ..., "stop_gone_s": ...,
     "stop_group_gone_s": ..., "round_trip_s": ..., "run_roles_cpu_s": ...,
     "run_group_cpu_s": ..., "run_cli_cpu_s": ..., "start_roles_cpu_s": ..., "killed": [...],
     "errors": {phase: text}, "error": "..."}   (a failed phase has no figures)

Targets (issue 5): the time from ``layer-cake run`` to all 9 roles running,
and the ``layer-cake start`` -> ``stop`` round trip (start to 9 roles
running, plus stop to the 9 gone): ours no slower than the original (time
ratio ours/orig <= 1).

For each side: the median over the repetitions [min-max]. The ratio is
ours/orig of the medians with (worst-best) across repetitions: for a time,
the worst case is max ours / min orig and the best is min ours / max orig.
The verdict is "met (every rep)" when even the worst case reaches the
target, "met (median)" when only the medians do, "NOT met" otherwise.

Only the standard library is used.
"""

import statistics
import sys

import tables

# (key, label, target): target is the largest allowed time ratio ours/orig, or None.
METRICS = [
    ('run_ready_s', 'run: launch to 9 roles running, s', 1.0),
    ('run_stop_s', 'run: SIGINT to run exited + 9 roles gone, s', None),
    ('run_group_gone_s', 'run: SIGINT to group gone, s', None),
    ('start_return_s', 'start: command returned, s', None),
    ('start_ready_s', 'start: launch to 9 roles running, s', None),
    ('stop_return_s', 'stop: command returned, s', None),
    ('stop_gone_s', 'stop: launch to 9 roles gone, s', None),
    ('stop_group_gone_s', 'stop: launch to group gone, s', None),
    ('round_trip_s', 'start->stop round trip (ready + gone), s', 1.0),
    ('run_roles_cpu_s', 'run: CPU of the 9 roles when up (sum), s', None),
    ('run_group_cpu_s', 'run: CPU of the group when roles up, s', None),
    ('run_cli_cpu_s', 'run: CPU of layer-cake run when roles up, s', None),
    ('start_roles_cpu_s', 'start: CPU of the 9 roles when up (sum), s', None),
    ('setup_create_s', 'setup: layer-cake create, s', None),
    ('setup_add_server_s', 'setup: add cli_server.py server, s', None),
    ('setup_add_workers_s', 'setup: add cli_worker.py --role-count=8, s', None),
]


def fmt(x):
    return '-' if x is None else f'{x:.3f}'


def series(rows, key):
    out = {s: [] for s in tables.SIDES}
    for d in rows:
        if d.get('label') in out and d.get(key) is not None:
            out[d['label']].append(float(d[key]))
    return out


def table(rows, markdown=False):
    header = ['metric', 'original median [min-max]', 'ours median [min-max]',
              'ours/orig (worst-best)', 'target', 'verdict']
    out = []
    for key, label, target in METRICS:
        data = series(rows, key)
        o, u = data['orig'], data['ours']
        if not o and not u and target is None:
            continue
        ratio, tcell, verdict = '-', '', ''
        if o and u:
            ratio = tables.ratio(o, u, higher=False)[0]
        if target is not None:
            tcell = '<= orig'
            if not u:
                verdict = 'ours: no figures'
            elif not o:
                verdict = 'original: no figures'
            else:
                verdict = tables.verdict(('time', target), o, u)
        out.append([label, tables.cell(o, fmt), tables.cell(u, fmt), ratio, tcell, verdict])

    notes = []
    for d in sorted(rows, key=lambda d: (d.get('rep', 0), d.get('label', ''))):
        who = f"rep {d.get('rep')} [{d.get('label')}]"
        for phase, text in (d.get('errors') or {}).items():
            notes.append(f'{who} {phase}: {text}')
        if d.get('error') and not d.get('errors'):
            notes.append(f"{who}: {d['error']}")
        for k in d.get('killed') or []:
            notes.append(f"{who}: still running after the {k.get('phase')} phase, killed by "
                         f"PID: {k.get('pids')}")
        for key in ('start_status', 'stop_status'):
            if d.get(key) not in (None, 0):
                notes.append(f'{who}: {key.split("_")[0]} exited with status {d[key]}')
        if (d.get('start_return_s') is not None and d.get('start_ready_s') is not None and
                d['start_return_s'] > d['start_ready_s']):
            notes.append(f"{who}: start returned after the roles were up "
                         f"({d['start_return_s']:.3f} s > {d['start_ready_s']:.3f} s)")
        for gone, group in (('run_stop_s', 'run_group_gone_s'),
                            ('stop_gone_s', 'stop_group_gone_s')):
            if d.get(gone) is not None and d.get(group) is not None and \
                    d[group] - d[gone] > 1.0:
                notes.append(f'{who}: the group outlived its roles by '
                             f'{d[group] - d[gone]:.2f} s ({group})')
    statuses = {}
    for d in rows:
        if d.get('run_status') is not None:
            statuses.setdefault(d.get('label'), set()).add(d['run_status'])
    for side, codes in sorted(statuses.items()):
        notes.append(f'[{side}] exit status of layer-cake run after SIGINT: '
                     f'{", ".join(map(str, sorted(codes)))}')

    return tables.layout(header, out, markdown, trim_header=True, trim_rows=True), notes


def main(argv=None):
    a = tables.parser(__doc__).parse_args(argv)
    rows, meta = tables.load(a.files, key='label')
    if not rows:
        print('no results', file=sys.stderr)
        return 1
    for m in meta:
        print(tables.run_line(m) + f", 1 server + {m.get('workers')} worker roles, "
              f"phases {m.get('phases')}, sides {m.get('sides')}, ours at {m.get('commit', '?')}, "
              f"bytecode caches {'on' if m.get('bytecode_cache') else 'as the caller had them'}")
    loads = [d.get('loadavg') for d in rows if d.get('loadavg')]
    if loads:
        ones = sorted(float(x.split()[0]) for x in loads)
        print(f'1-minute load average when each measurement began: {ones[0]:.2f}-{ones[-1]:.2f} '
              f'(median {statistics.median(ones):.2f})')
    text, notes = table(rows, markdown=a.markdown)
    tables.show(text, notes)
    return 0


if __name__ == '__main__':
    sys.exit(main())
