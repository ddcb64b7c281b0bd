# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Shipment splitting, amount apportioning and order merging.

Plain Python, no ``trytond`` import.

Public API
==========

``split_group(lines, max_weight=None, separate=SEPARATE_FLAGS,
amount_digits=2)`` -> ``tuple[ShipmentPart]``

    Split the lines of one fulfilment group (one warehouse) into shipments:

    * lines are first grouped by category: the set of their flags among
      ``separate`` (``'dangerous'``, ``'oversize'``, ``'cold'``); lines
      without such a flag are ``'standard'``, a line both dangerous and cold
      is ``'cold+dangerous'``; each category ships separately;
    * with ``max_weight`` (kg), each category is packed first-fit
      decreasing (heaviest unit first) into parts of at most
      ``max_weight`` kg, splitting a line by quantity in whole units; a
      fractional remainder (e.g. 0.5 of a unit sold by weight) is one more
      piece.  A single unit heavier than ``max_weight`` gets a part of its
      own flagged ``overweight``.
    * ``ShipmentLine.amount`` (the money value of the line, e.g. for the
      customs / insurance value or the invoice of a partial shipment) is
      apportioned to the parts pro rata quantity with :func:`split_amount`.

    Reconciliation (exact, ``Decimal``): for every line, the quantities of
    its parts sum to its quantity and the amounts to its amount.

``split_amount(amount, weights, digits=2)`` -> ``list[Decimal]``

    Largest-remainder apportioning of ``amount`` pro rata ``weights``
    (non-negative numbers).  The step is ``10**-digits`` or the finest
    exponent of ``amount`` if it carries more decimals, so the result
    always sums exactly to ``amount``.  Ties on the remainder go to the
    earliest weight.  All-zero weights are treated as equal weights.

``merge_orders(orders, window_hours, include_singletons=False)`` ->
``list[MergeGroup]``

    Group open orders (:class:`OpenOrder`) of the same customer, address
    key, channel and warehouse created within ``window_hours`` of the
    first order of the group (anchored windows: a group never spans more
    than the window; the next order starts a new group).  ``created`` must
    be all naive (UTC) or all aware datetimes.  Groups are returned in
    order of their first order; singletons only when asked.

Invalid input (negative quantity, weight or window) raises ``ValueError``.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

__all__ = [
    'SEPARATE_FLAGS', 'ShipmentLine', 'PartLine', 'ShipmentPart',
    'OpenOrder', 'MergeGroup', 'split_group', 'split_amount',
    'merge_orders',
    ]

SEPARATE_FLAGS = ('dangerous', 'oversize', 'cold')


@dataclass(frozen=True)
class ShipmentLine:
    id: object
    product: object
    quantity: Decimal                   # > 0
    amount: Decimal = Decimal(0)        # money for the whole quantity
    unit_weight: Decimal = Decimal(0)   # kg per unit
    dangerous: bool = False
    oversize: bool = False
    cold: bool = False


@dataclass(frozen=True)
class PartLine:
    line_id: object
    product: object
    quantity: Decimal
    amount: Decimal
    weight: Decimal                     # kg


@dataclass(frozen=True)
class ShipmentPart:
    category: str                       # 'standard', 'cold', ...
    lines: tuple                        # PartLine, in input line order
    weight: Decimal                     # kg
    amount: Decimal
    overweight: bool                    # one unit above max_weight


@dataclass(frozen=True)
class OpenOrder:
    id: object
    customer: object
    address_key: object                 # e.g. intake.address_key()
    channel: object
    warehouse: object
    created: dt.datetime


@dataclass(frozen=True)
class MergeGroup:
    customer: object
    address_key: object
    channel: object
    warehouse: object
    order_ids: tuple                    # by creation date
    first_created: dt.datetime
    last_created: dt.datetime


