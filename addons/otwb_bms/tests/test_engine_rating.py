# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Tests of the billing rate-card engine (hand-computed amounts)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_bms.engine import rating
from trytond.modules.otwb_bms.engine.rating import (
    Address,
    Band,
    Criteria,
    FuelIndexRow,
    Package,
    Pricing,
    Range,
    RateCard,
    RateLine,
    RatingEvent,
    Zone,
    applicable_cards,
    chargeable_weight,
    compile_card,
    convert,
    select_card,
)

DAY = dt.date(2024, 4, 1)


def card(*lines, **kw):
    values = dict(id='C1', version=1, currency='CNY', kind='receivable',
                  valid_from=dt.date(2024, 1, 1), lines=tuple(lines))
    values.update(kw)
    return RateCard(**values)


def line(id, pricing, charge_type='freight', sequence=10, **criteria):
    code = criteria.pop('code', None)
    return RateLine(id=id, sequence=sequence, charge_type=charge_type,
                    pricing=pricing, criteria=Criteria(**criteria),
                    code=code)


def event(**kw):
    kw.setdefault('date', DAY)
    return RatingEvent(**kw)


def charges(cards, ev):
    if isinstance(cards, RateCard):
        cards = [cards]
    return rating.rate([compile_card(c) for c in cards], ev)


def amounts(cards, ev):
    return {c.charge_type if c.code is None else (c.charge_type, c.code):
            c.amount for c in charges(cards, ev)}


def freight(cards, ev):
    return amounts(cards, ev).get('freight')


# -- first weight + additional weight (首重+续重) ---------------------------

FIRST_ADD = Pricing('first_additional', first_qty=D(1), first_price=D('12.00'),
                    additional_step=D('0.5'), additional_price=D('2.00'))


@pytest.mark.parametrize('kg, expected', [
    ('0.2', D('12.00')),   # below first weight: 12.00
    ('1', D('12.00')),     # exactly first weight: 12.00
    ('1.5', D('14.00')),   # 12 + ceil(0.5/0.5)=1 x 2 = 14.00
    ('1.51', D('16.00')),  # 12 + ceil(0.51/0.5)=2 x 2 = 16.00
    ('3.2', D('22.00')),   # 12 + ceil(2.2/0.5)=5 x 2 = 22.00
    ('3.5', D('22.00')),   # 12 + ceil(2.5/0.5)=5 x 2 = 22.00
    ('10', D('48.00')),    # 12 + ceil(9/0.5)=18 x 2 = 48.00
])
def test_first_additional(kg, expected):
    assert freight(card(line('L', FIRST_ADD)), event(kg=D(kg))) == expected


def test_first_additional_explanation():
    (charge,) = charges(card(line('L', FIRST_ADD)), event(kg=D('3.2')))
    assert charge.explanation == (
        '首重 1 kg × 12.00 + 续重 ceil((3.2-1)/0.5)=5 × 2.00 = 22.00')
    assert (charge.quantity, charge.unit) == (D('3.2'), 'kg')
    assert (charge.card_id, charge.card_version, charge.line_id,
            charge.currency) == ('C1', 1, 'L', 'CNY')


def test_first_additional_with_card_weight_rounding():
    # 3.2 kg rounded up to 1 kg -> 4 kg: 12 + ceil(3/0.5)=6 x 2 = 24.00
    c = card(line('L', FIRST_ADD), weight_rounding=D(1))
    assert freight(c, event(kg=D('3.2'))) == D('24.00')


# -- tiered vs slab -----------------------------------------------------

BANDS = (Band(D(0), D('1.00')), Band(D(100), D('0.80')),
         Band(D(500), D('0.60')))


@pytest.mark.parametrize('kg, tiered, slab', [
    ('0', D('0.00'), D('0.00')),
    # 99 x 1.00 = 99.00 for both
    ('99', D('99.00'), D('99.00')),
    # tiered 99.99 x 1 = 99.99; slab same band
    ('99.99', D('99.99'), D('99.99')),
    # at the 100 boundary: tiered 100 x 1 = 100.00; slab 100 x 0.80 = 80.00
    ('100', D('100.00'), D('80.00')),
    # tiered 100 + 50 x 0.8 = 140.00; slab 150 x 0.8 = 120.00
    ('150', D('140.00'), D('120.00')),
    # tiered 100 + 399 x 0.8 = 419.20; slab 499 x 0.8 = 399.20
    ('499', D('419.20'), D('399.20')),
    # tiered 100 + 400 x 0.8 = 420.00; slab 500 x 0.6 = 300.00
    ('500', D('420.00'), D('300.00')),
    # tiered 420 + 100 x 0.6 = 480.00; slab 600 x 0.6 = 360.00
    ('600', D('480.00'), D('360.00')),
])
def test_tiered_vs_slab(kg, tiered, slab):
    ev = event(kg=D(kg))
    assert freight(card(line('T', Pricing(
        'tiered', unit='kg', bands=BANDS))), ev) == tiered
    assert freight(card(line('S', Pricing(
        'slab', unit='kg', bands=BANDS))), ev) == slab


def test_tiered_and_slab_explanations():
    ev = event(kg=D(150))
    (t,) = charges(card(line('T', Pricing('tiered', unit='kg',
                                          bands=BANDS))), ev)
    (s,) = charges(card(line('S', Pricing('slab', unit='kg',
                                          bands=BANDS))), ev)
    assert t.explanation == 'tiered 150 kg: 100 × 1.00 + 50 × 0.80 = 140.00'
    assert s.explanation == 'slab 150 kg in band [100, 500) × 0.80 = 120.00'


