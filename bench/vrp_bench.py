#!/usr/bin/env python
# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark the otwb_tms trip planner on VRPLIB instances with known BKS.

For every instance in ``<repo>/../shared/bench/vrp/{CVRP,HFVRP,MDVRPTW,
VRPTW}`` it runs, one core each, side by side:

* the planner's PyVRP solve path (``engine.vrp.solve_data``: the same
  ``pyvrp.solve`` call and stopping criterion as ``plan_routes``) for
  ``--seconds`` per instance (``--vrptw-seconds`` for the 1000-customer
  VRPTW set), on the ``pyvrp.ProblemData`` read by ``pyvrp.read`` with the
  family's rounding convention (the planner's own input is lat/lon based,
  so the VRPLIB coordinates are fed at the ProblemData level);
* the planner's nearest-neighbour baseline (``engine.vrp.
  nearest_neighbour_core``, the construction used by
  ``plan_nearest_neighbour``) on the same integer data;

and reports the gap to the best-known solution, (cost - BKS) / BKS, in the
BKS convention of the shared README (HFVRP BKS x 100, VRPTW BKS x 10).
Markdown report printed and written to ``bench/reports/vrp.md``.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pyvrp
import vrplib
from tqdm import tqdm
from trytond.modules.otwb_tms.engine.vrp import (
    nearest_neighbour_core,
    solve_data,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FAMILIES = {
    # folder: (rounding for pyvrp.read, BKS multiplier, description)
    'CVRP': ('round', 1, 'X set, 100-250 customers'),
    'HFVRP': ('round', 100, 'heterogeneous fleet'),
    'MDVRPTW': ('exact', 1, 'multi-depot, time windows, max duration'),
    'VRPTW': ('dimacs', 10, 'Gehring & Homberger, 1000 customers'),
    }
TARGETS = {'CVRP': 1.0, 'HFVRP': 2.0, 'MDVRPTW': 2.0, 'VRPTW': None}
INT_MAX = np.iinfo(np.int64).max


def nearest_neighbour(data):
    "Run the engine's NN construction on a ProblemData; return a Solution."
    dist = data.distance_matrix(0)
    dur = data.duration_matrix(0)
    depots = [(d.location, d.tw_early, d.tw_late) for d in data.depots()]
    clients = [(c.location, tuple(c.delivery), c.service_duration,
            c.tw_early, c.tw_late) for c in data.clients()]
    vts = [{
        'num': vt.num_available, 'capacity': tuple(vt.capacity),
        'depot': vt.start_depot, 'tw_early': vt.tw_early,
        'tw_late': vt.tw_late,
        'shift': (None if vt.shift_duration >= INT_MAX
            else vt.shift_duration)}
        for vt in data.vehicle_types()]
    routes, unserved = nearest_neighbour_core(
        dist, dur, depots, clients, vts)
    sol = pyvrp.Solution(data, [
        pyvrp.Route(data, route, vt) for vt, route, _ in routes if route])
    return sol, len(unserved)


def evaluate(data, sol):
    ce = pyvrp.CostEvaluator([0] * data.num_load_dimensions, 0, 0)
    if not sol.is_feasible() or not sol.is_complete():
        return None
    return ce.cost(sol)


def git_head():
    try:
        return subprocess.check_output(
            ['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO,
            text=True).strip()
    except Exception:
        return 'unknown'


def cpu_name():
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def gap(cost, bks):
    return None if cost is None else 100.0 * (cost - bks) / bks


def fmt(x, digits=2):
    return '—' if x is None else f'{x:.{digits}f}'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--instances', type=Path,
        default=REPO.parent / 'shared' / 'bench' / 'vrp',
        help='folder holding the CVRP/HFVRP/MDVRPTW/VRPTW sub-folders '
        '(default: <repo>/../shared/bench/vrp)')
    parser.add_argument(
        '--seconds', type=float, default=30.0,
        help='PyVRP time limit per instance, seconds (default 30)')
    parser.add_argument(
        '--vrptw-seconds', type=float, default=60.0,
        help='time limit for the 1000-customer VRPTW set (default 60)')
    parser.add_argument(
        '--mdvrptw-seconds', type=float, default=None,
        help='time limit for the MDVRPTW set (default: --seconds)')
    parser.add_argument(
        '--quick', action='store_true',
        help='3 s per instance (smoke run for CI)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument(
        '--families', default=','.join(FAMILIES),
        help='comma separated subset of ' + ','.join(FAMILIES))
    parser.add_argument(
        '--output', type=Path, default=HERE / 'reports' / 'vrp.md',
        help='report file (default bench/reports/vrp.md)')
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = args.vrptw_seconds = 3.0
        args.mdvrptw_seconds = None
    if args.mdvrptw_seconds is None:
        args.mdvrptw_seconds = args.seconds

    todo = []
    for fam in args.families.split(','):
        if fam not in FAMILIES:
            parser.error(f'unknown family {fam!r}')
        folder = args.instances / fam
        for vrp in sorted(folder.glob('*.vrp')):
            todo.append((fam, vrp))
    if not todo:
        parser.error(f'no .vrp instances found under {args.instances}')

    rows = []
    bar = tqdm(todo, unit='inst', file=sys.stderr)
    for fam, path in bar:
        bar.set_postfix_str(path.stem)
        rounding, mult, _ = FAMILIES[fam]
        data = pyvrp.read(path, round_func=rounding)
        bks = vrplib.read_solution(str(path.with_suffix('.sol')))['cost']
        bks = bks * mult
        seconds = {'VRPTW': args.vrptw_seconds,
            'MDVRPTW': args.mdvrptw_seconds}.get(fam, args.seconds)

        t0 = time.perf_counter()
        nn_sol, nn_missing = nearest_neighbour(data)
        nn_time = time.perf_counter() - t0
        nn_cost = evaluate(data, nn_sol)

        t0 = time.perf_counter()
        res = solve_data(data, time_limit_s=seconds, seed=args.seed)
        pv_time = time.perf_counter() - t0
        pv_cost = evaluate(data, res.best)
        rows.append({
            'family': fam, 'name': path.stem,
            'clients': data.num_clients, 'bks': bks,
            'pv_cost': pv_cost, 'pv_gap': gap(pv_cost, bks),
            'pv_time': pv_time, 'pv_iters': res.num_iterations,
            'pv_routes': res.best.num_routes(),
            'nn_cost': nn_cost, 'nn_gap': gap(nn_cost, bks),
            'nn_time': nn_time, 'nn_missing': nn_missing,
            })

    report = render(rows, args)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(f'written to {args.output}', file=sys.stderr)


def render(rows, args):
    lines = [
        '# VRP benchmark (otwb_tms trip planner)', '',
        f'- commit `{git_head()}`, {time.strftime("%Y-%m-%d %H:%M")}',
        f'- machine: {os.cpu_count()} cores ({cpu_name()}), '
        f'one core per solve, Python {platform.python_version()}, '
        f'PyVRP {version("pyvrp")}',
        f'- PyVRP: engine `solve_data` (path of `plan_routes`), '
        f'{args.seconds:g} s per instance'
        + (f', VRPTW {args.vrptw_seconds:g} s' if 'VRPTW' in args.families
            else '')
        + (f', MDVRPTW {args.mdvrptw_seconds:g} s'
            if 'MDVRPTW' in args.families else '')
        + f', seed {args.seed}' + (' — QUICK run' if args.quick else ''),
        '- baseline: engine nearest-neighbour construction '
        '(`nearest_neighbour_core`), same data',
        '- gap = (cost - BKS) / BKS in the BKS convention of '
        '`shared/bench/vrp/README.md`; "—" = infeasible or incomplete',
        '',
        '| family | instance | clients | BKS | PyVRP cost | PyVRP gap % '
        '| routes | time s | NN cost | NN gap % | NN time s |',
        '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: '
        '| ---: | ---: |',
        ]
    for r in rows:
        nn_cost = (fmt(r['nn_cost'], 0) if r['nn_cost'] is not None
            else f"incomplete ({r['nn_missing']} unserved)")
        lines.append(
            f"| {r['family']} | {r['name']} | {r['clients']} "
            f"| {r['bks']:.0f} | {fmt(r['pv_cost'], 0)} "
            f"| {fmt(r['pv_gap'])} | {r['pv_routes']} "
            f"| {r['pv_time']:.1f} | {nn_cost} | {fmt(r['nn_gap'])} "
            f"| {r['nn_time']:.2f} |")
    lines += ['', '## Mean gap per family', '',
        '| family | instances | PyVRP feasible | PyVRP mean gap % '
        '| target % | NN mean gap % |',
        '| --- | ---: | ---: | ---: | ---: | ---: |']
    for fam in FAMILIES:
        fr = [r for r in rows if r['family'] == fam]
        if not fr:
            continue
        pv = [r['pv_gap'] for r in fr if r['pv_gap'] is not None]
        nn = [r['nn_gap'] for r in fr if r['nn_gap'] is not None]
        target = TARGETS[fam]
        lines.append(
            f"| {fam} | {len(fr)} | {len(pv)}/{len(fr)} "
            f"| {fmt(statistics.mean(pv) if pv else None)} "
            f"| {'feasible' if target is None else f'≤ {target:g}'} "
            f"| {fmt(statistics.mean(nn) if nn else None)}"
            + (f' ({len(nn)}/{len(fr)} complete)' if len(nn) < len(fr)
                else '') + ' |')
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    main()
