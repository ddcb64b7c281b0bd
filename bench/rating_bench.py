# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the otwb_bms rate-card engine (in memory, one core).

Generates realistic rate cards (default 10 cards x 200 lines: 21
destination zones x 8 weight breaks mixing flat / first+additional /
per-kg with minimum / tiered / slab, a fuel index, remote-area postal
prefixes, peak season, insurance, COD, dangerous-goods VAS and tax) and
shipment events (default 200,000), then measures charges rated per
second with compiled cards (``compile_card`` + ``rate``) against a plain
baseline measured in the same run: a naive rater that, for every event,
scans every line of every card without any compiled index.  Both raters
must produce identical charges on the baseline sample (checked).

Usage: python bench/rating_bench.py [--quick] [--events N] [--seed S]
Writes the Markdown report to bench/reports/rating.md.
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
REPORT = os.path.join(HERE, 'reports', 'rating.md')

try:
    from trytond.modules.otwb_bms.engine import rating as R
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, os.path.join(HERE, '..', 'addons', 'otwb_bms',
                                    'engine'))
    import rating as R  # noqa: E402

D = Decimal
START = dt.date(2024, 1, 1)

# destination zones: (country, subdivision, postal prefix) -> sample
# postal codes are generated from the prefix
ZONES = [
    ('CN', 'CN-GD', '518'), ('CN', 'CN-GD', '510'), ('CN', 'CN-GD', None),
    ('CN', 'CN-SH', None), ('CN', 'CN-BJ', None), ('CN', 'CN-ZJ', '310'),
    ('CN', 'CN-ZJ', None), ('CN', 'CN-JS', None), ('CN', 'CN-SC', None),
    ('CN', 'CN-XJ', None), ('CN', 'CN-XZ', None), ('CN', None, None),
    ('HK', None, None), ('JP', None, None), ('KR', None, None),
    ('SG', None, None), ('US', None, '9'), ('US', None, None),
    ('DE', None, None), ('FR', None, None), (None, None, None),
]
SUBDIVISIONS = {
    'CN': ['CN-GD', 'CN-SH', 'CN-BJ', 'CN-ZJ', 'CN-JS', 'CN-SC', 'CN-XJ',
           'CN-XZ', 'CN-HB', 'CN-HN'],
}
COUNTRIES = ['CN'] * 14 + ['HK', 'JP', 'KR', 'SG', 'US', 'US', 'DE', 'FR',
                           'GB', 'BR']
BREAKS = [D(0), D(1), D(5), D(10), D(30), D(70), D(100), D(300), None]


def money(x):
    return D(x).quantize(D('0.01'))