def _dec(value):
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def split_amount(amount, weights, digits=2):
    """Apportion ``amount`` pro rata ``weights``; see module docstring."""
    amount = _dec(amount)
    weights = [Fraction(_dec(w)) for w in weights]
    if not weights:
        raise ValueError('split_amount needs at least one weight')
    if any(w < 0 for w in weights):
        raise ValueError('weights must not be negative')
    if not amount.is_finite():
        raise ValueError('amount must be finite')
    exponent = min(-digits, amount.as_tuple().exponent)
    quantum = Fraction(10) ** exponent
    units = Fraction(amount) / quantum      # integral by construction
    sign = -1 if units < 0 else 1
    units = abs(units.numerator)
    total = sum(weights)
    if total == 0:
        weights = [Fraction(1)] * len(weights)
        total = Fraction(len(weights))
    exact = [units * w / total for w in weights]
    floors = [int(e) for e in exact]        # exact >= 0: int() floors
    left = units - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (
            -(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    step = Decimal(1).scaleb(exponent)
    return [(sign * f) * step for f in floors]


def _category(line, separate):
    flags = sorted(f for f in separate if getattr(line, f))
    return '+'.join(flags) if flags else 'standard'


class _Part:
    __slots__ = ('weight', 'quantities', 'closed', 'overweight')

    def __init__(self):
        self.weight = Decimal(0)
        self.quantities = {}
        self.closed = False
        self.overweight = False

    def add(self, index, quantity, weight):
        self.quantities[index] = self.quantities.get(index, 0) + quantity
        self.weight += weight


def _fit(room, unit_weight, wanted):
    """Whole units of ``unit_weight`` fitting in ``room`` (<= wanted)."""
    if unit_weight == 0:
        return wanted
    if room < unit_weight:
        return 0
    count = (room / unit_weight).to_integral_value(rounding=ROUND_FLOOR)
    count = min(int(count), wanted)
    while count and count * unit_weight > room:  # division rounding
        count -= 1
    return count


def _pack(indexed_lines, max_weight):
    """First-fit decreasing of (index, line) into parts."""
    parts = []
    if max_weight is None:
        part = _Part()
        for index, line in indexed_lines:
            part.add(index, line.quantity, line.quantity * line.unit_weight)
        return [part]
    ordered = sorted(indexed_lines, key=lambda il: -il[1].unit_weight)
    for index, line in ordered:
        uw = line.unit_weight
        whole = int(line.quantity.to_integral_value(rounding=ROUND_FLOOR))
        fraction = line.quantity - whole
        pieces = [(Decimal(1), whole)]
        if fraction:
            pieces.append((fraction, 1))
        for size, count in pieces:
            piece_weight = size * uw
            for part in parts:
                if not count:
                    break
                if part.closed:
                    continue
                fit = _fit(max_weight - part.weight, piece_weight, count)
                if fit:
                    part.add(index, size * fit, piece_weight * fit)
                    count -= fit
            while count:
                part = _Part()
                parts.append(part)
                if piece_weight > max_weight:
                    part.add(index, size, piece_weight)
                    part.closed = part.overweight = True
                    count -= 1
                else:
                    fit = _fit(max_weight, piece_weight, count)
                    part.add(index, size * fit, piece_weight * fit)
                    count -= fit
    return parts


def split_group(lines, max_weight=None, separate=SEPARATE_FLAGS,
        amount_digits=2):
    """Split one group's lines into shipment parts; see module docstring."""
    lines = list(lines)
    if max_weight is not None:
        max_weight = _dec(max_weight)
        if not max_weight.is_finite() or max_weight <= 0:
            raise ValueError('max_weight must be > 0')
    clean = []
    for line in lines:
        quantity = _dec(line.quantity)
        unit_weight = _dec(line.unit_weight or 0)
        amount = _dec(line.amount or 0)
        if not quantity.is_finite() or quantity <= 0:
            raise ValueError('line %r: quantity must be > 0' % (line.id,))
        if not unit_weight.is_finite() or unit_weight < 0:
            raise ValueError('line %r: unit_weight must be >= 0'
                % (line.id,))
        if not amount.is_finite():
            raise ValueError('line %r: amount must be finite' % (line.id,))
        clean.append((quantity, unit_weight, amount))
    lines = [ShipmentLine(id=line.id, product=line.product, quantity=q,
            amount=a, unit_weight=w, dangerous=line.dangerous,
            oversize=line.oversize, cold=line.cold)
        for line, (q, w, a) in zip(lines, clean, strict=True)]

    categories = {}
    for index, line in enumerate(lines):
        categories.setdefault(_category(line, separate), []).append(
            (index, line))
    order = sorted(categories, key=lambda c: (c != 'standard',
            categories[c][0][0]))
    packed = []  # (category, _Part)
    for category in order:
        for part in _pack(categories[category], max_weight):
            packed.append((category, part))

    # apportion each line amount over the parts holding it
    amounts = {}
    for index, line in enumerate(lines):
        holders = [p for _, p in packed if index in p.quantities]
        shares = split_amount(line.amount,
            [p.quantities[index] for p in holders], amount_digits)
        for part, share in zip(holders, shares, strict=True):
            amounts[(id(part), index)] = share

    result = []
    for category, part in packed:
        part_lines = []
        for index in sorted(part.quantities):
            line = lines[index]
            quantity = part.quantities[index]
            part_lines.append(PartLine(line_id=line.id,
                    product=line.product, quantity=quantity,
                    amount=amounts[(id(part), index)],
                    weight=quantity * line.unit_weight))
        result.append(ShipmentPart(category=category,
                lines=tuple(part_lines),
                weight=sum((pl.weight for pl in part_lines), Decimal(0)),
                amount=sum((pl.amount for pl in part_lines), Decimal(0)),
                overweight=part.overweight))
    return tuple(result)


def merge_orders(orders, window_hours, include_singletons=False):
    """Group mergeable open orders; see module docstring."""
    window_hours = _dec(window_hours)
    if not window_hours.is_finite() or window_hours < 0:
        raise ValueError('window_hours must be >= 0')
    window = dt.timedelta(seconds=float(window_hours * 3600))
    by_key = {}
    for position, order in enumerate(orders):
        key = (order.customer, order.address_key, order.channel,
            order.warehouse)
        by_key.setdefault(key, []).append((order.created, position, order))
    groups = []
    for key, items in by_key.items():
        items.sort(key=lambda item: (item[0], item[1]))
        current = []
        for created, position, order in items:
            if current and created - current[0][0] > window:
                groups.append((key, current))
                current = []
            current.append((created, position, order))
        groups.append((key, current))
    result = []
    groups.sort(key=lambda kg: (kg[1][0][0], kg[1][0][1]))
    for key, items in groups:
        if len(items) < 2 and not include_singletons:
            continue
        result.append(MergeGroup(customer=key[0], address_key=key[1],
                channel=key[2], warehouse=key[3],
                order_ids=tuple(order.id for _, _, order in items),
                first_created=items[0][0], last_created=items[-1][0]))
    return result
