# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rate cards edited by administrators, compiled for the rating engine."""
import dataclasses
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import (
    Index,
    ModelSQL,
    ModelView,
    Unique,
    fields,
    sequence_ordered,
)
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .engine import rate_import, rating

CHARGE_TYPES = [
    ('freight', "Freight"),
    ('fuel_surcharge', "Fuel Surcharge"),
    ('remote_area', "Remote Area Surcharge"),
    ('peak_season', "Peak Season Surcharge"),
    ('handling_inbound', "Handling Inbound"),
    ('handling_outbound', "Handling Outbound"),
    ('storage', "Storage"),
    ('vas', "Value-Added Service"),
    ('insurance', "Insurance"),
    ('cod_fee', "Cash on Delivery Fee"),
    ('duty', "Customs Duty"),
    ('tax', "Import Tax"),
    ]
METHODS = [
    ('flat', "Flat"),
    ('per_unit', "Per Unit"),
    ('first_additional', "First + Additional Weight"),
    ('tiered', "Tiered"),
    ('slab', "Slab"),
    ('percentage', "Percentage"),
    ]
UNITS = [(None, "")] + [(k, k) for k in rating.UNITS]
MODES = [
    (None, ""),
    ('road_ftl', "Road FTL"),
    ('road_ltl', "Road LTL"),
    ('rail', "Rail"),
    ('water', "Water"),
    ('air', "Air"),
    ('express', "Express"),
    ]
CARGO_CLASSES = [(None, "")] + [(c, c.capitalize())
    for c in sorted(rating.CARGO_CLASSES)]


