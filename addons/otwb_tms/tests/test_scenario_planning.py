# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Trip planning from packed shipments: capacities, duty limits, locks,
re-planning and the planning run in the task queue."""
import datetime as dt
import random
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from . import tools


def _check(test, warehouse, trips, shipments):
    "The stored trips pass engine.vrp.check_plan and the duty limits"
    test.assertEqual(
        tools.check_stored_trips(warehouse, trips, shipments), [])
    for trip in trips:
        test.assertLessEqual(
            trip.duration, trip.vehicle.duty_limit_hours * 60 + 1e-6)
        test.assertLessEqual(
            trip.load_weight, trip.vehicle.capacity_weight + 1e-6)
        test.assertLessEqual(
            trip.load_volume, trip.vehicle.capacity_volume + 1e-6)


class PlanningScenarioTestCase(unittest.TestCase):
    "Trip planning"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms'])

    def _world(self, n=12, seed=7, truck_kg=600, truck_m3=4):
        rng = random.Random(seed)
        wh = tools.warehouse()
        product = tools.product('BOX', weight_kg=20, volume_m3=0.1)
        lines = []
        for i in range(n):
            party = tools.customer(
                'C%02d' % i, 31.23 + rng.uniform(-0.25, 0.25),
                121.47 + rng.uniform(-0.25, 0.25))
            lines.append((party, product, rng.randint(2, 8)))
        return wh, lines

    @with_transaction()
    def test_plan_respects_capacity_duty_and_windows(self):
        "Trips from packed shipments pass check_plan-style verification"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Driver = pool.get('otwb.tms.driver')
        company = create_company()
        with set_company(company):
            wh, lines = self._world()
            driver, = Driver.create([{'name': "Li Wei",
                        'max_duty_hours': 4.0}])
            tools.vehicle(company, wh, 'T1', 600, 4, driver=driver)
            tools.vehicle(company, wh, 'T2', 600, 4)
            tools.vehicle(company, wh, 'T3', 1500, 10, fixed=300)
            shipments = tools.packed_shipments(company, lines)
            total_kg = sum(s.otwb_weight_kg for s in shipments)
            trips, unassigned = Trip.plan(
                wh, dt.date.today(), time_limit=1.0)
            self.assertEqual(unassigned, [])
            self.assertEqual(
                sorted(s.shipment.id for t in trips for s in t.stops),
                sorted(s.id for s in shipments))
            self.assertAlmostEqual(
                sum(t.load_weight for t in trips), total_kg, places=0)
            for trip in trips:
                self.assertEqual(trip.state, 'draft')
                self.assertEqual(
                    sorted(s.loading_sequence for s in trip.stops),
                    list(range(1, len(trip.stops) + 1)))
                # load first what is delivered last
                last = max(trip.stops, key=lambda s: s.sequence)
                self.assertEqual(last.loading_sequence, 1)
                if trip.vehicle.name == 'T1':
                    self.assertEqual(trip.driver, driver)
                    self.assertLessEqual(trip.duration, 4 * 60)
            _check(self, wh, trips, shipments)

    @with_transaction()
    def test_unserved_shipment_is_listed_with_reason(self):
        "A shipment heavier than every truck is unassigned with a reason"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        company = create_company()
        with set_company(company):
            wh = tools.warehouse()
            heavy = tools.product('COIL', weight_kg=25000, volume_m3=2)
            light = tools.product('BOX', weight_kg=10, volume_m3=0.05)
            a = tools.customer('A', 31.30, 121.50)
            b = tools.customer('B', 31.10, 121.40)
            tools.vehicle(company, wh, 'Van', 1000, 8)
            coil, box = tools.packed_shipments(
                company, [(a, heavy, 1), (b, light, 3)])
            trips, unassigned = Trip.plan(
                wh, dt.date.today(), time_limit=0.5)
            self.assertEqual([s for s, _ in unassigned], [coil])
            self.assertIn('capacity', unassigned[0][1].lower())
            trip, = trips
            self.assertEqual([s.shipment for s in trip.stops], [box])

    @with_transaction()
    def test_locked_trip_and_stop_survive_replanning(self):
        "Re-planning keeps locked trips and locked stops, re-plans the rest"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Stop = pool.get('otwb.tms.trip.stop')
        company = create_company()
        with set_company(company):
            wh, lines = self._world(n=10)
            for name in ('T1', 'T2', 'T3'):
                tools.vehicle(company, wh, name, 600, 4)
            tools.packed_shipments(company, lines)
            today = dt.date.today()
            trips, _ = Trip.plan(wh, today, time_limit=0.5)
            self.assertGreaterEqual(len(trips), 2)
            locked_trip = trips[0]
            Trip.write([locked_trip], {'locked': True})
            locked_stops = [s.shipment.id for s in sorted(
                    locked_trip.stops, key=lambda s: s.sequence)]
            other = trips[1]
            pinned = sorted(other.stops, key=lambda s: s.sequence)[0]
            Stop.write([pinned], {'locked': True})

            trips2, unassigned = Trip.plan(wh, today, time_limit=0.5)
            self.assertEqual(unassigned, [])
            by_id = {t.id: t for t in trips2}
            self.assertIn(locked_trip.id, by_id)
            self.assertEqual([s.shipment.id for s in sorted(
                        by_id[locked_trip.id].stops,
                        key=lambda s: s.sequence)], locked_stops)
            self.assertIn(other.id, by_id)
            self.assertIn(pinned.shipment.id,
                [s.shipment.id for s in by_id[other.id].stops])
            # every shipment planned exactly once, no trip left behind
            all_trips = Trip.search([('date', '=', today)])
            self.assertEqual(sorted(t.id for t in all_trips),
                sorted(by_id))
            shipment_ids = [s.shipment.id for t in all_trips
                for s in t.stops]
            self.assertEqual(len(shipment_ids), len(set(shipment_ids)))
            self.assertEqual(len(shipment_ids), len(lines))

    @with_transaction()
    def test_planning_run_records_progress(self):
        "A planning run processed by the queue records trips and progress"
        pool = Pool()
        Run = pool.get('otwb.tms.planning.run')
        Queue = pool.get('ir.queue')
        User = pool.get('res.user')
        company = create_company()
        # the queue runs the task as the user who queued it
        User.write([User(Transaction().user)], {
                'companies': [('add', [company.id])],
                'company': company.id})
        with set_company(company):
            wh, lines = self._world(n=6)
            tools.vehicle(company, wh, 'T1', 1500, 10)
            tools.packed_shipments(company, lines)
            run, = Run.create([{'warehouse': wh.id,
                        'date': dt.date.today(), 'time_limit': 0.5}])
            Run.run([run])
            self.assertEqual(run.state, 'queued')
            task, = Queue.search([('name', '=', 'otwb_tms_planning')])
            task.run()
            run = Run(run.id)
            self.assertEqual(run.state, 'done')
            self.assertEqual(run.progress, 100.0)
            self.assertEqual(run.live_progress, 100.0)
            self.assertEqual(run.progress_ratio, 1.0)
            self.assertEqual(run.trip_count, len(run.trips))
            self.assertEqual(run.stop_count, 6)
            self.assertEqual(run.unassigned_count, 0)
            self.assertEqual(
                run.total_cost, sum(t.cost for t in run.trips))

    @with_transaction()
    def test_plan_wizard_queues_a_run(self):
        "The planning wizard creates a queued run and opens it"
        pool = Pool()
        Run = pool.get('otwb.tms.planning.run')
        Queue = pool.get('ir.queue')
        Plan = pool.get('otwb.tms.trip.plan', type='wizard')
        company = create_company()
        with set_company(company):
            wh = tools.warehouse()
            session_id, _, _ = Plan.create()
            plan = Plan(session_id)
            plan.start.warehouse = wh
            plan.start.date = dt.date.today()
            plan.start.time_limit = 2.0
            action, data = plan.do_plan(plan.plan.get_action())
            run, = Run.search([])
            self.assertEqual((action['res_id'], data), ([run.id], {}))
            self.assertEqual(action['res_model'], 'otwb.tms.planning.run')
            self.assertEqual(run.state, 'queued')
            self.assertEqual(run.time_limit, 2.0)
            self.assertEqual(Queue.search([
                        ('name', '=', 'otwb_tms_planning')], count=True), 1)
