# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pick path optimisation and lot allocation (plain Python, no ERP).

Pick routing
------------
Given a :class:`~.layout.Layout`, a depot (start and end of the tour,
e.g. the packing station; default ``layout.depot``) and bin codes to
visit, return the visiting order and the total walking length in metres
on the aisle graph.  Bins sharing an access point (same bay, different
level or opposite rack) are visited consecutively.

- :func:`optimise_route` -- nearest neighbour + best-improvement 2-opt and
  Or-opt (segments of 1-3) + iterated local search (double-bridge kicks)
  within ``time_limit_ms``; exact Held-Karp when at most
  ``exact_max`` distinct access points.
- :func:`s_shape_route` -- baseline S-shape (traversal) heuristic: blocks
  from the farthest to the nearest, aisles with picks in serpentine order
  (alternating left-right / right-left per block), each aisle traversed
  in alternating direction.  Its length is measured on the graph, i.e.
  shortest path between consecutive picks (never longer than walking the
  strict S-shape).
- :func:`reference_route` -- reference optimum: exact Held-Karp for small
  batches, otherwise PyVRP (single vehicle, long run) combined with a long
  run of our own local search (best of both).  Not proven optimal above
  the Held-Karp size.
- :func:`solve_tsp` / :func:`held_karp` -- the matrix-level solvers
  (node 0 is the depot), usable with any symmetric distance matrix.

