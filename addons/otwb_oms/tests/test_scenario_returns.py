# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""After-sales: returns (RMA), refunds as credit notes, exchanges."""
import unittest
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


def payload(external_id):
    "An API order: 3 × SKU-0001 at 99.00 and 1 × SKU-0002 at 149.00"
    result = flow.demo_payload(external_id, 'API')
    result['lines'] = [
        {'sku': 'SKU-0001', 'quantity': 3, 'unit_price': '99.00'},
        {'sku': 'SKU-0002', 'quantity': 1, 'unit_price': '149.00'},
        ]
    result['payment'] = {'method': 'invoice', 'paid_amount': '0'}
    return result


class ReturnsTestCase(unittest.TestCase):
    "Customer returns"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    def setup_data(self):
        self.data = demo_data.load(size=1)
        return Transaction().set_context(company=self.data.company.id)

    def order(self, external_id, deliver=True):
        "A channel order taken in, allocated to one warehouse and delivered"
        pool = Pool()
        Intake = pool.get('otwb.oms.intake')
        Shipment = pool.get('stock.shipment.out')
        Sale = pool.get('sale.sale')
        result, = Intake.submit([payload(external_id)])
        flow.run_queue()
        sale, = Intake(result['intake']).sales
        self.assertEqual(sale.state, 'processing')
        shipment, = sale.shipments
        self.assertEqual(shipment.state, 'assigned')
        if deliver:
            Shipment.pick([shipment])
            Shipment.pack([shipment])
            Shipment.do([shipment])
            self.assertEqual(Shipment(shipment.id).state, 'done')
        return Sale(sale.id)

    def line(self, sale, sku):
        line, = [ln for ln in sale.lines if ln.product.code == sku]
        return line

    def stock(self, location, product):
        "Quantity of product in location and its children"
        Product = Pool().get('product.product')
        with Transaction().set_context(
                locations=[location.id], with_childs=True):
            return Product(product.id).quantity

    def events(self, sale):
        Sale = Pool().get('sale.sale')
        return [e.type for e in Sale(sale.id).otwb_events]

    def create_return(self, sale, lines, type_='refund', reason='damaged'):
        Return = Pool().get('otwb.oms.return')
        rma, = Return.create([{
                    'sale': sale.id, 'reason': reason, 'type': type_,
                    'comment': "box crushed",
                    'lines': [('create', lines)],
                    }])
        return rma

    @with_transaction()
    def test_refund_restock_and_scrap(self):
        "Refund: return shipment, restock and scrap, posted credit note"
        pool = Pool()
        Return = pool.get('otwb.oms.return')
        Party = pool.get('party.party')
        Event = pool.get('otwb.oms.order.event')
        with self.setup_data():
            sale = self.order('RMA-1')
            sku1 = self.data.products['SKU-0001']
            sku2 = self.data.products['SKU-0002']
            storage = sale.warehouse.storage_location
            storage1 = self.stock(storage, sku1)
            storage2 = self.stock(storage, sku2)
            rma = self.create_return(sale, [
                    {'sale_line': self.line(sale, 'SKU-0001').id,
                        'quantity': 2, 'disposition': 'restock'},
                    {'sale_line': self.line(sale, 'SKU-0002').id,
                        'quantity': 1, 'disposition': 'scrap',
                        'reason': 'defective'},
                    ])
            self.assertTrue(rma.number.startswith('RMA'))
            self.assertEqual(rma.party, sale.party)
            self.assertEqual(rma.channel.code, 'API')
            self.assertEqual(rma.state, 'draft')

            Return.authorize([rma])
            rma = Return(rma.id)
            self.assertEqual(rma.state, 'authorized')
            return_sale = rma.return_sale
            self.assertEqual(return_sale.origin, sale)
            self.assertEqual(return_sale.state, 'processing')
            self.assertEqual(
                sorted((ln.product.code, ln.quantity, ln.unit_price)
                    for ln in return_sale.lines),
                [('SKU-0001', -2, Decimal('99.0000')),
                    ('SKU-0002', -1, Decimal('149.0000'))])
            shipment, = rma.shipments
            self.assertEqual(shipment.__name__, 'stock.shipment.out.return')
            self.assertEqual(shipment.state, 'draft')
            self.assertEqual(shipment.customer, sale.party)
            self.assertEqual(
                sorted((m.product.code, m.quantity)
                    for m in shipment.incoming_moves),
                [('SKU-0001', 2), ('SKU-0002', 1)])
            self.assertNotIn('returned', self.events(sale))

            Return.receive([rma])
            rma = Return(rma.id)
            self.assertEqual(rma.state, 'received')
            self.assertEqual(rma.shipments[0].state, 'done')
            restock, scrap = rma.lines
            scrap_location = scrap.location
            self.assertEqual(restock.location, storage)
            self.assertEqual(scrap_location.type, 'lost_found')
            self.assertIn(scrap_location, sale.warehouse.waste_locations)
            # 2 units back in storage, the scrapped one is not
            self.assertEqual(self.stock(storage, sku1), storage1 + 2)
            self.assertEqual(self.stock(storage, sku2), storage2)
            self.assertEqual(self.stock(scrap_location, sku2), 1)
            self.assertEqual(self.stock(scrap_location, sku1), 0)
            returned, = Event.search([
                    ('sale', '=', sale.id), ('type', '=', 'returned')])
            self.assertEqual(returned.source, rma)
            self.assertNotIn('refunded', self.events(sale))
            # with billing: the return handling is one billable event
            Billable = pool.get('otwb.bms.event')
            billable, = Billable.search([('source', '=', str(rma))])
            self.assertEqual((billable.activity, billable.customer,
                    billable.orders, billable.lines, billable.units),
                ('return_received', sale.party, 1, 2, 3))
            Return._received([rma])  # again: captured once
            self.assertEqual(Billable.search(
                    [('source', '=', str(rma))], count=True), 1)

            Return.do([rma])
            rma = Return(rma.id)
            self.assertEqual(rma.state, 'done')
            note = rma.credit_note
            self.assertEqual(note.type, 'out')
            self.assertEqual(note.state, 'posted')
            self.assertEqual(note.party, sale.party)
            # 2 × 99.00 + 1 × 149.00 = 347.00; VAT 13 % = 45.11
            self.assertEqual(note.untaxed_amount, Decimal('-347.00'))
            self.assertEqual(note.tax_amount, Decimal('-45.11'))
            self.assertEqual(note.total_amount, Decimal('-392.11'))
            self.assertEqual(
                {ln.origin for ln in note.lines}, set(return_sale.lines))
            # The original order was not invoiced: it is invoiced first,
            # 3 × 99.00 + 149.00 = 446.00 + 57.98 VAT = 503.98
            invoice, = pool.get('sale.sale')(sale.id).invoices
            self.assertEqual(invoice.state, 'posted')
            self.assertEqual(invoice.total_amount, Decimal('503.98'))
            # The customer owes what was kept: 503.98 - 392.11
            self.assertEqual(
                Party(sale.party.id).receivable, Decimal('111.87'))
            refunded, = Event.search([
                    ('sale', '=', sale.id), ('type', '=', 'refunded')])
            self.assertEqual(refunded.source, note)
            self.assertIn(note.number, refunded.description)

    @with_transaction()
    def test_refund_invoiced_order(self):
        "Refund of an order already invoiced: only the credit note"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Invoice = pool.get('account.invoice')
        Return = pool.get('otwb.oms.return')
        with self.setup_data():
            sale = self.order('RMA-2')
            Sale.manual_invoice([sale])
            invoice, = Sale(sale.id).invoices
            Invoice.post([invoice])
            rma = self.create_return(sale, [
                    {'sale_line': self.line(sale, 'SKU-0001').id,
                        'quantity': 1}], reason='changed_mind')
            Return.authorize([rma])
            Return.receive([rma])
            Return.do([rma])
            rma = Return(rma.id)
            self.assertEqual(Sale(sale.id).invoices, (invoice,))
            # 1 × 99.00 + 13 % VAT 12.87
            self.assertEqual(rma.credit_note.total_amount, Decimal('-111.87'))
            self.assertEqual(rma.credit_note.state, 'posted')
            self.assertEqual(rma.lines[0].disposition, 'restock')

    @with_transaction()
    def test_exchange(self):
        "Exchange: return plus a shipped replacement order, no credit note"
        pool = Pool()
        Return = pool.get('otwb.oms.return')
        Sale = pool.get('sale.sale')
        with self.setup_data():
            sale = self.order('RMA-3')
            sku1 = self.data.products['SKU-0001']
            sku3 = self.data.products['SKU-0003']
            storage = sale.warehouse.storage_location
            before = self.stock(storage, sku1)
            rma = self.create_return(sale, [
                    {'sale_line': self.line(sale, 'SKU-0001').id,
                        'quantity': 1, 'replacement_product': sku3.id}],
                type_='exchange', reason='wrong_item')
            Return.authorize([rma])
            Return.receive([rma])
            Return.do([rma])
            rma = Return(rma.id)
            self.assertEqual(rma.state, 'done')
            self.assertEqual(self.stock(storage, sku1), before + 1)

            replacement = rma.replacement_sale
            self.assertEqual(replacement.origin, rma)
            self.assertEqual(replacement.state, 'processing')
            self.assertEqual(
                (replacement.party, replacement.shipment_address,
                    replacement.warehouse, replacement.otwb_channel,
                    replacement.otwb_external_id),
                (sale.party, sale.shipment_address, sale.warehouse,
                    sale.otwb_channel, sale.otwb_external_id))
            line, = replacement.lines
            self.assertEqual(
                (line.product, line.quantity, line.unit_price),
                (sku3, 1, Decimal('99.0000')))
            shipment, = replacement.shipments
            move, = shipment.outgoing_moves
            self.assertEqual((move.product, move.quantity), (sku3, 1))
            self.assertIn(shipment.state, {'waiting', 'assigned'})
            self.assertEqual(shipment.delivery_address, sale.shipment_address)

            # Value neutral: nothing invoiced, no credit note
            self.assertIsNone(rma.credit_note)
            self.assertEqual(rma.return_sale.invoices, ())
            self.assertEqual(Sale(sale.id).invoices, ())
            self.assertEqual(replacement.invoices, ())
            events = self.events(sale)
            self.assertIn('returned', events)
            self.assertNotIn('refunded', events)
            self.assertIn('received', self.events(replacement))

            # The replacement order can be returned in turn once delivered
            Shipment = pool.get('stock.shipment.out')
            Shipment.assign_try([shipment])
            Shipment.pick([shipment])
            Shipment.pack([shipment])
            Shipment.do([shipment])
            again = self.create_return(replacement, [
                    {'sale_line': line.id, 'quantity': 1}])
            self.assertEqual(again.sale, replacement)

    @with_transaction()
    def test_scrap_receipt_into_storage(self):
        "Warehouse receiving into storage: scrap goes on to a waste location"
        pool = Pool()
        Return = pool.get('otwb.oms.return')
        Location = pool.get('stock.location')
        with self.setup_data():
            sale = self.order('RMA-8')
            warehouse = sale.warehouse
            storage = warehouse.storage_location
            Location.write([warehouse], {'input_location': storage.id})
            sku2 = self.data.products['SKU-0002']
            before = self.stock(storage, sku2)
            rma = self.create_return(sale, [
                    {'sale_line': self.line(sale, 'SKU-0002').id,
                        'quantity': 1, 'disposition': 'scrap'}])
            Return.authorize([rma])
            Return.receive([rma])
            rma = Return(rma.id)
            self.assertEqual(rma.state, 'received')
            shipment, = rma.shipments
            self.assertEqual(shipment.state, 'done')
            self.assertEqual(shipment.inventory_moves, ())
            line, = rma.lines
            self.assertEqual(line.location.type, 'lost_found')
            self.assertEqual(self.stock(storage, sku2), before)
            self.assertEqual(self.stock(line.location, sku2), 1)

    @with_transaction()
    def test_over_return_rejected(self):
        "More than shipped minus returned is refused; nothing is written"
        pool = Pool()
        Return = pool.get('otwb.oms.return')
        Line = pool.get('otwb.oms.return.line')
        with self.setup_data():
            sale = self.order('RMA-4')
            sale_line = self.line(sale, 'SKU-0001')  # 3 shipped
            with self.assertRaises(UserError) as cm:
                self.create_return(
                    sale, [{'sale_line': sale_line.id, 'quantity': 4}])
            message = cm.exception.message
            self.assertIn(sale_line.rec_name, message)
            self.assertIn('Cannot return 4', message)
            self.assertIn('at most 3', message)
            self.assertEqual(Return.search([], count=True), 0)
            self.assertEqual(Line.search([], count=True), 0)

            with self.assertRaises(UserError) as cm:
                self.create_return(
                    sale, [{'sale_line': sale_line.id, 'quantity': 0}])
            self.assertIn('greater than zero', cm.exception.message)
            self.assertEqual(Return.search([], count=True), 0)

            # Two lines of one RMA on the same order line add up
            with self.assertRaises(UserError):
                self.create_return(sale, [
                        {'sale_line': sale_line.id, 'quantity': 2},
                        {'sale_line': sale_line.id, 'quantity': 2}])
            self.assertEqual(Return.search([], count=True), 0)

            first = self.create_return(
                sale, [{'sale_line': sale_line.id, 'quantity': 2}])
            with self.assertRaises(UserError) as cm:
                self.create_return(
                    sale, [{'sale_line': sale_line.id, 'quantity': 2}])
            self.assertIn('at most 1', cm.exception.message)
            self.assertIn('already on returns 2', cm.exception.message)
            self.assertEqual(Return.search([], count=True), 1)

            line, = first.lines
            with self.assertRaises(UserError):
                Line.write([line], {'quantity': 4})
            self.assertEqual(Line(line.id).quantity, 2)
            Line.write([line], {'quantity': 3})
            self.assertEqual(Line(line.id).quantity, 3)

            # An order not delivered yet has nothing to return
            undelivered = self.order('RMA-5', deliver=False)
            with self.assertRaises(UserError) as cm:
                self.create_return(undelivered, [{
                            'sale_line': self.line(
                                undelivered, 'SKU-0002').id,
                            'quantity': 1}])
            self.assertIn('at most 0', cm.exception.message)
            self.assertEqual(Return.search([], count=True), 1)

    @with_transaction()
    def test_cancel(self):
        "Cancelling an authorized RMA cancels its return shipment"
        pool = Pool()
        Return = pool.get('otwb.oms.return')
        with self.setup_data():
            sale = self.order('RMA-6')
            sale_line = self.line(sale, 'SKU-0001')
            draft = self.create_return(
                sale, [{'sale_line': sale_line.id, 'quantity': 1}])
            Return.cancel([draft])
            self.assertEqual(Return(draft.id).state, 'cancelled')

            rma = self.create_return(
                sale, [{'sale_line': sale_line.id, 'quantity': 3}])
            Return.authorize([rma])
            shipment, = Return(rma.id).shipments
            Return.cancel([rma])
            rma = Return(rma.id)
            self.assertEqual(rma.state, 'cancelled')
            self.assertEqual(rma.shipments[0].state, 'cancelled')
            self.assertEqual(rma.return_sale.shipment_state, 'none')
            self.assertNotIn('returned', self.events(sale))
            # The cancelled quantities can be returned again
            again = self.create_return(
                sale, [{'sale_line': sale_line.id, 'quantity': 3}])
            self.assertEqual(again.state, 'draft')
            # A received RMA cannot be cancelled
            Return.authorize([again])
            Return.receive([again])
            Return.cancel([again])
            self.assertEqual(Return(again.id).state, 'received')

    @with_transaction()
    def test_return_request_rpc(self):
        "A channel asks for a return by SKU; errors are per field"
        pool = Pool()
        Request = pool.get('otwb.oms.return.request')
        Return = pool.get('otwb.oms.return')
        with self.setup_data():
            sale = self.order('RMA-7')
            result = Request.submit({
                    'channel': 'API', 'external_id': 'RMA-7',
                    'reason': 'late_delivery', 'lines': [
                        {'sku': 'SKU-0001', 'quantity': 9},
                        {'sku': 'SKU-9999', 'quantity': 1},
                        {'sku': 'SKU-0002', 'quantity': 'x'}]})
            self.assertEqual(result['status'], 'rejected')
            self.assertEqual(
                [(e['field'], e['code']) for e in result['errors']],
                [('lines[0].quantity', 'exceeds_returnable'),
                    ('lines[1].sku', 'not_in_order'),
                    ('lines[2].quantity', 'invalid')])
            self.assertEqual(Return.search([], count=True), 0)

            result = Request.submit({
                    'channel': 'NOPE', 'external_id': 'RMA-7',
                    'reason': 'late_delivery', 'lines': []})
            self.assertEqual(result['errors'][0]['field'], 'channel')
            result = Request.submit({
                    'channel': 'API', 'external_id': 'UNKNOWN',
                    'reason': 'bad', 'lines': []})
            self.assertEqual(
                [e['field'] for e in result['errors']],
                ['external_id', 'reason', 'lines'])

            result = Request.submit({
                    'channel': 'API', 'external_id': 'RMA-7',
                    'reason': 'damaged', 'comment': "dented",
                    'lines': [{'sku': 'SKU-0001', 'quantity': 2,
                            'disposition': 'scrap'}]})
            self.assertEqual(result['status'], 'accepted')
            returned, = result['returns']
            rma = Return(returned['id'])
            self.assertEqual(rma.number, returned['number'])
            self.assertEqual(
                (rma.sale, rma.reason, rma.type, rma.state, rma.comment),
                (sale, 'damaged', 'refund', 'draft', "dented"))
            line, = rma.lines
            self.assertEqual(
                (line.product.code, line.quantity, line.disposition),
                ('SKU-0001', 2, 'scrap'))
            self.assertIn('submit', Request.__rpc__)

    @with_transaction()
    def test_return_request_idempotent(self):
        "A request sent again opens nothing; another under its id: conflict"
        pool = Pool()
        Request = pool.get('otwb.oms.return.request')
        Return = pool.get('otwb.oms.return')
        ReturnLine = pool.get('otwb.oms.return.line')
        transaction = Transaction()
        with self.setup_data():
            self.order('RMA-8')
            request = {
                'channel': 'API', 'external_id': 'RMA-8',
                'request_id': 'REQ-1', 'reason': 'damaged',
                'lines': [{'sku': 'SKU-0001', 'quantity': 1}]}
            first = Request.submit(request)
            self.assertEqual(first['status'], 'accepted')
            # the answer was lost: the channel sends the same request
            again = Request.submit(dict(request))
            self.assertEqual(again, {'status': 'duplicate',
                    'returns': first['returns']})
            # without the key it would have opened a second RMA for the
            # other unit ordered: the key is what prevents it
            changed = dict(request, lines=[{'sku': 'SKU-0001',
                        'quantity': 2}])
            conflict = Request.submit(changed)
            self.assertEqual(conflict['status'], 'conflict')
            self.assertEqual(
                [(e['field'], e['code']) for e in conflict['errors']],
                [('request_id', 'idempotency_conflict')])
            self.assertEqual(Return.search([], count=True), 1)
            self.assertEqual(
                sum(ln.quantity for ln in ReturnLine.search([])), 1)
            # the same id on another request of the channel: a conflict
            # too; a fresh id is a new request
            self.assertEqual(Request.submit(dict(request,
                        reason='wrong_item'))['status'], 'conflict')
            fresh = Request.submit(dict(request, request_id='REQ-2'))
            self.assertEqual(fresh['status'], 'accepted')
            self.assertEqual(Return.search([], count=True), 2)
            # bad keys are refused by field, writing nothing
            for bad in ['', ' ', 'x' * 101, 'a\x00b', 12]:
                result = Request.submit(dict(request, request_id=bad))
                self.assertEqual(result['status'], 'rejected', bad)
                self.assertEqual(result['errors'][0]['field'],
                    'request_id')
            self.assertEqual(Return.search([], count=True), 2)
            # another channel's user does not learn what the key opened
            User = pool.get('res.user')
            ModelData = pool.get('ir.model.data')
            other, = User.create([{'login': 'integration_other',
                        'name': "Another shop", 'groups': [('add', [
                                ModelData.get_id('otwb_base',
                                    'group_integration')])]}])
            with transaction.set_context(_check_access=True), \
                    transaction.set_user(other.id):
                result = Request.submit(request)
            self.assertEqual(result['status'], 'rejected')
            self.assertEqual(result['errors'][0]['code'],
                'forbidden_channel')

    @with_transaction()
    def test_roles(self):
        "Order managers authorize, warehouse operators receive, billing reads"
        pool = Pool()
        Return = pool.get('otwb.oms.return')
        Request = pool.get('otwb.oms.return.request')
        transaction = Transaction()
        with self.setup_data():
            sale = self.order('RMA-9')
            users = self.data.users

            def as_user(login):
                return transaction.set_user(users[login].id)

            request = {
                'channel': 'API', 'external_id': 'RMA-9',
                'reason': 'damaged',
                'lines': [{'sku': 'SKU-0001', 'quantity': 1}]}
            with transaction.set_context(_check_access=True):
                with as_user('warehouse_operator'), \
                        self.assertRaises(UserError) as cm:
                    Request.submit(request)
                self.assertIn('not allowed', cm.exception.message)
                with as_user('integration'):
                    result = Request.submit(request)
                self.assertEqual(result['status'], 'accepted')
                rma = Return(result['returns'][0]['id'])
                self.assertEqual(rma.sale, sale)
                with as_user('billing_clerk'):
                    self.assertEqual(Return(rma.id).state, 'draft')
                    with self.assertRaises(UserError) as cm:
                        Return.authorize([Return(rma.id)])
                    self.assertIn('"authorize', cm.exception.message)
                with as_user('order_manager'):
                    Return.authorize([Return(rma.id)])
                with as_user('warehouse_operator'):
                    with self.assertRaises(UserError) as cm:
                        Return.do([Return(rma.id)])
                    self.assertIn('"do', cm.exception.message)
                    Return.receive([Return(rma.id)])
                with as_user('order_manager'):
                    Return.do([Return(rma.id)])
                    other = self.create_return(sale, [{
                                'sale_line': self.line(sale, 'SKU-0002').id,
                                'quantity': 1, 'disposition': 'scrap'}])
                    self.assertTrue(other.number.startswith('RMA'))
                    Return.cancel([other])
            rma = Return(rma.id)
            self.assertEqual(rma.state, 'done')
            self.assertEqual(rma.credit_note.total_amount, Decimal('-111.87'))
