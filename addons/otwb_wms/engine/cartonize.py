# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Cartonization: choose boxes and 3D placements (plain Python, no ERP).

Inputs
------
- :class:`BoxType`: ``code``, inner ``length_cm`` x ``width_cm`` x
  ``height_cm``, ``max_weight_kg`` (maximum *gross* weight, tare
  included), ``tare_weight_kg``, ``cost`` (``Decimal``) and optional outer
  dimensions (reported instead of the inner ones when given).
- :class:`PackItem`: ``sku``, ``length_cm`` x ``width_cm`` x
  ``height_cm``, ``weight_kg`` per unit, ``qty`` (whole units) and
  ``can_rotate`` (all 6 axis-aligned rotations; otherwise as given).

Algorithm (:func:`cartonize`)
-----------------------------
Units are sorted by decreasing volume (then, as alternatives, by longest
side and by largest face) and three rotation policies are tried (flat
with the longest side along the box length, flat with the longest side
along the box width, standing); the best of the nine fills is kept for
each box.  Each box is filled with a 3D
*extreme-point* heuristic (Crainic, Perboli & Tadei 2008): every placed
unit creates candidate corners, projected down/back/left onto the floor or
the nearest placed unit; a unit goes at the lowest (z, y, x) extreme point
where one of its allowed rotations fits without overlap and within the
box and weight limit, the rotation being chosen by the policy.  To choose
the box, every box type is tried on the remaining units: if some box
types take them all, the smallest (volume, then cost) is used and packing
ends; otherwise the box type packing the largest volume is opened (ties:
smaller box, then lower cost).  Finally every box is re-tried in smaller
box types that hold the same contents.
So the heuristic minimises box count first, then empty volume.
Units that fit no box type (dimensions in every allowed rotation, or
weight) are returned in ``unpacked`` with a reason.

Baselines (:func:`ffd_baseline`): first-fit-decreasing by volume into the
largest box type (by inner volume), a unit going into the first open box
whose remaining *volume* and weight allow it.  With ``check_3d=False``
(the classic baseline) the check is volume-only, so the count is a lower
bound that may not be physically packable (``placements`` are empty);
with ``check_3d=True`` the first-fit uses the same extreme-point fit.

:func:`verify_packing` checks a packed box: placements inside the box, no
two overlapping, rotations allowed for the item, weight limit, weights
consistent.  It returns a list of problems (empty when valid).

