# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The worked examples of docs/admin.md, computed by the rating engine.

Every amount, chargeable weight and explanation of the guide's rate-card
examples (section 5.9, and the CNY amounts of the quote in 5.10) is
asserted here: if the engine changes, this test fails and the guide must
be corrected with it.  The cards are built exactly as the guide
describes them (most are the demo cards of ``otwb_tools/demo_data.py`` and
``otwb_tools/demo_bms.py``); the volumetric divisors are mapped to modes
as ``RateCard.to_engine`` does (road divisor: ``road_ftl``/``road_ltl``;
express/air divisor: ``express``/``air``).
"""

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest
from trytond.modules.otwb_bms.engine import rating
from trytond.modules.otwb_bms.engine.rating import (
    Address,
    Band,
    Criteria,
    FuelIndexRow,
    Package,
    Pricing,
    RateCard,
    RateLine,
    RatingEvent,
    Zone,
    applicable_cards,
    chargeable_weight,
    compile_card,
)

YEAR = 2026
JAN_1 = dt.date(YEAR, 1, 1)
DAY = dt.date(YEAR, 11, 20)


def divisors(road=None, express=None):
    "The mode -> divisor mapping of RateCard.to_engine"
    result = {}
    if road:
        result.update({'road_ftl': D(road), 'road_ltl': D(road)})
    if express:
        result.update({'express': D(express), 'air': D(express)})
    return result


def line(id_, sequence, charge_type, pricing, valid_from=None,
         valid_to=None, **criteria):
    return RateLine(id=id_, sequence=sequence, charge_type=charge_type,
                    pricing=pricing, criteria=Criteria(**criteria),
                    valid_from=valid_from, valid_to=valid_to)


def rate(cards, **event):
    "{charge type: amount} and the charges of one event"
    if isinstance(cards, RateCard):
        cards = [cards]
    event.setdefault('date', DAY)
    charges = rating.rate([compile_card(c) for c in cards],
                          RatingEvent(**event))
    return {c.charge_type: c.amount for c in charges}, charges


# -- the demo cards ---------------------------------------------------------

def default_customer_tariff(step=D('0.5'), weight_rounding=D('0.5')):
    "Demo 'Default customer tariff' (otwb_tools/demo_data.py)"
    return RateCard(
        id='default', version=1, currency='CNY', kind='receivable',
        valid_from=JAN_1, volumetric_divisors=divisors(6000, 5000),
        weight_rounding=weight_rounding, lines=(
            line('freight', 10, 'freight', Pricing(
                'first_additional', unit='kg', first_qty=D(1),
                first_price=D('12'), additional_step=step,
                additional_price=D('2')), activity='shipment_delivered'),
            line('handling', 20, 'handling_outbound', Pricing(
                'per_unit', unit='order', rate=D('3.50')),
                activity='order_handled'),
            line('fuel', 30, 'fuel_surcharge', Pricing(
                'percentage', percent=D('8'), base=('freight',)),
                activity='shipment_delivered'),
        ))


def sinotrans_ftl():
    "Demo 'Sinotrans FTL haulage' (payable, per km, minimum 200)"
    return RateCard(
        id='sinotrans', version=1, currency='CNY', kind='payable',
        valid_from=JAN_1, party_id='sinotrans', lines=(
            line('km', 10, 'freight', Pricing(
                'per_unit', unit='km', rate=D('4.20'),
                min_charge=D('200')), activity='trip_completed'),
        ))


def sf_express_parcels():
    "Demo 'SF Express parcels' (payable, tiered per kg, peak season)"
    return RateCard(
        id='sf', version=1, currency='CNY', kind='payable',
        valid_from=JAN_1, party_id='sf', volumetric_divisors=divisors(
            express=6000), lines=(
            line('tiered', 10, 'freight', Pricing(
                'tiered', unit='kg', bands=(
                    Band(D(0), D('2.00')), Band(D(100), D('1.50')),
                    Band(D(1000), D('1.20'))), min_charge=D('50')),
                activity='trip_completed'),
            line('peak', 20, 'peak_season', Pricing(
                'percentage', percent=D('15'), base=('freight',)),
                valid_from=dt.date(YEAR, 11, 11),
                valid_to=dt.date(YEAR, 11, 30),
                activity='trip_completed'),
        ))


# the demo fuel index: month m from the 1st, 6.5 + m / 4 %
FUEL_INDEX = tuple(
    FuelIndexRow(dt.date(YEAR, m, 1), D('6.5') + D(m) / 4)
    for m in range(1, 13))


def cross_border_express(party_id='overseas'):
    "Demo 'Cross-border express (USD)' lines for destination US"
    where = dict(activity='shipment_delivered', mode='express',
                 destination=Zone(country='US'))
    return RateCard(
        id='xborder', version=1, currency='USD', kind='receivable',
        valid_from=JAN_1, party_id=party_id,
        volumetric_divisors=divisors(express=5000),
        weight_rounding=D('0.5'), lines=(
            line('x-freight', 10, 'freight', Pricing(
                'first_additional', unit='kg', first_qty=D('0.5'),
                first_price=D('18'), additional_step=D('0.5'),
                additional_price=D('4.5')), **where),
            line('x-fuel', 20, 'fuel_surcharge', Pricing(
                'percentage', fuel_index=FUEL_INDEX, base=('freight',)),
                **where),
            line('x-insurance', 30, 'insurance', Pricing(
                'percentage', percent=D('0.5'), base=('declared_value',),
                min_charge=D('2')), **where),
        ))


# -- example 1: 首重 + 续重 (first weight + additional weight) ------------

def test_example_1_parcel_3_2_kg():
    # 3.2 kg rounded up to 0.5 kg -> 3.5 kg; 12 + ceil((3.5-1)/0.5)=5 x 2
    # = 22.00; fuel 8 % of 22.00 = 1.76; total 23.76
    amounts, charges = rate(
        default_customer_tariff(), activity='shipment_delivered',
        mode='road_ltl', kg=D('3.2'))
    assert amounts == {'freight': D('22.00'), 'fuel_surcharge': D('1.76')}
    assert sum(amounts.values()) == D('23.76')
    freight, fuel = charges
    assert (freight.quantity, freight.unit) == (D('3.5'), 'kg')
    assert freight.explanation == (
        'chargeable 3.5 kg = actual 3.2 kg rounded up to 0.5 kg; '
        '首重 1 kg × 12 + 续重 ceil((3.5-1)/0.5)=5 × 2 = 22.00')
    assert fuel.explanation == '8% of freight 22.00 = 1.76'


def test_example_1_without_card_rounding():
    # no weight rounding: 12 + ceil((3.2-1)/0.5) = ceil(4.4) = 5 x 2 = 22.00
    amounts, charges = rate(
        default_customer_tariff(weight_rounding=None),
        activity='shipment_delivered', mode='road_ltl', kg=D('3.2'))
    assert amounts['freight'] == D('22.00')
    assert charges[0].explanation == (
        '首重 1 kg × 12 + 续重 ceil((3.2-1)/0.5)=5 × 2 = 22.00')


def test_example_1_step_of_1_kg():
    # 续重 per whole kg: 3.5 kg -> 12 + ceil((3.5-1)/1)=3 x 2 = 18.00
    amounts, _ = rate(
        default_customer_tariff(step=D(1)), activity='shipment_delivered',
        mode='road_ltl', kg=D('3.2'))
    assert amounts == {'freight': D('18.00'), 'fuel_surcharge': D('1.44')}


@pytest.mark.parametrize('kg, chargeable, freight', [
    ('0.3', '0.5', '12.00'),   # under the first weight: 首重 only
    ('1', '1', '12.00'),       # exactly the first weight
    ('1.2', '1.5', '14.00'),   # 1.5 kg: 12 + 1 x 2
    ('5', '5', '28.00'),       # 12 + ceil(4/0.5)=8 x 2
])
def test_example_1_table(kg, chargeable, freight):
    card = compile_card(default_customer_tariff())
    event = RatingEvent(date=DAY, activity='shipment_delivered',
                        mode='road_ltl', kg=D(kg))
    (charge, _) = rating.rate([card], event)
    assert charge.quantity == D(chargeable)
    assert charge.amount == D(freight)


def test_example_1_order_handling():
    # packing a shipment: activity order_handled, 1 order x 3.50
    amounts, _ = rate(default_customer_tariff(), activity='order_handled',
                      orders=D(1), lines=D(2), units=D(3))
    assert amounts == {'handling_outbound': D('3.50')}


# -- example 2: volumetric weight ---------------------------------------

CARTON = Package(D(60), D(50), D(40))  # 120,000 cm3


@pytest.mark.parametrize('mode, chargeable, freight, fuel', [
    # 120000 / 6000 = 20 kg > 4 kg: 12 + ceil(19/0.5)=38 x 2 = 88.00
    ('road_ltl', '20', '88.00', '7.04'),
    ('road_ftl', '20', '88.00', '7.04'),
    # 120000 / 5000 = 24 kg: 12 + ceil(23/0.5)=46 x 2 = 104.00
    ('express', '24', '104.00', '8.32'),
    ('air', '24', '104.00', '8.32'),
    # no divisor for rail: actual 4 kg: 12 + ceil(3/0.5)=6 x 2 = 24.00
    ('rail', '4', '24.00', '1.92'),
])
def test_example_2_bulky_carton(mode, chargeable, freight, fuel):
    for volume in ({'packages': (CARTON,)}, {'m3': D('0.12')}):
        amounts, charges = rate(
            default_customer_tariff(), activity='shipment_delivered',
            mode=mode, kg=D(4), **volume)
        assert charges[0].quantity == D(chargeable)
        assert amounts == {'freight': D(freight), 'fuel_surcharge': D(fuel)}


@pytest.mark.parametrize('mode, total', [
    ('road_ltl', '95.04'), ('express', '112.32'), ('rail', '25.92')])
def test_example_2_totals(mode, total):
    amounts, _ = rate(
        default_customer_tariff(), activity='shipment_delivered',
        mode=mode, kg=D(4), packages=(CARTON,))
    assert sum(amounts.values()) == D(total)


def test_example_2_totals_and_explanation():
    road, charges = rate(
        default_customer_tariff(), activity='shipment_delivered',
        mode='road_ltl', kg=D(4), m3=D('0.12'))
    assert sum(road.values()) == D('95.04')
    assert charges[0].explanation == (
        'chargeable 20 kg = max(actual 4 kg, volumetric 20 kg at 6000 '
        'cm3/kg) rounded up to 0.5 kg; 首重 1 kg × 12 + 续重 '
        'ceil((20-1)/0.5)=38 × 2 = 88.00')
    express, _ = rate(
        default_customer_tariff(), activity='shipment_delivered',
        mode='express', kg=D(4), packages=(CARTON,))
    assert sum(express.values()) == D('112.32')


def test_example_2_chargeable_weight_function():
    event = RatingEvent(date=DAY, kg=D(4), packages=(CARTON,))
    assert chargeable_weight(event, D(6000)) == D(20)
    assert chargeable_weight(event, D(5000)) == D(24)
    assert chargeable_weight(event) == D(4)
    # a dense small carton: 30 x 20 x 15 = 9000 cm3 / 6000 = 1.5 kg
    # < actual 2.3 kg -> 2.3 kg, rounded up to 2.5 kg
    small = RatingEvent(date=DAY, kg=D('2.3'),
                        packages=(Package(D(30), D(20), D(15)),))
    assert chargeable_weight(small, D(6000), D('0.5')) == D('2.5')
    amounts, _ = rate(
        default_customer_tariff(), activity='shipment_delivered',
        mode='road_ltl', kg=D('2.3'),
        packages=(Package(D(30), D(20), D(15)),))
    # 12 + ceil((2.5-1)/0.5)=3 x 2 = 18.00
    assert amounts['freight'] == D('18.00')


# -- example 3: heavy freight (steel coil), slab vs tiered, t·km ---------

COIL_BANDS = (Band(D(0), D('260')), Band(D(10), D('240')),
              Band(D(20), D('220')))


def steel_card(method):
    return RateCard(
        id='steel', version=1, currency='CNY', kind='receivable',
        valid_from=JAN_1, party_id='wuhan-auto', lines=(
            line('coil', 10, 'freight', Pricing(
                method, unit='tonne', bands=COIL_BANDS,
                min_charge=D('2000')), mode='road_ftl',
                destination=Zone(country='CN', subdivision='CN-HB')),
        ))


WUHAN = Address(country='CN', subdivision='CN-HB', postal_code='430056')


@pytest.mark.parametrize('method, kg, expected', [
    # slab: 25.12 t x 220 = 5526.40
    ('slab', '25120', '5526.40'),
    # tiered: 10 x 260 + 10 x 240 + 5.12 x 220 = 6126.40
    ('tiered', '25120', '6126.40'),
    # slab is not monotonic: 19.9 t x 240 = 4776.00 but 20 t x 220 = 4400
    ('slab', '19900', '4776.00'),
    ('slab', '20000', '4400.00'),
    # 5 t: 5 x 260 = 1300 < minimum 2000
    ('slab', '5000', '2000.00'),
    ('tiered', '5000', '2000.00'),
])
def test_example_3_steel_coil(method, kg, expected):
    amounts, _ = rate(steel_card(method), mode='road_ftl',
                      destination=WUHAN, kg=D(kg))
    assert amounts == {'freight': D(expected)}


def test_example_3_criteria_must_match():
    # another province or another mode: the line does not apply
    assert rate(steel_card('slab'), mode='road_ftl', kg=D(25120),
                destination=Address(country='CN', subdivision='CN-HN')
                )[0] == {}
    assert rate(steel_card('slab'), mode='rail', kg=D(25120),
                destination=WUHAN)[0] == {}


def test_example_3_explanations():
    _, (slab,) = rate(steel_card('slab'), mode='road_ftl',
                      destination=WUHAN, kg=D(25120))
    assert slab.explanation == (
        'slab 25.12 t in band [20, ∞) × 220 = 5526.40')
    _, (tiered,) = rate(steel_card('tiered'), mode='road_ftl',
                        destination=WUHAN, kg=D(25120))
    assert tiered.explanation == (
        'tiered 25.12 t: 10 × 260 + 10 × 240 + 5.12 × 220 = 6126.40')


def test_example_3_tonne_km():
    # 25.12 t x 840 km = 21100.8 t·km x 0.30 = 6330.24
    card = RateCard(
        id='tkm', version=1, currency='CNY', kind='payable',
        valid_from=JAN_1, lines=(
            line('tkm', 10, 'freight', Pricing(
                'per_unit', unit='tonne_km', rate=D('0.30')),
                mode='road_ftl'),))
    amounts, (charge,) = rate(card, mode='road_ftl', kg=D(25120),
                              km=D(840))
    assert amounts == {'freight': D('6330.24')}
    assert charge.quantity == D('21100.8')


def test_example_3_lane_criterion():
    # a line with a lane applies only to events carrying that lane
    card = RateCard(
        id='lane', version=1, currency='CNY', kind='receivable',
        valid_from=JAN_1, lines=(
            line('lane', 10, 'freight', Pricing(
                'per_unit', unit='tonne', rate=D('252')),
                lane='SH-MILL→WH-PLANT'),))
    # 25.12 t x 252 = 6330.24
    assert rate(card, lane='SH-MILL→WH-PLANT', kg=D(25120))[0] == {
        'freight': D('6330.24')}
    assert rate(card, kg=D(25120))[0] == {}


# -- example 4: minimum charge, tiered per kg, peak season --------------

@pytest.mark.parametrize('km, expected', [
    ('36', '200.00'),     # 36 x 4.20 = 151.20 < minimum 200
    ('840', '3528.00'),   # 840 x 4.20
])
def test_example_4_sinotrans_per_km(km, expected):
    amounts, _ = rate(sinotrans_ftl(), activity='trip_completed',
                      mode='road_ftl', km=D(km), kg=D(12000))
    assert amounts == {'freight': D(expected)}


@pytest.mark.parametrize('date, kg, freight, peak', [
    # 100 x 2.00 + 900 x 1.50 + 250 x 1.20 = 1850.00; 15 % = 277.50
    (dt.date(YEAR, 11, 20), '1250', '1850.00', '277.50'),
    # the day before the peak season: no peak line
    (dt.date(YEAR, 11, 10), '1250', '1850.00', None),
    # 20 x 2.00 = 40.00 < minimum 50; peak 15 % of 50.00 = 7.50
    (dt.date(YEAR, 11, 30), '20', '50.00', '7.50'),
])
def test_example_4_sf_express_tiered(date, kg, freight, peak):
    amounts, _ = rate(sf_express_parcels(), date=date,
                      activity='trip_completed', mode='road_ltl', kg=D(kg))
    expected = {'freight': D(freight)}
    if peak:
        expected['peak_season'] = D(peak)
    assert amounts == expected


# -- example 5: party card, fuel index, insurance, default card ---------

def test_example_5_cross_border_parcel():
    # volumetric 40 x 30 x 30 = 36000 cm3 / 5000 = 7.2 kg > 2.3 kg,
    # rounded up to 7.5 kg: 18 + ceil((7.5-0.5)/0.5)=14 x 4.5 = 81.00 USD
    # fuel index row of 2026-11-01: 6.5 + 11/4 = 9.25 % of 81.00 = 7.4925
    # -> 7.49; insurance 0.5 % of 300.00 = 1.50 < minimum 2 -> 2.00
    cards = applicable_cards(
        [cross_border_express(), default_customer_tariff()],
        'overseas', 'receivable', DAY)
    assert [c.id for c in cards] == ['xborder', 'default']
    amounts, charges = rate(
        cards, activity='shipment_delivered', mode='express',
        destination=Address(country='US', postal_code='10001'),
        kg=D('2.3'), packages=(Package(D(40), D(30), D(30)),),
        declared_value=D('300.00'))
    assert amounts == {'freight': D('81.00'),
                       'fuel_surcharge': D('7.49'),
                       'insurance': D('2.00')}
    assert sum(amounts.values()) == D('90.49')
    assert {c.currency for c in charges} == {'USD'}
    assert {c.card_id for c in charges} == {'xborder'}
    fuel = [c for c in charges if c.charge_type == 'fuel_surcharge'][0]
    assert fuel.explanation == (
        'fuel index 2026-11-01: 9.25% of freight 81.00 = 7.49')
    insurance = [c for c in charges if c.charge_type == 'insurance'][0]
    assert insurance.explanation == (
        '0.5% of declared_value 300.00 -> minimum charge 2 = 2.00')


def test_example_5_domestic_delivery_falls_back_to_default():
    # the party card's lines need destination US and mode express: a
    # domestic road delivery of the same customer is priced by the default
    # card, in CNY (example 1)
    cards = applicable_cards(
        [cross_border_express(), default_customer_tariff()],
        'overseas', 'receivable', DAY)
    amounts, charges = rate(
        cards, activity='shipment_delivered', mode='road_ltl',
        destination=Address(country='CN'), kg=D('3.2'))
    assert amounts == {'freight': D('22.00'), 'fuel_surcharge': D('1.76')}
    assert {(c.card_id, c.currency) for c in charges} == {
        ('default', 'CNY')}


# -- example 6: versions (Correct) --------------------------------------

def test_example_6_versions_by_event_date():
    # v1 ends 06-30 (Correct from 07-01), v2 raises 首重 to 13
    v1 = default_customer_tariff()
    v1 = dataclasses.replace(v1, valid_to=dt.date(YEAR, 6, 30))
    v2_lines = list(v1.lines)
    v2_lines[0] = line('freight-v2', 10, 'freight', Pricing(
        'first_additional', unit='kg', first_qty=D(1),
        first_price=D('13'), additional_step=D('0.5'),
        additional_price=D('2')), activity='shipment_delivered')
    v2 = dataclasses.replace(
        v1, id='default-v2', version=2, valid_from=dt.date(YEAR, 7, 1),
        valid_to=None, lines=tuple(v2_lines))
    for date, card_id, freight in [
            (dt.date(YEAR, 6, 30), 'default', '22.00'),
            (dt.date(YEAR, 7, 1), 'default-v2', '23.00')]:
        cards = applicable_cards([v1, v2], None, 'receivable', date)
        assert [c.id for c in cards] == [card_id]
        amounts, _ = rate(cards, date=date, activity='shipment_delivered',
                          mode='road_ltl', kg=D('3.2'))
        assert amounts['freight'] == D(freight)


def test_example_6_two_default_cards_same_version_are_ambiguous():
    other = dataclasses.replace(default_customer_tariff(), id='other',
                                name='Other default')
    with pytest.raises(ValueError, match='ambiguous default receivable'):
        applicable_cards([default_customer_tariff(), other], None,
                         'receivable', DAY)


# -- example 7: storage per pallet-day ----------------------------------

def test_example_7_storage_pallet_day():
    # one daily snapshot: 14 pallets x 1 day x 1.20 = 16.80
    card = RateCard(
        id='storage', version=1, currency='CNY', kind='receivable',
        valid_from=JAN_1, lines=(
            line('pallet-day', 10, 'storage', Pricing(
                'per_unit', unit='pallet_day', rate=D('1.20')),
                activity='storage'),))
    amounts, _ = rate(card, activity='storage', pallets=D(14), days=D(1),
                      m3=D('18.2'), units=D(700))
    assert amounts == {'storage': D('16.80')}
