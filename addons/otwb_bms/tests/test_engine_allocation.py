# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Tests of the largest-remainder cost allocation engine."""

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_bms.engine.allocation import (
    AllocationItem,
    allocate,
    allocate_items,
    item_weights,
)


@pytest.mark.parametrize('total, weights, expected', [
    # 10000 cents / 3 = 3333.33 each: floor 3333 x 3 = 9999, 1 left, equal
    # remainders -> first item
    (D('100.00'), [1, 1, 1], ['33.34', '33.33', '33.33']),
    # credit mirrors the charge
    (D('-100.00'), [1, 1, 1], ['-33.34', '-33.33', '-33.33']),
    # exact proportional split 2:3:5 of 10.00
    (D('10.00'), [2, 3, 5], ['2.00', '3.00', '5.00']),
    # 1000 cents x 1/3 = 333.33 (rem .33), x 2/3 = 666.67 (rem .67):
    # the left-over cent goes to the larger remainder (item 2)
    (D('10.00'), [1, 2], ['3.33', '6.67']),
    # 100 cents / 6 = 16.67: floor 16 x 6 = 96, 4 left -> first four items
    (D('1.00'), [1] * 6, ['0.17', '0.17', '0.17', '0.17', '0.16', '0.16']),
    # all weights zero -> equal split: 5 cents / 2 -> 3, 2
    (D('0.05'), [0, 0], ['0.03', '0.02']),
    # a zero weight gets nothing when others are positive
    (D('7.00'), [0, D('3.5'), 0], ['0.00', '7.00', '0.00']),
    # 3 units at 0 digits over 0.5/0.25/0.25: 1.5 -> 1 (rem .5),
    # 0.75 -> 0 (rem .75), 0.75 -> 0 (rem .75): left 2 -> items 2 and 3
    (D(3), [D('0.5'), D('0.25'), D('0.25')], ['1', '1', '1']),
    # zero total
    (D('0.00'), [1, 2], ['0.00', '0.00']),
    (D('0.00'), [], []),
])
def test_allocate(total, weights, expected):
    digits = 0 if expected and '.' not in expected[0] else 2
    result = allocate(total, weights, digits=digits)
    assert result == [D(e) for e in expected]
    assert sum(result) == total


def test_allocate_three_digits():
    # 1.000 KWD over 1:1:1 -> 334, 333, 333 fils
    assert allocate(D('1.000'), [1, 1, 1], digits=3) == [
        D('0.334'), D('0.333'), D('0.333')]


@pytest.mark.parametrize('basis, expected', [
    # kg 100/300/600 of 1000 -> 100, 300, 600 of 500.00 -> 50, 150, 300
    ('weight', ['50.00', '150.00', '300.00']),
    # m3 1/1/2 -> 125, 125, 250
    ('volume', ['125.00', '125.00', '250.00']),
    # kg x km: 100x30=3000, 300x10=3000, 600x10=6000 -> 1:1:2
    ('distance_weight', ['125.00', '125.00', '250.00']),
    # value 0/0/1000 -> 0, 0, 500
    ('value', ['0.00', '0.00', '500.00']),
    # equal: 50000 cents / 3 = 16666.67: floor 16666 x 3 = 49998,
    # 2 cents left, equal remainders -> first two items
    ('equal', ['166.67', '166.67', '166.66']),
])
def test_allocate_items(basis, expected):
    items = [AllocationItem('a', kg=D(100), m3=D(1), km=D(30), value=D(0)),
             AllocationItem('b', kg=D(300), m3=D(1), km=D(10), value=D(0)),
             AllocationItem('c', kg=D(600), m3=D(2), km=D(10),
                            value=D(1000))]
    assert allocate_items(D('500.00'), items, basis) == list(
        zip('abc', [D(e) for e in expected], strict=True))


@pytest.mark.parametrize('call, match', [
    (lambda: allocate(D('1.005'), [1]), 'more than 2 decimals'),
    (lambda: allocate(D('1.00'), [1, -1]), r'weights\[1\] must not be neg'),
    (lambda: allocate(D('1.00'), []), 'empty item list'),
    (lambda: allocate(1.5, [1]), 'total'),
    (lambda: allocate(D('1'), [0.5]), r'weights\[0\]'),
    (lambda: allocate(D('NaN'), [1]), 'finite'),
    (lambda: allocate(D(1), [1], digits=-1), 'digits'),
    (lambda: item_weights([AllocationItem('x')], 'weight'), r"'x'\)\.kg"),
    (lambda: item_weights([AllocationItem('x', kg=D(-1))], 'weight'),
     'negative'),
    (lambda: item_weights([], 'mass'), 'basis'),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


totals = st.decimals(min_value=-100000, max_value=100000, places=2,
                     allow_nan=False, allow_infinity=False)
weight_lists = st.lists(
    st.one_of(st.integers(0, 1000),
              st.decimals(min_value=0, max_value=1000, places=3,
                          allow_nan=False, allow_infinity=False)),
    min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(total=totals, weights=weight_lists)
def test_parts_sum_exactly_and_stay_within_one_cent(total, weights):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    weight_sum = sum(Fraction(w) for w in weights)
    for part, weight in zip(parts, weights, strict=True):
        assert part == part.quantize(D('0.01'))
        if weight_sum:
            exact = Fraction(total) * Fraction(weight) / weight_sum
        else:
            exact = Fraction(total) / len(weights)
        assert abs(Fraction(part) - exact) < Fraction(1, 100)


@settings(max_examples=100, deadline=None)
@given(total=totals, weights=weight_lists)
def test_credit_mirrors_charge_and_is_deterministic(total, weights):
    assert allocate(-total, weights) == [-p for p in allocate(
        total, weights)]
    assert allocate(total, weights) == allocate(total, list(weights))
