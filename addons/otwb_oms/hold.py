# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Holds: orders kept from fulfilment until someone releases them."""
import datetime as dt

from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

HOLD_CODES = [
    ('credit_limit', "Credit limit exceeded"),
    ('address_incomplete', "Address incomplete"),
    ('payment_missing', "Payment missing"),
    ('out_of_stock', "Out of stock"),
    ('fraud_suspected', "Fraud suspected"),
    ('rule', "Fulfilment rule"),
    ]


class Hold(Workflow, ModelSQL, ModelView):
    "Order Hold"
    __string__ = "Order Hold"
    __name__ = 'otwb.oms.hold'

    sale = fields.Many2One('sale.sale', "Order", required=True,
        ondelete='CASCADE', readonly=True)
    code = fields.Selection(HOLD_CODES, "Reason", required=True,
        readonly=True)
    message = fields.Char("Message", readonly=True)
    created_at = fields.DateTime("Created At", readonly=True)
    resolved_at = fields.DateTime("Resolved At", readonly=True)
    resolved_by = fields.Many2One('res.user', "Resolved By", readonly=True)
    channel = fields.Function(fields.Many2One('otwb.oms.channel', "Channel"),
        'get_sale_field', searcher='search_sale_field')
    customer = fields.Function(fields.Many2One('party.party', "Customer"),
        'get_sale_field', searcher='search_sale_field')
    state = fields.Selection([
            ('open', "Open"),
            ('released', "Released"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality(
                        cardinality='low')), where=t.state == 'open'))
        cls._order = [('created_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('open', 'released'),
            ('open', 'cancelled'),
            }
        cls._buttons.update({
                'release': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state']},
                'cancel_order': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state']},
                })

    @classmethod
    def default_state(cls):
        return 'open'

    def get_sale_field(self, name):
        value = getattr(self.sale, {'channel': 'otwb_channel',
                'customer': 'party'}[name])
        return value.id if value else None

    @classmethod
    def search_sale_field(cls, name, clause):
        field = {'channel': 'otwb_channel', 'customer': 'party'}[name]
        return [('sale.' + field + clause[0][len(name):],) + tuple(
                clause[1:])]

    @classmethod
    def add(cls, sale, holds):
        "Open holds on the sale from engine.holds.Hold items"
        Event = Pool().get('otwb.oms.order.event')
        now = dt.datetime.now()
        records = cls.create([{
                    'sale': sale.id, 'code': h.code,
                    'message': (h.message or '')[:255],
                    'created_at': now} for h in holds])
        Event.add([sale], 'held', description=', '.join(
                h.code for h in holds))
        return records

    @classmethod
    @Workflow.transition('released')
    def _released(cls, holds):
        cls.write(holds, {
                'resolved_at': dt.datetime.now(),
                'resolved_by': Transaction().user})

    @classmethod
    @Workflow.transition('cancelled')
    def _cancelled(cls, holds):
        cls.write(holds, {
                'resolved_at': dt.datetime.now(),
                'resolved_by': Transaction().user})

    @classmethod
    @ModelView.button
    def release(cls, holds):
        "Release the holds; orders without open holds go on to fulfilment"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Event = pool.get('otwb.oms.order.event')
        holds = [h for h in holds if h.state == 'open']
        cls._released(holds)
        sales = {h.sale for h in holds}
        free = [s for s in Sale.browse([s.id for s in sales])
            if s.state in {'draft', 'quotation'}
            and not any(h.state == 'open' for h in s.otwb_holds)]
        if free:
            Event.add(free, 'released')
            Sale.otwb_confirm(free)

    @classmethod
    @ModelView.button
    def cancel_order(cls, holds):
        "Cancel the held orders"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Event = pool.get('otwb.oms.order.event')
        holds = [h for h in holds if h.state == 'open']
        cls._cancelled(holds)
        sales = list({h.sale for h in holds
                if h.sale.state in {'draft', 'quotation'}})
        others = cls.search([
                ('sale', 'in', [s.id for s in sales]),
                ('state', '=', 'open'),
                ('id', 'not in', [h.id for h in holds])])
        if others:
            cls._cancelled(others)
        if sales:
            Sale.cancel(sales)
            Event.add(sales, 'cancelled')


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    otwb_holds = fields.One2Many('otwb.oms.hold', 'sale', "Holds",
        readonly=True)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    otwb_credit_limit = fields.Numeric(
        "Credit Limit", digits=(16, 2),
        help="In the company currency; empty: no credit check.")


class Configuration(metaclass=PoolMeta):
    __name__ = 'otwb.configuration'

    oms_high_value = fields.Numeric(
        "High Order Value", digits=(16, 2),
        help="Fraud signal: orders at or above this value "
        "(company currency).")
    oms_velocity_hours = fields.Integer("Velocity Window (hours)")
    oms_max_orders_per_email = fields.Integer("Max Orders per E-mail")
    oms_fraud_score = fields.Integer(
        "Fraud Score", help="Hold when this many fraud signals add up.")
    oms_hold_partial_stock = fields.Boolean(
        "Hold on Partial Stock",
        help="Hold orders that cannot be allocated in full.")

    @classmethod
    def default_oms_high_value(cls):
        return None

    @classmethod
    def default_oms_velocity_hours(cls):
        return 24

    @classmethod
    def default_oms_max_orders_per_email(cls):
        return 3

    @classmethod
    def default_oms_fraud_score(cls):
        return 2

    @classmethod
    def default_oms_hold_partial_stock(cls):
        return True
