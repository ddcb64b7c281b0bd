#!/usr/bin/env python
# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark the otwb_tms multimodal route choice (label setting).

* Query time on a generated lane network (default 500 nodes: road towns,
  rail stations with daily trains, river/sea ports with sailings every
  48 h), cheapest-under-deadline and fastest queries, A*-guided label
  setting (``best_route``) side by side with the plain label setting
  (``guided=False``) as baseline; target <= 50 ms per query.
* Saving against the road-only alternative on the same queries.
* Equality of ``best_route`` with ``exhaustive_route`` (all simple paths)
  on small random networks.

Markdown report printed and written to ``bench/reports/multimodal.md``.
"""

import argparse
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tqdm import tqdm
from trytond.modules.otwb_tms.engine.multimodal import (
    Lane,
    LaneNetwork,
    Node,
    best_route,
    exhaustive_route,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def generate(n, rng):
    "Random national network of ``n`` nodes on a 2000 x 2000 km square."
    pos = [(rng.uniform(0, 2000), rng.uniform(0, 2000)) for _ in range(n)]
    n_rail = max(2, n // 8)
    n_port = max(2, n // 16)
    kinds = (['rail_station'] * n_rail + ['port'] * n_port
        + ['road'] * (n - n_rail - n_port))
    # ports along a "river": move them onto the line y = 1000 +- 50
    for i in range(n_rail, n_rail + n_port):
        pos[i] = (pos[i][0], 1000 + rng.uniform(-50, 50))
    nodes = [Node(i, kinds[i], transfer_hours=(
        6 if kinds[i] == 'port' else 2 if kinds[i] == 'rail_station'
        else 0)) for i in range(n)]

    def dist(i, j):
        return math.dist(pos[i], pos[j])

    lanes = []

    def link(i, j, mode, factor, speed, rate, handling=0, every=None):
        km = round(dist(i, j) * factor, 1)
        for a, b in ((i, j), (j, i)):
            lanes.append(Lane(
                len(lanes), a, b, mode, f'{mode}-carrier', distance_km=km,
                transit_hours=round(km / speed, 2), cost_per_tkm=rate,
                handling_per_t=handling, every_hours=every,
                first_departure_hour=rng.randrange(24) if every else 0,
                cutoff_hours=2 if every else 0))

    def nearest(group, i, k):
        return sorted((j for j in group if j != i),
            key=lambda j: dist(i, j))[:k]

    everyone = list(range(n))
    pairs = set()
    for i in everyone:
        for j in nearest(everyone, i, 3):
            pairs.add((min(i, j), max(i, j)))
    for i, j in sorted(pairs):
        link(i, j, 'road', 1.3, 60, '0.30')
    stations = list(range(n_rail))
    pairs = set()
    for i in stations:
        for j in nearest(stations, i, 3):
            pairs.add((min(i, j), max(i, j)))
    for i, j in sorted(pairs):
        link(i, j, 'rail', 1.2, 40, '0.155', handling=15, every=24)
    ports = list(range(n_rail, n_rail + n_port))
    ports.sort(key=lambda i: pos[i][0])
    for i, j in zip(ports, ports[1:], strict=False):
        link(i, j, 'water', 1.1, 12, '0.05', handling=5, every=48)
    return LaneNetwork(nodes, lanes)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, (time.perf_counter() - t0) * 1000


def git_head():
    try:
        return subprocess.check_output(
            ['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO,
            text=True).strip()
    except Exception:
        return 'unknown'


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--nodes', type=int, default=500)
    parser.add_argument('--queries', type=int, default=200)
    parser.add_argument('--small', type=int, default=300,
        help='small random networks checked against exhaustive search')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--quick', action='store_true',
        help='50 queries, 50 small networks')
    parser.add_argument('--output', type=Path,
        default=HERE / 'reports' / 'multimodal.md')
    args = parser.parse_args(argv)
    if args.quick:
        args.queries, args.small = 50, 50
    rng = random.Random(args.seed)

    t0 = time.perf_counter()
    net = generate(args.nodes, rng)
    build_ms = (time.perf_counter() - t0) * 1000
    modes = {}
    for lane in net.lanes.values():
        modes[lane.mode] = modes.get(lane.mode, 0) + 1

    rows = {k: [] for k in ('cheapest', 'fastest')}
    plain = {k: [] for k in ('cheapest', 'fastest')}
    road_ms = []
    savings = []
    multimodal = 0
    mismatch = 0
    nodes = list(net.nodes)
    for _ in tqdm(range(args.queries), desc='queries', file=sys.stderr):
        o, d = rng.sample(nodes, 2)
        tonnes = rng.choice([10, 25, 100, 1000])
        fast, ms = timed(best_route, net, o, d, tonnes,
            objective='fastest')
        rows['fastest'].append(ms)
        p, ms = timed(best_route, net, o, d, tonnes, objective='fastest',
            guided=False)
        plain['fastest'].append(ms)
        if (p is None) != (fast is None) or (p and p.arrive_hour
                != fast.arrive_hour):
            mismatch += 1
        if fast is None:
            continue
        deadline = fast.total_hours * rng.uniform(1.0, 4.0)
        best, ms = timed(best_route, net, o, d, tonnes, deadline)
        rows['cheapest'].append(ms)
        p, ms = timed(best_route, net, o, d, tonnes, deadline,
            guided=False)
        plain['cheapest'].append(ms)
        if p.total_cost != best.total_cost:
            mismatch += 1
        road, ms = timed(best_route, net, o, d, tonnes, deadline,
            modes={'road'})
        road_ms.append(ms)
        if set(best.modes) != {'road'}:
            multimodal += 1
        if road is not None and road.total_cost:
            savings.append(float(
                (road.total_cost - best.total_cost) / road.total_cost))

    equal = 0
    checked = 0
    for k in tqdm(range(args.small), desc='exhaustive', file=sys.stderr):
        small = generate(8, random.Random(10_000 + k))
        o, d = random.Random(k).sample(list(small.nodes), 2)
        for objective in ('cheapest', 'fastest'):
            ref = exhaustive_route(small, o, d, 25, None, objective)
            deadline = (None if ref is None or objective == 'fastest'
                else ref.total_hours * random.Random(k).uniform(0.5, 1.0))
            ref = exhaustive_route(small, o, d, 25, deadline, objective)
            got = best_route(small, o, d, 25, deadline, objective)
            checked += 1
            key = ((lambda r: None if r is None else (
                r.total_cost, r.arrive_hour)) if objective == 'cheapest'
                else (lambda r: None if r is None else (
                    r.arrive_hour, r.total_cost)))
            equal += key(ref) == key(got)

    def line(name, ms, base):
        return (f'| {name} | {len(ms)} | {statistics.mean(ms):.1f} '
            f'| {statistics.median(ms):.1f} | {pct(ms, 95):.1f} '
            f'| {max(ms):.1f} | {statistics.mean(base):.1f} '
            f'| {statistics.median(base):.1f} | {pct(base, 95):.1f} |')

    report = '\n'.join([
        '# Multimodal route choice benchmark (otwb_tms)', '',
        f'- commit `{git_head()}`, {time.strftime("%Y-%m-%d %H:%M")}',
        f'- machine: {os.cpu_count()} cores, single-threaded, Python '
        f'{platform.python_version()}' + (' — QUICK run' if args.quick
            else ''),
        f'- network: {len(net.nodes)} nodes, {len(net.lanes)} directed '
        f'lanes ({", ".join(f"{k} {v}" for k, v in sorted(modes.items()))}'
        f'), built and indexed in {build_ms:.0f} ms; seed {args.seed}',
        '- engine: A*-guided label setting with (cost, time) dominance '
        '(`best_route`); baseline: the same label setting without lower '
        'bounds (`guided=False`), same queries, same run',
        '- cheapest queries use a deadline of 1-4 x the fastest transit '
        'time', '',
        '## Query time (ms), target ≤ 50 ms', '',
        '| query | n | mean | median | p95 | max | plain mean '
        '| plain median | plain p95 |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        line('fastest', rows['fastest'], plain['fastest']),
        line('cheapest under deadline', rows['cheapest'],
            plain['cheapest']),
        f'| road-only alternative | {len(road_ms)} '
        f'| {statistics.mean(road_ms):.1f} '
        f'| {statistics.median(road_ms):.1f} | {pct(road_ms, 95):.1f} '
        f'| {max(road_ms):.1f} | | | |',
        '',
        f'- guided and plain results identical: '
        f'{"yes" if not mismatch else f"NO ({mismatch} differ)"}',
        f'- cheapest route is multimodal in {multimodal}/'
        f'{len(rows["cheapest"])} queries; mean saving vs road-only '
        f'{100 * statistics.mean(savings):.1f} % (median '
        f'{100 * statistics.median(savings):.1f} %)',
        '',
        '## Exactness against exhaustive search', '',
        f'- {args.small} random 8-node networks (road/rail/water, daily '
        f'and 48 h departures, transfer times), cheapest (deadline 0.5-1 x '
        f'the unconstrained cheapest transit) and fastest: '
        f'{equal}/{checked} identical optimum',
        '',
        ])
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(f'written to {args.output}', file=sys.stderr)
    return 0 if equal == checked and not mismatch else 1


if __name__ == '__main__':
    sys.exit(main())
