# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_oms.engine import allocation
from trytond.modules.otwb_oms.engine.allocation import (
    Destination,
    OrderLine,
    Warehouse,
    great_circle_km,
    net_availability,
    plan_fulfilment,
)

MADRID = Warehouse('W1', 40.4168, -3.7038, 'ES')
BARCELONA = Warehouse('W2', 41.3874, 2.1686, 'ES')
PARIS = Warehouse('W3', 48.8566, 2.3522, 'FR')
CANDIDATES = [MADRID, BARCELONA, PARIS]
LYON = Destination(45.7640, 4.8357, 'FR')

LINES = [
    OrderLine('L1', 'A', Decimal(5), weight=Decimal('0.5')),
    OrderLine('L2', 'B', Decimal(3), weight=Decimal('2'), cold=True),
    ]
STOCK = {
    ('W1', 'A'): 2, ('W1', 'B'): 3,
    ('W2', 'A'): 5, ('W2', 'B'): 0,
    ('W3', 'A'): 4, ('W3', 'B'): 3,
    }


def summary(plan):
    return (
        [(g.warehouse, [(a.line_id, a.quantity) for a in g.lines])
            for g in plan.groups],
        [(u.line_id, u.quantity, u.reason) for u in plan.unallocated])


def test_great_circle_paris_london():
    # Paris - London is about 343.5 km
    assert great_circle_km(48.8566, 2.3522, 51.5074, -0.1278) == \
        pytest.approx(343.5, abs=1.0)
    assert great_circle_km(10, 20, 10, 20) == 0


def test_net_availability():
    assert net_availability(10, 3, 2) == 5
    assert net_availability(1, 3) == 0
    assert net_availability('2.5', Decimal('0.5')) == Decimal('2.0')


def test_single_ship_complete():
    stock = dict(STOCK)
    stock[('W3', 'A')] = 5
    plan = plan_fulfilment(LINES, CANDIDATES, stock, 'single')
    assert summary(plan) == ([('W3', [('L1', 5), ('L2', 3)])], [])
    assert plan.complete and plan.reason is None
    group, = plan.groups
    # 5 x 0.5 + 3 x 2 kg
    assert group.weight == Decimal('8.5')
    assert group.cold and not group.dangerous


def test_single_no_single_warehouse():
    plan = plan_fulfilment(LINES, CANDIDATES, STOCK, 'single')
    assert plan.groups == ()
    assert plan.reason == 'no_single_warehouse'
    assert summary(plan)[1] == [('L1', 5, 'no_single_warehouse'),
        ('L2', 3, 'no_single_warehouse')]


def test_single_out_of_stock():
    lines = [OrderLine('L1', 'A', 20), OrderLine('L2', 'B', 3)]
    plan = plan_fulfilment(lines, CANDIDATES, STOCK, 'single')
    assert plan.reason == 'out_of_stock'
    # A: 2 + 5 + 4 = 11 < 20 ; B could be served (but not from one place)
    assert summary(plan)[1] == [('L1', 20, 'out_of_stock'),
        ('L2', 3, 'no_single_warehouse')]


def test_split_fewest_warehouses_then_candidate_order():
    plan = plan_fulfilment(LINES, CANDIDATES, STOCK, 'split')
    # no single warehouse; (W1, W2) is the first pair covering everything:
    # A 2 + 5 >= 5 and B 3 ; W1 is filled first
    assert summary(plan) == (
        [('W1', [('L1', 2), ('L2', 3)]), ('W2', [('L1', 3)])], [])
    assert plan.allocated_by_line() == {'L1': 5, 'L2': 3}


def test_split_prefers_one_big_warehouse_to_several_small():
    lines = [OrderLine('L1', 'A', 5)]
    stock = {('W1', 'A'): 1, ('W2', 'A'): 1, ('W3', 'A'): 5}
    plan = plan_fulfilment(lines, CANDIDATES, stock, 'split')
    assert summary(plan) == ([('W3', [('L1', 5)])], [])
    # the greedy fallback finds the same here
    plan = plan_fulfilment(lines, CANDIDATES, stock, 'split',
        max_exact_candidates=0)
    assert summary(plan) == ([('W3', [('L1', 5)])], [])


