# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Putaway bin selection (plain Python, no ERP).

Inputs
------
- :class:`PutawayItem`: what to store: ``qty`` whole units of a product
  with ``unit_weight_kg`` and ``unit_volume_m3``; optional
  ``units_per_pallet`` (each started pallet takes one pallet position),
  ``unit_width_m`` (e.g. coil width, checked against
  ``BinState.max_unit_width_m``), ``abc_class`` and free ``lot_attributes``.
- :class:`BinState`: one candidate bin with its capacities and current
  load (used volume/weight/pallet positions, products stored), level,
  coordinates, zone, ``heavy_allowed`` and optional ``distance_m`` from the
  receiving dock (e.g. ``Layout.distances_from(dock, codes)``; if ``None``
  the Manhattan distance from ``origin`` is used).
- a strategy (rule matching is done by the ERP, which passes the strategy
  and zone it selected):

  ``'fixed'``
      only ``fixed_bin``.
  ``'consolidate'``
      bins already holding the product (nearest first), then empty bins
      (nearest first).
  ``'nearest_empty'``
      empty bins only, nearest first (``abc_class='C'`` takes the
      farthest first, keeping the near bins for fast movers).
  ``'heavy_low'``
      bins holding the product or empty, lowest level first, then nearest.

Rules common to all strategies: bins outside ``zone`` (when given) or
``blocked`` are skipped; bins holding other products are skipped unless
``allow_mixed``; an item is *heavy* when ``unit_weight_kg >=
heavy_threshold_kg`` and then only ``heavy_allowed`` bins are used; no
capacity (volume, weight, pallet positions, unit width) is ever exceeded.

Output
------
:class:`PutawayResult`: ``lines`` (bin code, qty) in order, the
``unplaced_qty`` and, when something could not be placed, a ``reason``
naming the limiting constraints.  Quantities are whole units (``int``).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Hashable, Mapping, Sequence

__all__ = ['PutawayItem', 'BinState', 'PutawayLine', 'PutawayResult',
           'plan_putaway', 'STRATEGIES']

STRATEGIES = ('fixed', 'consolidate', 'nearest_empty', 'heavy_low')
_EPS = 1e-9


@dataclass(frozen=True)
class PutawayItem:
    product_id: Hashable
    qty: int
    unit_weight_kg: float
    unit_volume_m3: float
    category: Hashable | None = None
    units_per_pallet: int | None = None
    unit_width_m: float | None = None
    abc_class: str | None = None
    lot_attributes: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class BinState:
    code: str
    zone: str = ''
    level: int = 1
    x: float = 0.0
    y: float = 0.0
    capacity_volume_m3: float = 0.0
    capacity_weight_kg: float = 0.0
    pallet_positions: int = 0
    used_volume_m3: float = 0.0
    used_weight_kg: float = 0.0
    used_pallets: int = 0
    products: frozenset = frozenset()
    heavy_allowed: bool = True
    max_unit_width_m: float | None = None
    blocked: bool = False
    distance_m: float | None = None

    @property
    def is_empty(self) -> bool:
        return (not self.products and self.used_volume_m3 <= _EPS
                and self.used_weight_kg <= _EPS and self.used_pallets == 0)


@dataclass(frozen=True)
class PutawayLine:
    bin: str
    qty: int


@dataclass(frozen=True)
class PutawayResult:
    lines: tuple[PutawayLine, ...]
    unplaced_qty: int
    reason: str | None = None

    @property
    def placed_qty(self) -> int:
        return sum(line.qty for line in self.lines)


def _validate(item: PutawayItem, bins: Sequence[BinState]):
    if not isinstance(item, PutawayItem):
        raise ValueError('item: expected PutawayItem, got %r' % (item,))
    if isinstance(item.qty, bool) or not isinstance(item.qty, int) \
            or item.qty < 0:
        raise ValueError('item.qty: expected a whole number >= 0, got %r'
                         % (item.qty,))
    for name in ('unit_weight_kg', 'unit_volume_m3'):
        v = getattr(item, name)
        if v is None or not math.isfinite(v) or v < 0:
            raise ValueError('item.%s: must be >= 0, got %r' % (name, v))
    if item.units_per_pallet is not None and item.units_per_pallet <= 0:
        raise ValueError('item.units_per_pallet: must be > 0, got %r'
                         % (item.units_per_pallet,))
    seen = set()
    for b in bins:
        if not isinstance(b, BinState):
            raise ValueError('bins: expected BinState, got %r' % (b,))
        if b.code in seen:
            raise ValueError('bin.code: duplicate %r' % (b.code,))
        seen.add(b.code)
        for name in ('capacity_volume_m3', 'capacity_weight_kg',
                     'pallet_positions', 'used_volume_m3', 'used_weight_kg',
                     'used_pallets'):
            v = getattr(b, name)
            if v is None or v < 0:
                raise ValueError('bin.%s: must be >= 0, got %r for bin %r'
                                 % (name, v, b.code))


