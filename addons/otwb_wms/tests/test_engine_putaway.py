# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_wms.engine.putaway import (
    BinState,
    PutawayItem,
    max_units,
    plan_putaway,
)


def item(**kw):
    base = dict(product_id=1, qty=10, unit_weight_kg=10.0,
                unit_volume_m3=0.1)
    base.update(kw)
    return PutawayItem(**base)


def bins():
    return [
        BinState('NEAR', zone='Z', level=2, x=1, y=0,
                 capacity_volume_m3=1.0, capacity_weight_kg=1000,
                 pallet_positions=1),
        BinState('MID', zone='Z', level=1, x=5, y=0,
                 capacity_volume_m3=1.0, capacity_weight_kg=1000,
                 pallet_positions=1, used_volume_m3=0.5,
                 used_weight_kg=50, used_pallets=1, products=frozenset({1})),
        BinState('FAR', zone='Z', level=1, x=9, y=3,
                 capacity_volume_m3=2.0, capacity_weight_kg=1000,
                 pallet_positions=2),
        BinState('OTHER', zone='Z', level=1, x=2, y=0,
                 capacity_volume_m3=5.0, capacity_weight_kg=5000,
                 pallet_positions=2, used_volume_m3=0.1,
                 products=frozenset({99})),
        BinState('ELSEWHERE', zone='Y', level=1, x=0, y=0,
                 capacity_volume_m3=9.0, capacity_weight_kg=9000,
                 pallet_positions=9),
    ]


def test_max_units_limits():
    b = bins()[1]  # 0.5 m3 left, 950 kg left
    assert max_units(item(), b) == (5, 'volume')
    assert max_units(item(unit_weight_kg=400), b) == (2, 'weight')
    assert max_units(item(units_per_pallet=4), b) == (0, 'pallet positions')
    b2 = BinState('W', capacity_volume_m3=1, capacity_weight_kg=1,
                  max_unit_width_m=1.2)
    assert max_units(item(unit_width_m=1.5), b2) == (0, 'width')


def test_consolidate_fills_same_product_first_then_nearest_empty():
    res = plan_putaway(item(), bins(), 'consolidate', zone='Z')
    # MID holds product 1 and takes 5 (volume); rest to NEAR (nearest
    # empty); OTHER holds another product; ELSEWHERE is another zone.
    assert [(x.bin, x.qty) for x in res.lines] == [('MID', 5), ('NEAR', 5)]
    assert res.unplaced_qty == 0 and res.reason is None


def test_nearest_empty_and_abc_class_c_goes_far():
    res = plan_putaway(item(qty=12), bins(), 'nearest_empty', zone='Z')
    assert [(x.bin, x.qty) for x in res.lines] == [('NEAR', 10), ('FAR', 2)]
    res = plan_putaway(item(qty=12, abc_class='C'), bins(),
                       'nearest_empty', zone='Z')
    assert [(x.bin, x.qty) for x in res.lines] == [('FAR', 12)]


def test_heavy_low_prefers_floor_and_excludes_high_levels():
    bs = bins()
    bs[0] = BinState('NEAR', zone='Z', level=2, x=1, y=0,
                     capacity_volume_m3=1.0, capacity_weight_kg=1000,
                     pallet_positions=1, heavy_allowed=False)
    res = plan_putaway(item(unit_weight_kg=30), bs, 'heavy_low', zone='Z')
    # MID (level 1, same product, 0.5 m3 left -> 5 units) then FAR
    assert [(x.bin, x.qty) for x in res.lines] == [('MID', 5), ('FAR', 5)]
    res = plan_putaway(item(unit_weight_kg=30, qty=30), bs, 'heavy_low',
                       zone='Z')
    assert res.placed_qty == 25 and res.unplaced_qty == 5
    assert 'heavy goods' in res.reason
    assert 'holds other products' in res.reason


def test_fixed_bin_and_reason():
    res = plan_putaway(item(qty=3), bins(), 'fixed', fixed_bin='FAR')
    assert [(x.bin, x.qty) for x in res.lines] == [('FAR', 3)]
    res = plan_putaway(item(qty=30), bins(), 'fixed', fixed_bin='FAR')
    assert res.placed_qty == 20 and res.unplaced_qty == 10
    res = plan_putaway(item(qty=3), bins(), 'fixed', fixed_bin='NOPE')
    assert res.unplaced_qty == 3 and 'NOPE' in res.reason


