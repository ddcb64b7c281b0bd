# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Allocation reads on hand - reserved - safety stock, and the orders of
one batch do not promise the same units twice.

The concurrent case (several worker processes, the last units) is in
tests/test_concurrency_pg.py."""
import unittest

from trytond.model.exceptions import DomainValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


def payload(external_id, quantity, n):
    result = flow.demo_payload(external_id, 'API')
    result['customer'] = {'name': "Buyer %d" % n,
        'email': 'safety%d@example.cn' % n}
    result['lines'] = [
        {'sku': 'SAFE-1', 'quantity': quantity, 'unit_price': '10.00'}]
    result['payment'] = {'method': 'invoice', 'paid_amount': '0'}
    return result


class StockControlTestCase(unittest.TestCase):
    "Safety stock and in-batch allocation"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    def setup_data(self):
        self.data = demo_data.load(size=1)
        return Transaction().set_context(company=self.data.company.id)

    def setup_product(self):
        "SAFE-1 with 10 units in Shanghai and 10 in Guangzhou"
        pool = Pool()
        Template = pool.get('product.template')
        Inventory = pool.get('stock.inventory')
        sku, = Template.search([('code', '=', 'SKU-0001')])
        template, = Template.copy([sku], default={
                'name': "Safety", 'code': 'SAFE-1'})
        self.product, = template.products
        for code in ['SHA', 'CAN']:
            bin_ = self.data.warehouses[code + '_bins'][0]
            inventory, = Inventory.create([{
                        'location': bin_.id,
                        'lines': [('create', [{
                                        'product': self.product.id,
                                        'quantity': 10}])]}])
            Inventory.confirm([inventory])

    def submit(self, *payloads):
        pool = Pool()
        Intake = pool.get('otwb.oms.intake')
        results = Intake.submit(list(payloads))
        flow.run_queue()
        return [Intake(r['intake']).sales for r in results]

    def assert_reserved(self, sales, warehouse, quantity):
        sale, = sales
        self.assertEqual(sale.warehouse.code, warehouse)
        self.assertEqual(sale.state, 'processing')
        shipment, = sale.shipments
        self.assertEqual(shipment.state, 'assigned')
        self.assertEqual(sum(m.quantity for m in shipment.outgoing_moves
                if m.product == self.product), quantity)

    @with_transaction()
    def test_one_batch_does_not_promise_twice(self):
        "The second order of a batch sees the first one's allocation"
        with self.setup_data():
            self.setup_product()
            first, second = self.submit(
                payload('SC-1', 5, 1), payload('SC-2', 6, 2))
            # Shanghai has 10: 5 for the first order, 5 left < 6
            self.assert_reserved(first, 'SHA', 5)
            self.assert_reserved(second, 'CAN', 6)

    @with_transaction()
    def test_safety_stock_is_not_promised(self):
        "Shanghai keeps 4 units of safety stock"
        pool = Pool()
        Control = pool.get('otwb.oms.stock.control')
        with self.setup_data():
            self.setup_product()
            Control.create([{
                        'warehouse': self.data.warehouses['SHA'].id,
                        'product': self.product.id, 'safety_quantity': 4}])
            first, = self.submit(payload('SC-3', 5, 3))
            self.assert_reserved(first, 'SHA', 5)  # 10 - 4 = 6 >= 5
            second, = self.submit(payload('SC-4', 2, 4))
            # Shanghai: 10 on hand - 5 reserved - 4 safety = 1 < 2
            self.assert_reserved(second, 'CAN', 2)

    @with_transaction()
    def test_without_safety_stock(self):
        "Control: the same orders without safety stock stay in Shanghai"
        with self.setup_data():
            self.setup_product()
            first, = self.submit(payload('SC-5', 5, 5))
            second, = self.submit(payload('SC-6', 2, 6))
            self.assert_reserved(first, 'SHA', 5)
            self.assert_reserved(second, 'SHA', 2)

    @with_transaction()
    def test_negative_safety_stock_refused(self):
        pool = Pool()
        Control = pool.get('otwb.oms.stock.control')
        with self.setup_data():
            self.setup_product()
            with self.assertRaises(DomainValidationError) as cm:
                Control.create([{
                            'warehouse': self.data.warehouses['SHA'].id,
                            'product': self.product.id,
                            'safety_quantity': -1}])
            self.assertIn('Safety Stock', str(cm.exception))
