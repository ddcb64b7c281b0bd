#!/usr/bin/env python
# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""End-to-end trip planning from records on PostgreSQL.

Creates a database with otwb_tms, N packed customer shipments of one
warehouse (Shanghai, customers within ~35 km) and a fleet, then times
``Trip.plan`` — reading the shipments, building the PyVRP problem,
solving, writing trips and stops — and the commit.  The plan is verified
independently with ``engine.vrp.check_plan``.

    .venv/bin/python bench/tms_e2e.py --shipments 1000 --time-limit 30 \\
        --report bench/reports/tms_e2e.md

Environment: TRYTOND_DATABASE_URI (default
postgresql://postgres@127.0.0.1:5432/), DB_NAME (default otwb_bench_tms,
dropped and re-created).
"""
import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from decimal import Decimal

os.environ.setdefault(
    'TRYTOND_DATABASE_URI', 'postgresql://postgres@127.0.0.1:5432/')
os.environ.setdefault('DB_NAME', 'otwb_bench_tms')
os.environ.pop('DB_CACHE', None)

from trytond.pool import Pool  # noqa: E402
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db  # noqa: E402
from trytond.transaction import Transaction  # noqa: E402

SHANGHAI = (31.2304, 121.4737)


def build(n, vehicles, seed):
    "Company, warehouse, fleet and n packed shipments (committed)"
    from trytond.modules.company.tests import create_company, set_company
    from trytond.modules.otwb_tms.tests import tools
    pool = Pool()
    User = pool.get('res.user')
    rng = random.Random(seed)
    company = create_company()
    User.write([User(Transaction().user)], {
            'companies': [('add', [company.id])], 'company': company.id})
    with set_company(company):
        wh = tools.warehouse(SHANGHAI)
        products = [tools.product('SKU-%d' % i, weight_kg=w, volume_m3=v)
            for i, (w, v) in enumerate(
                [(0.8, 0.004), (2.5, 0.012), (6.0, 0.03), (15.0, 0.08)])]
        Party = pool.get('party.party')
        parties = Party.create([{
                    'name': 'Customer %04d' % i,
                    'addresses': [('create', [{
                                    'city': 'Shanghai',
                                    'otwb_latitude': round(SHANGHAI[0]
                                        + rng.uniform(-0.3, 0.3), 6),
                                    'otwb_longitude': round(SHANGHAI[1]
                                        + rng.uniform(-0.3, 0.3), 6),
                                    }])]}
                for i in range(n)])
        lines = [(p, rng.choice(products), rng.randint(1, 6))
            for p in parties]
        shipments = []
        for start in range(0, n, 250):
            shipments += tools.packed_shipments(
                company, lines[start:start + 250])
        Vehicle = pool.get('otwb.tms.vehicle')
        vlist = []
        for i in range(vehicles):
            cap_kg, cap_m3, fixed, km = [
                (1500, 10, 150, '2.5'), (4500, 25, 300, '3.2')][i % 2]
            vlist.append({
                    'name': 'Truck %02d' % (i + 1), 'company': company.id,
                    'mode': 'road_ltl', 'depot': wh.id,
                    'capacity_weight': cap_kg, 'capacity_volume': cap_m3,
                    'fixed_cost': Decimal(fixed),
                    'cost_per_km': Decimal(km),
                    'cost_per_hour': Decimal('60'), 'max_duration': 10.0})
        Vehicle.create(vlist)
        return company.id, wh.id, [s.id for s in shipments]


def verify(wh, trips, shipment_ids):
    "check_plan on the stored trips (see tests.tools.check_stored_trips)"
    from trytond.modules.otwb_tms.tests import tools
    Shipment = Pool().get('stock.shipment.out')
    return tools.check_stored_trips(
        wh, trips, Shipment.browse(shipment_ids))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shipments', type=int, default=1000)
    parser.add_argument('--vehicles', type=int, default=60)
    parser.add_argument('--time-limit', type=float, default=30.0)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--report')
    args = parser.parse_args()

    t0 = time.monotonic()
    drop_db()
    activate_module(['otwb_tms'])
    t_activate = time.monotonic() - t0
    t0 = time.monotonic()
    with Transaction().start(DB_NAME, 0) as transaction:
        company, wh, shipment_ids = build(
            args.shipments, args.vehicles, args.seed)
        transaction.commit()
    t_build = time.monotonic() - t0
    print('data: %d packed shipments, %d vehicles built in %.0f s '
        '(activation %.0f s)' % (len(shipment_ids), args.vehicles,
            t_build, t_activate), flush=True)

    from trytond.modules.otwb_tms.engine import vrp
    solve = {}
    original = vrp.plan_routes

    def timed(*a, **kw):
        s = time.monotonic()
        try:
            return original(*a, **kw)
        finally:
            solve['seconds'] = time.monotonic() - s
    vrp.plan_routes = timed

    with Transaction().start(DB_NAME, 0, context={'company': company}) \
            as transaction:
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Location = pool.get('stock.location')
        start = time.monotonic()
        trips, unassigned = Trip.plan(
            Location(wh), dt.date.today(), time_limit=args.time_limit)
        t_plan = time.monotonic() - start
        transaction.commit()
        t_total = time.monotonic() - start
    vrp.plan_routes = original

    with Transaction().start(DB_NAME, 0, context={'company': company}):
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Location = pool.get('stock.location')
        trips = Trip.search([])
        stops = sum(len(t.stops) for t in trips)
        cost = sum(t.cost for t in trips)
        km = sum(t.distance for t in trips)
        weight_util = sum(t.utilisation_weight or 0 for t in trips) / max(
            len(trips), 1)
        problems = verify(Location(wh), trips, shipment_ids)

    rows = [
        ('shipments', len(shipment_ids)),
        ('vehicles available', args.vehicles),
        ('solver time limit (s)', args.time_limit),
        ('trips written', len(trips)),
        ('stops written', stops),
        ('unassigned', len(unassigned)),
        ('total cost (CNY)', '%.2f' % cost),
        ('total distance (km)', '%.1f' % km),
        ('mean weight utilisation (%)', '%.1f' % weight_util),
        ('read + build problem + write (s)',
            '%.2f' % (t_plan - solve.get('seconds', 0))),
        ('PyVRP solve (s)', '%.2f' % solve.get('seconds', 0)),
        ('Trip.plan total (s)', '%.2f' % t_plan),
        ('plan + commit, end to end (s)', '%.2f' % t_total),
        ('target (s)', 60),
        ('verdict', 'PASS' if t_total <= 60 and not problems
            else 'FAIL'),
        ('check_plan problems', len(problems)),
        ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print('%s  %s' % (key.ljust(width), value))
    for problem in problems[:10]:
        print('  check_plan:', problem)
    if args.report:
        with open(args.report, 'w') as f:
            f.write('# TMS end to end: %d shipments planned into trips on '
                'PostgreSQL\n\n' % len(shipment_ids))
            f.write('Command: `.venv/bin/python bench/tms_e2e.py '
                '--shipments %d --vehicles %d --time-limit %g --report '
                '%s`\n\n' % (args.shipments, args.vehicles,
                    args.time_limit, args.report))
            f.write('Machine: %s, Python %s, %d CPUs (shared), load '
                'average %s, %s\n\n' % (
                    platform.machine(), platform.python_version(),
                    os.cpu_count(), ' '.join('%.1f' % x
                        for x in os.getloadavg()),
                    dt.datetime.now().strftime('%Y-%m-%d %H:%M')))
            f.write('| measure | value |\n| --- | --- |\n')
            for key, value in rows:
                f.write('| %s | %s |\n' % (key, value))
            f.write('\nThe timed part is `Trip.plan` (search the packed '
                'shipments, read weights/volumes/addresses, build the '
                'problem, PyVRP with the time limit, write trips and stops '
                'with one `save`) and the commit.  Data creation (%.0f s) '
                'is not timed.  `check_plan` re-simulates the stored stop '
                'sequences and departure times against capacities, time '
                'windows (08:00-18:00), depot hours and the 10 h duty '
                'limit.\n' % t_build)
            if problems:
                f.write('\ncheck_plan problems:\n\n')
                for problem in problems:
                    f.write('- %s\n' % problem)
    return 0 if t_total <= 60 and not problems else 1


if __name__ == '__main__':
    sys.exit(main())
