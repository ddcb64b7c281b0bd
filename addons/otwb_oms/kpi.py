# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Order KPIs for the dashboard: reporting models over the channel orders
(SQL views built by ``table_query``, read-only)."""
from sql import Null
from sql.aggregate import Avg, Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Extract
from sql.operators import Concat
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.otwb_base.otwb import audit_columns
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
            *audit_columns(),
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
                *audit_columns(),
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


class ServicePerDay(ModelSQL, ModelView):
    """On time in full (OTIF) and order-to-ship lead time per order day
    and channel.  One row per fulfilment order (``sale.sale``) counted on
    its order date:

    - *due*: delivered, or its promised date has passed;
    - *OTIF*: delivered, every line shipped in full (shipment state
      *sent*) and the last delivery not later than the end of the
      promised date (no promised date: on time when delivered);
    - *lead time*: from the order's receipt (timeline *Received*) to its
      first *Shipped* event, in hours, averaged over shipped orders."""
    __string__ = "Service Level per Day and Channel"
    __name__ = 'otwb.oms.kpi.service'

    company = fields.Many2One('company.company', "Company")
    date = fields.Date("Date")
    channel = fields.Many2One('otwb.oms.channel', "Channel")
    orders = fields.Integer("Orders")
    shipped = fields.Integer("Shipped Orders")
    delivered = fields.Integer("Delivered Orders")
    due = fields.Integer(
        "Due Orders",
        help="Orders delivered or past their promised date.")
    otif = fields.Integer(
        "OTIF Orders", help="Orders delivered on time and in full.")
    otif_rate = fields.Float(
        "OTIF (%)", digits=(5, 1),
        help="On time in full: OTIF orders over due orders.")
    lead_time = fields.Float(
        "Order-to-Ship (h)", digits=(16, 1),
        help="Average hours from receipt of the order to its first "
        "shipment leaving the warehouse.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('channel', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        sale = pool.get('sale.sale').__table__()
        event = pool.get('otwb.oms.order.event').__table__()
        today = pool.get('ir.date').today()

        def first(type_, aggregate=Min):
            return aggregate(Case((event.type == type_,
                        Extract('EPOCH', event.time)), else_=Null))
        times = event.select(
            event.sale.as_('sale'),
            first('received').as_('received'),
            first('shipped').as_('shipped'),
            first('delivered', Max).as_('delivered'),
            group_by=[event.sale])

        where = ((sale.otwb_channel != Null)
            & ~sale.state.in_(_CLOSED))
        company = Transaction().context.get('company')
        if company:
            where &= sale.company == company
        delivered = times.delivered != Null
        due = delivered | (sale.otwb_promised_date < today)
        promised_end = Extract('EPOCH', sale.otwb_promised_date) + 86400
        otif = (delivered & (sale.shipment_state == 'sent')
            & ((sale.otwb_promised_date == Null)
                | (times.delivered < promised_end)))
        n_due = Sum(Case((due, 1), else_=0))
        n_otif = Sum(Case((otif, 1), else_=0))
        lead = times.shipped - times.received
        return (sale
            .join(times, 'LEFT', condition=times.sale == sale.id)
            .select(
                Min(sale.id).as_('id'),
                *audit_columns(),
                sale.company.as_('company'),
                sale.sale_date.as_('date'),
                sale.otwb_channel.as_('channel'),
                Count(sale.id).as_('orders'),
                Count(times.shipped).as_('shipped'),
                Count(times.delivered).as_('delivered'),
                n_due.as_('due'),
                n_otif.as_('otif'),
                # EXTRACT gives numeric on PostgreSQL: cast to the fields'
                # type (float on both backends)
                cls.otif_rate.sql_cast(Case((n_due > 0,
                            n_otif * 100.0 / n_due), else_=Null)
                    ).as_('otif_rate'),
                cls.lead_time.sql_cast(Avg(lead) / 3600.0).as_('lead_time'),
                where=where,
                group_by=[sale.company, sale.sale_date, sale.otwb_channel]))