def max_units(item: PutawayItem, b: BinState) -> tuple[int, str | None]:
    """Units of ``item`` that fit in ``b`` and the limiting constraint."""
    limits = []
    if item.unit_width_m is not None and b.max_unit_width_m is not None \
            and item.unit_width_m > b.max_unit_width_m + _EPS:
        return 0, 'width'
    if item.unit_volume_m3 > 0:
        rem = b.capacity_volume_m3 - b.used_volume_m3
        limits.append((math.floor(rem / item.unit_volume_m3 + _EPS),
                       'volume'))
    if item.unit_weight_kg > 0:
        rem = b.capacity_weight_kg - b.used_weight_kg
        limits.append((math.floor(rem / item.unit_weight_kg + _EPS),
                       'weight'))
    if item.units_per_pallet:
        free = b.pallet_positions - b.used_pallets
        limits.append((free * item.units_per_pallet, 'pallet positions'))
    if not limits:
        return item.qty, None
    n, why = min(limits, key=lambda t: t[0])
    return max(0, n), why


def plan_putaway(item: PutawayItem, bins: Sequence[BinState],
                 strategy: str, *, zone: str | None = None,
                 fixed_bin: str | None = None,
                 origin: tuple[float, float] = (0.0, 0.0),
                 allow_split: bool = True, allow_mixed: bool = False,
                 heavy_threshold_kg: float = 25.0) -> PutawayResult:
    """Choose bins for ``item``; see the module docstring.

    ``allow_split=False`` requires one bin taking the whole quantity.
    """
    bins = list(bins)
    _validate(item, bins)
    if strategy not in STRATEGIES:
        raise ValueError('strategy: expected one of %s, got %r'
                         % (', '.join(STRATEGIES), strategy))
    if strategy == 'fixed' and not fixed_bin:
        raise ValueError("fixed_bin: required for strategy 'fixed'")
    if item.qty == 0:
        return PutawayResult((), 0)
    heavy = item.unit_weight_kg >= heavy_threshold_kg

    def dist(b):
        if b.distance_m is not None:
            return b.distance_m
        return abs(b.x - origin[0]) + abs(b.y - origin[1])

    skipped = Counter()
    candidates = []
    for b in bins:
        if strategy == 'fixed' and b.code != fixed_bin:
            continue
        if zone is not None and b.zone != zone:
            skipped['outside zone %r' % zone] += 1
            continue
        if b.blocked:
            skipped['blocked'] += 1
            continue
        if heavy and not b.heavy_allowed:
            skipped['level not allowed for heavy goods (%s kg/unit)'
                    % item.unit_weight_kg] += 1
            continue
        same = item.product_id in b.products
        others = bool(set(b.products) - {item.product_id})
        if others and not allow_mixed:
            skipped['holds other products'] += 1
            continue
        if strategy == 'nearest_empty' and not b.is_empty:
            skipped['not empty'] += 1
            continue
        fit, why = max_units(item, b)
        if fit <= 0:
            skipped['no remaining %s' % why] += 1
            continue
        candidates.append((b, fit, same))
    if strategy == 'fixed' and not any(b.code == fixed_bin for b in bins):
        return PutawayResult((), item.qty,
                             'fixed bin %r is not a candidate' % fixed_bin)

    if strategy == 'consolidate':
        candidates.sort(key=lambda c: (not c[2], dist(c[0]), c[0].code))
    elif strategy == 'heavy_low':
        candidates.sort(key=lambda c: (c[0].level, dist(c[0]), c[0].code))
    elif strategy == 'nearest_empty' and (item.abc_class or '').upper() \
            == 'C':
        candidates.sort(key=lambda c: (-dist(c[0]), c[0].code))
    else:
        candidates.sort(key=lambda c: (dist(c[0]), c[0].code))

    lines = []
    remaining = item.qty
    if allow_split:
        for b, fit, _ in candidates:
            if remaining <= 0:
                break
            take = min(fit, remaining)
            lines.append(PutawayLine(b.code, take))
            remaining -= take
    else:
        for b, fit, _ in candidates:
            if fit >= remaining:
                lines.append(PutawayLine(b.code, remaining))
                remaining = 0
                break
    reason = None
    if remaining > 0:
        reason = _reason(item, remaining, zone, candidates, skipped,
                         allow_split)
    return PutawayResult(tuple(lines), remaining, reason)


def _reason(item, remaining, zone, candidates, skipped, allow_split):
    where = ' in zone %r' % zone if zone is not None else ''
    parts = []
    if not candidates and not skipped:
        return 'no candidate bin%s for product %r' % (where, item.product_id)
    if candidates and not allow_split:
        best = max(c[1] for c in candidates)
        parts.append('largest single bin takes %d of %d units (split not '
                     'allowed)' % (best, item.qty))
    elif candidates:
        parts.append('%d bins take only %d of %d units'
                     % (len(candidates), item.qty - remaining, item.qty))
    for why, n in skipped.most_common():
        parts.append('%d bins %s' % (n, why))
    return ('%d units of product %r could not be placed%s: %s'
            % (remaining, item.product_id, where, '; '.join(parts)))