def build_cards(n_cards, rng):
    fuel = tuple(R.FuelIndexRow(START + dt.timedelta(days=30 * i),
                                D(rng.choice(['9.5', '10', '11.25', '12.5'])))
                 for i in range(13))
    cards = []
    for c in range(n_cards):
        factor = D(rng.randint(85, 120)) / 100
        lines = []
        seq = 0
        for z, (country, sub, prefix) in enumerate(ZONES):
            base = D(8 + z) * factor
            zone = (None if country is None
                    else R.Zone(country, sub, prefix))
            for b in range(8):
                seq += 1
                lo, hi = BREAKS[b], BREAKS[b + 1]
                per_kg = money(base / 4 * (D(1) - D(b) / 20))
                if b == 0:
                    pricing = R.Pricing('flat', rate=money(base))
                elif b in (1, 2):
                    pricing = R.Pricing(
                        'first_additional', first_qty=D(1),
                        first_price=money(base),
                        additional_step=D('0.5'),
                        additional_price=money(base / 5))
                elif b in (3, 5):
                    pricing = R.Pricing('per_unit', unit='kg', rate=per_kg,
                                        min_charge=money(base * 3))
                elif b == 4:
                    pricing = R.Pricing('per_unit', unit='kg', rate=per_kg)
                elif b == 6:
                    pricing = R.Pricing('tiered', unit='kg', bands=(
                        R.Band(D(0), per_kg), R.Band(D(150), per_kg * 9 / 10),
                        R.Band(D(250), per_kg * 8 / 10)))
                else:
                    pricing = R.Pricing('slab', unit='kg', bands=(
                        R.Band(D(0), per_kg), R.Band(D(500), per_kg * 9 / 10),
                        R.Band(D(1000), per_kg * 8 / 10)))
                lines.append(R.RateLine(
                    id=f'c{c}-f{z}-{b}', sequence=seq * 10,
                    charge_type='freight', pricing=pricing,
                    criteria=R.Criteria(destination=zone,
                                        weight=R.Range(lo, hi))))
        lines.append(R.RateLine(
            f'c{c}-fuel', 10, 'fuel_surcharge', R.Pricing(
                'percentage', base=('freight',), fuel_index=fuel)))
        for i in range(25):  # remote postal prefixes in western China
            sub = ('CN-XJ', 'CN-XZ', 'CN-SC')[i % 3]
            lines.append(R.RateLine(
                f'c{c}-remote{i}', 10 + i, 'remote_area',
                R.Pricing('flat', rate=money(15 + i)),
                criteria=R.Criteria(destination=R.Zone(
                    'CN', sub, f'{8 + i % 2}{i:02d}'))))
        lines.append(R.RateLine(
            f'c{c}-remote-xz', 100, 'remote_area',
            R.Pricing('per_unit', unit='kg', rate=D('0.80'),
                      min_charge=D('20.00')),
            criteria=R.Criteria(destination=R.Zone('CN', 'CN-XZ'))))
        lines.append(R.RateLine(
            f'c{c}-peak', 10, 'peak_season',
            R.Pricing('per_unit', unit='kg', rate=D('0.50'),
                      min_charge=D('2.00')),
            valid_from=dt.date(2024, 11, 1), valid_to=dt.date(2024, 12, 15)))
        lines.append(R.RateLine(
            f'c{c}-ins', 10, 'insurance', R.Pricing(
                'percentage', base=('declared_value',), percent=D('0.3'),
                min_charge=D('2.00'))))
        if c == 0:  # only the default card prices COD and DG handling
            lines.append(R.RateLine(
                f'c{c}-cod', 10, 'cod_fee', R.Pricing(
                    'percentage', base=('cod_amount',), percent=D('1'),
                    min_charge=D('3.00'), max_charge=D('200.00'))))
            lines.append(R.RateLine(
                f'c{c}-dg', 10, 'vas', R.Pricing('flat', rate=D('45.00')),
                criteria=R.Criteria(cargo_class='dangerous'), code='dg'))
        lines.append(R.RateLine(
            f'c{c}-tax', 10, 'tax', R.Pricing(
                'percentage', base=('freight', 'fuel_surcharge',
                                    'remote_area', 'peak_season'),
                percent=D(6))))
        assert len(lines) == (200 if c == 0 else 198), len(lines)
        cards.append(R.RateCard(
            id=f'card{c}', version=1, currency='CNY', kind='receivable',
            valid_from=START, valid_to=dt.date(2024, 12, 31),
            lines=tuple(lines), party_id=c or None,
            volumetric_divisors={'express': 5000, 'road': 6000},
            weight_rounding=D('0.5')))
    return cards


def build_events(n_events, n_cards, rng):
    events, parties = [], []
    for _ in range(n_events):
        country = rng.choice(COUNTRIES)
        sub = rng.choice(SUBDIVISIONS[country]) if country == 'CN' else None
        if sub in ('CN-XJ', 'CN-XZ', 'CN-SC') and rng.random() < .5:
            i = rng.randrange(25)
            postal = f'{8 + i % 2}{i:02d}{rng.randrange(1000):03d}'
        else:
            postal = f'{rng.choice("1235789")}{rng.randrange(100000):05d}'
        kg = D(str(round(min(rng.lognormvariate(1.5, 1.6), 3000), 2)))
        packages = tuple(
            R.Package(D(rng.randint(10, 80)), D(rng.randint(10, 60)),
                      D(rng.randint(5, 50)), rng.randint(1, 3))
            for _ in range(rng.randint(0, 2)))
        events.append(R.RatingEvent(
            date=START + dt.timedelta(days=rng.randrange(366)),
            mode='express' if rng.random() < .7 else 'road',
            origin=R.Address('CN', 'CN-GD', '518000'),
            destination=R.Address(country, sub, postal),
            cargo_class='dangerous' if rng.random() < .03 else 'general',
            kg=kg, packages=packages,
            declared_value=(money(rng.randint(50, 20000))
                            if rng.random() < .3 else None),
            cod_amount=(money(rng.randint(20, 3000))
                        if rng.random() < .2 else None)))
        # card 0 is the default card: party None (walk-in) uses it alone
        parties.append(rng.randrange(n_cards) or None)
    return events, parties


# --------------------------------------------------------------------------
# plain baseline: no compilation, scan every line of every card per event
# --------------------------------------------------------------------------

