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