Units: centimetres, kilograms; ``fill_rate`` is item volume / inner box
volume (0..1).
"""
from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Hashable, Sequence

import numpy as np

__all__ = [
    'BoxType', 'PackItem', 'Placement', 'PackedBox', 'PackResult',
    'Unpacked', 'cartonize', 'ffd_baseline', 'verify_packing',
    'verify_result',
]

_EPS = 1e-6


@dataclass(frozen=True)
class BoxType:
    code: str
    length_cm: float
    width_cm: float
    height_cm: float
    max_weight_kg: float
    tare_weight_kg: float = 0.0
    cost: Decimal = Decimal(0)
    outer_cm: tuple[float, float, float] | None = None

    @property
    def volume_cm3(self) -> float:
        return self.length_cm * self.width_cm * self.height_cm

    @property
    def payload_kg(self) -> float:
        return self.max_weight_kg - self.tare_weight_kg


@dataclass(frozen=True)
class PackItem:
    sku: Hashable
    length_cm: float
    width_cm: float
    height_cm: float
    weight_kg: float
    qty: int = 1
    can_rotate: bool = True

    @property
    def volume_cm3(self) -> float:
        return self.length_cm * self.width_cm * self.height_cm

    def rotations(self) -> list[tuple[float, float, float]]:
        dims = (self.length_cm, self.width_cm, self.height_cm)
        if not self.can_rotate:
            return [dims]
        return list(dict.fromkeys(itertools.permutations(dims)))


@dataclass(frozen=True)
class Placement:
    """One unit: corner ``(x, y, z)`` (cm from the box's inner origin) and
    extents ``dx, dy, dz`` along the box length, width and height (the
    rotation actually used)."""
    sku: Hashable
    x: float
    y: float
    z: float
    dx: float
    dy: float
    dz: float


@dataclass
class PackedBox:
    box_code: str
    placements: list[Placement] = field(default_factory=list)
    net_weight_kg: float = 0.0
    gross_weight_kg: float = 0.0
    dimensions_cm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    item_volume_cm3: float = 0.0
    fill_rate: float = 0.0
    cost: Decimal = Decimal(0)

    @property
    def contents(self) -> dict:
        """``{sku: qty}``."""
        return dict(Counter(p.sku for p in self.placements)) \
            if self.placements else dict(self._contents)

    _contents: Counter = field(default_factory=Counter, repr=False)


@dataclass(frozen=True)
class Unpacked:
    sku: Hashable
    qty: int
    reason: str


@dataclass
class PackResult:
    boxes: list[PackedBox]
    unpacked: list[Unpacked]

    @property
    def box_count(self) -> int:
        return len(self.boxes)

    @property
    def total_cost(self) -> Decimal:
        return sum((b.cost for b in self.boxes), Decimal(0))

    @property
    def fill_rate(self) -> float:
        """Overall item volume / box volume."""
        iv = sum(b.item_volume_cm3 for b in self.boxes)
        bv = sum(b.item_volume_cm3 / b.fill_rate for b in self.boxes
                 if b.fill_rate > 0)
        return iv / bv if bv else 0.0


# ---------------------------------------------------------------------------
# validation

def _validate(items: Sequence[PackItem], box_types: Sequence[BoxType]):
    if not box_types:
        raise ValueError('box_types: at least one box type is required')
    codes = set()
    for b in box_types:
        if not isinstance(b, BoxType):
            raise ValueError('box_types: expected BoxType, got %r' % (b,))
        if b.code in codes:
            raise ValueError('box.code: duplicate %r' % (b.code,))
        codes.add(b.code)
        for name in ('length_cm', 'width_cm', 'height_cm',
                     'max_weight_kg'):
            v = getattr(b, name)
            if v is None or not math.isfinite(v) or v <= 0:
                raise ValueError('box.%s: must be > 0, got %r for box %r'
                                 % (name, v, b.code))
        if b.tare_weight_kg < 0 or b.tare_weight_kg >= b.max_weight_kg:
            raise ValueError(
                'box.tare_weight_kg: must be >= 0 and below max_weight_kg, '
                'got %r for box %r' % (b.tare_weight_kg, b.code))
    for it in items:
        if not isinstance(it, PackItem):
            raise ValueError('items: expected PackItem, got %r' % (it,))
        for name in ('length_cm', 'width_cm', 'height_cm'):
            v = getattr(it, name)
            if v is None or not math.isfinite(v) or v <= 0:
                raise ValueError('item.%s: must be > 0, got %r for sku %r'
                                 % (name, v, it.sku))
        if it.weight_kg is None or not math.isfinite(it.weight_kg) \
                or it.weight_kg < 0:
            raise ValueError('item.weight_kg: must be >= 0, got %r for '
                             'sku %r' % (it.weight_kg, it.sku))
        if isinstance(it.qty, bool) or not isinstance(it.qty, int) \
                or it.qty < 0:
            raise ValueError('item.qty: expected a whole number >= 0, got '
                             '%r for sku %r' % (it.qty, it.sku))


def _fits_dims(rots, box: BoxType) -> bool:
    return any(r[0] <= box.length_cm + _EPS and r[1] <= box.width_cm + _EPS
               and r[2] <= box.height_cm + _EPS for r in rots)


# ---------------------------------------------------------------------------
# extreme-point box state

@dataclass
class _Unit:
    sku: Hashable
    rots: list
    weight: float
    volume: float
    key: int  # index of the item, for grouping


class _BoxState:
    def __init__(self, box: BoxType, policy: int = 0):
        self.box = box
        self.policy = policy
        self.size = np.array([box.length_cm, box.width_cm, box.height_cm])
        self.lo = np.zeros((0, 3))
        self.hi = np.zeros((0, 3))
        self.eps = [(0.0, 0.0, 0.0)]
        self.placements: list[Placement] = []
        self.weight = 0.0
        self.volume = 0.0
        self.units: list[_Unit] = []

    @property
    def free_volume(self) -> float:
        return self.box.volume_cm3 - self.volume

    def try_place(self, u: _Unit) -> bool:
        if self.weight + u.weight > self.box.payload_kg + _EPS:
            return False
        if u.volume > self.free_volume + _EPS:
            return False
        eps = np.array(self.eps)  # (m, 3)
        rots = np.array(u.rots, dtype=float)  # (r, 3)
        lo = eps[:, None, :]  # (m, 1, 3)
        hi = lo + rots[None, :, :]  # (m, r, 3)
        ok = (hi <= self.size + _EPS).all(axis=2)  # (m, r)
        if len(self.lo) and ok.any():
            # overlap if intervals intersect on all three axes
            ov = ((lo[:, :, None, :] < self.hi[None, None, :, :] - _EPS)
                  & (hi[:, :, None, :] > self.lo[None, None, :, :] + _EPS)
                  ).all(axis=3).any(axis=2)
            ok &= ~ov
        if not ok.any():
            return False
        mi = int(np.argmax(ok.any(axis=1)))  # eps are kept sorted
        cand = np.nonzero(ok[mi])[0]
        # policy 0: flattest, longest along x; 1: flattest, longest
        # along y; 2: tallest (standing), longest along x
        if self.policy == 0:
            ri = min(cand, key=lambda r: (rots[r, 2], -rots[r, 0], r))
        elif self.policy == 1:
            ri = min(cand, key=lambda r: (rots[r, 2], -rots[r, 1], r))
        else:
            ri = min(cand, key=lambda r: (-rots[r, 2], -rots[r, 0], r))
        p = eps[mi]
        d = rots[ri]
        self._commit(u, p, d)
        return True

    def _commit(self, u: _Unit, p, d):
        x, y, z = (float(v) for v in p)
        dx, dy, dz = (float(v) for v in d)
        self.placements.append(Placement(u.sku, x, y, z, dx, dy, dz))
        self.units.append(u)
        self.lo = np.vstack((self.lo, [[x, y, z]]))
        self.hi = np.vstack((self.hi, [[x + dx, y + dy, z + dz]]))
        self.weight += u.weight
        self.volume += u.volume
        new = [
            self._project((x + dx, y, z), 1), self._project((x + dx, y, z), 2),
            self._project((x, y + dy, z), 0), self._project((x, y + dy, z), 2),
            self._project((x, y, z + dz), 0), self._project((x, y, z + dz), 1),
        ]
        pts = set(self.eps)
        pts.discard((x, y, z))
        for q in new:
            if all(q[k] < self.size[k] - _EPS for k in range(3)):
                pts.add(q)
        # drop points inside a placed unit
        arr = np.array(sorted(pts, key=lambda q: (q[2], q[1], q[0])))
        if len(arr):
            inside = ((arr[:, None, :] >= self.lo[None] - _EPS)
                      & (arr[:, None, :] < self.hi[None] - _EPS)
                      ).all(axis=2).any(axis=1)
            arr = arr[~inside]
        self.eps = [tuple(float(v) for v in q) for q in arr]

    def _project(self, q, axis):
        """Move ``q`` towards 0 along ``axis`` until it hits a unit."""
        q = list(q)
        others = [k for k in range(3) if k != axis]
        best = 0.0
        if len(self.lo):
            span = np.ones(len(self.lo), dtype=bool)
            for k in others:
                span &= (self.lo[:, k] <= q[k] + _EPS) \
                    & (self.hi[:, k] > q[k] + _EPS)
            below = span & (self.hi[:, axis] <= q[axis] + _EPS)
            if below.any():
                best = float(self.hi[below, axis].max())
        q[axis] = best
        return tuple(q)


def _expand(items: Sequence[PackItem], box_types: Sequence[BoxType]):
    units = []
    unpacked = []
    for k, it in enumerate(items):
        if it.qty == 0:
            continue
        rots = it.rotations()
        fitting = [b for b in box_types if _fits_dims(rots, b)]
        if not fitting:
            unpacked.append(Unpacked(
                it.sku, it.qty,
                'dimensions %gx%gx%g cm fit no box type%s'
                % (it.length_cm, it.width_cm, it.height_cm,
                   '' if it.can_rotate else ' (rotation not allowed)')))
            continue
        if not any(it.weight_kg <= b.payload_kg + _EPS for b in fitting):
            unpacked.append(Unpacked(
                it.sku, it.qty,
                'unit weight %g kg exceeds the payload of every box type '
                'it fits in (max %g kg)'
                % (it.weight_kg, max(b.payload_kg for b in fitting))))
            continue
        for _ in range(it.qty):
            units.append(_Unit(it.sku, rots, float(it.weight_kg),
                               it.volume_cm3, k))
    units.sort(key=lambda u: (-u.volume, -max(u.rots[0]), u.key))
    return units, unpacked


def _fill(box: BoxType, units: list[_Unit],
          policy: int = 0) -> tuple[_BoxState, list]:
    st = _BoxState(box, policy)
    left = []
    min_vol = min((u.volume for u in units), default=0.0)
    for i, u in enumerate(units):
        if st.free_volume + _EPS < min_vol:
            left.extend(units[i:])
            break
        if not st.try_place(u):
            left.append(u)
    return st, left


_ORDERS = (
    lambda u: (-u.volume, -max(u.rots[0]), u.key),
    lambda u: (-max(u.rots[0]), -u.volume, u.key),
    lambda u: (-sorted(u.rots[0])[1] * sorted(u.rots[0])[2], -u.volume,
               u.key),
)


def _fill_best(box: BoxType, units: list[_Unit]) -> tuple[_BoxState, list]:
    """Best of several unit orders (most volume packed, all if any)."""
    best = None
    for policy in (0, 1, 2):
        for order in _ORDERS:
            st, left = _fill(box, sorted(units, key=order), policy)
            if not left:
                return st, left
            if best is None or st.volume > best[0].volume + _EPS:
                best = (st, left)
    st, left = best
    left.sort(key=_ORDERS[0])
    return st, left


def _finish(st: _BoxState) -> PackedBox:
    box = st.box
    dims = box.outer_cm or (box.length_cm, box.width_cm, box.height_cm)
    return PackedBox(
        box_code=box.code, placements=list(st.placements),
        net_weight_kg=round(st.weight, 6),
        gross_weight_kg=round(st.weight + box.tare_weight_kg, 6),
        dimensions_cm=tuple(dims),
        item_volume_cm3=st.volume,
        fill_rate=st.volume / box.volume_cm3,
        cost=box.cost)


def cartonize(items: Sequence[PackItem],
              box_types: Sequence[BoxType]) -> PackResult:
    """Pack ``items`` into boxes of ``box_types``; see module docstring."""
    items = list(items)
    box_types = list(box_types)
    _validate(items, box_types)
    units, unpacked = _expand(items, box_types)
    by_size = sorted(box_types, key=lambda b: (b.volume_cm3, b.cost,
                                               b.code))
    states = []
    remaining = units
    while remaining:
        best = None
        final = None
        for bt in by_size:
            st, left = _fill_best(bt, remaining)
            if not left:
                final = st
                break
            score = (-st.volume, bt.volume_cm3, bt.cost)
            if st.units and (best is None or score < best[0]):
                best = (score, st, left)
        if final is not None:
            states.append(final)
            break
        if best is None:  # pragma: no cover - guarded by _expand
            raise RuntimeError('no box type accepts the remaining units')
        states.append(best[1])
        remaining = best[2]
    # downsize each box to the smallest box type holding its contents
    for i, st in enumerate(states):
        content = list(st.units)
        for bt in by_size:
            if bt.volume_cm3 >= st.box.volume_cm3 - _EPS:
                break
            if bt.volume_cm3 + _EPS < st.volume:
                continue
            nst, left = _fill_best(bt, content)
            if not left:
                states[i] = nst
                break
    return PackResult([_finish(st) for st in states], unpacked)


def ffd_baseline(items: Sequence[PackItem], box_types: Sequence[BoxType],
                 *, check_3d: bool = False) -> PackResult:
    """First-fit-decreasing into the largest box type (see docstring)."""
    items = list(items)
    box_types = list(box_types)
    _validate(items, box_types)
    big = max(box_types, key=lambda b: (b.volume_cm3, -b.cost))
    units, unpacked = _expand(items, [big])
    if check_3d:
        states: list[_BoxState] = []
        for u in units:
            for st in states:
                if st.try_place(u):
                    break
            else:
                st = _BoxState(big)
                st.try_place(u)
                states.append(st)
        return PackResult([_finish(st) for st in states], unpacked)
    boxes = []  # [volume, weight, Counter]
    for u in units:
        for b in boxes:
            if (b[0] + u.volume <= big.volume_cm3 + _EPS
                    and b[1] + u.weight <= big.payload_kg + _EPS):
                break
        else:
            b = [0.0, 0.0, Counter()]
            boxes.append(b)
        b[0] += u.volume
        b[1] += u.weight
        b[2][u.sku] += 1
    out = []
    for vol, w, cnt in boxes:
        pb = PackedBox(
            box_code=big.code, net_weight_kg=round(w, 6),
            gross_weight_kg=round(w + big.tare_weight_kg, 6),
            dimensions_cm=big.outer_cm or (big.length_cm, big.width_cm,
                                           big.height_cm),
            item_volume_cm3=vol, fill_rate=vol / big.volume_cm3,
            cost=big.cost)
        pb._contents = cnt
        out.append(pb)
    return PackResult(out, unpacked)


# ---------------------------------------------------------------------------
# verification

def verify_packing(box: PackedBox, box_type: BoxType,
                   items: Sequence[PackItem]) -> list[str]:
    """Problems found in ``box`` (empty list when valid)."""
    problems = []
    by_sku = {it.sku: it for it in items}
    size = (box_type.length_cm, box_type.width_cm, box_type.height_cm)
    if box.box_code != box_type.code:
        problems.append('box code %r is not %r' % (box.box_code,
                                                   box_type.code))
    weight = 0.0
    for i, p in enumerate(box.placements):
        it = by_sku.get(p.sku)
        if it is None:
            problems.append('placement %d: unknown sku %r' % (i, p.sku))
            continue
        weight += it.weight_kg
        dims = (p.dx, p.dy, p.dz)
        if not any(all(abs(a - b) <= _EPS for a, b in zip(dims, r,
                                                           strict=True))
                   for r in it.rotations()):
            problems.append('placement %d: extents %r are not an allowed '
                            'rotation of sku %r' % (i, dims, p.sku))
        for k, (o, d) in enumerate(zip((p.x, p.y, p.z), dims,
                                       strict=True)):
            if o < -_EPS or o + d > size[k] + _EPS:
                problems.append('placement %d: outside the box on axis %s'
                                % (i, 'xyz'[k]))
    pl = box.placements
    for i in range(len(pl)):
        a = pl[i]
        for j in range(i + 1, len(pl)):
            b = pl[j]
            if (a.x < b.x + b.dx - _EPS and b.x < a.x + a.dx - _EPS
                    and a.y < b.y + b.dy - _EPS and b.y < a.y + a.dy - _EPS
                    and a.z < b.z + b.dz - _EPS
                    and b.z < a.z + a.dz - _EPS):
                problems.append('placements %d and %d overlap' % (i, j))
    if abs(weight - box.net_weight_kg) > 1e-4:
        problems.append('net weight %g kg differs from contents %g kg'
                        % (box.net_weight_kg, weight))
    gross = weight + box_type.tare_weight_kg
    if gross > box_type.max_weight_kg + 1e-4:
        problems.append('gross weight %g kg exceeds max %g kg'
                        % (gross, box_type.max_weight_kg))
    return problems


def verify_result(result: PackResult, items: Sequence[PackItem],
                  box_types: Sequence[BoxType]) -> list[str]:
    """Verify every box and that each unit is packed or reported once."""
    types = {b.code: b for b in box_types}
    problems = []
    for n, box in enumerate(result.boxes):
        bt = types.get(box.box_code)
        if bt is None:
            problems.append('box %d: unknown box type %r'
                            % (n, box.box_code))
            continue
        problems += ['box %d: %s' % (n, p)
                     for p in verify_packing(box, bt, items)]
    want = Counter()
    for it in items:
        want[it.sku] += it.qty
    got = Counter()
    for box in result.boxes:
        got.update(box.contents)
    for u in result.unpacked:
        got[u.sku] += u.qty
    if +want != +got:
        problems.append('quantities differ: expected %r, got %r'
                        % (dict(+want), dict(+got)))
    return problems
