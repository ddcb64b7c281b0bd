# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rectangular warehouse layout and aisle graph (plain Python, no ERP).

Geometry
--------
The warehouse is a set of parallel vertical *aisles* (index ``0..n-1``,
centre line at ``aisle_xs[i]`` metres) crossed by horizontal
*cross-aisles* at ``cross_aisle_ys`` metres (sorted; the first one is the
front cross-aisle, the last one the back cross-aisle, those in between are
middle cross-aisles).  Each cross-aisle spans all aisles.  The part of the
layout between two consecutive cross-aisles is a *block*.

Bins are rack locations on either side of an aisle.  A bin is picked from
its *access point*: the point ``(aisle_xs[bin.aisle], bin.y)`` on the
aisle centre line.  All levels of the same bay share the access point.

Aisle graph
-----------
Nodes are the aisle/cross-aisle intersections plus the bin access points;
edges follow aisle and cross-aisle centre lines and carry their length in
metres.  :meth:`Layout.graph` returns this explicit graph.  Distances are
shortest paths on this graph (never straight lines); they are computed
fast by all-pairs distances between intersections (computed once per
layout, Floyd-Warshall in numpy) and, for points lying inside an edge,
the best of its two end nodes (or the direct distance along the edge when
both points lie on the same edge), which is exact.

Public API
----------
- :class:`Bin` -- one storage location (code, aisle, y, level, x, zone,
  capacities).  Build a list of them from ERP records (aisle index and
  position along the aisle in metres) and pass them to :class:`Layout`.
- :func:`generate_layout` -- builds a rectangular layout from counts
  (aisles x bays x levels, middle cross-aisles...), codes ``A03-B12-L2``.
- :class:`Layout` -- ``walking_distance(a, b)``, ``distance_matrix(pts)``,
  ``distances_from(src, pts)``, ``point(x, y)``, ``graph()``.

Units: metres, cubic metres, kilograms.  Bad input raises ``ValueError``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence

import numpy as np

__all__ = [
    'Bin', 'Point', 'Layout', 'generate_layout', 'bin_code',
]

_EPS = 1e-9


@dataclass(frozen=True)
class Bin:
    """A storage bin (rack location).

    Fields:
    - ``code``: unique code, e.g. ``A03-B12-L2``.
    - ``aisle``: 0-based aisle index (position in ``Layout.aisle_xs``).
    - ``y``: position of the access point along the aisle (m), on the
      same axis as the cross-aisle positions.
    - ``level``: rack level, 1 = floor.
    - ``x``: x coordinate of the bin itself (m); ``None`` means the aisle
      centre line.  Informational (walking uses the access point).
    - ``bay``: bay number (informational), ``side``: ``'L'``/``'R'``/``''``.
    - ``zone``: zone code.
    - ``capacity_volume_m3``, ``capacity_weight_kg``, ``pallet_positions``:
      capacities.
    - ``height_m``: height of the shelf above the floor (m).
    - ``heavy_allowed``: heavy goods may be stored here (low levels).
    """
    code: str
    aisle: int
    y: float
    level: int = 1
    x: float | None = None
    bay: int = 0
    side: str = ''
    zone: str = ''
    capacity_volume_m3: float = 1.0
    capacity_weight_kg: float = 1000.0
    pallet_positions: int = 1
    height_m: float = 0.0
    heavy_allowed: bool = True

    @property
    def is_floor(self) -> bool:
        return self.level == 1


@dataclass(frozen=True)
class Point:
    """A location on the aisle graph (internal representation).

    ``attach`` holds one or two ``(node index, metres to that node)``
    pairs; ``edge``/``t`` identify the graph edge the point lies on and
    its coordinate along it (``None`` when the point is a node) so two
    points on the same edge use their direct distance.
    """
    x: float
    y: float
    attach: tuple[tuple[int, float], ...]
    edge: Hashable | None = None
    t: float = 0.0


def bin_code(aisle: int, bay: int, level: int) -> str:
    """Standard code ``A03-B12-L2`` (aisle and bay are 1-based here)."""
    return 'A%02d-B%02d-L%d' % (aisle, bay, level)