def test_slab_is_not_monotonic_with_decreasing_rates():
    # documented: 99 kg -> 99 x 1.00 = 99.00 but 100 kg -> 100 x 0.80 = 80.00
    c = card(line('S', Pricing('slab', unit='kg', bands=BANDS)))
    assert freight(c, event(kg=D(99))) > freight(c, event(kg=D(100)))


def test_tiered_per_pallet():
    # 12 pallets: 10 x 5.00 + 2 x 4.00 = 58.00
    bands = (Band(D(0), D('5.00')), Band(D(10), D('4.00')))
    c = card(line('H', Pricing('tiered', unit='pallet', bands=bands),
                  charge_type='handling_inbound'))
    assert amounts(c, event(pallets=12)) == {'handling_inbound': D('58.00')}


# -- min / max charge ------------------------------------------------------

MINMAX = Pricing('per_unit', unit='kg', rate=D('2.00'), min_charge=D('30.00'),
                 max_charge=D('100.00'))


@pytest.mark.parametrize('kg, expected', [
    ('10', D('30.00')),    # 10 x 2 = 20 < min 30 -> 30.00
    ('15', D('30.00')),    # 15 x 2 = 30 = min -> 30.00
    ('20', D('40.00')),    # 20 x 2 = 40.00
    ('50', D('100.00')),   # 50 x 2 = 100 = max -> 100.00
    ('60', D('100.00')),   # 60 x 2 = 120 > max 100 -> 100.00
])
def test_min_max(kg, expected):
    assert freight(card(line('L', MINMAX)), event(kg=D(kg))) == expected


def test_min_explanation():
    (charge,) = charges(card(line('L', MINMAX)), event(kg=D(10)))
    assert charge.explanation == (
        '10 kg × 2.00 -> minimum charge 30 = 30.00')


def test_flat():
    c = card(line('R', Pricing('flat', rate=D('15.00')),
                  charge_type='remote_area'))
    (charge,) = charges(c, event())
    assert charge.amount == D('15.00')
    assert charge.explanation == 'flat 15.00 = 15.00'


def test_money_rounding_half_up():
    # 1 kg x 0.125 = 0.125 -> 0.13 (ROUND_HALF_UP, banker's would give 0.12)
    c = card(line('L', Pricing('per_unit', unit='kg', rate=D('0.125'))))
    assert freight(c, event(kg=D(1))) == D('0.13')
    # 3 kg x 0.125 = 0.375 -> 0.38
    assert freight(c, event(kg=D(3))) == D('0.38')
    # JPY, 0 digits: 5 kg x 0.5 = 2.5 -> 3
    c = card(line('L', Pricing('per_unit', unit='kg', rate=D('0.5'))),
             currency='JPY', money_digits=0)
    assert freight(c, event(kg=D(5))) == D('3')


# -- volumetric vs actual weight ------------------------------------------

PER_KG = Pricing('per_unit', unit='kg', rate=D('3.00'))
DIVISORS = {'air': 5000, 'road': 6000}
BOX = Package(D(40), D(30), D(20))  # 24000 cm3


@pytest.mark.parametrize('mode, rounding, expected', [
    # air: volumetric 24000/5000 = 4.8 > actual 4.5 -> 4.8 x 3 = 14.40
    ('air', None, D('14.40')),
    # road: volumetric 24000/6000 = 4.0 < actual 4.5 -> 4.5 x 3 = 13.50
    ('road', None, D('13.50')),
    # sea: no divisor -> actual 4.5 x 3 = 13.50
    ('sea', None, D('13.50')),
    # air rounded up to 0.5: 4.8 -> 5.0 x 3 = 15.00
    ('air', D('0.5'), D('15.00')),
    # road rounded up to 0.5: 4.5 stays 4.5 x 3 = 13.50
    ('road', D('0.5'), D('13.50')),
    # road rounded up to 1 kg: 4.5 -> 5 x 3 = 15.00
    ('road', D(1), D('15.00')),
])
def test_volumetric_vs_actual(mode, rounding, expected):
    c = card(line('L', PER_KG), volumetric_divisors=DIVISORS,
             weight_rounding=rounding)
    ev = event(kg=D('4.5'), mode=mode, packages=(BOX,))
    assert freight(c, ev) == expected


def test_volumetric_explanation():
    c = card(line('L', PER_KG), volumetric_divisors=DIVISORS)
    (charge,) = charges(c, event(kg=D('4.5'), mode='air', packages=(BOX,)))
    assert charge.explanation == (
        'chargeable 4.8 kg = max(actual 4.5 kg, volumetric 4.8 kg at 5000 '
        'cm3/kg); 4.8 kg × 3.00 = 14.40')


def test_volumetric_several_packages_and_m3_fallback():
    # 2 x (50x40x30 = 60000) = 120000 cm3 / 6000 = 20 kg > 12 kg
    ev = event(kg=D(12), mode='road',
               packages=(Package(D(50), D(40), D(30), quantity=2),))
    assert chargeable_weight(ev, D(6000)) == D(20)
    assert ev.m3 == D('0.12')  # derived from the packages: 120000 / 1e6
    # no packages: m3 0.024 x 1e6 / 5000 = 4.8 kg
    assert chargeable_weight(event(kg=D(1), m3=D('0.024')),
                             D(5000)) == D('4.8')
    # 2.25 kg rounded up to 0.5 -> 2.5; without divisor
    assert chargeable_weight(event(kg=D('2.25')), None, D('0.5')) == D('2.5')


