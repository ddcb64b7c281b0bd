# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rate-card engine: turn billable events into priced charges.

Plain Python, no ``trytond`` import: the Tryton models build the inputs in
bulk, call :func:`compile_card` once per card and :func:`rate` per event.

Inputs
------
:class:`RateCard` (id, version, currency, kind ``receivable``/``payable``,
``valid_from``/``valid_to`` dates, optional ``party_id`` -- ``None`` is the
default card) holding ordered :class:`RateLine` objects.  A line has an
``id``, a ``sequence``, a ``charge_type`` (see :data:`CHARGE_TYPES`), an
optional free ``code`` (e.g. ``"labeling"`` for a VAS line), matching
:class:`Criteria`, a :class:`Pricing` and optional ``valid_from`` /
``valid_to`` dates (inclusive; e.g. a peak-season surcharge line).

Criteria (every field optional, ``None`` matches anything):

* ``origin`` / ``destination``: :class:`Zone` (ISO country code, ISO 3166-2
  subdivision code, postal-code prefix); each non-``None`` part must match.
* ``lane``, ``mode``, ``service_level``, ``cargo_class`` (one of
  :data:`CARGO_CLASSES`), ``activity`` (free text, e.g. ``"shipment"``,
  ``"storage"``) compared for equality.
* ``weight`` (chargeable kg, see below), ``volume`` (m3), ``distance`` (km)
  and ``quantity`` (in the line's pricing unit): :class:`Range` with
  ``min`` INCLUSIVE and ``max`` EXCLUSIVE, so ``Range(0, 10)`` then
  ``Range(10, 20)`` tile the axis without overlap: 10 kg is in the 2nd.

A line also applies only when the event carries the quantity its pricing
needs (a per-pallet-day storage line never applies to an event whose
``pallet_days``, ``pallets`` or ``days`` is ``None``).  Zero is a quantity.

Event (:class:`RatingEvent`): date, mode, origin/destination
:class:`Address`, lane, service level, cargo class, activity and
quantities in these units: ``kg``, ``tonnes`` (alternative to kg),
``m3``, ``km``, ``tonne_km``, ``pallets``, ``cartons``, ``orders``,
``lines``, ``units``, ``days``, ``pallet_days``, ``m3_days``, ``bins``,
``bin_days``, ``declared_value`` and ``cod_amount`` (money in the card
currency), plus ``packages`` (:class:`Package`, L x W x H in cm).

Weights: the *chargeable weight* for a card is
``max(actual kg, volumetric kg)`` where volumetric kg is
``sum(L*W*H*qty) / divisor`` (cm3/kg) over the packages, or
``m3 * 1_000_000 / divisor`` if there are no packages; the divisor comes
from ``RateCard.volumetric_divisors[event.mode]`` (e.g. air/express 5000,
road 6000; no divisor for the mode means actual weight only).  It is then
rounded UP to ``RateCard.weight_rounding`` (e.g. 0.5 or 1 kg) if set.  The
chargeable weight is used by the ``weight`` criterion and by the ``kg``,
``tonne`` (kg / 1000) and ``tonne_km`` (tonnes x km, unless the event
gives ``tonne_km``) units.

Pricing methods (:class:`Pricing`, ``method``):

* ``flat``: ``rate`` per event.
* ``per_unit``: quantity (in ``unit``, see :data:`UNITS`) x ``rate``.
* ``first_additional`` (首重+续重): ``first_price`` covers the first
  ``first_qty``; the remainder is rounded UP to whole ``additional_step``
  increments, each at ``additional_price``.
* ``tiered``: ``bands`` (:class:`Band` ``start``/``rate``, the first start
  must be 0, a band ends where the next starts); each band's slice of the
  quantity is priced at its own rate and the slices are summed.
* ``slab``: the whole quantity at the rate of the band it falls in (band
  ``[start, next start)``).  Slab is NOT monotonic when rates decrease:
  with bands 0-100 @ 1.00 and 100+ @ 0.80, 99 kg costs 99.00 but 100 kg
  costs 80.00.  Use ``min_charge`` per band line if that matters.
* ``percentage``: ``percent`` (or the ``fuel_index`` row with the latest
  effective date <= event date) % of ``base``: either other charge types
  of the same event (e.g. ``("freight",)``) or ``("declared_value",)`` /
  ``("cod_amount",)``, or a value plus charge types: China's import VAT
  is 13 % of ``("declared_value", "duty")`` (the customs value plus the
  duty; a line with a value base applies whenever the event has that
  value, the charge types adding what was charged).  Charges of the
  base types are computed first
  (dependency order, a cycle is a ``ValueError`` at compile time); a
  charge-type-based percentage line applies only if at least one base
  charge was produced.

Then ``min_charge``/``max_charge`` clamp the raw amount, and the result is
rounded to ``RateCard.money_digits`` decimals (default 2) with
``ROUND_HALF_UP``.  A percentage uses the already rounded base charges.

Output: :func:`rate` returns a list of :class:`Charge` (charge type, code,
amount ``Decimal``, currency, card id, card version, line id, quantity
basis and unit, lazy ``explanation`` string).  For each
``(charge_type, code)`` the first card in the given order that has a
matching line wins, and inside a card the matching line with the lowest
``sequence`` wins (ties: position in ``RateCard.lines``).  Cards not valid
on the event date are ignored.

Helpers: :func:`select_card` / :func:`applicable_cards` choose the card(s)
for a party, :func:`convert` converts money with dated rates.

Bad input raises ``ValueError`` naming the field and the value.  Money
must be ``Decimal`` (or ``int``); quantities may be ``Decimal``, ``int`` or
``float`` (floats are converted through ``str``).  Dates are
``datetime.date``; card validity is inclusive on both ends.
"""

import datetime
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

__all__ = [
    'CHARGE_TYPES', 'CARGO_CLASSES', 'UNITS', 'METHODS',
    'Zone', 'Range', 'Criteria', 'Band', 'FuelIndexRow', 'Pricing',
    'RateLine', 'RateCard', 'Address', 'Package', 'RatingEvent', 'Charge',
    'CompiledCard', 'compile_card', 'rate', 'select_card',
    'applicable_cards', 'convert', 'chargeable_weight',
]

CHARGE_TYPES = frozenset({
    'freight', 'fuel_surcharge', 'remote_area', 'peak_season',
    'handling_inbound', 'handling_outbound', 'storage', 'vas',
    'insurance', 'cod_fee', 'duty', 'tax',
})
CARGO_CLASSES = frozenset({
    'general', 'dangerous', 'cold', 'oversize', 'bulk'})
KINDS = frozenset({'receivable', 'payable'})
METHODS = frozenset({
    'flat', 'per_unit', 'first_additional', 'tiered', 'slab',
    'percentage'})
# unit -> human label used in explanations
UNITS = {
    'kg': 'kg', 'tonne': 't', 'm3': 'm3', 'km': 'km',
    'tonne_km': 't·km', 'pallet': 'pallet', 'carton': 'carton',
    'order': 'order', 'line': 'line', 'unit': 'unit', 'day': 'day',
    'pallet_day': 'pallet-day', 'm3_day': 'm3-day', 'bin_day': 'bin-day',
}
VALUE_BASES = frozenset({'declared_value', 'cod_amount'})
_WEIGHT_UNITS = frozenset({'kg', 'tonne', 'tonne_km'})
_ZERO = Decimal(0)
_MILLION = Decimal(1000000)
_THOUSAND = Decimal(1000)
_HUNDRED = Decimal(100)


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------

def _dec(value, name, *, allow_none=True, allow_negative=False,
         allow_float=True):
    """Return ``value`` as Decimal (or None) or raise ValueError."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f'{name} is required (got None)')
    if isinstance(value, bool):
        raise ValueError(f'{name} must be a number, got {value!r}')
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float) and allow_float:
        result = Decimal(str(value))
    else:
        raise ValueError(
            f'{name} must be a Decimal{"/int/float" if allow_float else ""}'
            f', got {value!r}')
    if not result.is_finite():
        raise ValueError(f'{name} must be finite, got {value!r}')
    if not allow_negative and result < 0:
        raise ValueError(f'{name} must not be negative, got {value!r}')
    return result