class Layout:
    """Aisle graph over rectangular geometry plus the bins it serves.

    ``aisle_xs``: x of each aisle centre line (m), strictly increasing.
    ``cross_aisle_ys``: y of each cross-aisle (m), strictly increasing, at
    least two (front and back).  ``bins``: iterable of :class:`Bin`; each
    bin's ``y`` must lie within the front and back cross-aisles.
    ``depot``: optional default start/end point as ``(x, y)`` on the graph
    (default: front cross-aisle at the first aisle).
    """

    def __init__(
            self, aisle_xs: Sequence[float],
            cross_aisle_ys: Sequence[float],
            bins: Iterable[Bin] = (),
            depot: tuple[float, float] | None = None):
        xs = [float(v) for v in aisle_xs]
        ys = [float(v) for v in cross_aisle_ys]
        if not xs:
            raise ValueError('aisle_xs: at least one aisle is required')
        if any(not math.isfinite(v) for v in xs + ys):
            raise ValueError('aisle_xs/cross_aisle_ys: values must be finite')
        if any(b - a <= 0 for a, b in zip(xs, xs[1:], strict=False)):
            raise ValueError(
                'aisle_xs: must be strictly increasing, got %r' % (xs,))
        if len(ys) < 2:
            raise ValueError(
                'cross_aisle_ys: front and back cross-aisles are required, '
                'got %r' % (ys,))
        if any(b - a <= 0 for a, b in zip(ys, ys[1:], strict=False)):
            raise ValueError(
                'cross_aisle_ys: must be strictly increasing, got %r' % (ys,))
        self.aisle_xs = tuple(xs)
        self.cross_aisle_ys = tuple(ys)
        self._nc = len(ys)
        self._node_dist = self._all_pairs()
        self.bins: dict[str, Bin] = {}
        self._bin_points: dict[str, Point] = {}
        for b in bins:
            self.add_bin(b)
        if depot is None:
            depot = (xs[0], ys[0])
        self.depot = self.point(*depot)

    # -- construction -----------------------------------------------------
    def node_index(self, aisle: int, cross: int) -> int:
        return aisle * self._nc + cross

    def node_xy(self, node: int) -> tuple[float, float]:
        a, c = divmod(node, self._nc)
        return self.aisle_xs[a], self.cross_aisle_ys[c]

    def _base_edges(self):
        """Intersection graph edges ``(u, v, metres)``."""
        xs, ys, nc = self.aisle_xs, self.cross_aisle_ys, self._nc
        for a in range(len(xs)):
            for c in range(nc - 1):
                yield (self.node_index(a, c), self.node_index(a, c + 1),
                       ys[c + 1] - ys[c])
        for c in range(nc):
            for a in range(len(xs) - 1):
                yield (self.node_index(a, c), self.node_index(a + 1, c),
                       xs[a + 1] - xs[a])

    def _all_pairs(self) -> np.ndarray:
        n = len(self.aisle_xs) * self._nc
        d = np.full((n, n), np.inf)
        np.fill_diagonal(d, 0.0)
        for u, v, w in self._base_edges():
            d[u, v] = d[v, u] = min(d[u, v], w)
        for k in range(n):
            np.minimum(d, d[:, k, None] + d[None, k, :], out=d)
        return d

    def add_bin(self, b: Bin) -> None:
        if not isinstance(b, Bin):
            raise ValueError('bins: expected Bin, got %r' % (b,))
        if not b.code:
            raise ValueError('bin.code: must not be empty')
        if b.code in self.bins:
            raise ValueError('bin.code: duplicate code %r' % b.code)
        if not (0 <= b.aisle < len(self.aisle_xs)):
            raise ValueError(
                'bin.aisle: %r out of range 0..%d for bin %r'
                % (b.aisle, len(self.aisle_xs) - 1, b.code))
        if b.level < 1:
            raise ValueError(
                'bin.level: must be >= 1 (1 = floor), got %r for bin %r'
                % (b.level, b.code))
        for name in ('capacity_volume_m3', 'capacity_weight_kg',
                     'pallet_positions'):
            if getattr(b, name) < 0:
                raise ValueError('bin.%s: must be >= 0, got %r for bin %r'
                                 % (name, getattr(b, name), b.code))
        try:
            pt = self.point(self.aisle_xs[b.aisle], b.y)
        except ValueError:
            raise ValueError(
                'bin.y: %r outside the aisle (%r..%r) for bin %r'
                % (b.y, self.cross_aisle_ys[0], self.cross_aisle_ys[-1],
                   b.code)) from None
        self.bins[b.code] = b
        self._bin_points[b.code] = pt

    @classmethod
    def from_bins(
            cls, bins: Iterable[Bin], *,
            aisle_xs: Sequence[float] | None = None,
            aisle_pitch_m: float = 4.0,
            cross_aisle_ys: Sequence[float] | None = None,
            front_back_margin_m: float = 1.0,
            depot: tuple[float, float] | None = None) -> 'Layout':
        """Rebuild a layout from ERP bins (aisle index, y along aisle).

        When ``aisle_xs`` is omitted, aisle ``i`` is at
        ``i * aisle_pitch_m``.  When ``cross_aisle_ys`` is omitted, a
        front and a back cross-aisle are placed ``front_back_margin_m``
        before the first and after the last bin.
        """
        bins = list(bins)
        if not bins:
            raise ValueError('bins: at least one bin is required')
        if aisle_xs is None:
            if aisle_pitch_m <= 0:
                raise ValueError(
                    'aisle_pitch_m: must be > 0, got %r' % aisle_pitch_m)
            n = max(b.aisle for b in bins) + 1
            aisle_xs = [i * aisle_pitch_m for i in range(n)]
        if cross_aisle_ys is None:
            lo = min(b.y for b in bins)
            hi = max(b.y for b in bins)
            cross_aisle_ys = [lo - front_back_margin_m,
                              hi + front_back_margin_m]
        return cls(aisle_xs, cross_aisle_ys, bins, depot=depot)

    # -- points -----------------------------------------------------------
    def point(self, x: float, y: float) -> Point:
        """Graph location of ``(x, y)``: on an aisle or a cross-aisle.

        A point on a cross-aisle left of the first aisle or right of the
        last one is accepted (it walks along the cross-aisle).
        """
        xs, ys = self.aisle_xs, self.cross_aisle_ys
        x = float(x)
        y = float(y)
        ci = _match(ys, y)
        ai = _match(xs, x)
        if ai is not None and ci is not None:
            return Point(x, y, ((self.node_index(ai, ci), 0.0),))
        if ai is not None and ys[0] - _EPS <= y <= ys[-1] + _EPS:
            c = _segment(ys, y)
            u, v = self.node_index(ai, c), self.node_index(ai, c + 1)
            return Point(x, y, ((u, y - ys[c]), (v, ys[c + 1] - y)),
                         ('a', ai, c), y)
        if ci is not None:
            if x < xs[0]:
                return Point(x, y, ((self.node_index(0, ci), xs[0] - x),),
                             ('l', ci), x)
            if x > xs[-1]:
                n = self.node_index(len(xs) - 1, ci)
                return Point(x, y, ((n, x - xs[-1]),), ('r', ci), x)
            a = _segment(xs, x)
            u, v = self.node_index(a, ci), self.node_index(a + 1, ci)
            return Point(x, y, ((u, x - xs[a]), (v, xs[a + 1] - x)),
                         ('c', ci, a), x)
        raise ValueError(
            'point: (%r, %r) is not on an aisle or a cross-aisle' % (x, y))

    def bin_point(self, code: str) -> Point:
        try:
            return self._bin_points[code]
        except KeyError:
            raise ValueError('bin: unknown bin code %r' % (code,)) from None

    def _as_point(self, p) -> Point:
        if isinstance(p, Point):
            return p
        if isinstance(p, Bin):
            return self.bin_point(p.code)
        if isinstance(p, str):
            return self.bin_point(p)
        if isinstance(p, tuple) and len(p) == 2:
            return self.point(*p)
        raise ValueError('location: expected bin code, Bin, Point or '
                         '(x, y), got %r' % (p,))

    # -- distances --------------------------------------------------------
    def walking_distance(self, a, b) -> float:
        """Shortest walking distance (m) on the aisle graph.

        ``a``/``b``: bin code, :class:`Bin`, :class:`Point` or ``(x, y)``.
        """
        return float(self._matrix([self._as_point(a)],
                                  [self._as_point(b)])[0, 0])

    def distance_matrix(self, locations: Sequence) -> np.ndarray:
        """Symmetric ``n x n`` numpy matrix of walking distances (m)."""
        pts = [self._as_point(p) for p in locations]
        m = self._matrix(pts, pts)
        np.fill_diagonal(m, 0.0)
        return m

    def distances_from(self, source, locations: Sequence) -> np.ndarray:
        """One-to-many walking distances (m) as a 1-D numpy array."""
        pts = [self._as_point(p) for p in locations]
        return self._matrix([self._as_point(source)], pts)[0]

    def _arrays(self, pts: Sequence[Point]):
        n = len(pts)
        nodes = np.zeros((n, 2), dtype=np.intp)
        offs = np.full((n, 2), np.inf)
        for i, p in enumerate(pts):
            for j, (node, off) in enumerate(p.attach):
                nodes[i, j] = node
                offs[i, j] = off
        return nodes, offs

    def _matrix(self, pa: Sequence[Point], pb: Sequence[Point]) -> np.ndarray:
        if not pa or not pb:
            return np.zeros((len(pa), len(pb)))
        na, oa = self._arrays(pa)
        nb, ob = self._arrays(pb)
        d = self._node_dist
        best = None
        for i in range(2):
            for j in range(2):
                m = (oa[:, i, None] + d[np.ix_(na[:, i], nb[:, j])]
                     + ob[None, :, j])
                best = m if best is None else np.minimum(best, m)
        # Points on the same edge: direct distance along the edge.
        by_edge: dict = {}
        for j, p in enumerate(pb):
            if p.edge is not None:
                by_edge.setdefault(p.edge, []).append(j)
        for i, p in enumerate(pa):
            js = by_edge.get(p.edge) if p.edge is not None else None
            if js:
                direct = np.abs(np.array([pb[j].t for j in js]) - p.t)
                best[i, js] = np.minimum(best[i, js], direct)
        return best

    # -- explicit graph -----------------------------------------------------
    def graph(self, extra: Sequence = ()) -> dict:
        """Explicit aisle graph as an adjacency mapping.

        Nodes are ``('n', aisle, cross)`` for intersections and
        ``('p', x, y)`` for bin access points (and ``extra`` locations,
        e.g. the depot); the result maps each node to a list of
        ``(neighbour, metres)``.  Useful for display and as an
        independent reference for :meth:`walking_distance`.
        """
        nodes_on_edge: dict = {}
        pts = list(self._bin_points.values())
        pts += [self._as_point(p) for p in extra]
        pts.append(self.depot)
        hanging = []
        for p in pts:
            if p.edge is None:
                continue
            if p.edge[0] in ('l', 'r'):
                hanging.append(p)
                continue
            nodes_on_edge.setdefault(p.edge, {})[p.t] = ('p', p.x, p.y)
        adj: dict = {}

        def link(u, v, w):
            adj.setdefault(u, []).append((v, w))
            adj.setdefault(v, []).append((u, w))

        nc = self._nc
        xs, ys = self.aisle_xs, self.cross_aisle_ys
        for a in range(len(xs)):
            for c in range(nc - 1):
                chain = [(ys[c], ('n', a, c))]
                chain += sorted(nodes_on_edge.get(('a', a, c), {}).items())
                chain.append((ys[c + 1], ('n', a, c + 1)))
                for (t0, n0), (t1, n1) in zip(chain, chain[1:], strict=False):
                    if n0 != n1:
                        link(n0, n1, t1 - t0)
        for c in range(nc):
            for a in range(len(xs) - 1):
                chain = [(xs[a], ('n', a, c))]
                chain += sorted(nodes_on_edge.get(('c', c, a), {}).items())
                chain.append((xs[a + 1], ('n', a + 1, c)))
                for (t0, n0), (t1, n1) in zip(chain, chain[1:], strict=False):
                    if n0 != n1:
                        link(n0, n1, t1 - t0)
        chains: dict = {}
        for p in hanging:
            chains.setdefault(p.edge, {})[p.t] = ('p', p.x, p.y)
        for edge, members in chains.items():
            kind, c = edge
            a = 0 if kind == 'l' else len(xs) - 1
            chain = sorted(members.items()) + [(xs[a], ('n', a, c))]
            if kind == 'r':
                chain = [(xs[a], ('n', a, c))] + sorted(members.items())
            for (t0, n0), (t1, n1) in zip(chain, chain[1:], strict=False):
                if n0 != n1:
                    link(n0, n1, t1 - t0)
        return adj

    def graph_node(self, location):
        """Key of ``location`` in :meth:`graph`."""
        p = self._as_point(location)
        if p.edge is None:
            a, c = divmod(p.attach[0][0], self._nc)
            return ('n', a, c)
        return ('p', p.x, p.y)


