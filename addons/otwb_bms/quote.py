# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Quotes: rate a hypothetical shipment or order against the rate cards.

Used over RPC (``model.otwb.bms.rate_card.quote``) by the transport
module's carrier selection and the order module's shipping prices, and by
the client wizard *Quote*.  A request is a dict:

``kind`` (``receivable`` default / ``payable``), ``party`` (id, optional:
the default card applies), ``date`` (ISO date, default today),
``activity`` (default ``shipment_delivered``), ``mode``,
``service_level``, ``cargo_class``, ``origin`` / ``destination``
(``{'country', 'subdivision', 'postal_code'}``), ``weight`` (kg), ``m3``,
``km``, ``packages`` (``[{'length', 'width', 'height', 'quantity'}]`` in
cm), ``declared_value``, ``cod_amount``, ``orders``, ``lines``,
``units``, ``cartons``, ``pallets``, ``days``, ``currency`` (ISO code to
convert the charges to at the date's rate).

Nothing is written; a bad request is rejected with its errors, the other
requests are still quoted.
"""
import datetime as dt
from decimal import Decimal, InvalidOperation

from trytond.i18n import gettext
from trytond.model import Model, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .engine import rating
from .rate_card import CARGO_CLASSES, MODES

NUMBERS = {'weight': 'kg', 'm3': 'm3', 'km': 'km', 'orders': 'orders',
    'lines': 'lines', 'units': 'units', 'cartons': 'cartons',
    'pallets': 'pallets', 'days': 'days'}
MONEY = ('declared_value', 'cod_amount')
KNOWN = set(NUMBERS) | set(MONEY) | {
    'kind', 'party', 'date', 'activity', 'mode', 'service_level',
    'cargo_class', 'origin', 'destination', 'packages', 'currency', 'lane'}


def _number(value, name, errors):
    if value is None:
        return None
    if isinstance(value, bool):
        errors.append({'field': name, 'message':
                '%s must be a number, got %r' % (name, value)})
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or number < 0:
        errors.append({'field': name, 'message':
                '%s must be a number >= 0, got %r' % (name, value)})
        return None
    return number


def _address(value, name, errors):
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get('country'):
        errors.append({'field': name, 'message':
                '%s must be a dict with at least a country, got %r'
                % (name, value)})
        return None
    extra = set(value) - {'country', 'subdivision', 'postal_code'}
    if extra:
        errors.append({'field': name, 'message':
                '%s: unknown keys %s' % (name, sorted(extra))})
        return None
    try:
        return rating.Address(
            country=str(value['country']).upper(),
            subdivision=value.get('subdivision') or None,
            postal_code=value.get('postal_code') or None)
    except ValueError as exc:
        errors.append({'field': name, 'message': str(exc)})


def parse_request(request, today):
    """Return (kind, party id, currency code, RatingEvent) or raise
    ValueError with the list of errors as its argument."""
    errors = []
    if not isinstance(request, dict):
        raise ValueError([{'field': None, 'message':
                    'request must be a dict, got %r' % (request,)}])
    unknown = set(request) - KNOWN
    if unknown:
        errors.append({'field': None, 'message':
                'unknown keys %s' % sorted(unknown)})
    kind = request.get('kind') or 'receivable'
    if kind not in ('receivable', 'payable'):
        errors.append({'field': 'kind', 'message':
                "kind must be 'receivable' or 'payable', got %r" % kind})
    party = request.get('party')
    if party is not None and (isinstance(party, bool)
            or not isinstance(party, int) or party <= 0):
        errors.append({'field': 'party', 'message':
                'party must be a positive id, got %r' % (party,)})
    date = request.get('date') or today
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            errors.append({'field': 'date', 'message':
                    'date must be YYYY-MM-DD, got %r' % date})
            date = today
    elif isinstance(date, dt.datetime) or not isinstance(date, dt.date):
        errors.append({'field': 'date', 'message':
                'date must be YYYY-MM-DD, got %r' % (date,)})
        date = today
    values = {}
    for name, attr in NUMBERS.items():
        values[attr] = _number(request.get(name), name, errors)
    for name in MONEY:
        values[name] = _number(request.get(name), name, errors)
    mode = request.get('mode')
    if mode is not None and mode not in dict(MODES):
        errors.append({'field': 'mode', 'message': 'mode must be one of %s,'
                ' got %r' % (sorted(m for m, _ in MODES if m), mode)})
    cargo = request.get('cargo_class')
    if cargo is not None and cargo not in dict(CARGO_CLASSES):
        errors.append({'field': 'cargo_class', 'message':
                'cargo_class must be one of %s, got %r' % (
                    sorted(c for c, _ in CARGO_CLASSES if c), cargo)})
    for name in ('service_level', 'activity', 'lane', 'currency'):
        value = request.get(name)
        if value is not None and (not isinstance(value, str)
                or not value.strip()):
            errors.append({'field': name, 'message':
                    '%s must be a non-empty string, got %r' % (name, value)})
    packages = []
    for i, package in enumerate(request.get('packages') or []):
        name = 'packages[%s]' % i
        if not isinstance(package, dict):
            errors.append({'field': name, 'message':
                    '%s must be a dict, got %r' % (name, package)})
            continue
        dims = [_number(package.get(k), '%s.%s' % (name, k), errors)
            for k in ('length', 'width', 'height')]
        quantity = package.get('quantity', 1)
        if (isinstance(quantity, bool) or not isinstance(quantity, int)
                or quantity < 1):
            errors.append({'field': name + '.quantity', 'message':
                    '%s.quantity must be a positive int, got %r'
                    % (name, quantity)})
            continue
        if None in dims or 0 in dims:
            errors.append({'field': name, 'message':
                    '%s needs length, width and height > 0 (cm)' % name})
            continue
        packages.append(rating.Package(*dims, quantity=quantity))
    origin = _address(request.get('origin'), 'origin', errors)
    destination = _address(request.get('destination'), 'destination', errors)
    if errors:
        raise ValueError(errors)
    try:
        event = rating.RatingEvent(
            date=date, mode=mode, origin=origin, destination=destination,
            lane=request.get('lane'),
            service_level=request.get('service_level'),
            cargo_class=cargo,
            activity=request.get('activity') or 'shipment_delivered',
            packages=tuple(packages), **values)
    except ValueError as exc:
        raise ValueError([{'field': None, 'message': str(exc)}])
    return kind, party, request.get('currency'), event


def quote(requests):
    pool = Pool()
    Card = pool.get('otwb.bms.rate_card')
    Party = pool.get('party.party')
    Currency = pool.get('currency.currency')
    Config = pool.get('otwb.configuration')
    Date = pool.get('ir.date')
    if not isinstance(requests, (list, tuple)):
        raise ValidationError(gettext(
                'otwb_bms.msg_quote_requests', value=repr(requests)[:80]))
    limit = Config(1).rpc_max_items
    if limit and len(requests) > limit:
        raise ValidationError(gettext(
                'otwb_bms.msg_quote_too_many', count=len(requests),
                limit=limit))
    today = Date.today()
    currencies = {c.code: c for c in Currency.search([])}
    cache = {}
    results = []
    for index, request in enumerate(requests):
        result = {'index': index, 'status': 'rejected', 'errors': [],
            'charges': [], 'totals': {}}
        results.append(result)
        try:
            kind, party, currency, event = parse_request(request, today)
        except ValueError as exc:
            result['errors'] = exc.args[0]
            continue
        if party is not None and not Party.search(
                [('id', '=', party)], limit=1):
            result['errors'].append({'field': 'party', 'message':
                    'party %s does not exist' % party})
            continue
        if currency is not None and currency not in currencies:
            result['errors'].append({'field': 'currency', 'message':
                    'unknown currency %r' % currency})
            continue
        key = (kind, event.date)
        if key not in cache:
            cache[key] = Card.compiled(kind, event.date)
        try:
            cards = rating.applicable_cards(
                cache[key], party, kind, event.date)
            charges = rating.rate(cards, event)
        except ValueError as exc:
            result['errors'].append({'field': None, 'message': str(exc)})
            continue
        totals = {}
        for charge in charges:
            amount, code = charge.amount, charge.currency
            if currency and currency != code:
                with Transaction().set_context(date=event.date):
                    amount = Currency.compute(
                        currencies[code], amount, currencies[currency])
                code = currency
            result['charges'].append({
                    'charge_type': charge.charge_type,
                    'code': charge.code,
                    'amount': str(amount),
                    'currency': code,
                    'card_amount': str(charge.amount),
                    'card_currency': charge.currency,
                    'card': charge.card_id,
                    'card_version': charge.card_version,
                    'line': charge.line_id,
                    'quantity': None if charge.quantity is None
                    else str(charge.quantity),
                    'unit': charge.unit,
                    'explanation': charge.explanation,
                    })
            totals[code] = totals.get(code, Decimal(0)) + amount
        result['totals'] = {k: str(v) for k, v in totals.items()}
        result['status'] = 'ok'
    return results


class QuoteStart(ModelView):
    "Quote"
    __name__ = 'otwb.bms.quote.start'
    __string__ = "Quote Shipment"

    kind = fields.Selection([
            ('receivable', "Customer price"),
            ('payable', "Carrier cost"),
            ], "Kind", required=True)
    party = fields.Many2One('party.party', "Party")
    date = fields.Date("Date", required=True)
    activity = fields.Char("Activity", required=True)
    mode = fields.Selection(MODES, "Mode")
    service_level = fields.Char("Service Level")
    cargo_class = fields.Selection(CARGO_CLASSES, "Cargo Class")
    origin_country = fields.Char("Origin Country", size=2)
    dest_country = fields.Char("Destination Country", size=2)
    dest_subdivision = fields.Char("Destination Subdivision")
    dest_postal_code = fields.Char("Destination Postal Code")
    weight = fields.Numeric("Weight (kg)", digits=(16, 3))
    length = fields.Numeric("Length (cm)", digits=(16, 1))
    width = fields.Numeric("Width (cm)", digits=(16, 1))
    height = fields.Numeric("Height (cm)", digits=(16, 1))
    packages = fields.Integer("Packages")
    km = fields.Numeric("Distance (km)", digits=(16, 2))
    declared_value = fields.Numeric("Declared Value", digits=(16, 2))
    orders = fields.Integer("Orders")
    currency = fields.Many2One('currency.currency', "Currency")
    result = fields.Text("Result", readonly=True)

    def to_request(self):
        request = {'kind': self.kind, 'date': self.date,
            'activity': self.activity}
        for name in ('mode', 'service_level', 'cargo_class', 'weight', 'km',
                'declared_value', 'orders'):
            value = getattr(self, name)
            if value is not None and value != '':
                request[name] = value
        if self.party:
            request['party'] = self.party.id
        if self.currency:
            request['currency'] = self.currency.code
        if self.origin_country:
            request['origin'] = {'country': self.origin_country}
        if self.dest_country:
            request['destination'] = {'country': self.dest_country,
                'subdivision': self.dest_subdivision or None,
                'postal_code': self.dest_postal_code or None}
        if self.length and self.width and self.height:
            request['packages'] = [{'length': self.length,
                    'width': self.width, 'height': self.height,
                    'quantity': self.packages or 1}]
        return request


class Quote(Wizard):
    "Quote"
    __name__ = 'otwb.bms.quote'

    start = StateView('otwb.bms.quote.start',
        'otwb_bms.quote_start_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Quote", 'compute', 'tryton-ok', default=True),
            ])
    compute = StateTransition()

    def default_start(self, fields):
        Date = Pool().get('ir.date')
        values = {'kind': 'receivable', 'date': Date.today(),
            'activity': 'shipment_delivered'}
        if getattr(self.start, 'kind', None):
            for name in fields:
                value = getattr(self.start, name, None)
                if isinstance(value, Model):
                    value = value.id
                values[name] = value
        return values

    def transition_compute(self):
        result, = quote([self.start.to_request()])
        self.start.result = format_result(result)
        return 'start'


def format_result(result):
    "Human text of one quote result"
    if result['status'] != 'ok':
        return '\n'.join('%s: %s' % (e['field'] or 'request', e['message'])
            for e in result['errors'])
    if not result['charges']:
        return 'No rate card line applies.'
    lines = []
    for charge in result['charges']:
        lines.append('%s %s %s (card %s v%s, line %s): %s' % (
                charge['charge_type'], charge['amount'],
                charge['currency'], charge['card'], charge['card_version'],
                charge['line'], charge['explanation']))
    lines.append('Total: ' + ', '.join(
            '%s %s' % (v, k) for k, v in result['totals'].items()))
    return '\n'.join(lines)

