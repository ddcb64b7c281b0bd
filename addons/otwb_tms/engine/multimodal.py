# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Multimodal route choice on a lane network (no Tryton import).

Units: distance km, time hours (from the query's ``start_hour``, default
0), weight tonnes, money ``Decimal`` (inputs may be int/float/str/Decimal;
floats are read through ``str``).

Network
-------
``Node(id, kind='hub', name='', transfer_hours=0)``
    ``kind`` is one of ``NODE_KINDS`` (road, rail_station, port, hub,
    airport).  ``transfer_hours`` is spent when a shipment changes lane at
    the node (handover); not at origin or destination.
``Lane(id, from_node, to_node, mode, carrier='', distance_km=0,
transit_hours=0, cost_per_tkm=0, fixed_per_t=0, fixed_per_shipment=0,
handling_per_t=0, every_hours=None, first_departure_hour=0, cutoff_hours=0,
max_tonnes=None)``
    Directed.  ``mode`` in ``MODES`` (road, rail, water, air).  Cost of the
    lane for ``q`` tonnes::

        fixed_per_shipment + q * (fixed_per_t + cost_per_tkm * distance_km
                                  + 2 * handling_per_t)

    (``handling_per_t`` is charged at each end: loading and unloading).
    Without ``every_hours`` the lane departs as soon as the goods are there;
    with it, departures are at ``first_departure_hour + k * every_hours``
    and the goods must be at the origin ``cutoff_hours`` before.  Lanes
    with ``max_tonnes < q`` are not used.
``LaneNetwork(nodes, lanes)`` validates and indexes them (build it once,
query it many times).

Queries
-------
``best_route(network, origin, destination, tonnes, deadline_hours=None,
objective='cheapest', start_hour=0, modes=None) -> RouteOption | None``
    ``cheapest``: minimum cost with arrival within the deadline (ties: the
    earlier arrival).  ``fastest``: earliest arrival (ties: the cheaper).
    ``modes`` restricts the lanes used (e.g. ``{'road'}``).  Exact
    label-setting algorithm on (cost, time) with dominance, A*-guided by
    cost and time lower bounds; ``None`` when no route meets the deadline.
``quote(...) -> Quote`` same arguments: the best route, the road-only
    alternative with the same objective and deadline, and the saving
    (road-only cost - best cost).
``exhaustive_route(...)`` same as ``best_route`` by enumerating every
    simple path (exponential: for tests on small networks).

