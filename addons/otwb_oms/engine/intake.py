# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Validation and normalisation of channel order payloads.

Plain Python, no ``trytond`` import: the ERP builds a :class:`Catalog` from
its records and calls the functions below.

Public API
==========

``validate_order(payload, catalog, limits=DEFAULT_LIMITS)``
    -> ``(NormalizedOrder | None, list[dict])``

    ``payload`` is whatever arrived over XML-RPC / JSON-RPC (normally a
    dict) or was produced by :func:`parse_csv`.  It never raises on
    JSON-like input (dict/list/str/int/float/bool/None, ``Decimal``,
    ``date``/``datetime``).  Exactly one of the two results is meaningful:
    either a :class:`NormalizedOrder` and an empty error list, or ``None``
    and a non-empty error list.  Each error is a dict::

        {'field': 'lines[2].quantity',   # dotted path, 'payload' for root
         'code': 'not_positive',         # machine code, see ERROR_CODES
         'message': 'lines[2].quantity must be greater than 0 (got -1)',
         'value': "-1"}                  # repr of the value, truncated

``payload_hash(payload)`` -> ``str``
    SHA-256 (hex) of the canonical JSON form of the raw payload (sorted
    keys, no whitespace, UTF-8, ``Decimal`` as its string, dates as ISO
    8601).  Equal for payloads differing only in key order; used to detect
    an idempotency key (channel + external_id) re-used with different
    content.  Raises ``TypeError`` for non JSON-like content and
    ``ValueError`` for circular or too deeply nested content.

``parse_csv(text, delimiter=',', max_rows=DEFAULT_LIMITS.max_csv_rows)``
    -> ``(list[CsvOrder], list[dict])``

    One CSV row per order line, rows grouped by (channel, external_id).  The
    header (first line) must contain at least :data:`CSV_REQUIRED_COLUMNS`;
    all known columns are listed in :data:`CSV_COLUMNS`.  Order level
    columns are taken from the first row of the group; a later row of the
    same group with a different non-empty value yields an
    ``inconsistent_value`` error.  Empty cells are omitted from the payload
    (so :func:`validate_order` reports ``required``).  Values stay strings;
    :func:`validate_order` parses them.  CSV errors carry an extra ``line``
    key (physical line number, header is line 1).  ``CsvOrder.line_numbers
    [i]`` is the CSV line of ``payload['lines'][i]`` so that validation
    errors like ``lines[2].quantity`` can be mapped back to the file.

``address_key(street, city, postal_code, country)`` -> ``str``
    Normalised key (casefolded, punctuation and repeated blanks removed)
    used to compare shipping addresses (merge and fraud velocity).

Units and conventions
=====================

* Money: ``Decimal`` in the order currency.  Input prices, discounts, paid
  and declared amounts accept at most ``limits.amount_digits`` (4)
  decimals.  ``NormalizedLine.amount`` = quantity x unit_price - discount,
  rounded half-up to ``Channel.currency_digits`` (2); ``untaxed_amount`` is
  the sum of the rounded line amounts.  ``discount`` is an absolute amount
  for the whole line (not a percentage, not per unit).
* Quantities: ``Decimal`` in the product sale unit, > 0, at most
  ``limits.quantity_digits`` decimals and <= ``limits.max_quantity``.
* Weights: kg (``Product.weight`` is kg per unit); ``weight`` is ``None``
  when a product of the order has no weight.
* Numbers may be given as int, float (finite), ``Decimal`` or a string
  that parses as a plain decimal (``"12.50"``, ``"1e3"``); booleans are
  never numbers.
* ``promised_date``: ISO date (``date``) or ISO datetime (``datetime``,
  naive UTC; aware values are converted to UTC), between 2000-01-01 and
  2100-12-31.
* Strings are stripped; control characters (Unicode category Cc, lone
  surrogates, bidirectional overrides/isolates) are rejected, except
  newline, carriage return and tab in ``notes``.  Lengths are in characters
  after stripping.  ``external_id`` and ``lines[].id`` also accept integers
  (turned into strings); other string fields do not (a numeric postal code
  would have lost its leading zeros).
* E-mail addresses: ASCII only (no internationalised addresses), a dotted
  domain with an alphabetic TLD; the domain is lower-cased.
