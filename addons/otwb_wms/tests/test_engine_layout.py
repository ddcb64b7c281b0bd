# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import heapq
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_wms.engine.layout import Bin, Layout, generate_layout


def dijkstra(adj, src, dst):
    dist = {src: 0.0}
    heap = [(0.0, 0, src)]
    counter = 1
    while heap:
        d, _, u = heapq.heappop(heap)
        if u == dst:
            return d
        if d > dist.get(u, float('inf')):
            continue
        for v, w in adj.get(u, ()):
            nd = d + w
            if nd < dist.get(v, float('inf')):
                dist[v] = nd
                heapq.heappush(heap, (nd, counter, v))
                counter += 1
    return float('inf')


def small_layout(middle=0):
    # pitch 4 m, bays 1 m, cross-aisles 2 m wide
    return generate_layout(3, 4, 2, middle_cross_aisles=middle)


def test_generated_geometry_and_codes():
    lay = small_layout()
    assert len(lay.bins) == 3 * 4 * 2 * 2
    assert lay.aisle_xs == (0.0, 4.0, 8.0)
    assert lay.cross_aisle_ys == (0.0, 6.0)
    b = lay.bins['A02-B03-L2']
    assert (b.aisle, b.y, b.level, b.side, b.bay) == (1, 2.5, 2, 'L', 3)
    assert b.x == pytest.approx(4.0 - 1.5)
    assert b.height_m == pytest.approx(1.5)
    assert not b.heavy_allowed and lay.bins['A02-B03-L1'].heavy_allowed
    assert lay.bins['A02-B04-L1'].side == 'R'
    assert lay.bins['A02-B04-L1'].x == pytest.approx(5.5)


def test_middle_cross_aisle_positions():
    lay = small_layout(middle=1)
    assert lay.cross_aisle_ys == (0.0, 4.0, 8.0)
    assert lay.bins['A01-B05-L1'].y == pytest.approx(5.5)


def test_hand_computed_distances_single_block():
    lay = small_layout()
    # same access point (facing racks, other level)
    assert lay.walking_distance('A01-B01-L1', 'A01-B02-L2') == 0.0
    # same aisle: 1.5 -> 4.5
    assert lay.walking_distance('A01-B01-L1', 'A01-B08-L1') == 3.0
    # different aisles, via front (2.5 + 4 + 3.5) or back (3.5+4+2.5)
    assert lay.walking_distance('A01-B03-L1', 'A02-B05-L1') == 10.0
    # NOT the straight line (4.12 m)
    # depot at front-left corner to aisle 3 first bay: 8 + 1.5
    assert lay.walking_distance(lay.depot, 'A03-B01-L1') == 9.5
    assert lay.walking_distance((2.0, 0.0), 'A03-B01-L1') == 7.5


def test_hand_computed_distance_middle_cross_aisle():
    lay = small_layout(middle=1)
    # up to middle cross-aisle (1.5), across (4), up (1.5)
    assert lay.walking_distance('A01-B03-L1', 'A02-B05-L1') == 7.0
    # within the same block, same aisle
    assert lay.walking_distance('A01-B05-L1', 'A01-B07-L1') == 1.0


def test_points_outside_aisle_span_on_cross_aisle():
    lay = small_layout()
    assert lay.walking_distance((-3.0, 0.0), 'A01-B01-L1') == 4.5
    assert lay.walking_distance((-3.0, 0.0), (-1.0, 0.0)) == 2.0
    assert lay.walking_distance((11.0, 6.0), 'A03-B08-L1') == 4.5


def test_from_bins_erp_rebuild():
    bins = [
        Bin('X1', aisle=0, y=2.0, zone='Z'),
        Bin('X2', aisle=0, y=8.0),
        Bin('Y1', aisle=2, y=5.0, level=3),
    ]
    lay = Layout.from_bins(bins, aisle_pitch_m=5.0)
    assert lay.aisle_xs == (0.0, 5.0, 10.0)
    assert lay.cross_aisle_ys == (1.0, 9.0)
    assert lay.walking_distance('X1', 'X2') == 6.0
    # X1 -> front (1) -> across 10 -> up 4
    assert lay.walking_distance('X1', 'Y1') == 15.0
    assert lay.walking_distance('X2', 'Y1') == 15.0
    lay2 = Layout.from_bins(bins, aisle_xs=[0, 3, 6],
                            cross_aisle_ys=[0, 5, 10])
    # X1 (y=2) -> middle cross-aisle y=5 (3), across 6, Y1 at y=5 (0)
    assert lay2.walking_distance('X1', 'Y1') == 9.0


def test_distance_matrix_and_one_to_many_consistent():
    lay = generate_layout(8, 20, 2, middle_cross_aisles=1)
    rng = random.Random(3)
    codes = rng.sample(sorted(lay.bins), 40)
    m = lay.distance_matrix(codes)
    assert m.shape == (40, 40)
    assert (m == m.T).all()
    assert (m.diagonal() == 0).all()
    row = lay.distances_from(codes[5], codes)
    assert row.tolist() == m[5].tolist()
    for i, j in [(0, 1), (3, 17), (39, 2)]:
        assert m[i, j] == lay.walking_distance(codes[i], codes[j])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 12), st.integers(0, 3),
       st.integers(0, 10_000))
def test_distance_equals_dijkstra_on_explicit_graph(
        aisles, bays, middle, seed):
    middle = min(middle, bays - 1)
    lay = generate_layout(aisles, bays, 1, middle_cross_aisles=middle,
                          bay_width_m=1.3, depot='middle')
    adj = lay.graph()
    rng = random.Random(seed)
    codes = sorted(lay.bins) + [lay.depot]
    for _ in range(6):
        a, b = rng.choice(codes), rng.choice(codes)
        ref = dijkstra(adj, lay.graph_node(a), lay.graph_node(b))
        got = lay.walking_distance(a, b)
        assert got == pytest.approx(ref)
        # graph distance is never shorter than the Manhattan distance
        pa, pb = lay._as_point(a), lay._as_point(b)
        assert got >= abs(pa.x - pb.x) + abs(pa.y - pb.y) - 1e-9


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match='aisle_xs'):
        Layout([], [0, 1])
    with pytest.raises(ValueError, match='cross_aisle_ys'):
        Layout([0], [0])
    with pytest.raises(ValueError, match='bin.y'):
        Layout([0], [0, 5], [Bin('A', 0, 7.0)])
    with pytest.raises(ValueError, match='bin.aisle'):
        Layout([0], [0, 5], [Bin('A', 1, 2.0)])
    with pytest.raises(ValueError, match='duplicate'):
        Layout([0], [0, 5], [Bin('A', 0, 2.0), Bin('A', 0, 3.0)])
    lay = small_layout()
    with pytest.raises(ValueError, match='unknown bin'):
        lay.walking_distance('NOPE', 'A01-B01-L1')
    with pytest.raises(ValueError, match='not on an aisle'):
        lay.point(1.0, 1.0)
    with pytest.raises(ValueError, match='bays_per_aisle'):
        generate_layout(2, 0)
    with pytest.raises(ValueError, match='middle_cross_aisles'):
        generate_layout(2, 3, middle_cross_aisles=3)
