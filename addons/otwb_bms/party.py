# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from trytond.model import ModelView, fields
from trytond.modules.otwb_base.otwb import OfficeDocument
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateReport, StateView, Wizard


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    bms_currency = fields.Many2One(
        'currency.currency', "Billing Currency",
        help="Currency of the invoices of charges to this party; empty: "
        "the company currency for customers, the rate card currency for "
        "carriers.")


class CustomerStatement(OfficeDocument, Report):
    """Customer Statement

    The customer invoices (and credit notes) posted in the period, with the
    older ones still to pay, and what the customer owes on them today.
    The period is ``from_date`` .. ``to_date`` of the data (dates or ISO
    strings); by default the last 90 days."""
    __name__ = 'otwb.bms.party.customer_statement'

    @classmethod
    def period(cls, data):
        Date = Pool().get('ir.date')

        def date(value):
            if isinstance(value, str):
                return dt.date.fromisoformat(value[:10])
            if isinstance(value, dt.datetime):
                return value.date()
            return value
        data = data or {}
        to_date = date(data.get('to_date')) or Date.today()
        from_date = date(data.get('from_date')) or (
            to_date - dt.timedelta(days=90))
        return from_date, to_date

    @classmethod
    def invoices(cls, party, from_date, to_date):
        Invoice = Pool().get('account.invoice')
        domain = [
            ('party', '=', party.id),
            ('type', '=', 'out'),
            ['OR', [
                    ('state', 'in', ['posted', 'paid']),
                    ('invoice_date', '>=', from_date),
                    ('invoice_date', '<=', to_date),
                    ], [
                    # still to pay from before the period
                    ('state', '=', 'posted'),
                    ('invoice_date', '<', from_date),
                    ]],
            ]
        company = Transaction().context.get('company')
        if company:
            domain.append(('company', '=', company))
        return Invoice.search(domain, order=[
                ('invoice_date', 'ASC'), ('number', 'ASC'), ('id', 'ASC')])

    @classmethod
    def due_date(cls, invoice):
        "The earliest maturity of the invoice's lines to pay"
        dates = [line.maturity_date for line in invoice.lines_to_pay
            if line.maturity_date]
        return min(dates) if dates else (
            invoice.payment_term_date or invoice.invoice_date)

    @classmethod
    def balances(cls, invoices):
        "[(currency, total, to pay)] of the invoices by currency"
        totals = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for invoice in invoices:
            totals[invoice.currency][0] += invoice.total_amount
            totals[invoice.currency][1] += invoice.amount_to_pay
        return [(currency, total, to_pay)
            for currency, (total, to_pay) in sorted(
                totals.items(), key=lambda i: i[0].code)]

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        context = super().get_context(records, header, data)
        from_date, to_date = cls.period(data)
        company_id = Transaction().context.get('company')
        context['company'] = Company(company_id) if company_id else None
        context['from_date'] = from_date
        context['to_date'] = to_date
        context['today'] = Date.today()
        cache = {}

        def invoices(party):
            if party.id not in cache:
                cache[party.id] = cls.invoices(party, from_date, to_date)
            return cache[party.id]
        context['invoices'] = invoices
        context['due_date'] = cls.due_date
        context['balances'] = lambda party: cls.balances(invoices(party))
        return context


class PrintCustomerStatementStart(ModelView):
    "Print Customer Statement"
    __name__ = 'otwb.bms.party.customer_statement.print.start'
    __string__ = "Print Customer Statement"

    from_date = fields.Date(
        "From Date", required=True,
        domain=[('from_date', '<=', Eval('to_date', None))],
        help="Invoices dated from this day; older ones are listed only "
        "while something is still to pay on them.")
    to_date = fields.Date("To Date", required=True)

    @classmethod
    def default_to_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_from_date(cls):
        return cls.default_to_date() - dt.timedelta(days=90)


class PrintCustomerStatement(Wizard):
    "Print the customer statement of a period"
    __name__ = 'otwb.bms.party.customer_statement.print'

    start = StateView(
        'otwb.bms.party.customer_statement.print.start',
        'otwb_bms.customer_statement_print_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Print", 'print_', 'tryton-print', default=True),
            ])
    print_ = StateReport('otwb.bms.party.customer_statement')

    def do_print_(self, action):
        return action, {
            'model': 'party.party',
            'ids': [r.id for r in self.records],
            'id': self.record.id if self.record else None,
            'from_date': self.start.from_date,
            'to_date': self.start.to_date,
            }
