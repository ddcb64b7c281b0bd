# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Billing KPIs for the dashboard: revenue, cost and margin from the rated
charges (SQL views built by ``table_query``, read-only).  Amounts are in
the charges' currency: one row per currency."""
from decimal import Decimal

from sql import Literal, Null
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.otwb_base.otwb import audit_columns
from trytond.pool import Pool
from trytond.transaction import Transaction


class RevenueByCustomer(ModelSQL, ModelView):
    "Revenue by Customer"
    __string__ = "Revenue by Customer"
    __name__ = 'otwb.bms.kpi.revenue'

    company = fields.Many2One('company.company', "Company")
    party = fields.Many2One('party.party', "Customer")
    currency = fields.Many2One('currency.currency', "Currency")
    revenue = fields.Numeric("Revenue", digits=(16, 2))
    charges = fields.Integer("Charges")
    shipments = fields.Integer(
        "Billed Activities", help="Billable events with a charge.")
    revenue_per_activity = fields.Function(fields.Numeric(
            "Revenue per Activity", digits=(16, 2)), 'get_per_activity')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('revenue', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        charge = Pool().get('otwb.bms.charge').__table__()
        where = charge.kind == 'receivable'
        company = Transaction().context.get('company')
        if company:
            where &= charge.company == company
        revenue = Sum(charge.amount)
        events = Count(charge.event, distinct=True)
        return charge.select(
            Min(charge.id).as_('id'), *audit_columns(),
            charge.company.as_('company'),
            charge.party.as_('party'),
            charge.currency.as_('currency'),
            revenue.as_('revenue'),
            Count(charge.id).as_('charges'),
            events.as_('shipments'),
            where=where,
            group_by=[charge.company, charge.party, charge.currency])

    def get_per_activity(self, name):
        if self.shipments:
            return (Decimal(str(self.revenue)) / self.shipments
                ).quantize(Decimal('0.01'))


class MarginPerDay(ModelSQL, ModelView):
    """Revenue, cost and margin per day and currency, with the cost per
    order handled (events *order_handled*) and per kg delivered (events
    *shipment_delivered*) of the charges of that day and currency."""
    __string__ = "Revenue, Cost and Margin per Day"
    __name__ = 'otwb.bms.kpi.margin'

    company = fields.Many2One('company.company', "Company")
    date = fields.Date("Date")
    currency = fields.Many2One('currency.currency', "Currency")
    revenue = fields.Numeric("Revenue", digits=(16, 2))
    cost = fields.Numeric("Cost", digits=(16, 2))
    margin = fields.Numeric("Margin", digits=(16, 2))
    activities = fields.Integer(
        "Billed Activities", help="Billable events with a receivable "
        "charge.")
    orders = fields.Integer(
        "Orders Handled", help="Orders packed and billed that day.")
    kg = fields.Numeric(
        "Delivered (kg)", digits=(16, 1),
        help="Weight of the deliveries billed that day.")
    cost_per_activity = fields.Function(fields.Numeric(
            "Cost per Activity", digits=(16, 2)), 'get_per_activity')
    cost_per_order = fields.Function(fields.Numeric(
            "Cost per Order", digits=(16, 2)), 'get_per_activity')
    cost_per_kg = fields.Function(fields.Numeric(
            "Cost per kg", digits=(16, 4)), 'get_per_activity')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        charge = pool.get('otwb.bms.charge').__table__()
        event = pool.get('otwb.bms.event').__table__()
        where = Literal(True)
        company = Transaction().context.get('company')
        if company:
            where &= charge.company == company
        receivable = charge.kind == 'receivable'

        def of(activity, column):
            return Max(Case((event.activity == activity, column),
                    else_=Null))
        # one row per event, day and currency
        per_event = (charge
            .join(event, condition=charge.event == event.id)
            .select(
                Min(charge.id).as_('id'),
                charge.company.as_('company'),
                charge.date.as_('date'),
                charge.currency.as_('currency'),
                Sum(Case((receivable, charge.amount), else_=0)
                    ).as_('revenue'),
                Sum(Case((charge.kind == 'payable', charge.amount),
                        else_=0)).as_('cost'),
                Count(Case((receivable, charge.id), else_=Null)
                    ).as_('receivables'),
                of('order_handled', event.orders).as_('orders'),
                of('shipment_delivered', event.kg).as_('kg'),
                where=where,
                group_by=[charge.company, charge.date, charge.currency,
                    charge.event]))
        revenue = Sum(per_event.revenue)
        cost = Sum(per_event.cost)
        return per_event.select(
            Min(per_event.id).as_('id'), *audit_columns(),
            per_event.company.as_('company'),
            per_event.date.as_('date'),
            per_event.currency.as_('currency'),
            revenue.as_('revenue'),
            cost.as_('cost'),
            (revenue - cost).as_('margin'),
            Sum(Case((per_event.receivables > 0, 1), else_=0)
                ).as_('activities'),
            cls.orders.sql_cast(Sum(Coalesce(per_event.orders, 0))
                ).as_('orders'),
            Sum(Coalesce(per_event.kg, 0)).as_('kg'),
            group_by=[per_event.company, per_event.date,
                per_event.currency])

    def get_per_activity(self, name):
        divisor, exp = {
            'cost_per_activity': (self.activities, '0.01'),
            'cost_per_order': (self.orders, '0.01'),
            'cost_per_kg': (self.kg, '0.0001'),
            }[name]
        if divisor:
            return (Decimal(str(self.cost)) / Decimal(str(divisor))
                ).quantize(Decimal(exp))
