# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import itertools
import random
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_wms.engine.layout import generate_layout
from trytond.modules.otwb_wms.engine.pickpath import (
    StockRecord,
    allocate_lots,
    held_karp,
    optimise_route,
    reference_route,
    route_length,
    s_shape_route,
    solve_tsp,
    tour_length,
)


def brute_force(d):
    n = len(d)
    best = float('inf')
    for perm in itertools.permutations(range(1, n)):
        best = min(best, tour_length(d, (0,) + perm))
    return best


def random_metric(rng, n):
    pts = rng.random((n, 2)) * 50
    return np.abs(pts[:, None, :] - pts[None, :, :]).sum(-1)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 8), st.integers(0, 10_000))
def test_held_karp_matches_brute_force(n, seed):
    d = random_metric(np.random.default_rng(seed), n)
    tour, length = held_karp(d)
    assert sorted(tour) == list(range(n)) and tour[0] == 0
    assert length == pytest.approx(tour_length(d, tour))
    assert length == pytest.approx(brute_force(d))


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_local_search_close_to_exact_on_13_nodes(seed):
    d = random_metric(np.random.default_rng(seed), 13)
    _, exact = held_karp(d)
    tour, length = solve_tsp(d, exact_max=0, max_iterations=60, seed=seed)
    assert sorted(tour) == list(range(13)) and tour[0] == 0
    assert length == pytest.approx(tour_length(d, tour))
    assert exact - 1e-9 <= length <= exact * 1.02


def test_solve_tsp_bad_matrix():
    with pytest.raises(ValueError, match='dist'):
        solve_tsp(np.zeros((2, 3)))
    with pytest.raises(ValueError, match='dist'):
        solve_tsp(np.array([[0, -1], [-1, 0]]))


def test_single_aisle_route_hand_computed():
    lay = generate_layout(3, 4, 1)  # depot at (0, 0)
    r = optimise_route(lay, ['A01-B07-L1', 'A01-B01-L1', 'A01-B03-L1'])
    # up to y=4.5 and back
    assert r.length_m == 9.0
    assert r.sequence in (('A01-B01-L1', 'A01-B03-L1', 'A01-B07-L1'),
                          ('A01-B07-L1', 'A01-B03-L1', 'A01-B01-L1'))


def test_two_aisles_route_hand_computed():
    lay = generate_layout(3, 4, 1)  # aisles at x = 0, 4, 8; back y = 6
    # A01 at y=4.5, A03 at y=4.5: via the back cross-aisle:
    # 4.5 up + 1.5 + 8 + 1.5 + 4.5 down + 8 back = 28
    r = optimise_route(lay, ['A01-B08-L1', 'A03-B08-L1'])
    assert r.length_m == 28.0
    s = s_shape_route(lay, ['A01-B08-L1', 'A03-B08-L1'])
    assert s.length_m == 28.0


def test_s_shape_order_serpentine():
    lay = generate_layout(4, 10, 1)
    bins = ['A03-B03-L1', 'A01-B15-L1', 'A01-B01-L1', 'A03-B19-L1',
            'A04-B09-L1']
    s = s_shape_route(lay, bins)
    # aisle 1 upward, aisle 3 downward, aisle 4 upward
    assert s.sequence == ('A01-B01-L1', 'A01-B15-L1', 'A03-B19-L1',
                          'A03-B03-L1', 'A04-B09-L1')
    assert s.length_m == pytest.approx(route_length(lay, s.sequence))


def test_shared_access_point_visited_together():
    lay = generate_layout(5, 10, 3)
    bins = ['A02-B05-L1', 'A05-B20-L1', 'A02-B06-L3', 'A02-B05-L2']
    r = optimise_route(lay, bins)
    seq = list(r.sequence)
    pos = sorted(seq.index(c) for c in ('A02-B05-L1', 'A02-B06-L3',
                                        'A02-B05-L2'))
    assert pos[2] - pos[0] == 2
    assert Counter(seq) == Counter(bins)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.integers(5, 35), st.integers(0, 2))