def _zone_ok(zone, address):
    if zone is None:
        return True
    if address is None:
        return False
    if zone.country is not None and zone.country != address.country:
        return False
    if zone.subdivision is not None and (
            zone.subdivision != address.subdivision):
        return False
    if zone.postal_prefix is not None and not (
            address.postal_code or '').startswith(zone.postal_prefix):
        return False
    return True


def _range_ok(rng, value):
    if rng is None:
        return True
    if value is None:
        return False
    return ((rng.min is None or value >= rng.min)
            and (rng.max is None or value < rng.max))


def _naive_qty(unit, event, weight):
    return R._quantity(unit, event, weight) if unit else None


def naive_rate(cards, event, party_id, full_scan=False):
    """Plain rater on the uncompiled cards.  ``full_scan``: check every
    line of every card (card applicability tested per line, like an
    unindexed table scan); otherwise pick the party card and the default
    card first, then scan their lines.  (Assumes one card per party and
    kind, as generated here.)"""
    date = event.date
    if full_scan:
        chosen = cards
    else:
        own = [c for c in cards if c.party_id == party_id
               and party_id is not None
               and c.kind == 'receivable' and c.valid_on(date)]
        default = [c for c in cards if c.party_id is None
                   and c.kind == 'receivable' and c.valid_on(date)]
        chosen = [max(group, key=lambda c: c.version)
                  for group in (own, default) if group]
    winners = {}  # slot -> (card, line, weight)
    found = {}  # full scan: slot -> (rank, card, line, weight)
    for card in chosen:
        weight = R.chargeable_weight(
            event, card.volumetric_divisors.get(event.mode),
            card.weight_rounding)
        best = {}
        for pos, line in enumerate(card.lines):
            if full_scan:
                if not (card.kind == 'receivable' and card.valid_on(date)
                        and (card.party_id is None or (
                            party_id is not None
                            and card.party_id == party_id))):
                    continue
            slot = (line.charge_type, line.code)
            if slot in winners:
                continue
            cr = line.criteria
            p = line.pricing
            unit = p.unit or ('kg' if p.method == 'first_additional'
                              else None)
            qty = _naive_qty(unit, event, weight)
            if unit and qty is None:
                continue
            if p.method == 'percentage' and p.base[0] in (
                    'declared_value', 'cod_amount') and getattr(
                        event, p.base[0]) is None:
                continue
            if line.valid_from and date < line.valid_from:
                continue
            if line.valid_to and date > line.valid_to:
                continue
            if not (_zone_ok(cr.origin, event.origin)
                    and _zone_ok(cr.destination, event.destination)
                    and cr.lane in (None, event.lane)
                    and cr.mode in (None, event.mode)
                    and cr.service_level in (None, event.service_level)
                    and cr.cargo_class in (None, event.cargo_class)
                    and cr.activity in (None, event.activity)
                    and _range_ok(cr.weight, weight)
                    and _range_ok(cr.volume, event.m3)
                    and _range_ok(cr.distance, event.km)
                    and _range_ok(cr.quantity, qty)):
                continue
            key = (line.sequence, pos)
            if slot not in best or key < best[slot][0]:
                best[slot] = (key, line)
        for slot, (key, line) in best.items():
            if full_scan:
                rank = (card.party_id is None,) + key
                if slot not in found or rank < found[slot][0]:
                    found[slot] = (rank, card, line, weight)
            else:
                winners[slot] = (card, line, weight)
    if full_scan:
        winners = {slot: v[1:] for slot, v in found.items()}
    totals, result = {}, []
    pending = dict(winners)
    while pending:
        progress = False
        for slot, (card, line, weight) in list(pending.items()):
            p = line.pricing
            if p.method == 'percentage' and p.base[0] not in (
                    'declared_value', 'cod_amount'):
                if any(t in pending and t != slot for t in (
                        s for s in pending if s[0] in p.base)):
                    continue
            del pending[slot]
            progress = True
            raw = _naive_price(line, event, weight, totals)
            if raw is None:
                continue
            if p.min_charge is not None and raw < p.min_charge:
                raw = p.min_charge
            if p.max_charge is not None and raw > p.max_charge:
                raw = p.max_charge
            amount = raw.quantize(D('0.01'), ROUND_HALF_UP)
            totals[slot[0]] = totals.get(slot[0], D(0)) + amount
            result.append((slot[0], slot[1], amount, card.id, line.id))
        assert progress
    return result


