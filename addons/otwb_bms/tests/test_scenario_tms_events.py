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

    @with_transaction()
    def test_chosen_carrier_plans_and_bills(self):
        """A shipment whose carrier was chosen ("Select Carrier") is planned
        only onto that carrier's vehicle, and its delivery is paid to that
        carrier by its payable rate card, at the cost the choice quoted"""
        from trytond.modules.otwb_tms.tests import tools
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Stop = pool.get('otwb.tms.trip.stop')
        Shipment = pool.get('stock.shipment.out')
        Service = pool.get('otwb.tms.carrier.service')
        Rule = pool.get('otwb.tms.carrier.rule')
        Event = pool.get('otwb.bms.event')
        ns = setup_billing(with_accruals=False)
        company = ns.company
        with Transaction().set_context(company=company.id,
                _skip_warnings=True):
            deppon = tools.carrier("Deppon")
            zto = tools.carrier("ZTO")
            ltl, = Service.create([{'carrier': deppon.id, 'name': "LTL",
                        'code': 'DP-LTL', 'mode': 'road_ltl',
                        'service_level': 'standard', 'sla_hours': 72}])
            Rule.create([{'sequence': 10, 'name': "Heavy by Deppon",
                        'min_weight': 15, 'policy': 'fixed',
                        'service': ltl.id}])
            # Deppon's card: 0.50 per kg + 12.00 per delivered shipment
            deppon_card = card("Deppon 2026", 'payable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'freight',
                        'activity': 'shipment_delivered',
                        'method': 'per_unit', 'unit': 'kg',
                        'rate': Decimal('0.50')}, {
                        'sequence': 20, 'charge_type': 'handling_outbound',
                        'activity': 'shipment_delivered',
                        'method': 'flat', 'rate': Decimal('12.00')}],
                party=deppon.party)
            card("Customers", 'receivable', ns.cny, [{
                        'charge_type': 'freight', 'method': 'flat',
                        'rate': Decimal('30.00'),
                        'activity': 'shipment_delivered'}])
            wh = tools.warehouse()
            box = tools.product('BOX', weight_kg=10, volume_m3=0.05)
            a = tools.customer('A', 31.30, 121.55)
            b = tools.customer('B', 31.20, 121.40)
            c = tools.customer('C', 31.25, 121.45)
            # the own truck is much cheaper: without the choice it would
            # take every shipment
            own = tools.vehicle(company, wh, 'OWN', 1000, 8, fixed=50)
            truck = tools.vehicle(company, wh, 'DP-1', 1000, 8, fixed=400,
                carrier=deppon)
            to_a, to_b, to_c = tools.packed_shipments(company, [
                    (a, box, 2), (b, box, 1), (c, box, 1)])
            Shipment.otwb_select_carrier([to_a, to_b])
            to_a, to_b = Shipment.browse([to_a.id, to_b.id])
            # 20 kg: 20 x 0.50 + 12.00 = 22.00 by Deppon's card; 10 kg
            # matches no rule
            self.assertEqual(
                (to_a.otwb_carrier, to_a.otwb_carrier_service,
                    to_a.otwb_carrier_cost),
                (deppon, ltl, Decimal('22.00')))
            self.assertIsNone(to_b.otwb_carrier)
            # ZTO chosen by hand for C, without a vehicle here
            Shipment.write([to_c], {'otwb_carrier': zto.id})

            date = pool.get('ir.date').today()
            trips, unassigned = Trip.plan(wh, date, time_limit=0.3)
            by_shipment = {s.shipment: t for t in trips for s in t.stops}
            self.assertEqual(
                (by_shipment[to_a].vehicle, by_shipment[to_a].carrier),
                (truck, deppon))
            # B (no carrier chosen) may go with any vehicle
            self.assertIn(by_shipment[to_b].vehicle, [own, truck])
            self.assertNotIn(to_c, by_shipment)
            (shipment, reason), = unassigned
            self.assertEqual(shipment, to_c)
            self.assertIn('"ZTO - Freight ZTO"', reason)
            self.assertIn('has no vehicle available', reason)
            self.assertEqual(
                tools.check_stored_trips(wh, trips, [to_a, to_b]), [])

            for trip in trips:
                Trip.confirm([trip])
                Trip.dispatch([trip])
                Trip.start([trip])
                Stop.record_delivery(list(trip.stops), receiver="Gate")
            paid, = Event.search([('activity', '=', 'shipment_delivered'),
                    ('source', '=', str(to_a))])
            self.assertEqual((paid.carrier, paid.service_level, paid.kg),
                (deppon.party, 'standard', Decimal('20.000')))
            payable = sorted((c.charge_type, c.amount, c.card)
                for c in paid.charges if c.kind == 'payable')
            # the cost quoted when the carrier was chosen: 10.00 + 12.00
            self.assertEqual(payable, [
                    ('freight', Decimal('10.00'), deppon_card),
                    ('handling_outbound', Decimal('12.00'), deppon_card)])
            self.assertEqual(sum(p[1] for p in payable),
                to_a.otwb_carrier_cost)
            self.assertEqual({c.party for c in paid.charges
                    if c.kind == 'payable'}, {deppon.party})
            # no carrier chosen for B: no carrier to pay per shipment
            other, = Event.search([('activity', '=', 'shipment_delivered'),
                    ('source', '=', str(to_b))])
            self.assertEqual(
                [(c.kind, c.amount) for c in other.charges],
                [('receivable', Decimal('30.00'))])