Results: ``RouteOption(legs, total_cost, total_hours, total_km,
depart_hour, arrive_hour)`` and ``Leg(lane, mode, carrier, from_node,
to_node, handover_node, depart_hour, arrive_hour, distance_km, cost)``
where ``handover_node`` is the node where the goods are handed to the
next leg (``None`` on the last leg).
"""

import heapq
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, Sequence

__all__ = [
    'MODES', 'NODE_KINDS', 'OBJECTIVES', 'Node', 'Lane', 'LaneNetwork',
    'Leg', 'RouteOption', 'Quote', 'lane_cost', 'best_route', 'quote',
    'exhaustive_route',
    ]

MODES = ('road', 'rail', 'water', 'air')
NODE_KINDS = ('road', 'rail_station', 'port', 'hub', 'airport')
OBJECTIVES = ('cheapest', 'fastest')
_UNIT = Decimal('0.000001')  # search works in integer micro-money
_EPS = 1e-9


@dataclass(frozen=True)
class Node:
    id: object
    kind: str = 'hub'
    name: str = ''
    transfer_hours: float = 0.0


@dataclass(frozen=True)
class Lane:
    id: object
    from_node: object
    to_node: object
    mode: str
    carrier: str = ''
    distance_km: float = 0.0
    transit_hours: float = 0.0
    cost_per_tkm: object = 0
    fixed_per_t: object = 0
    fixed_per_shipment: object = 0
    handling_per_t: object = 0
    every_hours: Optional[float] = None
    first_departure_hour: float = 0.0
    cutoff_hours: float = 0.0
    max_tonnes: Optional[float] = None


@dataclass(frozen=True)
class Leg:
    lane: object
    mode: str
    carrier: str
    from_node: object
    to_node: object
    handover_node: object
    depart_hour: float
    arrive_hour: float
    distance_km: float
    cost: Decimal


@dataclass(frozen=True)
class RouteOption:
    legs: tuple
    total_cost: Decimal
    total_hours: float
    total_km: float
    depart_hour: float
    arrive_hour: float

    @property
    def modes(self):
        return tuple(leg.mode for leg in self.legs)

    @property
    def nodes(self):
        if not self.legs:
            return ()
        return (self.legs[0].from_node,) + tuple(
            leg.to_node for leg in self.legs)


@dataclass(frozen=True)
class Quote:
    best: Optional[RouteOption]
    road_only: Optional[RouteOption]
    saving: Optional[Decimal]
    objective: str
    reason: str = ''


def _dec(value, name):
    try:
        d = Decimal(str(value))
    except Exception:
        raise ValueError(f'{name} must be a number, got {value!r}') from None
    if not d.is_finite() or d < 0:
        raise ValueError(f'{name} must be >= 0, got {value!r}')
    return d


def _float(value, name, allow_none=False, positive=False):
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be a number, got {value!r}') from None
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        op = '>' if positive else '>='
        raise ValueError(f'{name} must be {op} 0, got {value!r}')
    return v


def lane_cost(lane, tonnes):
    "Exact ``Decimal`` cost of moving ``tonnes`` on ``lane``."
    q = _dec(tonnes, 'tonnes')
    return (_dec(lane.fixed_per_shipment, 'fixed_per_shipment')
        + q * (_dec(lane.fixed_per_t, 'fixed_per_t')
            + _dec(lane.cost_per_tkm, 'cost_per_tkm')
            * _dec(lane.distance_km, 'distance_km')
            + 2 * _dec(lane.handling_per_t, 'handling_per_t')))


class LaneNetwork:
    "Validated, indexed lane network."

    def __init__(self, nodes: Sequence[Node], lanes: Sequence[Lane]):
        self.nodes = {}
        for n in nodes:
            if n.id in self.nodes:
                raise ValueError(f'node id {n.id!r} is not unique')
            if n.kind not in NODE_KINDS:
                raise ValueError(
                    f'node {n.id!r} kind {n.kind!r} not in {NODE_KINDS}')
            _float(n.transfer_hours, f'node {n.id!r} transfer_hours')
            self.nodes[n.id] = n
        self.lanes = {}
        self.out = {nid: [] for nid in self.nodes}
        self.inc = {nid: [] for nid in self.nodes}
        for lane in lanes:
            name = f'lane {lane.id!r}'
            if lane.id in self.lanes:
                raise ValueError(f'lane id {lane.id!r} is not unique')
            for end in ('from_node', 'to_node'):
                if getattr(lane, end) not in self.nodes:
                    raise ValueError(f'{name} {end} '
                        f'{getattr(lane, end)!r} is not a node id')
            if lane.mode not in MODES:
                raise ValueError(
                    f'{name} mode {lane.mode!r} not in {MODES}')
            if lane.from_node == lane.to_node:
                raise ValueError(f'{name} is a loop on {lane.from_node!r}')
            _float(lane.distance_km, f'{name} distance_km')
            _float(lane.transit_hours, f'{name} transit_hours')
            _float(lane.every_hours, f'{name} every_hours',
                allow_none=True, positive=True)
            _float(lane.first_departure_hour,
                f'{name} first_departure_hour')
            _float(lane.cutoff_hours, f'{name} cutoff_hours')
            _float(lane.max_tonnes, f'{name} max_tonnes', allow_none=True)
            lane_cost(lane, 1)  # validates the money fields
            self.lanes[lane.id] = lane
            self.out[lane.from_node].append(lane)
            self.inc[lane.to_node].append(lane)


def _hours(t):
    "Times are kept to 1e-9 h so that equal schedules compare equal."
    return round(t, 9)


def _departure(lane, ready):
    "Departure hour of ``lane`` for goods ready at its origin at ``ready``."
    t = ready + float(lane.cutoff_hours)
    if not lane.every_hours:
        return ready
    first = float(lane.first_departure_hour)
    every = float(lane.every_hours)
    if t <= first:
        return first
    k = math.ceil((t - first) / every - _EPS)
    return _hours(first + k * every)


def _check_query(network, origin, destination, tonnes, deadline_hours,
        objective, start_hour):
    if origin not in network.nodes:
        raise ValueError(f'origin {origin!r} is not a node id')
    if destination not in network.nodes:
        raise ValueError(f'destination {destination!r} is not a node id')
    if objective not in OBJECTIVES:
        raise ValueError(f'objective {objective!r} not in {OBJECTIVES}')
    q = _dec(tonnes, 'tonnes')
    if q == 0:
        raise ValueError(f'tonnes must be > 0, got {tonnes!r}')
    _float(deadline_hours, 'deadline_hours', allow_none=True)
    _float(start_hour, 'start_hour')
    return q


def _usable(network, tonnes, modes):
    q = float(tonnes)
    return {lid: lane for lid, lane in network.lanes.items()
        if (modes is None or lane.mode in modes)
        and (lane.max_tonnes is None or q <= float(lane.max_tonnes) + _EPS)}


def _build(network, origin, lane_seq, tonnes, start_hour):
    legs = []
    t = float(start_hour)
    for k, lane in enumerate(lane_seq):
        if k:
            t = _hours(
                t + float(network.nodes[lane.from_node].transfer_hours))
        dep = _departure(lane, t)
        arr = _hours(dep + float(lane.transit_hours))
        last = k == len(lane_seq) - 1
        legs.append(Leg(
            lane=lane.id, mode=lane.mode, carrier=lane.carrier,
            from_node=lane.from_node, to_node=lane.to_node,
            handover_node=None if last else lane.to_node,
            depart_hour=dep, arrive_hour=arr,
            distance_km=float(lane.distance_km),
            cost=lane_cost(lane, tonnes)))
        t = arr
    start = float(start_hour)
    return RouteOption(
        legs=tuple(legs),
        total_cost=sum((leg.cost for leg in legs), Decimal(0)),
        total_hours=_hours(t - start),
        total_km=sum(leg.distance_km for leg in legs),
        depart_hour=legs[0].depart_hour if legs else start,
        arrive_hour=t)


def _lower_bounds(network, lanes, destination, cost_of):
    """Reverse Dijkstra: min cost and min hours from each node to the end.

    The hour bound of a node counts its own transfer time (paid when the
    goods leave it); the origin's start label subtracts it."""
    inc = {}
    for lane in lanes.values():
        inc.setdefault(lane.to_node, []).append(lane)
    result = []
    for weight in (lambda ln, v: cost_of[ln.id],
            lambda ln, v: float(ln.transit_hours)
                + float(network.nodes[ln.from_node].transfer_hours)):
        best = {destination: 0}
        heap = [(0, 0, destination)]
        seq = 1
        while heap:
            d, _, v = heapq.heappop(heap)
            if d > best.get(v, math.inf):
                continue
            for lane in inc.get(v, ()):
                u = lane.from_node
                nd = d + weight(lane, v)
                if nd < best.get(u, math.inf):
                    best[u] = nd
                    heapq.heappush(heap, (nd, seq, u))
                    seq += 1
        result.append(best)
    return result


