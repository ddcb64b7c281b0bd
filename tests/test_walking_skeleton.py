# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Walking skeleton: one order through the four modules to a posted move."""
import unittest
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


class WalkingSkeletonTestCase(unittest.TestCase):
    "Order → warehouse → transport → billing"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    @with_transaction()
    def test_order_to_posted_journal_entry(self):
        pool = Pool()
        Move = pool.get('account.move')
        data = demo_data.load(size=1)
        with Transaction().set_context(company=data.company.id):
            result = flow.run()

            # O: accepted once, one sale confirmed from the first
            # warehouse that holds both SKUs (Shanghai holds every SKU)
            self.assertEqual(
                [r['status'] for r in result.intake_results], ['accepted'])
            self.assertEqual(len(result.sales), 1)
            sale, = result.sales
            self.assertEqual(sale.state, 'processing')
            self.assertEqual(sale.warehouse.code, 'SHA')
            self.assertEqual(sale.untaxed_amount, Decimal('347.00'))
            self.assertEqual(sorted((line.product.code, line.quantity)
                    for line in sale.lines),
                [('SKU-0001', 2.0), ('SKU-0002', 1.0)])

            # W: one pick task per inventory move, the shipment picked,
            # packed into one package
            self.assertEqual(result.tasks_done, 2)
            shipment, = result.shipments
            shipment = pool.get('stock.shipment.out')(shipment.id)
            self.assertEqual(shipment.state, 'done')
            self.assertEqual(len(shipment.packages), 1)
            self.assertEqual(
                sorted(m.quantity for m in shipment.outgoing_moves),
                [1.0, 2.0])

            # T: one trip with one stop, delivered
            self.assertEqual(len(result.trips), 1)
            trip, = result.trips
            self.assertEqual(trip.state, 'done')
            self.assertEqual(len(trip.stops), 1)
            self.assertEqual(trip.stops[0].state, 'delivered')
            self.assertGreater(trip.distance, 100)  # Shanghai → Hangzhou

            # Timeline
            types = [e.type for e in sale.otwb_events]
            for expected in ['received', 'validated', 'allocated',
                    'picked', 'packed', 'shipped', 'delivered']:
                self.assertIn(expected, types)

            # B: receivable handling 3.50 per order; freight 首重+续重 on the
            # chargeable weight; payable haulage per km
            by_type = {}
            for charge in result.charges:
                by_type.setdefault((charge.kind, charge.charge_type),
                    []).append(charge)
            handling, = by_type[('receivable', 'handling_outbound')]
            self.assertEqual(handling.amount, Decimal('3.50'))
            freight, = by_type[('receivable', 'freight')]
            fuel, = by_type[('receivable', 'fuel_surcharge')]
            self.assertEqual(
                fuel.amount, (freight.amount * Decimal('0.08')).quantize(
                    Decimal('0.01')))
            haulage, = by_type[('payable', 'freight')]
            expected = max(Decimal('200'), (Decimal(str(trip.distance))
                    * Decimal('4.20')).quantize(Decimal('0.01')))
            self.assertEqual(haulage.amount, expected)

            # Invoices posted with balanced journal entries
            self.assertEqual(sorted(i.type for i in result.invoices),
                ['in', 'out'])
            for invoice in result.invoices:
                self.assertEqual(invoice.state, 'posted')
                move = invoice.move
                self.assertEqual(move.state, 'posted')
                self.assertEqual(
                    sum(line.debit for line in move.lines),
                    sum(line.credit for line in move.lines))
            out, = [i for i in result.invoices if i.type == 'out']
            receivable = handling.amount + freight.amount + fuel.amount
            self.assertEqual(out.untaxed_amount, receivable)
            self.assertEqual(out.tax_amount,
                (receivable * Decimal('0.06')).quantize(Decimal('0.01')))
            self.assertEqual(len(Move.search([('state', '=', 'posted')])), 2)

    @with_transaction()
    def test_duplicate_submission_creates_nothing(self):
        pool = Pool()
        Intake = pool.get('otwb.oms.intake')
        Sale = pool.get('sale.sale')
        data = demo_data.load(size=1)
        with Transaction().set_context(company=data.company.id):
            payload = flow.demo_payload('JD-1', 'JD')
            payload['payment'] = {'method': 'jdpay', 'paid_amount': '347.00'}
            first, = Intake.submit([payload])
            flow.run_queue()
            again, = Intake.submit([payload])
            flow.run_queue()
            self.assertEqual(first['status'], 'accepted')
            self.assertEqual(again['status'], 'duplicate')
            self.assertEqual(again['intake'], first['intake'])
            self.assertEqual(
                Sale.search_count([('otwb_external_id', '=', 'JD-1')]), 1)
            changed = dict(payload, notes="other content")
            conflict, = Intake.submit([changed])
            self.assertEqual(conflict['status'], 'conflict')
            self.assertEqual(conflict['errors'][0]['code'],
                'idempotency_conflict')