Lot allocation
--------------
:func:`allocate_lots` picks lots/bins for a demanded quantity from
:class:`StockRecord` rows with strategy ``'fifo'`` (oldest received
first), ``'lifo'`` (newest received first) or ``'fefo'`` (earliest expiry
first), returning :class:`Allocation` rows and the short quantity.
Quantities can be ``int``, ``float`` or ``Decimal`` (kept as given).
"""
from __future__ import annotations

import datetime as _dt
import random
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .layout import Layout

__all__ = [
    'PickRoute', 'optimise_route', 's_shape_route', 'reference_route',
    'route_length', 'solve_tsp', 'held_karp', 'tour_length',
    'StockRecord', 'Allocation', 'LotAllocation', 'allocate_lots',
]


@dataclass(frozen=True)
class PickRoute:
    """Result of routing.

    ``sequence``: bin codes in visiting order (the depot is implicit at
    both ends); ``length_m``: total tour length in metres including the
    legs from and back to the depot; ``method``: solver used.
    """
    sequence: tuple[str, ...]
    length_m: float
    method: str


# ---------------------------------------------------------------------------
# Matrix-level TSP (node 0 = depot, closed tour)

def tour_length(dist: np.ndarray, tour: Sequence[int]) -> float:
    """Length of the closed tour ``tour`` (list of node indices)."""
    t = np.asarray(tour)
    return float(dist[t, np.roll(t, -1)].sum())


def held_karp(dist: np.ndarray) -> tuple[list[int], float]:
    """Exact TSP by Held-Karp dynamic programming (numpy vectorised).

    Returns ``(tour, length)`` with ``tour[0] == 0``.  Memory and time are
    ``O(2^n n^2)``: use for ``n <= 16``.
    """
    d = np.asarray(dist, dtype=float)
    n = d.shape[0]
    if n <= 3:
        tour = list(range(n))
        return tour, tour_length(d, tour) if n > 1 else 0.0
    m = n - 1
    full = 1 << m
    cost = np.full((full, m), np.inf)
    parent = np.full((full, m), -1, dtype=np.int64)
    for j in range(m):
        cost[1 << j, j] = d[0, j + 1]
    sub = d[1:, 1:]
    masks_by_size = [[] for _ in range(m + 1)]
    for s in range(1, full):
        masks_by_size[bin(s).count('1')].append(s)
    for size in range(2, m + 1):
        masks = np.array(masks_by_size[size], dtype=np.int64)
        for j in range(m):
            bit = 1 << j
            sel = masks[(masks & bit) != 0]
            if not len(sel):
                continue
            prev = sel ^ bit
            # cand[s, k] = cost[prev, k] + d[k, j]
            cand = cost[prev] + sub[:, j][None, :]
            k = np.argmin(cand, axis=1)
            cost[sel, j] = cand[np.arange(len(sel)), k]
            parent[sel, j] = k
    last = cost[full - 1] + d[1:, 0]
    j = int(np.argmin(last))
    best = float(last[j])
    tour = []
    s = full - 1
    while j >= 0:
        tour.append(j + 1)
        pj = int(parent[s, j])
        s ^= 1 << j
        j = pj
    tour.append(0)
    tour.reverse()
    return tour, best


def _nearest_neighbour(d: np.ndarray) -> list[int]:
    n = d.shape[0]
    tour = [0]
    left = set(range(1, n))
    cur = 0
    while left:
        nxt = min(left, key=lambda k: (d[cur, k], k))
        tour.append(nxt)
        left.remove(nxt)
        cur = nxt
    return tour


def _two_opt_best(d: np.ndarray, t: np.ndarray) -> float:
    """Best 2-opt move; applies it to ``t`` in place; returns gain."""
    n = len(t)
    a = t
    b = np.roll(t, -1)
    dab = d[a, b]
    delta = d[a[:, None], a[None, :]] + d[b[:, None], b[None, :]] \
        - dab[:, None] - dab[None, :]
    delta = np.triu(delta, 2)
    delta[0, n - 1] = 0.0
    idx = int(np.argmin(delta))
    i, j = divmod(idx, n)
    if delta[i, j] >= -1e-9:
        return 0.0
    t[i + 1:j + 1] = t[i + 1:j + 1][::-1].copy()
    return float(-delta[i, j])


def _or_opt_best(d: np.ndarray, t: np.ndarray, max_len: int = 3) -> float:
    """Best Or-opt move (segment of 1..max_len, either orientation)."""
    n = len(t)
    best = (-1e-9, None)
    nxt = np.roll(t, -1)
    duv = d[t, nxt]
    ks = np.arange(n)
    for length in range(1, min(max_len, n - 2) + 1):
        starts = np.arange(1, n - length + 1)
        if not len(starts):
            continue
        s = t[starts]
        e = t[starts + length - 1]
        p = t[starts - 1]
        q = t[(starts + length) % n]
        gain = d[p, s] + d[e, q] - d[p, q]
        # insertion edge (t[k], t[k+1]) for all k
        ins_fwd = d[t[None, :], s[:, None]] + d[e[:, None], nxt[None, :]]
        ins_rev = d[t[None, :], e[:, None]] + d[s[:, None], nxt[None, :]]
        ins = np.minimum(ins_fwd, ins_rev) - duv[None, :]
        delta = ins - gain[:, None]
        # forbid edges touching the segment: k in [start-1, start+len-1]
        lo = (starts - 1)[:, None]
        hi = (starts + length - 1)[:, None]
        bad = (ks[None, :] >= lo) & (ks[None, :] <= hi)
        delta[bad] = np.inf
        idx = int(np.argmin(delta))
        r, k = divmod(idx, n)
        if delta[r, k] < best[0]:
            rev = ins_rev[r, k] < ins_fwd[r, k]
            best = (float(delta[r, k]), (int(starts[r]), length, k, rev))
    if best[1] is None:
        return 0.0
    start, length, k, rev = best[1]
    seg = t[start:start + length].tolist()
    if rev:
        seg.reverse()
    after = int(t[k])
    rest = t[:start].tolist() + t[start + length:].tolist()
    pos = rest.index(after) + 1
    t[:] = rest[:pos] + seg + rest[pos:]
    return -best[0]


def _local_search(d: np.ndarray, t: np.ndarray) -> None:
    while True:
        if _two_opt_best(d, t) > 0:
            continue
        if _or_opt_best(d, t) > 0:
            continue
        return


def _double_bridge(t: np.ndarray, rng: random.Random) -> np.ndarray:
    n = len(t)
    a, b, c = sorted(rng.sample(range(1, n), 3))
    return np.concatenate((t[:a], t[b:c], t[a:b], t[c:]))


def solve_tsp(dist, *, time_limit_ms: float = 30.0, seed: int = 0,
              exact_max: int = 12,
              max_iterations: int | None = None) -> tuple[list[int], float]:
    """Closed TSP tour from node 0 on a symmetric distance matrix.

    Exact (Held-Karp) when ``n <= exact_max`` nodes, otherwise nearest
    neighbour + 2-opt/Or-opt local search, then iterated local search with
    double-bridge kicks until ``time_limit_ms`` (wall clock) or
    ``max_iterations`` kicks.  Deterministic for a given ``seed`` when
    stopped by ``max_iterations``.  Returns ``(tour, length)``,
    ``tour[0] == 0``.
    """
    d = np.asarray(dist, dtype=float)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError('dist: expected a square matrix, got shape %r'
                         % (d.shape,))
    if not np.all(np.isfinite(d)) or (d < 0).any():
        raise ValueError('dist: entries must be finite and >= 0')
    n = d.shape[0]
    if n == 0:
        return [], 0.0
    if n <= max(3, exact_max):
        return held_karp(d)
    deadline = time.perf_counter() + time_limit_ms / 1000.0
    t = np.array(_nearest_neighbour(d), dtype=np.intp)
    _local_search(d, t)
    best = t.copy()
    best_len = tour_length(d, best)
    rng = random.Random(seed)
    it = 0
    while n > 4:
        if max_iterations is not None and it >= max_iterations:
            break
        if max_iterations is None and time.perf_counter() >= deadline:
            break
        it += 1
        cand = _double_bridge(best, rng)
        _local_search(d, cand)
        cl = tour_length(d, cand)
        if cl < best_len - 1e-9:
            best, best_len = cand, cl
    tour = best.tolist()
    return tour, best_len


def _pyvrp_tsp(d: np.ndarray, seconds: float, seed: int = 1):
    """Single-vehicle PyVRP on a matrix scaled to integer centimetres."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    n = d.shape[0]
    m = pyvrp.Model()
    locs = [m.add_location(x=0, y=0) for _ in range(n)]
    m.add_depot(locs[0])
    m.add_vehicle_type(num_available=1)
    for loc in locs[1:]:
        m.add_client(loc)
    dm = np.rint(d * 100).astype(int)
    for i in range(n):
        for j in range(n):
            if i != j:
                m.add_edge(locs[i], locs[j], distance=int(dm[i, j]))
    res = m.solve(stop=MaxRuntime(seconds), seed=seed, display=False)
    route = res.best.routes()[0]
    tour = [0] + [int(a.idx) + 1 for a in route if a.is_client()]
    if sorted(tour) != list(range(n)):  # pragma: no cover - API guard
        raise RuntimeError('pyvrp returned an incomplete tour')
    return tour, tour_length(d, tour)


