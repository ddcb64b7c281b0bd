# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Wave planning (plain Python, no ERP).

Ready shipments (:class:`WaveShipment`) are grouped by carrier and cut-off
time (and optionally by zone set); each group is split into waves that
respect :class:`WaveLimits` (max lines, units, volume and shipments per
wave).  Waves are released earliest cut-off first (shipments without a
cut-off come last), then by the most urgent priority of the group.

Within a group, shipments are taken by priority (lower value = more
urgent), then cut-off, then id, and placed first-fit into the group's
open waves (looking back at most ``lookback`` waves, which keeps planning
linear: 10,000 shipments take a few tens of milliseconds).  A shipment
that alone exceeds a limit gets its own wave flagged ``oversize=True``
(the ERP decides whether to release it).

Entry point: :func:`plan_waves` -> list of :class:`Wave`.
Units: volume in m3, units in the shipment's unit count, datetimes as given
(naive or aware, but consistent).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Hashable, Sequence

__all__ = ['WaveShipment', 'WaveLimits', 'Wave', 'plan_waves']


@dataclass(frozen=True)
class WaveShipment:
    """A ready shipment.

    ``id``: ERP id; ``carrier``: carrier id/code (``None`` allowed);
    ``cutoff``: carrier cut-off ``datetime`` (``None`` = no cut-off);
    ``zones``: zones the picks come from; ``lines``: number of move
    lines; ``units``: total units; ``volume_m3``: total volume;
    ``priority``: lower is more urgent.
    """
    id: Hashable
    carrier: Hashable | None
    cutoff: _dt.datetime | None
    zones: frozenset = frozenset()
    lines: int = 1
    units: float = 1
    volume_m3: float = 0.0
    priority: int = 10


@dataclass(frozen=True)
class WaveLimits:
    """Per-wave limits; ``None`` = unlimited."""
    max_lines: int | None = None
    max_units: float | None = None
    max_volume_m3: float | None = None
    max_shipments: int | None = None


@dataclass
class Wave:
    """A planned wave in release order (``sequence`` starts at 1)."""
    sequence: int
    carrier: Hashable | None
    cutoff: _dt.datetime | None
    zones: frozenset
    shipment_ids: list = field(default_factory=list)
    lines: int = 0
    units: float = 0
    volume_m3: float = 0.0
    oversize: bool = False
    priority: int = 0


def _check(s: WaveShipment):
    if not isinstance(s, WaveShipment):
        raise ValueError('shipments: expected WaveShipment, got %r' % (s,))
    for name in ('lines', 'units', 'volume_m3'):
        v = getattr(s, name)
        if v is None or v < 0:
            raise ValueError('shipment.%s: must be >= 0, got %r for '
                             'shipment %r' % (name, v, s.id))


def plan_waves(shipments: Sequence[WaveShipment],
               limits: WaveLimits = WaveLimits(), *,
               group_by_carrier: bool = True,
               group_by_cutoff: bool = True,
               group_by_zone: bool = False,
               lookback: int = 8) -> list[Wave]:
    """Group ``shipments`` into waves, see the module docstring.

    ``group_by_zone`` separates shipments by their exact zone set (so a
    wave is picked in one set of zones).  Without it a wave's ``zones`` is
    the union of its shipments' zones.  Wave ``cutoff`` is the earliest
    cut-off of its shipments, ``priority`` the most urgent one.
    """
    for name in ('max_lines', 'max_units', 'max_volume_m3',
                 'max_shipments'):
        v = getattr(limits, name)
        if v is not None and v <= 0:
            raise ValueError('limits.%s: must be > 0 or None, got %r'
                             % (name, v))
    if lookback < 1:
        raise ValueError('lookback: must be >= 1, got %r' % (lookback,))
    max_l = limits.max_lines
    max_u = limits.max_units
    max_v = limits.max_volume_m3
    max_s = limits.max_shipments

    groups: dict = {}
    seen = set()
    for s in shipments:
        _check(s)
        if s.id in seen:
            raise ValueError('shipment.id: duplicate id %r' % (s.id,))
        seen.add(s.id)
        key = (s.carrier if group_by_carrier else None,
               s.cutoff if group_by_cutoff else None,
               frozenset(s.zones) if group_by_zone else None)
        groups.setdefault(key, []).append(s)

    def fits(w, s):
        return ((max_l is None or w.lines + s.lines <= max_l)
                and (max_u is None or w.units + s.units <= max_u)
                and (max_v is None
                     or w.volume_m3 + s.volume_m3 <= max_v + 1e-12)
                and (max_s is None or len(w.shipment_ids) < max_s))

    def too_big(s):
        return ((max_l is not None and s.lines > max_l)
                or (max_u is not None and s.units > max_u)
                or (max_v is not None and s.volume_m3 > max_v + 1e-12))

    planned = []  # (sort key, creation index, wave)
    for key, members in groups.items():
        members.sort(key=lambda s: (s.priority, _cut_key(s.cutoff),
                                    str(s.id)))
        carrier, _, zset = key
        open_waves: list[Wave] = []
        group_waves: list[Wave] = []
        for s in members:
            if too_big(s):
                w = Wave(0, carrier, s.cutoff, frozenset(s.zones),
                         [s.id], s.lines, s.units, s.volume_m3, True,
                         s.priority)
                group_waves.append(w)
                continue
            target = None
            for w in open_waves[-lookback:]:
                if fits(w, s):
                    target = w
                    break
            if target is None:
                target = Wave(0, carrier, s.cutoff,
                              zset if zset is not None else frozenset(),
                              priority=s.priority)
                open_waves.append(target)
                group_waves.append(target)
            target.shipment_ids.append(s.id)
            target.lines += s.lines
            target.units += s.units
            target.volume_m3 += s.volume_m3
            if zset is None:
                target.zones = target.zones | frozenset(s.zones)
            if _cut_key(s.cutoff) < _cut_key(target.cutoff):
                target.cutoff = s.cutoff
            target.priority = min(target.priority, s.priority)
        for w in group_waves:
            planned.append(w)
    planned.sort(key=lambda w: (_cut_key(w.cutoff), w.priority,
                                str(w.carrier)))
    for i, w in enumerate(planned, 1):
        w.sequence = i
    return planned


def _cut_key(cutoff):
    if cutoff is None:
        return (1, 0.0)
    if isinstance(cutoff, _dt.datetime):
        if cutoff.tzinfo is not None:
            return (0, cutoff.timestamp())
        return (0, (cutoff - _dt.datetime(1970, 1, 1)).total_seconds())
    if isinstance(cutoff, _dt.date):
        return (0, float(cutoff.toordinal() * 86400))
    raise ValueError('shipment.cutoff: expected datetime or None, got %r'
                     % (cutoff,))
