# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_wms.engine.abc import classify, count_due


def test_classic_80_15_5():
    # total 100: P1 70 (0 before -> A), P2 15 (70 % before -> A),
    # P3 8 (85 % -> B), P4 4 (93 % -> B), P5 2 (97 % -> C), P6 1 -> C
    scores = {'P1': 70, 'P2': 15, 'P3': 8, 'P4': 4, 'P5': 2, 'P6': 1,
        'P7': 0}
    assert classify(scores) == {'P1': 'A', 'P2': 'A', 'P3': 'B',
        'P4': 'B', 'P5': 'C', 'P6': 'C', 'P7': 'C'}


def test_ties_broken_by_key_and_zero_total():
    assert classify({2: 1, 1: 1}, 0.5, 0.5) == {1: 'A', 2: 'B'}
    assert classify({1: 0, 2: 0}) == {1: 'C', 2: 'C'}
    assert classify({}) == {}


@pytest.mark.parametrize('scores, a, b', [
        ({'x': -1}, 0.8, 0.15), ({'x': float('nan')}, 0.8, 0.15),
        ({'x': 1}, 0.9, 0.2), ({'x': 1}, -0.1, 0.1)])
def test_bad_input(scores, a, b):
    with pytest.raises(ValueError):
        classify(scores, a, b)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(0, 50), st.integers(0, 1000),
        max_size=30),
    st.integers(0, 100), st.integers(0, 100))
def test_properties(scores, a_pct, b_pct):
    if a_pct + b_pct > 100:
        b_pct = 100 - a_pct
    a, b = a_pct / 100, b_pct / 100
    result = classify(scores, a, b)
    # a partition of the items into A, B and C
    assert set(result) == set(scores)
    assert set(result.values()) <= {'A', 'B', 'C'}
    total = sum(scores.values())
    covered_a = sum(s for k, s in scores.items() if result[k] == 'A')
    covered_ab = sum(s for k, s in scores.items() if result[k] in 'AB')
    if total:
        # A covers at least its threshold, A+B at least theirs
        assert covered_a >= a * total - 1e-9
        assert covered_ab >= (a + b) * total - 1e-9
    # a better score never gets a worse class
    rank = {'A': 0, 'B': 1, 'C': 2}
    for k1 in scores:
        for k2 in scores:
            if scores[k1] > scores[k2]:
                assert rank[result[k1]] <= rank[result[k2]]
    # input order does not matter
    assert classify(dict(reversed(list(scores.items()))), a, b) == result


def test_count_due():
    today = dt.date(2026, 11, 30)
    assert count_due('A', None, today)
    assert count_due('A', today - dt.timedelta(days=30), today)
    assert not count_due('A', today - dt.timedelta(days=29), today)
    assert not count_due('B', today - dt.timedelta(days=89), today)
    assert count_due(None, today - dt.timedelta(days=180), today)
    assert not count_due('C', today - dt.timedelta(days=10), today,
        {'A': 1, 'B': 5, 'C': 11})
    assert count_due('C', dt.datetime(2026, 11, 19, 8), today,
        {'A': 1, 'B': 5, 'C': 11})
