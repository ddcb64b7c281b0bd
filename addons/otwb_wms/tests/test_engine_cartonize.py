# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_wms.engine.cartonize import (
    BoxType,
    PackedBox,
    PackItem,
    Placement,
    cartonize,
    ffd_baseline,
    verify_packing,
    verify_result,
)

S = BoxType('S', 20, 20, 20, 50, 0.5, Decimal('0.40'))
L = BoxType('L', 40, 40, 40, 50, 1.0, Decimal('1.10'))


def test_eight_cubes_fill_small_box_exactly():
    items = [PackItem('CUBE', 10, 10, 10, 1.0, qty=8)]
    res = cartonize(items, [L, S])
    assert res.box_count == 1
    box = res.boxes[0]
    assert box.box_code == 'S'
    assert box.fill_rate == pytest.approx(1.0)
    assert box.contents == {'CUBE': 8}
    assert box.gross_weight_kg == pytest.approx(8.5)
    assert box.dimensions_cm == (20, 20, 20)
    assert res.total_cost == Decimal('0.40')
    assert verify_result(res, items, [L, S]) == []


def test_nine_cubes_one_large_box_not_two_small():
    items = [PackItem('CUBE', 10, 10, 10, 1.0, qty=9)]
    res = cartonize(items, [S, L])
    assert [b.box_code for b in res.boxes] == ['L']
    assert verify_result(res, items, [S, L]) == []


def test_rotation_needed_and_forbidden():
    tall = BoxType('T', 10, 10, 40, 20)
    items = [PackItem('ROD', 30, 5, 5, 1.0)]
    res = cartonize(items, [tall])
    p = res.boxes[0].placements[0]
    assert (p.dx, p.dy, p.dz) in ((5, 5, 30),)
    res = cartonize([PackItem('ROD', 30, 5, 5, 1.0, can_rotate=False)],
                    [tall])
    assert res.boxes == []
    assert res.unpacked[0].qty == 1
    assert 'rotation not allowed' in res.unpacked[0].reason


def test_weight_limit_splits_boxes_and_too_heavy_reported():
    box = BoxType('B', 50, 50, 50, 12, tare_weight_kg=2)
    items = [PackItem('HEAVY', 10, 10, 10, 5.0, qty=4),
             PackItem('LEAD', 5, 5, 5, 11.0, qty=2)]
    res = cartonize(items, [box])
    assert res.box_count == 2
    assert all(b.gross_weight_kg == pytest.approx(12) for b in res.boxes)
    assert [(u.sku, u.qty) for u in res.unpacked] == [('LEAD', 2)]
    assert 'weight' in res.unpacked[0].reason
    assert verify_result(res, items, [box]) == []


def test_too_big_item_reported_others_packed():
    items = [PackItem('SOFA', 200, 90, 80, 40.0),
             PackItem('BOOK', 20, 15, 3, 0.5, qty=3)]
    res = cartonize(items, [S, L])
    assert [(u.sku, u.qty) for u in res.unpacked] == [('SOFA', 1)]
    assert 'fit no box type' in res.unpacked[0].reason
    assert res.box_count == 1 and res.boxes[0].box_code == 'S'


def test_large_units_two_boxes_gap_filled():
    items = [PackItem('BIG', 40, 40, 20, 1.0, qty=3),
             PackItem('SMALL', 5, 5, 5, 0.1, qty=2)]
    res = cartonize(items, [S, L])
    # 2 BIG fill one L box; the last BIG goes alone in an L box (does not
    # fit S); the two SMALL fill the gap.
    assert sorted(b.box_code for b in res.boxes) == ['L', 'L']
    assert verify_result(res, items, [S, L]) == []


def test_ffd_baseline_volume_only():
    items = [PackItem('A', 40, 40, 24, 1.0, qty=3)]  # 0.6 of L each
    res = ffd_baseline(items, [S, L])
    assert res.box_count == 3 and {b.box_code for b in res.boxes} == {'L'}
    items = [PackItem('A', 40, 40, 20, 1.0, qty=3)]  # 0.5 each
    assert ffd_baseline(items, [S, L]).box_count == 2
    # volume-only check: four 30 cm cubes "fit" by volume, not physically
    cubes = [PackItem('C', 30, 30, 30, 1.0, qty=2)]
    assert ffd_baseline(cubes, [L]).box_count == 1
    assert ffd_baseline(cubes, [L], check_3d=True).box_count == 2
    assert cartonize(cubes, [L]).box_count == 2


def test_verify_packing_detects_problems():
    item = PackItem('X', 10, 10, 10, 30.0)
    bad = PackedBox('S', [Placement('X', 0, 0, 0, 10, 10, 10),
                          Placement('X', 5, 0, 0, 10, 10, 10),
                          Placement('X', 15, 0, 0, 10, 10, 10)],
                    net_weight_kg=90.0)
    problems = verify_packing(bad, S, [item])
    text = ' '.join(problems)
    assert 'overlap' in text
    assert 'outside the box on axis x' in text
    assert 'exceeds max' in text
    bad2 = PackedBox('S', [Placement('X', 0, 0, 0, 10, 10, 5)],
                     net_weight_kg=30.0)
    assert 'not an allowed rotation' in ' '.join(
        verify_packing(bad2, S, [item]))


def test_bad_input():
    with pytest.raises(ValueError, match='box_types'):
        cartonize([], [])
    with pytest.raises(ValueError, match='item.length_cm'):
        cartonize([PackItem('X', 0, 1, 1, 1)], [S])
    with pytest.raises(ValueError, match='item.qty'):
        cartonize([PackItem('X', 1, 1, 1, 1, qty=1.5)], [S])
    with pytest.raises(ValueError, match='tare_weight_kg'):
        cartonize([], [BoxType('Z', 1, 1, 1, 1, tare_weight_kg=2)])


item_st = st.builds(
    PackItem, st.integers(0, 5).map(lambda i: 'SKU%d' % i),
    st.integers(1, 45), st.integers(1, 45), st.integers(1, 45),
    st.floats(0, 12), st.integers(0, 6), st.booleans())


@settings(max_examples=40, deadline=None)
@given(st.lists(item_st, max_size=5, unique_by=lambda i: i.sku))
def test_property_valid_packings(items):
    boxes = [S, L, BoxType('F', 60, 30, 10, 40, 0.7, Decimal('0.9'))]
    res = cartonize(items, boxes)
    assert verify_result(res, items, boxes) == []
    for b in res.boxes:
        assert 0 < b.fill_rate <= 1 + 1e-9
        assert b.placements
    # never fewer boxes than the volume lower bound
    vol = sum(b.item_volume_cm3 for b in res.boxes)
    biggest = max(b.volume_cm3 for b in boxes)
    assert res.box_count >= math.ceil(vol / biggest - 1e-9)
    base = ffd_baseline(items, boxes, check_3d=True)
    assert verify_result(base, items, boxes) == []