def _naive_price(line, event, weight, totals):
    p = line.pricing
    if p.method == 'flat':
        return p.rate
    if p.method == 'percentage':
        if p.base[0] in ('declared_value', 'cod_amount'):
            base = getattr(event, p.base[0])
        else:
            found = [totals[t] for t in p.base if t in totals]
            if not found:
                return None
            base = sum(found)
        percent = p.percent
        if p.fuel_index:
            rows = [r for r in p.fuel_index
                    if r.effective_date <= event.date]
            percent = max(rows, key=lambda r: r.effective_date).percent
        return base * percent / 100
    unit = p.unit or 'kg'
    qty = _naive_qty(unit, event, weight)
    if p.method == 'per_unit':
        return qty * p.rate
    if p.method == 'first_additional':
        if qty <= p.first_qty:
            return p.first_price
        steps = ((qty - p.first_qty) / p.additional_step).to_integral_value(
            ROUND_CEILING)
        return p.first_price + steps * p.additional_price
    bands = p.bands
    if p.method == 'slab':
        band = [b for b in bands if b.start <= qty][-1]
        return qty * band.rate
    total = D(0)
    for i, band in enumerate(bands):
        end = bands[i + 1].start if i + 1 < len(bands) else None
        if qty <= band.start:
            break
        top = qty if end is None or qty < end else end
        total += (top - band.start) * band.rate
    return total


# --------------------------------------------------------------------------

def _load():
    try:
        return '%.1f' % os.getloadavg()[0]
    except OSError:
        return 'n/a'


