# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Transport master data: vehicles, drivers, nodes, lanes, services."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.model.exceptions import (
    DomainValidationError,
    SQLConstraintError,
    ValidationError,
)
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.otwb_tms.engine.distance import haversine_km
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from . import tools


class MasterDataScenarioTestCase(unittest.TestCase):
    "Master data"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms'])

    @with_transaction()
    def test_vehicle_availability_and_driver_duty(self):
        "An unavailable truck is not planned; a driver shortens the duty"
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Driver = pool.get('otwb.tms.driver')
        company = create_company()
        with set_company(company):
            wh = tools.warehouse()
            today = dt.date.today()
            driver, = Driver.create([{'name': "Zhao Lei",
                        'max_duty_hours': 6}])
            big = tools.vehicle(company, wh, 'Big', 5000, 30, max_hours=10,
                driver=driver)
            self.assertEqual(big.duty_limit_hours, 6)
            small = tools.vehicle(company, wh, 'Small', 5000, 30,
                fixed=500)
            small.unavailable_from = today - dt.timedelta(days=1)
            small.unavailable_to = today + dt.timedelta(days=1)
            small.save()
            self.assertFalse(small.is_available(today))
            self.assertTrue(small.is_available(today + dt.timedelta(days=2)))
            product = tools.product('BOX', weight_kg=5, volume_m3=0.02)
            party = tools.customer('A', 31.30, 121.50)
            tools.packed_shipments(company, [(party, product, 1)])
            trip, = Trip.plan(wh, today, time_limit=0.3)[0]
            self.assertEqual(trip.vehicle, big)
            self.assertEqual(trip.driver, driver)
            self.assertLessEqual(trip.duration, 6 * 60)

            with self.assertRaises(DomainValidationError):
                Driver.create([{'name': "Nobody", 'max_duty_hours': 0}])

    @with_transaction()
    def test_nodes_and_lanes(self):
        "Node codes are unique, lanes need two nodes, distance estimated"
        pool = Pool()
        Node = pool.get('otwb.tms.node')
        Lane = pool.get('otwb.tms.lane')
        company = create_company()
        with set_company(company):
            a, b = Node.create([
                    {'code': 'SH-RAIL', 'name': "Shanghai rail",
                        'kind': 'rail_station', 'latitude': 31.25,
                        'longitude': 121.45},
                    {'code': 'WH-RAIL', 'name': "Wuhan rail",
                        'kind': 'rail_station', 'latitude': 30.62,
                        'longitude': 114.20},
                    ])
            self.assertEqual(a.rec_name, '[SH-RAIL] Shanghai rail')
            lane = Lane(from_node=a, to_node=b, mode='rail')
            config = pool.get('otwb.configuration')(1)
            self.assertAlmostEqual(lane.on_change_with_distance(), round(
                    haversine_km(31.25, 121.45, 30.62, 114.20)
                    * config.circuity_factor, 1))
            carrier = tools.carrier("China Railway")
            lane, = Lane.create([{'from_node': a.id, 'to_node': b.id,
                        'mode': 'rail', 'carrier': carrier.id,
                        'distance': 1050, 'transit_hours': 72,
                        'cost_per_tkm': Decimal('0.155'),
                        'handling_per_t': Decimal('15'),
                        'every_hours': 24, 'first_departure_hour': 20,
                        'cutoff_hours': 4, 'capacity_per_day': 600}])
            engine_lane = lane.to_engine()
            self.assertEqual(engine_lane.mode, 'rail')
            self.assertEqual(engine_lane.every_hours, 24)
            network = Lane.network(date=dt.date.today())
            self.assertEqual(network.lanes[lane.id].max_tonnes, 600)
            # invalid lanes last: a failed create leaves its row in the
            # test transaction (a real request is rolled back)
            with self.assertRaises(ValidationError):
                Lane.create([{'from_node': a.id, 'to_node': a.id,
                            'mode': 'rail', 'distance': 10,
                            'transit_hours': 1}])
            with self.assertRaises(DomainValidationError):
                Lane.create([{'from_node': a.id, 'to_node': b.id,
                            'mode': 'rail', 'distance': 10,
                            'transit_hours': 1,
                            'cost_per_tkm': Decimal('-1')}])
            # last: on PostgreSQL the failed insert aborts the transaction
            with self.assertRaises(SQLConstraintError):
                Node.create([{'code': 'SH-RAIL', 'name': "Again",
                            'latitude': 31, 'longitude': 121}])

    @with_transaction()
    def test_carrier_services(self):
        "Services belong to a carrier and refuse what they cannot carry"
        pool = Pool()
        Service = pool.get('otwb.tms.carrier.service')
        Carrier = pool.get('carrier')
        company = create_company()
        with set_company(company):
            carrier = tools.carrier("SF Express")
            service, = Service.create([{'carrier': carrier.id,
                        'name': "Next day", 'code': 'ND',
                        'mode': 'express', 'service_level': 'express',
                        'sla_hours': 24, 'max_weight': 30,
                        'max_declared_value': Decimal('5000')}])
            self.assertEqual(Carrier(carrier.id).otwb_services, (service,))
            self.assertIsNone(service.refusal({'weight': 10}))
            self.assertIn('31', service.refusal({'weight': 31}))
            self.assertIn('dangerous', service.refusal(
                    {'weight': 1, 'dangerous_goods': True}))
            self.assertIn('6000', service.refusal(
                    {'weight': 1, 'declared_value': Decimal('6000')}))
            with self.assertRaises(DomainValidationError):
                Service.create([{'carrier': carrier.id, 'name': "Bad",
                            'code': 'BAD', 'mode': 'express',
                            'service_level': 'express', 'sla_hours': 0}])