# ---------------------------------------------------------------------------
# Layout-level routing

def _prepare(layout: Layout, bins: Sequence[str], depot):
    if not isinstance(layout, Layout):
        raise ValueError('layout: expected Layout, got %r' % (layout,))
    groups: dict = {}
    order = []
    for code in bins:
        pt = layout.bin_point(code)
        key = (pt.x, pt.y)
        if key not in groups:
            groups[key] = [pt, []]
            order.append(key)
        groups[key][1].append(code)
    dp = layout.depot if depot is None else layout._as_point(depot)
    pts = [dp] + [groups[k][0] for k in order]
    members = [None] + [groups[k][1] for k in order]
    return pts, members


def _result(tour, members, d, method) -> PickRoute:
    seq = []
    for node in tour:
        if node != 0:
            seq.extend(members[node])
    length = tour_length(d, tour) if len(tour) > 1 else 0.0
    return PickRoute(tuple(seq), round(length, 6), method)


def optimise_route(layout: Layout, bins: Sequence[str], depot=None, *,
                   time_limit_ms: float = 30.0, seed: int = 0,
                   exact_max: int = 12) -> PickRoute:
    """Shortest pick tour found within ``time_limit_ms``.

    ``bins``: bin codes (duplicates are visited once per occurrence in
    the sequence, next to each other); ``depot``: bin code, ``(x, y)`` or
    point, default ``layout.depot``.
    """
    pts, members = _prepare(layout, bins, depot)
    d = layout.distance_matrix(pts)
    tour, _ = solve_tsp(d, time_limit_ms=time_limit_ms, seed=seed,
                        exact_max=exact_max)
    method = 'held-karp' if len(pts) <= max(3, exact_max) else 'ils'
    return _result(tour, members, d, method)


def route_length(layout: Layout, sequence: Sequence[str],
                 depot=None) -> float:
    """Walking length (m) of visiting ``sequence`` from/to the depot."""
    dp = layout.depot if depot is None else layout._as_point(depot)
    pts = [dp] + [layout.bin_point(c) for c in sequence]
    d = layout.distance_matrix(pts)
    return tour_length(d, list(range(len(pts)))) if len(pts) > 1 else 0.0


def s_shape_route(layout: Layout, bins: Sequence[str],
                  depot=None) -> PickRoute:
    """Baseline S-shape (traversal) route, see module docstring."""
    pts, members = _prepare(layout, bins, depot)
    ys = layout.cross_aisle_ys
    xs = layout.aisle_xs
    blocks: dict = {}
    for idx in range(1, len(pts)):
        p = pts[idx]
        a = xs.index(p.x)
        blk = 0
        for c in range(len(ys) - 1):
            if ys[c] <= p.y <= ys[c + 1]:
                blk = c
                break
        blocks.setdefault(blk, {}).setdefault(a, []).append(idx)
    tour = [0]
    up = True
    for bi, blk in enumerate(sorted(blocks, reverse=True)):
        aisles = sorted(blocks[blk], reverse=bool(bi % 2))
        for a in aisles:
            nodes = sorted(blocks[blk][a], key=lambda i: pts[i].y,
                           reverse=not up)
            tour.extend(nodes)
            up = not up
    d = layout.distance_matrix(pts)
    return _result(tour, members, d, 's-shape')


