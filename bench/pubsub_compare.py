#!/usr/bin/env python3
"""Publish/subscribe benchmark results (bench/pubsub_run): print the comparison table.

    python3 bench/pubsub_compare.py bench/results/pubsub-<timestamp>.jsonl [more ...] [--markdown]

Input lines (written by bench/pubsub_bench.py, one per test, side and
repetition): {"test": "process|host|group|kill|late|http|scale", "label":
"orig|ours", "rep": N, ...figures...}, or the same with "error" or "skipped".

Targets (from the issue), all on this one host:
    publish -> Available within 2 ms (the issue's figure is through host-cake,
        HOST scope; the table applies it to the PROCESS and GROUP rows too);
    SIGKILL -> Dropped within 5 ms;
    host-cake started late -> Available within 1 s;
    HTTP requests/s of the multihosting tutorial at 10 and 100 connections at
        least 3x the original's, with no errors, and p99 under 100 ms at 100
        connections;
    10 000 names (and 1 000 subscriptions) handled in under 10 s, with under
        200 MB in host-cake.

For each side: the median over the repetitions of each repetition's figure
(itself a median where a repetition has several samples) [min-max] and n.
The ratio is ours/orig of the medians with (worst-best) across repetitions;
for a time (lower is better) the worst case is max ours / min orig. A
verdict is "met (every rep)" when even the worst repetition reaches the
target, "met (median)" when only the median does, "NOT met" otherwise.

Only the standard library is used.
"""

import sys

import tables


def fmt(x, unit):
    if x is None:
        return '-'
    if unit in ('ms', 's'):
        return f'{x:.1f}' if x >= 100 else f'{x:.2f}' if x >= 1 else f'{x:.3f}'
    if unit == 'MB':
        return f'{x:.0f}' if x >= 100 else f'{x:.1f}'
    if unit == 'n':
        return f'{x:.0f}'
    if unit == 'n2':
        return f'{x:.2f}'
    return tables.rate(x)


def cell(values, unit):
    return tables.cell(values, lambda x: fmt(x, unit))


def value(d, key):
    if key == 'errors_total':
        if 'rps' not in d:
            return None
        return float(d.get('non2xx', 0) + sum((d.get('errors') or {}).values()))
    if key == 'host_cake_hwm_mb':
        x = d.get('host_cake_hwm_kb')
        return None if x is None else x / 1024.0
    x = d.get(key)
    return None if x is None else float(x)


def series(rows, test, key, conns=None):
    out = {s: [] for s in tables.SIDES}
    fails = {s: [] for s in tables.SIDES}
    for d in rows:
        if d.get('test') != test or d.get('label') not in out:
            continue
        if conns is not None and d.get('conns') != conns:
            continue
        v = value(d, key)
        if v is not None:
            out[d['label']].append(v)
        elif d.get('error') or d.get('skipped'):
            fails[d['label']].append(d.get('error') or d.get('skipped'))
        # else: a row written before this figure was recorded
    return out, fails


