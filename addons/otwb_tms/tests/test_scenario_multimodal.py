# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Multimodal routes over lane records: the seed's steel and coal cases."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.otwb_tms.engine import multimodal
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from . import tools

D = Decimal


def steel_network(company):
    """Shanghai mill → Wuhan auto plant: road direct, rail then truck,
    Yangtze barge then truck (scenario S2)"""
    pool = Pool()
    Node = pool.get('otwb.tms.node')
    Lane = pool.get('otwb.tms.lane')
    road = tools.carrier("Sinotrans FTL")
    rail = tools.carrier("China Railway Freight")
    barge = tools.carrier("Changjiang Shipping")
    nodes = {n.code: n for n in Node.create([
                {'code': 'SH-MILL', 'name': "Shanghai steel mill",
                    'kind': 'hub', 'latitude': 31.40,
                    'longitude': 121.48},
                {'code': 'WH-RAIL', 'name': "Wuhan freight station",
                    'kind': 'rail_station', 'latitude': 30.62,
                    'longitude': 114.20, 'transfer_hours': 4},
                {'code': 'WH-PORT', 'name': "Wuhan Yangluo port",
                    'kind': 'port', 'latitude': 30.68,
                    'longitude': 114.55, 'transfer_hours': 6},
                {'code': 'WH-PLANT', 'name': "Wuhan auto plant",
                    'kind': 'road', 'latitude': 30.50,
                    'longitude': 114.15},
                ])}

    def lane(a, b, mode, carrier, km, hours, tkm, handling=0, **kw):
        values = {'from_node': nodes[a].id, 'to_node': nodes[b].id,
            'mode': mode, 'carrier': carrier.id, 'distance': km,
            'transit_hours': hours, 'cost_per_tkm': D(tkm),
            'handling_per_t': D(handling)}
        values.update(kw)
        return values
    lanes = Lane.create([
            lane('SH-MILL', 'WH-PLANT', 'road_ftl', road, 840, 36, '0.30'),
            lane('SH-MILL', 'WH-RAIL', 'rail', rail, 1050, 72, '0.155',
                handling=15, every_hours=24, first_departure_hour=20,
                cutoff_hours=4, capacity_per_day=30),
            lane('WH-RAIL', 'WH-PLANT', 'road_ftl', road, 40, 2, '0.30'),
            lane('SH-MILL', 'WH-PORT', 'water', barge, 1125, 120, '0.05'),
            lane('WH-PORT', 'WH-PLANT', 'road_ftl', road, 40, 2, '0.30'),
            ])
    return nodes, lanes


