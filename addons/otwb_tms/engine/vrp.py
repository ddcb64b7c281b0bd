# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Daily trip planning: capacitated VRP with time windows (no Tryton import).

Solved with PyVRP 0.14 (hybrid iterated local search); a nearest-neighbour
planner with the same input and output serves as baseline and fallback.

Units
-----
* weight: kg; volume: m3; distance: km; positions: (lat, lon) degrees;
* times: minutes from the start of the planning day (``0`` = midnight);
  service times and durations in minutes;
* money: ``int``/``float``/``Decimal`` inputs, ``Decimal`` outputs rounded
  to 0.01 (currency is the caller's).

Internally distances are whole metres, times whole seconds, loads grams
and litres, and costs 1e-5 money units: ``check_plan`` uses the same
quantisation so its verdict matches the planner exactly.

Inputs
------
``Depot(id, lat, lon, open_min=0, close_min=1440)``
``VehicleType(id, depot, capacity_kg, capacity_m3, fixed_cost=0,
cost_per_km=0, cost_per_hour=0, max_duration_min=None, count=1)``
    ``depot`` is a depot id; the vehicle leaves and returns there.
    ``count`` identical vehicles exist (use ``count=1`` and the vehicle's
    own id for individual trucks).  ``fixed_cost`` is per trip used.
``Stop(id, lat, lon, weight_kg=0, volume_m3=0, service_min=0,
tw_start_min=0, tw_end_min=None, required=True, prize=0, depots=(),
vehicles=())``
    ``id`` is typically the shipment id.  The time window bounds the start
    of service.  Optional stops (``required=False``) are served only if
    their ``prize`` (money) exceeds the extra cost of serving them.
    ``depots`` restricts the stop to vehicles of those depot ids (the
    goods are there); empty: any depot.  ``vehicles`` restricts it to
    those vehicle type ids (e.g. the vehicles of the carrier chosen for
    the shipment); empty: any vehicle.  One PyVRP model holds them all:
    vehicles get a routing profile in which the stops they may not serve
    are unreachable (one profile per set of such stops).
``LockedTrip(vehicle, stop_ids)``
    An existing trip that is kept exactly as is: it uses one unit of
    vehicle type ``vehicle`` and its stops are not re-planned.
``PlanningProblem(depots, vehicles, stops, locked_trips=())``

Functions
---------
``build_matrix(problem, provider=None) -> (dist_km, dur_min)``
    Matrices over ``problem.points()`` (depots first, then stops), from a
    ``distance.DistanceProvider`` (default ``GreatCircleProvider()``).
``plan_routes(problem, *, matrix=None, provider=None, time_limit_s=10.0,
seed=0, max_iterations=None, no_improvement=20000, progress=None) -> Plan``
    PyVRP solve.  Stops after ``time_limit_s`` seconds, ``max_iterations``
    iterations or ``no_improvement`` iterations without improvement,
    whichever first.  Deterministic for a given ``seed`` when an iteration
    criterion stops the search before the time limit.  ``progress`` is
    called with a fraction in [0, 1] (at most ~5 times a second, and 1.0 at
    the end).
``plan_nearest_neighbour(problem, *, matrix=None, provider=None) -> Plan``
    Baseline: one route at a time, always drive to the nearest stop that
    keeps the route feasible.  Optional stops with ``prize == 0`` are
    skipped.
``check_plan(problem, plan, *, matrix=None, provider=None) -> list[str]``
    Independent verification (no PyVRP): capacities, time windows, depot
    hours, duty limit, fleet size, each stop served at most once, every
    stop either routed or reported unassigned, locked trips kept, reported
    distances/times/costs consistent.  Empty list = valid plan.
``solve_data(data, *, time_limit_s, seed=0, ...)``
    The PyVRP solve path used by ``plan_routes`` on a ready
    ``pyvrp.ProblemData`` (used by the benchmark on VRPLIB instances).

Output
------
``Plan(routes, unassigned, total_cost, total_distance_km, solver,
runtime_s)``; ``PlannedRoute(vehicle, unit, depot, stops, visits,
depart_min, return_min, distance_km, duration_min, cost, load_kg, load_m3,
loading_sequence, locked)`` where ``unit`` numbers the vehicles of one type
from 1, ``loading_sequence`` is the reverse delivery order (load first what
is delivered last); ``Visit(stop, arrival_min, start_min, end_min,
wait_min, distance_km)`` (``distance_km`` from the previous location);
``Unassigned(stop, reason)``.
"""

import math
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional, Sequence

import numpy as np

from .distance import GreatCircleProvider, validate_points

__all__ = [
    'Depot', 'VehicleType', 'Stop', 'LockedTrip', 'PlanningProblem',
    'Visit', 'PlannedRoute', 'Unassigned', 'Plan',
    'build_matrix', 'plan_routes', 'plan_nearest_neighbour', 'check_plan',
    'solve_data', 'nearest_neighbour_core',
    ]

DAY_MIN = 1440.0
COST_SCALE = 100000  # internal cost unit = 1e-5 money
REQUIRED_FACTOR = 3  # see _pyvrp_data
MAX_PENALTY = 1e6  # PyVRP penalty bound (default 1e5)
UNREACHABLE = 10 ** 9  # metres / seconds standing for "no connection"
_CENT = Decimal('0.01')


# ------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class Depot:
    id: object
    lat: float
    lon: float
    open_min: float = 0.0
    close_min: float = DAY_MIN


@dataclass(frozen=True)
class VehicleType:
    id: object
    depot: object
    capacity_kg: float
    capacity_m3: float
    fixed_cost: object = 0
    cost_per_km: object = 0
    cost_per_hour: object = 0
    max_duration_min: Optional[float] = None
    count: int = 1


@dataclass(frozen=True)
class Stop:
    id: object
    lat: float
    lon: float
    weight_kg: float = 0.0
    volume_m3: float = 0.0
    service_min: float = 0.0
    tw_start_min: float = 0.0
    tw_end_min: Optional[float] = None
    required: bool = True
    prize: object = 0
    depots: tuple = ()
    vehicles: tuple = ()


@dataclass(frozen=True)
class LockedTrip:
    vehicle: object
    stop_ids: tuple


@dataclass(frozen=True)
class PlanningProblem:
    depots: Sequence[Depot]
    vehicles: Sequence[VehicleType]
    stops: Sequence[Stop]
    locked_trips: Sequence[LockedTrip] = ()

    def points(self):
        "(lat, lon) of depots then stops: the matrix order."
        return ([(d.lat, d.lon) for d in self.depots]
            + [(s.lat, s.lon) for s in self.stops])


# ----------------------------------------------------------------- outputs
@dataclass(frozen=True)
class Visit:
    stop: object
    arrival_min: float
    start_min: float
    end_min: float
    wait_min: float
    distance_km: float


@dataclass(frozen=True)
class PlannedRoute:
    vehicle: object
    unit: int
    depot: object
    stops: tuple
    visits: tuple
    depart_min: float
    return_min: float
    distance_km: float
    duration_min: float
    cost: Decimal
    load_kg: float
    load_m3: float
    loading_sequence: tuple
    locked: bool = False


@dataclass(frozen=True)
class Unassigned:
    stop: object
    reason: str


@dataclass
class Plan:
    routes: list
    unassigned: list
    total_cost: Decimal
    total_distance_km: float
    solver: str
    runtime_s: float = 0.0
    info: dict = field(default_factory=dict)


# -------------------------------------------------------------- validation
def _money(value, name):
    try:
        d = Decimal(str(value))
    except Exception:
        raise ValueError(f'{name} must be a number, got {value!r}') from None
    if not d.is_finite() or d < 0:
        raise ValueError(f'{name} must be >= 0, got {value!r}')
    return d


def _num(value, name, minimum=0.0, allow_none=False):
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be a number, got {value!r}') from None
    if not math.isfinite(v) or v < minimum:
        raise ValueError(f'{name} must be >= {minimum:g}, got {value!r}')
    return v


def _unique(items, what):
    seen = set()
    for it in items:
        if it.id in seen:
            raise ValueError(f'{what} id {it.id!r} is not unique')
        seen.add(it.id)


def _validate(problem):
    if not problem.depots:
        raise ValueError('depots: at least one depot is needed')
    _unique(problem.depots, 'depot')
    _unique(problem.vehicles, 'vehicle')
    _unique(problem.stops, 'stop')
    validate_points(problem.points())
    depot_ids = {d.id for d in problem.depots}
    for d in problem.depots:
        o = _num(d.open_min, f'depot {d.id!r} open_min')
        c = _num(d.close_min, f'depot {d.id!r} close_min')
        if c < o:
            raise ValueError(
                f'depot {d.id!r} close_min {c:g} is before open_min {o:g}')
    for v in problem.vehicles:
        if v.depot not in depot_ids:
            raise ValueError(
                f'vehicle {v.id!r} depot {v.depot!r} is not a depot id')
        _num(v.capacity_kg, f'vehicle {v.id!r} capacity_kg')
        _num(v.capacity_m3, f'vehicle {v.id!r} capacity_m3')
        _money(v.fixed_cost, f'vehicle {v.id!r} fixed_cost')
        _money(v.cost_per_km, f'vehicle {v.id!r} cost_per_km')
        _money(v.cost_per_hour, f'vehicle {v.id!r} cost_per_hour')
        _num(v.max_duration_min, f'vehicle {v.id!r} max_duration_min',
            allow_none=True)
        if (not isinstance(v.count, (int, np.integer))
                or isinstance(v.count, bool) or v.count < 0):
            raise ValueError(
                f'vehicle {v.id!r} count must be an integer >= 0, '
                f'got {v.count!r}')
    for s in problem.stops:
        _num(s.weight_kg, f'stop {s.id!r} weight_kg')
        _num(s.volume_m3, f'stop {s.id!r} volume_m3')
        _num(s.service_min, f'stop {s.id!r} service_min')
        a = _num(s.tw_start_min, f'stop {s.id!r} tw_start_min')
        b = _num(s.tw_end_min, f'stop {s.id!r} tw_end_min', allow_none=True)
        if b is not None and b < a:
            raise ValueError(
                f'stop {s.id!r} tw_end_min {b:g} is before '
                f'tw_start_min {a:g}')
        _money(s.prize, f'stop {s.id!r} prize')
        for d in s.depots:
            if d not in depot_ids:
                raise ValueError(
                    f'stop {s.id!r} depot {d!r} is not a depot id')
    vehicle_ids = {v.id: v for v in problem.vehicles}
    for s in problem.stops:
        for v in s.vehicles:
            if v not in vehicle_ids:
                raise ValueError(
                    f'stop {s.id!r} vehicle {v!r} is not a vehicle id')
    stop_ids = {s.id for s in problem.stops}
    used = {}
    locked_stops = set()
    for t in problem.locked_trips:
        if t.vehicle not in vehicle_ids:
            raise ValueError(
                f'locked trip vehicle {t.vehicle!r} is not a vehicle id')
        used[t.vehicle] = used.get(t.vehicle, 0) + 1
        if used[t.vehicle] > vehicle_ids[t.vehicle].count:
            raise ValueError(
                f'locked trips use {used[t.vehicle]} vehicles of '
                f'{t.vehicle!r}, count is {vehicle_ids[t.vehicle].count}')
        if not t.stop_ids:
            raise ValueError(
                f'locked trip of vehicle {t.vehicle!r} has no stops')
        for sid in t.stop_ids:
            if sid not in stop_ids:
                raise ValueError(
                    f'locked trip stop {sid!r} is not a stop id')
            if sid in locked_stops:
                raise ValueError(
                    f'stop {sid!r} is in more than one locked trip')
            locked_stops.add(sid)


# ---------------------------------------------------------- preparation
def build_matrix(problem, provider=None):
    "(dist_km, dur_min) over ``problem.points()`` from ``provider``."
    provider = provider or GreatCircleProvider()
    dist, dur = provider.matrix(problem.points())
    return np.asarray(dist, dtype=float), np.asarray(dur, dtype=float)


def _to_int(arr, scale):
    arr = np.asarray(arr, dtype=float) * scale
    out = np.full(arr.shape, UNREACHABLE, dtype=np.int64)
    ok = np.isfinite(arr) & (arr < UNREACHABLE)
    out[ok] = np.rint(arr[ok]).astype(np.int64)
    return out


def _sec(minutes):
    return int(round(float(minutes) * 60))


class _Prepared:
    "Integer view of a problem: metres, seconds, grams, litres."

    def __init__(self, problem, matrix, provider):
        _validate(problem)
        self.problem = problem
        if matrix is None:
            matrix = build_matrix(problem, provider)
        n = len(problem.depots) + len(problem.stops)
        dist_km, dur_min = matrix
        dist_km = np.asarray(dist_km, dtype=float)
        dur_min = np.asarray(dur_min, dtype=float)
        if dist_km.shape != (n, n) or dur_min.shape != (n, n):
            raise ValueError(
                f'matrix shape {dist_km.shape}/{dur_min.shape} does not '
                f'match {n} depots + stops')
        if (dist_km < 0).any() or (dur_min < 0).any():
            raise ValueError('matrix: negative distance or duration')
        self.dist = _to_int(dist_km, 1000)
        self.dur = _to_int(dur_min, 60)
        np.fill_diagonal(self.dist, 0)
        np.fill_diagonal(self.dur, 0)
        self.nd = len(problem.depots)
        self.depot_index = {d.id: i for i, d in enumerate(problem.depots)}
        self.stop_index = {
            s.id: self.nd + i for i, s in enumerate(problem.stops)}
        self.vehicle = {v.id: v for v in problem.vehicles}
        self.depot = {d.id: d for d in problem.depots}
        self.stop = {s.id: s for s in problem.stops}

    def depot_hours(self, depot_id):
        d = self.depot[depot_id]
        return _sec(d.open_min), _sec(d.close_min)

    def tw(self, stop):
        end = (stop.tw_end_min if stop.tw_end_min is not None
            else max(DAY_MIN, stop.tw_start_min))
        return _sec(stop.tw_start_min), _sec(end)

    def max_duty(self, vtype):
        if vtype.max_duration_min is None:
            return None
        return _sec(vtype.max_duration_min)


def _grams(kg):
    return int(round(float(kg) * 1000))


# -------------------------------------------------------------- schedules
def _simulate(prep, vtype, stop_ids, depart):
    """Forward schedule (integer seconds) of a route departing ``depart``.

    Returns (visits, return_s, distance_m) where visits are tuples
    (stop_id, arrival, start, end, wait, leg_m)."""
    loc = prep.depot_index[vtype.depot]
    t = depart
    dist = 0
    visits = []
    for sid in stop_ids:
        j = prep.stop_index[sid]
        stop = prep.stop[sid]
        leg = int(prep.dist[loc, j])
        arrival = t + int(prep.dur[loc, j])
        early, _ = prep.tw(stop)
        start = max(arrival, early)
        end = start + _sec(stop.service_min)
        visits.append((sid, arrival, start, end, start - arrival, leg))
        dist += leg
        t = end
        loc = j
    home = prep.depot_index[vtype.depot]
    dist += int(prep.dist[loc, home])
    return visits, t + int(prep.dur[loc, home]), dist


def _latest_departure(prep, vtype, stop_ids, depart):
    """Delay the departure as far as waiting allows without moving any
    start of service past its window or the return past closing."""
    visits, ret, _ = _simulate(prep, vtype, stop_ids, depart)
    _, close = prep.depot_hours(vtype.depot)
    waited = 0
    delay = None
    for sid, _a, start, _e, wait, _l in visits:
        waited += wait
        _, late = prep.tw(prep.stop[sid])
        slack = waited + late - start
        delay = slack if delay is None else min(delay, slack)
    total = waited
    bound = total + close - ret
    delay = min(x for x in (delay, total, bound) if x is not None)
    return depart + max(0, delay)


def _route_cost(vtype, dist_m, dur_s):
    cost = (_money(vtype.fixed_cost, 'fixed_cost')
        + _money(vtype.cost_per_km, 'cost_per_km') * Decimal(dist_m)
        / 1000
        + _money(vtype.cost_per_hour, 'cost_per_hour') * Decimal(dur_s)
        / 3600)
    return cost.quantize(_CENT, rounding=ROUND_HALF_UP)


def _make_route(prep, vtype, unit, stop_ids, depart, locked=False):
    visits, ret, dist = _simulate(prep, vtype, stop_ids, depart)
    kg = sum(float(prep.stop[s].weight_kg) for s in stop_ids)
    m3 = sum(float(prep.stop[s].volume_m3) for s in stop_ids)
    return PlannedRoute(
        vehicle=vtype.id, unit=unit, depot=vtype.depot,
        stops=tuple(stop_ids),
        visits=tuple(Visit(
                stop=sid, arrival_min=a / 60, start_min=s / 60,
                end_min=e / 60, wait_min=w / 60, distance_km=leg / 1000)
            for sid, a, s, e, w, leg in visits),
        depart_min=depart / 60, return_min=ret / 60,
        distance_km=dist / 1000, duration_min=(ret - depart) / 60,
        cost=_route_cost(vtype, dist, ret - depart),
        load_kg=kg, load_m3=m3,
        loading_sequence=tuple(reversed(stop_ids)), locked=locked)


def _make_plan(prep, routes, unassigned, solver, runtime, info=None):
    routes = sorted(routes, key=lambda r: (not r.locked, str(r.vehicle),
        r.unit))
    return Plan(
        routes=routes, unassigned=unassigned,
        total_cost=sum((r.cost for r in routes), Decimal('0.00')),
        total_distance_km=sum(r.distance_km for r in routes),
        solver=solver, runtime_s=runtime, info=info or {})


# ---------------------------------------------------------- pre-checks
def _fleet_left(prep):
    "{vehicle type id: units not used by locked trips} (> 0 only)."
    left = {v.id: int(v.count) for v in prep.problem.vehicles}
    for t in prep.problem.locked_trips:
        left[t.vehicle] -= 1
    return {k: n for k, n in left.items() if n > 0}


def _precheck(prep, stop, fleet):
    "Reason why ``stop`` cannot be on any single-stop trip, else None."
    if not fleet:
        return 'not served: no vehicle left'
    types = [prep.vehicle[k] for k in fleet
        if _allowed(stop, prep.vehicle[k])]
    if not types:
        if stop.vehicles:
            return (f'none of its vehicles '
                f'{", ".join(map(str, stop.vehicles))} is left'
                + (f' at its depot {", ".join(map(str, stop.depots))}'
                    if stop.depots else ''))
        return (f'no vehicle left at its depot '
            f'{", ".join(map(str, stop.depots))}')
    kg, m3 = float(stop.weight_kg), float(stop.volume_m3)
    max_kg = max(float(v.capacity_kg) for v in types)
    max_m3 = max(float(v.capacity_m3) for v in types)
    if kg > max_kg:
        return (f'weight {kg:g} kg exceeds the largest vehicle capacity '
            f'{max_kg:g} kg')
    if m3 > max_m3:
        return (f'volume {m3:g} m3 exceeds the largest vehicle capacity '
            f'{max_m3:g} m3')
    fitting = [v for v in types
        if kg <= float(v.capacity_kg) and m3 <= float(v.capacity_m3)]
    if not fitting:
        return (f'weight {kg:g} kg and volume {m3:g} m3 together fit no '
            f'single vehicle')
    j = prep.stop_index[stop.id]
    early, late = prep.tw(stop)
    service = _sec(stop.service_min)
    fails = []
    best_arrival = None
    for v in fitting:
        d = prep.depot_index[v.depot]
        if (prep.dist[d, j] >= UNREACHABLE
                or prep.dist[j, d] >= UNREACHABLE):
            fails.append('road')
            continue
        open_, close = prep.depot_hours(v.depot)
        arrival = open_ + int(prep.dur[d, j])
        best_arrival = (arrival if best_arrival is None
            else min(best_arrival, arrival))
        start = max(arrival, early)
        if start > late:
            fails.append('tw')
            continue
        if start + service + int(prep.dur[j, d]) > close:
            fails.append('close')
            continue
        duty = prep.max_duty(v)
        need = int(prep.dur[d, j]) + service + int(prep.dur[j, d])
        if duty is not None and need > duty:
            fails.append('duty')
            continue
        return None
    if all(f == 'road' for f in fails):
        return 'no road connection with any depot'
    if 'duty' in fails:
        longest = max((prep.max_duty(v) or 0) for v in fitting) / 60
        need = min(
            int(prep.dur[prep.depot_index[v.depot], j]) + service
            + int(prep.dur[j, prep.depot_index[v.depot]])
            for v in fitting) / 60
        return (f'round trip of {need:.0f} min exceeds the longest duty '
            f'{longest:.0f} min')
    if 'close' in fails:
        return 'cannot return to the depot before it closes'
    return (f'time window {early / 60:g}-{late / 60:g} min unreachable '
        f'from any depot (earliest arrival {best_arrival / 60:.0f} min)')


def _allowed(stop, vtype):
    "May vehicle type ``vtype`` serve ``stop`` (its depot, its id)?"
    return ((not stop.depots or vtype.depot in stop.depots)
        and (not stop.vehicles or vtype.id in stop.vehicles))


def _prepare_plan(prep):
    """Locked routes, stops to plan, pre-check failures, fleet left."""
    fleet = _fleet_left(prep)
    locked_routes = []
    units = {}
    locked_stops = set()
    for t in prep.problem.locked_trips:
        vtype = prep.vehicle[t.vehicle]
        units[vtype.id] = units.get(vtype.id, 0) + 1
        open_, _ = prep.depot_hours(vtype.depot)
        depart = _latest_departure(prep, vtype, list(t.stop_ids), open_)
        locked_routes.append(_make_route(
            prep, vtype, units[vtype.id], list(t.stop_ids), depart,
            locked=True))
        locked_stops.update(t.stop_ids)
    todo = []
    unassigned = []
    for s in prep.problem.stops:
        if s.id in locked_stops:
            continue
        reason = _precheck(prep, s, fleet)
        if reason is None:
            todo.append(s)
        else:
            unassigned.append(Unassigned(s.id, reason))
    return locked_routes, units, todo, unassigned, fleet


def _unserved_reason(stop):
    if stop.required:
        return 'not served: no vehicle left (fleet or duty hours exhausted)'
    return 'optional stop not worth serving (prize below its extra cost)'


# ----------------------------------------------------------------- PyVRP
class _Stop:
    "Stopping criterion: time, iterations, no improvement; reports progress."

    def __init__(self, time_limit_s, max_iterations=None,
            no_improvement=None, progress=None):
        self.time_limit = float(time_limit_s)
        self.max_iterations = max_iterations
        self.no_improvement = no_improvement
        self.progress = progress
        self.start = None
        self.iterations = 0
        self.best = None
        self.stale = 0
        self.last_report = 0.0
        self.reported = 0.0

    def __call__(self, best_cost):
        now = time.perf_counter()
        if self.start is None:
            self.start = now
        self.iterations += 1
        if self.best is None or best_cost < self.best:
            self.best = best_cost
            self.stale = 0
        else:
            self.stale += 1
        fractions = [(now - self.start) / self.time_limit
            if self.time_limit > 0 else 1.0]
        if self.max_iterations:
            fractions.append(self.iterations / self.max_iterations)
        if self.no_improvement:
            fractions.append(self.stale / self.no_improvement)
        done = max(fractions)
        if self.progress is not None and now - self.last_report >= 0.2:
            self.last_report = now
            # the no-improvement fraction can fall back: report monotonic
            self.reported = max(self.reported, min(1.0, done))
            self.progress(self.reported)
        return done >= 1.0


def solve_data(data, *, time_limit_s, seed=0, max_iterations=None,
        no_improvement=None, progress=None, initial_solution=None,
        max_penalty=None):
    """Run PyVRP on ``data`` (a ``pyvrp.ProblemData``); returns the
    ``pyvrp.Result``.  This is the solve path of ``plan_routes``;
    ``max_penalty`` overrides PyVRP's ``PenaltyParams.max_penalty``."""
    import pyvrp
    from pyvrp.PenaltyManager import PenaltyParams

    if time_limit_s is None or float(time_limit_s) < 0:
        raise ValueError(f'time_limit_s must be >= 0, got {time_limit_s!r}')
    params = pyvrp.SolveParams()
    if max_penalty is not None:
        params = pyvrp.SolveParams(
            penalty=PenaltyParams(max_penalty=float(max_penalty)))
    stop = _Stop(time_limit_s, max_iterations, no_improvement, progress)
    result = pyvrp.solve(
        data, stop, seed=int(seed), collect_stats=False, display=False,
        params=params, initial_solution=initial_solution)
    if progress is not None:
        progress(1.0)
    return result


def _cost_units(v):
    "(fixed, per metre, per second) costs of a vehicle in solver units."
    fixed = int(round(float(v.fixed_cost) * COST_SCALE))
    udc = int(round(float(v.cost_per_km) * COST_SCALE / 1000))
    uduc = int(round(float(v.cost_per_hour) * COST_SCALE / 3600))
    if udc == 0 and uduc == 0:
        udc = 1  # no cost given: minimise distance
    return fixed, udc, uduc


def _pyvrp_data(prep, todo, fleet):
    import pyvrp

    problem = prep.problem
    depots = list(problem.depots)
    locs = [pyvrp.Location(x=float(d.lon), y=float(d.lat)) for d in depots]
    locs += [pyvrp.Location(x=float(s.lon), y=float(s.lat)) for s in todo]
    pv_depots = []
    for d in depots:
        o, c = prep.depot_hours(d.id)
        pv_depots.append(pyvrp.Depot(location=prep.depot_index[d.id],
            tw_early=o, tw_late=c, name=str(d.id)))
    # A required stop becomes an optional one whose prize exceeds
    # REQUIRED_FACTOR x the cost of serving it alone with the costliest
    # vehicle (in the solver's own cost units): the solver always serves
    # it when it can, and a short fleet leaves stops unserved instead of
    # making the plan infeasible.
    units = {vid: _cost_units(prep.vehicle[vid]) for vid in fleet}
    clients = []
    for k, s in enumerate(todo):
        early, late = prep.tw(s)
        j = prep.stop_index[s.id]
        alone = 0
        for vid in fleet:
            if not _allowed(s, prep.vehicle[vid]):
                continue
            fixed, udc, uduc = units[vid]
            d = prep.depot_index[prep.vehicle[vid].depot]
            if max(prep.dist[d, j], prep.dist[j, d]) >= UNREACHABLE:
                continue
            alone = max(alone, fixed
                + udc * int(prep.dist[d, j] + prep.dist[j, d])
                + uduc * int(prep.dur[d, j] + prep.dur[j, d]
                    + _sec(s.service_min)))
        prize = (REQUIRED_FACTOR * alone + COST_SCALE if s.required
            else int(_money(s.prize, 'prize') * COST_SCALE))
        clients.append(pyvrp.Client(
            location=prep.nd + k,
            delivery=[_grams(s.weight_kg), _grams(s.volume_m3)],
            service_duration=_sec(s.service_min),
            tw_early=early, tw_late=late, prize=prize, required=False,
            name=str(s.id)))
    idx = list(range(prep.nd)) + [prep.stop_index[s.id] for s in todo]
    dist = prep.dist[np.ix_(idx, idx)]
    dur = prep.dur[np.ix_(idx, idx)]
    dists, durs, profile = [dist], [dur], {}
    if any(s.depots or s.vehicles for s in todo):
        # one profile per set of stops some vehicles may not serve (held
        # at another depot, promised to another carrier): unreachable for
        # those vehicles (same model, several depots and carriers)
        dists, durs, by_banned = [], [], {}
        for vid in fleet:
            banned = tuple(prep.nd + k for k, s in enumerate(todo)
                if not _allowed(s, prep.vehicle[vid]))
            if banned not in by_banned:
                pdist, pdur = dist.copy(), dur.copy()
                if banned:
                    rows = list(banned)
                    for m in (pdist, pdur):
                        m[rows, :] = UNREACHABLE
                        m[:, rows] = UNREACHABLE
                        m[rows, rows] = 0
                by_banned[banned] = len(dists)
                dists.append(pdist)
                durs.append(pdur)
            profile[vid] = by_banned[banned]
    types = []
    type_ids = []
    for vid, n in fleet.items():
        v = prep.vehicle[vid]
        o, c = prep.depot_hours(v.depot)
        d = prep.depot_index[v.depot]
        fixed, udc, uduc = units[vid]
        duty = prep.max_duty(v)
        kwargs = {}
        if duty is not None:
            kwargs['shift_duration'] = duty
        if profile:
            kwargs['profile'] = profile[vid]
        types.append(pyvrp.VehicleType(
            num_available=n,
            capacity=[_grams(v.capacity_kg), _grams(v.capacity_m3)],
            start_depot=d, end_depot=d,
            fixed_cost=fixed,
            tw_early=o, tw_late=c, unit_distance_cost=udc,
            unit_duration_cost=uduc, name=str(vid), **kwargs))
        type_ids.append(vid)
    data = pyvrp.ProblemData(
        locations=locs, clients=clients, depots=pv_depots,
        vehicle_types=types, distance_matrices=dists,
        duration_matrices=durs)
    return data, type_ids


def plan_routes(problem, *, matrix=None, provider=None, time_limit_s=10.0,
        seed=0, max_iterations=None, no_improvement=20000, progress=None):
    "Plan the day's trips with PyVRP; see the module docstring."
    t0 = time.perf_counter()
    prep = _Prepared(problem, matrix, provider)
    locked_routes, units, todo, unassigned, fleet = _prepare_plan(prep)
    routes = list(locked_routes)
    info = {}
    if todo:
        data, type_ids = _pyvrp_data(prep, todo, fleet)
        result = solve_data(
            data, time_limit_s=time_limit_s, seed=seed,
            max_iterations=max_iterations, no_improvement=no_improvement,
            progress=progress, max_penalty=MAX_PENALTY)
        best = result.best
        info['iterations'] = result.num_iterations
        if not best.is_feasible():
            # should not happen (every stop is optional for the solver);
            # fall back on the baseline rather than return a bad plan
            plan = plan_nearest_neighbour(problem, matrix=(
                prep.dist / 1000, prep.dur / 60))
            plan.solver = 'nearest_neighbour (pyvrp infeasible)'
            return plan
        served = set()
        for r in best.routes():
            vtype = prep.vehicle[type_ids[r.vehicle_type()]]
            ids = [todo[a.idx].id for a in r.schedule() if a.is_client()]
            served.update(ids)
            units[vtype.id] = units.get(vtype.id, 0) + 1
            open_, _ = prep.depot_hours(vtype.depot)
            depart = max(int(r.start_time()), open_)
            depart = _latest_departure(prep, vtype, ids, depart)
            routes.append(_make_route(
                prep, vtype, units[vtype.id], ids, depart))
        for s in todo:
            if s.id not in served:
                unassigned.append(Unassigned(s.id, _unserved_reason(s)))
    elif progress is not None:
        progress(1.0)
    return _make_plan(prep, routes, unassigned, 'pyvrp',
        time.perf_counter() - t0, info)


# ------------------------------------------------------ nearest neighbour
def nearest_neighbour_core(dist, dur, depots, clients, vehicle_types,
        allowed=None, allowed_types=None):
    """Nearest-neighbour construction on integer matrices.

    ``depots``: list of (location, tw_early, tw_late);
    ``clients``: list of (location, demand tuple, service, tw_early,
    tw_late); ``vehicle_types``: list of dicts with keys ``num``,
    ``capacity`` (tuple), ``depot`` (index in ``depots``), ``tw_early``,
    ``tw_late``, ``shift`` (max duration or None).  Returns
    ``(routes, unserved)``: routes as ``(type index, [client indices],
    departure)``, unserved client indices.  A new route takes the vehicle
    type whose depot is nearest to a client it can serve (ties: larger
    capacity first), then repeatedly drives to the nearest client that
    keeps capacity, time windows, depot hours and duty feasible.
    ``allowed`` (optional): per client, the set of depot indices that may
    serve it (``None`` or empty: any); ``allowed_types`` (optional): per
    client, the set of vehicle type indices that may serve it (``None``:
    any)."""
    dist = np.asarray(dist)
    dur = np.asarray(dur)
    n = len(clients)
    if n == 0:
        return [], []
    loc = np.array([c[0] for c in clients], dtype=np.int64)
    demand = np.array([list(c[1]) for c in clients], dtype=np.int64)
    service = np.array([c[2] for c in clients], dtype=np.int64)
    early = np.array([c[3] for c in clients], dtype=np.int64)
    late = np.array([c[4] for c in clients], dtype=np.int64)
    left = [int(v['num']) for v in vehicle_types]
    unserved = np.ones(n, dtype=bool)
    routes = []
    masks = {}
    if allowed is not None and any(allowed):
        for vt, v in enumerate(vehicle_types):
            masks[vt] = np.array([not a or v['depot'] in a
                for a in allowed], dtype=bool)
    if allowed_types is not None and any(
            a is not None for a in allowed_types):
        for vt in range(len(vehicle_types)):
            mask = np.array([a is None or vt in a for a in allowed_types],
                dtype=bool)
            masks[vt] = masks[vt] & mask if vt in masks else mask

    def feasible(vt, cur, t, load, depart):
        v = vehicle_types[vt]
        dloc, dopen, dclose = depots[v['depot']]
        arrival = t + dur[cur, loc]
        start = np.maximum(arrival, early)
        back = start + service + dur[loc, dloc]
        ok = (unserved & (start <= late)
            & (back <= min(dclose, v['tw_late']))
            & np.all(load + demand <= np.asarray(v['capacity']), axis=1)
            & (dist[cur, loc] < UNREACHABLE))
        if v['shift'] is not None:
            ok &= back - depart <= v['shift']
        if masks:
            ok &= masks[vt]
        return ok, start

    while unserved.any():
        best = None
        for vt, v in enumerate(vehicle_types):
            if left[vt] <= 0:
                continue
            dloc, dopen, _ = depots[v['depot']]
            depart = max(dopen, v['tw_early'])
            ok, _ = feasible(vt, dloc, depart, 0, depart)
            if not ok.any():
                continue
            near = int(dist[dloc, loc][ok].min())
            key = (near, -sum(v['capacity']), vt)
            if best is None or key < best:
                best = key
        if best is None:
            break
        vt = best[2]
        v = vehicle_types[vt]
        left[vt] -= 1
        dloc, dopen, _ = depots[v['depot']]
        depart = t = max(dopen, v['tw_early'])
        cur = dloc
        load = np.zeros(demand.shape[1], dtype=np.int64)
        route = []
        while True:
            ok, start = feasible(vt, cur, t, load, depart)
            if not ok.any():
                break
            cand = np.flatnonzero(ok)
            k = int(cand[np.argmin(dist[cur, loc[cand]])])
            route.append(k)
            unserved[k] = False
            load = load + demand[k]
            t = int(start[k] + service[k])
            cur = int(loc[k])
        routes.append((vt, route, depart))
    return routes, [int(k) for k in np.flatnonzero(unserved)]


def plan_nearest_neighbour(problem, *, matrix=None, provider=None):
    "Nearest-neighbour baseline planner; same input/output as plan_routes."
    t0 = time.perf_counter()
    prep = _Prepared(problem, matrix, provider)
    locked_routes, units, todo, unassigned, fleet = _prepare_plan(prep)
    routes = list(locked_routes)
    candidates = [s for s in todo
        if s.required or _money(s.prize, 'prize') > 0]
    for s in todo:
        if s not in candidates:
            unassigned.append(Unassigned(s.id, _unserved_reason(s)))
    depots = [(i, *prep.depot_hours(d.id))
        for i, d in enumerate(problem.depots)]
    clients = []
    for s in candidates:
        early, late = prep.tw(s)
        clients.append((prep.stop_index[s.id],
            (_grams(s.weight_kg), _grams(s.volume_m3)),
            _sec(s.service_min), early, late))
    vts = []
    type_ids = list(fleet)
    for vid in type_ids:
        v = prep.vehicle[vid]
        o, c = prep.depot_hours(v.depot)
        vts.append({
            'num': fleet[vid],
            'capacity': (_grams(v.capacity_kg), _grams(v.capacity_m3)),
            'depot': prep.depot_index[v.depot], 'tw_early': o,
            'tw_late': c, 'shift': prep.max_duty(v)})
    nn_routes, unserved = nearest_neighbour_core(
        prep.dist, prep.dur, depots, clients, vts,
        allowed_types=[
            {k for k, vid in enumerate(type_ids)
                if _allowed(s, prep.vehicle[vid])}
            if s.depots or s.vehicles else None
            for s in candidates])
    for vt, route, depart in nn_routes:
        vtype = prep.vehicle[type_ids[vt]]
        ids = [candidates[k].id for k in route]
        units[vtype.id] = units.get(vtype.id, 0) + 1
        depart = _latest_departure(prep, vtype, ids, depart)
        routes.append(_make_route(prep, vtype, units[vtype.id], ids, depart))
    for k in unserved:
        unassigned.append(
            Unassigned(candidates[k].id, _unserved_reason(candidates[k])))
    return _make_plan(prep, routes, unassigned, 'nearest_neighbour',
        time.perf_counter() - t0)


# ------------------------------------------------------------ check_plan
def check_plan(problem, plan, *, matrix=None, provider=None):
    "List of violations of ``plan`` for ``problem`` (empty = valid)."
    prep = _Prepared(problem, matrix, provider)
    out = []
    seen = {}
    used = {}
    for n, r in enumerate(plan.routes):
        name = f'route {n} ({r.vehicle!r} #{r.unit})'
        vtype = prep.vehicle.get(r.vehicle)
        if vtype is None:
            out.append(f'{name}: unknown vehicle {r.vehicle!r}')
            continue
        used[r.vehicle] = used.get(r.vehicle, 0) + 1
        bad = [s for s in r.stops if s not in prep.stop]
        if bad:
            out.append(f'{name}: unknown stops {bad!r}')
            continue
        for s in r.stops:
            if s in seen:
                out.append(f'stop {s!r} served more than once')
            seen[s] = name
            stop = prep.stop[s]
            if stop.depots and vtype.depot not in stop.depots:
                out.append(f'{name}: stop {s!r} is not held at depot '
                    f'{vtype.depot!r}')
            if stop.vehicles and vtype.id not in stop.vehicles:
                out.append(f'{name}: stop {s!r} is reserved for vehicles '
                    f'{", ".join(map(str, stop.vehicles))}')
        kg = sum(_grams(prep.stop[s].weight_kg) for s in r.stops)
        m3 = sum(_grams(prep.stop[s].volume_m3) for s in r.stops)
        if kg > _grams(vtype.capacity_kg):
            out.append(f'{name}: load {kg / 1000:g} kg exceeds capacity '
                f'{float(vtype.capacity_kg):g} kg')
        if m3 > _grams(vtype.capacity_m3):
            out.append(f'{name}: load {m3 / 1000:g} m3 exceeds capacity '
                f'{float(vtype.capacity_m3):g} m3')
        depart = _sec(r.depart_min)
        open_, close = prep.depot_hours(vtype.depot)
        if r.depot != vtype.depot:
            out.append(f'{name}: depot {r.depot!r} is not the vehicle '
                f'depot {vtype.depot!r}')
        if depart < open_:
            out.append(f'{name}: departs {depart / 60:g} before the depot '
                f'opens {open_ / 60:g}')
        # independent forward pass
        cur = prep.depot_index[vtype.depot]
        t = depart
        dist = 0
        for k, sid in enumerate(r.stops):
            stop = prep.stop[sid]
            j = prep.stop_index[sid]
            if prep.dist[cur, j] >= UNREACHABLE:
                out.append(f'{name}: no road to stop {sid!r}')
            dist += int(prep.dist[cur, j])
            arrival = t + int(prep.dur[cur, j])
            early, late = prep.tw(stop)
            start = max(arrival, early)
            if start > late:
                out.append(
                    f'{name}: stop {sid!r} served at {start / 60:g} min, '
                    f'after its window end {late / 60:g} min')
            if k < len(r.visits):
                v = r.visits[k]
                if (v.stop != sid or _sec(v.arrival_min) != arrival
                        or _sec(v.start_min) != start):
                    out.append(f'{name}: reported ETA of stop {sid!r} '
                        f'differs from the schedule')
            t = start + _sec(stop.service_min)
            cur = j
        home = prep.depot_index[vtype.depot]
        if prep.dist[cur, home] >= UNREACHABLE:
            out.append(f'{name}: no road back to the depot')
        dist += int(prep.dist[cur, home])
        ret = t + int(prep.dur[cur, home])
        if len(r.visits) != len(r.stops):
            out.append(f'{name}: {len(r.visits)} visits for '
                f'{len(r.stops)} stops')
        if ret > close:
            out.append(f'{name}: returns at {ret / 60:g} min, after the '
                f'depot closes {close / 60:g} min')
        duty = prep.max_duty(vtype)
        if duty is not None and ret - depart > duty:
            out.append(f'{name}: duration {(ret - depart) / 60:g} min '
                f'exceeds max duration {duty / 60:g} min')
        if _sec(r.return_min) != ret:
            out.append(f'{name}: reported return {r.return_min:g} differs '
                f'from the schedule {ret / 60:g}')
        if abs(r.distance_km * 1000 - dist) > 0.5:
            out.append(f'{name}: reported distance {r.distance_km:g} km '
                f'differs from {dist / 1000:g} km')
        if r.cost != _route_cost(vtype, dist, ret - depart):
            out.append(f'{name}: reported cost {r.cost} differs from '
                f'{_route_cost(vtype, dist, ret - depart)}')
        if tuple(r.loading_sequence) != tuple(reversed(r.stops)):
            out.append(f'{name}: loading sequence is not the reverse '
                f'delivery order')
    for vid, n in used.items():
        if n > int(prep.vehicle[vid].count):
            out.append(f'vehicle {vid!r}: {n} routes for '
                f'{prep.vehicle[vid].count} available')
    reported = set()
    for u in plan.unassigned:
        if u.stop in seen:
            out.append(f'stop {u.stop!r} both routed and unassigned')
        if u.stop in reported:
            out.append(f'stop {u.stop!r} reported unassigned twice')
        reported.add(u.stop)
        if not u.reason:
            out.append(f'stop {u.stop!r} unassigned without a reason')
    for s in problem.stops:
        if s.id not in seen and s.id not in reported:
            out.append(f'stop {s.id!r} neither routed nor unassigned')
    for t in problem.locked_trips:
        if not any(r.vehicle == t.vehicle
                and tuple(r.stops) == tuple(t.stop_ids)
                for r in plan.routes):
            out.append(f'locked trip {t.vehicle!r} {tuple(t.stop_ids)!r} '
                f'not kept')
    total = sum((r.cost for r in plan.routes), Decimal(0))
    if plan.total_cost != total:
        out.append(f'total cost {plan.total_cost} is not the sum of route '
            f'costs {total}')
    return out