# (row name, test, conns, key, unit, metric, higher is better, target)
# target: ('ratio', x): ours/orig >= x (a rate); ('max', x): ours <= x (absolute).
def metrics(rows):
    specs = [
        ('a PROCESS', 'process', None, 'latency_median_ms', 'ms', 'publish->Available, ms',
         False, ('max', 2.0)),
        ('a PROCESS', 'process', None, 'latency_p90_ms', 'ms', 'p90 of the cycles, ms', False,
         None),
        ('a GROUP', 'group', None, 'latency_median_ms', 'ms', 'publish->Available, ms', False,
         ('max', 2.0)),
        ('a GROUP', 'group', None, 'latency_p90_ms', 'ms', 'p90 of the cycles, ms', False,
         None),
        ('a HOST', 'host', None, 'latency_median_ms', 'ms', 'publish->Available, ms', False,
         ('max', 2.0)),
        ('a HOST', 'host', None, 'latency_p90_ms', 'ms', 'p90 of the cycles, ms', False, None),
        ('a HOST', 'host', None, 'published_median_ms', 'ms', 'publish->Published, ms', False,
         None),
        ('b SIGKILL', 'kill', None, 'dropped_median_ms', 'ms', 'SIGKILL->Dropped, ms', False,
         ('max', 5.0)),
        ('b SIGKILL', 'kill', None, 'dropped_max_ms', 'ms', 'worst kill of the rep, ms', False,
         None),
        ('b SIGKILL', 'kill', None, 'reaped_median_ms', 'ms',
         'SIGKILL->publisher reaped (floor), ms', False, None),
        ('c fallback', 'group', None, 'fallback_median_ms', 'ms',
         'SIGKILL GROUP pub->Available HOST, ms', False, None),
        ('c fallback', 'group', None, 'fallback_dropped_median_ms', 'ms',
         'SIGKILL GROUP pub->Dropped, ms', False, None),
        ('d late', 'late', None, 'late_s', 's', 'host-cake launched->Available, s', False,
         ('max', 1.0)),
        ('d late', 'late', None, 'late_after_listen_s', 's', 'host-cake listening->Available, s',
         False, None),
        ('d late', 'late', None, 'host_cake_listen_s', 's', 'host-cake launched->listening, s',
         False, None),
    ]
    conns = sorted({d['conns'] for d in rows if d.get('test') == 'http' and 'conns' in d})
    for c in conns:
        specs += [
            (f'e http c={c}', 'http', c, 'rps', 'rps', 'req/s', True, ('ratio', 3.0)),
            (f'e http c={c}', 'http', c, 'errors_total', 'n', 'errors (non-2xx + socket)',
             False, ('max', 0.0)),
            (f'e http c={c}', 'http', c, 'p50_ms', 'ms', 'p50 ms', False, None),
            (f'e http c={c}', 'http', c, 'p99_ms', 'ms', 'p99 ms', False,
             ('max', 100.0) if c == 100 else None),
            (f'e http c={c}', 'http', c, 'ready_s', 's', 'run->ready (8 workers joined), s',
             False, None),
        ]
    specs += [
        ('f scale', 'scale', None, 'publish_s', 's', 'go->all Published, s', False, None),
        ('f scale', 'scale', None, 'host_cake_busy_after_publish_s', 's',
         'go->host-cake done with them, s', False, None),
        ('f scale', 'scale', None, 'subscribe_s', 's', 'go->all Subscribed, s', False, None),
        ('f scale', 'scale', None, 'host_cake_busy_after_subscribe_s', 's',
         'go->host-cake done (offers made), s', False, None),
        ('f scale', 'scale', None, 'match_s', 's', 'subscribe go->all Available, s', False,
         None),
        ('f scale', 'scale', None, 'total_s', 's', 'first publish->last Available, s', False,
         ('max', 10.0)),
        ('f scale', 'scale', None, 'host_cake_hwm_mb', 'MB', 'host-cake VmHWM, MB', False,
         ('max', 200.0)),
        ('f scale', 'scale', None, 'host_cake_cpu_publish_s', 's',
         'host-cake CPU, publications, s', False, None),
        ('f scale', 'scale', None, 'host_cake_cpu_subscribe_s', 's',
         'host-cake CPU, subscriptions, s', False, None),
        ('f scale', 'scale', None, 'pub_clients_cpu_s', 's', 'CPU of the publisher processes, s',
         False, None),
        ('f scale', 'scale', None, 'sub_clients_cpu_s', 's', 'CPU of the subscriber processes, s',
         False, None),
        ('f scale', 'scale', None, 'idle_cores', 'n2', 'afterwards, idle: CPU cores in use',
         False, None),
        ('f scale', 'scale', None, 'stop_s', 's', 'SIGINT->every process gone, s', False,
         None),
    ]
    return specs