def _money(value, name, *, allow_none=True, allow_negative=False):
    return _dec(value, name, allow_none=allow_none,
                allow_negative=allow_negative, allow_float=False)


def _text(value, name):
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'{name} must be a non-empty string, got {value!r}')
    return value.strip()


def _postal(value):
    if value is None:
        return None
    return value.replace(' ', '').replace('-', '').upper()


def _date(value, name, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, datetime.datetime) or not isinstance(
            value, datetime.date):
        raise ValueError(f'{name} must be a datetime.date, got {value!r}')
    return value


def _fmt(value):
    """Compact, non-scientific string of a Decimal (3.20 -> 3.2)."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), 'f')


# --------------------------------------------------------------------------
# rate card data
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Zone:
    """Geographic zone; every non-None part must match the address (an
    all-None zone matches anything, even an event without address)."""
    country: str | None = None        # ISO 3166-1 alpha-2, e.g. "CN"
    subdivision: str | None = None    # ISO 3166-2, e.g. "CN-GD"
    postal_prefix: str | None = None  # e.g. "518" (spaces/dashes ignored)


@dataclass(frozen=True)
class Range:
    """Break range: ``min`` inclusive, ``max`` exclusive, None = open."""
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class Criteria:
    origin: Zone | None = None
    destination: Zone | None = None
    lane: str | None = None
    mode: str | None = None
    service_level: str | None = None
    cargo_class: str | None = None
    activity: str | None = None
    weight: Range | None = None    # chargeable kg
    volume: Range | None = None    # m3
    distance: Range | None = None  # km
    quantity: Range | None = None  # in the pricing unit


@dataclass(frozen=True)
class Band:
    """Band of a tiered/slab table: from ``start`` (inclusive) to the next
    band's start (exclusive); ``rate`` is money per pricing unit."""
    start: Decimal
    rate: Decimal


@dataclass(frozen=True)
class FuelIndexRow:
    """Fuel surcharge percent effective from ``effective_date``."""
    effective_date: datetime.date
    percent: Decimal  # 12.5 means 12.5 %


@dataclass(frozen=True)
class Pricing:
    method: str
    unit: str | None = None          # see UNITS (per_unit/tiered/slab/...)
    rate: Decimal | None = None      # flat amount or price per unit
    first_qty: Decimal | None = None       # first_additional
    first_price: Decimal | None = None
    additional_step: Decimal | None = None
    additional_price: Decimal | None = None
    bands: tuple = ()                # tuple[Band, ...]
    percent: Decimal | None = None   # percentage, 12.5 means 12.5 %
    fuel_index: tuple = ()           # tuple[FuelIndexRow, ...]
    base: tuple = ()                 # charge types or ('declared_value',)
    min_charge: Decimal | None = None
    max_charge: Decimal | None = None


@dataclass(frozen=True)
class RateLine:
    id: object
    sequence: int
    charge_type: str
    pricing: Pricing
    criteria: Criteria = field(default_factory=Criteria)
    code: str | None = None
    description: str = ''
    # optional line validity inside the card (inclusive), e.g. peak season
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None


@dataclass(frozen=True)
class RateCard:
    id: object
    version: int
    currency: str
    kind: str                         # 'receivable' or 'payable'
    valid_from: datetime.date
    valid_to: datetime.date | None = None   # inclusive, None = open
    lines: tuple = ()                 # tuple[RateLine, ...]
    party_id: object = None           # None = default card
    volumetric_divisors: dict = field(default_factory=dict)  # mode->cm3/kg
    weight_rounding: Decimal | None = None  # round chargeable kg UP to it
    money_digits: int = 2
    name: str = ''

    def valid_on(self, date):
        return self.valid_from <= date and (
            self.valid_to is None or date <= self.valid_to)


# --------------------------------------------------------------------------
# events and charges
# --------------------------------------------------------------------------

@dataclass(slots=True)
class Address:
    country: str | None = None
    subdivision: str | None = None
    postal_code: str | None = None

    def __post_init__(self):
        self.country = _text(self.country, 'address.country')
        self.subdivision = _text(self.subdivision, 'address.subdivision')
        self.postal_code = _postal(_text(
            self.postal_code, 'address.postal_code'))


