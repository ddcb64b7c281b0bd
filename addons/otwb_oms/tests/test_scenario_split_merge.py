# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Split channel orders into shipments, merge orders of one customer."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


def payload(external_id, lines, **changes):
    "An API order on invoice (not prepaid) to Hangzhou"
    result = flow.demo_payload(external_id, 'API')
    result['lines'] = lines
    result['payment'] = {'method': 'invoice', 'paid_amount': '0'}
    result.update(changes)
    return result


OTHER_ADDRESS = {
    'name': "Chen Jing", 'street': "1 Xixi Road", 'city': "Hangzhou",
    'postal_code': '310013', 'country': 'CN', 'subdivision': 'CN-ZJ',
    'latitude': 30.28, 'longitude': 120.10}


def moves_of(shipment):
    "Sorted (product code, quantity) of the outgoing moves"
    return sorted((m.product.code, m.quantity)
        for m in shipment.outgoing_moves)


class SplitMergeTestCase(unittest.TestCase):
    "Split and merge of channel orders"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    def setup_data(self):
        self.data = demo_data.load(size=1)
        return Transaction().set_context(company=self.data.company.id)

    def submit(self, *payloads):
        pool = Pool()
        Intake = pool.get('otwb.oms.intake')
        results = Intake.submit(list(payloads))
        flow.run_queue()
        intakes = [Intake(r['intake']) for r in results]
        for intake in intakes:
            self.assertEqual(intake.state, 'processed', intake.errors)
        return intakes

    def product(self, code, weight=1, **flags):
        "A new salable product (no stock anywhere)"
        pool = Pool()
        Template = pool.get('product.template')
        model = self.data.products['SKU-0001'].template
        template, = Template.create([{
                    'name': code, 'type': 'goods',
                    'default_uom': model.default_uom.id,
                    'sale_uom': model.sale_uom.id, 'salable': True,
                    'list_price': Decimal(10),
                    'account_category': model.account_category.id,
                    'weight': weight, 'weight_uom': model.weight_uom.id,
                    'code': code,
                    'otwb_dangerous_goods': flags.get('dangerous', False),
                    'otwb_cold_chain': flags.get('cold', False),
                    'otwb_oversize': flags.get('oversize', False),
                    'products': [('create', [{}])],
                    }])
        return template.products[0]

    def stock(self, warehouse, product, quantity):
        "Put quantity of product in the first bin of the warehouse"
        pool = Pool()
        Inventory = pool.get('stock.inventory')
        bin_ = self.data.warehouses[warehouse + '_bins'][0]
        inventory, = Inventory.create([{
                    'location': bin_.id,
                    'lines': [('create', [{
                                    'product': product.id,
                                    'quantity': quantity}])]}])
        Inventory.confirm([inventory])

    def configure(self, **values):
        Config = Pool().get('otwb.configuration')
        Config.write([Config(1)], values)

    def backdate(self, sales, hours):
        "Pretend the sales were created hours ago"
        Sale = Pool().get('sale.sale')
        table = Sale.__table__()
        transaction = Transaction()
        transaction.connection.cursor().execute(*table.update(
                [table.create_date],
                [dt.datetime.now() - dt.timedelta(hours=hours)],
                where=table.id.in_([s.id for s in sales])))
        for cache in transaction.cache.values():
            cache.clear()

    def assert_reconciles(self, intake, total):
        sales = intake.sales
        self.assertEqual(sum(s.untaxed_amount for s in sales), total)
        for sale in sales:
            self.assertEqual(sale.otwb_intake, intake)
            self.assertEqual(sale.otwb_external_id, intake.external_id)
            self.assertEqual(sale.otwb_split_count, len(sales))
            events = [e.type for e in sale.otwb_events]
            for type_ in ['received', 'validated', 'allocated']:
                self.assertIn(type_, events)
        self.assertEqual(sorted(s.otwb_split_part for s in sales),
            list(range(1, len(sales) + 1)))

    @with_transaction()
    def test_split_by_constraint(self):
        "Dangerous, cold and standard goods ship in three shipments"
        with self.setup_data():
            acid = self.product('ACID', dangerous=True)
            milk = self.product('MILK', cold=True)
            book = self.product('BOOK')
            pen = self.product('PEN')
            for product in [acid, milk, book, pen]:
                self.stock('SHA', product, 10)
            intake, = self.submit(payload('SPLIT-1', [
                        {'sku': 'BOOK', 'quantity': 2, 'unit_price': '5.00'},
                        {'sku': 'ACID', 'quantity': 1,
                            'unit_price': '12.00'},
                        {'sku': 'PEN', 'quantity': 3, 'unit_price': '1.10'},
                        {'sku': 'MILK', 'quantity': 4, 'unit_price': '2.25'},
                        ]))
            sale, = intake.sales
            self.assertEqual(sale.state, 'processing')
            shipments = {s.otwb_constraint: s for s in sale.shipments}
            self.assertEqual(len(sale.shipments), 3)
            self.assertEqual(set(shipments), {'standard', 'dangerous',
                    'cold'})
            self.assertEqual(moves_of(shipments['standard']),
                [('BOOK', 2), ('PEN', 3)])
            self.assertEqual(moves_of(shipments['dangerous']), [('ACID', 1)])
            self.assertEqual(moves_of(shipments['cold']), [('MILK', 4)])
            self.assertTrue(shipments['dangerous'].otwb_dangerous_goods)
            self.assertFalse(shipments['standard'].otwb_dangerous_goods)
            for shipment in sale.shipments:
                self.assertEqual(shipment.state, 'assigned')
                self.assertEqual(shipment.delivery_address,
                    sale.shipment_address)
            # 10.00 + 12.00 + 3.30 + 9.00
            self.assertEqual(sale.untaxed_amount, Decimal('34.30'))
            self.assert_reconciles(intake, Decimal('34.30'))

    @with_transaction()
    def test_split_by_weight(self):
        "7 units of 30 kg with 100 kg per shipment: 3 + 3 + 1 units"
        pool = Pool()
        Rule = pool.get('otwb.oms.fulfilment.rule')
        with self.setup_data():
            self.configure(oms_shipment_max_weight=100)
            drum = self.product('DRUM', weight=30)
            self.stock('SHA', drum, 20)
            # 7 × 14.29 - 0.03 = 100.00: 42.86 + 42.86 + 14.28
            intake, = self.submit(payload('HEAVY-1', [
                        {'sku': 'DRUM', 'quantity': 7, 'unit_price': '14.29',
                            'discount': '0.03'}]))
            sale, = intake.sales
            self.assertEqual(sale.otwb_max_weight, 100)
            self.assertEqual(sorted(
                    (line.otwb_shipment_part, line.quantity, line.amount)
                    for line in sale.lines), [
                    (1, 3, Decimal('42.86')),
                    (2, 3, Decimal('42.86')),
                    (3, 1, Decimal('14.28'))])
            self.assertEqual(sorted(moves_of(s) for s in sale.shipments), [
                    [('DRUM', 1)], [('DRUM', 3)], [('DRUM', 3)]])
            self.assertEqual({s.otwb_constraint for s in sale.shipments},
                {'standard'})
            self.assert_reconciles(intake, Decimal('100.00'))

            # a rule's limit wins over the configuration: 70 kg → 2+2+2+1
            Rule.create([{'name': "Light parcels", 'sequence': 1,
                        'action': 'allocate', 'policy': 'split',
                        'shipment_max_weight': 70}])
            intake, = self.submit(payload('HEAVY-2', [
                        {'sku': 'DRUM', 'quantity': 7,
                            'unit_price': '10.00'}]))
            sale, = intake.sales
            self.assertEqual(sorted(sum(m.quantity for m in s.outgoing_moves)
                    for s in sale.shipments), [1, 2, 2, 2])
            self.assert_reconciles(intake, Decimal('70.00'))

    @with_transaction()
    def test_amounts_reconcile_awkward(self):
        "Split sales sum exactly to the channel order total"
        with self.setup_data():
            self.configure(oms_shipment_max_weight=None)
            thing = self.product('THING')
            bulk = self.product('BULK', weight=0)
            self.stock('SHA', thing, 1)
            self.stock('CAN', thing, 2)
            self.stock('SHA', bulk, 300)
            # THING: 3 for 10.00 split 1 + 2 over two warehouses;
            # BULK: 250 × 0.41 - 2.49 = 100.01, no 4-digit unit price
            # gives it (0.4000 → 100.00, 0.4001 → 100.02)
            intake, = self.submit(payload('ODD-1', [
                        {'sku': 'THING', 'quantity': 3,
                            'unit_price': '3.3334', 'discount': '0.0002'},
                        {'sku': 'BULK', 'quantity': 250,
                            'unit_price': '0.41', 'discount': '2.49'},
                        ]))
            sales = sorted(intake.sales, key=lambda s: s.otwb_split_part)
            self.assertEqual(len(sales), 2)
            self.assertEqual({s.state for s in sales}, {'processing'})
            self.assertEqual(sorted((s.warehouse.code, m.quantity)
                    for sale in sales for s in sale.shipments
                    for m in s.outgoing_moves if m.product == thing),
                [('CAN', 2), ('SHA', 1)])
            thing_lines = sorted((line.quantity, line.amount)
                for s in sales for line in s.lines
                if line.product == thing)
            self.assertEqual(thing_lines, [
                    (1, Decimal('3.33')), (2, Decimal('6.67'))])
            bulk_line, = [line for s in sales for line in s.lines
                if line.product == bulk]
            self.assertEqual(bulk_line.quantity, 250)
            rounding = [line for s in sales for line in s.lines
                if line.type == 'line' and not line.product]
            self.assertEqual(
                [line.amount for line in rounding], [Decimal('0.01')])
            self.assertEqual(bulk_line.amount + rounding[0].amount,
                Decimal('100.01'))
            self.assert_reconciles(intake, Decimal('110.01'))
            self.assertEqual(sales[1].otwb_split,
                "part 2 of 2 of channel order ODD-1")
            self.assertEqual(set(sales[0].otwb_split_sales), set(sales))

    def merge_setup(self, window):
        self.configure(oms_merge_window=window)
        self.tea = self.product('TEA')
        self.cup = self.product('CUP')
        self.acid = self.product('ACID', dangerous=True)
        for product in [self.tea, self.cup, self.acid]:
            self.stock('SHA', product, 50)

    @with_transaction()
    def test_merge_within_window(self):
        "Orders of one customer, address and channel ship together"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        with self.setup_data():
            self.merge_setup(2)
            first, second = self.submit(
                payload('M-1', [{'sku': 'TEA', 'quantity': 2,
                            'unit_price': '8.00'}]),
                payload('M-2', [
                        {'sku': 'CUP', 'quantity': 1, 'unit_price': '3.00'},
                        {'sku': 'ACID', 'quantity': 1,
                            'unit_price': '9.00'}]))
            sale1, = first.sales
            sale2, = second.sales
            shipment, = sale1.shipments
            self.assertEqual(moves_of(shipment), [('CUP', 1), ('TEA', 2)])
            self.assertEqual({m.sale for m in shipment.outgoing_moves},
                {sale1, sale2})
            # the dangerous part does not merge into the standard one
            dangerous, = [s for s in sale2.shipments if s != shipment]
            self.assertEqual(dangerous.otwb_constraint, 'dangerous')
            self.assertEqual(moves_of(dangerous), [('ACID', 1)])
            # shipments wait for the window before reserving stock
            self.assertEqual(shipment.state, 'waiting')
            self.assertEqual(len(Shipment.search([
                            ('customer', '=', sale1.party.id)])), 2)

            # another address: a shipment of its own
            third, = self.submit(payload('M-3', [
                        {'sku': 'TEA', 'quantity': 1, 'unit_price': '8.00'}],
                    shipping_address=OTHER_ADDRESS))
            sale3, = third.sales
            shipment3, = sale3.shipments
            self.assertNotEqual(shipment3, shipment)
            self.assertEqual(moves_of(shipment3), [('TEA', 1)])

            # outside the window of the first order: its own shipment
            self.backdate([sale1, sale2], 3)
            fourth, = self.submit(payload('M-4', [
                        {'sku': 'CUP', 'quantity': 5, 'unit_price': '3.00'}]))
            sale4, = fourth.sales
            shipment4, = sale4.shipments
            self.assertNotEqual(shipment4, shipment)
            self.assertEqual(moves_of(shipment4), [('CUP', 5)])
            self.assertEqual(moves_of(Shipment(shipment.id)),
                [('CUP', 1), ('TEA', 2)])

            # the cron reserves what is past its window
            Shipment.otwb_assign_merge_due()
            self.assertEqual(Shipment(shipment.id).state, 'assigned')
            self.assertEqual(Shipment(dangerous.id).state, 'assigned')
            self.assertEqual(Shipment(shipment4.id).state, 'waiting')
            Shipment.otwb_assign_merge_due(
                now=dt.datetime.now() + dt.timedelta(hours=2, minutes=1))
            self.assertEqual(Shipment(shipment4.id).state, 'assigned')

    @with_transaction()
    def test_merge_window_off(self):
        "Window 0: each order ships alone and is reserved at once"
        with self.setup_data():
            self.merge_setup(0)
            first, second = self.submit(
                payload('N-1', [{'sku': 'TEA', 'quantity': 2,
                            'unit_price': '8.00'}]),
                payload('N-2', [{'sku': 'CUP', 'quantity': 1,
                            'unit_price': '3.00'}]))
            shipment1, = first.sales[0].shipments
            shipment2, = second.sales[0].shipments
            self.assertNotEqual(shipment1, shipment2)
            self.assertEqual(moves_of(shipment1), [('TEA', 2)])
            self.assertEqual(moves_of(shipment2), [('CUP', 1)])
            self.assertEqual({shipment1.state, shipment2.state},
                {'assigned'})

    @with_transaction()
    def test_merge_button(self):
        "Merge Shipments: open shipments of one customer into one"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        with self.setup_data():
            self.configure(oms_merge_window=2)
            tea = self.product('TEA')
            acid = self.product('ACID', dangerous=True)
            self.stock('SHA', tea, 10)
            self.stock('SHA', acid, 10)
            # the shipments wait for their merge window; the first order
            # is older than the window so the second does not merge
            first, = self.submit(payload('B-1', [
                        {'sku': 'TEA', 'quantity': 2, 'unit_price': '8.00'}]))
            self.backdate(first.sales, 3)
            second, third = self.submit(
                payload('B-2', [{'sku': 'TEA', 'quantity': 3,
                            'unit_price': '8.00'}]),
                payload('B-3', [{'sku': 'ACID', 'quantity': 1,
                            'unit_price': '9.00'}]))
            shipment1, = first.sales[0].shipments
            shipment2, = second.sales[0].shipments
            shipment3, = third.sales[0].shipments
            self.assertEqual(shipment1.state, 'waiting')
            with self.assertRaises(ValidationError):
                Shipment.otwb_merge([shipment1, shipment3])
            Shipment.otwb_merge([shipment2, shipment1])
            self.assertFalse(Shipment.search([('id', '=', shipment2.id)]))
            shipment1 = Shipment(shipment1.id)
            self.assertEqual(shipment1.state, 'waiting')
            self.assertEqual(moves_of(shipment1), [('TEA', 2), ('TEA', 3)])
            self.assertEqual(len(shipment1.inventory_moves), 2)
            self.assertEqual(second.sales[0].shipments, (shipment1,))
            Shipment.assign_try([shipment1])
            self.assertEqual(Shipment(shipment1.id).state, 'assigned')

    @with_transaction()
    def test_merge_respects_max_weight(self):
        "A merge never makes a shipment heavier than the limit"
        with self.setup_data():
            self.configure(oms_merge_window=2, oms_shipment_max_weight=100)
            drum = self.product('DRUM', weight=30)
            box = self.product('BOX', weight=10)
            self.stock('SHA', drum, 20)
            self.stock('SHA', box, 20)
            first, second, third = self.submit(
                payload('W-1', [{'sku': 'DRUM', 'quantity': 3,
                            'unit_price': '10.00'}]),
                payload('W-2', [{'sku': 'DRUM', 'quantity': 1,
                            'unit_price': '10.00'}]),
                payload('W-3', [{'sku': 'BOX', 'quantity': 1,
                            'unit_price': '2.00'}]))
            shipment1, = first.sales[0].shipments
            shipment2, = second.sales[0].shipments
            shipment3, = third.sales[0].shipments
            # 90 kg + 30 kg > 100 kg: apart; 90 kg + 10 kg fits
            self.assertNotEqual(shipment2, shipment1)
            self.assertEqual(shipment3, shipment1)
            self.assertEqual(moves_of(shipment1), [('BOX', 1), ('DRUM', 3)])
            self.assertEqual(moves_of(shipment2), [('DRUM', 1)])
