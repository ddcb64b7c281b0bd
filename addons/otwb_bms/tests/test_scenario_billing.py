# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Billing runs and period-end accrual runs with their reversals."""
import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import balanced, card, d, event, setup_billing


def _snapshot(move):
    return (move.state, sorted((line.account.id, line.debit, line.credit)
            for line in move.lines))


def _balance(account, moves):
    return sum((line.debit - line.credit for move in moves
            for line in move.lines if line.account == account), Decimal(0))


class BillingScenarioTestCase(unittest.TestCase):
    "Billing and accrual runs"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_bms'])

    def _cards(self, ns):
        card("Customer", 'receivable', ns.cny, [{
                    'charge_type': 'freight', 'method': 'flat',
                    'rate': Decimal('100.00')}])
        card("Carrier", 'payable', ns.cny, [{
                    'charge_type': 'freight', 'method': 'flat',
                    'rate': Decimal('60.00')}], party=ns.carrier)

    @with_transaction()
    def test_billing_and_accrual_runs(self):
        pool = Pool()
        Run = pool.get('otwb.bms.billing_run')
        Accrual = pool.get('otwb.bms.accrual')
        Charge = pool.get('otwb.bms.charge')
        Move = pool.get('account.move')
        ns = setup_billing()
        with Transaction().set_context(company=ns.company.id):
            self._cards(ns)
            event(customer=ns.customer, date=d(1, 20))   # R 100.00
            event(carrier=ns.carrier, date=d(1, 25))     # P 60.00
            event(customer=ns.customer, date=d(2, 10))   # R 100.00

            january, = Accrual.create([{'date': d(1, 31)}])
            Accrual.post([january])
            # open on 01-31: receivable 100.00, payable 60.00
            self.assertEqual((january.revenue, january.cost),
                (Decimal('100.00'), Decimal('60.00')))
            jan_move = january.move
            self.assertEqual(jan_move.state, 'posted')
            self.assertTrue(balanced(jan_move))
            # Dr unbilled 100 / Cr revenue 100; Dr expense 60 / Cr accrued
            # costs 60
            self.assertEqual(_snapshot(jan_move)[1], sorted([
                        (ns.accrued_revenue.id, Decimal('100.00'), 0),
                        (ns.revenue.id, 0, Decimal('100.00')),
                        (ns.expense.id, Decimal('60.00'), 0),
                        (ns.accrued_cost.id, 0, Decimal('60.00'))]))
            before = _snapshot(jan_move)

            run, again = Run.create([{
                        'kind': 'receivable', 'date_to': d(1, 31),
                        'invoice_date': d(2, 5)}, {
                        'kind': 'receivable', 'date_to': d(1, 31),
                        'invoice_date': d(2, 5)}])
            Run.process([run])
            Run.process([again])
            run, again = Run(run.id), Run(again.id)
            invoice, = run.invoices
            # one charge of 100.00 + VAT 6 % 6.00 = 106.00, posted
            self.assertEqual((invoice.untaxed_amount, invoice.tax_amount,
                    invoice.total_amount, invoice.state),
                (Decimal('100.00'), Decimal('6.00'), Decimal('106.00'),
                    'posted'))
            self.assertEqual((run.charge_count, run.state), (1, 'done'))
            # the second run over the same period finds nothing to bill
            self.assertEqual((again.charge_count, again.invoices),
                (0, ()))
            self.assertEqual(
                Charge.search_count([('invoice_line', '!=', None)]), 1)

            # the invoiced charge's accrual is reversed by a new move on
            # the invoice date; the January move is unchanged
            reversal, = Move.search([('origin', '=', str(january)),
                    ('id', '!=', jan_move.id)])
            self.assertEqual(reversal.date, d(2, 5))
            self.assertEqual(reversal.state, 'posted')
            self.assertTrue(balanced(reversal))
            self.assertEqual(_snapshot(reversal)[1], sorted([
                        (ns.accrued_revenue.id, 0, Decimal('100.00')),
                        (ns.revenue.id, Decimal('100.00'), 0)]))
            self.assertEqual(_snapshot(Move(jan_move.id)), before)

            february, = Accrual.create([{'date': d(2, 28)}])
            Accrual.post([february])
            # still open: P 60.00 (accrued in January, not again) and the
            # R 100.00 of 02-10
            self.assertEqual((february.revenue, february.cost),
                (Decimal('100.00'), Decimal('0')))

            payable, = Run.create([{'kind': 'payable', 'date_to': d(2, 28),
                        'party': ns.carrier.id, 'invoice_date': d(3, 2)}])
            Run.process([payable])
            supplier_invoice, = Run(payable.id).invoices
            # 60.00 + VAT 6 % 3.60 = 63.60
            self.assertEqual((supplier_invoice.type,
                    supplier_invoice.total_amount), ('in', Decimal('63.60')))

            moves = Move.search([('origin', 'like', 'otwb.bms.accrual,%')])
            self.assertEqual(len(moves), 4)  # Jan, R reversal, Feb, P rev.
            for move in moves:
                self.assertEqual(move.state, 'posted')
                self.assertTrue(balanced(move))
            # unbilled revenue = 100 - 100 + 100 = 100.00 (02-10 charge,
            # still open); accrued costs = -60 + 60 = 0
            self.assertEqual(_balance(ns.accrued_revenue, moves),
                Decimal('100.00'))
            self.assertEqual(_balance(ns.accrued_cost, moves), Decimal(0))

    @with_transaction()
    def test_lines_per_charge_type(self):
        pool = Pool()
        Run = pool.get('otwb.bms.billing_run')
        Charge = pool.get('otwb.bms.charge')
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            self._cards(ns)
            for day in (3, 4, 5):
                event(customer=ns.customer, date=d(3, day))
            run, = Run.create([{'kind': 'receivable', 'date_to': d(3, 31),
                        'invoice_date': d(4, 1),
                        'grouping': 'charge_type'}])
            Run.process([run])
            invoice, = Run(run.id).invoices
            line, = invoice.lines
            # 3 freight charges × 100.00 = 300.00 on one line; VAT 18.00
            self.assertEqual((line.unit_price, invoice.tax_amount),
                (Decimal('300.00'), Decimal('18.00')))
            self.assertIn('3 charges', line.description)
            charges = Charge.search([])
            self.assertEqual({c.invoice_line for c in charges}, {line})

    @with_transaction()
    def test_accrual_needs_accounts(self):
        pool = Pool()
        Accrual = pool.get('otwb.bms.accrual')
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            accrual, = Accrual.create([{'date': d(1, 31)}])
            with self.assertRaises(ValidationError):
                Accrual.post([accrual])
