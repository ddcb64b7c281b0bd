# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fulfilment planning: which warehouse ships which quantity of each line.

Plain Python, no ``trytond`` import.

Public API
==========

``plan_fulfilment(lines, warehouses, availability, policy='split',
destination=None, max_exact_candidates=12)`` -> :class:`Plan`

* ``lines``: iterable of :class:`OrderLine` (quantities in the product's
  stock unit, ``Decimal`` or ``int``; weight kg per unit, volume m3 per
  unit).  Several lines may share a product: they draw on the same stock.
* ``warehouses``: candidate :class:`Warehouse` in preference order (the
  ERP decides the order: channel / customer / default priority).
* ``availability``: mapping ``(warehouse_id, product_id) -> quantity``
  already net of reservations and safety stock (see
  :func:`net_availability`).  Missing keys and negative values mean 0.
* ``policy``:

  ``'single'``  ship complete from the first candidate that can serve
                every line in full; otherwise no group at all and every
                line unallocated (``Plan.reason = 'no_single_warehouse'``,
                or ``'out_of_stock'`` when even all the candidates together
                cannot serve the order).
  ``'split'``   allocate as much as possible using the fewest warehouses;
                among sets of the same size, the one earliest in candidate
                order (lexicographic on ranks) wins; lines are then filled
                from the chosen warehouses in candidate order, splitting a
                line across warehouses when needed.  Exact search over
                warehouse subsets up to ``max_exact_candidates`` useful
                candidates and :data:`EXACT_SEARCH_BUDGET` operations
                (about 0.3 s), greedy set cover beyond; the exact search
                never returns more warehouses than the greedy cover.
  ``'nearest'`` candidates sorted by great-circle distance to
                ``destination``; warehouses without a distance (no
                coordinates on either side) come after, those in the
                destination country first, then in candidate order;
                lines are filled from the nearest warehouse holding stock
                first, then the next nearest, and so on.

* ``destination``: :class:`Destination` (required for ``'nearest'``,
  optional otherwise: when given, groups carry ``distance_km``).

The :class:`Plan` has ``groups`` (one :class:`FulfilmentGroup` per
warehouse used, in fill order, each with its :class:`AllocatedLine`\\ s) and
``unallocated`` (:class:`Unallocated` per line short, reason
``'out_of_stock'``, ``'no_single_warehouse'`` or ``'no_warehouse'``).
Invariant, exact in ``Decimal``: for each line, the sum of its allocated
quantities plus its unallocated quantity equals its ordered quantity, and
no warehouse is allocated more of a product than its availability.