def test_split_exact_beats_greedy(monkeypatch):
    # greedy takes BIG (4 units) first then still needs both small ones;
    # the two small warehouses alone cover everything
    big, wa, wb = Warehouse('BIG'), Warehouse('WA'), Warehouse('WB')
    lines = [OrderLine(p, p, 1) for p in 'PQRSTU']
    stock = {('BIG', 'P'): 1, ('BIG', 'Q'): 1, ('BIG', 'R'): 1,
        ('BIG', 'S'): 1, ('WA', 'P'): 1, ('WA', 'Q'): 1, ('WA', 'T'): 1,
        ('WB', 'R'): 1, ('WB', 'S'): 1, ('WB', 'U'): 1}
    plan = plan_fulfilment(lines, [big, wa, wb], stock, 'split')
    assert summary(plan) == ([('WA', [('P', 1), ('Q', 1), ('T', 1)]),
            ('WB', [('R', 1), ('S', 1), ('U', 1)])], [])
    greedy = plan_fulfilment(lines, [big, wa, wb], stock, 'split',
        max_exact_candidates=0)
    assert [g.warehouse for g in greedy.groups] == ['BIG', 'WA', 'WB']
    assert greedy.complete
    monkeypatch.setattr(allocation, 'EXACT_SEARCH_BUDGET', 10)
    plan = plan_fulfilment(lines, [big, wa, wb], stock, 'split')
    assert [g.warehouse for g in plan.groups] == ['BIG', 'WA', 'WB']


def test_split_partial_out_of_stock():
    lines = [OrderLine('L1', 'A', 20), OrderLine('L2', 'B', 3)]
    plan = plan_fulfilment(lines, CANDIDATES, STOCK, 'split')
    assert summary(plan) == (
        [('W1', [('L1', 2), ('L2', 3)]), ('W2', [('L1', 5)]),
            ('W3', [('L1', 4)])],
        [('L1', 9, 'out_of_stock')])
    assert plan.reason == 'out_of_stock'
    assert plan.allocated_quantity == 14
    assert plan.unallocated_quantity == 9


def test_split_lines_sharing_a_product():
    lines = [OrderLine('L1', 'A', 3), OrderLine('L2', 'A', 3)]
    plan = plan_fulfilment(lines, [MADRID], {('W1', 'A'): Decimal('4.5')},
        'split')
    assert summary(plan) == ([('W1', [('L1', 3), ('L2', Decimal('1.5'))])],
        [('L2', Decimal('1.5'), 'out_of_stock')])


def test_nearest():
    plan = plan_fulfilment(LINES, CANDIDATES, STOCK, 'nearest', LYON)
    # from Lyon: Paris (~390 km) < Barcelona (~520 km) < Madrid (~900 km)
    assert summary(plan) == (
        [('W3', [('L1', 4), ('L2', 3)]), ('W2', [('L1', 1)])], [])
    distances = [g.distance_km for g in plan.groups]
    assert distances == sorted(distances)
    assert 380 < distances[0] < 400


def test_nearest_without_coordinates_goes_last():
    nowhere = Warehouse('W0')
    stock = {('W0', 'A'): 5, ('W1', 'A'): 1}
    plan = plan_fulfilment([OrderLine('L1', 'A', 2)], [nowhere, MADRID],
        stock, 'nearest', LYON)
    assert summary(plan) == ([('W1', [('L1', 1)]), ('W0', [('L1', 1)])],
        [])
    assert plan.groups[1].distance_km is None


def test_nearest_unlocated_same_country_first():
    lines = [OrderLine('L1', 'A', 3)]
    es, fr = Warehouse('ES1', country='ES'), Warehouse('FR1', country='FR')
    stock = {('ES1', 'A'): 2, ('FR1', 'A'): 2, ('W1', 'A'): 1}
    plan = plan_fulfilment(lines, [fr, es, MADRID], stock, 'nearest',
        Destination(country='es'))
    # no destination coordinates: Madrid has no distance either;
    # Spanish warehouses first in candidate order, then France
    assert summary(plan) == ([('ES1', [('L1', 2)]), ('W1', [('L1', 1)])],
        [])
    plan = plan_fulfilment(lines, [fr, es, MADRID], stock, 'nearest',
        Destination(45.0, 5.0, 'ES'))
    # located Madrid first, then unlocated ES1 before FR1
    assert summary(plan) == ([('W1', [('L1', 1)]), ('ES1', [('L1', 2)])],
        [])