def reference_route(layout: Layout, bins: Sequence[str], depot=None, *,
                    pyvrp_seconds: float = 2.0, ils_ms: float = 1000.0,
                    exact_max: int = 14) -> PickRoute:
    """Reference optimum for benchmarks (slow).

    Exact Held-Karp when at most ``exact_max`` distinct points (depot
    included); otherwise the better of PyVRP (``pyvrp_seconds``) and our
    iterated local search run for ``ils_ms``.  ``method`` says which.
    """
    pts, members = _prepare(layout, bins, depot)
    d = layout.distance_matrix(pts)
    if len(pts) <= exact_max:
        tour, _ = held_karp(d)
        return _result(tour, members, d, 'held-karp (exact)')
    t1, l1 = _pyvrp_tsp(d, pyvrp_seconds)
    t2, l2 = solve_tsp(d, time_limit_ms=ils_ms, seed=7, exact_max=0)
    if l1 <= l2 + 1e-9:
        return _result(t1, members, d, 'pyvrp')
    return _result(t2, members, d, 'ils-long')


# ---------------------------------------------------------------------------
# Lot allocation

@dataclass(frozen=True)
class StockRecord:
    """Available stock: ``qty`` of ``lot`` in ``bin`` (``lot`` may be
    ``None``), received on ``received_date``, expiring on
    ``expiry_date`` (``None`` = never).  Dates are ``datetime.date`` (or
    ``datetime``)."""
    bin: str
    lot: str | None
    qty: object
    received_date: _dt.date | None = None
    expiry_date: _dt.date | None = None


@dataclass(frozen=True)
class Allocation:
    """Take ``qty`` of ``lot`` from ``bin``."""
    bin: str
    lot: str | None
    qty: object


@dataclass(frozen=True)
class LotAllocation:
    """``allocations`` in picking priority order; ``short_qty`` is the
    demanded quantity that could not be allocated (0 if fully served)."""
    allocations: tuple[Allocation, ...]
    short_qty: object

    @property
    def allocated_qty(self):
        return sum((a.qty for a in self.allocations), self.short_qty * 0)


_FAR = _dt.date.max
_OLD = _dt.date.min


def _as_date(v):
    if isinstance(v, _dt.datetime):
        return v.date()
    return v


def allocate_lots(records: Sequence[StockRecord], demand,
                  strategy: str = 'fifo', *,
                  min_expiry_date: _dt.date | None = None) -> LotAllocation:
    """Choose lots/bins for ``demand`` units.

    ``strategy``: ``'fifo'`` (oldest received first), ``'lifo'`` (newest
    first) or ``'fefo'`` (earliest expiry first; no expiry = last).  Ties
    are broken by the other date, then lot, then bin code, so results are
    deterministic.  Records with ``qty <= 0`` are ignored.  With
    ``min_expiry_date``, lots expiring before that date are excluded
    (e.g. today + minimum remaining shelf life).  Records without the date
    a strategy needs always sort last.
    """
    strategy = (strategy or '').lower()
    if strategy not in ('fifo', 'lifo', 'fefo'):
        raise ValueError(
            "strategy: expected 'fifo', 'lifo' or 'fefo', got %r"
            % (strategy,))
    if demand < 0:
        raise ValueError('demand: must be >= 0, got %r' % (demand,))
    usable = []
    for r in records:
        if not isinstance(r, StockRecord):
            raise ValueError('records: expected StockRecord, got %r' % (r,))
        if r.qty is None:
            raise ValueError('record.qty: missing for bin %r' % (r.bin,))
        if r.qty <= 0:
            continue
        exp = _as_date(r.expiry_date)
        if (min_expiry_date is not None and exp is not None
                and exp < _as_date(min_expiry_date)):
            continue
        usable.append(r)

    def key(r):
        rec = _as_date(r.received_date)
        exp = _as_date(r.expiry_date)
        lot = r.lot or ''
        if strategy == 'fifo':
            return (rec is None, rec or _OLD, exp or _FAR, lot, r.bin)
        if strategy == 'lifo':
            # newest first: sort on negated ordinal
            return (rec is None, -(rec or _OLD).toordinal(), exp or _FAR,
                    lot, r.bin)
        return (exp is None, exp or _FAR, rec or _OLD, lot, r.bin)

    usable.sort(key=key)
    remaining = demand
    out = []
    for r in usable:
        if remaining <= 0:
            break
        take = r.qty if r.qty <= remaining else remaining
        out.append(Allocation(r.bin, r.lot, take))
        remaining = remaining - take
    return LotAllocation(tuple(out), remaining)
