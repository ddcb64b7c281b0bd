# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Billing runs (invoice the open charges once) and accrual runs (post
unbilled revenue and un-invoiced costs, reversed when invoiced)."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql import Null
from sql.aggregate import Count, Sum
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .bulk import CHUNK

_DRAFT = {'readonly': Eval('state') != 'draft'}
# charge types accrued on the duty product's accounts (duty.py)
CUSTOMS_CHARGES = {'duty', 'tax'}


def _total_key(kind, charge_type):
    "Accrual total of a charge: per kind, duties apart"
    return kind + '_duty' if charge_type in CUSTOMS_CHARGES else kind


class BillingRun(Workflow, ModelSQL, ModelView):
    "Billing Run"
    __name__ = 'otwb.bms.billing_run'
    __string__ = "Billing Run"

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_DRAFT)
    kind = fields.Selection([
            ('receivable', "Customer invoices"),
            ('payable', "Supplier invoices"),
            ('both', "Both"),
            ], "Kind", required=True, states=_DRAFT)
    party = fields.Many2One(
        'party.party', "Party", states=_DRAFT,
        help="Only this customer or carrier; empty for all.")
    date_from = fields.Date("From", states=_DRAFT)
    date_to = fields.Date(
        "To", required=True, states=_DRAFT,
        domain=['OR', ('date_to', '>=', Eval('date_from', None)),
            ('date_from', '=', None)],
        help="Charges dated up to this date (inclusive) are invoiced.")
    invoice_date = fields.Date("Invoice Date", required=True, states=_DRAFT)
    grouping = fields.Selection([
            ('charge', "One line per charge"),
            ('charge_type', "One line per charge type"),
            ], "Invoice Lines", required=True, states=_DRAFT)
    post = fields.Boolean(
        "Post", states=_DRAFT,
        help="Post the invoices (writes the journal entries).")
    charges = fields.One2Many(
        'otwb.bms.charge', 'billing_run', "Charges", readonly=True)
    invoices = fields.Function(fields.Many2Many(
            'account.invoice', None, None, "Invoices"), 'get_invoices')
    charge_count = fields.Function(
        fields.Integer("Charges Invoiced"), 'get_invoices')
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Done"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date_to', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('draft', 'done')}
        cls._buttons.update({
                'process': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'both'

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_grouping(cls):
        return Pool().get('otwb.configuration')(1).bms_invoice_grouping

    @classmethod
    def default_post(cls):
        "Ticked for the users who may post invoices"
        return cls._may_post()

    @staticmethod
    def _may_post():
        "Whether the user may press the invoice's Post button"
        pool = Pool()
        Button = pool.get('ir.model.button')
        User = pool.get('res.user')
        if Transaction().user == 0:
            return True
        groups = Button.get_groups('account.invoice', 'post')
        return not groups or bool(groups & set(User.get_groups()))

    @classmethod
    def default_invoice_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def get_invoices(cls, runs, names):
        "Invoices and number of charges of the runs, summed in SQL"
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        Line = pool.get('account.invoice.line')
        result = {n: {r.id: [] if n == 'invoices' else 0 for r in runs}
            for n in names}
        cursor = Transaction().connection.cursor()
        charge, line = Charge.__table__(), Line.__table__()
        for sub in grouped_slice([r.id for r in runs], CHUNK):
            where = reduce_ids(charge.billing_run, sub)
            if 'invoices' in names:
                cursor.execute(*charge.join(line,
                        condition=charge.invoice_line == line.id).select(
                        charge.billing_run, line.invoice, where=where,
                        group_by=[charge.billing_run, line.invoice]))
                for run, invoice in cursor:
                    result['invoices'][run].append(invoice)
            if 'charge_count' in names:
                cursor.execute(*charge.select(
                        charge.billing_run, Count(charge.id), where=where,
                        group_by=[charge.billing_run]))
                for run, count in cursor:
                    result['charge_count'][run] = count
        if 'invoices' in names:
            for invoices in result['invoices'].values():
                invoices.sort()
        return result

    def _charge_domain(self):
        domain = [
            ('company', '=', self.company.id),
            ('invoice_line', '=', None),
            ('date', '<=', self.date_to),
            ]
        if self.date_from:
            domain.append(('date', '>=', self.date_from))
        if self.kind != 'both':
            domain.append(('kind', '=', self.kind))
        if self.party:
            domain.append(('party', '=', self.party.id))
        return domain

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def process(cls, runs):
        """Invoice the open charges of each run.  The charges are locked
        (SELECT … FOR UPDATE NOWAIT on PostgreSQL) before anything is
        written, so two runs started at once over the same charges
        serialize: the second one is retried and finds them invoiced."""
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        cls.lock(runs)
        cls._check_post_access(runs)
        # ids: a run's charges are tens of thousands
        todo = [(run, Charge.search_ids(run._charge_domain(),
                    order=[('id', 'ASC')])) for run in runs]
        # the configuration all runs need is checked before any charge
        # is invoiced: a run fails whole, never half done
        Charge.check_invoicing([c for _, charges in todo for c in charges])
        for run, charges in todo:
            if not charges:
                continue
            Charge.invoice(charges, post=run.post,
                invoice_date=run.invoice_date, grouping=run.grouping,
                billing_run=run)


    @classmethod
    def _check_post_access(cls, runs):
        """A run with *Post* ticked posts invoices: only users who may
        press the invoice's Post button (the accountants) may run it.
        The others get draft invoices by unticking *Post*."""
        posting = [r for r in runs if r.post]
        if posting and not cls._may_post():
            raise AccessError(gettext(
                    'otwb_bms.msg_billing_run_post_access',
                    run=posting[0].rec_name))


class Accrual(Workflow, ModelSQL, ModelView):
    "Accrual Run"
    __name__ = 'otwb.bms.accrual'
    __string__ = "Accrual"

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_DRAFT)
    date = fields.Date(
        "Period End", required=True, states=_DRAFT,
        help="Charges dated up to this date and not invoiced are accrued "
        "on this date.")
    move = fields.Many2One('account.move', "Move", readonly=True)
    lines = fields.One2Many(
        'otwb.bms.charge', 'accrual', "Accrued Charges", readonly=True)
    revenue = fields.Numeric("Unbilled Revenue", digits=(16, 2),
        readonly=True)
    cost = fields.Numeric("Un-invoiced Cost", digits=(16, 2), readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('posted', "Posted"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('draft', 'posted')}
        cls._buttons.update({
                'post': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @staticmethod
    def _accounts(company):
        pool = Pool()
        Config = pool.get('otwb.configuration')
        Journal = pool.get('account.journal')
        config = Config(1)
        product = config.bms_service_product
        if not (product and config.bms_accrued_revenue_account
                and config.bms_accrued_cost_account):
            raise ValidationError(gettext('otwb_bms.msg_accrual_config'))
        journal = config.bms_accrual_journal
        if not journal:
            journals = Journal.search([('type', '=', 'general')],
                order=[('id', 'ASC')], limit=1)
            if not journals:
                raise ValidationError(gettext('otwb_bms.msg_accrual_config'))
            journal, = journals
        with Transaction().set_context(company=company.id):
            product = product.__class__(product.id)
            revenue = product.account_revenue_used
            expense = product.account_expense_used
        accounts = {
            'journal': journal,
            'receivable': (config.bms_accrued_revenue_account, revenue),
            'payable': (expense, config.bms_accrued_cost_account),
            }
        # customs duties and import taxes are not service revenue: they
        # are accrued on the accounts of the duty product (see duty.py)
        duty_product = getattr(config, 'bms_duty_product', None)
        if duty_product:
            with Transaction().set_context(company=company.id):
                duty_product = duty_product.__class__(duty_product.id)
                accounts['receivable_duty'] = (
                    config.bms_accrued_revenue_account,
                    duty_product.account_revenue_used)
                accounts['payable_duty'] = (
                    duty_product.account_expense_used,
                    config.bms_accrued_cost_account)
        return accounts

    @staticmethod
    def _company_totals(where, company):
        """Totals per kind in the company currency of the charges matching
        the SQL condition ``where`` on the charge table (built with
        ``Charge.__table__()`` passed as ``table``).  Summed in SQL; the
        charges in another currency are grouped by currency, date and
        amount and each converted at the rate of its date, exactly as one
        conversion per charge would."""
        Currency = Pool().get('currency.currency')
        cursor = Transaction().connection.cursor()
        table, condition = where
        currency = company.currency
        totals = defaultdict(Decimal)
        cursor.execute(*table.select(
                table.kind, table.charge_type, Sum(table.amount),
                where=condition & (table.currency == currency.id),
                group_by=[table.kind, table.charge_type]))
        for kind, charge_type, amount in cursor:
            # SQLite sums NUMERIC as float: back to the currency's digits
            totals[_total_key(kind, charge_type)] += currency.round(
                Decimal(str(amount)))
        cursor.execute(*table.select(
                table.kind, table.charge_type, table.currency, table.date,
                table.amount, Count(table.id),
                where=condition & (table.currency != currency.id),
                group_by=[table.kind, table.charge_type, table.currency,
                    table.date, table.amount]))
        for (kind, charge_type, currency_id, date, amount,
                count) in cursor.fetchall():
            kind = _total_key(kind, charge_type)
            if isinstance(date, str):
                date = dt.date.fromisoformat(date)
            with Transaction().set_context(date=date):
                amount = Currency.compute(
                    currency_id, Decimal(str(amount)), currency)
            totals[kind] += amount * count
        return totals

    @staticmethod
    def _move_lines(totals, accounts, reverse=False):
        """Balanced move lines: per kind, debit the first account and
        credit the second with the total (a negative total swaps)."""
        Line = Pool().get('account.move.line')
        lines = []
        for kind in ('receivable', 'receivable_duty', 'payable',
                'payable_duty'):
            amount = totals.get(kind, Decimal(0))
            if not amount:
                continue
            if kind not in accounts:
                raise ValidationError(gettext(
                        'otwb_bms.msg_accrual_duty_product'))
            debit_account, credit_account = accounts[kind]
            if reverse:
                amount = -amount
            for account, debit in ((debit_account, True),
                    (credit_account, False)):
                if (amount > 0) != debit:
                    values = {'debit': Decimal(0), 'credit': abs(amount)}
                else:
                    values = {'debit': abs(amount), 'credit': Decimal(0)}
                lines.append(Line(account=account, **values))
        return lines

    @classmethod
    def _create_move(cls, company, date, accounts, totals, origin,
            description, reverse=False):
        pool = Pool()
        Move = pool.get('account.move')
        Period = pool.get('account.period')
        lines = cls._move_lines(totals, accounts, reverse=reverse)
        if not lines:
            return None
        move = Move(
            company=company, journal=accounts['journal'], date=date,
            period=Period.find(company, date=date), origin=origin,
            description=description, lines=lines)
        move.save()
        Move.post([move])
        return move

    @classmethod
    @ModelView.button
    @Workflow.transition('posted')
    def post(cls, accruals):
        """Post one move per accrual run: Dr accrued revenue / Cr revenue
        for the open receivable charges, Dr expense / Cr accrued costs for
        the open payable charges (company currency at the charge date).
        A charge is accrued once (``Charge.accrual``) and reversed when
        invoiced."""
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        cls.lock(accruals)
        for accrual in accruals:
            accounts = cls._accounts(accrual.company)
            # set-based: one UPDATE marks the open charges (it takes their
            # row locks: a concurrent billing or accrual run over the same
            # charges makes one of the transactions retry on PostgreSQL),
            # then SQL sums
            table = Charge.__table__()
            Charge.sql_update(table, {'accrual': accrual.id},
                (table.company == accrual.company.id)
                & (table.invoice_line == Null) & (table.accrual == Null)
                & (table.date <= accrual.date))
            totals = cls._company_totals(
                (table, table.accrual == accrual.id), accrual.company)
            move = cls._create_move(
                accrual.company, accrual.date, accounts, totals, accrual,
                gettext('otwb_bms.msg_accrual_description',
                    date=accrual.date))
            accrual.move = move
            accrual.revenue = (totals.get('receivable', Decimal(0))
                + totals.get('receivable_duty', Decimal(0)))
            accrual.cost = (totals.get('payable', Decimal(0))
                + totals.get('payable_duty', Decimal(0)))
        cls.save(accruals)

    @classmethod
    def reverse_charges(cls, charges, date):
        """Post the reversal of the accrued amounts of charges just
        invoiced: one new move per accrual run on ``date`` (never before
        the accrual date); the accrual move itself is never changed.
        Set-based: sums and updates in SQL by chunks of ids."""
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        Accrual = pool.get('otwb.bms.accrual')
        cursor = Transaction().connection.cursor()
        table = Charge.__table__()
        ids = sorted({int(c) for c in charges})
        chunks = [reduce_ids(table.id, sub)
            for sub in grouped_slice(ids, CHUNK)]
        accrual_ids = set()
        for chunk in chunks:
            cursor.execute(*table.select(table.accrual,
                    where=chunk & (table.accrual != Null)
                    & (table.accrual_reversal == Null),
                    group_by=[table.accrual]))
            accrual_ids.update(a for a, in cursor)
        for accrual in Accrual.browse(sorted(accrual_ids)):
            accounts = cls._accounts(accrual.company)
            totals = defaultdict(Decimal)
            for chunk in chunks:
                condition = (chunk & (table.accrual == accrual.id)
                    & (table.accrual_reversal == Null))
                for kind, amount in cls._company_totals(
                        (table, condition), accrual.company).items():
                    totals[kind] += amount
            move = cls._create_move(
                accrual.company, max(date, accrual.date), accounts, totals,
                accrual, gettext('otwb_bms.msg_accrual_reversal',
                    date=accrual.date), reverse=True)
            if move:
                for chunk in chunks:
                    Charge.sql_update(table, {'accrual_reversal': move.id},
                        chunk & (table.accrual == accrual.id)
                        & (table.accrual_reversal == Null))


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['otwb.bms.accrual']
