# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_oms.engine.split import (
    OpenOrder,
    ShipmentLine,
    merge_orders,
    split_amount,
    split_group,
)

D = Decimal


@pytest.mark.parametrize('amount, weights, digits, expected', [
        ('100.00', [1, 1, 1], 2, ['33.34', '33.33', '33.33']),
        ('10.00', [1, 2], 2, ['3.33', '6.67']),
        ('0.05', [1] * 6, 2, ['0.01'] * 5 + ['0.00']),
        ('-10.00', [1, 2], 2, ['-3.33', '-6.67']),
        ('1.2345', [1, 1], 2, ['0.6173', '0.6172']),
        (5, [0, 0], 2, ['2.50', '2.50']),
        ('7', [3], 0, ['7']),
        ('10', [1, 1, 1], 0, ['4', '3', '3']),
        ('0.10', [D('0.5'), D('2.5'), 0], 2, ['0.02', '0.08', '0.00']),
        ])
def test_split_amount(amount, weights, digits, expected):
    result = split_amount(amount, weights, digits)
    assert result == [D(e) for e in expected]
    assert sum(result) == D(amount)


@pytest.mark.parametrize('weights', [[], [1, -1]])
def test_split_amount_invalid(weights):
    with pytest.raises(ValueError):
        split_amount(D('1'), weights)


def parts_summary(parts):
    return [(p.category, [(pl.line_id, pl.quantity, pl.amount)
                for pl in p.lines], p.weight, p.overweight)
        for p in parts]


def test_split_by_category():
    lines = [
        ShipmentLine('A', 1, D(3), D('30.00'), D(4)),
        ShipmentLine('B', 2, D(2), D('9.99'), D(1), dangerous=True),
        ShipmentLine('C', 3, D(1), D(5), D(2), cold=True),
        ShipmentLine('D', 4, D(1), D(1), D(1), cold=True, dangerous=True),
        ShipmentLine('E', 5, D(1), D(1), D(1)),
        ]
    parts = split_group(lines)
    assert parts_summary(parts) == [
        ('standard', [('A', 3, D('30.00')), ('E', 1, 1)], 13, False),
        ('dangerous', [('B', 2, D('9.99'))], 2, False),
        ('cold', [('C', 1, 5)], 2, False),
        ('cold+dangerous', [('D', 1, 1)], 1, False),
        ]
    # ignoring the oversize/cold flags: only dangerous goods ship apart
    parts = split_group(lines, separate=('dangerous',))
    assert [(p.category, [pl.line_id for pl in p.lines]) for p in parts] == [
        ('standard', ['A', 'C', 'E']), ('dangerous', ['B', 'D'])]


def test_split_by_weight_first_fit_decreasing():
    lines = [
        ShipmentLine('F', 1, D(5), D('1.00'), D(1)),
        ShipmentLine('E', 2, D(3), D('10.00'), D(3)),
        ]
    parts = split_group(lines, max_weight=10)
    # E (3 kg units) first: 3 units = 9 kg; F fills 1 kg, 4 units remain
    assert parts_summary(parts) == [
        ('standard', [('F', 1, D('0.20')), ('E', 3, D('10.00'))], 10,
            False),
        ('standard', [('F', 4, D('0.80'))], 4, False),
        ]
    assert [p.amount for p in parts] == [D('10.20'), D('0.80')]


def test_split_line_across_parts():
    parts = split_group([ShipmentLine('A', 1, D(3), D('30.00'), D(4))],
        max_weight=D(10))
    assert parts_summary(parts) == [
        ('standard', [('A', 2, D('20.00'))], 8, False),
        ('standard', [('A', 1, D('10.00'))], 4, False),
        ]


def test_overweight_units_alone():
    lines = [
        ShipmentLine('G', 1, D(2), D('0.01'), D(12)),
        ShipmentLine('H', 2, D(1), D(0), D(1)),
        ]
    parts = split_group(lines, max_weight=10)
    assert parts_summary(parts) == [
        ('standard', [('G', 1, D('0.01'))], 12, True),
        ('standard', [('G', 1, D('0.00'))], 12, True),
        ('standard', [('H', 1, 0)], 1, False),
        ]


def test_fractional_quantity():
    parts = split_group([ShipmentLine('I', 1, D('2.5'), D('5.00'), D(4))],
        max_weight=10)
    assert parts_summary(parts) == [
        ('standard', [('I', D('2.5'), D('5.00'))], 10, False)]
    parts = split_group([ShipmentLine('I', 1, D('2.5'), D('5.00'), D(4))],
        max_weight=9)
    # 2 units (8 kg), then the half unit (2 kg) does not fit
    assert parts_summary(parts) == [
        ('standard', [('I', 2, D('4.00'))], 8, False),
        ('standard', [('I', D('0.5'), D('1.00'))], 2, False)]


@pytest.mark.parametrize('line, max_weight', [
        (ShipmentLine('X', 1, D(0)), None),
        (ShipmentLine('X', 1, D(-1)), None),
        (ShipmentLine('X', 1, D(1), unit_weight=D(-1)), None),
        (ShipmentLine('X', 1, D(1), amount=D('NaN')), None),
        (ShipmentLine('X', 1, D(1)), 0),
        ])
def test_split_group_invalid(line, max_weight):
    with pytest.raises(ValueError):
        split_group([line], max_weight=max_weight)


