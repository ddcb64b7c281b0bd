# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fulfilment rules and holds on the demo data set."""
import unittest
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


def payload(external_id, **changes):
    "An API order of 2 × SKU-0001 at 99.00, on invoice (not prepaid)"
    result = flow.demo_payload(external_id, 'API')
    result['lines'] = [
        {'sku': 'SKU-0001', 'quantity': 2, 'unit_price': '99.00'}]
    result['payment'] = {'method': 'invoice', 'paid_amount': '0'}
    result.update(changes)
    return result


class RulesHoldsTestCase(unittest.TestCase):
    "Fulfilment rules and holds"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    def submit(self, *payloads):
        pool = Pool()
        Intake = pool.get('otwb.oms.intake')
        results = Intake.submit(list(payloads))
        flow.run_queue()
        return [Intake(r['intake']) for r in results]

    def stock(self, warehouse, product, quantity):
        "Put quantity of product in the first bin of the warehouse"
        pool = Pool()
        Inventory = pool.get('stock.inventory')
        Product = pool.get('product.product')
        bin_ = self.data.warehouses[warehouse + '_bins'][0]
        with Transaction().set_context(locations=[bin_.id]):
            current = Product(product.id).quantity
        inventory, = Inventory.create([{
                    'location': bin_.id,
                    'lines': [('create', [{
                                    'product': product.id,
                                    'quantity': current + quantity}])]}])
        Inventory.confirm([inventory])

    def setup_data(self):
        self.data = demo_data.load(size=1)
        return Transaction().set_context(company=self.data.company.id)

    @with_transaction()
    def test_rule_routes_to_its_warehouse(self):
        "A rule for Guangdong sends the order to the Guangzhou DC"
        pool = Pool()
        Rule = pool.get('otwb.oms.fulfilment.rule')
        Subdivision = pool.get('country.subdivision')
        with self.setup_data():
            self.stock('CAN', self.data.products['SKU-0001'], 10)
            guangdong, = Subdivision.search([('code', '=', 'CN-GD')])
            Rule.create([{
                        'name': "South China from Guangzhou",
                        'sequence': 10, 'subdivision': guangdong.id,
                        'action': 'allocate', 'policy': 'single',
                        'warehouses': [('create', [{
                                        'warehouse':
                                        self.data.warehouses['CAN'].id}])],
                        }])
            south = payload('R-1', shipping_address={
                    'name': "Zhou Min", 'street': "8 Shennan Road",
                    'city': "Shenzhen", 'postal_code': '518000',
                    'country': 'CN', 'subdivision': 'CN-GD',
                    'latitude': 22.54, 'longitude': 114.06})
            east = payload('R-2')  # Hangzhou: no rule, channel order
            intake_south, intake_east = self.submit(south, east)
            sale, = intake_south.sales
            self.assertEqual(sale.warehouse.code, 'CAN')
            self.assertEqual(sale.state, 'processing')
            sale, = intake_east.sales
            self.assertEqual(sale.warehouse.code, 'SHA')

    @with_transaction()
    def test_hold_rule_then_release(self):
        "Same-day orders are held by a rule until released"
        pool = Pool()
        Rule = pool.get('otwb.oms.fulfilment.rule')
        Hold = pool.get('otwb.oms.hold')
        with self.setup_data():
            Rule.create([{
                        'name': "Check same-day orders", 'sequence': 5,
                        'service_level': 'same_day', 'action': 'hold',
                        'hold_reason': "Same-day needs a dispatcher"}])
            intake, = self.submit(payload('H-1', service_level='same_day'))
            sale, = intake.sales
            self.assertEqual(sale.state, 'draft')
            self.assertEqual(sale.shipments, ())
            hold, = Hold.search([('sale', '=', sale.id)])
            self.assertEqual(
                (hold.code, hold.state, hold.message),
                ('rule', 'open', "Same-day needs a dispatcher"))
            self.assertIn('held', [e.type for e in sale.otwb_events])

            Hold.release([hold])
            sale = pool.get('sale.sale')(sale.id)
            self.assertEqual(sale.state, 'processing')
            shipment, = sale.shipments
            self.assertEqual(shipment.state, 'assigned')
            self.assertEqual(Hold(hold.id).state, 'released')
            self.assertIn('released', [e.type for e in sale.otwb_events])

    @with_transaction()
    def test_credit_limit_hold_and_cancel(self):
        "An order above the customer's credit limit is held; cancel it"
        pool = Pool()
        Party = pool.get('party.party')
        Hold = pool.get('otwb.oms.hold')
        with self.setup_data():
            customer = self.data.customers[0]
            Party.write([customer], {'otwb_credit_limit': Decimal('150')})
            order = payload('C-1', customer={
                    'name': customer.name,
                    'email': 'customer000@example.cn'})
            # 2 × 99.00 = 198.00 > 150.00 credit limit
            intake, = self.submit(order)
            sale, = intake.sales
            self.assertEqual(sale.party, customer)
            self.assertEqual(sale.untaxed_amount, Decimal('198.00'))
            hold, = Hold.search([('sale', '=', sale.id)])
            self.assertEqual(hold.code, 'credit_limit')
            Hold.cancel_order([hold])
            self.assertEqual(pool.get('sale.sale')(sale.id).state,
                'cancelled')
            self.assertEqual(Hold(hold.id).state, 'cancelled')

    @with_transaction()
    def test_out_of_stock_hold(self):
        "An order no warehouse can fill is held as out of stock"
        pool = Pool()
        Hold = pool.get('otwb.oms.hold')
        with self.setup_data():
            order = payload('S-1', lines=[
                    {'sku': 'SKU-0001', 'quantity': 5000,
                        'unit_price': '1.00'}])
            intake, = self.submit(order)
            # split policy: what the warehouses hold is allocated, the rest
            # stays on the first sale; every part is held, none confirmed
            self.assertGreaterEqual(len(intake.sales), 1)
            for sale in intake.sales:
                codes = {h.code
                    for h in Hold.search([('sale', '=', sale.id)])}
                self.assertEqual(codes, {'out_of_stock'})
                self.assertEqual(sale.state, 'draft')
            self.assertEqual(sum(line.quantity for sale in intake.sales
                    for line in sale.lines), 5000)
