# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""End-to-end billing benchmark on PostgreSQL: billable events → rated
charges → customer invoices → posted journal entries.

A scratch database (``bench_bms_e2e``, dropped first) gets ``otwb_bms``,
a company with chart, fiscal year, VAT 6 % on the service product, C
customers owning B storage bins, a default receivable card (storage per
pallet-day, handling per order, fuel 8 % of storage) and, optionally, an
accrual run.  Then, each stage in batches committed like a worker would:

1. **capture**: daily storage snapshots (one event per bin and day,
   activity ``storage:<date>``), ``Event.capture`` in batches (create +
   rate with cards compiled once per batch and date);
2. **accrual** (``--accrual``): one period-end accrual run (one move);
3. **invoice**: per customer, ``Charge.invoice`` of its open charges
   (one invoice, taxes, validate, post: one posted move per invoice;
   the accruals are reversed), or (``--invoice-by run``) one billing
   run for all customers in one transaction.

Reports wall-clock, CPU seconds of this process and SQL statements per
stage, events/s, peak RSS of this Python process (the PostgreSQL
server's memory is not included) and the linear extrapolation to
100,000 events.  Writes ``bench/reports/bms_e2e.md``
(``BMS_BENCH_REPORT``).  ``BMS_BENCH_DB_CACHE=<dir>`` keeps a dump of
the activated module between runs; ``BMS_SQLTIME=1`` prints the
statements by total time per stage; ``BMS_PROFILE=<sort>`` cProfiles
the capture.

Usage: python bench/bms_e2e.py [--events N] [--bins B] [--customers C]
       [--batch K] [--accrual] [--invoice-by customer|run]
"""
import argparse
import collections
import contextlib
import datetime as dt
import os
import platform
import re
import resource
import subprocess
import sys
import time
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.environ.get('BMS_BENCH_REPORT') or os.path.join(
    HERE, 'reports', 'bms_e2e.md')
D = Decimal
DB = os.environ.get('BMS_BENCH_DB', 'bench_bms_e2e')


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _count_queries():
    """Count the SQL statements sent by this process (a one-element list,
    incremented by every cursor execute of the PostgreSQL backend)."""
    from trytond.backend.postgresql import database
    counter = [0]
    execute = database.LoggingCursor.execute
    timing = os.environ.get('BMS_SQLTIME')

    def counting(self, query, *args, **kwargs):
        counter[0] += 1
        if not timing:
            return execute(self, query, *args, **kwargs)
        t0 = time.perf_counter()
        try:
            return execute(self, query, *args, **kwargs)
        finally:
            # statements by shape: the lists of parameters collapsed
            shape = re.sub(r'(%s, )+%s', '%s...', str(query))[:160]
            SQL_TIMES[shape][0] += 1
            SQL_TIMES[shape][1] += time.perf_counter() - t0
    database.LoggingCursor.execute = counting
    return counter


# BMS_SQLTIME=1: wall-clock seconds per statement shape, printed per stage
SQL_TIMES = collections.defaultdict(lambda: [0, 0.0])


def print_sql_times(name):
    if not SQL_TIMES:
        return
    print('-- SQL by total time, stage %s' % name, file=sys.stderr)
    for shape, (n, seconds) in sorted(SQL_TIMES.items(),
            key=lambda i: -i[1][1])[:15]:
        print('%8.2f s %6d x  %s' % (seconds, n, shape), file=sys.stderr)
    SQL_TIMES.clear()


def progress(text, t0):
    print('%7.1f s  %s' % (time.perf_counter() - t0, text),
        file=sys.stderr, flush=True)


def in_transaction(func, context=None, commit=True):
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    while True:
        with Transaction().start(DB, 0, context=context,
                **extras) as transaction:
            try:
                result = func()
            except TransactionError as exc:
                transaction.rollback()
                exc.fix(extras)
                if os.environ.get('BMS_DEBUG'):
                    print('restart', getattr(exc, '_table', None),
                        len(getattr(exc, '_ids', ()) or ()),
                        file=sys.stderr)
                continue
            if commit:
                transaction.commit()
            else:
                transaction.rollback()
            return result


def setup(args):
    from trytond.modules.otwb_bms.tests.tools import card, setup_billing
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Party = pool.get('party.party')
    Location = pool.get('stock.location')
    ns = setup_billing(with_accruals=True)
    with Transaction().set_context(company=ns.company.id):
        customers = Party.create([{'name': "Customer %03d" % i,
                    'addresses': [('create', [{'city': "Shanghai"}])]}
                for i in range(args.customers)])
        storage, = Location.search([('type', '=', 'storage')], limit=1)
        bins = Location.create([{'name': "BIN-%05d" % i,
                    'code': "BIN-%05d" % i, 'type': 'storage',
                    'parent': storage.id} for i in range(args.bins)])
        card("Storage and handling", 'receivable', ns.cny, [{
                    'sequence': 10, 'charge_type': 'storage',
                    'method': 'per_unit', 'unit': 'pallet_day',
                    'rate': D('1.20'), 'min_charge': D('2.00')}, {
                    'sequence': 20, 'charge_type': 'handling_outbound',
                    'method': 'per_unit', 'unit': 'order',
                    'rate': D('3.50')}, {
                    'sequence': 30, 'charge_type': 'fuel_surcharge',
                    'method': 'percentage', 'percent': D(8),
                    'base': 'storage'}])
    return {'company': ns.company.id,
        'customers': [c.id for c in customers],
        'bins': [b.id for b in bins]}


def run(args):
    os.environ['TRYTOND_DATABASE_URI'] = \
        'postgresql://postgres@127.0.0.1:5432/'
    os.environ['DB_NAME'] = DB
    # a private dump directory (BMS_BENCH_DB_CACHE) saves the module
    # activation between runs; not counted anyway
    if os.environ.get('BMS_BENCH_DB_CACHE'):
        os.environ['DB_CACHE'] = os.environ['BMS_BENCH_DB_CACHE']
    else:
        os.environ.pop('DB_CACHE', None)
    from trytond.tests.test_tryton import activate_module, drop_db
    drop_db()
    queries = _count_queries()
    stages, cpu, nqueries = {}, {}, {}

    @contextlib.contextmanager
    def stage(name):
        "Wall-clock, CPU seconds of this process and SQL queries of a stage"
        t0, c0, q0 = time.perf_counter(), time.process_time(), queries[0]
        yield
        stages[name] = time.perf_counter() - t0
        cpu[name] = time.process_time() - c0
        nqueries[name] = queries[0] - q0
        print_sql_times(name)

    with stage('activate module (not counted)'):
        activate_module(['otwb_bms'])
    from trytond.pool import Pool
    pool = Pool(DB)

    with stage('setup data (not counted)'):
        ids = in_transaction(lambda: setup(args))
    context = {'company': ids['company']}
    bins, customers = ids['bins'], ids['customers']
    start = dt.date(2026, 3, 1)
    days = -(-args.events // len(bins))
    vlist = []
    for day in range(days):
        date = start + dt.timedelta(days=day)
        for i, bin_id in enumerate(bins):
            if len(vlist) == args.events:
                break
            pallets = D(1 + (i * 7 + day) % 5)
            vlist.append({
                    'company': ids['company'],
                    'source': 'stock.location,%s' % bin_id,
                    'activity': 'storage:%s' % date.isoformat(),
                    'date': date, 'customer': customers[i % len(customers)],
                    'pallets': pallets, 'days': D(1),
                    'pallet_days': pallets,
                    'orders': D(i % 3) or None,
                    })

    def capture(batch):
        def func():
            Event = pool.get('otwb.bms.event')
            return len(Event.capture(batch))
        return func

    profile = None
    if os.environ.get('BMS_PROFILE'):
        import cProfile
        profile = cProfile.Profile()
        profile.enable()
    t0 = time.perf_counter()
    captured = 0
    with stage('1. capture + rate events'):
        for i in range(0, len(vlist), args.batch):
            captured += in_transaction(capture(vlist[i:i + args.batch]),
                context)
            progress('captured %d events' % captured, t0)
    if profile:
        import pstats
        profile.disable()
        pstats.Stats(profile).sort_stats(os.environ['BMS_PROFILE']
            ).print_stats(40)
    del vlist

    def count():
        # in SQL: instantiating hundreds of thousands of charges would
        # weigh on the peak memory measured
        from sql.aggregate import Count, Sum
        from trytond.transaction import Transaction
        table = pool.get('otwb.bms.charge').__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Count(table.id), Sum(table.amount)))
        n, total = cursor.fetchone()
        return n, D(str(total or 0))
    n_charges, charged = in_transaction(count, context, commit=False)

    if args.accrual:
        def accrue():
            Accrual = pool.get('otwb.bms.accrual')
            accrual, = Accrual.create([{'date': dt.date(2026, 12, 31)}])
            Accrual.post([accrual])
            return accrual.revenue
        with stage('2. accrual run (1 move)'):
            accrued = in_transaction(accrue, context)
    else:
        accrued = None

    def summary(invoices):
        return [(i.untaxed_amount, i.tax_amount, len(i.lines),
                i.move.state, sum(line.debit for line in i.move.lines)
                == sum(line.credit for line in i.move.lines))
            for i in invoices]

    def invoice(customer):
        def func():
            Charge = pool.get('otwb.bms.charge')
            charges = Charge.search_ids([('party', '=', customer),
                    ('invoice_line', '=', None)])
            return summary(Charge.invoice(charges,
                    invoice_date=dt.date(2026, 12, 31),
                    grouping=args.grouping))
        return func

    def billing_run():
        Run = pool.get('otwb.bms.billing_run')
        Invoice = pool.get('account.invoice')
        run, = Run.create([{'kind': 'receivable',
                    'date_to': dt.date(2026, 12, 31),
                    'invoice_date': dt.date(2026, 12, 31),
                    'grouping': args.grouping, 'post': True}])
        Run.process([run])
        return summary(Invoice.search([('type', '=', 'out')]))

    t0 = time.perf_counter()
    results = []
    if args.invoice_by == 'run':
        with stage('3. invoice + post (one billing run)'):
            if not args.no_invoice:
                results = in_transaction(billing_run, context)
            progress('invoiced %d customers' % len(results), t0)
    else:
        with stage('3. invoice + post (per customer)'):
            for customer in (customers if not args.no_invoice else []):
                results.extend(in_transaction(invoice(customer), context))
                progress('invoiced %d customers' % len(results), t0)
    invoiced = sum(r[0] for r in results)

    def check():
        Move = pool.get('account.move')
        moves = Move.search([])
        return (len(moves), all(m.state == 'posted' for m in moves),
            sum(len(m.lines) for m in moves))
    n_moves, all_posted, n_move_lines = in_transaction(
        check, context, commit=False)
    drop_db()
    return dict(stages=stages, cpu=cpu, queries=nqueries, events=captured,
        charges=n_charges,
        charged=charged, invoiced=invoiced, invoices=len(results),
        balanced=all(r[4] for r in results), n_moves=n_moves,
        all_posted=all_posted, n_move_lines=n_move_lines,
        accrued=accrued, bins=len(bins), customers=len(customers),
        days=days, rss=rss_mb(), grouping=args.grouping)


def _rev():
    try:
        return subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
            cwd=HERE, capture_output=True, text=True,
            check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def report(r, argv):
    counted = {k: v for k, v in r['stages'].items()
        if 'not counted' not in k}
    total = sum(counted.values())
    per_100k = total / r['events'] * 100000
    lines = [
        '# Billing end to end on PostgreSQL (otwb_bms)',
        '',
        f'- commit: `{_rev()}`; date: {dt.date.today().isoformat()}',
        f'- machine: {os.cpu_count()} cores shared with other jobs, '
        f'{platform.machine()}, Python {platform.python_version()}; '
        'PostgreSQL on the same machine',
        '- command: `python bench/bms_e2e.py'
        f'{"".join(" " + a for a in argv)}`',
        f"- data: {r['events']:,} daily storage snapshot events "
        f"({r['bins']:,} bins x {r['days']} days, {r['customers']} "
        'customers), default card: storage per pallet-day (min 2.00), '
        'handling per order, fuel 8 % of storage; VAT 6 %',
        '',
        '| stage | wall-clock s | CPU s (this process) | SQL queries '
        '| events/s |',
        '|---|---:|---:|---:|---:|',
        ]
    for name, seconds in r['stages'].items():
        rate = '' if 'not counted' in name else \
            f"{r['events'] / seconds:,.0f}"
        lines.append(f'| {name} | {seconds:.1f} | '
            f"{r['cpu'].get(name, 0):.1f} | "
            f"{r['queries'].get(name, 0):,} | {rate} |")
    lines += [
        f"| **total events → posted moves** | **{total:.1f}** | "
        f"{sum(v for k, v in r['cpu'].items() if k in counted):.1f} | "
        f"{sum(v for k, v in r['queries'].items() if k in counted):,} | "
        f"{r['events'] / total:,.0f} |",
        '',
        f"- charges: {r['charges']:,} ({r['charged']:,} CNY); invoices: "
        f"{r['invoices']} ({r['invoiced']:,} CNY untaxed, equal to the "
        f"charges: {'yes' if r['invoiced'] == r['charged'] else 'NO'}); "
        f"every invoice move balanced: {'yes' if r['balanced'] else 'NO'}",
        f"- posted moves: {r['n_moves']} ({r['n_move_lines']:,} lines), "
        f"all posted: {'yes' if r['all_posted'] else 'NO'}"
        + (f"; accrued revenue {r['accrued']:,} CNY, reversed on "
            "invoicing" if r['accrued'] is not None else ''),
        f"- peak RSS of the benchmark process: {r['rss']:.0f} MB "
        '(target < 1 GB; the PostgreSQL server is not included)',
        f'- linear extrapolation to 100,000 events: {per_100k:.0f} s '
        f'({per_100k / 60:.1f} min; target <= 5 min: '
        f'{"met" if per_100k <= 300 else "NOT met"}). The stages are '
        'batched (capture) or per customer (invoice), so time grows '
        'about linearly with the events.',
        f"- invoice lines: {r['grouping']} (`--grouping`); with one line "
        'per charge the invoice stage costs about 50-70 ms per line on '
        'this machine (Tryton invoice line creation and validation).',
        '',
        ]
    text = '\n'.join(lines)
    print(text)
    os.makedirs(os.path.dirname(REPORT), exist_ok=True)
    with open(REPORT, 'w', encoding='utf-8') as handle:
        handle.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--events', type=int, default=10000)
    parser.add_argument('--bins', type=int, default=500)
    parser.add_argument('--customers', type=int, default=20)
    parser.add_argument('--batch', type=int, default=1000)
    parser.add_argument('--accrual', action='store_true')
    parser.add_argument('--grouping', default='charge_type',
        choices=['charge', 'charge_type'],
        help="invoice lines per charge or per charge type")
    parser.add_argument('--invoice-by', default='customer',
        choices=['customer', 'run'],
        help="one transaction per customer (Charge.invoice) or one "
        "billing run for all customers (one save / post of all invoices)")
    parser.add_argument('--no-invoice', action='store_true',
        help="stop after the capture (profiling)")
    args = parser.parse_args(argv)
    report(run(args), sys.argv[1:])
    return 0


if __name__ == '__main__':
    sys.exit(main())
