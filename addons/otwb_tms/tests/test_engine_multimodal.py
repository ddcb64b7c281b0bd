# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_tms.engine.multimodal import (
    Lane,
    LaneNetwork,
    Node,
    best_route,
    exhaustive_route,
    lane_cost,
    quote,
)


# ------------------------------------------------------------ steel
def steel_network():
    """Shanghai mill -> Wuhan customer, three ways (rates in CNY)."""
    nodes = [
        Node('SHA-MILL', 'hub', 'Baosteel Shanghai'),
        Node('WUH-RAIL', 'rail_station', 'Wuhan rail yard'),
        Node('WUH-PORT', 'port', 'Wuhan Yangluo port'),
        Node('WUH-CUST', 'road', 'Wuhan customer'),
        ]
    lanes = [
        Lane('ftl', 'SHA-MILL', 'WUH-CUST', 'road', 'FTL carrier',
            distance_km=840, transit_hours=36, cost_per_tkm='0.30'),
        Lane('rail', 'SHA-MILL', 'WUH-RAIL', 'rail', 'China Railway',
            distance_km=1050, transit_hours=72, cost_per_tkm='0.155',
            handling_per_t=15),
        Lane('rail-dray', 'WUH-RAIL', 'WUH-CUST', 'road', 'Local truck',
            distance_km=40, transit_hours=2, cost_per_tkm='0.30'),
        Lane('barge', 'SHA-MILL', 'WUH-PORT', 'water', 'Yangtze barge',
            distance_km=1125, transit_hours=120, cost_per_tkm='0.05'),
        Lane('port-dray', 'WUH-PORT', 'WUH-CUST', 'road', 'Local truck',
            distance_km=30, transit_hours=2, cost_per_tkm='0.30'),
        ]
    return LaneNetwork(nodes, lanes)


# hand computations for 25 t
ROAD = Decimal('6300.00')       # 840 x 0.30 x 25
RAIL = Decimal('5118.75')       # 1050 x 0.155 x 25 = 4068.75
#                                 + 2 x 15 x 25 = 750 + 40 x 0.30 x 25 = 300
BARGE = Decimal('1631.25')      # 1125 x 0.05 x 25 = 1406.25
#                                 + 30 x 0.30 x 25 = 225


def test_lane_costs_by_hand():
    net = steel_network()
    assert lane_cost(net.lanes['ftl'], 25) == ROAD
    assert lane_cost(net.lanes['rail'], 25) == Decimal('4818.75')
    assert lane_cost(net.lanes['barge'], 25) == Decimal('1406.25')
    lane = Lane('x', 'A', 'B', 'road', distance_km=100,
        cost_per_tkm='0.2', fixed_per_t=3, fixed_per_shipment=50,
        handling_per_t='1.5')
    # 50 + 10 x (3 + 20 + 3)
    assert lane_cost(lane, 10) == Decimal('310')


def test_steel_tight_deadline_picks_road():
    q = quote(steel_network(), 'SHA-MILL', 'WUH-CUST', 25,
        deadline_hours=48)
    assert q.best.modes == ('road',)
    assert q.best.total_cost == ROAD
    assert q.best.total_hours == 36
    assert q.road_only.total_cost == ROAD
    assert q.saving == 0


def test_steel_medium_deadline_picks_rail():
    q = quote(steel_network(), 'SHA-MILL', 'WUH-CUST', 25,
        deadline_hours=96)
    assert q.best.modes == ('rail', 'road')
    assert q.best.total_cost == RAIL
    assert q.best.total_hours == 74
    assert q.best.legs[0].handover_node == 'WUH-RAIL'
    assert q.best.legs[0].cost == Decimal('4818.75')
    assert q.best.legs[1].cost == Decimal('300.00')
    assert q.best.legs[1].depart_hour == 72
    assert q.best.total_km == 1090
    assert q.saving == ROAD - RAIL == Decimal('1181.25')


def test_steel_loose_deadline_picks_barge():
    q = quote(steel_network(), 'SHA-MILL', 'WUH-CUST', 25,
        deadline_hours=7 * 24)
    assert q.best.modes == ('water', 'road')
    assert q.best.nodes == ('SHA-MILL', 'WUH-PORT', 'WUH-CUST')
    assert q.best.total_cost == BARGE
    assert q.best.total_hours == 122
    assert q.saving == Decimal('4668.75')
    # no deadline at all: barge too
    assert best_route(steel_network(), 'SHA-MILL', 'WUH-CUST',
        25).total_cost == BARGE


