# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Order KPIs for the dashboard: reporting models over the channel orders
(SQL views built by ``table_query``, read-only)."""
from sql import Literal, Null
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp
from sql.operators import Concat
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

_CLOSED = ['cancelled', 'draft']


class OrdersPerDay(ModelSQL, ModelView):
    "Orders per Day and Channel"
    __string__ = "Orders per Day and Channel"
    __name__ = 'otwb.oms.kpi.orders_day'

    company = fields.Many2One('company.company', "Company")
    date = fields.Date("Date")
    channel = fields.Many2One('otwb.oms.channel', "Channel")
    orders = fields.Integer("Orders")
    amount = fields.Numeric("Untaxed Amount", digits=(16, 2))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('channel', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        sale = Pool().get('sale.sale').__table__()
        where = ((sale.otwb_channel != Null)
            & ~sale.state.in_(_CLOSED))
        company = Transaction().context.get('company')
        if company:
            where &= sale.company == company
        return sale.select(
            Min(sale.id).as_('id'),
            Literal(0).as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            Literal(None).as_('write_uid'),
            Literal(None).as_('write_date'),
            sale.company.as_('company'),
            sale.sale_date.as_('date'),
            sale.otwb_channel.as_('channel'),
            Count(sale.id).as_('orders'),
            Sum(Coalesce(sale.untaxed_amount_cache, 0)).as_('amount'),
            where=where,
            group_by=[sale.company, sale.sale_date, sale.otwb_channel])


class FillRate(ModelSQL, ModelView):
    "Fill Rate per Channel"
    __string__ = "Fill Rate per Channel"
    __name__ = 'otwb.oms.kpi.fill_rate'

    company = fields.Many2One('company.company', "Company")
    channel = fields.Many2One('otwb.oms.channel', "Channel")
    ordered = fields.Float("Ordered Quantity", digits=(16, 2))
    shipped = fields.Float("Shipped Quantity", digits=(16, 2))
    fill_rate = fields.Float(
        "Fill Rate (%)", digits=(5, 1),
        help="Quantity shipped (done outgoing moves) "
        "over quantity ordered.")
    last_order = fields.Date("Last Order")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('channel', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        sale = pool.get('sale.sale').__table__()
        line = pool.get('sale.line').__table__()
        move = pool.get('stock.move').__table__()
        shipped = move.select(
            move.origin.as_('origin'),
            Sum(move.quantity).as_('quantity'),
            where=(move.state == 'done')
            & (move.to_location.in_(cls._customer_locations())),
            group_by=[move.origin])
        where = ((sale.otwb_channel != Null)
            & ~sale.state.in_(_CLOSED)
            & (line.type == 'line'))
        company = Transaction().context.get('company')
        if company:
            where &= sale.company == company
        ordered = Sum(Coalesce(line.quantity, 0))
        done = Sum(Coalesce(shipped.quantity, 0))
        return (line
            .join(sale, condition=line.sale == sale.id)
            .join(shipped, 'LEFT', condition=shipped.origin == Concat(
                    'sale.line,', line.id))
            .select(
                Min(sale.otwb_channel).as_('id'),
                Literal(0).as_('create_uid'),
                CurrentTimestamp().as_('create_date'),
                Literal(None).as_('write_uid'),
                Literal(None).as_('write_date'),
                sale.company.as_('company'),
                sale.otwb_channel.as_('channel'),
                ordered.as_('ordered'),
                done.as_('shipped'),
                (done * 100.0 / ordered).as_('fill_rate'),
                Max(sale.sale_date).as_('last_order'),
                where=where,
                group_by=[sale.company, sale.otwb_channel]))

    @classmethod
    def _customer_locations(cls):
        location = Pool().get('stock.location').__table__()
        return location.select(location.id,
            where=location.type == 'customer')