# -- percentages: fuel index, insurance, tax ------------------------------

FUEL_INDEX = (FuelIndexRow(dt.date(2024, 3, 1), D('10')),
              FuelIndexRow(dt.date(2024, 4, 1), D('12.5')))


def fuel_card():
    return card(
        line('F', Pricing('flat', rate=D('200.00'))),
        line('FS', Pricing('percentage', base=('freight',),
                           fuel_index=FUEL_INDEX),
             charge_type='fuel_surcharge'))


@pytest.mark.parametrize('date, expected', [
    (dt.date(2024, 3, 31), D('20.00')),  # day before: 10% x 200 = 20.00
    (dt.date(2024, 4, 1), D('25.00')),   # the day of: 12.5% x 200 = 25.00
    (dt.date(2024, 4, 2), D('25.00')),   # day after: 12.5% x 200 = 25.00
    (dt.date(2024, 3, 1), D('20.00')),   # first row's day: 10% = 20.00
])
def test_fuel_index_date_boundary(date, expected):
    assert amounts(fuel_card(), event(date=date)) == {
        'freight': D('200.00'), 'fuel_surcharge': expected}


def test_fuel_index_before_first_row_is_an_error():
    with pytest.raises(ValueError, match='no fuel index row'):
        charges(fuel_card(), event(date=dt.date(2024, 2, 29)))


def test_fuel_explanation_and_basis():
    fuel = charges(fuel_card(), event(date=DAY))[1]
    assert fuel.explanation == (
        'fuel index 2024-04-01: 12.5% of freight 200.00 = 25.00')
    assert (fuel.quantity, fuel.unit) == (D('200.00'), 'freight')


def test_percentage_without_base_charge_is_skipped():
    c = card(line('F', Pricing('per_unit', unit='kg', rate=D(1))),
             line('FS', Pricing('percentage', base=('freight',),
                                percent=D(10)),
                  charge_type='fuel_surcharge'))
    # no kg -> no freight line applies -> no fuel surcharge either
    assert amounts(c, event(pallets=1)) == {}


INSURANCE = Pricing('percentage', base=('declared_value',), percent=D('0.3'),
                    min_charge=D('5.00'))


@pytest.mark.parametrize('value, expected', [
    (D('10000.00'), D('30.00')),  # 0.3% x 10000 = 30.00
    (D('1000.00'), D('5.00')),    # 0.3% x 1000 = 3.00 < min 5 -> 5.00
    (D('2500.50'), D('7.50')),    # 0.3% x 2500.50 = 7.5015 -> 7.50
])
def test_insurance_percent_of_declared_value(value, expected):
    c = card(line('I', INSURANCE, charge_type='insurance'))
    assert amounts(c, event(declared_value=value)) == {'insurance': expected}


def test_insurance_needs_declared_value():
    c = card(line('I', INSURANCE, charge_type='insurance'))
    assert amounts(c, event(kg=D(1))) == {}


def test_cod_fee_and_tax_chain():
    c = card(
        line('TAX', Pricing('percentage', base=(
            'freight', 'fuel_surcharge', 'cod_fee'), percent=D(6)),
             charge_type='tax'),
        line('FS', Pricing('percentage', base=('freight',), percent=D(10)),
             charge_type='fuel_surcharge'),
        line('F', Pricing('per_unit', unit='kg', rate=D('4.00'))),
        line('COD', Pricing('percentage', base=('cod_amount',),
                            percent=D(1), min_charge=D('3.00')),
             charge_type='cod_fee'),
    )
    result = charges(c, event(kg=D(25), cod_amount=D('800.00')))
    got = {ch.charge_type: ch.amount for ch in result}
    assert got == {
        'freight': D('100.00'),        # 25 x 4.00
        'fuel_surcharge': D('10.00'),  # 10% x 100
        'cod_fee': D('8.00'),          # 1% x 800
        'tax': D('7.08'),              # 6% x (100 + 10 + 8) = 7.08
    }
    # tax comes after its bases
    assert [ch.charge_type for ch in result][-1] == 'tax'


def test_percentage_line_without_its_base_lets_the_next_line_apply():
    c = card(
        line('INS', INSURANCE, charge_type='insurance', sequence=1),
        line('INS-FLAT', Pricing('flat', rate=D('4.00')),
             charge_type='insurance', sequence=2),
        line('FS', Pricing('percentage', base=('freight',), percent=D(10)),
             charge_type='fuel_surcharge', sequence=1),
        line('FS-FLAT', Pricing('flat', rate=D('1.00')),
             charge_type='fuel_surcharge', sequence=2))
    # no declared value, no freight: the flat fall-back lines apply
    assert amounts(c, event()) == {'insurance': D('4.00'),
                                   'fuel_surcharge': D('1.00')}
    # declared 2000.00 x 0.3% = 6.00
    assert amounts(c, event(declared_value=D('2000.00'))) == {
        'insurance': D('6.00'), 'fuel_surcharge': D('1.00')}