def test_steel_fastest_and_impossible():
    net = steel_network()
    r = best_route(net, 'SHA-MILL', 'WUH-CUST', 25, objective='fastest')
    assert r.modes == ('road',) and r.total_hours == 36
    q = quote(net, 'SHA-MILL', 'WUH-CUST', 25, deadline_hours=24)
    assert q.best is None and q.road_only is None and q.saving is None
    assert 'deadline' in q.reason


# ------------------------------------------------------------- coal
def coal_network():
    nodes = [
        Node('MINE', 'rail_station', 'Datong mine'),
        Node('QHD', 'port', 'Qinhuangdao port', transfer_hours=12),
        Node('PLANT', 'port', 'Guangzhou power plant jetty'),
        ]
    lanes = [
        Lane('coal-rail', 'MINE', 'QHD', 'rail', 'Daqin railway',
            distance_km=600, transit_hours=20, cost_per_tkm='0.12',
            handling_per_t=10, every_hours=24, first_departure_hour=6,
            cutoff_hours=4),
        Lane('coal-sea', 'QHD', 'PLANT', 'water', 'Coastal bulk',
            distance_km=2600, transit_hours=96, cost_per_tkm='0.025',
            handling_per_t=12, fixed_per_shipment=20000, every_hours=48,
            first_departure_hour=0),
        Lane('coal-road', 'MINE', 'PLANT', 'road', 'Trucking pool',
            distance_km=2400, transit_hours=60, cost_per_tkm='0.35'),
        ]
    return LaneNetwork(nodes, lanes)


def test_coal_rail_sea():
    # rail: 5000 x (600 x 0.12 + 2 x 10) = 460,000
    # sea: 20,000 + 5000 x (2600 x 0.025 + 2 x 12) = 465,000
    # road: 5000 x 2400 x 0.35 = 4,200,000
    q = quote(coal_network(), 'MINE', 'PLANT', 5000)
    assert q.best.modes == ('rail', 'water')
    assert [leg.cost for leg in q.best.legs] == [
        Decimal('460000'), Decimal('465000')]
    assert q.best.total_cost == Decimal('925000')
    assert q.road_only.total_cost == Decimal('4200000')
    assert q.saving == Decimal('3275000')
    # timing: train at 6 (cut-off 4 h, ready at 0), arrives 26, port
    # transfer 12 h -> ready 38, next sailing at 48, arrives 144
    rail, sea = q.best.legs
    assert (rail.depart_hour, rail.arrive_hour) == (6, 26)
    assert (sea.depart_hour, sea.arrive_hour) == (48, 144)
    assert q.best.total_hours == 144


def test_coal_start_after_cutoff_waits_a_day():
    # ready at hour 3: the 6:00 train needs goods by 2:00 -> next at 30
    r = best_route(coal_network(), 'MINE', 'PLANT', 5000, start_hour=3)
    assert r.legs[0].depart_hour == 30
    assert r.legs[1].depart_hour == 96  # ready 50+12=62 -> sailing at 96
    assert r.total_hours == 96 + 96 - 3
    # a 150 h deadline from hour 3 is now too tight for rail+sea: road
    r = best_route(coal_network(), 'MINE', 'PLANT', 5000,
        deadline_hours=150, start_hour=3)
    assert r.modes == ('road',)


def test_coal_port_transfer_time_counts():
    # leaving at 11 the train departs 30 and arrives 50; without the 12 h
    # port transfer the 96:00 sailing would be missed only barely: with it
    # the goods are ready at 62 -> sailing at 96.  Starting at 1 the train
    # departs 6, arrives 26, ready 38 -> sailing 48.
    r = best_route(coal_network(), 'MINE', 'PLANT', 5000, start_hour=1)
    assert r.legs[1].depart_hour == 48
    net = coal_network()
    nodes = list(net.nodes.values())
    nodes[1] = Node('QHD', 'port', transfer_hours=30)
    net = LaneNetwork(nodes, list(net.lanes.values()))
    # ready 26 + 30 = 56 -> next sailing 96, total 192 h > 150: road
    r = best_route(net, 'MINE', 'PLANT', 5000, start_hour=0)
    assert r.legs[1].depart_hour == 96
    assert best_route(net, 'MINE', 'PLANT', 5000,
        deadline_hours=150).modes == ('road',)
    # 180 h: rail+sea would arrive at 144 if the transfer were ignored
    assert best_route(net, 'MINE', 'PLANT', 5000,
        deadline_hours=180).modes == ('road',)
    assert best_route(net, 'MINE', 'PLANT', 5000,
        deadline_hours=192).modes == ('rail', 'water')


