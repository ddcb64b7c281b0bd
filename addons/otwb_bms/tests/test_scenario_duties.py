# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Duties of cross-border orders carried into billing (scenario S5)."""
import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


class DutiesTestCase(unittest.TestCase):
    "Customs duties in billing"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    def setup_data(self):
        self.data = demo_data.load(size=1)
        return Transaction().set_context(company=self.data.company.id)

    def ship(self, sale):
        "Pick (device tasks) and pack the shipments of the sale"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        while True:
            task = Task.claim_next('AGV-01', ['pick'])
            if not task:
                break
            Task.complete('AGV-01', task['id'])
        shipments = Shipment.browse([s.id for s in sale.shipments])
        Shipment.otwb_pack([s for s in shipments if s.state == 'picked'])
        return Shipment.browse([s.id for s in sale.shipments])

    def duty_accounts(self):
        """Duties recharged (revenue) and paid (expense) accounts on the
        accounting category of the duty product, without taxes"""
        pool = Pool()
        Account = pool.get('account.account')
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Config = pool.get('otwb.configuration')
        ModelData = pool.get('ir.model.data')
        revenue, = Account.search([('type.revenue', '=', True),
                ('closed', '!=', True)], limit=1)
        expense, = Account.search([('type.expense', '=', True),
                ('closed', '!=', True)], limit=1)
        recharged, paid = Account.create([{
                    'name': "Duties recharged", 'code': '4.9.1',
                    'company': self.data.company.id,
                    'type': revenue.type.id, 'parent': revenue.parent.id,
                    }, {
                    'name': "Duties paid", 'code': '5.9.1',
                    'company': self.data.company.id,
                    'type': expense.type.id, 'parent': expense.parent.id,
                    }])
        category, = Category.create([{
                    'name': "Customs duties", 'accounting': True,
                    'account_revenue': recharged.id,
                    'account_expense': paid.id}])
        template, = Template.create([{
                    'name': "Customs duties (disbursement)",
                    'type': 'service',
                    'default_uom': ModelData.get_id('product', 'uom_unit'),
                    'list_price': Decimal(0),
                    'account_category': category.id,
                    'products': [('create', [{}])]}])
        config = Config(1)
        config.bms_duty_product, = template.products
        config.save()
        return recharged, paid

    @with_transaction()
    def test_duties_invoiced_on_their_account(self):
        """Packing the USD order to New York bills its 21.00 USD of duties
        to the customer and to the customs agent; the invoices post them on
        the duty accounts, without VAT, in balanced moves"""
        from trytond.modules.otwb_oms.tests.test_scenario_customs import (
            setup_customs,
            shopify_payload,
            submit,
        )
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        Event = pool.get('otwb.bms.event')
        Party = pool.get('party.party')
        Agent = pool.get('customs.agent')
        Selection = pool.get('customs.agent.selection')
        Identifier = pool.get('party.identifier')
        with self.setup_data():
            ns = setup_customs(self.data)
            broker, = Party.create([{'name': "Pacific Customs Brokers",
                        'addresses': [('create', [{'city': "New York"}])]}])
            identifier, = Identifier.create([{'party': broker.id,
                        'type': 'us_ein', 'code': '12-3456789'}])
            agent, = Agent.create([{'party': broker.id,
                        'address': broker.addresses[0].id,
                        'tax_identifier': identifier.id}])
            Selection.create([{'company': self.data.company.id,
                        'from_country': ns.countries['CN'].id,
                        'to_country': ns.countries['US'].id,
                        'agent': agent.id}])
            recharged, paid = self.duty_accounts()

            intake, = submit(shopify_payload('SH-B1', [
                        ('SKU-0001', 2, '100.00'),
                        ('SKU-0002', 3, '50.00')]))
            sale, = intake.sales
            shipment, = self.ship(sale)
            self.assertEqual(shipment.state, 'packed')

            event, = Event.search([('activity', '=', 'customs_duty')])
            self.assertEqual((event.source, event.state, event.dest_country,
                    event.origin_country, event.declared_value),
                (shipment, 'rated', 'US', 'CN', Decimal('350.00')))
            receivable, = [c for c in event.charges
                if c.kind == 'receivable']
            payable, = [c for c in event.charges if c.kind == 'payable']
            # 15.00 (7.5 % of 200.00) + 6.00 (3 × 2.00) = 21.00 USD
            self.assertEqual(
                (receivable.charge_type, receivable.party, receivable.amount,
                    receivable.currency.code, receivable.code),
                ('duty', sale.party, Decimal('21.00'), 'USD', 'US'))
            self.assertEqual((payable.party, payable.amount),
                (broker, Decimal('21.00')))
            self.assertIn('HS 6109.10', receivable.explanation)
            self.assertIn('7.5 % of 200.00 USD = 15.00',
                receivable.explanation)
            self.assertIn('3 u × 2.00 USD/u', receivable.explanation)
            # packing again (or re-rating) bills nothing more
            Event.capture_duties([shipment])
            Event.rerate([event])
            self.assertEqual(Charge.search_count(
                    [('charge_type', '=', 'duty')]), 2)

            charges = Charge.search([
                    ('party', 'in', [sale.party.id, broker.id]),
                    ('invoice_line', '=', None)])
            invoices = Charge.invoice(charges)
            customer_invoice, = [i for i in invoices if i.type == 'out']
            supplier_invoice, = [i for i in invoices if i.type == 'in']
            # the customer is invoiced in the company currency: 21.00 USD
            # at 0.1389 USD per CNY = 151.1879 -> 151.19 CNY
            duty_line, = [line for line in customer_invoice.lines
                if line.origin == receivable]
            self.assertEqual(
                (duty_line.account, duty_line.amount, duty_line.taxes),
                (recharged, Decimal('151.19'), ()))
            others = [line for line in customer_invoice.lines
                if line != duty_line]
            self.assertTrue(others)  # outbound handling, with its VAT
            self.assertEqual(customer_invoice.tax_amount, sum(
                    (t.amount for t in customer_invoice.taxes), Decimal(0)))
            self.assertEqual(customer_invoice.untaxed_amount,
                Decimal('151.19') + sum(
                    (line.amount for line in others), Decimal(0)))
            move = customer_invoice.move
            self.assertEqual(move.state, 'posted')
            debit = sum(line.debit for line in move.lines)
            credit = sum(line.credit for line in move.lines)
            self.assertEqual(debit, credit)
            self.assertEqual(debit, customer_invoice.total_amount)
            duty_moves = [(line.debit, line.credit) for line in move.lines
                if line.account == recharged]
            self.assertEqual(duty_moves, [(Decimal(0), Decimal('151.19'))])

            # the broker's bill, in the charge currency (no billing
            # currency on the broker): 21.00 USD, no VAT; its move in CNY:
            # Dr duties paid 151.19 / Cr payable 151.19
            self.assertEqual(
                (supplier_invoice.party, supplier_invoice.currency.code,
                    supplier_invoice.total_amount,
                    supplier_invoice.tax_amount),
                (broker, 'USD', Decimal('21.00'), Decimal(0)))
            move = supplier_invoice.move
            self.assertEqual(sorted(
                    (line.account == paid, line.debit, line.credit)
                    for line in move.lines), [
                    (False, Decimal(0), Decimal('151.19')),
                    (True, Decimal('151.19'), Decimal(0))])

    @with_transaction()
    def test_duty_needs_its_account(self):
        "Invoicing a duty charge without the duty product fails cleanly"
        from trytond.modules.otwb_oms.tests.test_scenario_customs import (
            setup_customs,
            shopify_payload,
            submit,
        )
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        Invoice = pool.get('account.invoice')
        with self.setup_data():
            setup_customs(self.data)
            intake, = submit(shopify_payload('SH-B2', [
                        ('SKU-0001', 2, '100.00')]))
            sale, = intake.sales
            self.ship(sale)
            duty, = Charge.search([('charge_type', '=', 'duty')])
            self.assertEqual(duty.amount, Decimal('15.00'))
            with self.assertRaises(ValidationError):
                Charge.invoice([duty])
            self.assertEqual(Invoice.search_count([]), 0)
            self.assertIsNone(Charge(duty.id).invoice_line)
