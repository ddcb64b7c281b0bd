# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import dataclasses
import random
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_tms.engine.distance import GreatCircleProvider
from trytond.modules.otwb_tms.engine.vrp import (
    Depot,
    LockedTrip,
    PlanningProblem,
    Stop,
    VehicleType,
    build_matrix,
    check_plan,
    plan_nearest_neighbour,
    plan_routes,
)

FAST = {'time_limit_s': 10, 'no_improvement': 300, 'seed': 3}


def line_matrix(positions):
    """Points on a line at ``positions`` km; driving 1 km per minute."""
    p = np.asarray(positions, dtype=float)
    d = np.abs(p[:, None] - p[None, :])
    return d, d.copy()


def line_problem(stops, vehicles=None, depot=None, locked=()):
    depot = depot or Depot('D', 0, 0, 0, 600)
    vehicles = vehicles or [VehicleType(
        'V', 'D', capacity_kg=1000, capacity_m3=10, fixed_cost=100,
        cost_per_km=2, cost_per_hour=60, count=2)]
    return PlanningProblem([depot], vehicles, stops, locked)


def test_single_route_hand_computed():
    # D at 0, A at 10 km, B at 20 km; A's window makes the order unique
    stops = [Stop('A', 0, 0, weight_kg=300, volume_m3=1, service_min=10,
            tw_end_min=15),
        Stop('B', 0, 0, weight_kg=200, volume_m3=2, service_min=10)]
    prob = line_problem(stops)
    matrix = line_matrix([0, 10, 20])
    for plan in (plan_routes(prob, matrix=matrix, **FAST),
            plan_nearest_neighbour(prob, matrix=matrix)):
        assert check_plan(prob, plan, matrix=matrix) == []
        assert plan.unassigned == []
        [r] = plan.routes
        assert r.stops == ('A', 'B')
        assert r.loading_sequence == ('B', 'A')
        assert r.distance_km == 40
        assert r.depart_min == 0 and r.return_min == 60
        assert r.duration_min == 60
        # 100 fixed + 40 km x 2 + 1 h x 60
        assert r.cost == Decimal('240.00')
        assert plan.total_cost == Decimal('240.00')
        assert (r.load_kg, r.load_m3) == (500, 3)
        a, b = r.visits
        assert (a.arrival_min, a.start_min, a.end_min) == (10, 10, 20)
        assert (b.arrival_min, b.start_min, b.end_min) == (30, 30, 40)
        assert (a.distance_km, b.distance_km) == (10, 10)


def test_capacity_splits_routes():
    stops = [Stop('A', 0, 0, weight_kg=600, service_min=10),
        Stop('B', 0, 0, weight_kg=600, service_min=10)]
    prob = line_problem(stops)
    matrix = line_matrix([0, 10, 20])
    plan = plan_routes(prob, matrix=matrix, **FAST)
    assert check_plan(prob, plan, matrix=matrix) == []
    costs = sorted(r.cost for r in plan.routes)
    # D-A-D: 100 + 20 x 2 + 30 min; D-B-D: 100 + 40 x 2 + 50 min
    assert costs == [Decimal('170.00'), Decimal('230.00')]
    assert plan.total_cost == Decimal('400.00')
    assert {r.unit for r in plan.routes} == {1, 2}


def test_volume_splits_routes_too():
    stops = [Stop('A', 0, 0, weight_kg=10, volume_m3=6),
        Stop('B', 0, 0, weight_kg=10, volume_m3=6)]
    prob = line_problem(stops)
    matrix = line_matrix([0, 10, 20])
    plan = plan_routes(prob, matrix=matrix, **FAST)
    assert check_plan(prob, plan, matrix=matrix) == []
    assert sorted(len(r.stops) for r in plan.routes) == [1, 1]


def test_short_fleet_leaves_a_stop_with_reason():
    stops = [Stop('A', 0, 0, weight_kg=600), Stop('B', 0, 0, weight_kg=600)]
    vehicles = [VehicleType('V', 'D', 1000, 10, cost_per_km=1, count=1)]
    prob = line_problem(stops, vehicles)
    matrix = line_matrix([0, 10, 20])
    for plan in (plan_routes(prob, matrix=matrix, **FAST),
            plan_nearest_neighbour(prob, matrix=matrix)):
        assert check_plan(prob, plan, matrix=matrix) == []
        assert len(plan.routes) == 1 and len(plan.routes[0].stops) == 1
        [u] = plan.unassigned
        assert u.reason.startswith('not served: no vehicle left')


