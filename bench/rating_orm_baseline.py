# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Compiled rating engine vs rating event by event through ORM searches.

Activates ``otwb_bms`` in a scratch database (SQLite in memory by default,
PostgreSQL with ``--pg``), creates through the ORM two receivable rate
cards (a customer card and the default card: 21 destination zones x 8
weight breaks of freight lines mixing flat / 首重+续重 / per kg with
minimum, plus fuel surcharge, insurance and a per-order handling line),
then rates the same events two ways in the same run:

* **compiled**: ``RateCard.compiled()`` (ORM read + ``compile_card``,
  timed) once, then ``engine.rating.rate`` per event;
* **ORM baseline**: for every event and charge type, an ORM
  ``search`` on ``otwb.bms.rate_card.line`` with the event's criteria
  (party card first, then the default card, lowest sequence first), the
  matching line priced in Python.

Both must give identical charges (type, amount, card, line) on the
baseline sample (checked).  Writes ``bench/reports/rating_orm.md``
(``rating_orm_pg.md`` with ``--pg``).

Usage: python bench/rating_orm_baseline.py [--events N]
       [--baseline-events M] [--pg]
"""
import argparse
import datetime as dt
import os
import platform
import random
import subprocess
import sys
import time
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, 'reports', 'rating_orm.md')
REPORT_PG = os.path.join(HERE, 'reports', 'rating_orm_pg.md')
D = Decimal
DATE = dt.date(2026, 6, 1)
ZONES = [
    ('CN', 'CN-GD', '518'), ('CN', 'CN-GD', '510'), ('CN', 'CN-GD', None),
    ('CN', 'CN-SH', None), ('CN', 'CN-BJ', None), ('CN', 'CN-ZJ', '310'),
    ('CN', 'CN-ZJ', None), ('CN', 'CN-JS', None), ('CN', 'CN-SC', None),
    ('CN', 'CN-XJ', None), ('CN', 'CN-XZ', None), ('CN', None, None),
    ('HK', None, None), ('JP', None, None), ('KR', None, None),
    ('SG', None, None), ('US', None, '9'), ('US', None, None),
    ('DE', None, None), ('FR', None, None), (None, None, None),
    ]
BREAKS = [D(0), D(1), D(5), D(10), D(30), D(70), D(100), D(300), None]
SUBS = ['CN-GD', 'CN-SH', 'CN-BJ', 'CN-ZJ', 'CN-JS', 'CN-SC', 'CN-XJ',
    'CN-HB']
COUNTRIES = ['CN'] * 10 + ['HK', 'JP', 'US', 'DE', 'FR', 'GB']


def _setup_env(pg):
    if pg:
        os.environ['TRYTOND_DATABASE_URI'] = \
            'postgresql://postgres@127.0.0.1:5432/'
        os.environ['DB_NAME'] = 'bench_bms_orm'
    else:
        os.environ['TRYTOND_DATABASE_URI'] = 'sqlite://'
        os.environ['DB_NAME'] = ':memory:'
    os.environ.pop('DB_CACHE', None)


def card_lines(rng, scale):
    lines = []
    seq = 0
    for zone in ZONES:
        for i in range(8):
            seq += 1
            lo, hi = BREAKS[i], BREAKS[i + 1]
            values = {'sequence': seq, 'charge_type': 'freight',
                'activity': 'shipment_delivered',
                'dest_country': zone[0], 'dest_subdivision': zone[1],
                'dest_postal_prefix': zone[2],
                'weight_min': lo, 'weight_max': hi}
            kind = i % 3
            if kind == 0:
                values.update(method='flat', rate=D(8 + i) * scale)
            elif kind == 1:
                values.update(method='first_additional', unit='kg',
                    first_qty=D(1), first_price=D(10) * scale,
                    additional_step=D('0.5'),
                    additional_price=D(rng.choice([1, 2, 3])))
            else:
                values.update(method='per_unit', unit='kg',
                    rate=D(rng.choice(['0.80', '1.20', '2.50'])),
                    min_charge=D(20))
            lines.append(values)
    lines.append({'sequence': 900, 'charge_type': 'fuel_surcharge',
            'activity': 'shipment_delivered', 'method': 'percentage',
            'percent': D('8'), 'base': 'freight'})
    lines.append({'sequence': 910, 'charge_type': 'insurance',
            'activity': 'shipment_delivered', 'method': 'percentage',
            'percent': D('0.3'), 'base': 'declared_value',
            'min_charge': D(2)})
    lines.append({'sequence': 920, 'charge_type': 'handling_outbound',
            'activity': 'shipment_delivered', 'method': 'per_unit',
            'unit': 'order', 'rate': D('3.50')})
    return lines


def build_events(n, rng):
    from trytond.modules.otwb_bms.engine import rating as R
    events = []
    for _ in range(n):
        country = rng.choice(COUNTRIES)
        sub = rng.choice(SUBS) if country == 'CN' else None
        if country == 'CN':
            postal = rng.choice(['518', '510', '310', '200', '100']) + \
                '%03d' % rng.randrange(1000)
        else:
            postal = '%05d' % rng.randrange(100000)
        events.append(R.RatingEvent(
                date=DATE, mode='road_ltl', activity='shipment_delivered',
                destination=R.Address(country=country, subdivision=sub,
                    postal_code=postal),
                kg=D(rng.randrange(1, 4000)) / 10,
                m3=D(rng.randrange(1, 500)) / 1000,
                orders=D(1),
                declared_value=D(rng.choice([0, 100, 500, 2000]))
                if rng.random() < 0.5 else None))
    return events


class OrmRater:
    """Rating one event at a time with ORM searches (the baseline)."""

    ORDER = ('freight', 'insurance', 'fuel_surcharge', 'handling_outbound')

    def __init__(self, cards):
        from trytond.pool import Pool
        self.Line = Pool().get('otwb.bms.rate_card.line')
        self.cards = cards  # [(card record, engine card)] in priority order

    def _domain(self, event, card, charge_type, weight):
        dest = event.destination
        postal = dest.postal_code or ''
        prefixes = [None] + [postal[:i] for i in range(1, len(postal) + 1)]
        return [
            ('card', '=', card.id),
            ('charge_type', '=', charge_type),
            ('activity', 'in', [None, event.activity]),
            ('mode', 'in', [None, event.mode]),
            ('dest_country', 'in', [None, dest.country]),
            ('dest_subdivision', 'in', [None, dest.subdivision]),
            ('dest_postal_prefix', 'in', prefixes),
            ['OR', ('weight_min', '=', None),
                ('weight_min', '<=', weight)],
            ['OR', ('weight_max', '=', None), ('weight_max', '>', weight)],
            ]

    def rate(self, event):
        from trytond.modules.otwb_bms.engine import rating as R
        charges = []
        totals = {}
        for charge_type in self.ORDER:
            for card, engine_card in self.cards:
                weight = R.chargeable_weight(
                    event, engine_card.volumetric_divisors.get(event.mode),
                    engine_card.weight_rounding)
                found = None
                for line in self.Line.search(
                        self._domain(event, card, charge_type, weight),
                        order=[('sequence', 'ASC'), ('id', 'ASC')]):
                    amount = self._price(line, event, weight, totals)
                    if amount is not None:
                        found = (line, amount)
                        break
                if found:
                    line, amount = found
                    totals[charge_type] = amount
                    charges.append((charge_type, amount, card.id, line.id))
                    break
        return charges

    @staticmethod
    def _price(line, event, weight, totals):
        method = line.method
        if method == 'flat':
            raw = line.rate
        elif method == 'per_unit':
            qty = {'kg': weight, 'order': event.orders}[line.unit]
            if qty is None:
                return None
            raw = qty * line.rate
        elif method == 'first_additional':
            if weight <= line.first_qty:
                raw = line.first_price
            else:
                steps = ((weight - line.first_qty) / line.additional_step
                    ).to_integral_value(ROUND_CEILING)
                raw = line.first_price + steps * line.additional_price
        elif method == 'percentage':
            if line.base == 'declared_value':
                base = event.declared_value
            else:
                base = totals.get(line.base)
            if base is None:
                return None
            raw = base * line.percent / 100
        else:  # pragma: no cover
            raise ValueError(method)
        if line.min_charge is not None and raw < line.min_charge:
            raw = line.min_charge
        if line.max_charge is not None and raw > line.max_charge:
            raw = line.max_charge
        return raw.quantize(D('0.01'), ROUND_HALF_UP)


def in_transaction(db_name, func):
    """Run func(transaction) like the dispatcher: restart with the locks
    taken first when a lock is requested; roll back at the end"""
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    while True:
        with Transaction().start(db_name, 0, **extras) as transaction:
            try:
                return func(transaction)
            except TransactionError as exc:
                transaction.rollback()
                exc.fix(extras)
                continue
            finally:
                transaction.rollback()


def _rev():
    try:
        return subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
            cwd=HERE, capture_output=True, text=True,
            check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def run(args):
    _setup_env(args.pg)
    from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
    if args.pg:
        drop_db()
    t0 = time.perf_counter()
    activate_module(['otwb_bms'])
    activate_s = time.perf_counter() - t0
    from trytond.modules.otwb_bms.engine import rating as R
    from trytond.modules.otwb_bms.tests.tools import card, setup_billing
    from trytond.pool import Pool
    rng = random.Random(args.seed)

    def body(transaction):
        ns = setup_billing(with_accruals=False)
        with transaction.set_context(company=ns.company.id):
            own = card("Customer", 'receivable', ns.cny,
                card_lines(rng, D('0.9')), party=ns.customer,
                divisor_road=6000, weight_rounding=D('0.5'))
            default = card("Default", 'receivable', ns.cny,
                card_lines(rng, D(1)), divisor_road=6000,
                weight_rounding=D('0.5'))
            n_lines = len(own.lines) + len(default.lines)
            events = build_events(args.events, rng)
            Card = Pool().get('otwb.bms.rate_card')

            t0 = time.process_time()
            compiled = Card.compiled('receivable', DATE)
            cards = R.applicable_cards(
                compiled, ns.customer.id, 'receivable', DATE)
            compile_s = time.process_time() - t0
            assert [c.id for c in cards] == [own.id, default.id]

            best = None
            for _ in range(args.repeat):
                t0 = time.process_time()
                fast = [R.rate(cards, e) for e in events]
                elapsed = time.process_time() - t0
                best = elapsed if best is None else min(best, elapsed)
            fast_s = best
            n_fast = sum(len(c) for c in fast)

            sample = events[:args.baseline_events]
            engine_cards = [own.to_engine(), default.to_engine()]
            rater = OrmRater(list(zip([own, default], engine_cards,
                        strict=True)))
            t0 = time.process_time()
            w0 = time.perf_counter()
            slow = [rater.rate(e) for e in sample]
            orm_s = time.process_time() - t0
            orm_wall = time.perf_counter() - w0
            n_slow = sum(len(c) for c in slow)
            t0 = time.process_time()
            fast_sample = [R.rate(cards, e) for e in sample]
            fast_sample_s = time.process_time() - t0
            mismatches = 0
            for got, want in zip(fast_sample, slow, strict=True):
                got = sorted((c.charge_type, c.amount, c.card_id, c.line_id)
                    for c in got)
                mismatches += got != sorted(want)
            return (n_lines, events, compile_s, fast_s, n_fast, sample,
                orm_s, orm_wall, n_slow, fast_sample_s, mismatches)

    (n_lines, events, compile_s, fast_s, n_fast, sample, orm_s, orm_wall,
        n_slow, fast_sample_s, mismatches) = in_transaction(DB_NAME, body)
    if args.pg:
        drop_db()
    result = dict(
        backend='PostgreSQL' if args.pg else 'SQLite (in memory)',
        activate_s=activate_s, n_lines=n_lines, events=len(events),
        compile_s=compile_s, fast_s=fast_s, n_fast=n_fast,
        sample=len(sample), orm_s=orm_s, orm_wall=orm_wall, n_slow=n_slow,
        fast_sample_s=fast_sample_s, mismatches=mismatches)
    return result


def report(results, argv, path=REPORT):
    lines = [
        '# Rating: compiled engine vs ORM searches (otwb_bms)',
        '',
        f'- commit: `{_rev()}`; date: {dt.date.today().isoformat()}',
        f'- machine: {os.cpu_count()} cores shared with other jobs, '
        f'{platform.machine()}, Python {platform.python_version()}',
        '- command: `python bench/rating_orm_baseline.py'
        f'{"".join(" " + a for a in argv)}`',
        '- data: 2 receivable rate cards created through the ORM (customer '
        'card + default card, 21 zones x 8 weight breaks of freight '
        'lines mixing flat / 首重+续重 / per kg with minimum, plus fuel '
        '8 %, insurance 0.3 % of declared value and handling per order), '
        'road shipments with a destination, weight and volume',
        '- CPU seconds of this process (`time.process_time`); the ORM '
        'baseline on PostgreSQL also waits for the server (wall-clock '
        'given)',
        '',
        '| backend | rate lines | rater | events | charges | CPU s | '
        'charges/s | events/s |',
        '|---|---:|---|---:|---:|---:|---:|---:|',
        ]
    notes = []
    for r in results:
        fast_rate = r['n_fast'] / r['fast_s']
        slow_rate = r['n_slow'] / r['orm_s']
        lines.append(
            f"| {r['backend']} | {r['n_lines']} | compiled, all events | "
            f"{r['events']:,} | {r['n_fast']:,} | {r['fast_s']:.2f} | "
            f"{fast_rate:,.0f} | {r['events'] / r['fast_s']:,.0f} |")
        lines.append(
            f"| {r['backend']} | {r['n_lines']} | compiled, baseline "
            f"sample | {r['sample']:,} | {r['n_slow']:,} | "
            f"{r['fast_sample_s']:.3f} | "
            f"{r['n_slow'] / r['fast_sample_s']:,.0f} | "
            f"{r['sample'] / r['fast_sample_s']:,.0f} |")
        lines.append(
            f"| {r['backend']} | {r['n_lines']} | **ORM search per event** "
            f"| {r['sample']:,} | {r['n_slow']:,} | {r['orm_s']:.2f} "
            f"(wall {r['orm_wall']:.2f}) | {slow_rate:,.0f} | "
            f"{r['sample'] / r['orm_s']:,.0f} |")
        ratio = (r['orm_s'] / r['n_slow']) / (
            r['fast_s'] / r['n_fast'])
        same = 'yes' if not r['mismatches'] else (
            'NO (%d differ)' % r['mismatches'])
        wall_ratio = (r['orm_wall'] / r['n_slow']) / (
            r['fast_s'] / r['n_fast'])
        notes.append(
            f"- {r['backend']}: compiled engine **{ratio:,.0f}x** faster "
            f"per charge than the ORM baseline (CPU; {wall_ratio:,.0f}x "
            f"against the ORM wall-clock); target >= 50x "
            f"{'met' if ratio >= 50 else 'NOT met'}; loading and compiling "
            f"the cards once: {r['compile_s'] * 1000:.0f} ms CPU; "
            f"identical charges on the {r['sample']:,} sample events: "
            f"{same}")
    lines.append('')
    lines.extend(notes)
    lines.append('')
    text = '\n'.join(lines)
    print(text)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--events', type=int, default=20000)
    parser.add_argument('--baseline-events', type=int, default=300)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--seed', type=int, default=7)
    parser.add_argument('--pg', action='store_true',
        help="PostgreSQL at 127.0.0.1:5432 instead of SQLite")
    args = parser.parse_args(argv)
    report([run(args)], sys.argv[1:], REPORT_PG if args.pg else REPORT)
    return 0


if __name__ == '__main__':
    sys.exit(main())