def test_nothing_fits_reason_names_constraint():
    res = plan_putaway(item(unit_weight_kg=2000), bins(), 'consolidate',
                       zone='Z', heavy_threshold_kg=1e9)
    assert res.lines == () and res.unplaced_qty == 10
    assert 'no remaining weight' in res.reason
    assert "zone 'Z'" in res.reason


def test_no_split_needs_single_bin():
    res = plan_putaway(item(qty=12), bins(), 'consolidate', zone='Z',
                       allow_split=False)
    assert [(x.bin, x.qty) for x in res.lines] == [('FAR', 12)]
    res = plan_putaway(item(qty=25), bins(), 'consolidate', zone='Z',
                       allow_split=False)
    assert res.lines == () and 'split not allowed' in res.reason


def test_mixed_allowed():
    res = plan_putaway(item(qty=12), bins(), 'consolidate', zone='Z',
                       allow_mixed=True)
    assert [(x.bin, x.qty) for x in res.lines] == [('MID', 5), ('NEAR', 7)]
    res = plan_putaway(item(qty=40), bins(), 'consolidate', zone='Z',
                       allow_mixed=True)
    assert [x.bin for x in res.lines] == ['MID', 'NEAR', 'OTHER']


def test_bad_input():
    with pytest.raises(ValueError, match='strategy'):
        plan_putaway(item(), bins(), 'random')
    with pytest.raises(ValueError, match='item.qty'):
        plan_putaway(item(qty=-1), bins(), 'consolidate')
    with pytest.raises(ValueError, match='fixed_bin'):
        plan_putaway(item(), bins(), 'fixed')
    with pytest.raises(ValueError, match='used_volume_m3'):
        plan_putaway(item(), [BinState('X', used_volume_m3=-1)],
                     'consolidate')


bin_st = st.builds(
    lambda i, lvl, cv, cw, cp, uv, uw, up, prod: BinState(
        'B%d' % i, zone='Z', level=lvl, x=i, y=0,
        capacity_volume_m3=cv, capacity_weight_kg=cw, pallet_positions=cp,
        used_volume_m3=min(uv, cv), used_weight_kg=min(uw, cw),
        used_pallets=min(up, cp), products=frozenset(prod),
        heavy_allowed=lvl <= 2),
    st.integers(0, 10_000), st.integers(1, 5),
    st.floats(0, 5), st.floats(0, 2000), st.integers(0, 3),
    st.floats(0, 5), st.floats(0, 2000), st.integers(0, 3),
    st.sets(st.integers(1, 3), max_size=2))


@settings(max_examples=80, deadline=None)
@given(st.lists(bin_st, max_size=8, unique_by=lambda b: b.code),
       st.integers(0, 200), st.floats(0.01, 100), st.floats(0.001, 1),
       st.one_of(st.none(), st.integers(1, 20)),
       st.sampled_from(['consolidate', 'nearest_empty', 'heavy_low']),
       st.booleans())
def test_never_exceeds_capacity(bs, qty, uw, uv, upp, strategy, mixed):
    it = item(qty=qty, unit_weight_kg=uw, unit_volume_m3=uv,
              units_per_pallet=upp)
    res = plan_putaway(it, bs, strategy, allow_mixed=mixed)
    assert res.placed_qty + res.unplaced_qty == qty
    assert (res.reason is None) == (res.unplaced_qty == 0)
    by = {b.code: b for b in bs}
    assert len({x.bin for x in res.lines}) == len(res.lines)
    for line in res.lines:
        b = by[line.bin]
        assert line.qty > 0
        assert b.used_volume_m3 + line.qty * uv <= \
            b.capacity_volume_m3 + 1e-6
        assert b.used_weight_kg + line.qty * uw <= \
            b.capacity_weight_kg + 1e-6
        if upp:
            assert b.used_pallets + -(-line.qty // upp) <= \
                b.pallet_positions
        if uw >= 25:
            assert b.heavy_allowed
        if not mixed:
            assert not (b.products - {1})
