# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Order hold evaluation: should an order wait before release?

Plain Python, no ``trytond`` import.

Public API
==========

``evaluate_holds(summary, thresholds=DEFAULT_THRESHOLDS)`` -> ``list[Hold]``

    ``summary`` is an :class:`OrderSummary` built by the ERP, ``thresholds``
    a :class:`HoldThresholds` (usually from the OMS configuration).  The
    result lists the holds in the fixed order of :data:`HOLD_CODES`; an
    empty list means the order can be released.  Each :class:`Hold` has a
    machine ``code``, a human ``message`` (English sentence with the
    figures, to be translated / logged by the ERP) and ``data`` (dict of
    the figures used).

    ``payment_missing``     prepaid method and ``paid_amount < total -
                            payment_tolerance``.
    ``credit_limit``        on-account order (not prepaid), a credit limit
                            is set and ``open_balance + total_company >
                            credit_limit``.
    ``address_incomplete``  ``summary.address_missing`` (e.g. from
                            ``intake.NormalizedOrder.address_missing``)
                            contains one of ``thresholds.address_required``.
    ``out_of_stock``        ``unallocated_quantity > 0`` (or, with
                            ``hold_on_partial_stock=False``, only when
                            nothing at all could be allocated).
    ``fraud_suspected``     the weights of the fraud signals raised sum to
                            at least ``thresholds.fraud_score``.

``fraud_signals(summary, thresholds=DEFAULT_THRESHOLDS)`` ->
``list[tuple[str, int, str]]``

    ``(signal, weight, message)`` for every fraud signal raised:
    ``high_value`` (total >= the threshold of the order currency),
    ``velocity_email`` / ``velocity_phone`` / ``velocity_address`` (this
    order plus the other orders counted by the ERP in the last
    ``velocity_window_hours`` from the same e-mail / phone / address
    exceed the maximum), ``country_mismatch`` (billing and shipping
    countries differ), ``high_risk_postal`` (the shipping postal code
    starts with a prefix listed for the shipping country; blanks and case
    ignored).

``velocity_counts(recent, now, window_hours, email=None, phone=None,
address=None)`` -> ``(same_email, same_phone, same_address)``

    Helper filling the ``orders_same_*`` fields from ``recent``: iterable
    of ``(created, email, phone, address)`` tuples of the OTHER orders
    (the ERP usually counts in SQL instead).  Orders created in
    ``[now - window_hours, now]`` are counted; e-mails compare
    case-insensitively, phones and addresses as given (use
    ``intake.Customer.phone_key`` and ``intake.address_key``); a ``None``
    or empty key never matches.

Units: money in ``Decimal``; ``total`` and ``paid_amount`` in the order
currency, ``credit_limit``, ``open_balance`` and ``total_company`` in the
company currency (``total_company`` defaults to ``total``).  Quantities
are ``Decimal`` summed over the order lines.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    'HOLD_CODES', 'FRAUD_SIGNALS', 'OrderSummary', 'HoldThresholds', 'Hold',
    'DEFAULT_THRESHOLDS', 'evaluate_holds', 'fraud_signals',
    'velocity_counts',
    ]

HOLD_CODES = ('payment_missing', 'credit_limit', 'address_incomplete',
    'out_of_stock', 'fraud_suspected')
FRAUD_SIGNALS = ('high_value', 'velocity_email', 'velocity_phone',
    'velocity_address', 'country_mismatch', 'high_risk_postal')


@dataclass(frozen=True)
class OrderSummary:
    total: Decimal                      # order currency, taxes included
    currency: str = ''
    prepaid: bool = False               # method must be paid before release
    paid_amount: Decimal = Decimal(0)   # order currency
    credit_limit: Decimal | None = None  # company currency, None: no check
    open_balance: Decimal = Decimal(0)  # company currency, receivable +
    #                                     released but uninvoiced orders
    total_company: Decimal | None = None  # total in company currency
    address_missing: tuple = ()         # e.g. ('postal_code', 'street')
    ordered_quantity: Decimal = Decimal(0)
    unallocated_quantity: Decimal = Decimal(0)
    orders_same_email: int = 0          # OTHER orders in the window
    orders_same_phone: int = 0
    orders_same_address: int = 0
    billing_country: str | None = None  # ISO 3166-1 alpha-2
    shipping_country: str | None = None
    shipping_postal_code: str | None = None


@dataclass(frozen=True)
class HoldThresholds:
    payment_tolerance: Decimal = Decimal('0.01')
    credit_check: bool = True
    address_required: tuple = ('street', 'city', 'postal_code', 'country')
    hold_on_partial_stock: bool = True
    # fraud: value at or above which an order is "high value", by currency
    high_value: dict = field(default_factory=dict)
    default_high_value: Decimal | None = Decimal('2000')
    velocity_window_hours: int = 24     # the ERP counts orders over this
    max_orders_per_email: int = 3       # incl. this order, in the window
    max_orders_per_phone: int = 3
    max_orders_per_address: int = 5
    # country code -> postal code prefixes, e.g. {'GB': ('BT',)}
    high_risk_postal_prefixes: dict = field(default_factory=dict)
    signal_weights: dict = field(default_factory=dict)  # default 1 each
    fraud_score: int = 2