def test_capacity_limited_lane():
    net = steel_network()
    lanes = list(net.lanes.values())
    lanes[3] = Lane('barge', 'SHA-MILL', 'WUH-PORT', 'water',
        distance_km=1125, transit_hours=120, cost_per_tkm='0.05',
        max_tonnes=20)
    net = LaneNetwork(list(net.nodes.values()), lanes)
    assert best_route(net, 'SHA-MILL', 'WUH-CUST', 25).modes == (
        'rail', 'road')
    assert best_route(net, 'SHA-MILL', 'WUH-CUST', 20).modes == (
        'water', 'road')


@pytest.mark.parametrize('kwargs, match', [
    ({'origin': 'X'}, 'origin'),
    ({'tonnes': 0}, 'tonnes'),
    ({'tonnes': -1}, 'tonnes'),
    ({'objective': 'greenest'}, 'objective'),
    ({'deadline_hours': -5}, 'deadline_hours'),
    ])
def test_bad_queries(kwargs, match):
    args = {'network': steel_network(), 'origin': 'SHA-MILL',
        'destination': 'WUH-CUST', 'tonnes': 25}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        best_route(**args)


def test_bad_network():
    a, b = Node('A'), Node('B')
    with pytest.raises(ValueError, match="mode 'teleport'"):
        LaneNetwork([a, b], [Lane('l', 'A', 'B', 'teleport')])
    with pytest.raises(ValueError, match="to_node 'C'"):
        LaneNetwork([a, b], [Lane('l', 'A', 'C', 'road')])
    with pytest.raises(ValueError, match='cost_per_tkm'):
        LaneNetwork([a, b], [Lane('l', 'A', 'B', 'road',
            cost_per_tkm=-1)])
    with pytest.raises(ValueError, match='every_hours'):
        LaneNetwork([a, b], [Lane('l', 'A', 'B', 'road', every_hours=0)])
    with pytest.raises(ValueError, match='kind'):
        LaneNetwork([Node('A', 'spaceport')], [])


# ----------------------------------------- label-setting == exhaustive
@st.composite
def networks(draw):
    n = draw(st.integers(3, 7))
    nodes = [Node(i, 'hub', transfer_hours=draw(st.sampled_from(
        [0, 0, 2, 12]))) for i in range(n)]
    lanes = []
    pairs = draw(st.lists(st.tuples(
        st.integers(0, n - 1), st.integers(0, n - 1)),
        min_size=n, max_size=18))
    for k, (a, b) in enumerate(pairs):
        if a == b:
            continue
        every = draw(st.sampled_from([None, None, 6, 24]))
        lanes.append(Lane(
            k, a, b, draw(st.sampled_from(['road', 'rail', 'water'])),
            distance_km=draw(st.integers(1, 500)),
            transit_hours=draw(st.integers(0, 60)),
            cost_per_tkm=draw(st.sampled_from(
                ['0', '0.05', '0.155', '0.3'])),
            fixed_per_shipment=draw(st.sampled_from([0, 100])),
            handling_per_t=draw(st.sampled_from([0, 15])),
            every_hours=every,
            first_departure_hour=draw(st.integers(0, 23)),
            cutoff_hours=draw(st.integers(0, 4)),
            max_tonnes=draw(st.sampled_from([None, None, 10]))))
    return LaneNetwork(nodes, lanes), n


def _key(r, objective):
    if r is None:
        return None
    if objective == 'cheapest':
        return (r.total_cost, r.arrive_hour)
    return (r.arrive_hour, r.total_cost)


