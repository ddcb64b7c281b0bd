# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Dispatch and execution: tracking API, ETA, alerts, proof of delivery."""
import base64
import datetime as dt
import random
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.otwb_tms.engine.distance import haversine_km
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from otwb_tools.testing import check_document

from . import tools

SIGNATURE = base64.b64encode(b'\x89PNG fake signature').decode()

# the documents' text is read from the ODT (PDF when LibreOffice is
# installed: tests/test_documents_pdf.py)
ODT = {'otwb_report_format': 'odt'}


class TrackingScenarioTestCase(unittest.TestCase):
    "Tracking events"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms'])

    def _trip(self, company):
        "A dispatched trip with three stops in Shanghai"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        wh = tools.warehouse()
        product = tools.product('BOX', weight_kg=20, volume_m3=0.1)
        customers = [tools.customer('C%d' % i, lat, lon) for i, (lat, lon)
            in enumerate([(31.30, 121.50), (31.35, 121.55),
                    (31.25, 121.60)])]
        tools.vehicle(company, wh, 'T1', 1000, 8)
        tools.packed_shipments(company, [(c, product, 2) for c in customers])
        trip, = Trip.plan(wh, dt.date.today(), time_limit=0.3)[0]
        Trip.confirm([trip])
        Trip.dispatch([trip])
        trip = Trip(trip.id)
        self.assertEqual(trip.state, 'dispatched')
        self.assertTrue(all(s.shipment.state == 'shipped'
                for s in trip.stops))
        return trip

    def _at(self, trip, hour, minute=0):
        return dt.datetime.combine(trip.date, dt.time(hour, minute))

    @with_transaction()
    def test_execution_flow_eta_alerts_and_pod(self):
        "Events move the trip, recompute ETAs, raise alerts, record POD"
        pool = Pool()
        Event = pool.get('otwb.tms.tracking.event')
        Exception_ = pool.get('otwb.tms.exception')
        Trip = pool.get('otwb.tms.trip')
        Stop = pool.get('otwb.tms.trip.stop')
        config = pool.get('otwb.configuration')(1)
        company = create_company()
        with set_company(company), Transaction().set_context(
                _skip_warnings=True):  # moves without sale origin
            trip = self._trip(company)
            stops = sorted(trip.stops, key=lambda s: s.sequence)
            number = trip.number

            def send(**item):
                item.setdefault('trip', number)
                answer, = Event.submit([item])
                return answer

            answer = send(event_id='e1', type='departed',
                occurred_at=self._at(trip, 9).isoformat())
            self.assertEqual(answer['status'], 'applied')
            trip = Trip(trip.id)
            self.assertEqual(trip.state, 'in_transit')
            self.assertEqual(trip.departure, self._at(trip, 9))

            # a position on the way: ETA of stop 1 = now + road km / speed
            lat, lon = 31.26, 121.48
            answer = send(event_id='e2', type='position',
                occurred_at=self._at(trip, 9, 30).isoformat(),
                latitude=lat, longitude=lon)
            self.assertNotIn('deviation', answer['alerts'])
            first = Stop(stops[0].id)
            km = haversine_km(lat, lon, first.latitude, first.longitude) \
                * config.circuity_factor
            expected = self._at(trip, 9, 30) + dt.timedelta(
                hours=km / config.average_speed)
            self.assertLess(abs((first.eta - expected).total_seconds()), 1)
            self.assertEqual(answer['etas'][0]['eta'],
                first.eta.isoformat())

            # arrival, then leaving 90 min later: long stop (10 + 30 min)
            send(event_id='e3', type='arrived', stop=first.sequence,
                occurred_at=self._at(trip, 10).isoformat())
            self.assertEqual(Stop(first.id).state, 'arrived')
            answer = send(event_id='e4', type='delivered',
                stop=first.sequence, receiver="Wang Fang",
                latitude=first.latitude, longitude=first.longitude,
                signature=SIGNATURE,
                occurred_at=self._at(trip, 11, 20).isoformat())
            first = Stop(first.id)
            self.assertEqual(first.state, 'delivered')
            self.assertEqual(first.pod_receiver, "Wang Fang")
            self.assertEqual(first.delivered_at, self._at(trip, 11, 20))
            self.assertEqual(bytes(first.pod_signature),
                b'\x89PNG fake signature')
            self.assertEqual(first.pod_latitude, first.latitude)
            self.assertEqual(first.shipment.state, 'done')
            answer = send(event_id='e5', type='departed',
                stop=first.sequence,
                occurred_at=self._at(trip, 11, 30).isoformat())
            self.assertEqual(answer['alerts'], ['long_stop'])

            # a 10 h delay pushes the last stops past 18:00: late alerts
            answer = send(event_id='e6', type='delay', delay_minutes=600,
                occurred_at=self._at(trip, 11, 40).isoformat())
            late = Exception_.search([('kind', '=', 'late'),
                    ('stop.sequence', 'in', [2, 3])])
            self.assertEqual(sorted(e.stop.sequence for e in late), [2, 3])
            for alert in late:
                self.assertIn('after the promised', alert.description)
            late = Exception_.search([('kind', '=', 'late')])
            for stop in Stop.browse([stops[1].id, stops[2].id]):
                self.assertGreater(stop.eta, stop.promised_at)
            # the same condition again does not duplicate open alerts
            send(event_id='e7', type='delay', delay_minutes=620,
                occurred_at=self._at(trip, 11, 45).isoformat())
            self.assertEqual(
                Exception_.search([('kind', '=', 'late')], count=True),
                len(late))

            # 60 km off the road to the next stop: deviation, trip in
            # exception
            answer = send(event_id='e8', type='position',
                latitude=31.80, longitude=121.50,
                occurred_at=self._at(trip, 12).isoformat())
            self.assertIn('deviation', answer['alerts'])
            self.assertEqual(Trip(trip.id).state, 'exception')

            # failed delivery with its reason
            answer = send(event_id='e9', type='failed', stop=2,
                reason="Customer absent",
                occurred_at=self._at(trip, 13).isoformat())
            self.assertIn('failed_delivery', answer['alerts'])
            second = Stop(stops[1].id)
            self.assertEqual(second.state, 'failed')
            self.assertEqual(second.failure_reason, "Customer absent")
            self.assertEqual(second.attempts, 1)

            # the dispatcher resolves everything: back in transit
            Exception_.resolve(Exception_.search([]))
            self.assertEqual(Trip(trip.id).state, 'in_transit')
            send(event_id='e10', type='delivered', stop=3,
                occurred_at=self._at(trip, 23).isoformat())
            Trip.complete([Trip(trip.id)])
            self.assertEqual(Trip(trip.id).state, 'done')
            self.assertEqual(
                Event.search([('trip', '=', trip.id)], count=True), 10)

            # a copy is a new draft trip to serve the same stops again
            copy, = Trip.copy([Trip(trip.id)])
            self.assertNotEqual(copy.number, Trip(trip.id).number)
            self.assertEqual(copy.state, 'draft')
            self.assertEqual(copy.tracking_events, ())
            self.assertEqual(copy.departure, None)
            self.assertEqual(
                [(s.state, s.attempts, s.failure_reason, s.delivered_at)
                    for s in copy.stops],
                [('pending', 0, None, None)] * len(stops))

    @with_transaction()
    def test_bad_events_are_rejected_and_write_nothing(self):
        "Every input is validated; a rejected item changes nothing"
        pool = Pool()
        Event = pool.get('otwb.tms.tracking.event')
        Stop = pool.get('otwb.tms.trip.stop')
        company = create_company()
        with set_company(company), Transaction().set_context(
                _skip_warnings=True):  # moves without sale origin
            trip = self._trip(company)
            now = self._at(trip, 10).isoformat()
            answers = Event.submit([
                    {'event_id': 'x1', 'type': 'departed', 'trip': 'NOPE',
                        'occurred_at': now},
                    {'event_id': 'x2', 'type': 'failed',
                        'trip': trip.number, 'stop': 1,
                        'occurred_at': now},
                    {'event_id': 'x3', 'type': 'position',
                        'trip': trip.number, 'latitude': 95,
                        'longitude': 121, 'occurred_at': now},
                    {'event_id': 'x4', 'type': 'teleported',
                        'trip': trip.number, 'occurred_at': now},
                    {'event_id': 'x5', 'type': 'arrived',
                        'trip': trip.number, 'stop': 9,
                        'occurred_at': now},
                    {'event_id': 'x6', 'type': 'delivered',
                        'trip': trip.number, 'stop': 1,
                        'occurred_at': 'yesterday'},
                    {'event_id': '', 'type': 'departed',
                        'trip': trip.number, 'occurred_at': now},
                    {'event_id': 'x8', 'type': 'delivered',
                        'trip': trip.number, 'stop': 1,
                        'photo': 'not base64!', 'occurred_at': now},
                    {'event_id': 'x9', 'type': 'delay',
                        'trip': trip.number, 'delay_minutes': 'late',
                        'occurred_at': now},
                    ])
            self.assertEqual({a['status'] for a in answers}, {'rejected'})
            expected = ['NOPE', 'reason', 'latitude', 'teleported', '9',
                'occurred_at', 'event_id', 'photo', 'delay_minutes']
            for answer, word in zip(answers, expected):
                self.assertTrue(
                    any(word in e for e in answer['errors']),
                    (word, answer['errors']))
            self.assertEqual(Event.search([], count=True), 0)
            self.assertEqual({s.state for s in Stop.search([])},
                {'pending'})

    @with_transaction()
    def test_retries_are_idempotent(self):
        "Random retries of a batch apply each event exactly once"
        pool = Pool()
        Event = pool.get('otwb.tms.tracking.event')
        Exception_ = pool.get('otwb.tms.exception')
        Stop = pool.get('otwb.tms.trip.stop')
        company = create_company()
        with set_company(company), Transaction().set_context(
                _skip_warnings=True):  # moves without sale origin
            trip = self._trip(company)
            stops = sorted(trip.stops, key=lambda s: s.sequence)
            events = [
                {'event_id': 'r1', 'type': 'departed'},
                {'event_id': 'r2', 'type': 'arrived', 'stop': 1},
                {'event_id': 'r3', 'type': 'delivered', 'stop': 1,
                    'receiver': "Front desk"},
                {'event_id': 'r4', 'type': 'delay', 'delay_minutes': 700},
                {'event_id': 'r5', 'type': 'failed', 'stop': 2,
                    'reason': "Address not found"},
                ]
            for n, event in enumerate(events):
                event['trip'] = trip.number
                event['occurred_at'] = self._at(trip, 9 + n).isoformat()
            rng = random.Random(5)
            applied = set()
            for _ in range(12):
                batch = rng.sample(events, rng.randint(1, len(events)))
                batch.sort(key=lambda e: e['event_id'])
                for answer in Event.submit(batch):
                    if answer['status'] == 'applied':
                        self.assertNotIn(answer['event_id'], applied)
                        applied.add(answer['event_id'])
                    else:
                        self.assertIn(answer['status'],
                            {'duplicate', 'rejected'}, answer)
            # every event at most once; delivered/failed once
            self.assertEqual(Event.search([], count=True), len(applied))
            first, second = Stop.browse([stops[0].id, stops[1].id])
            if 'r3' in applied:
                self.assertEqual(first.state, 'delivered')
            if 'r5' in applied:
                self.assertEqual(second.attempts, 1)
            failed = Exception_.search([('kind', '=', 'failed_delivery')])
            self.assertLessEqual(len(failed), 1)

            # same id, other payload: conflict, nothing applied
            changed = dict(events[0], occurred_at=self._at(
                    trip, 7).isoformat())
            answer, = Event.submit([changed])
            if 'r1' in applied:
                self.assertEqual(answer['status'], 'conflict')
                self.assertEqual(Event(Event.search(
                            [('event_id', '=', 'r1')])[0].id).occurred_at,
                    self._at(trip, 9))


