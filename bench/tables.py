"""What the bench/*_compare.py scripts share: from JSON lines to a comparison table.

Every runner (bench/run, net_run, proc_run, cli_run, pubsub_run) writes JSON
lines, one per side ("orig", "ours") and repetition, and its compare script
prints one table of them. The scripts differ in their metrics, number
formats and notes; what is here is the same in all of them, so that a
ratio, a spread or a verdict means one thing in every table.

Only the standard library is used: the scripts run with any python3.
"""

import argparse
import json
import statistics
import sys

SIDES = ('orig', 'ours')


def parser(doc, nargs='+'):
    """The command line every compare script takes: result files and --markdown."""
    p = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    p.add_argument('files', nargs=nargs)
    p.add_argument('--markdown', action='store_true', help='print a Markdown table')
    return p


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


def run_line(m):
    """The start of the line describing one run: what every runner's meta record holds
    (date, CPUs, load average, repetitions), before the runner's own settings."""
    return (f"run {m.get('date')}: {m.get('host_cpus')} CPUs, load {m.get('loadavg')}, "
            f"{m.get('reps')} rep(s)")


def series(rows, field, name, key, conns=None):
    """Each side's figures ``key`` in the rows whose ``field`` is ``name`` (at ``conns``
    connections when given), and each side's failures: a row with "error" or without
    the figure counts as a failed run, not as a missing one."""
    out = {s: [] for s in SIDES}
    fails = {s: [] for s in SIDES}
    for d in rows:
        if d.get(field) != name or d.get('label') not in out:
            continue
        if conns is not None and d.get('conns') != conns:
            continue
        if 'error' in d or d.get(key) is None:
            fails[d['label']].append(d.get('error', f'no {key}'))
        else:
            out[d['label']].append(float(d[key]))
    return out, fails


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
    """A rate with about three significant figures; k = 1000."""
    if x >= 100000:
        return f'{x / 1000:.0f}k'
    if x >= 10000:
        return f'{x / 1000:.1f}k'
    if x >= 1000:
        return f'{x / 1000:.2f}k'
    return f'{x:.0f}'


def cell(values, show, iqr=False):
    """One side's figures: 'median [min-max] n=N', numbers written by ``show``; with
    ``iqr`` the interquartile range too. The spread is shown because a median of a
    few repetitions on a busy host says little alone."""
    if not values:
        return '-'
    if iqr:
        med, lo, hi, q1, q3 = spread(values)
        return (f'{show(med)} [{show(lo)}-{show(hi)}, '
                f'IQR {show(q1)}-{show(q3)}] n={len(values)}')
    v = sorted(values)
    return f'{show(statistics.median(v))} [{show(v[0])}-{show(v[-1])}] n={len(v)}'


def ratio(o, u, higher=True):
    """(text, median ratio, worst ratio) of ours/orig, both sides non-empty.

    The median ratio is ours/orig of the medians; worst and best pair the
    repetitions least and most in ours' favour (for a rate, higher=True:
    min ours / max orig and max ours / min orig; for a time the other way),
    so that a target "met" on the medians can be told from one met every time.
    """
    med = statistics.median(u) / statistics.median(o)
    if higher:
        worst, best = min(u) / max(o), max(u) / min(o)
    else:
        worst, best = max(u) / min(o), min(u) / max(o)
    return f'{med:.2f}x ({worst:.2f}-{best:.2f})', med, worst


def met(every_rep, median):
    """The verdict words, from whether even the worst case, or only the median, reaches
    the target."""
    return 'met (every rep)' if every_rep else 'met (median)' if median else 'NOT met'


def verdict(target, o, u, ours_failed=False, orig_failed=False):
    """The verdict on a target (kind, x) for the figures o (original) and u (ours).

    kind 'ratio': ours/orig >= x (a rate); 'time': ours/orig <= x; 'min': ours >= x
    and 'max': ours <= x (absolute, the original not needed); 'at-most-orig': ours
    <= orig figure by figure (x unused). The worst case is the least favourable
    pairing of repetitions (see ratio). A side without figures gets words instead:
    failed (it ran and gave errors) or not measured / missing.
    """
    kind, x = target
    if not u:
        return 'ours failed' if ours_failed else 'ours: not measured'
    if kind == 'min':
        return met(min(u) >= x, statistics.median(u) >= x)
    if kind == 'max':
        return met(max(u) <= x, statistics.median(u) <= x)
    if not o:
        return 'original failed' if orig_failed else 'original missing'
    if kind == 'at-most-orig':
        return met(max(u) <= min(o), statistics.median(u) <= statistics.median(o))
    med = statistics.median(u) / statistics.median(o)
    if kind == 'ratio':
        return met(min(u) / max(o) >= x, med >= x)
    if kind == 'time':
        return met(max(u) / min(o) <= x, med <= x)
    raise ValueError(f'unknown target kind {kind!r}')


def failure_notes(name, fails):
    """A note per side that has failed runs: how many, and the first error."""
    return [f'{name} [{s}]: {len(fails[s])} failed run(s): {fails[s][0]}'
            for s in SIDES if fails[s]]


def wrk_note(d):
    """A note for a wrk row with non-2xx responses or socket errors (its rate counts
    those too), or None."""
    errs = {k: v for k, v in (d.get('errors') or {}).items() if v}
    if d.get('non2xx') or errs:
        return (f"http c={d.get('conns')} [{d.get('label')}] rep {d.get('rep')}: "
                f"{d.get('non2xx', 0)} non-2xx responses, socket errors {errs or 0} "
                f"(of {d.get('requests')} requests)")
    return None


def layout(header, rows, markdown=False, trim_header=False, trim_rows=False):
    """The table as text: Markdown, or columns padded to their widest cell.

    trim_header / trim_rows drop the trailing blanks of those plain lines. The
    scripts differ there and keep doing so, so that a table printed now is the
    same, byte for byte, as one printed from the same results before (tables are
    pasted into bench/README.md and compared with diff).
    """
    lines = []
    if markdown:
        lines.append('| ' + ' | '.join(header) + ' |')
        lines.append('|' + '|'.join('---' for _ in header) + '|')
        for r in rows:
            lines.append('| ' + ' | '.join(r) + ' |')
        return '\n'.join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    f = '  '.join('{:<%d}' % wd for wd in widths)
    head = f.format(*header)
    rule = f.format(*('-' * wd for wd in widths))
    lines.append(head.rstrip() if trim_header else head)
    lines.append(rule.rstrip() if trim_header else rule)
    for r in rows:
        lines.append(f.format(*r).rstrip() if trim_rows else f.format(*r))
    return '\n'.join(lines)


def show(text, notes):
    """Print the table, then its notes indented under it."""
    print(text)
    for n in notes:
        print('  ' + n)
