# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fulfilment rules edited by administrators: first match by sequence."""
from trytond.model import (
    DeactivableMixin,
    MatchMixin,
    ModelSQL,
    ModelView,
    fields,
    sequence_ordered,
)
from trytond.pool import Pool
from trytond.pyson import Eval, If

POLICIES = [
    ('single', "Single warehouse, ship complete"),
    ('split', "Split by availability"),
    ('nearest', "Nearest warehouse holding stock"),
    ]


class FulfilmentRule(
        DeactivableMixin, sequence_ordered(), MatchMixin, ModelSQL,
        ModelView):
    "Fulfilment Rule"
    __name__ = 'otwb.oms.fulfilment.rule'
    _history = True  # audit trail: who changed what, when

    name = fields.Char("Name", required=True, translate=True)
    # criteria (empty = any)
    channel = fields.Many2One('otwb.oms.channel', "Channel",
        ondelete='CASCADE')
    country = fields.Many2One('country.country', "Country",
        ondelete='CASCADE')
    subdivision = fields.Many2One('country.subdivision', "Subdivision",
        domain=[If(Eval('country'),
                ('country', '=', Eval('country', -1)), ())],
        ondelete='CASCADE')
    postal_prefix = fields.Char(
        "Postal Code Prefix",
        help="Matches destination postal codes starting with this.")
    service_level = fields.Selection([
            (None, ""),
            ('standard', "Standard"),
            ('express', "Express"),
            ('same_day', "Same Day"),
            ('economy', "Economy"),
            ], "Service Level")
    min_weight = fields.Float("Min Weight (kg)", digits=(16, 3))
    max_weight = fields.Float("Max Weight (kg)", digits=(16, 3),
        help="Exclusive.")
    min_value = fields.Numeric("Min Value", digits=(16, 2))
    max_value = fields.Numeric("Max Value", digits=(16, 2),
        help="Exclusive; in the order currency.")
    # actions
    action = fields.Selection([
            ('allocate', "Allocate"),
            ('hold', "Hold"),
            ], "Action", required=True)
    policy = fields.Selection(POLICIES, "Policy",
        states={
            'required': Eval('action') == 'allocate',
            'invisible': Eval('action') != 'allocate',
            })
    warehouses = fields.One2Many(
        'otwb.oms.fulfilment.rule.warehouse', 'rule', "Warehouses",
        states={'invisible': Eval('action') != 'allocate'},
        help="Candidate warehouses in order; empty: the channel's.")
    shipment_max_weight = fields.Float(
        "Max Weight per Shipment (kg)", digits=(16, 3),
        domain=['OR',
            ('shipment_max_weight', '=', None),
            ('shipment_max_weight', '>', 0),
            ],
        states={'invisible': Eval('action') != 'allocate'},
        help="Heavier orders ship in several shipments; empty: the "
        "OMS configuration's limit.")
    carrier = fields.Many2One('carrier', "Preferred Carrier",
        states={'invisible': Eval('action') != 'allocate'})
    hold_reason = fields.Char("Hold Reason",
        states={
            'required': Eval('action') == 'hold',
            'invisible': Eval('action') != 'hold',
            })

    @classmethod
    def default_action(cls):
        return 'allocate'

    @classmethod
    def default_policy(cls):
        return 'split'

    def match(self, pattern, match_none=False):
        pattern = pattern.copy()
        postal = pattern.pop('postal_code', None) or ''
        weight = pattern.pop('weight', None)
        value = pattern.pop('value', None)
        if self.postal_prefix and not postal.replace(' ', '').upper(
                ).startswith(self.postal_prefix.replace(' ', '').upper()):
            return False
        if self.min_weight is not None and (
                weight is None or weight < self.min_weight):
            return False
        if self.max_weight is not None and (
                weight is None or weight >= self.max_weight):
            return False
        if self.min_value is not None and (
                value is None or value < self.min_value):
            return False
        if self.max_value is not None and (
                value is None or value >= self.max_value):
            return False
        return super().match(pattern, match_none=match_none)

    @classmethod
    def find(cls, pattern):
        "The first active rule matching the pattern, or None"
        for rule in cls.search([]):
            if rule.match(pattern):
                return rule
        return None

    @classmethod
    def pattern_for(cls, order, channel):
        "The matching pattern of a normalised order"
        pool = Pool()
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        address = order.shipping_address
        countries = Country.search([('code', '=', address.country)],
            limit=1)
        subdivisions = Subdivision.search(
            [('code', '=', address.subdivision)], limit=1) \
            if address.subdivision else []
        return {
            'channel': channel.id,
            'country': countries[0].id if countries else None,
            'subdivision': subdivisions[0].id if subdivisions else None,
            'service_level': order.service_level,
            'postal_code': address.postal_code,
            'weight': float(order.weight) if order.weight is not None
            else None,
            'value': order.untaxed_amount,
            }


class FulfilmentRuleWarehouse(sequence_ordered(), ModelSQL, ModelView):
    "Fulfilment Rule Warehouse"
    __name__ = 'otwb.oms.fulfilment.rule.warehouse'
    _history = True  # audit trail: who changed what, when

    rule = fields.Many2One('otwb.oms.fulfilment.rule', "Rule",
        required=True, ondelete='CASCADE')
    warehouse = fields.Many2One('stock.location', "Warehouse",
        required=True, ondelete='CASCADE',
        domain=[('type', '=', 'warehouse')])


