# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import (
    DeactivableMixin,
    ModelSQL,
    ModelView,
    Unique,
    fields,
    sequence_ordered,
)
from trytond.transaction import Transaction

CHANNEL_TYPES = [
    ('taobao', "Taobao"),
    ('jd', "JD"),
    ('shopify', "Shopify"),
    ('web', "Own Web Store"),
    ('erp', "ERP"),
    ('api', "Generic API"),
    ]


class Channel(DeactivableMixin, ModelSQL, ModelView):
    "Sales Channel"
    __string__ = "Sales Channel"
    __name__ = 'otwb.oms.channel'
    _history = True  # audit trail: who changed what, when

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", required=True,
        help="The code external systems send with each order.")
    type = fields.Selection(CHANNEL_TYPES, "Type", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    currency = fields.Many2One('currency.currency', "Currency", required=True)
    payment_methods = fields.Char(
        "Payment Methods",
        help="Accepted payment method codes, separated by commas.")
    prepaid_methods = fields.Char(
        "Prepaid Methods",
        help="The payment methods paid at checkout, separated by commas: "
        "orders using them must be paid in full.")
    warehouses = fields.One2Many(
        'otwb.oms.channel-stock.location', 'channel', "Warehouses",
        help="Candidate warehouses in order of preference.")
    ship_by_hours = fields.Integer(
        "Ship-by SLA (hours)", required=True,
        help="Orders must be shipped within this many hours.")
    integration_user = fields.Many2One(
        'res.user', "Integration User",
        help="The user allowed to submit orders for this channel over RPC.")
    max_lines = fields.Integer("Max Lines per Order", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'otwb_oms.msg_channel_code_unique'),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_ship_by_hours(cls):
        return 24

    @classmethod
    def default_max_lines(cls):
        return 200

    @classmethod
    def default_type(cls):
        return 'api'

    @staticmethod
    def _split(value):
        return frozenset(
            v.strip() for v in (value or '').split(',') if v.strip())

    @property
    def payment_method_set(self):
        return self._split(self.payment_methods)

    @property
    def prepaid_method_set(self):
        return self._split(self.prepaid_methods)

    @property
    def ordered_warehouses(self):
        return [w.warehouse for w in self.warehouses]


class ChannelWarehouse(sequence_ordered(), ModelSQL, ModelView):
    "Sales Channel Warehouse"
    __name__ = 'otwb.oms.channel-stock.location'

    channel = fields.Many2One(
        'otwb.oms.channel', "Channel", required=True, ondelete='CASCADE')
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'warehouse')])
