# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Transport events billed once: waiting before the delivery window and
failed delivery attempts (otwb_tms hooks)."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import card, setup_billing


class TmsEventsScenarioTestCase(unittest.TestCase):
    "Waiting time and failed attempts become charges"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms', 'otwb_bms'])

    @with_transaction()
    def test_waiting_and_failed_attempts_billed_once(self):
        from trytond.modules.otwb_tms.tests import tools
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Stop = pool.get('otwb.tms.trip.stop')
        Event = pool.get('otwb.bms.event')
        Charge = pool.get('otwb.bms.charge')
        ns = setup_billing(with_accruals=False)
        company = ns.company
        with Transaction().set_context(company=company.id,
                _skip_warnings=True):
            carrier = tools.carrier("Road Partner")
            card("Carrier", 'payable', ns.cny, [{
                        'charge_type': 'vas', 'code': 'waiting',
                        'method': 'per_unit', 'unit': 'unit',
                        'rate': Decimal('0.80'),
                        'activity': 'stop_waiting'}, {
                        'charge_type': 'vas', 'code': 'attempt',
                        'method': 'flat', 'rate': Decimal('30.00'),
                        'activity': 'delivery_failed'}],
                party=carrier.party)
            card("Customers", 'receivable', ns.cny, [{
                        'charge_type': 'vas', 'code': 'redelivery',
                        'method': 'flat', 'rate': Decimal('15.00'),
                        'activity': 'delivery_failed'}])
            wh = tools.warehouse()
            box = tools.product('BOX', weight_kg=10, volume_m3=0.05)
            a = tools.customer('A', 31.30, 121.55)
            address, = a.addresses
            address.otwb_delivery_from = dt.time(9)
            address.otwb_delivery_to = dt.time(12)
            address.save()
            b = tools.customer('B', 31.20, 121.40)
            tools.vehicle(company, wh, 'T1', 1000, 8, carrier=carrier)
            tools.packed_shipments(company, [(a, box, 2), (b, box, 1)])
            date = pool.get('ir.date').today()
            trip, = Trip.plan(wh, date, time_limit=0.3)[0]
            Trip.confirm([trip])
            Trip.dispatch([trip])
            Trip.start([trip])
            stop_a, = [s for s in trip.stops if s.shipment.customer == a]
            stop_b, = [s for s in trip.stops if s.shipment.customer == b]
            midnight = dt.datetime.combine(date, dt.time())
            # A: arrived 08:20, the window opens 09:00, delivered 09:15
            Stop.write([stop_a], {
                    'state': 'arrived',
                    'arrived_at': midnight + dt.timedelta(hours=8,
                        minutes=20)})
            Stop.record_delivery([stop_a], receiver="Gate",
                when=midnight + dt.timedelta(hours=9, minutes=15))
            self.assertEqual(Stop(stop_a.id).actual_waiting_minutes, 40)
            # B: nobody at home
            Stop.fail([stop_b], reason="Customer absent",
                when=midnight + dt.timedelta(hours=11))
            failed, = Event.search([('activity', '=', 'delivery_failed')])
            self.assertEqual(failed.source, Stop(stop_b.id))
            self.assertEqual(failed.units, Decimal(1))
            self.assertEqual(failed.date, date)
            amounts = {(c.kind, c.code): c.amount for c in failed.charges}
            # carrier paid 30.00 for the attempt, customer billed 15.00
            self.assertEqual(amounts, {
                    ('payable', 'attempt'): Decimal('30.00'),
                    ('receivable', 'redelivery'): Decimal('15.00')})

            Trip.complete([trip])
            waiting, = Event.search([('activity', '=', 'stop_waiting')])
            self.assertEqual(waiting.source, Stop(stop_a.id))
            self.assertEqual(waiting.units, Decimal('40.00'))
            self.assertEqual(waiting.carrier, carrier.party)
            charge, = waiting.charges
            # 40 min x 0.80 = 32.00, payable to the carrier
            self.assertEqual((charge.kind, charge.party, charge.amount),
                ('payable', carrier.party, Decimal('32.00')))

            # exactly once: the hooks again create nothing
            count = Charge.search([], count=True)
            Stop._on_failed([Stop(stop_b.id)])
            Trip._on_completed([Trip(trip.id)])
            self.assertEqual(Event.search([
                        ('activity', 'in', ['stop_waiting',
                                'delivery_failed'])], count=True), 2)
            self.assertEqual(Charge.search([], count=True), count)