def at(hour, minute=0):
    return dt.datetime(2025, 3, 4, 0, 0) + dt.timedelta(
        hours=hour, minutes=minute)


ORDERS = [
    OpenOrder('O3', 1, 'a', 'WEB', 'W1', at(13)),
    OpenOrder('O1', 1, 'a', 'WEB', 'W1', at(10)),
    OpenOrder('O2', 1, 'a', 'WEB', 'W1', at(11, 30)),
    OpenOrder('O4', 1, 'a', 'WEB', 'W1', at(14, 59)),
    OpenOrder('O5', 1, 'b', 'WEB', 'W1', at(10, 30)),
    OpenOrder('O6', 2, 'a', 'WEB', 'W1', at(10, 15)),
    OpenOrder('O7', 1, 'a', 'POS', 'W1', at(10, 5)),
    OpenOrder('O8', 1, 'a', 'WEB', 'W2', at(10, 10)),
    ]


def test_merge_orders():
    groups = merge_orders(ORDERS, 2)
    # O3 is 3 h after O1, the first order of its group: new group
    assert [g.order_ids for g in groups] == [('O1', 'O2'), ('O3', 'O4')]
    assert groups[0].first_created == at(10)
    assert groups[0].last_created == at(11, 30)
    assert (groups[1].customer, groups[1].address_key, groups[1].channel,
        groups[1].warehouse) == (1, 'a', 'WEB', 'W1')
    groups = merge_orders(ORDERS, 2, include_singletons=True)
    assert [g.order_ids for g in groups] == [('O1', 'O2'), ('O7',), ('O8',),
        ('O6',), ('O5',), ('O3', 'O4')]
    # a 5 hour window takes all four
    assert [g.order_ids for g in merge_orders(ORDERS, '5')] == [
        ('O1', 'O2', 'O3', 'O4')]
    # boundary: exactly the window is inside
    assert [g.order_ids for g in merge_orders(ORDERS, D('1.5'))] == [
        ('O1', 'O2')]
    assert merge_orders(ORDERS, D('1.49')) == []
    with pytest.raises(ValueError):
        merge_orders(ORDERS, -1)


# -- properties --------------------------------------------------------------

amounts = st.decimals(min_value=-10000, max_value=10000, places=2)


@settings(max_examples=300, deadline=None)
@given(amounts | st.decimals(min_value=0, max_value=100, places=4),
    st.lists(st.integers(min_value=0, max_value=50), min_size=1,
        max_size=8))
def test_split_amount_reconciles(amount, weights):
    shares = split_amount(amount, weights)
    assert sum(shares) == amount
    step = min(D('0.01'), D(1).scaleb(amount.as_tuple().exponent))
    total = sum(weights) or len(weights)
    for share, weight in zip(shares, weights, strict=True):
        # each share is within one step of its exact pro rata value
        exact = amount * (weight if sum(weights) else 1) / total
        assert abs(share - exact) < step
        assert share % step == 0


lines_strategy = st.lists(st.builds(
        ShipmentLine,
        id=st.uuids(),
        product=st.integers(min_value=1, max_value=3),
        quantity=st.integers(min_value=1, max_value=30).map(D)
        | st.decimals(min_value='0.1', max_value=20, places=1),
        amount=amounts,
        unit_weight=st.decimals(min_value=0, max_value=25, places=3),
        dangerous=st.booleans(),
        oversize=st.booleans(),
        cold=st.booleans()),
    min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(lines_strategy,
    st.none() | st.decimals(min_value='0.5', max_value=60, places=1))
def test_split_group_reconciles(lines, max_weight):
    parts = split_group(lines, max_weight=max_weight)
    for line in lines:
        pieces = [pl for p in parts for pl in p.lines
            if pl.line_id == line.id]
        assert pieces
        assert sum(pl.quantity for pl in pieces) == line.quantity
        assert sum(pl.amount for pl in pieces) == line.amount
        flags = sorted(f for f in ('dangerous', 'oversize', 'cold')
            if getattr(line, f))
        for part in parts:
            if any(pl.line_id == line.id for pl in part.lines):
                assert part.category == ('+'.join(flags) or 'standard')
    for part in parts:
        assert part.lines
        assert part.weight == sum(pl.weight for pl in part.lines)
        assert part.amount == sum(pl.amount for pl in part.lines)
        if max_weight is not None:
            if part.overweight:
                assert len(part.lines) == 1
                assert part.weight > max_weight
            else:
                assert part.weight <= max_weight
    assert sum(p.amount for p in parts) == sum(line.amount for line in lines)
    if max_weight is None:
        assert len({p.category for p in parts}) == len(parts)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from('ab'),
            st.integers(0, 48 * 60)), max_size=20),
    st.integers(min_value=0, max_value=30))
def test_merge_partition(specs, window):
    orders = [OpenOrder(i, c, a, 'WEB', 'W1', at(0, m))
        for i, (c, a, m) in enumerate(specs)]
    groups = merge_orders(orders, window, include_singletons=True)
    ids = [i for g in groups for i in g.order_ids]
    assert sorted(ids) == list(range(len(orders)))
    for g in groups:
        members = [orders[i] for i in g.order_ids]
        assert len({(o.customer, o.address_key) for o in members}) == 1
        assert g.last_created - g.first_created <= dt.timedelta(hours=window)
        assert [o.created for o in members] == sorted(
            o.created for o in members)