@dataclass(slots=True)
class Package:
    """One package type: dimensions in cm, ``quantity`` identical pieces."""
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal
    quantity: int = 1

    def __post_init__(self):
        for name in ('length_cm', 'width_cm', 'height_cm'):
            setattr(self, name, _dec(
                getattr(self, name), f'package.{name}', allow_none=False))
        if (not isinstance(self.quantity, int)
                or isinstance(self.quantity, bool) or self.quantity < 1):
            raise ValueError(
                'package.quantity must be a positive int, '
                f'got {self.quantity!r}')

    @property
    def cm3(self):
        return (self.length_cm * self.width_cm * self.height_cm
                * self.quantity)


_QUANTITY_FIELDS = (
    'kg', 'tonnes', 'm3', 'km', 'tonne_km', 'pallets', 'cartons', 'orders',
    'lines', 'units', 'days', 'pallet_days', 'm3_days', 'bins',
    'bin_days')


@dataclass(slots=True)
class RatingEvent:
    """A billable event.  Quantities are ``None`` when not applicable."""
    date: datetime.date
    mode: str | None = None
    origin: Address | None = None
    destination: Address | None = None
    lane: str | None = None
    service_level: str | None = None
    cargo_class: str | None = None
    activity: str | None = None
    kg: Decimal | None = None
    tonnes: Decimal | None = None
    m3: Decimal | None = None
    km: Decimal | None = None
    tonne_km: Decimal | None = None
    pallets: Decimal | None = None
    cartons: Decimal | None = None
    orders: Decimal | None = None
    lines: Decimal | None = None
    units: Decimal | None = None
    days: Decimal | None = None
    pallet_days: Decimal | None = None
    m3_days: Decimal | None = None
    bins: Decimal | None = None
    bin_days: Decimal | None = None
    declared_value: Decimal | None = None
    cod_amount: Decimal | None = None
    packages: tuple = ()
    ref: object = None

    def __post_init__(self):
        _date(self.date, 'event.date')
        for name in _QUANTITY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, _dec(value, f'event.{name}'))
        self.declared_value = _money(
            self.declared_value, 'event.declared_value')
        self.cod_amount = _money(self.cod_amount, 'event.cod_amount')
        if self.cargo_class is not None and (
                self.cargo_class not in CARGO_CLASSES):
            raise ValueError(
                f'event.cargo_class must be one of {sorted(CARGO_CLASSES)}, '
                f'got {self.cargo_class!r}')
        for name in ('origin', 'destination'):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Address):
                raise ValueError(
                    f'event.{name} must be an Address, got {value!r}')
        if self.tonnes is not None:
            if self.kg is None:
                self.kg = self.tonnes * _THOUSAND
            elif self.kg != self.tonnes * _THOUSAND:
                raise ValueError(
                    f'event.kg {self.kg} and event.tonnes {self.tonnes} '
                    'disagree')
        packages = tuple(self.packages)
        for package in packages:
            if not isinstance(package, Package):
                raise ValueError(
                    f'event.packages must hold Package, got {package!r}')
        self.packages = packages
        if self.m3 is None and packages:
            self.m3 = sum(p.cm3 for p in packages) / _MILLION


def chargeable_weight(event, divisor=None, rounding=None):
    """Chargeable kg of ``event`` (see module docstring); None if the event
    has neither a weight nor a volume usable with ``divisor``."""
    weight = event.kg
    if divisor:
        if event.packages:
            volumetric = sum(p.cm3 for p in event.packages) / divisor
        elif event.m3 is not None:
            volumetric = event.m3 * _MILLION / divisor
        else:
            volumetric = None
        if volumetric is not None and (weight is None or volumetric > weight):
            weight = volumetric
    if weight is not None and rounding:
        weight = (weight / rounding).to_integral_value(
            ROUND_CEILING) * rounding
    return weight


class Charge:
    """A priced charge.  ``amount`` is rounded to the card's money digits;
    ``quantity``/``unit`` is the basis (for a percentage: the base amount
    and the base name).  ``explanation`` is built on first access."""
    __slots__ = ('charge_type', 'code', 'amount', 'currency', 'card_id',
                 'card_version', 'line_id', 'quantity', 'unit', '_explain')

    def __init__(self, charge_type, code, amount, currency, card_id,
                 card_version, line_id, quantity, unit, explain):
        self.charge_type = charge_type
        self.code = code
        self.amount = amount
        self.currency = currency
        self.card_id = card_id
        self.card_version = card_version
        self.line_id = line_id
        self.quantity = quantity
        self.unit = unit
        self._explain = explain

    @property
    def explanation(self):
        explain = self._explain
        if not isinstance(explain, str):
            explain = self._explain = explain[0](*explain[1:])
        return explain

    def __repr__(self):
        return (f'Charge({self.charge_type!r}, {self.code!r}, '
                f'{self.amount!r}, {self.currency!r}, card={self.card_id!r}'
                f' v{self.card_version}, line={self.line_id!r})')

    def __eq__(self, other):
        if not isinstance(other, Charge):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n)
                   for n in self.__slots__[:-1])

    __hash__ = None


# --------------------------------------------------------------------------
# compilation
# --------------------------------------------------------------------------

# discrete match dimensions, in canonical order
_DIMS = ('o_country', 'o_sub', 'o_postal', 'd_country', 'd_sub',
         'd_postal', 'lane', 'mode', 'service_level', 'cargo_class',
         'activity')