def test_rate_accepts_a_single_compiled_card_and_caches_plans():
    compiled = compile_card(fuel_card())
    first = rating.rate(compiled, event())
    again = rating.rate([compiled], event())
    # 200.00 flat + 12.5% = 25.00 on 2024-04-01, both calls identical
    assert [c.amount for c in first] == [D('200.00'), D('25.00')]
    assert first == again


def test_percentage_cycle_is_rejected():
    c = card(
        line('A', Pricing('percentage', base=('tax',), percent=D(1)),
             charge_type='fuel_surcharge'),
        line('B', Pricing('percentage', base=('fuel_surcharge',),
                          percent=D(1)), charge_type='tax'))
    with pytest.raises(ValueError, match='cycle'):
        compile_card(c)


# -- storage and handling --------------------------------------------------

@pytest.mark.parametrize('unit, kw, expected', [
    # 12 pallets x 30 days = 360 pallet-days x 0.45 = 162.00
    ('pallet_day', dict(pallets=12, days=30), D('162.00')),
    # explicit 355 pallet-days (daily snapshots) x 0.45 = 159.75
    ('pallet_day', dict(pallet_days=355, pallets=12, days=30), D('159.75')),
    # 2.5 m3 x 10 days = 25 m3-days x 0.45 = 11.25
    ('m3_day', dict(m3=D('2.5'), days=10), D('11.25')),
    # 40 bins x 7 days = 280 bin-days x 0.45 = 126.00
    ('bin_day', dict(bins=40, days=7), D('126.00')),
])
def test_storage(unit, kw, expected):
    c = card(line('S', Pricing('per_unit', unit=unit, rate=D('0.45')),
                  charge_type='storage'))
    assert amounts(c, event(activity='storage', **kw)) == {
        'storage': expected}


def test_storage_line_needs_its_quantity():
    c = card(line('S', Pricing('per_unit', unit='pallet_day',
                               rate=D('0.45')), charge_type='storage'),
             line('F', PER_KG))
    # a shipment event has no pallets/days: only freight 2 x 3.00 = 6.00
    assert amounts(c, event(kg=D(2))) == {'freight': D('6.00')}


def test_handling_outbound_per_order_line_unit_carton():
    lines = [line(f'H{u}', Pricing('per_unit', unit=u, rate=D(r)),
                  charge_type='handling_outbound', code=u)
             for u, r in (('order', '1.50'), ('line', '0.30'),
                          ('unit', '0.05'), ('carton', '0.80'))]
    ev = event(orders=2, lines=7, units=31, cartons=3)
    assert amounts(card(*lines), ev) == {
        ('handling_outbound', 'order'): D('3.00'),    # 2 x 1.50
        ('handling_outbound', 'line'): D('2.10'),     # 7 x 0.30
        ('handling_outbound', 'unit'): D('1.55'),     # 31 x 0.05
        ('handling_outbound', 'carton'): D('2.40'),   # 3 x 0.80
    }


def test_tonne_and_tonne_km():
    c = card(line('T', Pricing('per_unit', unit='tonne_km', rate=D('0.12'))))
    # 2500 kg = 2.5 t x 340 km = 850 t.km x 0.12 = 102.00
    assert freight(c, event(kg=D(2500), km=D(340))) == D('102.00')
    # explicit tonne_km 900 x 0.12 = 108.00
    assert freight(c, event(kg=D(2500), km=D(340),
                            tonne_km=D(900))) == D('108.00')
    c = card(line('T', Pricing('per_unit', unit='tonne', rate=D('45.00'))))
    # tonnes 1.2 -> 1.2 x 45 = 54.00
    assert freight(c, event(tonnes=D('1.2'))) == D('54.00')


# -- matching -------------------------------------------------------------

def test_weight_breaks_min_inclusive_max_exclusive():
    c = card(
        line('A', Pricing('flat', rate=D('10.00')),
             weight=Range(None, D(10))),
        line('B', Pricing('flat', rate=D('20.00')),
             weight=Range(D(10), D(20))),
        line('C', Pricing('flat', rate=D('30.00')), weight=Range(D(20))))
    assert freight(c, event(kg=D('9.99'))) == D('10.00')
    assert freight(c, event(kg=D(10))) == D('20.00')  # 10 is in [10, 20)
    assert freight(c, event(kg=D('19.999'))) == D('20.00')
    assert freight(c, event(kg=D(20))) == D('30.00')
    assert freight(c, event()) is None  # no weight -> no weight break


def test_first_match_by_sequence_not_position_nor_specificity():
    dest = Address('CN', 'CN-GD', '518000')
    c = card(
        line('specific', Pricing('flat', rate=D('1.00')), sequence=20,
             destination=Zone('CN', 'CN-GD', '518')),
        line('generic', Pricing('flat', rate=D('2.00')), sequence=10,
             destination=Zone('CN')),
        line('other', Pricing('flat', rate=D('3.00')), sequence=5,
             destination=Zone('CN', postal_prefix='200')))
    (charge,) = charges(c, event(destination=dest))
    assert charge.line_id == 'generic'
    # same sequence: position in the card breaks the tie
    c = card(line('first', Pricing('flat', rate=D(1)), sequence=10),
             line('second', Pricing('flat', rate=D(2)), sequence=10))
    assert charges(c, event())[0].line_id == 'first'