def test_time_windows_order_and_waiting():
    # B (20 km) must be served by minute 25, A (10 km) only from 60
    stops = [
        Stop('A', 0, 0, service_min=5, tw_start_min=60, tw_end_min=90),
        Stop('B', 0, 0, service_min=5, tw_start_min=0, tw_end_min=25)]
    prob = line_problem(stops)
    matrix = line_matrix([0, 10, 20])
    for plan in (plan_routes(prob, matrix=matrix, **FAST),
            plan_nearest_neighbour(prob, matrix=matrix)):
        assert check_plan(prob, plan, matrix=matrix) == []
        assert not plan.unassigned
        if len(plan.routes) == 1:
            [r] = plan.routes
            assert r.stops == ('B', 'A')
            b, a = r.visits
            # departure delayed to 5 (B's window ends at 25): B at 25-30,
            # A reached 40, waits 20 until 60, back at 75
            assert r.depart_min == 5
            assert (b.arrival_min, b.end_min) == (25, 30)
            assert (a.arrival_min, a.start_min, a.wait_min) == (40, 60, 20)
            assert r.return_min == 75 and r.duration_min == 70
    # PyVRP takes one vehicle (two would cost another 100 fixed)
    plan = plan_routes(prob, matrix=matrix, **FAST)
    assert len(plan.routes) == 1
    # 100 + 40 km x 2 + 70 min x 1/min
    assert plan.routes[0].cost == Decimal('250.00')


def test_departure_delayed_to_avoid_waiting():
    stops = [Stop('A', 0, 0, service_min=10, tw_start_min=120,
        tw_end_min=180)]
    prob = line_problem(stops)
    matrix = line_matrix([0, 30])
    plan = plan_routes(prob, matrix=matrix, **FAST)
    [r] = plan.routes
    assert r.depart_min == 90 and r.visits[0].wait_min == 0
    assert r.return_min == 160 and r.duration_min == 70
    assert check_plan(prob, plan, matrix=matrix) == []


def test_precheck_reasons():
    stops = [
        Stop('HEAVY', 0, 0, weight_kg=30000),
        Stop('BULKY', 0, 0, volume_m3=90),
        Stop('EARLY', 0, 0, tw_start_min=0, tw_end_min=5),
        Stop('FAR', 0, 0),
        Stop('OK', 0, 0, weight_kg=100)]
    vehicles = [
        VehicleType('SMALL', 'D', 10000, 40, cost_per_km=1,
            max_duration_min=300),
        VehicleType('BIG', 'D', 25000, 80, cost_per_km=2,
            max_duration_min=300)]
    prob = line_problem(stops, vehicles, Depot('D', 0, 0, 0, 1440))
    matrix = line_matrix([0, 10, 10, 10, 200, 10])
    plan = plan_routes(prob, matrix=matrix, **FAST)
    reasons = {u.stop: u.reason for u in plan.unassigned}
    assert reasons['HEAVY'] == (
        'weight 30000 kg exceeds the largest vehicle capacity 25000 kg')
    assert reasons['BULKY'] == (
        'volume 90 m3 exceeds the largest vehicle capacity 80 m3')
    assert reasons['EARLY'].startswith(
        'time window 0-5 min unreachable from any depot')
    assert reasons['FAR'] == (
        'round trip of 400 min exceeds the longest duty 300 min')
    assert 'OK' not in reasons
    assert check_plan(prob, plan, matrix=matrix) == []
    # depot closing
    prob = line_problem([Stop('LATE', 0, 0, tw_start_min=590)])
    plan = plan_routes(prob, matrix=line_matrix([0, 30]), **FAST)
    assert plan.unassigned[0].reason == (
        'cannot return to the depot before it closes')


def test_duty_limit_forces_two_routes():
    # each stop alone: 2 x 40 km + 30 min = 110 min; both: 200 + ... > 150
    stops = [Stop('A', 0, 0, service_min=30), Stop('B', 0, 0,
        service_min=30)]
    vehicles = [VehicleType('V', 'D', 1000, 10, cost_per_km=1,
        max_duration_min=150, count=2)]
    prob = line_problem(stops, vehicles)
    matrix = line_matrix([0, 40, -40])
    for plan in (plan_routes(prob, matrix=matrix, **FAST),
            plan_nearest_neighbour(prob, matrix=matrix)):
        assert check_plan(prob, plan, matrix=matrix) == []
        assert len(plan.routes) == 2 and not plan.unassigned
        assert all(r.duration_min == 110 for r in plan.routes)


