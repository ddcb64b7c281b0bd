# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Cost allocation: split a money total over items, exactly.

Plain Python, no ``trytond`` import.

:func:`allocate` ``(total, weights, digits=2) -> list[Decimal]`` splits
``total`` (``Decimal``, may be negative for credits) proportionally to
``weights`` with the largest-remainder method at ``digits`` decimals:

1. the total is expressed in integer units of ``10**-digits`` (it must
   not have more decimals than that: 1.005 at 2 digits is a ValueError);
2. each item gets ``floor(units * w_i / sum(w))`` units (exact rational
   arithmetic, no float);
3. the units left over (fewer than the number of items) go one each to
   the items with the largest fractional remainders; equal remainders
   are broken by item order (earlier item first).

Guarantees: the parts sum EXACTLY to ``total``; every part differs from
its exact share ``total * w_i / sum(w)`` by less than one unit
(0.01 at 2 digits); an item with weight 0 gets 0 (unless all weights are
zero).  Rules: weights must be >= 0 (a negative weight is a ValueError);
if every weight is 0 the total is split equally (same largest-remainder
rule); an empty item list is allowed only for a zero total.  A negative
total is allocated as ``-allocate(-total)``, so a credit mirrors the
corresponding charge (the extra cents go to the same items).

:func:`allocate_items` ``(total, items, basis, digits=2)`` computes the
weights from :class:`AllocationItem` (``kg``, ``m3``, ``km``, ``value``)
for a ``basis`` of :data:`BASES`: ``weight`` (kg), ``volume`` (m3),
``distance_weight`` (kg x km), ``value`` or ``equal``, and returns
``[(item.key, amount), ...]`` in item order.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

__all__ = ['BASES', 'AllocationItem', 'allocate', 'allocate_items',
           'item_weights']

BASES = ('weight', 'volume', 'distance_weight', 'value', 'equal')


@dataclass(frozen=True)
class AllocationItem:
    key: object                # caller's identifier, returned as is
    kg: Decimal | None = None
    m3: Decimal | None = None
    km: Decimal | None = None
    value: Decimal | None = None  # e.g. declared value, any currency


def _number(value, name):
    if isinstance(value, bool) or not isinstance(
            value, (Decimal, int, Fraction)):
        raise ValueError(f'{name} must be a Decimal or int, got {value!r}')
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f'{name} must be finite, got {value!r}')
    return Fraction(value)


def allocate(total, weights, digits=2):
    """Split ``total`` proportionally to ``weights``; see module doc."""
    if not isinstance(total, (Decimal, int)) or isinstance(total, bool):
        raise ValueError(f'total must be a Decimal or int, got {total!r}')
    total = Decimal(total)
    if not total.is_finite():
        raise ValueError(f'total must be finite, got {total!r}')
    if not isinstance(digits, int) or isinstance(digits, bool) or not (
            0 <= digits <= 9):
        raise ValueError(f'digits must be an int 0..9, got {digits!r}')
    quantum = Decimal(1).scaleb(-digits)
    units = total.scaleb(digits)
    if units != units.to_integral_value():
        raise ValueError(
            f'total {total} has more than {digits} decimals')
    units = int(units)
    fweights = [_number(w, f'weights[{i}]') for i, w in enumerate(weights)]
    for i, w in enumerate(fweights):
        if w < 0:
            raise ValueError(
                f'weights[{i}] must not be negative, got {weights[i]!r}')
    if not fweights:
        if units:
            raise ValueError(
                f'cannot allocate total {total} to an empty item list')
        return []
    negative = units < 0
    if negative:
        units = -units
    weight_sum = sum(fweights)
    if weight_sum == 0:
        fweights = [Fraction(1)] * len(fweights)
        weight_sum = Fraction(len(fweights))
    parts = []
    remainders = []
    for i, w in enumerate(fweights):
        share = units * w / weight_sum
        floor = share.numerator // share.denominator
        parts.append(floor)
        remainders.append((-(share - floor), i))
    left = units - sum(parts)
    remainders.sort()
    for _, i in remainders[:left]:
        parts[i] += 1
    sign = -1 if negative else 1
    return [(Decimal(sign * p) * quantum).quantize(quantum) for p in parts]


def item_weights(items, basis):
    """Weights of ``items`` for ``basis`` (see :data:`BASES`)."""
    if basis not in BASES:
        raise ValueError(f'basis must be one of {BASES}, got {basis!r}')
    weights = []
    for i, item in enumerate(items):
        if not isinstance(item, AllocationItem):
            raise ValueError(
                f'items[{i}] must be an AllocationItem, got {item!r}')
        if basis == 'equal':
            weights.append(1)
            continue
        names = {'weight': ('kg',), 'volume': ('m3',),
                 'distance_weight': ('kg', 'km'),
                 'value': ('value',)}[basis]
        weight = Decimal(1)
        for name in names:
            value = getattr(item, name)
            if value is None:
                raise ValueError(
                    f'items[{i}] ({item.key!r}).{name} is required for '
                    f'basis {basis!r}')
            if isinstance(value, bool) or not isinstance(
                    value, (Decimal, int)):
                raise ValueError(
                    f'items[{i}] ({item.key!r}).{name} must be a Decimal '
                    f'or int, got {value!r}')
            if value < 0:
                raise ValueError(
                    f'items[{i}] ({item.key!r}).{name} must not be '
                    f'negative, got {value!r}')
            weight *= value
        weights.append(weight)
    return weights


def allocate_items(total, items, basis, digits=2):
    """Allocate ``total`` over ``items`` by ``basis``; returns
    ``[(key, amount), ...]`` in item order."""
    items = list(items)
    amounts = allocate(total, item_weights(items, basis), digits)
    return [(item.key, amount) for item, amount in zip(
        items, amounts, strict=True)]
