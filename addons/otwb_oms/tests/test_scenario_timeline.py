# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The transport module feeds the order timeline: in transit when the
trip starts, exception when a delivery attempt fails."""
import unittest

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


class TimelineTestCase(unittest.TestCase):
    "Order timeline fed by warehouse and transport"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    @with_transaction()
    def test_in_transit_and_failed_delivery(self):
        pool = Pool()
        Intake = pool.get('otwb.oms.intake')
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        Trip = pool.get('otwb.tms.trip')
        Stop = pool.get('otwb.tms.trip.stop')
        Date = pool.get('ir.date')
        data = demo_data.load(size=1)
        with Transaction().set_context(company=data.company.id):
            result, = Intake.submit([flow.demo_payload('TL-1')])
            flow.run_queue()
            sale, = Intake(result['intake']).sales
            while True:
                task = Task.claim_next('AGV-01', ['pick'])
                if not task:
                    break
                Task.complete('AGV-01', task['id'])
            shipment, = sale.shipments
            Shipment.otwb_pack([Shipment(shipment.id)])
            flow.run_queue()
            trips, unassigned = Trip.plan(
                shipment.warehouse, Date.today(), time_limit=1)
            self.assertEqual(unassigned, [])
            trip, = trips
            Trip.confirm([trip])
            Trip.dispatch([trip])
            Trip.start([trip])
            stop, = trip.stops
            Stop.fail([stop], reason="Nobody home")

            sale = pool.get('sale.sale')(sale.id)
            events = [(e.type, e.description) for e in sale.otwb_events]
            types = [t for t, _ in events]
            self.assertEqual(
                [t for t in types if t in {
                        'received', 'validated', 'allocated', 'picked',
                        'packed', 'shipped', 'in_transit', 'exception'}],
                ['received', 'validated', 'allocated', 'picked', 'packed',
                    'shipped', 'in_transit', 'exception'])
            self.assertEqual(dict(events)['in_transit'], trip.rec_name)
            self.assertEqual(dict(events)['exception'],
                "%s: Nobody home" % stop.rec_name)
            self.assertNotIn('delivered', types)