def _key_getter(sig):
    """Build a fast function event -> key tuple (or None when the event
    cannot match) for the dimensions in ``sig``, a tuple of (dimension,
    postal prefix length or 0).  The source is generated from the fixed
    dimension names of _DIMS and integer lengths only."""
    attrs = {'country': 'country', 'sub': 'subdivision',
             'postal': 'postal_code'}
    body, items = [], []
    seen = set()
    for i, (dim, length) in enumerate(sig):
        if dim not in _DIMS or not isinstance(length, int):
            raise ValueError(f'bad dimension {dim!r}')  # pragma: no cover
        if dim[:2] in ('o_', 'd_'):
            var = 'o' if dim[0] == 'o' else 'd'
            if var not in seen:
                seen.add(var)
                name = 'origin' if var == 'o' else 'destination'
                body.append(f'    {var} = e.{name}')
                body.append(f'    if {var} is None:')
                body.append('        return None')
            attr = attrs[dim[2:]]
            if length:
                body.append(f'    p{i} = {var}.{attr}')
                body.append(f'    if p{i} is None or len(p{i}) < {length}:')
                body.append('        return None')
                items.append(f'p{i}[:{length}]')
            else:
                items.append(f'{var}.{attr}')
        else:
            items.append(f'e.{dim}')
    body.append(f'    return ({", ".join(items)}{"," if items else ""})')
    namespace = {}
    exec('def getter(e):\n' + '\n'.join(body), namespace)  # noqa: S102
    return namespace['getter']


class _Line:
    """Compiled rate line (internal)."""
    __slots__ = ('id', 'order', 'slot', 'charge_type', 'code', 'method',
                 'unit', 'ranges', 'needs_qty', 'rate', 'first_qty',
                 'first_price', 'step', 'additional_price', 'starts',
                 'rates', 'cumulative', 'percent', 'fuel_dates',
                 'fuel_percents', 'base', 'value_base', 'base_label',
                 'min_charge',
                 'max_charge', 'date_from', 'date_to')


class CompiledCard:
    """Result of :func:`compile_card`; treat as opaque and immutable."""
    __slots__ = ('card', 'id', 'version', 'currency', 'kind', 'party_id',
                 'valid_from', 'valid_to', 'divisors', 'rounding',
                 'quantum', 'index', 'order', 'deps', 'plans')

    def valid_on(self, date):
        return self.valid_from <= date and (
            self.valid_to is None or date <= self.valid_to)

    def __repr__(self):
        return f'CompiledCard({self.id!r} v{self.version})'


def _check_range(rng, name):
    if rng is None:
        return None
    if not isinstance(rng, Range):
        raise ValueError(f'{name} must be a Range, got {rng!r}')
    lo = _dec(rng.min, f'{name}.min')
    hi = _dec(rng.max, f'{name}.max')
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f'{name}: max {hi} must be > min {lo}')
    return lo, hi