def best_route(network, origin, destination, tonnes, deadline_hours=None,
        objective='cheapest', start_hour=0.0, modes=None, guided=True):
    """Exact best route; see the module docstring.

    ``guided=False`` drops the lower bounds (plain label setting, same
    result, slower: the benchmark baseline)."""
    q = _check_query(network, origin, destination, tonnes, deadline_hours,
        objective, start_hour)
    start = float(start_hour)
    limit = (math.inf if deadline_hours is None
        else start + float(deadline_hours) + _EPS)
    if origin == destination:
        return _build(network, origin, [], q, start)
    lanes = _usable(network, q, modes)
    cost_of = {lid: int((lane_cost(lane, q) / _UNIT).to_integral_value())
        for lid, lane in lanes.items()}
    lb_cost, lb_time = _lower_bounds(network, lanes, destination, cost_of)
    if origin not in lb_cost:
        return None
    if not guided:
        lb_cost = dict.fromkeys(lb_cost, 0)
        lb_time = dict.fromkeys(lb_time, 0.0)
    out = {}
    for lane in lanes.values():
        out.setdefault(lane.from_node, []).append(lane)
    cheapest = objective == 'cheapest'
    # labels: (key1, key2, seq, node, cost, time, parent label, lane)
    # settled[node] = best secondary criterion among labels settled there
    settled = {}
    labels = []
    seq = 0
    heap = []

    def push(node, cost, t, parent, lane, adjust=0.0):
        nonlocal seq
        if node not in lb_cost:
            return
        h = lb_time[node] - adjust
        if t + h > limit:
            return
        second = t if cheapest else cost
        if settled.get(node, math.inf) <= second:
            return
        if cheapest:
            key = (cost + lb_cost[node], t + h)
        else:
            key = (t + h, cost + lb_cost[node])
        labels.append((node, cost, t, parent, lane))
        heapq.heappush(heap, (key[0], key[1], seq, len(labels) - 1))
        seq += 1

    push(origin, 0, start, None, None,
        float(network.nodes[origin].transfer_hours))
    while heap:
        *_, idx = heapq.heappop(heap)
        node, cost, t, parent, lane = labels[idx]
        second = t if cheapest else cost
        if settled.get(node, math.inf) <= second:
            continue  # dominated by a label settled earlier
        settled[node] = second
        if node == destination:
            seq_lanes = []
            while parent is not None:
                seq_lanes.append(lane)
                node, cost, t, parent, lane = labels[parent]
            return _build(network, origin, seq_lanes[::-1], q, start)
        ready = t
        if parent is not None:
            ready = _hours(t + float(network.nodes[node].transfer_hours))
        for nxt in out.get(node, ()):
            arr = _hours(_departure(nxt, ready) + float(nxt.transit_hours))
            push(nxt.to_node, cost + cost_of[nxt.id], arr, idx, nxt)
    return None