def git_rev():
    try:
        return subprocess.run(
            ['git', 'rev-parse', '--short', 'HEAD'], cwd=HERE,
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def run(args):
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    cards = build_cards(args.cards, rng)
    events, parties = build_events(args.events, args.cards, rng)
    gen_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    compiled = [R.compile_card(c) for c in cards]
    compile_s = time.perf_counter() - t0
    # the caller selects the card(s) once per party (bulk flow)
    per_party = {c.party_id: R.applicable_cards(compiled, c.party_id,
                                                'receivable', START)
                 for c in cards}
    assert [c.id for c in per_party[1]] == ['card1', 'card0']

    best = wall = None
    n_charges = 0
    load_before = _load()
    for _ in range(args.repeat):
        w0, t0 = time.perf_counter(), time.process_time()
        n = 0
        rate = R.rate
        for event, party in zip(events, parties, strict=True):
            n += len(rate(per_party[party], event))
        elapsed = time.process_time() - t0
        n_charges = n
        if best is None or elapsed < best:
            best, wall = elapsed, time.perf_counter() - w0
    fast_s = best

    sample = min(args.baseline_events, len(events))
    idx = range(sample)

    def timed(func):
        best, result = None, None
        for _ in range(args.repeat):
            t0 = time.process_time()
            result = func()
            elapsed = time.process_time() - t0
            best = elapsed if best is None else min(best, elapsed)
        return best, result

    fast_sample_s, fast_sample = timed(lambda: [
        R.rate(per_party[parties[i]], events[i]) for i in idx])
    card_s, card_results = timed(lambda: [
        naive_rate(cards, events[i], parties[i]) for i in idx])
    full_s, full_results = timed(lambda: [
        naive_rate(cards, events[i], parties[i], full_scan=True)
        for i in idx])
    naive_charges = sum(len(r) for r in full_results)
    mismatches = 0
    for got, want, want2 in zip(fast_sample, full_results, card_results,
                                strict=True):
        got = sorted((c.charge_type, c.code or '', c.amount, c.card_id,
                      c.line_id) for c in got)
        want = sorted((t, code or '', a, cid, lid)
                      for t, code, a, cid, lid in want)
        want2 = sorted((t, code or '', a, cid, lid)
                       for t, code, a, cid, lid in want2)
        mismatches += got != want or got != want2
    t0 = time.process_time()
    explained = 0
    for charges in fast_sample:
        for charge in charges:
            explained += len(charge.explanation)
    explain_s = time.process_time() - t0
    load_after = _load()

    by_type = {}
    total_amount = D(0)
    for charges in fast_sample:
        for charge in charges:
            by_type[charge.charge_type] = by_type.get(
                charge.charge_type, 0) + 1
            total_amount += charge.amount

    fast_rate = n_charges / fast_s
    naive_rate_ = naive_charges / full_s
    lines = [
        '# Rating engine benchmark (otwb_bms.engine.rating)',
        '',
        f'- commit: `{git_rev()}`; date: {dt.date.today().isoformat()}',
        f'- machine: {os.cpu_count()} cores (shared), '
        f'{platform.machine()}, {platform.system()} '
        f'{platform.release()}; Python {platform.python_version()}; '
        'single process, one core used',
        f'- data: {len(cards)} cards (1 default card of '
        f'{len(cards[0].lines)} lines + party cards of '
        f'{len(cards[-1].lines)} lines: {len(ZONES)} zones x 8 weight '
        'breaks mixing flat, 首重+续重, per kg with minimum, tiered, slab; '
        'fuel index, remote area, peak season, insurance, tax; COD and DG '
        'VAS only on the default card, used as fallback), '
        f'{len(events):,} shipment events (seed {args.seed}); '
        f'generation {gen_s:.1f} s (not timed below)',
        '- command: `python bench/rating_bench.py'
        f'{"".join(" " + a for a in sys.argv[1:])}`',
        '',
        f'Timings: CPU seconds of this process (`time.process_time`, '
        f'the 2 cores are shared with other jobs), best of {args.repeat} '
        f'runs each; the main run took {wall:.2f} s wall-clock; load '
        f'average {load_before} before, {load_after} after.',
        '',
        '| rater | events | charges | CPU s | charges/s | events/s |',
        '|---|---:|---:|---:|---:|---:|',
        f'| compiled (`compile_card` + `rate`), all events | '
        f'{len(events):,} | {n_charges:,} | {fast_s:.2f} | '
        f'{fast_rate:,.0f} | {len(events) / fast_s:,.0f} |',
        f'| compiled, on the baseline sample | {sample:,} | '
        f'{naive_charges:,} | {fast_sample_s:.2f} | '
        f'{naive_charges / fast_sample_s:,.0f} | '
        f'{sample / fast_sample_s:,.0f} |',
        f'| **baseline**: naive scan of every line of every card | '
        f'{sample:,} | {naive_charges:,} | {full_s:.2f} | '
        f'{naive_rate_:,.0f} | {sample / full_s:,.0f} |',
        f'| baseline 2: pick party/default card, then naive scan of its '
        f'lines | {sample:,} | {naive_charges:,} | {card_s:.2f} | '
        f'{naive_charges / card_s:,.0f} | {sample / card_s:,.0f} |',
        '',
        f'- speed-up (same sample, charges/s): '
        f'{full_s / fast_sample_s:,.1f}x vs the full scan, '
        f'{card_s / fast_sample_s:,.1f}x vs baseline 2',
        f'- target >= 200,000 charges/s on one core: '
        f'{"met" if fast_rate >= 200000 else "NOT met"}',
        f'- compile {len(cards)} cards: {compile_s * 1000:.1f} ms',
        f'- lazy `Charge.explanation` for the {naive_charges:,} sample '
        f'charges: {explain_s:.2f} s '
        f'({naive_charges / explain_s:,.0f} explanations/s), not included '
        'above',
        f'- identical charges (type, code, amount, card, line) between '
        f'compiled and both naive raters on the {sample:,} sample events: '
        f'{"yes" if not mismatches else f"NO ({mismatches} differ)"}',
        '- charges in the sample by type: ' + ', '.join(
            f'{k} {v:,}' for k, v in sorted(by_type.items())),
        f'- sample total amount: {total_amount:,} CNY',
        '',
        'Not measured here: building events from the database and writing '
        'charges back (Tryton ORM); the lead adds an ORM-search baseline.',
        '',
    ]
    report = '\n'.join(lines)
    print(report)
    os.makedirs(os.path.dirname(REPORT), exist_ok=True)
    with open(REPORT, 'w', encoding='utf-8') as handle:
        handle.write(report)
    return 0 if not mismatches else 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Report written to bench/reports/rating.md')
    parser.add_argument('--quick', action='store_true',
                        help='20,000 events, 500 baseline events, 1 run')
    parser.add_argument('--events', type=int, default=200000,
                        help='number of events (default 200000)')
    parser.add_argument('--cards', type=int, default=10,
                        help='number of rate cards (default 10)')
    parser.add_argument('--baseline-events', type=int, default=3000,
                        help='events rated by the naive baselines '
                        '(default 3000)')
    parser.add_argument('--repeat', type=int, default=3,
                        help='timed runs of the compiled rater, best kept')
    parser.add_argument('--seed', type=int, default=42)
    args = parser.parse_args(argv)
    if args.quick:
        args.events = min(args.events, 20000)
        args.baseline_events = min(args.baseline_events, 500)
        args.repeat = 1
    return run(args)


if __name__ == '__main__':
    sys.exit(main())