def _compile_line(line, position, where):
    if not isinstance(line, RateLine):
        raise ValueError(f'{where} must be a RateLine, got {line!r}')
    if line.charge_type not in CHARGE_TYPES:
        raise ValueError(
            f'{where}.charge_type must be one of {sorted(CHARGE_TYPES)}, '
            f'got {line.charge_type!r}')
    if not isinstance(line.sequence, int) or isinstance(
            line.sequence, bool):
        raise ValueError(
            f'{where}.sequence must be an int, got {line.sequence!r}')
    pricing = line.pricing
    crit = line.criteria
    if not isinstance(pricing, Pricing):
        raise ValueError(f'{where}.pricing must be a Pricing, got {pricing!r}')
    if not isinstance(crit, Criteria):
        raise ValueError(f'{where}.criteria must be a Criteria, got {crit!r}')
    method = pricing.method
    if method not in METHODS:
        raise ValueError(
            f'{where}.pricing.method must be one of {sorted(METHODS)}, '
            f'got {method!r}')
    c = _Line()
    c.id = line.id
    c.order = (line.sequence, position)
    c.charge_type = line.charge_type
    c.code = _text(line.code, f'{where}.code')
    c.slot = (c.charge_type, c.code)
    c.method = method
    c.rate = c.first_qty = c.first_price = c.step = None
    c.additional_price = c.percent = None
    c.starts = c.rates = c.cumulative = ()
    c.fuel_dates = c.fuel_percents = ()
    c.base = ()
    c.value_base = None
    c.base_label = ''
    p = f'{where}.pricing'
    unit = pricing.unit
    if method in ('flat', 'percentage'):
        if unit is not None:
            raise ValueError(
                f'{p}.unit must be None for method {method}, got {unit!r}')
    else:
        if method == 'first_additional' and unit is None:
            unit = 'kg'
        if unit not in UNITS:
            raise ValueError(
                f'{p}.unit must be one of {sorted(UNITS)}, got {unit!r}')
    c.unit = unit
    c.needs_qty = unit is not None
    if method == 'flat':
        c.rate = _money(pricing.rate, f'{p}.rate', allow_none=False,
                        allow_negative=True)
    elif method == 'per_unit':
        c.rate = _money(pricing.rate, f'{p}.rate', allow_none=False,
                        allow_negative=True)
    elif method == 'first_additional':
        c.first_qty = _dec(pricing.first_qty, f'{p}.first_qty',
                           allow_none=False)
        c.first_price = _money(pricing.first_price, f'{p}.first_price',
                               allow_none=False)
        c.step = _dec(pricing.additional_step, f'{p}.additional_step',
                      allow_none=False)
        if c.step <= 0:
            raise ValueError(
                f'{p}.additional_step must be > 0, got {c.step}')
        c.additional_price = _money(
            pricing.additional_price, f'{p}.additional_price',
            allow_none=False)
    elif method in ('tiered', 'slab'):
        bands = tuple(pricing.bands)
        if not bands:
            raise ValueError(f'{p}.bands must not be empty for {method}')
        starts, rates = [], []
        for i, band in enumerate(bands):
            if not isinstance(band, Band):
                raise ValueError(f'{p}.bands[{i}] must be a Band, got '
                                 f'{band!r}')
            start = _dec(band.start, f'{p}.bands[{i}].start',
                         allow_none=False)
            if i == 0 and start != 0:
                raise ValueError(
                    f'{p}.bands[0].start must be 0, got {start}')
            if i and start <= starts[-1]:
                raise ValueError(
                    f'{p}.bands[{i}].start {start} must be greater than '
                    f'the previous start {starts[-1]}')
            starts.append(start)
            rates.append(_money(band.rate, f'{p}.bands[{i}].rate',
                                allow_none=False, allow_negative=True))
        c.starts = tuple(starts)
        c.rates = tuple(rates)
        # cumulative[i]: tiered amount for a quantity equal to starts[i]
        cumulative = [_ZERO]
        for i in range(1, len(starts)):
            cumulative.append(
                cumulative[-1] + (starts[i] - starts[i - 1]) * rates[i - 1])
        c.cumulative = tuple(cumulative)
    elif method == 'percentage':
        base = tuple(pricing.base)
        if not base:
            raise ValueError(f'{p}.base must name the charge types or '
                             "'declared_value'/'cod_amount'")
        values = [b for b in base if b in VALUE_BASES]
        if len(values) > 1:
            raise ValueError(
                f'{p}.base {base!r}: at most one value base')
        if values:
            c.value_base = values[0]
        types = tuple(b for b in base if b not in VALUE_BASES)
        for b in types:
            if b not in CHARGE_TYPES:
                raise ValueError(
                    f'{p}.base entries must be charge types or '
                    f"'declared_value'/'cod_amount', got {b!r}")
        if c.charge_type in types:
            raise ValueError(
                f'{p}.base {base!r} must not contain the line\'s own '
                f'charge type {c.charge_type!r}')
        c.base = types
        c.base_label = '+'.join(
            ((c.value_base,) if c.value_base else ()) + types)
        if pricing.fuel_index:
            if pricing.percent is not None:
                raise ValueError(
                    f'{p}: give percent or fuel_index, not both')
            rows = []
            for i, row in enumerate(pricing.fuel_index):
                if not isinstance(row, FuelIndexRow):
                    raise ValueError(f'{p}.fuel_index[{i}] must be a '
                                     f'FuelIndexRow, got {row!r}')
                rows.append((
                    _date(row.effective_date,
                          f'{p}.fuel_index[{i}].effective_date'),
                    _dec(row.percent, f'{p}.fuel_index[{i}].percent',
                         allow_none=False, allow_float=False,
                         allow_negative=True)))
            rows.sort(key=lambda r: r[0])
            for a, b in zip(rows, rows[1:], strict=False):
                if a[0] == b[0]:
                    raise ValueError(
                        f'{p}.fuel_index has two rows on {a[0]}')
            c.fuel_dates = tuple(r[0] for r in rows)
            c.fuel_percents = tuple(r[1] for r in rows)
        else:
            c.percent = _dec(pricing.percent, f'{p}.percent',
                             allow_none=False, allow_float=False,
                             allow_negative=True)
    c.min_charge = _money(pricing.min_charge, f'{p}.min_charge',
                          allow_negative=True)
    c.max_charge = _money(pricing.max_charge, f'{p}.max_charge',
                          allow_negative=True)
    if (c.min_charge is not None and c.max_charge is not None
            and c.max_charge < c.min_charge):
        raise ValueError(f'{p}.max_charge {c.max_charge} must be >= '
                         f'min_charge {c.min_charge}')

    ranges = []
    for i, name in enumerate(('weight', 'volume', 'distance', 'quantity')):
        rng = _check_range(getattr(crit, name), f'{where}.criteria.{name}')
        if rng is not None:
            if name == 'quantity' and unit is None:
                raise ValueError(
                    f'{where}.criteria.quantity needs a pricing unit '
                    f'(method {method} has none)')
            ranges.append((i, rng[0], rng[1]))
    c.ranges = tuple(ranges)
    c.date_from = _date(line.valid_from, f'{where}.valid_from', True)
    c.date_to = _date(line.valid_to, f'{where}.valid_to', True)
    if c.date_from and c.date_to and c.date_to < c.date_from:
        raise ValueError(f'{where}.valid_to {c.date_to} is before '
                         f'valid_from {c.date_from}')

    if crit.cargo_class is not None and crit.cargo_class not in (
            CARGO_CLASSES):
        raise ValueError(
            f'{where}.criteria.cargo_class must be one of '
            f'{sorted(CARGO_CLASSES)}, got {crit.cargo_class!r}')
    values = {}
    for prefix, zone in (('o', crit.origin), ('d', crit.destination)):
        if zone is None:
            continue
        zname = f'{where}.criteria.{"origin" if prefix == "o" else "dest"}'
        if not isinstance(zone, Zone):
            raise ValueError(f'{zname} must be a Zone, got {zone!r}')
        values[f'{prefix}_country'] = _text(zone.country, f'{zname}.country')
        values[f'{prefix}_sub'] = _text(
            zone.subdivision, f'{zname}.subdivision')
        values[f'{prefix}_postal'] = _postal(
            _text(zone.postal_prefix, f'{zname}.postal_prefix'))
    for name in ('lane', 'mode', 'service_level', 'cargo_class',
                 'activity'):
        values[name] = _text(getattr(crit, name), f'{where}.criteria.{name}')
    sig, key = [], []
    for dim in _DIMS:
        value = values.get(dim)
        if value is None:
            continue
        sig.append((dim, len(value) if dim.endswith('postal') else 0))
        key.append(value)
    return c, tuple(sig), tuple(key)


def _topo_order(slots, deps, where):
    """Order slots so that every base charge type comes before the
    percentage slot using it.  ``deps``: slot -> set of charge types."""
    by_type = {}
    for slot in slots:
        by_type.setdefault(slot[0], []).append(slot)
    order, state = [], {}

    def visit(slot, path):
        mark = state.get(slot)
        if mark == 2:
            return
        if mark == 1:
            cycle = ' -> '.join(s[0] for s in path + [slot])
            raise ValueError(f'{where}: percentage bases form a cycle: '
                             f'{cycle}')
        state[slot] = 1
        for charge_type in sorted(deps.get(slot, ())):
            for dep in by_type.get(charge_type, ()):
                visit(dep, path + [slot])
        state[slot] = 2
        order.append(slot)

    for slot in sorted(slots, key=lambda s: (s[0], s[1] or '')):
        visit(slot, [])
    return tuple(order)