def test_no_warehouse():
    plan = plan_fulfilment(LINES, [], STOCK, 'split')
    assert plan.reason == 'no_warehouse'
    assert summary(plan)[1] == [('L1', 5, 'no_warehouse'),
        ('L2', 3, 'no_warehouse')]


def test_negative_availability_is_zero():
    plan = plan_fulfilment([OrderLine('L1', 'A', 2)], [MADRID],
        {('W1', 'A'): -3}, 'split')
    assert summary(plan) == ([], [('L1', 2, 'out_of_stock')])


@pytest.mark.parametrize('lines, policy, destination', [
        ([OrderLine('L1', 'A', 0)], 'split', None),
        ([OrderLine('L1', 'A', -1)], 'split', None),
        ([OrderLine('L1', 'A', Decimal('NaN'))], 'split', None),
        ([OrderLine('L1', 'A', 1), OrderLine('L1', 'B', 1)], 'split', None),
        ([OrderLine('L1', 'A', 1)], 'fastest', None),
        ([OrderLine('L1', 'A', 1)], 'nearest', None),
        ])
def test_invalid_input(lines, policy, destination):
    with pytest.raises(ValueError):
        plan_fulfilment(lines, CANDIDATES, STOCK, policy, destination)


# -- properties --------------------------------------------------------------

PRODUCTS = ['A', 'B', 'C']
quantities = st.integers(min_value=1, max_value=12).map(Decimal) | (
    st.decimals(min_value='0.001', max_value=10, places=3))


@st.composite
def scenarios(draw):
    n_lines = draw(st.integers(min_value=1, max_value=5))
    lines = [OrderLine('L%d' % i, draw(st.sampled_from(PRODUCTS)),
            draw(quantities)) for i in range(n_lines)]
    n_wh = draw(st.integers(min_value=0, max_value=5))
    warehouses = [Warehouse('W%d' % i,
            draw(st.floats(min_value=-90, max_value=90)),
            draw(st.floats(min_value=-180, max_value=180)))
        for i in range(n_wh)]
    stock = {}
    for w in warehouses:
        for p in PRODUCTS:
            if draw(st.booleans()):
                stock[(w.id, p)] = draw(st.integers(min_value=-2,
                        max_value=15))
    return lines, warehouses, stock


def coverage(lines, stock, chosen):
    demand = {}
    for line in lines:
        demand[line.product] = demand.get(line.product, 0) + line.quantity
    return sum(min(q, sum(max(0, stock.get((w.id, p), 0)) for w in chosen))
        for p, q in demand.items())


def check_conservation(lines, stock, plan):
    allocated = plan.allocated_by_line()
    short = {}
    for u in plan.unallocated:
        assert u.line_id not in short
        assert u.quantity > 0
        short[u.line_id] = u.quantity
    for line in lines:
        assert allocated.get(line.id, 0) + short.get(line.id, 0) == \
            line.quantity
    used = {}
    for group in plan.groups:
        assert group.lines
        for a in group.lines:
            assert a.quantity > 0
            key = (group.warehouse, a.product)
            used[key] = used.get(key, 0) + a.quantity
    for key, quantity in used.items():
        assert quantity <= stock.get(key, 0)
    assert len({g.warehouse for g in plan.groups}) == len(plan.groups)


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.sampled_from(['single', 'split', 'nearest']))
def test_conservation(scenario, policy):
    lines, warehouses, stock = scenario
    plan = plan_fulfilment(lines, warehouses, stock, policy,
        Destination(45.0, 5.0))
    check_conservation(lines, stock, plan)
    if policy == 'single':
        assert len(plan.groups) <= 1
        assert plan.complete == bool(plan.groups)
    if policy in ('split', 'nearest'):
        # both serve as much as all the candidates together can
        assert plan.allocated_quantity == coverage(lines, stock, warehouses)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_split_uses_fewest_warehouses(scenario):
    lines, warehouses, stock = scenario
    plan = plan_fulfilment(lines, warehouses, stock, 'split')
    best = coverage(lines, stock, warehouses)
    for size in range(len(plan.groups)):
        for chosen in itertools.combinations(warehouses, size):
            assert coverage(lines, stock, chosen) < best
    greedy = plan_fulfilment(lines, warehouses, stock, 'split',
        max_exact_candidates=0)
    check_conservation(lines, stock, greedy)
    assert greedy.allocated_quantity == best