def exhaustive_route(network, origin, destination, tonnes,
        deadline_hours=None, objective='cheapest', start_hour=0.0,
        modes=None):
    "Best route by enumerating all simple paths (small networks only)."
    q = _check_query(network, origin, destination, tonnes, deadline_hours,
        objective, start_hour)
    start = float(start_hour)
    limit = (math.inf if deadline_hours is None
        else start + float(deadline_hours) + _EPS)
    if origin == destination:
        return _build(network, origin, [], q, start)
    lanes = _usable(network, q, modes)
    out = {}
    for lane in lanes.values():
        out.setdefault(lane.from_node, []).append(lane)
    best = None
    best_key = None
    path = []
    visited = {origin}

    def dfs(node):
        nonlocal best, best_key
        if node == destination:
            opt = _build(network, origin, path, q, start)
            if opt.arrive_hour > limit:
                return
            key = ((opt.total_cost, opt.arrive_hour) if objective ==
                'cheapest' else (opt.arrive_hour, opt.total_cost))
            if best_key is None or key < best_key:
                best, best_key = opt, key
            return
        for lane in out.get(node, ()):
            if lane.to_node in visited:
                continue
            visited.add(lane.to_node)
            path.append(lane)
            dfs(lane.to_node)
            path.pop()
            visited.discard(lane.to_node)

    dfs(origin)
    return best


def quote(network, origin, destination, tonnes, deadline_hours=None,
        objective='cheapest', start_hour=0.0):
    "Best route, road-only alternative and saving; see module docstring."
    best = best_route(network, origin, destination, tonnes, deadline_hours,
        objective, start_hour)
    road = best_route(network, origin, destination, tonnes, deadline_hours,
        objective, start_hour, modes={'road'})
    saving = None
    if best is not None and road is not None:
        saving = road.total_cost - best.total_cost
    reason = ''
    if best is None:
        reason = ('no route within the deadline' if deadline_hours is not
            None else 'destination not reachable')
    return Quote(best=best, road_only=road, saving=saving,
        objective=objective, reason=reason)