@pytest.mark.parametrize('address, expected', [
    (Address('CN', 'CN-GD', '518 057'), 'shenzhen'),   # prefix 518
    (Address('CN', 'CN-GD', '510000'), 'guangdong'),   # subdivision
    (Address('CN', 'CN-SH', '200000'), 'china'),
    (Address('FR', None, '75001'), 'world'),
    (None, 'world'),
])
def test_zone_matching(address, expected):
    c = card(
        line('shenzhen', Pricing('flat', rate=D(1)), sequence=1,
             destination=Zone('CN', None, '518')),
        line('guangdong', Pricing('flat', rate=D(2)), sequence=2,
             destination=Zone('CN', 'CN-GD')),
        line('china', Pricing('flat', rate=D(3)), sequence=3,
             destination=Zone('CN')),
        line('world', Pricing('flat', rate=D(4)), sequence=4))
    assert charges(c, event(destination=address))[0].line_id == expected


def test_discrete_criteria():
    c = card(
        line('dg-air', Pricing('flat', rate=D('90.00')), sequence=1,
             mode='air', cargo_class='dangerous'),
        line('express', Pricing('flat', rate=D('50.00')), sequence=2,
             service_level='express', lane='SZX-SHA'),
        line('cold', Pricing('flat', rate=D('40.00')), sequence=3,
             cargo_class='cold', origin=Zone('CN')),
        line('any', Pricing('flat', rate=D('10.00')), sequence=4))
    sz = Address('CN', 'CN-GD', '518000')
    assert freight(c, event(mode='air', cargo_class='dangerous')) == D(
        '90.00')
    assert freight(c, event(mode='road', cargo_class='dangerous')) == D(
        '10.00')
    assert freight(c, event(service_level='express',
                            lane='SZX-SHA')) == D('50.00')
    assert freight(c, event(service_level='express',
                            lane='SZX-PEK')) == D('10.00')
    assert freight(c, event(cargo_class='cold', origin=sz)) == D('40.00')


def test_volume_distance_quantity_ranges():
    c = card(
        line('near', Pricing('per_unit', unit='km', rate=D('2.00')),
             distance=Range(D(0), D(100))),
        line('far', Pricing('per_unit', unit='km', rate=D('1.50')),
             distance=Range(D(100))),
        line('bulky', Pricing('flat', rate=D('25.00')),
             charge_type='remote_area', volume=Range(D(2))),
        line('many', Pricing('per_unit', unit='pallet', rate=D('3.00')),
             charge_type='handling_inbound', quantity=Range(D(10))))
    # 99 km x 2.00 = 198.00; 100 km x 1.50 = 150.00
    assert freight(c, event(km=D(99))) == D('198.00')
    assert freight(c, event(km=D(100))) == D('150.00')
    got = amounts(c, event(km=D(50), m3=D(2), pallets=10))
    # 50 x 2 = 100.00; volume 2 >= 2 -> 25.00; 10 pallets >= 10 x 3 = 30.00
    assert got == {'freight': D('100.00'), 'remote_area': D('25.00'),
                   'handling_inbound': D('30.00')}
    assert amounts(c, event(km=D(50), m3=D('1.99'), pallets=9)) == {
        'freight': D('100.00')}


def test_card_validity_dates_inclusive():
    c = card(line('F', Pricing('flat', rate=D(5))),
             valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 1, 31))
    assert freight(c, event(date=dt.date(2023, 12, 31))) is None
    assert freight(c, event(date=dt.date(2024, 1, 1))) == D('5.00')
    assert freight(c, event(date=dt.date(2024, 1, 31))) == D('5.00')
    assert freight(c, event(date=dt.date(2024, 2, 1))) is None


def test_line_validity_dates_for_peak_season():
    c = card(RateLine('P', 10, 'peak_season', Pricing('flat', rate=D('3.00')),
                      valid_from=dt.date(2024, 11, 1),
                      valid_to=dt.date(2024, 11, 30)))
    assert amounts(c, event(date=dt.date(2024, 10, 31))) == {}
    assert amounts(c, event(date=dt.date(2024, 11, 1))) == {
        'peak_season': D('3.00')}
    assert amounts(c, event(date=dt.date(2024, 11, 30))) == {
        'peak_season': D('3.00')}
    assert amounts(c, event(date=dt.date(2024, 12, 1))) == {}


def test_party_card_with_default_card_fallback():
    own = card(line('OF', Pricing('per_unit', unit='kg', rate=D('2.00'))),
               id='OWN', party_id=7)
    default = card(
        line('DF', Pricing('per_unit', unit='kg', rate=D('3.00'))),
        line('DFS', Pricing('percentage', base=('freight',), percent=D(10)),
             charge_type='fuel_surcharge'),
        id='DEF')
    result = charges([own, default], event(kg=D(50)))
    # freight from the party card: 50 x 2.00 = 100.00; fuel from the
    # default card on that freight: 10% x 100 = 10.00
    assert [(c.charge_type, c.card_id, c.amount) for c in result] == [
        ('freight', 'OWN', D('100.00')),
        ('fuel_surcharge', 'DEF', D('10.00'))]


def test_percentage_across_currencies_is_an_error():
    own = card(line('OF', Pricing('flat', rate=D(10))), id='OWN',
               currency='USD')
    default = card(line('FS', Pricing('percentage', base=('freight',),
                                      percent=D(10)),
                        charge_type='fuel_surcharge'), id='DEF')
    with pytest.raises(ValueError, match='takes a percentage'):
        charges([own, default], event())