def test_optimised_never_worse_than_s_shape(seed, k, middle):
    lay = generate_layout(8, 20, 2, middle_cross_aisles=middle)
    rng = random.Random(seed)
    bins = rng.sample(sorted(lay.bins), k)
    r = optimise_route(lay, bins, time_limit_ms=20)
    s = s_shape_route(lay, bins)
    assert Counter(r.sequence) == Counter(bins)
    assert r.length_m == pytest.approx(route_length(lay, r.sequence))
    assert r.length_m <= s.length_m + 1e-6


def test_reference_route_exact_small_batch():
    lay = generate_layout(6, 12, 1, middle_cross_aisles=1)
    rng = random.Random(5)
    bins = rng.sample(sorted(lay.bins), 9)
    ref = reference_route(lay, bins)
    assert ref.method.startswith('held-karp')
    r = optimise_route(lay, bins, exact_max=0, time_limit_ms=20)
    assert r.length_m >= ref.length_m - 1e-9
    assert r.length_m <= ref.length_m * 1.05


def test_empty_batch():
    lay = generate_layout(2, 2)
    r = optimise_route(lay, [])
    assert r.sequence == () and r.length_m == 0.0


# -- lot allocation ---------------------------------------------------------

D = dt.date
RECORDS = [
    StockRecord('B1', 'L1', 10, D(2024, 1, 5), D(2024, 6, 1)),
    StockRecord('B2', 'L2', 5, D(2024, 1, 1), D(2024, 9, 1)),
    StockRecord('B3', 'L3', 8, D(2024, 2, 1), D(2024, 3, 1)),
    StockRecord('B4', 'L4', 0, D(2023, 1, 1), D(2023, 2, 1)),
]


def test_fifo():
    res = allocate_lots(RECORDS, 12, 'fifo')
    assert [(a.bin, a.qty) for a in res.allocations] == [('B2', 5),
                                                         ('B1', 7)]
    assert res.short_qty == 0 and res.allocated_qty == 12


def test_lifo():
    res = allocate_lots(RECORDS, 12, 'LIFO')
    assert [(a.lot, a.qty) for a in res.allocations] == [('L3', 8),
                                                         ('L1', 4)]


def test_fefo_and_min_expiry():
    res = allocate_lots(RECORDS, 20, 'fefo')
    assert [(a.lot, a.qty) for a in res.allocations] == [
        ('L3', 8), ('L1', 10), ('L2', 2)]
    res = allocate_lots(RECORDS, 20, 'fefo', min_expiry_date=D(2024, 4, 1))
    assert [(a.lot, a.qty) for a in res.allocations] == [('L1', 10),
                                                         ('L2', 5)]
    assert res.short_qty == 5


def test_short_and_decimal():
    recs = [StockRecord('B1', None, Decimal('2.5'), D(2024, 1, 1)),
            StockRecord('B2', None, Decimal('1.25'), None)]
    res = allocate_lots(recs, Decimal('5'), 'fifo')
    assert [a.bin for a in res.allocations] == ['B1', 'B2']
    assert res.short_qty == Decimal('1.25')
    assert isinstance(res.allocated_qty, Decimal)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 30),
                          st.integers(0, 30)), max_size=12),
       st.integers(0, 200), st.sampled_from(['fifo', 'lifo', 'fefo']))
def test_allocation_conserves_quantity(rows, demand, strategy):
    recs = [StockRecord('B%d' % i, 'L%d' % i, q,
                        D(2024, 1, 1) + dt.timedelta(days=r),
                        D(2025, 1, 1) + dt.timedelta(days=e))
            for i, (q, r, e) in enumerate(rows)]
    res = allocate_lots(recs, demand, strategy)
    available = sum(q for q, _, _ in rows)
    assert res.allocated_qty + res.short_qty == demand
    assert res.short_qty == max(0, demand - available)
    by_bin = {r.bin: r.qty for r in recs}
    for a in res.allocations:
        assert 0 < a.qty <= by_bin[a.bin]


def test_allocation_bad_input():
    with pytest.raises(ValueError, match='strategy'):
        allocate_lots(RECORDS, 1, 'random')
    with pytest.raises(ValueError, match='demand'):
        allocate_lots(RECORDS, -1)