def compile_card(card):
    """Validate ``card`` and build its lookup index (a
    :class:`CompiledCard`).  Raises ValueError on bad data."""
    if not isinstance(card, RateCard):
        raise ValueError(f'card must be a RateCard, got {card!r}')
    where = f'card {card.id!r}'
    if card.kind not in KINDS:
        raise ValueError(f'{where}.kind must be one of {sorted(KINDS)}, '
                         f'got {card.kind!r}')
    _text(card.currency, f'{where}.currency')
    _date(card.valid_from, f'{where}.valid_from')
    _date(card.valid_to, f'{where}.valid_to', allow_none=True)
    if card.valid_to is not None and card.valid_to < card.valid_from:
        raise ValueError(f'{where}.valid_to {card.valid_to} is before '
                         f'valid_from {card.valid_from}')
    if not isinstance(card.money_digits, int) or not (
            0 <= card.money_digits <= 6):
        raise ValueError(f'{where}.money_digits must be an int 0..6, got '
                         f'{card.money_digits!r}')
    divisors = {}
    for mode, divisor in dict(card.volumetric_divisors).items():
        divisor = _dec(divisor, f'{where}.volumetric_divisors[{mode!r}]',
                       allow_none=False)
        if divisor <= 0:
            raise ValueError(f'{where}.volumetric_divisors[{mode!r}] must '
                             f'be > 0, got {divisor}')
        divisors[mode] = divisor
    rounding = _dec(card.weight_rounding, f'{where}.weight_rounding')
    if rounding is not None and rounding <= 0:
        raise ValueError(
            f'{where}.weight_rounding must be > 0, got {rounding}')

    groups = {}  # slot -> sig -> key -> [lines]
    deps = {}
    seen_ids = set()
    for position, line in enumerate(card.lines):
        lwhere = f'{where}.lines[{position}]'
        c, sig, key = _compile_line(line, position, lwhere)
        if c.id in seen_ids:
            raise ValueError(f'{lwhere}.id {c.id!r} is duplicated')
        seen_ids.add(c.id)
        groups.setdefault(c.slot, {}).setdefault(sig, {}).setdefault(
            key, []).append(c)
        deps.setdefault(c.slot, set()).update(c.base)
    index = {}
    for slot, by_sig in groups.items():
        entries = []
        for sig, by_key in by_sig.items():
            table = {}
            first = None
            for key, lines in by_key.items():
                lines.sort(key=lambda c: c.order)
                table[key] = tuple(lines)
                if first is None or lines[0].order < first:
                    first = lines[0].order
            entries.append((first, sig, _key_getter(sig), table))
        entries.sort(key=lambda e: e[0])
        index[slot] = tuple((sig, getter, table)
                            for _, sig, getter, table in entries)

    compiled = CompiledCard()
    compiled.card = card
    compiled.id = card.id
    compiled.version = card.version
    compiled.currency = card.currency
    compiled.kind = card.kind
    compiled.party_id = card.party_id
    compiled.valid_from = card.valid_from
    compiled.valid_to = card.valid_to
    compiled.divisors = divisors
    compiled.rounding = rounding
    compiled.quantum = Decimal(1).scaleb(-card.money_digits)
    compiled.index = index
    compiled.deps = deps
    compiled.order = _topo_order(list(index), deps, where)
    compiled.plans = {}  # evaluation plans cached by rate(), see _plan
    return compiled


# --------------------------------------------------------------------------
# rating
# --------------------------------------------------------------------------

def _quantity(unit, event, weight):
    """Quantity of ``event`` in ``unit`` (weight = chargeable kg)."""
    if unit == 'kg':
        return weight
    if unit == 'tonne':
        return None if weight is None else weight / _THOUSAND
    if unit == 'm3':
        return event.m3
    if unit == 'km':
        return event.km
    if unit == 'tonne_km':
        if event.tonne_km is not None:
            return event.tonne_km
        if weight is None or event.km is None:
            return None
        return weight / _THOUSAND * event.km
    if unit == 'pallet':
        return event.pallets
    if unit == 'carton':
        return event.cartons
    if unit == 'order':
        return event.orders
    if unit == 'line':
        return event.lines
    if unit == 'unit':
        return event.units
    if unit == 'day':
        return event.days
    if unit == 'pallet_day':
        if event.pallet_days is not None:
            return event.pallet_days
        if event.pallets is None or event.days is None:
            return None
        return event.pallets * event.days
    if unit == 'm3_day':
        if event.m3_days is not None:
            return event.m3_days
        if event.m3 is None or event.days is None:
            return None
        return event.m3 * event.days
    if unit == 'bin_day':
        if event.bin_days is not None:
            return event.bin_days
        if event.bins is None or event.days is None:
            return None
        return event.bins * event.days
    raise ValueError(f'unknown unit {unit!r}')  # pragma: no cover


class _CardContext:
    """Per (event, weight settings) cache of measures (internal)."""
    __slots__ = ('event', 'weight', 'measures', 'qty', 'weight_note')

    def __init__(self, card, event):
        self.event = event
        divisor = card.divisors.get(event.mode)
        weight = chargeable_weight(event, divisor, card.rounding)
        self.weight = weight
        self.weight_note = None
        if weight is not None and weight != event.kg:
            self.weight_note = (event, divisor, card.rounding, weight)
        self.measures = (weight, event.m3, event.km)
        self.qty = {}

    def quantity(self, unit):
        qty = self.qty
        if unit in qty:
            return qty[unit]
        value = qty[unit] = _quantity(unit, self.event, self.weight)
        return value