def table(rows, markdown=False):
    header = ['test', 'metric', 'original median [min-max]', 'ours median [min-max]',
              'ours/orig (worst-best)', 'target', 'verdict']
    out, notes = [], []
    for name, test, conns, key, unit, label, higher, target in metrics(rows):
        data, fails = series(rows, test, key, conns)
        o, u = data['orig'], data['ours']
        if not o and not u and (not target or not any(fails.values())):
            continue
        ratio, tcell, v = '-', '', ''
        if o and u and min(o) > 0 and min(u) > 0:
            ratio = tables.ratio(o, u, higher)[0]
        if target:
            kind, x = target
            tcell = f'>= {x:g}x' if kind == 'ratio' else f'<= {fmt(x, unit)} {unit}'
            if unit == 'n':
                tcell = 'none' if x == 0 else f'<= {x:g}'
            v = tables.verdict(target, o, u, ours_failed=bool(fails['ours']),
                               orig_failed=bool(fails['orig']))
        out.append([name, label, cell(o, unit), cell(u, unit), ratio, tcell, v])
    seen = set()
    for d in rows:
        tag = f"{d.get('test')}{' c=%s' % d['conns'] if d.get('conns') else ''} " \
              f"[{d.get('label')}] rep {d.get('rep')}"
        if d.get('error'):
            notes.append(f'{tag}: ERROR {d["error"][:300]}')
        if d.get('skipped'):
            notes.append(f'{tag}: skipped: {d["skipped"]}')
        if d.get('test') == 'http' and 'rps' in d:
            errs = {k: n for k, n in (d.get('errors') or {}).items() if n}
            if d.get('non2xx') or errs:
                notes.append(f'{tag}: {d.get("non2xx", 0)} non-2xx, socket errors {errs} '
                             f'(of {d.get("requests")} requests)')
        if d.get('test') == 'scale' and d.get('error'):
            got = d.get('available', d.get('available_at_least'))
            notes.append(f'{tag}: {d.get("published")} of {d.get("names")} names published '
                         f'in {d.get("publish_s")} s; Available for {got} of '
                         f'{d.get("expected_available")} matches when the wait ended'
                         + (f' (Dropped {d["dropped"]}; missing e.g. '
                            f'{", ".join(d.get("missing_examples") or [])})'
                            if d.get('dropped') is not None else '')
                         + (f'; last progress {d["last_progress_s"]} s after subscribing'
                            if d.get('last_progress_s') is not None else ''))
        if d.get('test') == 'scale' and not d.get('error') and d.get('dropped'):
            notes.append(f'{tag}: {d["dropped"]} sessions Dropped along the way')
        for n in d.get('notes') or ():
            key = (d.get('test'), d.get('label'), n)
            if key not in seen:
                seen.add(key)
                notes.append(f'{tag}: {n}')
    return tables.layout(header, out, markdown, trim_rows=True), notes


def main(argv=None):
    a = tables.parser(__doc__).parse_args(argv)
    rows, meta = tables.load(a.files, key='test')
    if not rows:
        print('no results', file=sys.stderr)
        return 1
    text, notes = table(rows, markdown=a.markdown)
    for m in meta:
        print(tables.run_line(m) + f"{' (quick)' if m.get('quick') else ''}, tests "
              f"{m.get('tests')}, sides {m.get('sides')}, ours at {m.get('commit', '?')}, "
              f"bytecode caches {'on' if m.get('bytecode_cache') else 'as the caller had them'}"
              + (f", {m['extra']}" if m.get('extra') else ''))
    loads = sorted({d.get('loadavg', '').split(' ')[0] for d in rows if d.get('loadavg')},
                   key=float)
    if loads:
        print(f'1-minute load average when each test began: {loads[0]}-{loads[-1]}')
    tables.show(text, notes)
    return 0


if __name__ == '__main__':
    sys.exit(main())
