# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The customer statement: invoices of the period, older ones still to
pay, and the balance the customer owes (flat ODT rendered by relatorio)."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from otwb_tools.testing import check_document, odt_text

from .tools import d, setup_billing

# the documents' text is read from the ODT (PDF when LibreOffice is
# installed: tests/test_documents_pdf.py)
ODT = {'otwb_report_format': 'odt'}


class StatementScenarioTestCase(unittest.TestCase):
    "Customer statement"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_bms'])

    def _invoice(self, ns, party, date, amount, term=None, post=True):
        "A customer invoice of amount + 6 % VAT on the date"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        invoice = Invoice(company=ns.company, party=party, type='out',
            currency=ns.cny, invoice_date=date)
        invoice.on_change_type()
        invoice.on_change_party()
        invoice.payment_term = term
        # as if posted on its date (the payment term counts from it)
        invoice.payment_term_date = date
        line = Line(invoice=invoice, company=ns.company, currency=ns.cny,
            type='line', product=ns.product, quantity=1,
            unit=ns.product.default_uom, party=party, invoice_type='out')
        line.on_change_product()
        line.unit_price = Decimal(amount)
        invoice.lines = [line]
        invoice.save()
        Invoice.update_taxes([invoice])
        if post:
            Invoice.post([invoice])
        return Invoice(invoice.id)

    def _pay(self, invoice, method, amount, date):
        "Pay amount on the date; paid in full: reconciled and paid"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.move.line')
        full = invoice.amount_to_pay == Decimal(amount)
        lines = invoice.pay_invoice(Decimal(amount), method, date)
        if full:
            Line.reconcile(lines + [line for line in invoice.lines_to_pay
                    if not line.reconciliation])
            # what the queued task does after the reconciliation
            Invoice.process([invoice])
        return Invoice(invoice.id)

    @with_transaction(context=ODT)
    def test_statement_of_a_customer(self):
        pool = Pool()
        Account = pool.get('account.account')
        Journal = pool.get('account.journal')
        Method = pool.get('account.invoice.payment.method')
        Term = pool.get('account.invoice.payment_term')
        Date = pool.get('ir.date')
        Statement = pool.get(
            'otwb.bms.party.customer_statement', type='report')
        ns = setup_billing(with_accruals=False)
        # (due dates of 2026 in the past of the test run: no warning)
        with Transaction().set_context(
                company=ns.company.id, _skip_warnings=True):
            cash, = Account.search([('code', '=', '1.1.1')], limit=1)
            journal, = Journal.search([('type', '=', 'cash')], limit=1)
            method, = Method.create([{
                        'name': "Bank transfer", 'journal': journal.id,
                        'credit_account': cash.id, 'debit_account': cash.id,
                        'company': ns.company.id}])
            days30, = Term.create([{'name': "30 days", 'lines': [
                            ('create', [{'type': 'remainder',
                                        'relativedeltas': [('create', [{
                                                        'days': 30}])]}])]}])
            customer = ns.customer
            # (invoices numbered in the order of their dates)
            # before the period: paid (left out) and still to pay (listed)
            paid_before = self._invoice(ns, customer, d(3, 10), '1000')
            open_before = self._invoice(ns, customer, d(4, 5), '500')
            # in the period: part paid, open on 30 days, paid
            part = self._invoice(ns, customer, d(5, 10), '1000')
            # left out: a draft, another customer, after the period
            self._invoice(ns, customer, d(6, 1), '800', post=False)
            other = self._invoice(ns, ns.carrier, d(6, 1), '900')
            term = self._invoice(ns, customer, d(6, 20), '200', term=days30)
            paid = self._invoice(ns, customer, d(7, 15), '300')
            after = self._invoice(ns, customer, d(9, 1), '700')
            paid_before = self._pay(paid_before, method, '1060', d(3, 20))
            self.assertEqual(paid_before.state, 'paid')
            part = self._pay(part, method, '600', d(5, 30))
            self.assertEqual(part.amount_to_pay, Decimal('460.00'))
            paid = self._pay(paid, method, '318', d(7, 20))
            self.assertEqual(paid.state, 'paid')

            ext, content, _, _ = Statement.execute([customer.id], {
                    'from_date': d(5, 1), 'to_date': '2026-08-31'})
            check_document(self, Statement, [customer.id], {
                    'from_date': d(5, 1), 'to_date': '2026-08-31'})
            self.assertEqual(ext, 'odt')
            text = odt_text(content)
            self.assertIn('Customer: Hangzhou Trading', text)
            self.assertIn('Company: %s' % ns.company.rec_name, text)
            self.assertIn('Hangzhou', text)
            self.assertIn('Period: 05/01/2026 - 08/31/2026', text)
            cells = [c.strip() for c in text.split('|')]
            start = cells.index('To pay') + 1
            end = cells.index('Currency')
            rows = [cells[i:i + 5] for i in range(start, end, 5)]
            # not listed: paid before the period, after it, the draft and
            # the other party's
            self.assertEqual(rows, [
                    [open_before.number, '04/05/2026', '04/05/2026',
                        '¥530.00', '¥530.00'],
                    [part.number, '05/10/2026', '05/10/2026',
                        '¥1,060.00', '¥460.00'],
                    [term.number, '06/20/2026', '07/20/2026',
                        '¥212.00', '¥212.00'],
                    [paid.number, '07/15/2026', '07/15/2026',
                        '¥318.00', '¥0.00'],
                    ])
            self.assertNotIn(paid_before.number, [r[0] for r in rows])
            self.assertEqual((after.state, other.state), ('posted', 'posted'))
            # 530 + 1060 + 212 + 318 invoiced; 530 + 460 + 212 to pay
            self.assertEqual(cells[end:end + 6], ['Currency', 'Invoiced',
                    'Balance to pay', 'CNY', '¥2,120.00', '¥1,202.00'])

            # the print wizard of the party form: the period chosen there
            # reaches the report (June only: the invoice of June and the
            # older ones still to pay)
            Print = pool.get('otwb.bms.party.customer_statement.print',
                type='wizard')
            session_id, _, _ = Print.create()
            with Transaction().set_context(active_model='party.party',
                    active_id=customer.id, active_ids=[customer.id]):
                defaults = Print.execute(session_id, {}, 'start')
                self.assertEqual(defaults['view']['defaults']['to_date'],
                    Date.today())
                result = Print.execute(session_id, {'start': {
                            'from_date': d(6, 1), 'to_date': d(6, 30)}},
                    'print_')
            Print.delete(session_id)
            (action, data), = result['actions']
            self.assertEqual(action['report_name'],
                'otwb.bms.party.customer_statement')
            self.assertEqual(data['ids'], [customer.id])
            ext, content, _, _ = Statement.execute(data['ids'], data)
            text = odt_text(content)
            self.assertIn('Period: 06/01/2026 - 06/30/2026', text)
            cells = [c.strip() for c in text.split('|')]
            start = cells.index('To pay') + 1
            end = cells.index('Currency')
            # June's invoice and the older ones still to pay; not July's
            self.assertEqual(cells[start:end:5],
                [open_before.number, part.number, term.number])
            # 530 + 1060 + 212 invoiced; 530 + 460 + 212 to pay
            self.assertEqual(cells[end + 3:end + 6],
                ['CNY', '¥1,802.00', '¥1,202.00'])

            # by default the last 90 days up to today
            self.assertEqual(Statement.period({}), (
                    Date.today() - dt.timedelta(days=90), Date.today()))