* Unknown keys are ignored (forward compatibility).
"""

import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
import reprlib
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    'Channel', 'Product', 'Catalog', 'Limits', 'DEFAULT_LIMITS',
    'Customer', 'Address', 'Payment', 'NormalizedLine', 'NormalizedOrder',
    'CsvOrder', 'SERVICE_LEVELS', 'ERROR_CODES', 'CSV_COLUMNS',
    'CSV_REQUIRED_COLUMNS', 'validate_order', 'payload_hash', 'parse_csv',
    'address_key',
    ]

SERVICE_LEVELS = ('standard', 'express', 'same_day', 'economy')

ERROR_CODES = {
    'required': 'a value is required',
    'invalid_type': 'the value has the wrong type',
    'invalid_number': 'the string is not a decimal number',
    'not_finite': 'NaN and infinite values are not accepted',
    'not_positive': 'the value must be greater than 0',
    'negative': 'the value must not be negative',
    'out_of_range': 'the value is outside the accepted range',
    'too_many_decimals': 'the value has too many decimal places',
    'too_long': 'the string is too long',
    'control_characters': 'the string contains control characters',
    'invalid_email': 'not a valid e-mail address',
    'invalid_phone': 'not a valid phone number',
    'invalid_date': 'not an ISO 8601 date or datetime',
    'invalid_choice': 'the value is not one of the accepted values',
    'unknown_channel': 'no sales channel with this code',
    'unknown_sku': 'no product with this SKU',
    'inactive_sku': 'the product is not active',
    'unknown_country': 'no country with this ISO code',
    'unknown_subdivision': 'no subdivision with this code in the country',
    'currency_mismatch': 'the currency is not the channel currency',
    'unpaid_prepaid': 'prepaid order not paid for its total',
    'too_many_lines': 'the order has too many lines',
    'duplicate_line': 'a line with the same reference already exists',
    'payload_too_large': 'the payload is too large',
    'inconsistent_value': 'CSV rows of one order disagree on a value',
    'missing_column': 'a required CSV column is missing',
    'csv_error': 'the CSV text is malformed',
    'too_many_rows': 'the CSV file has too many rows',
    }

MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)


@dataclass(frozen=True)
class Channel:
    """A sales channel as configured in the ERP."""
    code: str
    currency: str                       # ISO 4217, e.g. 'EUR'
    payment_methods: frozenset = frozenset()  # accepted method codes
    prepaid_methods: frozenset = frozenset()  # subset paid at checkout
    max_lines: int = 500
    currency_digits: int = 2


@dataclass(frozen=True)
class Product:
    """A sellable product known by its SKU."""
    id: object                          # ERP product id
    active: bool = True
    weight: Decimal | None = None       # kg per unit


@dataclass(frozen=True)
class Catalog:
    """Reference data, built by the ERP once per batch.

    ``channels``: code -> :class:`Channel`; ``products``: SKU ->
    :class:`Product`; ``countries``: ISO 3166-1 alpha-2 code -> set of ISO
    3166-2 subdivision codes (e.g. ``{'ES': {'ES-M', 'ES-B'}}``).
    """
    channels: dict
    products: dict
    countries: dict

    @classmethod
    def from_dict(cls, data):
        """Build from plain dicts (e.g. decoded JSON).

        ``{'channels': {code: {'currency', 'payment_methods',
        'prepaid_methods', 'max_lines'?, 'currency_digits'?}},
        'products': {sku: {'id', 'active'?, 'weight'?}},
        'countries': {code: [subdivision codes]}}``
        """
        channels = {}
        for code, c in data.get('channels', {}).items():
            channels[code] = Channel(
                code=code, currency=c['currency'],
                payment_methods=frozenset(c.get('payment_methods', ())),
                prepaid_methods=frozenset(c.get('prepaid_methods', ())),
                max_lines=int(c.get('max_lines', 500)),
                currency_digits=int(c.get('currency_digits', 2)))
        products = {}
        for sku, p in data.get('products', {}).items():
            weight = p.get('weight')
            products[sku] = Product(
                id=p['id'], active=bool(p.get('active', True)),
                weight=None if weight is None else Decimal(str(weight)))
        countries = {
            code.upper(): frozenset(s.upper() for s in subs)
            for code, subs in data.get('countries', {}).items()}
        return cls(channels=channels, products=products,
            countries=countries)


@dataclass(frozen=True)
class Limits:
    """Hard limits; the defaults suit web shop orders."""
    max_payload_chars: int = 1_000_000  # canonical JSON length
    max_lines: int = 1000               # absolute, channels may go lower
    max_quantity: Decimal = Decimal('100000')
    quantity_digits: int = 4
    max_amount: Decimal = Decimal('1000000000')
    amount_digits: int = 4
    allow_duplicate_skus: bool = True
    max_csv_rows: int = 100_000
    lengths: dict = field(default_factory=lambda: {
        'channel': 32,
        'external_id': 64,
        'customer.name': 128,
        'customer.email': 254,
        'customer.phone': 32,
        'shipping_address.name': 128,
        'shipping_address.street': 256,
        'shipping_address.city': 128,
        'shipping_address.postal_code': 16,
        'shipping_address.subdivision': 16,
        'lines.sku': 64,
        'lines.id': 64,
        'payment.method': 32,
        'notes': 2000,
        })


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Customer:
    name: str
    email: str                          # domain part lower-cased
    phone: str | None                   # as given, stripped
    phone_key: str | None               # '+' and digits only


@dataclass(frozen=True)
class Address:
    name: str                           # defaults to the customer name
    street: str
    city: str
    postal_code: str | None             # upper-cased
    country: str                        # ISO 3166-1 alpha-2
    subdivision: str | None             # ISO 3166-2, e.g. 'US-CA'
    latitude: Decimal | None            # degrees
    longitude: Decimal | None           # degrees


@dataclass(frozen=True)
class Payment:
    method: str
    paid_amount: Decimal
    prepaid: bool


@dataclass(frozen=True)
class NormalizedLine:
    index: int                          # position in the payload
    id: str | None                      # external line reference
    sku: str
    product_id: object
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal                   # absolute, whole line
    amount: Decimal                     # rounded to currency digits
    weight: Decimal | None              # kg, whole line


@dataclass(frozen=True)
class NormalizedOrder:
    channel: str
    external_id: str
    customer: Customer
    shipping_address: Address
    lines: tuple
    currency: str
    payment: Payment
    service_level: str
    promised_date: dt.date               # date or naive UTC datetime
    declared_value: Decimal | None
    notes: str
    untaxed_amount: Decimal
    total_quantity: Decimal
    weight: Decimal | None               # kg, None if unknown
    address_missing: tuple               # e.g. ('postal_code',)
    address_key: str
    payload_hash: str


@dataclass(frozen=True)
class CsvOrder:
    payload: dict
    line_numbers: tuple                 # CSV line of each payload line


_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlevel = 2
_REPR.maxdict = 4
_REPR.maxlist = 4

_NUMBER_RE = re.compile(
    r'[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?', re.ASCII)
_NON_FINITE = {'nan', '+nan', '-nan', 'snan', 'inf', '+inf', '-inf',
    'infinity', '+infinity', '-infinity'}
_EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
    r"(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*", re.ASCII)
_EMAIL_DOMAIN_RE = re.compile(
    r'(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+'
    r'[A-Za-z]{2,63}', re.ASCII)
_PHONE_RE = re.compile(r'\+?[0-9 ().\-/]+', re.ASCII)
_CURRENCY_RE = re.compile(r'[A-Z]{3}', re.ASCII)
_DATE_RE = re.compile(r'\d{4}-\d{2}-\d{2}', re.ASCII)
_DATETIME_RE = re.compile(
    r'\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?'
    r'(?:Z|[+-]\d{2}:?\d{2})?', re.ASCII)


def _short_repr(value):
    try:
        text = _REPR.repr(value)
    except Exception:  # a hostile __repr__ must not break validation
        text = '<%s>' % type(value).__name__
    if len(text) > 100:
        text = text[:97] + '...'
    return text


class _Errors(list):

    def add(self, field_, code, detail, value):
        shown = _short_repr(value)
        self.append({
                'field': field_,
                'code': code,
                'message': '%s %s (got %s)' % (field_, detail, shown),
                'value': shown,
                })


# bidirectional overrides and isolates (Trojan Source) count as control
_BIDI_CONTROLS = frozenset('\u202a\u202b\u202c\u202d\u202e'
    '\u2066\u2067\u2068\u2069')


def _has_control(text, allow=''):
    for char in text:
        if char in allow:
            continue
        if unicodedata.category(char) in ('Cc', 'Cs') or (
                char in _BIDI_CONTROLS):
            return True
    return False


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    raise TypeError('%s is not JSON serializable' % type(value).__name__)


def _canonical_json(payload):
    return json.dumps(payload, sort_keys=True, separators=(',', ':'),
        ensure_ascii=False, default=_json_default)


def payload_hash(payload):
    """SHA-256 hex digest of the canonical JSON form of ``payload``.

    Raises ``TypeError`` for non JSON-like values and ``ValueError`` for
    circular or too deeply nested structures."""
    try:
        text = _canonical_json(payload)
    except RecursionError:
        raise ValueError('payload is nested too deeply') from None
    return hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()


def address_key(street, city, postal_code, country):
    """Key comparing addresses regardless of case, accents-free blanks and
    punctuation: ``'Rue de la Paix 1', 'PARIS'`` and ``'rue de la paix, 1',
    'Paris'`` give the same key."""
    parts = []
    for part in (country, postal_code, city, street):
        text = unicodedata.normalize('NFKC', str(part or '')).casefold()
        text = re.sub(r'[^\w]+', ' ', text).strip()
        parts.append(text)
    return '|'.join(parts)


def _get(container, key, default=None):
    if isinstance(container, dict):
        return container.get(key, default)
    return default


class _Validator:

    def __init__(self, catalog, limits):
        self.catalog = catalog
        self.limits = limits
        self.errors = _Errors()

    # -- scalar helpers ------------------------------------------------
    def string(self, path, value, required=True, limit_key=None,
            allow_control='', upper=False, allow_int=False):
        if value is None:
            if required:
                self.errors.add(path, 'required', 'is required', value)
            return None
        if allow_int and isinstance(value, int) and not isinstance(
                value, bool) and -10 ** 30 < value < 10 ** 30:
            value = str(value)
        if not isinstance(value, str):
            self.errors.add(path, 'invalid_type', 'must be a string', value)
            return None
        limit = self.limits.lengths.get(limit_key or path)
        if limit is not None and len(value) > limit * 4 + 1024:
            # do not scan megabytes of text
            self.errors.add(path, 'too_long',
                'must be at most %d characters' % limit, value)
            return None
        text = value.strip()
        if _has_control(text, allow_control):
            self.errors.add(path, 'control_characters',
                'must not contain control characters', value)
            return None
        if not text:
            if required:
                self.errors.add(path, 'required', 'is required', value)
            return None
        if limit is not None and len(text) > limit:
            self.errors.add(path, 'too_long',
                'must be at most %d characters' % limit, value)
            return None
        if upper:
            text = text.upper()
        return text

    def number(self, path, value, required=True, digits=None,
            minimum=None, strict_minimum=False, maximum=None):
        """Parse a number to Decimal; None when absent or invalid."""
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.errors.add(path, 'required', 'is required', value)
            return None
        if isinstance(value, bool):
            self.errors.add(path, 'invalid_type',
                'must be a number, not a boolean', value)
            return None
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                self.errors.add(path, 'not_finite',
                    'must be a finite number', value)
                return None
            number = Decimal(repr(value))
        elif isinstance(value, str):
            text = value.strip()
            if len(text) > 64:
                self.errors.add(path, 'invalid_number',
                    'must be a decimal number', value)
                return None
            if text.lower() in _NON_FINITE:
                self.errors.add(path, 'not_finite',
                    'must be a finite number', value)
                return None
            if not _NUMBER_RE.fullmatch(text):
                self.errors.add(path, 'invalid_number',
                    'must be a decimal number', value)
                return None
            number = Decimal(text)
        else:
            self.errors.add(path, 'invalid_type', 'must be a number', value)
            return None
        if not number.is_finite():
            self.errors.add(path, 'not_finite', 'must be a finite number',
                value)
            return None
        if minimum is not None:
            if strict_minimum and number <= minimum:
                code = 'not_positive' if minimum == 0 else 'out_of_range'
                self.errors.add(path, code,
                    'must be greater than %s' % minimum, value)
                return None
            if not strict_minimum and number < minimum:
                code = 'negative' if minimum == 0 else 'out_of_range'
                self.errors.add(path, code,
                    'must be at least %s' % minimum, value)
                return None
        if maximum is not None and number > maximum:
            self.errors.add(path, 'out_of_range',
                'must be at most %s' % maximum, value)
            return None
        if digits is not None:
            if not number:
                return Decimal(0)
            # significant decimals only: '1.500' has 1 (no rounding here)
            _, coefficient, exponent = number.as_tuple()
            decimals = max(0, -exponent)
            position = len(coefficient) - 1
            while decimals and position >= 0 and not coefficient[position]:
                decimals -= 1
                position -= 1
            if decimals > digits:
                self.errors.add(path, 'too_many_decimals',
                    'must have at most %d decimals' % digits, value)
                return None
            try:
                number = number.quantize(Decimal(1).scaleb(-decimals))
            except InvalidOperation:
                self.errors.add(path, 'out_of_range', 'is too large', value)
                return None
        return number

    def date(self, path, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            self.errors.add(path, 'required', 'is required', value)
            return None
        if isinstance(value, dt.datetime):
            result = value
        elif isinstance(value, dt.date):
            result = value
        elif isinstance(value, str):
            text = value.strip()
            try:
                if _DATE_RE.fullmatch(text):
                    result = dt.date.fromisoformat(text)
                elif _DATETIME_RE.fullmatch(text):
                    if text.endswith('Z'):
                        text = text[:-1] + '+00:00'
                    result = dt.datetime.fromisoformat(text)
                else:
                    raise ValueError
            except ValueError:
                self.errors.add(path, 'invalid_date',
                    'must be an ISO 8601 date or datetime', value)
                return None
        else:
            self.errors.add(path, 'invalid_type',
                'must be an ISO 8601 date string', value)
            return None
        if isinstance(result, dt.datetime) and result.tzinfo is not None:
            try:
                result = result.astimezone(dt.timezone.utc).replace(
                    tzinfo=None)
            except (OverflowError, ValueError):
                self.errors.add(path, 'out_of_range',
                    'must be between %s and %s' % (MIN_DATE, MAX_DATE),
                    value)
                return None
        day = result.date() if isinstance(result, dt.datetime) else result
        if not (MIN_DATE <= day <= MAX_DATE):
            self.errors.add(path, 'out_of_range',
                'must be between %s and %s' % (MIN_DATE, MAX_DATE), value)
            return None
        return result

    def mapping(self, path, value, required=True):
        if value is None:
            if required:
                self.errors.add(path, 'required', 'is required', value)
            return None
        if not isinstance(value, dict):
            self.errors.add(path, 'invalid_type', 'must be an object',
                value)
            return None
        return value

    # -- sections --------------------------------------------------------
    def email(self, path, value):
        text = self.string(path, value)
        if text is None:
            return None
        local, sep, domain = text.rpartition('@')
        if (not sep or len(local) > 64
                or not _EMAIL_LOCAL_RE.fullmatch(local)
                or not _EMAIL_DOMAIN_RE.fullmatch(domain)):
            self.errors.add(path, 'invalid_email',
                'must be a valid e-mail address', value)
            return None
        return '%s@%s' % (local, domain.lower())

    def phone(self, path, value):
        text = self.string(path, value, required=False)
        if text is None:
            return None, None
        digits = re.sub(r'[^0-9]', '', text)
        if not _PHONE_RE.fullmatch(text) or not 5 <= len(digits) <= 17:
            self.errors.add(path, 'invalid_phone',
                'must be a phone number of 5 to 17 digits', value)
            return None, None
        key = ('+' if text.startswith('+') else '') + digits
        return text, key

    def customer(self, payload):
        data = self.mapping('customer', _get(payload, 'customer'))
        if data is None:
            return None
        name = self.string('customer.name', data.get('name'))
        email = self.email('customer.email', data.get('email'))
        phone, phone_key = self.phone('customer.phone', data.get('phone'))
        if name is None or email is None:
            return None
        return Customer(name=name, email=email, phone=phone,
            phone_key=phone_key)

    def address(self, payload, customer_name):
        path = 'shipping_address'
        data = self.mapping(path, _get(payload, path))
        if data is None:
            return None, ()
        ok = True
        name = self.string(path + '.name', data.get('name'), required=False)
        street = self.string(path + '.street', data.get('street'))
        city = self.string(path + '.city', data.get('city'))
        postal = self.string(path + '.postal_code', data.get('postal_code'),
            required=False, upper=True)
        ok &= street is not None and city is not None
        country = data.get('country')
        if country is None or (isinstance(country, str)
                and not country.strip()):
            self.errors.add(path + '.country', 'required', 'is required',
                country)
            country, ok = None, False
        elif not isinstance(country, str):
            self.errors.add(path + '.country', 'invalid_type',
                'must be an ISO 3166-1 alpha-2 code', country)
            country, ok = None, False
        else:
            code = country.strip().upper()
            if code not in self.catalog.countries:
                self.errors.add(path + '.country', 'unknown_country',
                    'is not a known country code', country)
                country, ok = None, False
            else:
                country = code
        subdivision = self.string(path + '.subdivision',
            data.get('subdivision'), required=False, upper=True)
        if subdivision is not None and country is not None:
            if '-' not in subdivision:
                subdivision = '%s-%s' % (country, subdivision)
            if subdivision not in self.catalog.countries[country]:
                self.errors.add(path + '.subdivision', 'unknown_subdivision',
                    'is not a subdivision of %s' % country,
                    data.get('subdivision'))
                ok = False
        latitude = longitude = None
        raw_lat, raw_lon = data.get('latitude'), data.get('longitude')
        if raw_lat is not None or raw_lon is not None:
            latitude = self.number(path + '.latitude', raw_lat,
                minimum=Decimal(-90), maximum=Decimal(90))
            longitude = self.number(path + '.longitude', raw_lon,
                minimum=Decimal(-180), maximum=Decimal(180))
            ok &= latitude is not None and longitude is not None
        if not ok or any(e['field'].startswith(path + '.')
                for e in self.errors):
            return None, ()
        missing = []
        if postal is None:
            missing.append('postal_code')
        if subdivision is None and self.catalog.countries[country]:
            missing.append('subdivision')
        if latitude is None:
            missing.append('coordinates')
        address = Address(
            name=name or customer_name or '', street=street, city=city,
            postal_code=postal, country=country, subdivision=subdivision,
            latitude=latitude, longitude=longitude)
        return address, tuple(missing)

    def lines(self, payload, channel):
        raw = _get(payload, 'lines')
        if raw is None:
            self.errors.add('lines', 'required', 'is required', raw)
            return None
        if not isinstance(raw, (list, tuple)):
            self.errors.add('lines', 'invalid_type', 'must be a list', raw)
            return None
        if not raw:
            self.errors.add('lines', 'required',
                'must contain at least one line', raw)
            return None
        maximum = self.limits.max_lines
        if channel is not None:
            maximum = min(maximum, channel.max_lines)
        if len(raw) > maximum:
            self.errors.add('lines', 'too_many_lines',
                'must have at most %d lines' % maximum, len(raw))
            if len(raw) > self.limits.max_lines:
                return None
        limits = self.limits
        result = []
        seen_ids, seen_skus = {}, {}
        for index, line in enumerate(raw):
            path = 'lines[%d]' % index
            if not isinstance(line, dict):
                self.errors.add(path, 'invalid_type', 'must be an object',
                    line)
                continue
            before = len(self.errors)
            line_id = self.string(path + '.id', line.get('id'),
                required=False, limit_key='lines.id', allow_int=True)
            if line_id is not None:
                if line_id in seen_ids:
                    self.errors.add(path + '.id', 'duplicate_line',
                        'repeats the reference of lines[%d]'
                        % seen_ids[line_id], line_id)
                seen_ids.setdefault(line_id, index)
            sku = self.string(path + '.sku', line.get('sku'),
                limit_key='lines.sku')
            product = None
            if sku is not None:
                product = self.catalog.products.get(sku)
                if product is None:
                    self.errors.add(path + '.sku', 'unknown_sku',
                        'is not a known SKU', sku)
                elif not product.active:
                    self.errors.add(path + '.sku', 'inactive_sku',
                        'is not an active product', sku)
                    product = None
                elif sku in seen_skus and not limits.allow_duplicate_skus:
                    self.errors.add(path + '.sku', 'duplicate_line',
                        'repeats the SKU of lines[%d]' % seen_skus[sku],
                        sku)
                seen_skus.setdefault(sku, index)
            quantity = self.number(path + '.quantity', line.get('quantity'),
                digits=limits.quantity_digits, minimum=Decimal(0),
                strict_minimum=True, maximum=limits.max_quantity)
            price = self.number(path + '.unit_price',
                line.get('unit_price'), digits=limits.amount_digits,
                minimum=Decimal(0), maximum=limits.max_amount)
            discount = self.number(path + '.discount', line.get('discount'),
                required=False, digits=limits.amount_digits,
                minimum=Decimal(0), maximum=limits.max_amount)
            if discount is None:
                discount = Decimal(0)
            if quantity is not None and price is not None:
                gross = quantity * price
                if discount > gross:
                    self.errors.add(path + '.discount', 'out_of_range',
                        'must not exceed quantity x unit_price = %s'
                        % gross, line.get('discount'))
            if len(self.errors) != before or product is None:
                continue
            digits = channel.currency_digits if channel else 2
            amount = (quantity * price - discount).quantize(
                Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
            weight = (None if product.weight is None
                else product.weight * quantity)
            result.append(NormalizedLine(
                    index=index, id=line_id, sku=sku,
                    product_id=product.id, quantity=quantity,
                    unit_price=price, discount=discount, amount=amount,
                    weight=weight))
        return result

    def payment(self, payload, channel):
        data = self.mapping('payment', _get(payload, 'payment'))
        if data is None:
            return None
        method = self.string('payment.method', data.get('method'))
        paid = self.number('payment.paid_amount', data.get('paid_amount'),
            required=False, digits=self.limits.amount_digits,
            minimum=Decimal(0), maximum=self.limits.max_amount)
        if (method is not None and channel is not None
                and method not in channel.payment_methods):
            self.errors.add('payment.method', 'invalid_choice',
                'is not accepted by channel %s (accepted: %s)' % (
                    channel.code,
                    ', '.join(sorted(channel.payment_methods)) or 'none'),
                method)
            return None
        if method is None or any(e['field'] == 'payment.paid_amount'
                for e in self.errors):
            return None
        prepaid = channel is not None and method in channel.prepaid_methods
        return Payment(method=method,
            paid_amount=paid if paid is not None else Decimal(0),
            prepaid=prepaid)

    def validate(self, payload):
        errors = self.errors
        if not isinstance(payload, dict):
            errors.add('payload', 'invalid_type', 'must be an object',
                payload)
            return None
        try:
            size = len(_canonical_json(payload))
        except (TypeError, ValueError, RecursionError):
            errors.add('payload', 'invalid_type',
                'must contain only JSON values', payload)
            return None
        if size > self.limits.max_payload_chars:
            errors.add('payload', 'payload_too_large',
                'must be at most %d characters of JSON'
                % self.limits.max_payload_chars, size)
            return None

        channel = None
        code = self.string('channel', payload.get('channel'))
        if code is not None:
            channel = self.catalog.channels.get(code)
            if channel is None:
                errors.add('channel', 'unknown_channel',
                    'is not a known channel', code)
        external_id = self.string('external_id', payload.get('external_id'),
            allow_int=True)
        customer = self.customer(payload)
        address, missing = self.address(payload,
            customer.name if customer else None)
        lines = self.lines(payload, channel)

        currency = self.string('currency', payload.get('currency'),
            upper=True)
        if currency is not None:
            if not _CURRENCY_RE.fullmatch(currency):
                errors.add('currency', 'invalid_choice',
                    'must be an ISO 4217 code', payload.get('currency'))
            elif channel is not None and currency != channel.currency:
                errors.add('currency', 'currency_mismatch',
                    'must be %s, the currency of channel %s'
                    % (channel.currency, channel.code),
                    payload.get('currency'))

        payment = self.payment(payload, channel)

        service_level = payload.get('service_level', 'standard')
        if service_level is None:
            service_level = 'standard'
        if isinstance(service_level, str):
            service_level = service_level.strip().lower()
        if service_level not in SERVICE_LEVELS:
            errors.add('service_level', 'invalid_choice',
                'must be one of %s' % ', '.join(SERVICE_LEVELS),
                payload.get('service_level'))
        promised = self.date('promised_date', payload.get('promised_date'))
        declared = self.number('declared_value',
            payload.get('declared_value'), required=False,
            digits=self.limits.amount_digits, minimum=Decimal(0),
            maximum=self.limits.max_amount)
        notes = self.string('notes', payload.get('notes'), required=False,
            allow_control='\n\r\t')

        total = None
        if lines is not None and not any(
                e['field'].startswith('lines') for e in errors):
            total = sum((line.amount for line in lines), Decimal(0))
            if payment is not None and payment.prepaid:
                if abs(payment.paid_amount - total) > Decimal('0.01'):
                    errors.add('payment.paid_amount', 'unpaid_prepaid',
                        'must equal the order total %s for prepaid method '
                        '%s' % (total, payment.method),
                        _get(payload.get('payment'), 'paid_amount'))
        if errors:
            return None
        weights = [line.weight for line in lines]
        return NormalizedOrder(
            channel=code,
            external_id=external_id,
            customer=customer,
            shipping_address=address,
            lines=tuple(lines),
            currency=currency,
            payment=payment,
            service_level=service_level,
            promised_date=promised,
            declared_value=declared,
            notes=notes or '',
            untaxed_amount=total,
            total_quantity=sum((line.quantity for line in lines),
                Decimal(0)),
            weight=(None if any(w is None for w in weights)
                else sum(weights, Decimal(0))),
            address_missing=missing,
            address_key=address_key(address.street, address.city,
                address.postal_code, address.country),
            payload_hash=payload_hash(payload),
            )


def validate_order(payload, catalog, limits=DEFAULT_LIMITS):
    """Validate and normalise one order payload.

    Returns ``(NormalizedOrder, [])`` or ``(None, errors)``; see the module
    docstring.  ``catalog`` may be a :class:`Catalog` or a dict accepted by
    :meth:`Catalog.from_dict`.
    """
    if isinstance(catalog, dict):
        catalog = Catalog.from_dict(catalog)
    validator = _Validator(catalog, limits)
    try:
        order = validator.validate(payload)
    except RecursionError:
        validator.errors.add('payload', 'invalid_type',
            'is nested too deeply', '...')
        order = None
    if order is None and not validator.errors:  # pragma: no cover
        validator.errors.add('payload', 'invalid_type', 'is invalid', '')
    return order, list(validator.errors)


# -- CSV -------------------------------------------------------------------

#: CSV column -> payload path (tuple of keys).  Line columns are marked.
CSV_ORDER_COLUMNS = {
    'channel': ('channel',),
    'external_id': ('external_id',),
    'customer_name': ('customer', 'name'),
    'customer_email': ('customer', 'email'),
    'customer_phone': ('customer', 'phone'),
    'ship_name': ('shipping_address', 'name'),
    'ship_street': ('shipping_address', 'street'),
    'ship_city': ('shipping_address', 'city'),
    'ship_postal_code': ('shipping_address', 'postal_code'),
    'ship_country': ('shipping_address', 'country'),
    'ship_subdivision': ('shipping_address', 'subdivision'),
    'ship_latitude': ('shipping_address', 'latitude'),
    'ship_longitude': ('shipping_address', 'longitude'),
    'currency': ('currency',),
    'payment_method': ('payment', 'method'),
    'paid_amount': ('payment', 'paid_amount'),
    'service_level': ('service_level',),
    'promised_date': ('promised_date',),
    'declared_value': ('declared_value',),
    'notes': ('notes',),
    }
CSV_LINE_COLUMNS = {
    'line_id': 'id',
    'sku': 'sku',
    'quantity': 'quantity',
    'unit_price': 'unit_price',
    'discount': 'discount',
    }
CSV_COLUMNS = tuple(CSV_ORDER_COLUMNS) + tuple(CSV_LINE_COLUMNS)
CSV_REQUIRED_COLUMNS = ('channel', 'external_id', 'sku', 'quantity',
    'unit_price')


def _csv_error(errors, line, field_, code, detail, value):
    shown = _short_repr(value)
    errors.append({
            'line': line,
            'field': field_,
            'code': code,
            'message': 'line %d: %s %s (got %s)' % (
                line, field_, detail, shown),
            'value': shown,
            })


def parse_csv(text, delimiter=',', max_rows=DEFAULT_LIMITS.max_csv_rows):
    """Turn CSV text (one row per order line) into order payloads.

    Returns ``(orders, errors)`` with ``orders`` a list of
    :class:`CsvOrder` in order of first appearance.  Rows with a missing
    channel or external_id are reported and skipped.  Unknown columns are
    ignored.
    """
    errors = []
    if text.startswith('\ufeff'):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter,
        strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exception:
        _csv_error(errors, 1, 'header', 'csv_error', str(exception), '')
        return [], errors
    if header is None:
        _csv_error(errors, 1, 'header', 'missing_column',
            'must list the columns', '')
        return [], errors
    header = [h.strip().lower() for h in header]
    missing = [c for c in CSV_REQUIRED_COLUMNS if c not in header]
    for column in missing:
        _csv_error(errors, 1, column, 'missing_column',
            'column is required in the header', header)
    if missing:
        return [], errors
    positions = {}
    for position, name in enumerate(header):
        if name in CSV_COLUMNS and name not in positions:
            positions[name] = position

    orders, groups = [], {}
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exception:
            _csv_error(errors, reader.line_num, 'row', 'csv_error',
                str(exception), '')
            break
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        if rows > max_rows:
            _csv_error(errors, line, 'row', 'too_many_rows',
                'exceeds the maximum of %d rows' % max_rows, rows)
            break
        values = {}
        for name, position in positions.items():
            if position < len(row) and row[position].strip():
                values[name] = row[position]
        key = (values.get('channel', '').strip(),
            values.get('external_id', '').strip())
        if not key[0] or not key[1]:
            for name in ('channel', 'external_id'):
                if not values.get(name, '').strip():
                    _csv_error(errors, line, name, 'required',
                        'is required', values.get(name))
            continue
        order = groups.get(key)
        if order is None:
            payload = {'lines': []}
            for name, path in CSV_ORDER_COLUMNS.items():
                if name in values:
                    target = payload
                    for part in path[:-1]:
                        target = target.setdefault(part, {})
                    target[path[-1]] = values[name]
            order = groups[key] = CsvOrder(payload=payload, line_numbers=[])
            orders.append(order)
        else:
            for name, path in CSV_ORDER_COLUMNS.items():
                if name not in values:
                    continue
                target = order.payload
                for part in path[:-1]:
                    target = target.setdefault(part, {})
                current = target.get(path[-1])
                if current is None:
                    target[path[-1]] = values[name]
                elif current != values[name]:
                    _csv_error(errors, line, name, 'inconsistent_value',
                        'differs from the first row of order %s (%r)'
                        % (key[1], current), values[name])
        order.payload['lines'].append({
                key_: values[name]
                for name, key_ in CSV_LINE_COLUMNS.items()
                if name in values})
        order.line_numbers.append(line)
    return [CsvOrder(payload=o.payload, line_numbers=tuple(o.line_numbers))
        for o in orders], errors