class ManifestScenarioTestCase(unittest.TestCase):
    "Trip manifest report"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms'])

    @with_transaction(context=ODT)
    def test_manifest_lists_the_stops_in_order(self):
        "The waybill shows the trip, vehicle and stops in delivery order"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Manifest = pool.get('otwb.tms.trip.manifest', type='report')
        company = create_company()
        with set_company(company):
            wh = tools.warehouse()
            product = tools.product('BOX', weight_kg=20, volume_m3=0.1)
            customers = [tools.customer('Shop %s' % c, lat, lon)
                for c, lat, lon in [('Alpha', 31.30, 121.50),
                    ('Beta', 31.35, 121.55)]]
            tools.vehicle(company, wh, 'Van 1', 1000, 8)
            tools.packed_shipments(
                company, [(c, product, 2) for c in customers])
            trip, = Trip.plan(wh, dt.date.today(), time_limit=0.3)[0]
            ext, content, _, name = Manifest.execute([trip.id], {})
            check_document(self, Manifest, [trip.id])
            self.assertEqual(ext, 'odt')
            import io
            import zipfile
            xml = zipfile.ZipFile(io.BytesIO(content)).read(
                'content.xml').decode()
            self.assertIn(trip.number, xml)
            self.assertIn('Van 1', xml)
            order = [s.customer.name for s in sorted(
                    trip.stops, key=lambda s: s.sequence)]
            self.assertLess(xml.index(order[0]), xml.index(order[1]))
            self.assertIn('80.0 kg', xml)