# -- card selection ------------------------------------------------------

def test_select_card():
    jan, feb = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
    cards = [
        card(id='d1', version=1),
        card(id='d2', version=2, valid_from=feb),
        card(id='p1', version=1, party_id=7, valid_to=dt.date(2024, 1, 31)),
        card(id='p2', version=3, party_id=7, valid_from=feb),
        card(id='pay', version=9, kind='payable'),
    ]
    pick = select_card
    assert pick(cards, 7, 'receivable', jan).id == 'p1'
    assert pick(cards, 7, 'receivable', dt.date(2024, 1, 31)).id == 'p1'
    assert pick(cards, 7, 'receivable', feb).id == 'p2'
    assert pick(cards, 8, 'receivable', jan).id == 'd1'
    assert pick(cards, 8, 'receivable', feb).id == 'd2'   # higher version
    assert pick(cards, None, 'payable', feb).id == 'pay'
    assert pick(cards, 7, 'receivable', dt.date(2023, 1, 1)) is None
    assert [c.id for c in applicable_cards(cards, 7, 'receivable', feb)] == [
        'p2', 'd2']
    compiled = [compile_card(c) for c in cards]
    assert pick(compiled, 7, 'receivable', feb).id == 'p2'
    with pytest.raises(ValueError, match='ambiguous'):
        pick(cards + [card(id='dup', version=2, valid_from=feb)], None,
             'receivable', feb)
    with pytest.raises(ValueError, match='kind'):
        pick(cards, 7, 'sales', feb)


# -- currency conversion -------------------------------------------------

RATES = {
    'USD': [(dt.date(2024, 1, 1), D(1))],
    'CNY': [(dt.date(2024, 2, 1), D('7.20')), (dt.date(2024, 1, 1),
                                                D('7.10'))],
    'EUR': [(dt.date(2024, 1, 1), D('0.90'))],
    'JPY': [(dt.date(2024, 1, 1), D('150.5'))],
}


@pytest.mark.parametrize('amount, src, dst, date, expected', [
    # 100 USD x 7.10 / 1 = 710.00 (day before the February rate)
    (D(100), 'USD', 'CNY', dt.date(2024, 1, 31), D('710.00')),
    # 100 USD x 7.20 = 720.00 (the day of)
    (D(100), 'USD', 'CNY', dt.date(2024, 2, 1), D('720.00')),
    # 720 CNY x 0.90 / 7.20 = 90.00
    (D(720), 'CNY', 'EUR', dt.date(2024, 2, 2), D('90.00')),
    # 100 EUR x 7.10 / 0.90 = 788.888... -> 788.89
    (D(100), 'EUR', 'CNY', dt.date(2024, 1, 15), D('788.89')),
    # -100 EUR -> -788.89 (credits convert symmetrically)
    (D(-100), 'EUR', 'CNY', dt.date(2024, 1, 15), D('-788.89')),
    # same currency: rounding only, 12.345 -> 12.35 (half up)
    (D('12.345'), 'CNY', 'CNY', dt.date(2020, 1, 1), D('12.35')),
])
def test_convert(amount, src, dst, date, expected):
    assert convert(amount, src, dst, RATES, date) == expected


def test_convert_digits_and_errors():
    # 10 USD x 150.5 = 1505 JPY (0 digits)
    assert convert(D(10), 'USD', 'JPY', RATES, dt.date(2024, 3, 1),
                   digits=0) == D('1505')
    with pytest.raises(ValueError, match="'GBP'"):
        convert(D(1), 'GBP', 'CNY', RATES, dt.date(2024, 3, 1))
    with pytest.raises(ValueError, match='on or before 2023-12-31'):
        convert(D(1), 'USD', 'CNY', RATES, dt.date(2023, 12, 31))
    with pytest.raises(ValueError, match='amount'):
        convert(1.5, 'USD', 'CNY', RATES, dt.date(2024, 3, 1))


# -- validation ------------------------------------------------------------

