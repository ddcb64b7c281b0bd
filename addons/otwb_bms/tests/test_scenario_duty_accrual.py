# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Customs duty charges are accrued on the duty product's accounts, not as
service revenue."""
import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import balanced, card, d, event, setup_billing


def _by_account(move):
    result = {}
    for line in move.lines:
        result[line.account.id] = result.get(line.account.id, Decimal(0)) \
            + line.debit - line.credit
    return result


class DutyAccrualScenarioTestCase(unittest.TestCase):
    "Duty accruals"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_bms'])

    def _duty_product(self, ns):
        pool = Pool()
        Account = pool.get('account.account')
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Config = pool.get('otwb.configuration')
        recharged, paid = Account.create([{
                    'name': "Duties recharged", 'code': '4.9.1',
                    'company': ns.company.id,
                    'type': ns.revenue.type.id,
                    'parent': ns.revenue.parent.id,
                    }, {
                    'name': "Duties paid", 'code': '5.9.1',
                    'company': ns.company.id,
                    'type': ns.expense.type.id,
                    'parent': ns.expense.parent.id,
                    }])
        category, = Category.create([{
                    'name': "Customs duties", 'accounting': True,
                    'account_revenue': recharged.id,
                    'account_expense': paid.id}])
        template, = Template.create([{
                    'name': "Customs duties (disbursement)",
                    'type': 'service',
                    'default_uom': ns.product.default_uom.id,
                    'list_price': Decimal(0),
                    'account_category': category.id,
                    'products': [('create', [{}])]}])
        config = Config(1)
        config.bms_duty_product, = template.products
        config.save()
        return recharged, paid

    def _events(self, ns):
        card("Customer", 'receivable', ns.cny, [{
                    'sequence': 10, 'charge_type': 'freight',
                    'method': 'flat', 'rate': Decimal('100.00')}, {
                    'sequence': 20, 'charge_type': 'duty',
                    'method': 'flat', 'rate': Decimal('50.00')}])
        card("Agent", 'payable', ns.cny, [{
                    'charge_type': 'duty', 'method': 'flat',
                    'rate': Decimal('45.00')}], party=ns.carrier)
        event(customer=ns.customer, carrier=ns.carrier, date=d(1, 20))

    @with_transaction()
    def test_duties_accrued_on_duty_accounts(self):
        pool = Pool()
        Accrual = pool.get('otwb.bms.accrual')
        Charge = pool.get('otwb.bms.charge')
        ns = setup_billing()
        with Transaction().set_context(company=ns.company.id):
            recharged, paid = self._duty_product(ns)
            self._events(ns)
            accrual, = Accrual.create([{'date': d(1, 31)}])
            Accrual.post([accrual])
            # receivable: freight 100.00 + duty 50.00 = 150.00;
            # payable: duty 45.00
            self.assertEqual((accrual.revenue, accrual.cost),
                (Decimal('150.00'), Decimal('45.00')))
            self.assertTrue(balanced(accrual.move))
            self.assertEqual(_by_account(accrual.move), {
                    ns.accrued_revenue.id: Decimal('150.00'),
                    ns.revenue.id: Decimal('-100.00'),
                    recharged.id: Decimal('-50.00'),
                    paid.id: Decimal('45.00'),
                    ns.accrued_cost.id: Decimal('-45.00'),
                    })
            # invoicing reverses it on the same accounts
            charges = Charge.search([])
            Charge.invoice(charges, invoice_date=d(2, 5))
            reversal, = {c.accrual_reversal for c in Charge.search([])}
            self.assertEqual(_by_account(reversal), {
                    ns.accrued_revenue.id: Decimal('-150.00'),
                    ns.revenue.id: Decimal('100.00'),
                    recharged.id: Decimal('50.00'),
                    paid.id: Decimal('-45.00'),
                    ns.accrued_cost.id: Decimal('45.00'),
                    })

    @with_transaction()
    def test_duty_accrual_needs_duty_product(self):
        pool = Pool()
        Accrual = pool.get('otwb.bms.accrual')
        ns = setup_billing()
        with Transaction().set_context(company=ns.company.id):
            self._events(ns)
            accrual, = Accrual.create([{'date': d(1, 31)}])
            with self.assertRaises(ValidationError) as cm:
                Accrual.post([accrual])
            self.assertIn('duty product', str(cm.exception))

    @with_transaction()
    def test_billing_run_checks_duty_config_first(self):
        """A billing run with customs charges and no duty product (or one
        without the account needed) fails naming what is missing before
        any charge is invoiced: no invoice, every charge still open"""
        pool = Pool()
        Run = pool.get('otwb.bms.billing_run')
        Charge = pool.get('otwb.bms.charge')
        Invoice = pool.get('account.invoice')
        Category = pool.get('product.category')
        ns = setup_billing()
        with Transaction().set_context(company=ns.company.id):
            self._events(ns)
            run, = Run.create([{'kind': 'both', 'date_to': d(1, 31),
                        'invoice_date': d(2, 1), 'post': True}])

            def unchanged():
                self.assertEqual(Invoice.search_count([]), 0)
                self.assertEqual(sorted(
                        (c.kind, c.charge_type, c.amount, c.state,
                            c.billing_run) for c in Charge.search([])), [
                        ('payable', 'duty', Decimal('45.00'), 'open', None),
                        ('receivable', 'duty', Decimal('50.00'), 'open',
                            None),
                        ('receivable', 'freight', Decimal('100.00'), 'open',
                            None)])
                self.assertEqual(Run(run.id).state, 'draft')

            with self.assertRaises(ValidationError) as cm:
                Run.process([run])
            message = str(cm.exception)
            self.assertIn('customs duty product is not set', message)
            self.assertIn('"duty"', message)
            self.assertIn('Nothing was invoiced', message)
            unchanged()

            # the duty product without its expense account ("duties
            # paid"): the agent's duty cannot be invoiced
            recharged, paid = self._duty_product(ns)
            category = pool.get('otwb.configuration')(
                1).bms_duty_product.account_category
            Category.write([category], {'account_expense': None})
            with self.assertRaises(ValidationError) as cm:
                Run.process([Run(run.id)])
            message = str(cm.exception)
            self.assertIn('payable "duty"', message)
            self.assertIn('"Customs duties (disbursement)"', message)
            self.assertIn('expense account', message)
            unchanged()

            Category.write([category], {'account_expense': paid.id})
            Run.process([Run(run.id)])
            customer, = Invoice.search([('type', '=', 'out')])
            agent, = Invoice.search([('type', '=', 'in')])
            # freight 100.00 + VAT 6 % 6.00 + duty 50.00 (no VAT)
            self.assertEqual(
                (customer.untaxed_amount, customer.tax_amount,
                    customer.total_amount, customer.state),
                (Decimal('150.00'), Decimal('6.00'), Decimal('156.00'),
                    'posted'))
            self.assertEqual((agent.total_amount, agent.tax_amount),
                (Decimal('45.00'), Decimal(0)))
            self.assertEqual(Charge.search_count([('state', '=', 'open')]), 0)

    @with_transaction()
    def test_import_vat_13_on_cif_plus_duty(self):
        """Goods imported into China: duty 10 % of the CIF value, import
        VAT 13 % of (CIF value + duty), priced by the customer's rate card
        and invoiced on the duty product's account, without output VAT"""
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        ns = setup_billing()
        with Transaction().set_context(company=ns.company.id):
            recharged, _ = self._duty_product(ns)
            card("Import clearance CN", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'duty',
                        'method': 'percentage', 'percent': Decimal('10'),
                        'base': 'declared_value', 'dest_country': 'CN'}, {
                        'sequence': 20, 'charge_type': 'tax',
                        'code': 'import_vat', 'method': 'percentage',
                        'percent': Decimal('13'),
                        'base': 'declared_value, duty',
                        'dest_country': 'CN'}], party=ns.customer)
            ev = event(activity='customs_clearance', customer=ns.customer,
                dest_country='CN', origin_country='DE',
                declared_value=Decimal('1000.00'), date=d(1, 20))
            # CIF 1,000.00; duty 10 % = 100.00; VAT 13 % x 1,100.00 =
            # 143.00
            self.assertEqual(sorted(
                    (c.charge_type, c.code, c.amount) for c in ev.charges),
                [('duty', None, Decimal('100.00')),
                    ('tax', 'import_vat', Decimal('143.00'))])
            vat, = [c for c in ev.charges if c.charge_type == 'tax']
            self.assertIn('13% of declared_value+duty 1100.00',
                vat.explanation)
            # another destination: no Chinese import duty nor VAT
            other = event(activity='customs_clearance', customer=ns.customer,
                dest_country='US', declared_value=Decimal('1000.00'),
                date=d(1, 20))
            self.assertEqual(other.charges, ())

            invoice, = Charge.invoice(list(ev.charges), invoice_date=d(2, 1))
            self.assertEqual(
                sorted((line.account, line.amount, line.taxes)
                    for line in invoice.lines),
                [(recharged, Decimal('100.00'), ()),
                    (recharged, Decimal('143.00'), ())])
            self.assertEqual((invoice.total_amount, invoice.tax_amount),
                (Decimal('243.00'), Decimal(0)))
            self.assertTrue(balanced(invoice.move))