DEFAULT_THRESHOLDS = HoldThresholds()


@dataclass(frozen=True)
class Hold:
    code: str
    message: str
    data: dict


def _dec(value):
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value if value is not None else 0)


def _norm_postal(value):
    return ''.join(str(value or '').split()).upper()


def fraud_signals(summary, thresholds=DEFAULT_THRESHOLDS):
    """Fraud signals raised by ``summary``; see module docstring."""
    signals = []

    def raise_(signal, message):
        weight = thresholds.signal_weights.get(signal, 1)
        if weight:
            signals.append((signal, weight, message))

    total = _dec(summary.total)
    limit = thresholds.high_value.get(summary.currency,
        thresholds.default_high_value)
    if limit is not None and total >= _dec(limit):
        raise_('high_value', 'Order total %s %s reaches the high value '
            'threshold %s.' % (total, summary.currency, limit))
    window = thresholds.velocity_window_hours
    for signal, count, maximum, what in (
            ('velocity_email', summary.orders_same_email,
                thresholds.max_orders_per_email, 'e-mail'),
            ('velocity_phone', summary.orders_same_phone,
                thresholds.max_orders_per_phone, 'phone'),
            ('velocity_address', summary.orders_same_address,
                thresholds.max_orders_per_address, 'address'),
            ):
        if maximum is not None and (count or 0) + 1 > maximum:
            raise_(signal, '%d orders from the same %s in the last %s '
                'hours (maximum %d).' % ((count or 0) + 1, what, window,
                    maximum))
    billing = (summary.billing_country or '').strip().upper()
    shipping = (summary.shipping_country or '').strip().upper()
    if billing and shipping and billing != shipping:
        raise_('country_mismatch', 'Billing country %s differs from '
            'shipping country %s.' % (billing, shipping))
    postal = _norm_postal(summary.shipping_postal_code)
    if postal and shipping:
        for prefix in thresholds.high_risk_postal_prefixes.get(shipping, ()):
            prefix = _norm_postal(prefix)
            if prefix and postal.startswith(prefix):
                raise_('high_risk_postal', 'Postal code %s %s is in a '
                    'high-risk area (prefix %s).' % (shipping, postal,
                        prefix))
                break
    return signals


def evaluate_holds(summary, thresholds=DEFAULT_THRESHOLDS):
    """Holds to put on the order; see module docstring."""
    holds = []
    total = _dec(summary.total)

    if summary.prepaid:
        paid = _dec(summary.paid_amount)
        if paid < total - _dec(thresholds.payment_tolerance):
            holds.append(Hold('payment_missing',
                    'Prepaid order: %s %s received of %s %s due.' % (
                        paid, summary.currency, total, summary.currency),
                    {'paid_amount': paid, 'total': total,
                        'missing': total - paid}))
    elif thresholds.credit_check and summary.credit_limit is not None:
        limit = _dec(summary.credit_limit)
        balance = _dec(summary.open_balance)
        amount = (total if summary.total_company is None
            else _dec(summary.total_company))
        exposure = balance + amount
        if exposure > limit:
            holds.append(Hold('credit_limit',
                    'Open balance %s plus this order %s = %s exceeds the '
                    'credit limit %s by %s.' % (balance, amount, exposure,
                        limit, exposure - limit),
                    {'open_balance': balance, 'amount': amount,
                        'exposure': exposure, 'credit_limit': limit,
                        'excess': exposure - limit}))

    missing = [f for f in summary.address_missing
        if f in thresholds.address_required]
    if missing:
        holds.append(Hold('address_incomplete',
                'Shipping address is missing: %s.' % ', '.join(missing),
                {'missing': tuple(missing)}))

    unallocated = _dec(summary.unallocated_quantity)
    ordered = _dec(summary.ordered_quantity)
    if unallocated > 0 and (thresholds.hold_on_partial_stock
            or unallocated >= ordered):
        holds.append(Hold('out_of_stock',
                '%s of %s units cannot be allocated from stock.' % (
                    unallocated, ordered),
                {'unallocated_quantity': unallocated,
                    'ordered_quantity': ordered}))

    signals = fraud_signals(summary, thresholds)
    score = sum(weight for _, weight, _ in signals)
    if signals and score >= thresholds.fraud_score:
        holds.append(Hold('fraud_suspected',
                'Fraud score %d (threshold %d): %s' % (score,
                    thresholds.fraud_score,
                    ' '.join(message for _, _, message in signals)),
                {'score': score,
                    'signals': tuple(signal for signal, _, _ in signals)}))
    return holds


def velocity_counts(recent, now, window_hours, email=None, phone=None,
        address=None):
    """Count recent orders sharing e-mail, phone, address; see module
    docstring."""
    start = now - dt.timedelta(hours=float(window_hours))
    email = (email or '').strip().casefold()
    counts = [0, 0, 0]
    for created, other_email, other_phone, other_address in recent:
        if not start <= created <= now:
            continue
        if email and (other_email or '').strip().casefold() == email:
            counts[0] += 1
        if phone and other_phone == phone:
            counts[1] += 1
        if address and other_address == address:
            counts[2] += 1
    return tuple(counts)
