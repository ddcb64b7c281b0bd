# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Charge reporting: sums of charges by customer (or carrier), charge type
and month, a read-only ``table_query`` model (Tryton has no pivot view:
this is the pivot, shown as a list and as graphs, like sale_reporting)."""
from sql import Literal
from sql.aggregate import Count, Min, Sum
from sql.functions import DateTrunc
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .rate_card import CHARGE_TYPES


class ChargeReporting(ModelSQL, ModelView):
    "Charges by Party, Charge Type and Month"
    __name__ = 'otwb.bms.charge.reporting'
    __string__ = "Charge Reporting"

    company = fields.Many2One('company.company', "Company", readonly=True)
    kind = fields.Selection([
            ('receivable', "Receivable"),
            ('payable', "Payable"),
            ], "Kind", readonly=True)
    party = fields.Many2One('party.party', "Party", readonly=True)
    charge_type = fields.Selection(CHARGE_TYPES, "Charge Type",
        readonly=True)
    month = fields.Date("Month", readonly=True,
        help="The first day of the month of the charges.")
    currency = fields.Many2One('currency.currency', "Currency",
        readonly=True)
    amount = fields.Numeric("Amount", digits=(16, 2), readonly=True)
    charge_count = fields.Integer("Charges", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('party', 'ASC'),
            ('charge_type', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        charge = Charge.__table__()
        context = Transaction().context
        month = cls.month.sql_cast(DateTrunc('month', charge.date))
        where = Literal(True)
        if context.get('company'):
            where &= charge.company == context['company']
        if context.get('from_date'):
            where &= charge.date >= context['from_date']
        if context.get('to_date'):
            where &= charge.date <= context['to_date']
        # the month is computed in a sub-query and grouped by name:
        # PostgreSQL refuses to match DATE_TRUNC($1, …) in SELECT with
        # DATE_TRUNC($2, …) in GROUP BY (two different parameters)
        rows = charge.select(
            charge.id, charge.company, charge.kind, charge.party,
            charge.charge_type, charge.currency, charge.amount,
            month.as_('month'), where=where)
        return rows.select(
            Min(rows.id).as_('id'),
            rows.company.as_('company'),
            rows.kind.as_('kind'),
            rows.party.as_('party'),
            rows.charge_type.as_('charge_type'),
            rows.month.as_('month'),
            rows.currency.as_('currency'),
            Sum(rows.amount).as_('amount'),
            Count(rows.id).as_('charge_count'),
            group_by=[rows.company, rows.kind, rows.party, rows.charge_type,
                rows.currency, rows.month])


class ChargeReportingContext(ModelView):
    "Charge Reporting Context"
    __name__ = 'otwb.bms.charge.reporting.context'
    __string__ = "Charge Reporting Context"

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date("From Date")
    to_date = fields.Date("To Date")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')