def test_locked_trip_is_kept():
    stops = [Stop(f'S{i}', 0, 0, weight_kg=100, service_min=5)
        for i in range(6)]
    vehicles = [VehicleType('V', 'D', 1000, 10, cost_per_km=1, count=2)]
    locked = [LockedTrip('V', ('S5', 'S0'))]
    prob = line_problem(stops, vehicles, locked=locked)
    matrix = line_matrix([0, 5, 10, 15, 20, 25, 30])
    plan = plan_routes(prob, matrix=matrix, **FAST)
    assert check_plan(prob, plan, matrix=matrix) == []
    lr = [r for r in plan.routes if r.locked]
    assert len(lr) == 1 and lr[0].stops == ('S5', 'S0')
    others = [r for r in plan.routes if not r.locked]
    assert len(others) == 1
    assert sorted(others[0].stops) == ['S1', 'S2', 'S3', 'S4']
    assert {r.unit for r in plan.routes} == {1, 2}
    # locked vehicle count exhausted: the rest cannot be served
    prob1 = line_problem(stops, [dataclasses.replace(vehicles[0],
        count=1)], locked=locked)
    plan1 = plan_routes(prob1, matrix=matrix, **FAST)
    assert check_plan(prob1, plan1, matrix=matrix) == []
    assert {u.reason for u in plan1.unassigned} == {
        'not served: no vehicle left'}
    assert len(plan1.unassigned) == 4


def test_optional_stops_and_prizes():
    stops = [Stop('REQ', 0, 0),
        Stop('WORTH', 0, 0, required=False, prize=500),
        Stop('NOT', 0, 0, required=False, prize=1)]
    vehicles = [VehicleType('V', 'D', 1000, 10, cost_per_km=2, count=1)]
    prob = line_problem(stops, vehicles)
    # REQ at 10, WORTH at 20 (detour 20 km = 40), NOT at -50 (200)
    matrix = line_matrix([0, 10, 20, -50])
    plan = plan_routes(prob, matrix=matrix, **FAST)
    assert check_plan(prob, plan, matrix=matrix) == []
    assert sorted(plan.routes[0].stops) == ['REQ', 'WORTH']
    assert plan.total_cost == Decimal('80.00')  # 40 km x 2
    [u] = plan.unassigned
    assert u.stop == 'NOT' and 'optional' in u.reason


def test_heterogeneous_fleet_picks_cheaper_vehicle():
    stops = [Stop('A', 0, 0, weight_kg=500)]
    vehicles = [
        VehicleType('BIG', 'D', 25000, 80, fixed_cost=300, cost_per_km=5),
        VehicleType('VAN', 'D', 1000, 10, fixed_cost=50, cost_per_km=1)]
    prob = line_problem(stops, vehicles)
    plan = plan_routes(prob, matrix=line_matrix([0, 10]), **FAST)
    assert [r.vehicle for r in plan.routes] == ['VAN']
    assert plan.total_cost == Decimal('70.00')


def test_multi_depot():
    depots = [Depot('W', 0, 0), Depot('E', 0, 0)]
    vehicles = [VehicleType('VW', 'W', 1000, 10, cost_per_km=1),
        VehicleType('VE', 'E', 1000, 10, cost_per_km=1)]
    stops = [Stop('w1', 0, 0), Stop('e1', 0, 0)]
    prob = PlanningProblem(depots, vehicles, stops)
    matrix = line_matrix([0, 100, 5, 95])
    plan = plan_routes(prob, matrix=matrix, **FAST)
    assert check_plan(prob, plan, matrix=matrix) == []
    assert {r.vehicle: r.stops for r in plan.routes} == {
        'VW': ('w1',), 'VE': ('e1',)}
    assert plan.total_distance_km == 20