class MultimodalScenarioTestCase(unittest.TestCase):
    "Multimodal routing"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms'])

    def _route(self, nodes, deadline_hours, tonnes=25, objective='cheapest'):
        Route = Pool().get('otwb.tms.route')
        ready = dt.datetime.combine(dt.date.today(), dt.time(8))
        route, = Route.create([{
                    'origin': nodes['SH-MILL'].id,
                    'destination': nodes['WH-PLANT'].id,
                    'tonnes': tonnes, 'departure': ready,
                    'deadline': ready + dt.timedelta(hours=deadline_hours)
                    if deadline_hours else None,
                    'objective': objective}])
        Route.compute([route])
        return Route(route.id)

    @with_transaction()
    def test_steel_deadline_picks_road_rail_or_barge(self):
        "A tight deadline forces road, a looser one rail, a loose one barge"
        company = create_company()
        with set_company(company):
            nodes, _ = steel_network(company)
            ready = dt.datetime.combine(dt.date.today(), dt.time(8))

            # 48 h: only road arrives in time (36 h); 25 t x 840 x 0.30
            road = self._route(nodes, 48)
            self.assertEqual(road.state, 'quoted')
            self.assertEqual(road.modes, 'road_ftl')
            self.assertEqual(road.cost, D('6300.00'))
            self.assertEqual(road.hours, 36)
            self.assertEqual(road.saving, D('0.00'))

            # 100 h: rail (cut-off 4 h before the 20:00 departure) then
            # truck; 25 x (1050 x 0.155 + 2 x 15) + 25 x 40 x 0.30
            rail = self._route(nodes, 100)
            self.assertEqual(rail.modes, 'rail + road_ftl')
            self.assertEqual(rail.cost, D('5118.75'))
            first, last = rail.legs
            self.assertEqual(first.cost, D('4818.75'))
            self.assertEqual(first.handover_node, nodes['WH-RAIL'])
            self.assertEqual(first.depart, ready.replace(hour=20))
            self.assertEqual(first.arrive, ready.replace(hour=20)
                + dt.timedelta(hours=72))
            # 4 h transfer at the station, then 2 h by truck
            self.assertEqual(last.depart, first.arrive
                + dt.timedelta(hours=4))
            self.assertEqual(rail.arrival, ready + dt.timedelta(hours=90))
            self.assertIsNone(last.handover_node)
            self.assertEqual(rail.road_cost, D('6300.00'))
            self.assertEqual(rail.saving, D('1181.25'))
            self.assertAlmostEqual(rail.saving_percent, 18.75)

            # 200 h: barge 25 x 1125 x 0.05 + truck 25 x 40 x 0.30
            barge = self._route(nodes, 200)
            self.assertEqual(barge.modes, 'water + road_ftl')
            self.assertEqual(barge.cost, D('1706.25'))
            self.assertEqual(barge.hours, 128)
            self.assertEqual(barge.saving, D('4593.75'))

            # fastest ignores the cost
            fast = self._route(nodes, None, objective='fastest')
            self.assertEqual(fast.modes, 'road_ftl')

            # no route within 20 h
            none = self._route(nodes, 20)
            self.assertEqual(none.state, 'no_route')
            self.assertFalse(none.legs)
            self.assertIn('deadline', none.reason)

    @with_transaction()
    def test_records_equal_exhaustive_search(self):
        "The network built from the records gives the exhaustive optimum"
        pool = Pool()
        Lane = pool.get('otwb.tms.lane')
        company = create_company()
        with set_company(company):
            nodes, _ = steel_network(company)
            network = Lane.network()
            for deadline in (40, 80, 100, 130, 300, None):
                for objective in multimodal.OBJECTIVES:
                    args = (network, nodes['SH-MILL'].id,
                        nodes['WH-PLANT'].id, 25, deadline, objective, 8)
                    best = multimodal.best_route(*args)
                    ref = multimodal.exhaustive_route(*args)
                    self.assertEqual(best is None, ref is None)
                    if best is not None:
                        self.assertEqual(best.total_cost, ref.total_cost)
                        self.assertEqual(best.arrive_hour, ref.arrive_hour)

    @with_transaction()
    def test_booking_uses_daily_lane_capacity(self):
        "Booked tonnes use the rail lane's 30 t/day; the next query reroutes"
        pool = Pool()
        Route = pool.get('otwb.tms.route')
        company = create_company()
        with set_company(company):
            nodes, _ = steel_network(company)
            first = self._route(nodes, 100)
            self.assertEqual(first.modes, 'rail + road_ftl')
            Route.book([first])
            self.assertEqual(first.state, 'booked')
            # 5 t left on rail today: 25 t more go by road
            second = self._route(nodes, 100)
            self.assertEqual(second.modes, 'road_ftl')
            # 5 t still fit on the train
            small = self._route(nodes, 100, tonnes=5)
            self.assertEqual(small.modes, 'rail + road_ftl')

    @with_transaction()
    def test_coal_rail_to_port_then_sea(self):
        "Coal: rail to the northern port, then coastal ship (scenario S4)"
        pool = Pool()
        Node = pool.get('otwb.tms.node')
        Lane = pool.get('otwb.tms.lane')
        Route = pool.get('otwb.tms.route')
        company = create_company()
        with set_company(company):
            rail = tools.carrier("Shuohuang Railway")
            ship = tools.carrier("COSCO Coastal")
            truck = tools.carrier("Road haulier")
            mine, port, plant = Node.create([
                    {'code': 'MINE', 'name': "Shenmu mine",
                        'kind': 'rail_station', 'latitude': 38.83,
                        'longitude': 110.50},
                    {'code': 'HHG', 'name': "Huanghua port",
                        'kind': 'port', 'latitude': 38.32,
                        'longitude': 117.87, 'transfer_hours': 48},
                    {'code': 'PLANT', 'name': "Guangdong power plant",
                        'kind': 'port', 'latitude': 22.75,
                        'longitude': 113.60},
                    ])
            Lane.create([
                    {'from_node': mine.id, 'to_node': port.id,
                        'mode': 'rail', 'carrier': rail.id,
                        'distance': 600, 'transit_hours': 30,
                        'cost_per_tkm': D('0.15'),
                        'handling_per_t': D('12')},
                    {'from_node': port.id, 'to_node': plant.id,
                        'mode': 'water', 'carrier': ship.id,
                        'distance': 2600, 'transit_hours': 120,
                        'cost_per_tkm': D('0.025'),
                        'handling_per_t': D('10')},
                    {'from_node': mine.id, 'to_node': plant.id,
                        'mode': 'road_ftl', 'carrier': truck.id,
                        'distance': 3000, 'transit_hours': 60,
                        'cost_per_tkm': D('0.35')},
                    ])
            answer, = Route.query([{
                        'origin': 'MINE', 'destination': 'PLANT',
                        'tonnes': 1000, 'deadline_hours': 240,
                        'ready_at': '2026-12-01T00:00:00'}])
            self.assertEqual(answer['status'], 'quoted')
            self.assertEqual([leg['mode'] for leg in answer['legs']],
                ['rail', 'water'])
            self.assertEqual(answer['legs'][0]['handover'], 'HHG')
            # 1000 x (600 x 0.15 + 24) + 1000 x (2600 x 0.025 + 20)
            self.assertEqual(answer['cost'], '199000.00')
            self.assertEqual(answer['road_cost'], '1050000.00')
            self.assertEqual(answer['saving'], '851000.00')
            self.assertEqual(answer['hours'], 198)

    @with_transaction()
    def test_rpc_query_validates_every_item(self):
        "Bad items are rejected with the field named; they write nothing"
        pool = Pool()
        Route = pool.get('otwb.tms.route')
        company = create_company()
        with set_company(company):
            steel_network(company)
            answers = Route.query([
                    {'origin': 'SH-MILL', 'destination': 'NOWHERE',
                        'tonnes': 25},
                    {'origin': 'SH-MILL', 'destination': 'WH-PLANT',
                        'tonnes': -3, 'objective': 'scenic'},
                    {'origin': 'SH-MILL', 'destination': 'WH-PLANT',
                        'tonnes': 25, 'ready_at': 'tomorrow'},
                    {'origin': 'SH-MILL', 'destination': 'WH-PLANT',
                        'tonnes': 25, 'colour': 'red'},
                    'not a dict',
                    {'origin': 'SH-MILL', 'destination': 'WH-PLANT',
                        'tonnes': 25, 'deadline_hours': 48,
                        'reference': 'PO-1'},
                    ])
            self.assertEqual([a['status'] for a in answers],
                ['rejected'] * 5 + ['quoted'])
            self.assertIn('NOWHERE', answers[0]['errors'][0])
            self.assertEqual(len(answers[1]['errors']), 2)
            self.assertIn('tonnes', answers[1]['errors'][0])
            self.assertIn('objective', answers[1]['errors'][1])
            self.assertIn('ready_at', answers[2]['errors'][0])
            self.assertIn('colour', answers[3]['errors'][0])
            self.assertEqual(Route.search([], count=True), 1)
            route, = Route.search([])
            self.assertEqual(route.reference, 'PO-1')
            self.assertEqual(answers[5]['cost'], '6300.00')