class RateCard(ModelSQL, ModelView):
    "Rate Card"
    __name__ = 'otwb.bms.rate_card'
    __string__ = "Rate Card"
    _history = True  # audit trail: who changed what, when

    name = fields.Char("Name", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    kind = fields.Selection([
            ('receivable', "Receivable (customer)"),
            ('payable', "Payable (carrier / vendor)"),
            ], "Kind", required=True)
    party = fields.Many2One(
        'party.party', "Party",
        help="The customer or carrier of the card; empty for the default.")
    currency = fields.Many2One('currency.currency', "Currency", required=True)
    version = fields.Integer("Version", required=True, readonly=True)
    previous_version = fields.Many2One(
        'otwb.bms.rate_card', "Previous Version", readonly=True,
        ondelete='RESTRICT')
    valid_from = fields.Date("Valid From", required=True)
    valid_to = fields.Date(
        "Valid To", domain=['OR', ('valid_to', '=', None),
            ('valid_to', '>=', Eval('valid_from', None))])
    divisor_road = fields.Integer(
        "Volumetric Divisor Road", help="cm³ per kg, e.g. 6000.")
    divisor_express = fields.Integer(
        "Volumetric Divisor Express/Air", help="cm³ per kg, e.g. 5000.")
    weight_rounding = fields.Numeric(
        "Weight Rounding (kg)", digits=(6, 3),
        help="Round the chargeable weight up to a multiple of this.")
    lines = fields.One2Many('otwb.bms.rate_card.line', 'card', "Lines")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('kind', 'ASC'), ('name', 'ASC'), ('version', 'DESC'),
            ('id', 'ASC')]
        cls._buttons.update({
                'correct': {},
                })
        cls.__rpc__.update({
                'quote': RPC(readonly=True),
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_version(cls):
        return 1

    def get_rec_name(self, name):
        return '%s v%s' % (self.name, self.version)

    def to_engine(self, fuel_rows=None):
        divisors = {}
        if self.divisor_road:
            for mode in ('road_ftl', 'road_ltl'):
                divisors[mode] = Decimal(self.divisor_road)
        if self.divisor_express:
            for mode in ('express', 'air'):
                divisors[mode] = Decimal(self.divisor_express)
        if fuel_rows is None and any(line.fuel_indexed for line in self.lines):
            fuel_rows = Pool().get('otwb.bms.fuel_index').engine_rows(
                self.company)
        return rating.RateCard(
            id=self.id, version=self.version, currency=self.currency.code,
            kind=self.kind, valid_from=self.valid_from,
            valid_to=self.valid_to,
            lines=tuple(line.to_engine(fuel_rows) for line in self.lines),
            party_id=self.party.id if self.party else None,
            volumetric_divisors=divisors,
            weight_rounding=self.weight_rounding,
            money_digits=self.currency.digits, name=self.name)

    @classmethod
    def validate(cls, cards):
        super().validate(cards)
        for card in cards:
            try:
                # fuel rows are checked at rating time (by date)
                rating.compile_card(card.to_engine(fuel_rows=(
                            rating.FuelIndexRow(dt.date.min, Decimal(0)),)))
            except ValueError as exc:
                raise ValidationError(gettext(
                        'otwb_bms.msg_invalid_rate_card',
                        card=card.rec_name, error=str(exc)))
        cls._check_overlap(cards)

    @classmethod
    def _check_overlap(cls, cards):
        """Rating picks one card per kind and party (one default card per
        kind) on a date: two cards of one company, kind and party (or two
        default cards) may not be valid on the same day, whatever their
        names or currencies.  The versions of one card follow each other
        (``new_version`` ends the old one the day before)."""
        for card in cards:
            domain = [
                ('id', '!=', card.id),
                ('company', '=', card.company.id),
                ('kind', '=', card.kind),
                ('party', '=', card.party.id if card.party else None),
                ['OR', ('valid_to', '=', None),
                    ('valid_to', '>=', card.valid_from)],
                ]
            if card.valid_to:
                domain.append(('valid_from', '<=', card.valid_to))
            others = cls.search(domain, order=[('valid_from', 'ASC'),
                    ('id', 'ASC')], limit=1)
            if others:
                other, = others
                start = max(card.valid_from, other.valid_from)
                ends = [d for d in (card.valid_to, other.valid_to) if d]
                raise ValidationError(gettext(
                        'otwb_bms.msg_rate_card_overlap',
                        card=card.rec_name, other=other.rec_name,
                        kind=card.kind,
                        party=(card.party.rec_name if card.party
                            else gettext('otwb_bms.msg_rate_card_default')),
                        valid_from=card.valid_from,
                        valid_to=card.valid_to or '∞',
                        other_from=other.valid_from,
                        other_to=other.valid_to or '∞',
                        start=start, end=min(ends) if ends else '∞'))

    @classmethod
    def _used(cls, cards):
        "Cards referenced by a charge"
        Charge = Pool().get('otwb.bms.charge')
        ids = [c.id for c in cards]
        used = set()
        for i in range(0, len(ids), 500):
            for charge in Charge.search([
                        ('card', 'in', ids[i:i + 500]),
                        ]):
                used.add(charge.card.id)
        return used

    @classmethod
    def check_modification(cls, mode, cards, values=None, external=False):
        super().check_modification(
            mode, cards, values=values, external=external)
        if mode == 'delete' or (mode == 'write'
                and set(values) - {'valid_to'}):
            used = cls._used(cards)
            for card in cards:
                if card.id in used:
                    raise AccessError(gettext(
                            'otwb_bms.msg_rate_card_used',
                            card=card.rec_name))

    @classmethod
    @ModelView.button_action('otwb_bms.wizard_rate_card_correct')
    def correct(cls, cards):
        pass

    @classmethod
    def new_version(cls, cards, valid_from):
        """Copy each card into version + 1 valid from ``valid_from``; the
        old version ends the day before.  Returns the new versions."""
        new = []
        for card in cards:
            if valid_from <= card.valid_from:
                raise ValidationError(gettext(
                        'otwb_bms.msg_rate_card_correct_date',
                        card=card.rec_name, date=valid_from,
                        valid_from=card.valid_from))
            if card.valid_to and valid_from > card.valid_to:
                raise ValidationError(gettext(
                        'otwb_bms.msg_rate_card_correct_ended',
                        card=card.rec_name, date=valid_from,
                        valid_to=card.valid_to))
            later = cls.search([
                    ('previous_version', '=', card.id),
                    ], limit=1)
            if later:
                raise ValidationError(gettext(
                        'otwb_bms.msg_rate_card_correct_latest',
                        card=card.rec_name))
        for card in cards:
            old_to = card.valid_to
            cls.write([card], {
                    'valid_to': valid_from - dt.timedelta(days=1)})
            copy, = cls.copy([card], default={
                    'version': card.version + 1,
                    'valid_from': valid_from,
                    'valid_to': old_to,
                    'previous_version': card.id,
                    })
            new.append(copy)
        return new

    @classmethod
    def compiled(cls, kind, date):
        "All cards of kind valid on date, compiled once"
        cards = cls.search([
                ('kind', '=', kind),
                ('valid_from', '<=', date),
                ['OR', ('valid_to', '=', None), ('valid_to', '>=', date)],
                ])
        fuel_rows = None
        if any(line.fuel_indexed for c in cards for line in c.lines):
            FuelIndex = Pool().get('otwb.bms.fuel_index')
            fuel_rows = FuelIndex.engine_rows(
                cards[0].company if cards else None)
        return [rating.compile_card(c.to_engine(fuel_rows or ()))
            for c in cards]

    @classmethod
    def quote(cls, requests):
        """Rate hypothetical shipments or orders against the rate cards.

        ``requests``: list of dicts (see :mod:`quote`); returns one dict
        per request: ``{'index', 'status': 'ok' | 'rejected', 'errors',
        'charges': [{charge_type, code, amount, currency, card,
        card_version, line, quantity, unit, explanation}], 'totals'}``.
        Read-only: nothing is written."""
        from .quote import quote
        return quote(requests)

class RateLine(sequence_ordered(), ModelSQL, ModelView):
    "Rate Card Line"
    __name__ = 'otwb.bms.rate_card.line'
    _history = True  # audit trail: who changed what, when

    card = fields.Many2One(
        'otwb.bms.rate_card', "Card", required=True, ondelete='CASCADE')
    charge_type = fields.Selection(CHARGE_TYPES, "Charge Type", required=True)
    code = fields.Char("Code", help="Distinguishes several VAS lines.")
    description = fields.Char("Description")
    method = fields.Selection(METHODS, "Method", required=True)
    unit = fields.Selection(UNITS, "Unit")
    rate = fields.Numeric("Rate", digits=(16, 4))
    first_qty = fields.Numeric("First Quantity", digits=(16, 3))
    first_price = fields.Numeric("First Price", digits=(16, 4))
    additional_step = fields.Numeric("Additional Step", digits=(16, 3))
    additional_price = fields.Numeric("Additional Price", digits=(16, 4))
    bands = fields.Char(
        "Bands", help="start:rate pairs separated by ';', e.g. "
        "'0:1.00; 100:0.80' (tiered and slab).")
    percent = fields.Numeric("Percent", digits=(8, 4),
        states={'invisible': Eval('fuel_indexed', False)})
    fuel_indexed = fields.Boolean(
        "Fuel Indexed",
        help="Take the percent from the fuel index table at the event "
        "date instead of a fixed percent.")
    base = fields.Char(
        "Base", help="Charge types (comma separated) or declared_value.")
    min_charge = fields.Numeric("Minimum Charge", digits=(16, 2))
    max_charge = fields.Numeric("Maximum Charge", digits=(16, 2))
    # criteria
    origin_country = fields.Char("Origin Country", size=2)
    origin_subdivision = fields.Char("Origin Subdivision")
    origin_postal_prefix = fields.Char("Origin Postal Prefix")
    dest_country = fields.Char("Destination Country", size=2)
    dest_subdivision = fields.Char("Destination Subdivision")
    dest_postal_prefix = fields.Char("Destination Postal Prefix")
    lane = fields.Char("Lane")
    mode = fields.Selection(MODES, "Mode")
    service_level = fields.Char("Service Level")
    cargo_class = fields.Selection(CARGO_CLASSES, "Cargo Class")
    activity = fields.Char("Activity")
    valid_from = fields.Date(
        "Valid From", help="Line validity inside the card, e.g. a peak "
        "season surcharge; empty for the card's validity.")
    valid_to = fields.Date(
        "Valid To", domain=['OR', ('valid_to', '=', None),
            ('valid_from', '=', None),
            ('valid_to', '>=', Eval('valid_from', None))])
    volume_min = fields.Numeric("Volume From (m³)", digits=(16, 4))
    volume_max = fields.Numeric("Volume To (m³)", digits=(16, 4))
    weight_min = fields.Numeric("Weight From (kg)", digits=(16, 3))
    weight_max = fields.Numeric("Weight To (kg)", digits=(16, 3))
    distance_min = fields.Numeric("Distance From (km)", digits=(16, 3))
    distance_max = fields.Numeric("Distance To (km)", digits=(16, 3))
    quantity_min = fields.Numeric("Quantity From", digits=(16, 3))
    quantity_max = fields.Numeric("Quantity To", digits=(16, 3))

    @staticmethod
    def _zone(country, subdivision, postal):
        if not (country or subdivision or postal):
            return None
        return rating.Zone(
            country=country or None, subdivision=subdivision or None,
            postal_prefix=postal or None)

    @staticmethod
    def _range(low, high):
        if low is None and high is None:
            return None
        return rating.Range(min=low, max=high)

    def _bands(self):
        bands = []
        for part in (self.bands or '').split(';'):
            if not part.strip():
                continue
            try:
                start, rate_ = part.split(':')
                bands.append(rating.Band(
                        start=Decimal(start.strip()),
                        rate=Decimal(rate_.strip())))
            except (ValueError, ArithmeticError):
                raise ValueError(
                    "bands: %r is not 'start:rate'" % part.strip())
        return tuple(bands)

    @classmethod
    def validate(cls, lines):
        super().validate(lines)
        for line in lines:
            try:
                line._bands()
            except ValueError as exc:
                raise ValidationError(gettext(
                        'otwb_bms.msg_invalid_rate_line',
                        line=line.rec_name, card=line.card.rec_name,
                        error=str(exc)))
            if line.fuel_indexed and (
                    line.method != 'percentage' or line.percent is not None):
                raise ValidationError(gettext(
                        'otwb_bms.msg_fuel_indexed_line',
                        line=line.rec_name, card=line.card.rec_name))

    def get_rec_name(self, name):
        return '%s %s #%s' % (
            self.charge_type, self.description or self.method,
            self.sequence or 0)

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        pool = Pool()
        Card = pool.get('otwb.bms.rate_card')
        super().check_modification(
            mode, lines, values=values, external=external)
        cards = {line.card for line in lines}
        if mode == 'create' or (mode == 'write' and values.get('card')):
            # lines given to a card by create/write
            for line in lines:
                cards.add(line.card)
        used = Card._used(list(cards))
        for card in cards:
            if card.id in used:
                raise AccessError(gettext(
                        'otwb_bms.msg_rate_card_used',
                        card=card.rec_name))

    def to_engine(self, fuel_rows=()):
        return rating.RateLine(
            id=self.id, sequence=self.sequence or 0,
            valid_from=self.valid_from, valid_to=self.valid_to,
            charge_type=self.charge_type, code=self.code or None,
            description=self.description or '',
            pricing=rating.Pricing(
                method=self.method, unit=self.unit, rate=self.rate,
                first_qty=self.first_qty, first_price=self.first_price,
                additional_step=self.additional_step,
                additional_price=self.additional_price,
                bands=self._bands(), percent=self.percent,
                fuel_index=tuple(fuel_rows) if self.fuel_indexed else (),
                base=tuple(b.strip() for b in (self.base or '').split(',')
                    if b.strip()),
                min_charge=self.min_charge, max_charge=self.max_charge),
            criteria=rating.Criteria(
                origin=self._zone(self.origin_country,
                    self.origin_subdivision, self.origin_postal_prefix),
                destination=self._zone(self.dest_country,
                    self.dest_subdivision, self.dest_postal_prefix),
                lane=self.lane or None, mode=self.mode or None,
                service_level=self.service_level or None,
                cargo_class=self.cargo_class or None,
                activity=self.activity or None,
                weight=self._range(self.weight_min, self.weight_max),
                volume=self._range(self.volume_min, self.volume_max),
                distance=self._range(self.distance_min, self.distance_max),
                quantity=self._range(self.quantity_min, self.quantity_max)))




class FuelIndex(ModelSQL, ModelView):
    "Fuel Index"
    __name__ = 'otwb.bms.fuel_index'
    __string__ = "Fuel Index"
    _history = True  # audit trail: who changed what, when

    company = fields.Many2One('company.company', "Company", required=True)
    date = fields.Date(
        "Effective Date", required=True,
        help="The percent applies to events on and after this date until "
        "the next row.")
    percent = fields.Numeric(
        "Percent", digits=(8, 4), required=True,
        help="Fuel surcharge in % of the base charges, e.g. 12.5.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('company_date_unique', Unique(t, t.company, t.date),
                'otwb_bms.msg_fuel_index_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def engine_rows(cls, company=None):
        domain = []
        if company:
            domain.append(('company', '=', int(company)))
        return tuple(rating.FuelIndexRow(
                effective_date=r.date, percent=r.percent)
            for r in cls.search(domain, order=[('date', 'ASC')]))


class CorrectStart(ModelView):
    "Correct Rate Card"
    __name__ = 'otwb.bms.rate_card.correct.start'
    __string__ = "Correct Rate Card"

    valid_from = fields.Date(
        "New Version Valid From", required=True,
        help="The current version ends the day before.")


class Correct(Wizard):
    "Correct Rate Card"
    __name__ = 'otwb.bms.rate_card.correct'

    start = StateView('otwb.bms.rate_card.correct.start',
        'otwb_bms.rate_card_correct_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create Version", 'correct', 'tryton-ok', default=True),
            ])
    correct = StateTransition()

    def default_start(self, fields):
        Date = Pool().get('ir.date')
        return {'valid_from': Date.today()}

    def transition_correct(self):
        new = self.model.new_version(list(self.records), self.start.valid_from)
        self._new = new
        return 'end'


# rate line columns a CSV file may set (its header names them)
IMPORT_COLUMNS = ['sequence', 'charge_type', 'code', 'description',
    'method', 'unit', 'rate', 'first_qty', 'first_price', 'additional_step',
    'additional_price', 'bands', 'percent', 'fuel_indexed', 'base',
    'min_charge', 'max_charge', 'origin_country', 'origin_subdivision',
    'origin_postal_prefix', 'dest_country', 'dest_subdivision',
    'dest_postal_prefix', 'lane', 'mode', 'service_level', 'cargo_class',
    'activity', 'valid_from', 'valid_to', 'volume_min', 'volume_max',
    'weight_min', 'weight_max', 'distance_min', 'distance_max',
    'quantity_min', 'quantity_max']
_IMPORT_TYPES = {'numeric': 'decimal', 'date': 'date', 'char': 'text',
    'boolean': 'boolean', 'integer': 'integer'}


class ImportLinesStart(ModelView):
    "Import Rate Lines"
    __name__ = 'otwb.bms.rate_card.import_lines.start'
    __string__ = "Import Rate Lines"

    file = fields.Binary(
        "File", required=True,
        help="UTF-8 CSV, one rate line per row; the header names the "
        "columns: " + ', '.join(IMPORT_COLUMNS) + ". charge_type and "
        "method are required; dates YYYY-MM-DD, numbers with a '.'.")
    replace = fields.Boolean(
        "Replace Lines",
        help="Delete the card's lines first; otherwise the file's lines "
        "are added to them.")


class ImportLines(Wizard):
    """Import the lines of a rate card from a CSV file: all of them or,
    on any error, none (the errors name the file line and the column)"""
    __name__ = 'otwb.bms.rate_card.import_lines'

    start = StateView('otwb.bms.rate_card.import_lines.start',
        'otwb_bms.rate_card_import_lines_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()

    @classmethod
    def columns(cls):
        "{column: (type, argument)} for engine.rate_import"
        Line = Pool().get('otwb.bms.rate_card.line')
        result = {}
        for name in IMPORT_COLUMNS:
            field = Line._fields[name]
            if field._type == 'selection':
                result[name] = ('selection',
                    [k for k, _ in field.selection if k])
            else:
                result[name] = (_IMPORT_TYPES[field._type],
                    getattr(field, 'size', None))
        return result

    def transition_import_(self):
        pool = Pool()
        Line = pool.get('otwb.bms.rate_card.line')
        Card = pool.get('otwb.bms.rate_card')
        card = self.record
        data = self.start.file or b''
        if isinstance(data, memoryview):
            data = data.tobytes()
        try:
            text = bytes(data).decode('utf-8-sig')
        except UnicodeDecodeError as exc:
            raise ValidationError(gettext(
                    'otwb_bms.msg_rate_import_encoding',
                    card=card.rec_name, error=str(exc)))
        rows, errors = rate_import.parse_rate_lines(text, self.columns(),
            required=('charge_type', 'method'))
        if errors:
            shown = [e['message'] for e in errors[:20]]
            if len(errors) > 20:
                shown.append('… %d more' % (len(errors) - 20))
            raise ValidationError(gettext(
                    'otwb_bms.msg_rate_import_errors',
                    card=card.rec_name, errors='\n'.join(shown)))
        vlist = []
        for line_no, values in rows:
            values = {k: v for k, v in values.items() if v is not None}
            values.setdefault('sequence', line_no * 10)
            values.setdefault('fuel_indexed', False)
            vlist.append(values)
        # the card with its new lines must compile (methods and their
        # prices) before anything is written
        candidate = Card(card.id)
        candidate.lines = ([] if self.start.replace else list(card.lines)) \
            + [Line(**dict(dict.fromkeys(IMPORT_COLUMNS), **v))
                for v in vlist]
        try:
            engine_card = candidate.to_engine(fuel_rows=(
                    rating.FuelIndexRow(dt.date.min, Decimal(0)),))
            # the new lines have no id yet: number them apart
            engine_card = dataclasses.replace(engine_card, lines=tuple(
                    line if line.id is not None
                    else dataclasses.replace(line, id=-i)
                    for i, line in enumerate(engine_card.lines, 1)))
            rating.compile_card(engine_card)
        except ValueError as exc:
            raise ValidationError(gettext(
                    'otwb_bms.msg_invalid_rate_card',
                    card=card.rec_name, error=str(exc)))
        if self.start.replace:
            Line.delete(list(card.lines))
        Line.create([dict(v, card=card.id) for v in vlist])
        return 'end'