@pytest.mark.parametrize('bad, match', [
    (lambda: compile_card(card(line('X', Pricing('flat', rate=D(1)),
                                    charge_type='magic'))), 'charge_type'),
    (lambda: compile_card(card(line('X', Pricing('flat', rate=1.5)))),
     r'pricing\.rate'),
    (lambda: compile_card(card(line('X', Pricing('per_unit', unit='furlong',
                                                 rate=D(1))))), 'unit'),
    (lambda: compile_card(card(line('X', Pricing('tiered', unit='kg', bands=(
        Band(D(5), D(1)),))))), r'bands\[0\]\.start must be 0'),
    (lambda: compile_card(card(line('X', Pricing('slab', unit='kg', bands=(
        Band(D(0), D(1)), Band(D(0), D(2))))))), 'greater than'),
    (lambda: compile_card(card(line('X', Pricing('first_additional',
                                                 first_qty=D(1),
                                                 first_price=D(1),
                                                 additional_step=D(0),
                                                 additional_price=D(1))))),
     'additional_step'),
    (lambda: compile_card(card(line('X', Pricing('flat', rate=D(1)),
                                    weight=Range(D(5), D(5))))), 'max'),
    (lambda: compile_card(card(line('X', Pricing('flat', rate=D(1)),
                                    quantity=Range(D(1))))), 'quantity'),
    (lambda: compile_card(card(line('X', Pricing('flat', rate=D(1))),
                               line('X', Pricing('flat', rate=D(1)),
                                    charge_type='vas'))), 'duplicated'),
    (lambda: compile_card(card(kind='sales')), 'kind'),
    (lambda: compile_card(card(volumetric_divisors={'air': 0})),
     'volumetric_divisors'),
    (lambda: event(kg=D(-1)), r'event\.kg must not be negative'),
    (lambda: event(kg='3'), r'event\.kg'),
    (lambda: event(cargo_class='liquid'), 'cargo_class'),
    (lambda: event(date=dt.datetime(2024, 1, 1)), r'event\.date'),
    (lambda: event(kg=D(1), tonnes=D(2)), 'disagree'),
    (lambda: Package(D(1), D(-1), D(1)), 'width_cm'),
    (lambda: event(declared_value=10.5), 'declared_value'),
])
def test_bad_input_raises_value_error(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_float_quantities_are_converted_through_str():
    # 0.1 + 0.2 style float noise must not leak: 2.2 kg x 1.00 = 2.20
    c = card(line('L', Pricing('per_unit', unit='kg', rate=D('1.00'))))
    assert freight(c, event(kg=2.2)) == D('2.20')


def test_charge_is_plain_data():
    (charge,) = charges(card(line('L', FIRST_ADD)), event(kg=D(1)))
    (again,) = charges(card(line('L', FIRST_ADD)), event(kg=D(1)))
    assert charge == again
    assert 'freight' in repr(charge)


# -- properties ------------------------------------------------------------

weights = st.decimals(min_value=0, max_value=5000, places=3,
                      allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=0, max_value=100, places=2,
                     allow_nan=False, allow_infinity=False)


def _pair(a, b):
    return (a, b) if a <= b else (b, a)


@settings(max_examples=60, deadline=None)
@given(a=weights, b=weights, first=st.decimals(min_value=0, max_value=10,
                                               places=1),
       first_price=prices, step=st.sampled_from([D('0.5'), D(1), D(10)]),
       add_price=prices, rounding=st.sampled_from([None, D('0.5'), D(1)]))
def test_first_additional_monotonic(a, b, first, first_price, step,
                                    add_price, rounding):
    lo, hi = _pair(a, b)
    c = compile_card(card(line('L', Pricing(
        'first_additional', first_qty=first, first_price=first_price,
        additional_step=step, additional_price=add_price)),
        weight_rounding=rounding))
    assert (rating.rate([c], event(kg=lo))[0].amount
            <= rating.rate([c], event(kg=hi))[0].amount)


@settings(max_examples=60, deadline=None)
@given(a=weights, b=weights, price=prices)
def test_per_unit_monotonic(a, b, price):
    lo, hi = _pair(a, b)
    c = compile_card(card(line('L', Pricing('per_unit', unit='kg',
                                             rate=price))))
    assert (rating.rate([c], event(kg=lo))[0].amount
            <= rating.rate([c], event(kg=hi))[0].amount)


band_tables = st.lists(
    st.tuples(st.decimals(min_value=1, max_value=1000, places=1), prices),
    min_size=0, max_size=5, unique_by=lambda t: t[0])


@settings(max_examples=60, deadline=None)
@given(a=weights, b=weights, first_rate=prices, rest=band_tables)
def test_tiered_monotonic_and_bounded(a, b, first_rate, rest):
    lo, hi = _pair(a, b)
    bands = (Band(D(0), first_rate),) + tuple(
        Band(s, r) for s, r in sorted(rest))
    c = compile_card(card(line('L', Pricing('tiered', unit='kg',
                                            bands=bands))))
    low = rating.rate([c], event(kg=lo))[0].amount
    high = rating.rate([c], event(kg=hi))[0].amount
    assert low <= high
    # a tiered price never exceeds quantity x the highest band rate
    top = max(band.rate for band in bands)
    assert high <= (hi * top).quantize(D('0.01')) + D('0.01')


@settings(max_examples=60, deadline=None)
@given(a=weights, b=weights, rates=st.lists(prices, min_size=1, max_size=5),
       starts=st.lists(st.decimals(min_value=1, max_value=1000, places=1),
                       min_size=4, max_size=4, unique=True))
def test_slab_monotonic_when_rates_do_not_decrease(a, b, rates, starts):
    lo, hi = _pair(a, b)
    rates = sorted(rates)
    bounds = [D(0)] + sorted(starts)[:len(rates) - 1]
    bands = tuple(Band(s, r) for s, r in zip(bounds, rates, strict=True))
    c = compile_card(card(line('L', Pricing('slab', unit='kg',
                                            bands=bands))))
    assert (rating.rate([c], event(kg=lo))[0].amount
            <= rating.rate([c], event(kg=hi))[0].amount)


@settings(max_examples=40, deadline=None)
@given(kg=weights, price=prices,
       dims=st.tuples(*[st.integers(1, 150)] * 3),
       divisor=st.sampled_from([5000, 6000]))
def test_chargeable_weight_never_below_actual_or_volumetric(
        kg, price, dims, divisor):
    ev = event(kg=kg, mode='x', packages=(Package(*dims),))
    weight = chargeable_weight(ev, D(divisor), D('0.5'))
    volumetric = D(dims[0] * dims[1] * dims[2]) / divisor
    assert weight >= kg and weight >= volumetric
    assert weight - max(kg, volumetric) < D('0.5')
    assert weight % D('0.5') == 0


# -- the compiled index agrees with a line-by-line scan ---------------------

def _zone_ok(zone, address):
    if zone is None or zone == Zone():  # an empty zone matches anything
        return True
    if address is None:
        return False
    return ((zone.country is None or zone.country == address.country)
            and (zone.subdivision is None
                 or zone.subdivision == address.subdivision)
            and (zone.postal_prefix is None or (
                address.postal_code or '').startswith(zone.postal_prefix)))


def _scan(card_, ev):
    """Reference: winning line id per charge type by a plain scan."""
    weight = chargeable_weight(ev, None, None)
    best = {}
    for pos, ln in enumerate(card_.lines):
        cr = ln.criteria
        if ln.pricing.method == 'per_unit' and weight is None:
            continue
        if cr.weight is not None and (weight is None or not (
                (cr.weight.min is None or weight >= cr.weight.min)
                and (cr.weight.max is None or weight < cr.weight.max))):
            continue
        if not (_zone_ok(cr.origin, ev.origin)
                and _zone_ok(cr.destination, ev.destination)
                and cr.mode in (None, ev.mode)
                and cr.cargo_class in (None, ev.cargo_class)):
            continue
        key = (ln.sequence, pos)
        if ln.charge_type not in best or key < best[ln.charge_type][0]:
            best[ln.charge_type] = (key, ln.id)
    return {t: v[1] for t, v in best.items()}


zones = st.one_of(st.none(), st.builds(
    Zone, country=st.sampled_from([None, 'CN', 'US']),
    subdivision=st.sampled_from([None, 'CN-GD', 'CN-SH']),
    postal_prefix=st.sampled_from([None, '5', '51', '518', '2'])))
addresses = st.one_of(st.none(), st.builds(
    Address, country=st.sampled_from(['CN', 'US']),
    subdivision=st.sampled_from([None, 'CN-GD', 'CN-SH']),
    postal_code=st.sampled_from([None, '518000', '510 000', '200000'])))
ranges = st.sampled_from([None, Range(D(0), D(10)), Range(D(10)),
                          Range(D(5), D(20))])
criteria = st.builds(
    Criteria, origin=zones, destination=zones,
    mode=st.sampled_from([None, 'air', 'road']),
    cargo_class=st.sampled_from([None, 'general', 'cold']), weight=ranges)


@st.composite
def random_cards(draw):
    lines = []
    for i in range(draw(st.integers(1, 25))):
        per_kg = draw(st.booleans())
        lines.append(RateLine(
            id=i, sequence=draw(st.integers(0, 5)),
            charge_type=draw(st.sampled_from(['freight', 'remote_area'])),
            pricing=(Pricing('per_unit', unit='kg', rate=D(1)) if per_kg
                     else Pricing('flat', rate=D(i))),
            criteria=draw(criteria)))
    return card(*lines)


@settings(max_examples=150, deadline=None)
@given(card_=random_cards(), data=st.data())
def test_compiled_matching_equals_plain_scan(card_, data):
    compiled = compile_card(card_)
    for _ in range(5):
        ev = event(origin=data.draw(addresses),
                   destination=data.draw(addresses),
                   mode=data.draw(st.sampled_from([None, 'air', 'road'])),
                   cargo_class=data.draw(st.sampled_from(
                       [None, 'general', 'cold'])),
                   kg=data.draw(st.sampled_from(
                       [None, D(0), D('9.99'), D(10), D(19), D(25)])))
        got = {c.charge_type: c.line_id for c in rating.rate(compiled, ev)}
        assert got == _scan(card_, ev)


# -- China import VAT on customs value + duty ----------------------------

def test_import_vat_on_customs_value_plus_duty():
    # CIF 1,000.00 CNY; duty 10 % = 100.00; import VAT 13 % of
    # (1,000.00 + 100.00) = 143.00
    tariff = card(
        line('duty', Pricing('percentage', percent=D('10'),
                             base=('declared_value',)),
             charge_type='duty'),
        line('vat', Pricing('percentage', percent=D('13'),
                            base=('declared_value', 'duty')),
             charge_type='tax', code='import_vat', sequence=20))
    result = charges(tariff, event(declared_value=D('1000.00')))
    assert [(c.charge_type, c.code, c.amount) for c in result] == [
        ('duty', None, D('100.00')), ('tax', 'import_vat', D('143.00'))]
    assert '13% of declared_value+duty 1100.00' in result[1].explanation
    # a duty-free line: VAT on the customs value alone, 13 % x 250.00
    no_duty = card(line('vat', Pricing('percentage', percent=D('13'),
                                       base=('declared_value', 'duty')),
                        charge_type='tax'))
    assert amounts(no_duty, event(declared_value=D('250.00'))) == {
        'tax': D('32.50')}
    # without a customs value the line does not apply
    assert amounts(no_duty, event()) == {}


def test_one_value_base_only():
    with pytest.raises(ValueError, match='at most one value base'):
        compile_card(card(line('x', Pricing(
            'percentage', percent=D('1'),
            base=('declared_value', 'cod_amount')), charge_type='tax')))


def test_ambiguous_cards_named():
    one = card(id=1, name='Road 2026')
    two = card(id=2, name='Express 2026')
    with pytest.raises(ValueError, match="'Road 2026' \\(id 1\\), "
                       "'Express 2026' \\(id 2\\)"):
        select_card([compile_card(one), compile_card(two)], None,
                    'receivable', DAY)