def _price(line, card, event, ctx, totals, currencies):
    """Return (raw amount, quantity, unit label, explain tuple) or None."""
    method = line.method
    if method == 'flat':
        return line.rate, None, None, (_ex_flat, line.rate)
    if method == 'percentage':
        base = None
        label = line.base_label
        if line.value_base is not None:
            base = getattr(event, line.value_base)
        if line.base:
            for charge_type in line.base:
                amount = totals.get(charge_type)
                if amount is None:
                    continue
                if currencies[charge_type] != card.currency:
                    raise ValueError(
                        f'line {line.id!r} of card {card.id!r} '
                        f'({card.currency}) takes a percentage of '
                        f'{charge_type} charged in '
                        f'{currencies[charge_type]}')
                base = amount if base is None else base + amount
        if line.fuel_dates:
            i = bisect_right(line.fuel_dates, event.date)
            if not i:
                raise ValueError(
                    f'line {line.id!r} of card {card.id!r}: no fuel index '
                    f'row effective on or before {event.date} (first is '
                    f'{line.fuel_dates[0]})')
            percent = line.fuel_percents[i - 1]
            index_date = line.fuel_dates[i - 1]
        else:
            percent = line.percent
            index_date = None
        raw = base * percent / _HUNDRED
        return raw, base, label, (_ex_percent, percent, label, base,
                                  index_date)
    qty = ctx.quantity(line.unit)
    if method == 'per_unit':
        return (qty * line.rate, qty, line.unit,
                (_ex_per_unit, qty, line.unit, line.rate))
    if method == 'first_additional':
        if qty <= line.first_qty:
            steps = 0
            raw = line.first_price
        else:
            steps = ((qty - line.first_qty) / line.step).to_integral_value(
                ROUND_CEILING)
            raw = line.first_price + steps * line.additional_price
        return raw, qty, line.unit, (_ex_first_additional, line, qty, steps)
    i = bisect_right(line.starts, qty) - 1
    if method == 'slab':
        return (qty * line.rates[i], qty, line.unit,
                (_ex_slab, line, qty, i))
    # tiered
    raw = line.cumulative[i] + (qty - line.starts[i]) * line.rates[i]
    return raw, qty, line.unit, (_ex_tiered, line, qty, i)


def _plan(cards):
    """Per tuple of cards: evaluation steps (internal), cached on the
    first card so the cache lives and dies with the compiled cards.

    Each step is (charge type, code, ((card, context index, groups),
    ...)); cards sharing volumetric settings share a measure context."""
    cache = cards[0].plans
    plan = cache.get(cards)
    if plan is not None:
        return plan
    if len(cards) == 1:
        order = cards[0].order
    else:
        slots, deps = [], {}
        for card in cards:
            for slot in card.order:
                if slot not in deps:
                    slots.append(slot)
                    deps[slot] = set()
                deps[slot].update(card.deps.get(slot, ()))
        order = _topo_order(slots, deps, 'cards ' + ', '.join(
            repr(c.id) for c in cards))
    settings = {}
    ctx_index = []
    for card in cards:
        key = (tuple(sorted(card.divisors.items())), card.rounding)
        ctx_index.append(settings.setdefault(key, len(settings)))
    steps = []
    for slot in order:
        entries = tuple(
            (card, ctx_index[i], card.index[slot])
            for i, card in enumerate(cards) if slot in card.index)
        steps.append((slot[0], slot[1], entries))
    plan = (tuple(steps), len(settings))
    if len(cache) > 64:
        cache.clear()
    cache[cards] = plan
    return plan


def rate(compiled_cards, event):
    """Rate ``event`` against ``compiled_cards`` (a sequence of
    :class:`CompiledCard`, in priority order) and return the charges in
    dependency order.  Cards not valid on ``event.date`` are skipped."""
    if isinstance(compiled_cards, CompiledCard):
        compiled_cards = (compiled_cards,)
    date = event.date
    cards = tuple(c for c in compiled_cards if c.valid_from <= date and (
        c.valid_to is None or date <= c.valid_to))
    if not cards:
        return []
    steps, n_contexts = _plan(cards)
    contexts = [None] * n_contexts
    keys = {}
    totals = {}
    currencies = {}
    charges = []
    for charge_type, code, entries in steps:
        for card, ci, groups in entries:
            ctx = contexts[ci]
            if ctx is None:
                ctx = contexts[ci] = _CardContext(card, event)
            # first matching line of this card: lowest (sequence, position)
            line = best_order = None
            for sig, getter, table in groups:
                key = keys.get(sig, keys)
                if key is keys:
                    key = keys[sig] = getter(event)
                if key is None:
                    continue
                candidates = table.get(key)
                if candidates is None:
                    continue
                for candidate in candidates:
                    if best_order is not None and (
                            candidate.order >= best_order):
                        break
                    if candidate.date_from is not None and (
                            date < candidate.date_from):
                        continue
                    if candidate.date_to is not None and (
                            date > candidate.date_to):
                        continue
                    qty = None
                    if candidate.needs_qty:
                        qty = ctx.quantity(candidate.unit)
                        if qty is None:
                            continue
                    elif candidate.value_base is not None:
                        if getattr(event, candidate.value_base) is None:
                            continue
                    elif candidate.base:
                        for base in candidate.base:
                            if base in totals:
                                break
                        else:
                            continue
                    if candidate.ranges:
                        measures = ctx.measures
                        for which, lo, hi in candidate.ranges:
                            value = qty if which == 3 else measures[which]
                            if value is None or (
                                    lo is not None and value < lo) or (
                                    hi is not None and value >= hi):
                                break
                        else:
                            line, best_order = candidate, candidate.order
                            break
                        continue
                    line, best_order = candidate, candidate.order
                    break
            if line is None:
                continue
            raw, qty, unit, explain = _price(
                line, card, event, ctx, totals, currencies)
            clamp = None
            if line.min_charge is not None and raw < line.min_charge:
                raw, clamp = line.min_charge, 'minimum'
            if line.max_charge is not None and raw > line.max_charge:
                raw, clamp = line.max_charge, 'maximum'
            amount = raw.quantize(card.quantum, ROUND_HALF_UP)
            weight_note = ctx.weight_note
            if weight_note is not None and unit in _WEIGHT_UNITS:
                explain = (_ex_wrap, explain, clamp, raw, weight_note)
            elif clamp:
                explain = (_ex_wrap, explain, clamp, raw, None)
            charges.append(Charge(
                charge_type, code, amount, card.currency, card.id,
                card.version, line.id, qty, unit, (
                    _ex_final, explain, amount)))
            if charge_type in totals:
                if currencies[charge_type] != card.currency:
                    raise ValueError(
                        f'{charge_type} charged in both '
                        f'{currencies[charge_type]} and {card.currency}')
                totals[charge_type] += amount
            else:
                totals[charge_type] = amount
                currencies[charge_type] = card.currency
            break
    return charges


# --------------------------------------------------------------------------
# explanations (built lazily)
# --------------------------------------------------------------------------

def _ex_final(explain, amount):
    return f'{explain[0](*explain[1:])} = {amount}'


