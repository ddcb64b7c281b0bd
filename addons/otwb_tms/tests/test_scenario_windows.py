# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Trip planning with customer delivery windows, several depots at once
and road distances from an OSRM server; plans verified by a checker that
shares no code with the planner."""
import datetime as dt
import math
import random
import threading
import unittest
from http.server import ThreadingHTTPServer

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from . import tools
from .test_engine_distance import _OSRMHandler

SUZHOU = (31.2990, 120.5853)


def _km(a, b):
    "Great-circle km, written again here so the check shares no code"
    r = 6371.0088
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = (math.sin(dp / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2)
    return 2 * r * math.asin(min(1.0, math.sqrt(h)))


def independent_check(trips, shipments, unassigned, road_km=None,
        circuity=1.3, speed=60.0, tolerance_s=5):
    """Problems of stored trips against capacities, delivery windows and
    duty limits, re-simulated from the records alone (own distance
    formula, own clock).  Empty list: the plan is valid."""
    road_km = road_km or (lambda a, b: _km(a, b) * circuity)
    tol = dt.timedelta(seconds=tolerance_s)
    problems = []
    seen = {}
    for trip in trips:
        vehicle = trip.vehicle
        stops = sorted(trip.stops, key=lambda s: s.sequence)
        kg = sum(s.shipment.otwb_weight_kg for s in stops)
        m3 = sum(s.shipment.otwb_volume_m3 for s in stops)
        if kg > vehicle.capacity_weight + 1e-6:
            problems.append('%s: %s kg > %s kg' % (
                    trip.rec_name, kg, vehicle.capacity_weight))
        if m3 > vehicle.capacity_volume + 1e-6:
            problems.append('%s: %s m3 > %s m3' % (
                    trip.rec_name, m3, vehicle.capacity_volume))
        if trip.warehouse != vehicle.depot:
            problems.append('%s: leaves %s, vehicle based at %s' % (
                    trip.rec_name, trip.warehouse.rec_name,
                    vehicle.depot.rec_name))
        here = tools_position(trip.warehouse)
        home = here
        t = trip.departure
        midnight = dt.datetime.combine(trip.date, dt.time())
        for stop in stops:
            shipment = stop.shipment
            if shipment.id in seen:
                problems.append('%s on two trips' % shipment.rec_name)
            seen[shipment.id] = trip
            if shipment.warehouse != trip.warehouse:
                problems.append('%s: shipment of %s on a trip from %s' % (
                        stop.rec_name, shipment.warehouse.rec_name,
                        trip.warehouse.rec_name))
            address = shipment.delivery_address
            there = (address.otwb_latitude, address.otwb_longitude)
            t += dt.timedelta(hours=road_km(here, there) / speed)
            # the shipment's own window first, then the address's
            first = shipment.otwb_delivery_from or \
                address.otwb_delivery_from or dt.time(8)
            last = shipment.otwb_delivery_to or \
                address.otwb_delivery_to or dt.time(18)
            opens = midnight + dt.timedelta(
                hours=first.hour, minutes=first.minute)
            closes = midnight + dt.timedelta(
                hours=last.hour, minutes=last.minute)
            start = max(t, opens)
            if start > closes + tol:
                problems.append('%s: served at %s, window closes %s' % (
                        stop.rec_name, start, closes))
            if abs(stop.eta - start) > tol * (stop.sequence + 1):
                problems.append('%s: ETA %s stored, %s simulated' % (
                        stop.rec_name, stop.eta, start))
            wait = (start - t).total_seconds() / 60
            if abs((stop.waiting_minutes or 0) - wait) > 0.2 * (
                    stop.sequence + 1):
                problems.append('%s: waiting %s min stored, %.1f simulated'
                    % (stop.rec_name, stop.waiting_minutes, wait))
            service = address.otwb_service_minutes
            t = start + dt.timedelta(
                minutes=10 if service is None else service)
            here = there
        t += dt.timedelta(hours=road_km(here, home) / speed)
        hours = (t - trip.departure).total_seconds() / 3600
        if hours > vehicle.duty_limit_hours + tolerance_s / 3600:
            problems.append('%s: %.2f h > duty %s h' % (
                    trip.rec_name, hours, vehicle.duty_limit_hours))
        if t.date() != trip.date or t > midnight + dt.timedelta(hours=22):
            problems.append('%s: returns at %s, depot closed' % (
                    trip.rec_name, t))
    listed = {s.id: reason for s, reason in unassigned}
    for shipment in shipments:
        if shipment.id not in seen and not listed.get(shipment.id):
            problems.append('%s neither planned nor listed' % (
                    shipment.rec_name))
        if shipment.id in seen and shipment.id in listed:
            problems.append('%s planned and listed' % shipment.rec_name)
    return problems


def tools_position(warehouse):
    address = warehouse.address
    return address.otwb_latitude, address.otwb_longitude


class WindowsScenarioTestCase(unittest.TestCase):
    "Delivery windows, several depots, OSRM distances"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms'])

    def _customer(self, name, lat, lon, start=None, end=None, service=None):
        party = tools.customer(name, lat, lon)
        address, = party.addresses
        address.otwb_delivery_from = start
        address.otwb_delivery_to = end
        address.otwb_service_minutes = service
        address.save()
        return party

    @with_transaction()
    def test_windows_eta_waiting_and_infeasible(self):
        "ETAs inside the windows, waiting computed, impossible ones listed"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Address = pool.get('party.address')
        company = create_company()
        with set_company(company):
            wh = tools.warehouse()
            box = tools.product('BOX', weight_kg=10, volume_m3=0.05)
            # ~13 km north-east: 09:00-10:00, 25 min to unload
            a = self._customer('A', 31.31, 121.57, dt.time(9),
                dt.time(10), 25)
            # ~8 km away, but only from 13:00: the truck waits
            b = self._customer('B', 31.27, 121.52, dt.time(13),
                dt.time(14))
            # before the depot opens at 06:00: cannot be kept
            c = self._customer('C', 31.40, 121.70, dt.time(5),
                dt.time(6))
            tools.vehicle(company, wh, 'T1', 1000, 8)
            sa, sb, sc = tools.packed_shipments(
                company, [(a, box, 2), (b, box, 2), (c, box, 2)])
            today = dt.date.today()
            trips, unassigned = Trip.plan(wh, today, time_limit=0.5)
            self.assertEqual([s for s, _ in unassigned], [sc])
            self.assertTrue(unassigned[0][1].startswith('time window'),
                unassigned[0][1])
            trip, = trips
            first, second = sorted(trip.stops, key=lambda s: s.sequence)
            self.assertEqual(
                [first.shipment, second.shipment], [sa, sb])
            midnight = dt.datetime.combine(today, dt.time())
            self.assertEqual(first.window_start,
                midnight + dt.timedelta(hours=9))
            self.assertEqual(second.window_end,
                midnight + dt.timedelta(hours=14))
            self.assertEqual(first.service_minutes, 25)
            self.assertEqual(second.service_minutes, 10)
            # the departure is delayed as far as A's window allows, to
            # cut the wait at B: A is served at 10:00, without waiting
            self.assertEqual(first.eta, midnight + dt.timedelta(hours=10))
            self.assertEqual(first.waiting_minutes, 0)
            self.assertEqual(first.arrival_eta, first.eta)
            # B: arrives before 13:00 and waits until the window opens
            self.assertEqual(second.eta, midnight + dt.timedelta(hours=13))
            leg = _km((31.31, 121.57), (31.27, 121.52)) * 1.3  # 60 km/h
            arrival = midnight + dt.timedelta(hours=10, minutes=25 + leg)
            self.assertLess(
                abs((second.arrival_eta - arrival).total_seconds()), 2)
            self.assertAlmostEqual(second.waiting_minutes,
                (second.eta - second.arrival_eta).total_seconds() / 60,
                places=0)
            self.assertGreater(second.waiting_minutes, 140)
            self.assertEqual(independent_check(
                    trips, [sa, sb, sc], unassigned), [])
            # a slot booked on the shipment wins over its address's
            # window: A only from 11:30 to 12:00, still before B
            Shipment = pool.get('stock.shipment.out')
            Shipment.write([sa], {'otwb_delivery_from': dt.time(11, 30),
                    'otwb_delivery_to': dt.time(12)})
            # re-planned: the unlocked trip of the day is planned again
            trips, unassigned = Trip.plan(wh, today, time_limit=0.5)
            trip, = trips
            first, second = sorted(trip.stops, key=lambda s: s.sequence)
            self.assertEqual(first.shipment, sa)
            self.assertEqual((first.window_start, first.window_end), (
                    midnight + dt.timedelta(hours=11, minutes=30),
                    midnight + dt.timedelta(hours=12)))
            self.assertGreaterEqual(first.eta,
                midnight + dt.timedelta(hours=11, minutes=30))
            self.assertLessEqual(first.eta, midnight + dt.timedelta(hours=12))
            self.assertEqual(independent_check(
                    trips, [sa, sb, sc], unassigned), [])
            with self.assertRaises(ValidationError):
                Shipment.write([sb], {'otwb_delivery_from': dt.time(15),
                        'otwb_delivery_to': dt.time(11)})

            # a window that ends before it starts is refused
            address, = a.addresses
            with self.assertRaises(ValidationError):
                Address.write([address], {
                        'otwb_delivery_from': dt.time(15),
                        'otwb_delivery_to': dt.time(11)})

    @with_transaction()
    def test_generated_plans_respect_capacity_windows_and_duty(self):
        "Random days: every trip checked independently of the solver"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Driver = pool.get('otwb.tms.driver')
        company = create_company()
        with set_company(company):
            wh = tools.warehouse()
            rng = random.Random(11)
            products = [tools.product('P%d' % k, weight_kg=w, volume_m3=v)
                for k, (w, v) in enumerate([(15, 0.1), (40, 0.3)])]
            lines = []
            for i in range(24):
                opens = rng.choice([8, 9, 10, 12, 14])
                width = rng.choice([1, 2, 3, 4])
                party = self._customer('G%02d' % i,
                    31.23 + rng.uniform(-0.3, 0.3),
                    121.47 + rng.uniform(-0.3, 0.3),
                    dt.time(opens), dt.time(min(opens + width, 20)),
                    rng.choice([None, 5, 20]))
                lines.append((party, rng.choice(products),
                        rng.randint(1, 6)))
            driver, = Driver.create([{'name': "Wang", 'max_duty_hours': 5}])
            tools.vehicle(company, wh, 'S1', 400, 3, driver=driver)
            tools.vehicle(company, wh, 'S2', 400, 3, max_hours=6)
            tools.vehicle(company, wh, 'L1', 900, 6, fixed=250)
            shipments = tools.packed_shipments(company, lines)
            trips, unassigned = Trip.plan(
                wh, dt.date.today(), time_limit=1.0)
            self.assertTrue(trips)
            self.assertEqual(independent_check(
                    trips, shipments, unassigned), [])
            self.assertEqual(
                tools.check_stored_trips(wh, trips, shipments), [])
            for _, reason in unassigned:
                self.assertTrue(reason)

    @with_transaction()
    def test_several_warehouses_in_one_model(self):
        "Two warehouses planned at once; each shipment leaves its own"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        company = create_company()
        with set_company(company):
            sh = tools.warehouse()
            sz = tools.second_warehouse('SZ', SUZHOU)
            box = tools.product('BOX', weight_kg=20, volume_m3=0.1)
            near_sh = [tools.customer('SH%d' % i, 31.2 + 0.03 * i, 121.4)
                for i in range(3)]
            near_sz = [tools.customer('SZ%d' % i, 31.3, 120.6 + 0.03 * i)
                for i in range(3)]
            ships_sh = tools.packed_shipments(
                company, [(p, box, 2) for p in near_sh])
            # goods for a Shanghai customer held in Suzhou: a Suzhou truck
            odd = tools.customer('ODD', 31.25, 121.45)
            ships_sz = tools.packed_shipments(
                company, [(p, box, 2) for p in near_sz + [odd]], wh=sz)
            v_sh = tools.vehicle(company, sh, 'SH-T', 1000, 8)
            v_sz = tools.vehicle(company, sz, 'SZ-T', 1000, 8)
            info = {}
            trips, unassigned = Trip.plan(
                [sh, sz], dt.date.today(), time_limit=0.5, info=info)
            self.assertEqual(unassigned, [])
            self.assertEqual(info['depots'], 2)
            by_vehicle = {t.vehicle: t for t in trips}
            self.assertEqual(set(by_vehicle), {v_sh, v_sz})
            self.assertEqual(by_vehicle[v_sh].warehouse, sh)
            self.assertEqual(by_vehicle[v_sz].warehouse, sz)
            self.assertEqual(
                sorted(s.shipment.id for s in by_vehicle[v_sh].stops),
                sorted(s.id for s in ships_sh))
            self.assertEqual(
                sorted(s.shipment.id for s in by_vehicle[v_sz].stops),
                sorted(s.id for s in ships_sz))
            all_ships = list(ships_sh) + list(ships_sz)
            self.assertEqual(independent_check(trips, all_ships, []), [])
            self.assertEqual(tools.check_stored_trips(
                    [sh, sz], trips, all_ships), [])
            # a queued planning run re-plans both: the draft trips are
            # replaced, no duplicates
            Run = pool.get('otwb.tms.planning.run')
            Queue = pool.get('ir.queue')
            User = pool.get('res.user')
            User.write([User(Transaction().user)], {
                    'companies': [('add', [company.id])],
                    'company': company.id})
            run, = Run.create([{'warehouse': sh.id,
                        'extra_warehouses': [('add', [sz.id])],
                        'date': dt.date.today(), 'time_limit': 0.3}])
            Run.run([run])
            task, = Queue.search([('name', '=', 'otwb_tms_planning')])
            task.run()
            run = Run(run.id)
            self.assertEqual(run.state, 'done', run.message)
            self.assertEqual((run.trip_count, run.stop_count,
                    run.unassigned_count), (2, 7, 0))
            self.assertTrue(run.distance_source.startswith('great-circle'))
            self.assertEqual(Trip.search([], count=True), 2)


class OSRMScenarioTestCase(unittest.TestCase):
    "Road distances from an OSRM server over HTTP"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms'])

    def setUp(self):
        # a real HTTP server on a free loopback port, answering like OSRM
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), _OSRMHandler)
        self.server.requests = []
        self.server.max_size = 100
        self.server.null_pair = False
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    @with_transaction()
    def test_osrm_distances_and_unreachable_server(self):
        "Trips measured by OSRM; a dead server fails clearly or falls back"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Config = pool.get('otwb.configuration')
        company = create_company()
        with set_company(company):
            wh = tools.warehouse()
            box = tools.product('BOX', weight_kg=10, volume_m3=0.05)
            a = tools.customer('A', 31.30, 121.60)
            tools.vehicle(company, wh, 'T1', 1000, 8)
            shipment, = tools.packed_shipments(company, [(a, box, 1)])
            config = Config(1)
            config.tms_distance_provider = 'osrm'
            config.tms_osrm_url = 'http://127.0.0.1:%s' % (
                self.server.server_address[1])
            config.save()
            info = {}
            trip, = Trip.plan(wh, dt.date.today(), time_limit=0.3,
                info=info)[0]
            self.assertEqual(len(self.server.requests), 1)
            self.assertIn('OSRM', info['distance_source'])
            # the server: metres = 1.25 x great-circle, 50 km/h
            km = _km(tools.SHANGHAI, (31.30, 121.60)) * 1.25
            self.assertAlmostEqual(trip.distance, round(2 * km, 2),
                places=2)
            stop, = trip.stops
            self.assertLess(abs((stop.arrival_eta - trip.departure)
                    .total_seconds() - km / 50 * 3600), 2)

            # nothing listens on the discard port: a clear error
            config.tms_osrm_url = 'http://127.0.0.1:9'
            config.save()
            with self.assertRaises(ValidationError) as cm:
                Trip.plan(wh, dt.date.today(), time_limit=0.3)
            self.assertIn('http://127.0.0.1:9', str(cm.exception))
            self.assertIn('unreachable', str(cm.exception))
            # ... or great-circle distances when the fallback is allowed
            config.tms_osrm_fallback = True
            config.save()
            info = {}
            trip, = Trip.plan(wh, dt.date.today(), time_limit=0.3,
                info=info)[0]
            self.assertIn('OSRM', info['distance_source'])
            self.assertIn('great-circle', info['distance_source'])
            self.assertAlmostEqual(trip.distance, round(
                    2 * _km(tools.SHANGHAI, (31.30, 121.60)) * 1.3, 2),
                places=2)