def _match(values: Sequence[float], v: float) -> int | None:
    for i, w in enumerate(values):
        if abs(w - v) <= _EPS:
            return i
    return None


def _segment(values: Sequence[float], v: float) -> int:
    """Index ``i`` such that ``values[i] <= v <= values[i + 1]``."""
    for i in range(len(values) - 1):
        if values[i] - _EPS <= v <= values[i + 1] + _EPS:
            return i
    raise ValueError('value %r outside %r' % (v, values))


def generate_layout(
        aisles: int, bays_per_aisle: int, levels: int = 1, *,
        bay_width_m: float = 1.0,
        aisle_width_m: float = 2.0,
        rack_depth_m: float = 1.0,
        cross_aisle_width_m: float = 2.0,
        middle_cross_aisles: int = 0,
        double_sided: bool = True,
        level_height_m: float = 1.5,
        capacity_volume_m3: float = 1.0,
        capacity_weight_kg: float = 500.0,
        floor_capacity_weight_kg: float | None = None,
        pallet_positions: int = 1,
        heavy_max_level: int = 1,
        zones: Sequence[str] = ('MAIN',),
        depot: str | tuple[float, float] = 'left') -> Layout:
    """Generate a rectangular layout.

    ``aisles`` x ``bays_per_aisle`` positions along each aisle x
    ``levels``.  With ``double_sided`` each position has a left (odd bay
    number) and a right (even bay number) rack, so codes are
    ``A01-B01-L1`` / ``A01-B02-L1`` for the first position.  Positions are
    split as evenly as possible into ``middle_cross_aisles + 1`` blocks.

    Geometry: aisle ``i`` (0-based) centre line is at
    ``x = i * (aisle_width_m + 2 * rack_depth_m)``; the front cross-aisle
    centre line is at ``y = 0``; bays are ``bay_width_m`` wide; each
    cross-aisle is ``cross_aisle_width_m`` wide.  Bin ``x`` is the rack
    centre, ``height_m = (level - 1) * level_height_m``.

    Capacities are per bin; ``floor_capacity_weight_kg`` (default: same as
    ``capacity_weight_kg``) applies to level 1.  Levels up to
    ``heavy_max_level`` get ``heavy_allowed=True``.  ``zones`` are
    assigned to contiguous groups of aisles.  ``depot`` is ``'left'``
    (front cross-aisle at the first aisle), ``'middle'`` (front
    cross-aisle at the middle of the layout) or an ``(x, y)`` pair.
    """
    for name, v, lo in (('aisles', aisles, 1),
                        ('bays_per_aisle', bays_per_aisle, 1),
                        ('levels', levels, 1),
                        ('middle_cross_aisles', middle_cross_aisles, 0)):
        if not isinstance(v, int) or v < lo:
            raise ValueError('%s: must be an integer >= %d, got %r'
                             % (name, lo, v))
    if middle_cross_aisles >= bays_per_aisle:
        raise ValueError(
            'middle_cross_aisles: %d leaves empty blocks with %d bays'
            % (middle_cross_aisles, bays_per_aisle))
    for name, v in (('bay_width_m', bay_width_m),
                    ('aisle_width_m', aisle_width_m),
                    ('cross_aisle_width_m', cross_aisle_width_m)):
        if not v > 0:
            raise ValueError('%s: must be > 0, got %r' % (name, v))
    if rack_depth_m < 0:
        raise ValueError('rack_depth_m: must be >= 0, got %r' % rack_depth_m)
    if not zones:
        raise ValueError('zones: at least one zone is required')
    if floor_capacity_weight_kg is None:
        floor_capacity_weight_kg = capacity_weight_kg
    pitch = aisle_width_m + 2 * rack_depth_m
    xs = [i * pitch for i in range(aisles)]
    nblocks = middle_cross_aisles + 1
    sizes = [bays_per_aisle // nblocks
             + (1 if i < bays_per_aisle % nblocks else 0)
             for i in range(nblocks)]
    ys = [0.0]
    pos_y = []
    y = cross_aisle_width_m / 2
    for size in sizes:
        for _ in range(size):
            pos_y.append(y + bay_width_m / 2)
            y += bay_width_m
        y += cross_aisle_width_m / 2
        ys.append(y)
        y += cross_aisle_width_m / 2
    side_off = aisle_width_m / 2 + rack_depth_m / 2
    bins = []
    for a in range(aisles):
        zone = zones[a * len(zones) // aisles]
        for p, py in enumerate(pos_y):
            sides = (('L', -side_off, 2 * p + 1), ('R', side_off, 2 * p + 2))
            if not double_sided:
                sides = (('L', -side_off, p + 1),)
            for side, dx, bay in sides:
                for lev in range(1, levels + 1):
                    bins.append(Bin(
                        code=bin_code(a + 1, bay, lev), aisle=a, y=py,
                        level=lev, x=xs[a] + dx, bay=bay, side=side,
                        zone=zone,
                        capacity_volume_m3=capacity_volume_m3,
                        capacity_weight_kg=(floor_capacity_weight_kg
                                            if lev == 1
                                            else capacity_weight_kg),
                        pallet_positions=pallet_positions,
                        height_m=(lev - 1) * level_height_m,
                        heavy_allowed=lev <= heavy_max_level))
    if depot == 'left':
        dp = (xs[0], 0.0)
    elif depot == 'middle':
        dp = ((xs[0] + xs[-1]) / 2, 0.0)
    elif isinstance(depot, tuple) and len(depot) == 2:
        dp = depot
    else:
        raise ValueError(
            "depot: expected 'left', 'middle' or (x, y), got %r" % (depot,))
    return Layout(xs, ys, bins, depot=dp)