class TrackingAccessScenarioTestCase(unittest.TestCase):
    "Tracking and route queries as an integration user"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms'])

    @with_transaction()
    def test_integration_user_submits_events_and_queries_routes(self):
        "The integration role reaches both RPC methods with access checks"
        pool = Pool()
        User = pool.get('res.user')
        Event = pool.get('otwb.tms.tracking.event')
        Route = pool.get('otwb.tms.route')
        Node = pool.get('otwb.tms.node')
        Lane = pool.get('otwb.tms.lane')
        Trip = pool.get('otwb.tms.trip')
        ModelData = pool.get('ir.model.data')
        self.assertIn('submit', Event.__rpc__)
        self.assertIn('query', Route.__rpc__)
        company = create_company()
        with set_company(company), Transaction().set_context(
                _skip_warnings=True):
            trip = TrackingScenarioTestCase._trip(self, company)
            a, b = Node.create([
                    {'code': 'A', 'name': "A", 'latitude': 31,
                        'longitude': 121},
                    {'code': 'B', 'name': "B", 'latitude': 30,
                        'longitude': 114}])
            Lane.create([{'from_node': a.id, 'to_node': b.id,
                        'mode': 'road_ftl', 'distance': 800,
                        'transit_hours': 14,
                        'cost_per_tkm': Decimal('0.3')}])
            group = ModelData.get_id('otwb_base', 'group_integration')
            user, = User.create([{'login': 'carrier-api',
                        'name': "Carrier API", 'groups': [('add', [group])],
                        'companies': [('add', [company.id])],
                        'company': company.id}])
            with Transaction().set_user(user.id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                answer, = Event.submit([{
                            'event_id': 'api-1', 'type': 'delivered',
                            'trip': trip.number, 'stop': 1,
                            'receiver': "Gate", 'occurred_at':
                            TrackingScenarioTestCase._at(
                                self, trip, 10).isoformat()}])
                self.assertEqual(answer['status'], 'applied', answer)
                quote, = Route.query([{'origin': 'A', 'destination': 'B',
                            'tonnes': 10}])
                self.assertEqual(quote['status'], 'quoted', quote)
                self.assertEqual(quote['cost'], '2400.00')
            self.assertEqual(Trip(trip.id).state, 'in_transit')
            event, = Event.search([('event_id', '=', 'api-1')])
            self.assertEqual(event.user, user)

    @with_transaction()
    def test_carrier_user_posts_only_for_its_carrier(self):
        "A carrier's integration user reaches its trips, no other"
        pool = Pool()
        User = pool.get('res.user')
        Event = pool.get('otwb.tms.tracking.event')
        Trip = pool.get('otwb.tms.trip')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company), Transaction().set_context(
                _skip_warnings=True):
            wh = tools.warehouse()
            box = tools.product('BOX', weight_kg=20, volume_m3=0.1)
            x, y = tools.carrier("Carrier X"), tools.carrier("Carrier Y")
            trips = {}
            for name, carrier, lat in (('X', x, 31.30), ('Y', y, 31.35),
                    ('OWN', None, 31.25)):
                party = tools.customer('C' + name, lat, 121.55)
                tools.vehicle(company, wh, 'T' + name, 1000, 8,
                    carrier=carrier)
                tools.packed_shipments(company, [(party, box, 1)])
                # the earlier trucks are busy on dispatched trips
                trip, = Trip.plan(wh, dt.date.today(), time_limit=0.3)[0]
                Trip.confirm([trip])
                Trip.dispatch([trip])
                trips[name] = Trip(trip.id)
            self.assertEqual(trips['X'].carrier, x)
            self.assertEqual(trips['OWN'].carrier, None)
            group = ModelData.get_id('otwb_base', 'group_integration')
            user_x, user_own = User.create([{
                        'login': login, 'name': login,
                        'groups': [('add', [group])],
                        'otwb_carrier': carrier,
                        'companies': [('add', [company.id])],
                        'company': company.id}
                    for login, carrier in (('x-api', x.id),
                        ('fleet-api', None))])

            def post(user, name, event_id):
                with Transaction().set_user(user.id), \
                        Transaction().set_context(
                            _check_access=True, company=company.id):
                    answer, = Event.submit([{
                                'event_id': event_id, 'type': 'position',
                                'trip': trips[name].number,
                                'latitude': 31.24, 'longitude': 121.48,
                                'occurred_at': dt.datetime.combine(
                                    dt.date.today(), dt.time(9)
                                    ).isoformat()}])
                return answer

            answer = post(user_x, 'X', 'x-1')
            self.assertEqual(answer['status'], 'applied', answer)
            for name, event_id in (('Y', 'x-2'), ('OWN', 'x-3')):
                answer = post(user_x, name, event_id)
                self.assertEqual(answer['status'], 'rejected')
                self.assertEqual(len(answer['errors']), 1, answer)
                self.assertIn('Carrier X', answer['errors'][0])
            answer = post(user_own, 'OWN', 'own-1')
            self.assertEqual(answer['status'], 'applied', answer)
            answer = post(user_own, 'X', 'own-2')
            self.assertEqual(answer['status'], 'rejected')
            self.assertIn('own-fleet', answer['errors'][0])
            # only the two allowed events were written, by their users
            events = Event.search([], order=[('event_id', 'ASC')])
            self.assertEqual([(e.event_id, e.user, e.trip) for e in events],
                [('own-1', user_own, trips['OWN']),
                    ('x-1', user_x, trips['X'])])
            self.assertEqual(Trip(trips['Y'].id).last_latitude, None)
            # record rules: each integration user reads its trips only
            for user, name in ((user_x, 'X'), (user_own, 'OWN')):
                with Transaction().set_user(user.id), \
                        Transaction().set_context(
                            _check_access=True, company=company.id):
                    self.assertEqual(Trip.search([]), [trips[name]])
            # a dispatcher (not an integration user) reaches every trip
            answer, = Event.submit([{
                        'event_id': 'desk-1', 'type': 'position',
                        'trip': trips['Y'].number, 'latitude': 31.3,
                        'longitude': 121.5,
                        'occurred_at': '2026-01-01T09:00:00'}])
            self.assertEqual(answer['status'], 'applied', answer)