def test_check_plan_finds_violations():
    stops = [Stop('A', 0, 0, weight_kg=600, tw_end_min=100),
        Stop('B', 0, 0, weight_kg=600)]
    prob = line_problem(stops)
    matrix = line_matrix([0, 10, 20])
    plan = plan_routes(prob, matrix=matrix, **FAST)
    assert check_plan(prob, plan, matrix=matrix) == []
    r = plan.routes[0]
    merged = dataclasses.replace(r, stops=('A', 'B'))
    bad = dataclasses.replace(plan, routes=[merged])
    v = check_plan(prob, bad, matrix=matrix)
    assert any('exceeds capacity 1000 kg' in x for x in v)
    twice = dataclasses.replace(plan, routes=plan.routes + [plan.routes[0]])
    v = check_plan(prob, twice, matrix=matrix)
    assert any('served more than once' in x for x in v)
    missing = dataclasses.replace(plan, routes=plan.routes[:1])
    v = check_plan(prob, missing, matrix=matrix)
    assert any('neither routed nor unassigned' in x for x in v)
    ra = next(x for x in plan.routes if x.stops == ('A',))
    late = dataclasses.replace(ra, depart_min=200, return_min=220)
    v = check_plan(prob, dataclasses.replace(plan, routes=[
        late if x is ra else x for x in plan.routes]), matrix=matrix)
    assert any('after its window end' in x for x in v)
    short = [dataclasses.replace(prob.vehicles[0], max_duration_min=10)]
    v = check_plan(line_problem(stops, short), plan, matrix=matrix)
    assert any('exceeds max duration' in x for x in v)
    cheap = dataclasses.replace(plan, total_cost=Decimal('1'))
    assert any('total cost' in x for x in check_plan(prob, cheap,
        matrix=matrix))


@pytest.mark.parametrize('change, match', [
    (lambda p: dataclasses.replace(p, stops=[Stop('A', 0, 0,
        weight_kg=-1)]), "stop 'A' weight_kg must be >= 0"),
    (lambda p: dataclasses.replace(p, stops=[Stop('A', 0, 0,
        tw_start_min=50, tw_end_min=10)]), "tw_end_min 10 is before"),
    (lambda p: dataclasses.replace(p, stops=[Stop('A', 95, 0)]),
        'lat 95'),
    (lambda p: dataclasses.replace(p, vehicles=[VehicleType('V', 'X', 1,
        1)]), "vehicle 'V' depot 'X'"),
    (lambda p: dataclasses.replace(p, stops=[Stop('A', 0, 0),
        Stop('A', 0, 0)]), "stop id 'A' is not unique"),
    (lambda p: dataclasses.replace(p, locked_trips=[LockedTrip('V',
        ('Z',))]), "locked trip stop 'Z'"),
    (lambda p: dataclasses.replace(p, vehicles=[VehicleType('V', 'D', 1,
        1, cost_per_km='x')]), 'cost_per_km'),
    ])
def test_bad_input(change, match):
    prob = change(line_problem([Stop('A', 0, 0)]))
    with pytest.raises(ValueError, match=match):
        plan_routes(prob, **FAST)


def random_problem(rng, n, n_vehicles=3):
    depot = Depot('D', 31.23, 121.47, 360, 1200)
    vehicles = [
        VehicleType('T5', 'D', 5000, 30, fixed_cost=300, cost_per_km='3.2',
            cost_per_hour=45, max_duration_min=600, count=n_vehicles),
        VehicleType('T12', 'D', 12000, 60, fixed_cost=600, cost_per_km='4.5',
            cost_per_hour=55, max_duration_min=600, count=1)]
    stops = []
    for i in range(n):
        a = rng.randrange(360, 900, 30)
        stops.append(Stop(i, 31.23 + rng.uniform(-0.3, 0.3),
            121.47 + rng.uniform(-0.3, 0.3),
            weight_kg=rng.randint(100, 2500), volume_m3=rng.uniform(0.2, 6),
            service_min=rng.choice([10, 15, 20]), tw_start_min=a,
            tw_end_min=a + rng.choice([60, 120, 240]),
            required=rng.random() < 0.9, prize=rng.choice([0, 200])))
    return PlanningProblem([depot], vehicles, stops)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10 ** 6), st.integers(1, 25))
def test_random_plans_are_valid(seed, n):
    prob = random_problem(random.Random(seed), n)
    matrix = build_matrix(prob, GreatCircleProvider(1.3, 40))
    for plan in (plan_routes(prob, matrix=matrix, time_limit_s=5,
            no_improvement=200, seed=seed),
            plan_nearest_neighbour(prob, matrix=matrix)):
        assert check_plan(prob, plan, matrix=matrix) == []


def test_pyvrp_beats_baseline_deterministic_and_reports_progress():
    prob = random_problem(random.Random(7), 30, n_vehicles=5)
    matrix = build_matrix(prob)
    seen = []
    kw = {'time_limit_s': 30, 'max_iterations': 1500, 'seed': 11}
    plan = plan_routes(prob, matrix=matrix, progress=seen.append, **kw)
    again = plan_routes(prob, matrix=matrix, **kw)
    nn = plan_nearest_neighbour(prob, matrix=matrix)
    assert check_plan(prob, plan, matrix=matrix) == []
    assert [r.stops for r in plan.routes] == [r.stops for r in again.routes]
    assert plan.total_cost == again.total_cost
    served = sum(len(r.stops) for r in plan.routes)
    nn_served = sum(len(r.stops) for r in nn.routes)
    assert served >= nn_served
    if served == nn_served:
        assert plan.total_cost <= nn.total_cost
    assert seen and seen[-1] == 1.0
    assert all(0 <= x <= 1 for x in seen)
    assert seen == sorted(seen)


