# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_wms.engine.waves import (
    WaveLimits,
    WaveShipment,
    plan_waves,
)

T0 = dt.datetime(2025, 3, 1, 12, 0)
T1 = dt.datetime(2025, 3, 1, 16, 0)


def shp(i, carrier='UPS', cutoff=T1, lines=2, units=10, vol=0.1,
        prio=10, zones=('A',)):
    return WaveShipment(i, carrier, cutoff, frozenset(zones), lines, units,
                        vol, prio)


def test_grouping_by_carrier_cutoff_and_order():
    ships = [shp(1, 'UPS', T1), shp(2, 'DHL', T0), shp(3, 'UPS', T0),
             shp(4, 'UPS', T1), shp(5, 'DHL', None)]
    waves = plan_waves(ships)
    got = [(w.carrier, w.cutoff, w.shipment_ids) for w in waves]
    assert got == [('DHL', T0, [2]), ('UPS', T0, [3]), ('UPS', T1, [1, 4]),
                   ('DHL', None, [5])]
    assert [w.sequence for w in waves] == [1, 2, 3, 4]


def test_limits_split_waves_first_fit_by_priority():
    ships = [shp(1, lines=4, prio=5), shp(2, lines=4, prio=1),
             shp(3, lines=3, prio=9), shp(4, lines=2, prio=7)]
    waves = plan_waves(ships, WaveLimits(max_lines=6))
    # order by priority: 2 (4), 1 (4), 4 (2), 3 (3)
    # 2 -> W1; 1 -> W2; 4 -> W1 (6); 3 -> W2 (7 > 6)? no -> W3
    assert [w.shipment_ids for w in waves] == [[2, 4], [1], [3]]
    assert [w.lines for w in waves] == [6, 4, 3]


def test_units_volume_and_count_limits():
    ships = [shp(i, units=30, vol=0.4) for i in range(6)]
    w = plan_waves(ships, WaveLimits(max_units=100))
    assert [len(x.shipment_ids) for x in w] == [3, 3]
    w = plan_waves(ships, WaveLimits(max_volume_m3=1.0))
    assert [len(x.shipment_ids) for x in w] == [2, 2, 2]
    w = plan_waves(ships, WaveLimits(max_shipments=4))
    assert [len(x.shipment_ids) for x in w] == [4, 2]


def test_zone_grouping_and_union():
    ships = [shp(1, zones=('A',)), shp(2, zones=('B',)),
             shp(3, zones=('A',))]
    w = plan_waves(ships, group_by_zone=True)
    assert sorted(x.shipment_ids for x in w) == [[1, 3], [2]]
    w = plan_waves(ships)
    assert len(w) == 1 and w[0].zones == frozenset('AB')


def test_oversize_gets_own_wave():
    ships = [shp(1, lines=50), shp(2, lines=3)]
    w = plan_waves(ships, WaveLimits(max_lines=10))
    # same group: taken in id order, the oversize one is alone
    assert [(x.shipment_ids, x.oversize) for x in w] == [
        ([1], True), ([2], False)]
    assert sum(x.oversize for x in w) == 1


def test_bad_input():
    with pytest.raises(ValueError, match='max_lines'):
        plan_waves([], WaveLimits(max_lines=0))
    with pytest.raises(ValueError, match='shipment.units'):
        plan_waves([shp(1, units=-1)])
    with pytest.raises(ValueError, match='duplicate'):
        plan_waves([shp(1), shp(1)])
    with pytest.raises(ValueError, match='cutoff'):
        plan_waves([shp(1, cutoff='tomorrow')])


ship_st = st.builds(
    lambda c, h, z, li, u, v, p: (c, T0 + dt.timedelta(hours=h), z, li, u,
                                  v, p),
    st.sampled_from(['A', 'B', 'C']), st.integers(0, 3),
    st.sets(st.sampled_from('XYZ'), min_size=1, max_size=2),
    st.integers(0, 12), st.integers(0, 60), st.floats(0, 1.5),
    st.integers(0, 5))


@settings(max_examples=60, deadline=None)
@given(st.lists(ship_st, max_size=60), st.booleans())
def test_partition_respects_limits_and_grouping(rows, by_zone):
    ships = [WaveShipment(i, c, t, frozenset(z), li, u, v, p)
             for i, (c, t, z, li, u, v, p) in enumerate(rows)]
    lim = WaveLimits(max_lines=20, max_units=100, max_volume_m3=2.0,
                     max_shipments=6)
    waves = plan_waves(ships, lim, group_by_zone=by_zone)
    ids = [i for w in waves for i in w.shipment_ids]
    assert sorted(ids) == list(range(len(ships)))
    by_id = {s.id: s for s in ships}
    keys = []
    for w in waves:
        members = [by_id[i] for i in w.shipment_ids]
        assert len({(s.carrier, s.cutoff) for s in members}) == 1
        if by_zone:
            assert len({s.zones for s in members}) == 1
        assert w.lines == sum(s.lines for s in members)
        if not w.oversize:
            assert w.lines <= 20 and w.units <= 100
            assert w.volume_m3 <= 2.0 + 1e-9 and len(members) <= 6
        else:
            assert len(members) == 1
        keys.append(w.cutoff)
    assert keys == sorted(keys)
