# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Cost allocation (分摊) of a completed trip over its shipments."""
import unittest
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


class AllocationScenarioTestCase(unittest.TestCase):
    "Trip cost allocation"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    @with_transaction()
    def test_trip_cost_allocated_to_the_cent(self):
        from otwb_tools import demo_data, flow
        pool = Pool()
        Allocation = pool.get('otwb.bms.allocation')
        Charge = pool.get('otwb.bms.charge')
        data = demo_data.load(size=1)
        with Transaction().set_context(company=data.company.id):
            first = flow.demo_payload('TB-A1')
            second = flow.demo_payload('TB-A2')
            second['customer'] = {'name': "Zhou Min",
                'email': 'zhou.min@example.cn'}
            second['shipping_address'] = dict(
                second['shipping_address'], name="Zhou Min",
                street="8 Ganjiang Road", city="Suzhou",
                postal_code='215000', subdivision='CN-JS',
                latitude=31.2990, longitude=120.5853)
            second['lines'] = [
                {'sku': 'SKU-0003', 'quantity': 3, 'unit_price': '79.00'}]
            second['payment'] = {'method': 'alipay', 'paid_amount': '237.00'}
            result = flow.run([first, second])
            payable = [c for c in result.charges if c.kind == 'payable']
            self.assertTrue(payable)
            stops = [s for t in result.trips for s in t.stops]
            self.assertEqual(len(stops), 2)
            for charge in payable:
                lines = Allocation.search([('charge', '=', charge.id)])
                trip = charge.event.source
                self.assertEqual(len(lines), len(trip.stops))
                # the parts sum exactly to the trip cost
                self.assertEqual(sum(line.amount for line in lines),
                    charge.amount)
                total_kg = sum(Decimal(str(s.weight)) for s in trip.stops)
                for line in lines:
                    self.assertEqual(line.basis, 'weight')
                    self.assertEqual(line.customer, line.shipment.customer)
                    self.assertEqual(line.order.__name__, 'sale.sale')
                    # within a cent of the exact weight share
                    share = charge.amount * Decimal(str(line.stop.weight)) \
                        / total_kg
                    self.assertLess(abs(line.amount - share),
                        Decimal('0.01'))

            # equal split of the same charges: re-allocate
            Allocation.delete(Allocation.search([]))
            lines = Allocation.allocate(payable, basis='equal')
            for charge in payable:
                parts = sorted((line.stop.id, line.amount) for line in lines
                    if line.charge == charge)
                cents = int(charge.amount * 100)
                # largest remainder: floor(cents / 2) each, the odd cent
                # to the first stop (ties go to item order)
                expected = [Decimal(cents // 2 + cents % 2) / 100,
                    Decimal(cents // 2) / 100]
                ordered = [amount for _, amount in sorted(
                        ((line.stop.sequence, line.stop.id), line.amount)
                        for line in lines if line.charge == charge)]
                self.assertEqual(ordered, expected)
                self.assertEqual(sum(a for _, a in parts), charge.amount)
            # charges already allocated are not allocated twice
            self.assertEqual(Allocation.allocate(payable), [])
            self.assertEqual(Charge.search_count([('kind', '=', 'payable')]),
                len(payable))