def test_deadline_needs_a_dearer_first_leg():
    # the cheapest way to the hub is too slow to catch the deadline, so a
    # one-label-per-node search (plain Dijkstra on cost) would fail here
    net = LaneNetwork([Node('A'), Node('H', 'hub'), Node('Z')], [
        Lane('slow', 'A', 'H', 'water', distance_km=100, transit_hours=50,
            cost_per_tkm='0.05'),
        Lane('fast', 'A', 'H', 'road', distance_km=100, transit_hours=5,
            cost_per_tkm='0.30'),
        Lane('last', 'H', 'Z', 'rail', distance_km=200, transit_hours=10,
            cost_per_tkm='0.10'),
        Lane('direct', 'A', 'Z', 'air', distance_km=250, transit_hours=2,
            cost_per_tkm='2'),
        ])
    r = best_route(net, 'A', 'Z', 10, deadline_hours=20)
    assert [leg.lane for leg in r.legs] == ['fast', 'last']
    assert r.total_cost == Decimal('500')  # 10 x (30 + 20)
    r = best_route(net, 'A', 'Z', 10, deadline_hours=60)
    assert [leg.lane for leg in r.legs] == ['slow', 'last']
    assert r.total_cost == Decimal('250')  # 10 x (5 + 20)
    r = best_route(net, 'A', 'Z', 10, deadline_hours=10)
    assert [leg.lane for leg in r.legs] == ['direct']


def test_two_labels_at_the_hub():
    # both ways to the hub must be kept: the cheap slow one can still make
    # the deadline (with the dear fast last leg) but the overall cheapest
    # is the dear fast first leg followed by the cheap slow last leg
    net = LaneNetwork([Node('A'), Node('H', 'hub'), Node('Z')], [
        Lane('slow1', 'A', 'H', 'water', transit_hours=50,
            fixed_per_shipment=100),
        Lane('fast1', 'A', 'H', 'road', transit_hours=5,
            fixed_per_shipment=300),
        Lane('fast2', 'H', 'Z', 'road', transit_hours=10,
            fixed_per_shipment=1000),
        Lane('slow2', 'H', 'Z', 'water', transit_hours=40,
            fixed_per_shipment=200),
        ])
    for objective in ('cheapest', 'fastest'):
        for deadline in (45, 60, 90, None):
            fast = best_route(net, 'A', 'Z', 1, deadline, objective)
            slow = exhaustive_route(net, 'A', 'Z', 1, deadline, objective)
            assert _key(fast, objective) == _key(slow, objective)
    r = best_route(net, 'A', 'Z', 1, deadline_hours=60)
    assert [leg.lane for leg in r.legs] == ['fast1', 'slow2']
    assert r.total_cost == 500
    r = best_route(net, 'A', 'Z', 1, deadline_hours=50, objective='fastest')
    assert [leg.lane for leg in r.legs] == ['fast1', 'fast2']


@settings(max_examples=300, deadline=None)
@given(networks(), st.sampled_from(['cheapest', 'fastest']),
    st.sampled_from([None, 'between', 'between', 24, 100]),
    st.sampled_from([5, 25]), st.integers(0, 30), st.data())
def test_label_setting_equals_exhaustive(net_n, objective, deadline,
        tonnes, start, data):
    net, n = net_n
    o = data.draw(st.integers(0, n - 1))
    d = data.draw(st.integers(0, n - 1).filter(lambda x: x != o))
    if deadline == 'between':
        # the interesting deadlines lie between the fastest arrival and
        # the arrival of the cheapest route
        quick = exhaustive_route(net, o, d, tonnes, None, 'fastest', start)
        cheap = exhaustive_route(net, o, d, tonnes, None, 'cheapest', start)
        if quick is None:
            deadline = None
        else:
            lo, hi = quick.total_hours, cheap.total_hours
            deadline = lo + data.draw(st.floats(0, 1)) * (hi - lo)
    fast = best_route(net, o, d, tonnes, deadline, objective, start)
    slow = exhaustive_route(net, o, d, tonnes, deadline, objective, start)
    assert _key(fast, objective) == _key(slow, objective)
    plain = best_route(net, o, d, tonnes, deadline, objective, start,
        guided=False)
    assert _key(plain, objective) == _key(slow, objective)
    if fast is not None and fast.legs:
        # the returned path is a real path meeting the deadline
        assert fast.legs[0].from_node == o and fast.legs[-1].to_node == d
        for a, b in zip(fast.legs[:-1], fast.legs[1:], strict=True):
            assert a.to_node == b.from_node
            assert b.depart_hour >= a.arrive_hour
        if deadline is not None:
            assert fast.arrive_hour <= start + deadline + 1e-9
        assert fast.total_cost == sum(
            lane_cost(net.lanes[leg.lane], tonnes) for leg in fast.legs)