Invalid input (quantity <= 0, unknown policy, duplicate line ids) raises
``ValueError``.
"""

import dataclasses
import itertools
import math
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    'OrderLine', 'Warehouse', 'Destination', 'AllocatedLine',
    'FulfilmentGroup', 'Unallocated', 'Plan', 'POLICIES', 'plan_fulfilment',
    'net_availability', 'great_circle_km',
    ]

POLICIES = ('single', 'split', 'nearest')
#: product x warehouse additions allowed in the exact 'split' search
EXACT_SEARCH_BUDGET = 2_000_000
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class OrderLine:
    id: object                          # ERP line id
    product: object                     # ERP product id
    quantity: Decimal                   # > 0, stock unit
    weight: Decimal = Decimal(0)        # kg per unit
    volume: Decimal = Decimal(0)        # m3 per unit
    dangerous: bool = False
    oversize: bool = False
    cold: bool = False


@dataclass(frozen=True)
class Warehouse:
    id: object
    latitude: float | None = None       # degrees
    longitude: float | None = None      # degrees
    country: str | None = None          # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Destination:
    latitude: float | None = None
    longitude: float | None = None
    country: str | None = None


@dataclass(frozen=True)
class AllocatedLine:
    line_id: object
    product: object
    quantity: Decimal


@dataclass(frozen=True)
class FulfilmentGroup:
    warehouse: object                   # Warehouse.id
    lines: tuple                        # AllocatedLine, in order line order
    weight: Decimal                     # kg
    volume: Decimal                     # m3
    distance_km: float | None           # to the destination if known
    dangerous: bool                     # any line flagged
    oversize: bool
    cold: bool


@dataclass(frozen=True)
class Unallocated:
    line_id: object
    product: object
    quantity: Decimal
    reason: str     # 'out_of_stock', 'no_single_warehouse', 'no_warehouse'


@dataclass(frozen=True)
class Plan:
    policy: str
    groups: tuple
    unallocated: tuple
    reason: str | None                  # None when complete

    @property
    def complete(self):
        return not self.unallocated

    @property
    def allocated_quantity(self):
        return sum((a.quantity for g in self.groups for a in g.lines),
            Decimal(0))

    @property
    def unallocated_quantity(self):
        return sum((u.quantity for u in self.unallocated), Decimal(0))

    def allocated_by_line(self):
        """line id -> total allocated quantity (lines with none omitted)."""
        result = {}
        for group in self.groups:
            for alloc in group.lines:
                result[alloc.line_id] = (
                    result.get(alloc.line_id, Decimal(0)) + alloc.quantity)
        return result


def net_availability(on_hand, reserved=0, safety=0):
    """Quantity a warehouse may promise: on hand - reserved - safety >= 0."""
    return max(Decimal(0), _dec(on_hand) - _dec(reserved) - _dec(safety))


def great_circle_km(lat1, lon1, lat2, lon2):
    """Haversine distance in km between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = (math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _dec(value):
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _distance(warehouse, destination):
    if destination is None:
        return None
    coords = (warehouse.latitude, warehouse.longitude,
        destination.latitude, destination.longitude)
    if any(c is None for c in coords):
        return None
    return great_circle_km(*(float(c) for c in coords))


def _fill(lines, order, stock):
    """Fill lines from warehouses in ``order``; mutate ``stock``.

    Returns {warehouse: {line index: qty}} and remaining qty per line.
    """
    remaining = [line.quantity for line in lines]
    allocation = {}
    for warehouse in order:
        for index, line in enumerate(lines):
            if remaining[index] <= 0:
                continue
            key = (warehouse.id, line.product)
            available = stock.get(key, Decimal(0))
            take = min(available, remaining[index])
            if take > 0:
                stock[key] = available - take
                remaining[index] -= take
                allocation.setdefault(warehouse.id, {})[index] = take
    return allocation, remaining


def _coverage(demand, stock, chosen):
    """Quantity of ``demand`` (product -> qty) served by ``chosen``."""
    total = Decimal(0)
    for product, quantity in demand.items():
        available = sum((stock.get((w.id, product), Decimal(0))
                for w in chosen), Decimal(0))
        total += min(quantity, available)
    return total


class _Cover:
    """Coverage of warehouse subsets on a compact per-product table."""

    def __init__(self, useful, demand, stock):
        self.products = [p for p in demand]
        self.demand = [demand[p] for p in self.products]
        # availability capped at demand: same coverage, smaller numbers
        self.rows = [[min(d, stock.get((w.id, p), Decimal(0)))
                for p, d in zip(self.products, self.demand, strict=True)]
            for w in useful]

    def __call__(self, indexes):
        total = Decimal(0)
        rows = [self.rows[i] for i in indexes]
        for j, quantity in enumerate(self.demand):
            available = Decimal(0)
            for row in rows:
                available += row[j]
                if available >= quantity:
                    available = quantity
                    break
            total += available
        return total


def _choose_split(warehouses, demand, stock, max_exact):
    """Smallest warehouse set reaching the best coverage, candidate order
    breaking ties; greedy when the exact search is too expensive."""
    useful = [w for w in warehouses
        if any(stock.get((w.id, p), 0) > 0 for p in demand)]
    if not useful:
        return []
    cover = _Cover(useful, demand, stock)
    indexes = range(len(useful))
    best = cover(indexes)
    # greedy set cover: the warehouse adding most coverage, earliest first
    greedy, covered = [], Decimal(0)
    while covered < best:
        gain, pick = max((cover(greedy + [i]) - covered, -i)
            for i in indexes if i not in greedy)
        if gain <= 0:  # pragma: no cover (best is reachable by definition)
            break
        greedy.append(-pick)
        covered += gain
    greedy.sort()
    if len(useful) <= max_exact:
        # exact: the first subset, by size then candidate order, reaching
        # the best coverage; never larger than the greedy one
        work, budget = 0, EXACT_SEARCH_BUDGET
        for size in range(1, len(greedy) + 1):
            for chosen in itertools.combinations(indexes, size):
                work += len(cover.demand) * size
                if work > budget:
                    return [useful[i] for i in greedy]
                if cover(chosen) == best:
                    return [useful[i] for i in chosen]
    return [useful[i] for i in greedy]


def plan_fulfilment(lines, warehouses, availability, policy='split',
        destination=None, max_exact_candidates=12):
    """Plan the fulfilment of an order; see the module docstring."""
    if policy not in POLICIES:
        raise ValueError('unknown policy %r (expected one of %s)'
            % (policy, ', '.join(POLICIES)))
    lines = [line if isinstance(line.quantity, Decimal) else
        dataclasses.replace(line, quantity=_dec(line.quantity))
        for line in lines]
    ids = set()
    for line in lines:
        if not line.quantity.is_finite() or line.quantity <= 0:
            raise ValueError('line %r: quantity must be > 0, got %s'
                % (line.id, line.quantity))
        if line.id in ids:
            raise ValueError('duplicate line id %r' % (line.id,))
        ids.add(line.id)
    warehouses = list(warehouses)
    if len({w.id for w in warehouses}) != len(warehouses):
        raise ValueError('duplicate warehouse id in candidates')
    stock = {}
    for key, quantity in availability.items():
        quantity = _dec(quantity)
        if quantity.is_finite() and quantity > 0:
            stock[key] = quantity
    demand = {}
    for line in lines:
        demand[line.product] = demand.get(line.product, Decimal(0)) + (
            line.quantity)
    distances = {w.id: _distance(w, destination) for w in warehouses}

    reason = None
    if not warehouses:
        order, reason = [], 'no_warehouse'
    elif policy == 'single':
        order = []
        for warehouse in warehouses:
            if _coverage(demand, stock, [warehouse]) == sum(
                    demand.values(), Decimal(0)):
                order = [warehouse]
                break
        if not order:
            total = _coverage(demand, stock, warehouses)
            reason = ('no_single_warehouse'
                if total == sum(demand.values(), Decimal(0))
                else 'out_of_stock')
    elif policy == 'split':
        order = _choose_split(warehouses, demand, stock,
            max_exact_candidates)
    else:
        if destination is None:
            raise ValueError("policy 'nearest' needs a destination")
        country = (destination.country or '').upper()

        def rank(item):
            position, warehouse = item
            distance = distances[warehouse.id]
            if distance is not None:
                return (0, distance, position)
            foreign = not country or (
                (warehouse.country or '').upper() != country)
            return (1, float(foreign), position)
        order = [w for _, w in sorted(enumerate(warehouses), key=rank)]

    allocation, remaining = _fill(lines, order, stock)
    groups = []
    for warehouse in order:
        by_line = allocation.get(warehouse.id)
        if not by_line:
            continue
        allocated = [(lines[i], q) for i, q in sorted(by_line.items())]
        groups.append(FulfilmentGroup(
                warehouse=warehouse.id,
                lines=tuple(AllocatedLine(line_id=line.id,
                        product=line.product, quantity=q)
                    for line, q in allocated),
                weight=sum((_dec(line.weight or 0) * q
                        for line, q in allocated), Decimal(0)),
                volume=sum((_dec(line.volume or 0) * q
                        for line, q in allocated), Decimal(0)),
                distance_km=distances[warehouse.id],
                dangerous=any(line.dangerous for line, _ in allocated),
                oversize=any(line.oversize for line, _ in allocated),
                cold=any(line.cold for line, _ in allocated),
                ))
    unallocated = []
    for line, quantity in zip(lines, remaining, strict=True):
        if quantity > 0:
            line_reason = reason if reason else 'out_of_stock'
            if policy == 'single' and warehouses:
                total = sum((stock.get((w.id, line.product), Decimal(0))
                        for w in warehouses), Decimal(0))
                line_reason = ('out_of_stock' if total < demand[line.product]
                    else 'no_single_warehouse')
            unallocated.append(Unallocated(line_id=line.id,
                    product=line.product, quantity=quantity,
                    reason=line_reason))
    if unallocated and reason is None:
        reason = 'out_of_stock'
    return Plan(policy=policy, groups=tuple(groups),
        unallocated=tuple(unallocated), reason=reason)
