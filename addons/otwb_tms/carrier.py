# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Carrier services with SLAs and the carrier selection rules."""
from collections import namedtuple
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin,
    MatchMixin,
    ModelSQL,
    ModelView,
    fields,
    sequence_ordered,
)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .vehicle import MODES

SERVICE_LEVELS = [
    (None, ""),
    ('same_day', "Same Day"),
    ('express', "Express"),
    ('standard', "Standard"),
    ('economy', "Economy"),
    ]
# the SLA a service level promises when no promised date is known
SERVICE_LEVEL_HOURS = {
    'same_day': 12.0, 'express': 24.0, 'standard': 72.0, 'economy': 168.0,
    }

CarrierChoice = namedtuple(
    'CarrierChoice', ['rule', 'carrier', 'service', 'cost', 'reason'])


class Carrier(metaclass=PoolMeta):
    __name__ = 'carrier'

    otwb_services = fields.One2Many(
        'otwb.tms.carrier.service', 'carrier', "Services")


class CarrierService(
        DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Carrier Service"
    __name__ = 'otwb.tms.carrier.service'
    _history = True  # audit trail: who changed what, when

    carrier = fields.Many2One(
        'carrier', "Carrier", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", required=True)
    mode = fields.Selection(MODES, "Mode", required=True)
    service_level = fields.Selection(
        SERVICE_LEVELS, "Service Level", required=True)
    sla_hours = fields.Float(
        "SLA (h)", digits=(8, 2), required=True,
        domain=[('sla_hours', '>', 0)],
        help="Hours from pick-up to delivery the carrier commits to.")
    max_weight = fields.Float(
        "Max Weight (kg)", digits=(12, 3),
        help="Heaviest shipment accepted; empty: no limit.")
    max_volume = fields.Float(
        "Max Volume (m³)", digits=(12, 4),
        help="Largest shipment accepted; empty: no limit.")
    dangerous_goods = fields.Boolean(
        "Dangerous Goods", help="The service accepts dangerous goods.")
    max_declared_value = fields.Numeric(
        "Max Declared Value", digits=(16, 2),
        help="Highest declared value insured; empty: no limit.")
    currency = fields.Many2One('currency.currency', "Currency")
    price_fixed = fields.Numeric(
        "Price per Shipment", digits=(16, 2),
        help="List price used when no billing rate card prices the "
        "service.")
    price_per_kg = fields.Numeric("Price per kg", digits=(16, 4))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('carrier', 'ASC'))

    @classmethod
    def default_service_level(cls):
        return 'standard'

    @classmethod
    def default_mode(cls):
        return 'road_ltl'

    @classmethod
    def default_dangerous_goods(cls):
        return False

    def get_rec_name(self, name):
        return '%s / %s' % (self.carrier.party.rec_name, self.name)

    def refusal(self, request):
        "Why the service cannot take the shipment of request, or None"
        weight = request.get('weight') or 0
        volume = request.get('volume') or 0
        value = request.get('declared_value')
        if self.max_weight is not None and weight > self.max_weight:
            return gettext('otwb_tms.msg_service_too_heavy',
                weight=weight, max_weight=self.max_weight)
        if self.max_volume is not None and volume > self.max_volume:
            return gettext('otwb_tms.msg_service_too_big',
                volume=volume, max_volume=self.max_volume)
        if request.get('dangerous_goods') and not self.dangerous_goods:
            return gettext('otwb_tms.msg_service_no_dangerous')
        if (self.max_declared_value is not None and value is not None
                and Decimal(str(value)) > self.max_declared_value):
            return gettext('otwb_tms.msg_service_value_too_high',
                value=value, max_value=self.max_declared_value)
        return None

    def list_price(self, request):
        "Price from the service's own list price, or None"
        if self.price_fixed is None and self.price_per_kg is None:
            return None
        weight = Decimal(str(round(request.get('weight') or 0, 3)))
        return ((self.price_fixed or Decimal(0))
            + (self.price_per_kg or Decimal(0)) * weight).quantize(
            Decimal('0.01'))


class CarrierRule(sequence_ordered(), MatchMixin, ModelSQL, ModelView):
    "Carrier Selection Rule"
    __name__ = 'otwb.tms.carrier.rule'
    _history = True  # audit trail: who changed what, when

    name = fields.Char("Name", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    # criteria
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", domain=[('type', '=', 'warehouse')])
    country = fields.Many2One('country.country', "Destination Country")
    subdivision = fields.Many2One(
        'country.subdivision', "Destination Subdivision",
        domain=[If(Eval('country'),
                ('country', '=', Eval('country', -1)), ())])
    min_weight = fields.Float("Weight From (kg)", digits=(12, 3),
        help="Inclusive.")
    max_weight = fields.Float("Weight To (kg)", digits=(12, 3),
        help="Exclusive.")
    min_volume = fields.Float("Volume From (m³)", digits=(12, 4),
        help="Inclusive.")
    max_volume = fields.Float("Volume To (m³)", digits=(12, 4),
        help="Exclusive.")
    dangerous_goods = fields.Selection([
            (None, "Any"),
            ('yes', "Dangerous Goods Only"),
            ('no', "No Dangerous Goods"),
            ], "Dangerous Goods")
    service_level = fields.Selection(SERVICE_LEVELS, "Service Level")
    min_value = fields.Numeric("Declared Value From", digits=(16, 2),
        help="Inclusive.")
    max_value = fields.Numeric("Declared Value To", digits=(16, 2),
        help="Exclusive.")
    # decision
    policy = fields.Selection([
            ('fixed', "Fixed Carrier and Service"),
            ('cheapest_sla', "Cheapest Meeting the SLA"),
            ], "Policy", required=True)
    carrier = fields.Many2One(
        'carrier', "Carrier",
        states={'required': (Eval('policy') == 'fixed')
            & ~Eval('service')},
        help="Fixed: the carrier.  Cheapest: only this carrier's "
        "services compete.")
    service = fields.Many2One(
        'otwb.tms.carrier.service', "Service",
        domain=[If(Eval('carrier'),
                ('carrier', '=', Eval('carrier', -1)), ())],
        states={'invisible': Eval('policy') != 'fixed'})
    mode = fields.Selection([(None, "")] + MODES, "Mode",
        states={'invisible': Eval('policy') != 'cheapest_sla'},
        help="Only services of this mode compete.")
    sla_hours = fields.Float(
        "SLA (h)", digits=(8, 2),
        states={'invisible': Eval('policy') != 'cheapest_sla'},
        help="The longest service accepted; empty: the promised date, "
        "else the service level's usual hours.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('company', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_policy(cls):
        return 'fixed'

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        for rule in rules:
            if rule.policy == 'fixed' and not (rule.carrier or rule.service):
                raise ValidationError(gettext(
                        'otwb_tms.msg_rule_fixed_no_carrier',
                        rule=rule.rec_name))

    # --- matching -----------------------------------------------------
    def match(self, pattern, match_none=False):
        pattern = dict(pattern)
        weight = pattern.pop('weight', None) or 0.0
        volume = pattern.pop('volume', None) or 0.0
        value = pattern.pop('declared_value', None)
        dangerous = pattern.pop('dangerous_goods', None)
        for low, high, qty in [
                (self.min_weight, self.max_weight, weight),
                (self.min_volume, self.max_volume, volume),
                (self.min_value, self.max_value, value),
                ]:
            if low is None and high is None:
                continue
            if qty is None:
                return False
            if low is not None and qty < low:
                return False
            if high is not None and qty >= high:
                return False
        if self.dangerous_goods == 'yes' and not dangerous:
            return False
        if self.dangerous_goods == 'no' and dangerous:
            return False
        return super().match(pattern, match_none=match_none)

    def criteria_text(self, request):
        parts = []
        if self.warehouse:
            parts.append('warehouse %s' % self.warehouse.rec_name)
        if self.country:
            parts.append('country %s' % self.country.code)
        if self.subdivision:
            parts.append('subdivision %s' % self.subdivision.code)
        if self.min_weight is not None or self.max_weight is not None:
            parts.append('weight %g kg in [%s, %s)' % (
                    request.get('weight') or 0,
                    _g(self.min_weight, '0'), _g(self.max_weight, '∞')))
        if self.min_volume is not None or self.max_volume is not None:
            parts.append('volume %g m³ in [%s, %s)' % (
                    request.get('volume') or 0,
                    _g(self.min_volume, '0'), _g(self.max_volume, '∞')))
        if self.min_value is not None or self.max_value is not None:
            parts.append('declared value %s in [%s, %s)' % (
                    request.get('declared_value'),
                    _g(self.min_value, '0'), _g(self.max_value, '∞')))
        if self.dangerous_goods:
            parts.append('dangerous goods %s' % self.dangerous_goods)
        if self.service_level:
            parts.append('service level %s' % self.service_level)
        return ', '.join(parts) or 'any shipment'

    # --- selection ----------------------------------------------------
    @classmethod
    def select(cls, request):
        """Choose carrier and service for request (a dict).

        Keys: company, warehouse, country, subdivision (ids), weight (kg),
        volume (m³), dangerous_goods (bool), service_level, declared_value,
        distance (km), sla_hours (hours to the promise), date,
        origin/destination (dicts country, subdivision, postal_code).
        Returns a CarrierChoice; carrier None with the reason when nothing
        fits."""
        company = request.get('company') or Transaction().context.get(
            'company')
        pattern = {
            'company': company,
            'warehouse': request.get('warehouse'),
            'country': request.get('country'),
            'subdivision': request.get('subdivision'),
            'service_level': request.get('service_level'),
            'weight': request.get('weight'),
            'volume': request.get('volume'),
            'declared_value': request.get('declared_value'),
            'dangerous_goods': bool(request.get('dangerous_goods')),
            }
        for rule in cls.search([('company', '=', company)]):
            if rule.match(pattern):
                return rule.apply(request)
        return CarrierChoice(None, None, None, None,
            gettext('otwb_tms.msg_no_carrier_rule'))

    def apply(self, request):
        head = 'Rule "%s" (sequence %s) matched: %s.' % (
            self.name, self.sequence, self.criteria_text(request))
        if self.policy == 'fixed':
            service = self.service
            carrier = self.carrier or service.carrier
            reason = '%s Fixed choice: %s%s.' % (
                head, carrier.party.rec_name,
                ' / ' + service.name if service else '')
            cost = None
            if service:
                refusal = service.refusal(request)
                if refusal:
                    reason += ' Warning: %s' % refusal
                prices = self._price_candidates([service], request)
                cost = prices.get(service.id, (None, ''))[0]
            return CarrierChoice(self, carrier, service, cost, reason)
        return self._cheapest(request, head)

    def sla_limit(self, request):
        if self.sla_hours:
            return self.sla_hours, 'rule SLA'
        if request.get('sla_hours') is not None:
            return request['sla_hours'], 'promised date'
        level = request.get('service_level')
        if level in SERVICE_LEVEL_HOURS:
            return SERVICE_LEVEL_HOURS[level], 'service level %s' % level
        return None, 'no SLA'

    def _cheapest(self, request, head):
        Service = Pool().get('otwb.tms.carrier.service')
        domain = []
        if self.carrier:
            domain.append(('carrier', '=', self.carrier.id))
        if self.mode:
            domain.append(('mode', '=', self.mode))
        limit, source = self.sla_limit(request)
        excluded, eligible = [], []
        for service in Service.search(domain):
            refusal = service.refusal(request)
            if refusal:
                excluded.append('%s: %s' % (service.rec_name, refusal))
            elif limit is not None and service.sla_hours > limit + 1e-9:
                excluded.append('%s: SLA %g h > %g h' % (
                        service.rec_name, service.sla_hours, limit))
            else:
                eligible.append(service)
        prices = self._price_candidates(eligible, request) if eligible else {}
        priced = []
        for service in eligible:
            cost, how = prices.get(service.id, (None, ''))
            if cost is None:
                excluded.append('%s: no price' % service.rec_name)
            else:
                priced.append((cost, service.sla_hours, service.sequence
                        or 0, service.id, service, how))
        priced.sort(key=lambda p: p[:4])
        sla = ('SLA %g h (%s)' % (limit, source) if limit is not None
            else 'no SLA')
        if not priced:
            reason = '%s Cheapest meeting %s: no service qualifies.' % (
                head, sla)
            if excluded:
                reason += ' Excluded: %s.' % '; '.join(excluded)
            return CarrierChoice(self, None, None, None, reason)
        cost, _, _, _, service, how = priced[0]
        reason = ('%s Cheapest meeting %s: %s at %s (%s, SLA %g h).' % (
                head, sla, service.rec_name, cost, how, service.sla_hours))
        if len(priced) > 1:
            reason += ' Beaten: %s.' % '; '.join(
                '%s %s' % (p[4].rec_name, p[0]) for p in priced[1:])
        if excluded:
            reason += ' Excluded: %s.' % '; '.join(excluded)
        return CarrierChoice(self, service.carrier, service, cost, reason)

    @classmethod
    def _price_candidates(cls, services, request):
        """{service id: (cost, how)} for the services on request.

        With otwb_bms activated, the carrier's payable rate card prices
        the service (activity 'shipment_delivered', the service's mode and
        level); else the service's list price.  Extension point: override
        to plug another pricing."""
        result = {}
        rated = _rate_with_billing(services, request)
        for service in services:
            if service.id in rated:
                result[service.id] = rated[service.id]
                continue
            price = service.list_price(request)
            if price is not None:
                result[service.id] = (price, 'list price')
        return result


def _g(value, default):
    return default if value is None else '%g' % value


def _rate_with_billing(services, request):
    """Price with otwb_bms payable rate cards when that module is active.

    otwb_bms already lists otwb_tms in its extras_depend, so otwb_tms cannot
    list otwb_bms (the module graph would have a cycle): the billing
    models are looked up at run time in the pool instead."""
    pool = Pool()
    try:
        Card = pool.get('otwb.bms.rate_card')
    except KeyError:
        return {}
    try:
        from trytond.modules.otwb_bms.engine import rating
    except ImportError:
        return {}
    date = request.get('date') or pool.get('ir.date').today()
    compiled = Card.compiled('payable', date)
    origin = request.get('origin') or {}
    destination = request.get('destination') or {}
    result = {}
    for service in services:
        party = service.carrier.party.id
        own = [c for c in compiled if c.party_id == party]
        if not own:
            continue
        try:
            cards = [rating.select_card(own, party, 'payable', date)]
        except ValueError:
            continue
        event = rating.RatingEvent(
            date=date, mode=service.mode,
            origin=rating.Address(**origin) if origin else None,
            destination=rating.Address(**destination)
            if destination else None,
            service_level=service.service_level,
            cargo_class='dangerous' if request.get('dangerous_goods')
            else None,
            activity='shipment_delivered',
            kg=request.get('weight') or 0,
            m3=request.get('volume') or 0,
            km=request.get('distance'),
            orders=1,
            declared_value=(Decimal(str(request['declared_value']))
                if request.get('declared_value') is not None else None))
        charges = rating.rate(cards, event)
        if not charges:
            continue
        total = sum((c.amount for c in charges), Decimal(0))
        result[service.id] = (total, 'payable rate card: %s' % ', '.join(
                '%s %s' % (c.charge_type, c.amount) for c in charges))
    return result
