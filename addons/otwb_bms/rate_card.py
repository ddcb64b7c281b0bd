# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rate cards edited by administrators, compiled for the rating engine."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered
from trytond.model.exceptions import ValidationError
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .engine import rating

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

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_version(cls):
        return 1

    def to_engine(self):
        divisors = {}
        if self.divisor_road:
            for mode in ('road_ftl', 'road_ltl'):
                divisors[mode] = Decimal(self.divisor_road)
        if self.divisor_express:
            for mode in ('express', 'air'):
                divisors[mode] = Decimal(self.divisor_express)
        return rating.RateCard(
            id=self.id, version=self.version, currency=self.currency.code,
            kind=self.kind, valid_from=self.valid_from,
            valid_to=self.valid_to,
            lines=tuple(line.to_engine() for line in self.lines),
            party_id=self.party.id if self.party else None,
            volumetric_divisors=divisors,
            weight_rounding=self.weight_rounding,
            money_digits=self.currency.digits, name=self.name)

    @classmethod
    def validate(cls, cards):
        super().validate(cards)
        for card in cards:
            try:
                rating.compile_card(card.to_engine())
            except ValueError as exc:
                raise ValidationError(gettext(
                        'otwb_bms.msg_invalid_rate_card',
                        card=card.rec_name, error=str(exc)))

    @classmethod
    def compiled(cls, kind, date):
        "All cards of kind valid on date, compiled once"
        cards = cls.search([
                ('kind', '=', kind),
                ('valid_from', '<=', date),
                ['OR', ('valid_to', '=', None), ('valid_to', '>=', date)],
                ])
        return [rating.compile_card(c.to_engine()) for c in cards]


class RateLine(sequence_ordered(), ModelSQL, ModelView):
    "Rate Card Line"
    __name__ = 'otwb.bms.rate_card.line'

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
    percent = fields.Numeric("Percent", digits=(8, 4))
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

    def to_engine(self):
        return rating.RateLine(
            id=self.id, sequence=self.sequence or 0,
            charge_type=self.charge_type, code=self.code or None,
            description=self.description or '',
            pricing=rating.Pricing(
                method=self.method, unit=self.unit, rate=self.rate,
                first_qty=self.first_qty, first_price=self.first_price,
                additional_step=self.additional_step,
                additional_price=self.additional_price,
                bands=self._bands(), percent=self.percent,
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
                distance=self._range(self.distance_min, self.distance_max),
                quantity=self._range(self.quantity_min, self.quantity_max)))