def test_multi_depot_stops_held_at_their_depot():
    "Each stop goes with a vehicle of its depot, even when another is nearer"
    depots = [Depot('W', 0, 0), Depot('E', 0, 0)]
    vehicles = [VehicleType('VW', 'W', 1000, 10, cost_per_km=1),
        VehicleType('VE', 'E', 1000, 10, cost_per_km=1)]
    # w1 is next to E but its goods are at W, and the other way round
    stops = [Stop('w1', 0, 0, depots=('W',)), Stop('e1', 0, 0, depots=('E',)),
        Stop('any', 0, 0)]
    prob = PlanningProblem(depots, vehicles, stops)
    matrix = line_matrix([0, 100, 95, 5, 2])
    for planner in (plan_routes, plan_nearest_neighbour):
        kwargs = FAST if planner is plan_routes else {}
        plan = planner(prob, matrix=matrix, **kwargs)
        assert check_plan(prob, plan, matrix=matrix) == [], planner
        served = {s: r.vehicle for r in plan.routes for s in r.stops}
        assert served == {'w1': 'VW', 'e1': 'VE', 'any': 'VW'}, planner
    # check_plan catches a stop on the wrong depot's vehicle
    bad = plan_routes(PlanningProblem(depots, vehicles, [
                Stop('w1', 0, 0), Stop('e1', 0, 0, depots=('E',)),
                Stop('any', 0, 0)]), matrix=matrix, **FAST)
    assert any('not held at depot' in p
        for p in check_plan(prob, bad, matrix=matrix))
    # no vehicle at the stop's depot: unassigned with the reason
    plan = plan_routes(PlanningProblem(depots, vehicles[:1], stops),
        matrix=matrix, **FAST)
    reasons = {u.stop: u.reason for u in plan.unassigned}
    assert list(reasons) == ['e1']
    assert 'no vehicle left at its depot E' in reasons['e1']
    with pytest.raises(ValueError, match="depot 'X' is not a depot id"):
        plan_routes(PlanningProblem(depots, vehicles,
                [Stop('x', 0, 0, depots=('X',))]), matrix=matrix, **FAST)


def test_stops_reserved_for_vehicles():
    """A stop reserved for some vehicles (the carrier chosen for the
    shipment) goes with one of them, even when another is cheaper"""
    vehicles = [VehicleType('OWN', 'D', 1000, 10, cost_per_km=1),
        VehicleType('SF', 'D', 1000, 10, cost_per_km=5)]
    stops = [Stop('sf', 0, 0, vehicles=('SF',)), Stop('any', 0, 0)]
    prob = PlanningProblem([Depot('D', 0, 0)], vehicles, stops)
    # 'any' on the other side of the depot
    matrix = line_matrix([0, 10, -10])
    for planner in (plan_routes, plan_nearest_neighbour):
        kwargs = FAST if planner is plan_routes else {}
        plan = planner(prob, matrix=matrix, **kwargs)
        assert check_plan(prob, plan, matrix=matrix) == [], planner
        served = {s: r.vehicle for r in plan.routes for s in r.stops}
        # 'any' goes with the cheap own vehicle, 'sf' with SF
        assert served == {'sf': 'SF', 'any': 'OWN'}, planner
    # check_plan catches a reserved stop on another vehicle
    bad = plan_routes(PlanningProblem([Depot('D', 0, 0)], vehicles, [
                Stop('sf', 0, 0), Stop('any', 0, 0)]), matrix=matrix,
        **FAST)
    assert any("reserved for vehicles SF" in p
        for p in check_plan(prob, bad, matrix=matrix))
    # the reserved vehicles are not available: unassigned, with why
    busy = [vehicles[0], dataclasses.replace(vehicles[1], count=0)]
    plan = plan_routes(PlanningProblem([Depot('D', 0, 0)], busy, stops),
        matrix=matrix, **FAST)
    assert [(u.stop, u.reason) for u in plan.unassigned] == [
        ('sf', 'none of its vehicles SF is left')]
    with pytest.raises(ValueError, match="vehicle 'SF' is not a vehicle"):
        plan_routes(PlanningProblem([Depot('D', 0, 0)], vehicles[:1],
                stops), matrix=matrix, **FAST)