def _ex_wrap(inner, clamp, clamped, weight_note):
    text = inner[0](*inner[1:])
    if weight_note is not None:
        event, divisor, rounding, weight = weight_note
        actual = '-' if event.kg is None else _fmt(event.kg)
        volumetric = chargeable_weight(
            RatingEvent(date=event.date, m3=event.m3,
                        packages=event.packages), divisor)
        if divisor and volumetric is not None:
            note = (f'chargeable {_fmt(weight)} kg = max(actual {actual} '
                    f'kg, volumetric {_fmt(volumetric)} kg at '
                    f'{_fmt(divisor)} cm3/kg)')
        else:
            note = f'chargeable {_fmt(weight)} kg = actual {actual} kg'
        if rounding:
            note += f' rounded up to {_fmt(rounding)} kg'
        text = f'{note}; {text}'
    if clamp:
        text = f'{text} -> {clamp} charge {_fmt(clamped)}'
    return text


def _ex_flat(amount):
    return f'flat {amount}'


def _ex_per_unit(qty, unit, price):
    return f'{_fmt(qty)} {UNITS[unit]} × {price}'


def _ex_first_additional(line, qty, steps):
    unit = UNITS[line.unit]
    text = f'首重 {_fmt(line.first_qty)} {unit} × {line.first_price}'
    if steps:
        text += (f' + 续重 ceil(({_fmt(qty)}-{_fmt(line.first_qty)})/'
                 f'{_fmt(line.step)})={steps} × {line.additional_price}')
    return text


def _ex_slab(line, qty, i):
    hi = line.starts[i + 1] if i + 1 < len(line.starts) else None
    band = f'[{_fmt(line.starts[i])}, {"∞" if hi is None else _fmt(hi)})'
    return (f'slab {_fmt(qty)} {UNITS[line.unit]} in band {band} × '
            f'{line.rates[i]}')


def _ex_tiered(line, qty, i):
    parts = []
    for j in range(i + 1):
        hi = line.starts[j + 1] if j < i else qty
        width = hi - line.starts[j]
        if width or j == 0:
            parts.append(f'{_fmt(width)} × {line.rates[j]}')
    return f'tiered {_fmt(qty)} {UNITS[line.unit]}: ' + ' + '.join(parts)


def _ex_percent(percent, label, base, index_date):
    text = f'{_fmt(percent)}% of {label} {base}'
    if index_date is not None:
        text = f'fuel index {index_date.isoformat()}: {text}'
    return text


# --------------------------------------------------------------------------
# card selection and currency conversion
# --------------------------------------------------------------------------

def _card_name(card):
    "Name of a RateCard or CompiledCard (its id when unnamed)"
    card = getattr(card, 'card', card)
    return getattr(card, 'name', None) or card.id


def _pick_latest(cards, what):
    if not cards:
        return None
    best = max(cards, key=lambda c: c.version)
    tied = [c for c in cards if c.version == best.version]
    if len(tied) > 1:
        names = ', '.join(f'{_card_name(c)!r} (id {c.id!r})' for c in tied)
        raise ValueError(
            f'ambiguous {what}: cards {names} share version {best.version}')
    return best


def select_card(cards, party_id, kind, date):
    """Return the card to use for ``party_id``: among the cards of
    ``kind`` valid on ``date`` (inclusive bounds), the party's card with
    the highest version, else the default card (``party_id`` None) with
    the highest version, else None.  Works with RateCard or
    CompiledCard.  Two candidate cards with the same version raise
    ValueError."""
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {sorted(KINDS)}, got {kind!r}')
    _date(date, 'date')
    valid = [c for c in cards if c.kind == kind and c.valid_on(date)]
    if party_id is not None:
        own = _pick_latest([c for c in valid if c.party_id == party_id],
                           f'{kind} card for party {party_id!r} on {date}')
        if own is not None:
            return own
    return _pick_latest([c for c in valid if c.party_id is None],
                        f'default {kind} card on {date}')


def applicable_cards(cards, party_id, kind, date):
    """``[party card, default card]`` (missing ones left out): pass it to
    :func:`rate` so the default card fills the charge types the party
    card does not price."""
    _date(date, 'date')
    result = []
    if party_id is not None:
        own = select_card(
            [c for c in cards if c.party_id == party_id], party_id, kind,
            date)
        if own is not None:
            result.append(own)
    default = select_card(
        [c for c in cards if c.party_id is None], None, kind, date)
    if default is not None:
        result.append(default)
    return result


def _rate_on(rates_by_date, currency, date):
    rows = rates_by_date.get(currency)
    if not rows:
        raise ValueError(f'no exchange rate for currency {currency!r}')
    best = None
    for row_date, value in rows:
        if row_date <= date and (best is None or row_date > best[0]):
            best = (row_date, value)
    if best is None:
        raise ValueError(
            f'no exchange rate for currency {currency!r} on or before '
            f'{date}')
    value = _money(best[1], f'rate of {currency} on {best[0]}',
                   allow_none=False)
    if value <= 0:
        raise ValueError(
            f'rate of {currency} on {best[0]} must be > 0, got {value}')
    return value


def convert(amount, from_ccy, to_ccy, rates_by_date, date, digits=2):
    """Convert ``amount`` from ``from_ccy`` to ``to_ccy`` on ``date``.

    ``rates_by_date`` maps a currency code to ``[(effective date, rate),
    ...]`` where rate is units of that currency per 1 unit of a common
    base currency (the Tryton ``currency.currency.rate`` convention; the
    base currency has rate 1).  The row with the latest date <= ``date``
    is used: result = amount * rate(to) / rate(from), rounded to
    ``digits`` decimals ROUND_HALF_UP.  Same currency: only rounding.
    A missing rate raises ValueError."""
    amount = _money(amount, 'amount', allow_none=False, allow_negative=True)
    _date(date, 'date')
    quantum = Decimal(1).scaleb(-digits)
    if from_ccy == to_ccy:
        return amount.quantize(quantum, ROUND_HALF_UP)
    rate_from = _rate_on(rates_by_date, from_ccy, date)
    rate_to = _rate_on(rates_by_date, to_ccy, date)
    return (amount * rate_to / rate_from).quantize(quantum, ROUND_HALF_UP)
