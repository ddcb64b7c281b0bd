# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Outbound: pick path order of the pick tasks and cartonization."""
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)

from . import tools


class OutboundScenarioTestCase(unittest.TestCase):
    "Pick path and packing"

    @classmethod
    def setUpClass(cls):
        # the warehouse module alone: a database left by an earlier class
        # may hold sale, whose moves need an origin
        drop_db()
        activate_module(['otwb_wms'])

    @with_transaction()
    def test_pick_tasks_follow_the_shortest_path(self):
        "Pick tasks are numbered along the optimal tour, not by aisle/bay"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=2, bays=4)
            # one product per bin at the four corners of the two aisles
            corners = [(2, 4, 1), (1, 1, 1), (2, 1, 1), (1, 4, 1)]
            products = []
            for n, key in enumerate(corners):
                product = tools.create_product('P%d' % n)
                tools.stock(company, product, bins[key], 10)
                products.append(product)
            shipment = tools.shipment(company, tools.customer(),
                [(p, 1) for p in products])
            self.assertEqual(shipment.state, 'assigned')
            tasks = Task.search([('shipment', '=', str(shipment))],
                order=[('sequence', 'ASC')])
            path = [(t.from_location.otwb_aisle, t.from_location.otwb_bay)
                for t in tasks]
            # depot at the front of aisle 1: up aisle 1, across the back,
            # down aisle 2 (the naive aisle/bay order would walk
            # A1B1, A1B4, A2B1, A2B4)
            self.assertEqual(path, [(1, 1), (1, 4), (2, 4), (2, 1)])
            self.assertEqual([t.sequence for t in tasks], [1, 2, 3, 4])
            # cross-aisles 1 m beyond the first and last bay (y 0.2, 5.8):
            # 1 + 3.6 + 1 + 3 + 1 + 3.6 + 1 + 3 m
            self.assertAlmostEqual(shipment.otwb_pick_distance, 17.2)

            # a device claims them in that order and the shipment is picked
            done = tools.pick_all('AGV-1')
            self.assertEqual([t['id'] for t in done], [t.id for t in tasks])
            shipment = pool.get('stock.shipment.out')(shipment.id)
            self.assertEqual(shipment.state, 'picked')
            for product, key in zip(products, corners):
                self.assertEqual(tools.quantity(product, bins[key]), 9)

    def _box_types(self):
        PackageType = Pool().get('stock.package.type')
        cm, kg = tools.uom('uom_centimeter'), tools.uom('uom_kilogram')
        small, large = PackageType.create([{
                    'name': "S 30x20x15", 'length': 30, 'width': 20,
                    'height': 15, 'length_uom': cm.id, 'width_uom': cm.id,
                    'height_uom': cm.id, 'packaging_weight': 0.2,
                    'packaging_weight_uom': kg.id, 'otwb_max_weight': 10,
                    }, {
                    'name': "L 60x40x40", 'length': 60, 'width': 40,
                    'height': 40, 'length_uom': cm.id, 'width_uom': cm.id,
                    'height_uom': cm.id, 'packaging_weight': 0.7,
                    'packaging_weight_uom': kg.id, 'otwb_max_weight': 30,
                    }])
        return small, large

    @with_transaction()
    def test_cartonization_splits_a_heavy_move(self):
        "10 units of 4 kg: 7 + 3 in two large boxes (30 kg each max)"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        company = create_company()
        with set_company(company):
            small, large = self._box_types()
            bins = tools.create_bins(aisles=1, bays=2)
            heavy = tools.create_product(
                'HEAVY', length=10, width=10, height=10, weight=4)
            light = tools.create_product(
                'LIGHT', length=10, width=10, height=5, weight=0.5)
            tools.stock(company, heavy, bins[(1, 1, 1)], 20)
            tools.stock(company, light, bins[(1, 2, 1)], 20)
            shipment = tools.shipment(company, tools.customer(),
                [(heavy, 10), (light, 2)])
            tools.pick_all()
            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'picked')
            Shipment.otwb_pack([shipment])
            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'packed')
            packages = sorted(shipment.packages,
                key=lambda p: -p.total_weight)
            self.assertEqual([p.type for p in packages], [large, large])
            contents = [sorted((m.product.code, m.quantity)
                    for m in p.moves) for p in packages]
            # 7 heavy and 2 light (29 kg) fill the first box's 29.3 kg
            # payload; the remaining 3 heavy (12 kg) exceed the small
            # box's 9.8 kg payload
            self.assertEqual(contents, [
                    [('HEAVY', 7.0), ('LIGHT', 2.0)],
                    [('HEAVY', 3.0)]])
            self.assertEqual([p.total_weight for p in packages],
                [29.7, 12.7])
            for package in packages:
                self.assertEqual(
                    (package.length, package.width, package.height),
                    (60, 40, 40))
                self.assertEqual(package.packaging_volume, 96)  # litres
            # the outgoing moves keep the shipped quantities
            self.assertEqual(sorted(
                    (m.product.code, m.quantity)
                    for m in shipment.outgoing_moves),
                [('HEAVY', 3.0), ('HEAVY', 7.0), ('LIGHT', 2.0)])
            self.assertEqual(shipment.packages_weight, 42.4)
            self.assertEqual(shipment.packages_volume, 192)

    @with_transaction()
    def test_cartonization_smallest_box_and_loose_goods(self):
        "Small goods go to the small box; goods without size go loose"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        company = create_company()
        with set_company(company):
            small, large = self._box_types()
            bins = tools.create_bins(aisles=1, bays=2)
            item = tools.create_product(
                'ITEM', length=20, width=15, height=10, weight=1)
            bulk = tools.create_product('NOSIZE')
            tools.stock(company, item, bins[(1, 1, 1)], 5)
            tools.stock(company, bulk, bins[(1, 2, 1)], 5)
            shipment = tools.shipment(company, tools.customer(),
                [(item, 3), (bulk, 1)])
            tools.pick_all()
            Shipment.otwb_pack([Shipment(shipment.id)])
            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'packed')
            by_type = {p.type: p for p in shipment.packages}
            # goods without size go in a package of the first box type
            self.assertEqual(len(shipment.packages), 2)
            loose, = [p for p in shipment.packages
                if p.otwb_fill_rate is None]
            self.assertEqual(loose.type, small)
            by_type = {None: loose, small: [p for p in shipment.packages
                    if p != loose][0]}
            # 3 x 3000 cm³ fill the 9000 cm³ small box exactly
            self.assertEqual(
                [(m.product.code, m.quantity) for m in by_type[small].moves],
                [('ITEM', 3.0)])
            self.assertEqual(by_type[small].otwb_fill_rate, 1.0)
            self.assertEqual(by_type[small].total_weight, 3.2)
            self.assertEqual(
                [m.product.code for m in by_type[None].moves], ['NOSIZE'])

    @with_transaction()
    def test_waves_batch_picking(self):
        "Max 3 lines per wave: 2 waves; the first is picked as one batch"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Wave = pool.get('otwb.wms.wave')
        Rule = pool.get('otwb.wms.wave.rule')
        company = create_company()
        with set_company(company):
            Rule.create([{'name': "3 lines", 'max_lines': 3}])
            bins = tools.create_bins(aisles=2, bays=4)
            keys = {'A': (2, 4, 1), 'B': (1, 4, 1), 'C': (2, 1, 1),
                'D': (1, 1, 1)}
            products = {}
            for code, key in keys.items():
                products[code] = tools.create_product(code)
                tools.stock(company, products[code], bins[key], 10)
            party = tools.customer()
            s1 = tools.shipment(company, party,
                [(products['A'], 1), (products['B'], 1)])
            s2 = tools.shipment(company, party, [(products['C'], 2)])
            s3 = tools.shipment(company, party, [(products['D'], 3)])
            self.assertEqual(
                [s.id for s in Wave.ready_shipments(tools.warehouse())],
                [s1.id, s2.id, s3.id])
            # planned from the client's Plan Waves wizard
            PlanWaves = pool.get('otwb.wms.wave.plan', type='wizard')
            session_id, _, _ = PlanWaves.create()
            PlanWaves.execute(session_id, {}, 'start')
            result = PlanWaves.execute(session_id, {'start': {
                        'warehouse': tools.warehouse().id}}, 'plan')
            PlanWaves.delete(session_id)
            (action, _), = result['actions']
            w1, w2 = Wave.search(
                PYSONDecoder().decode(action['pyson_domain']),
                order=[('id', 'ASC')])
            self.assertEqual(Wave.search([], count=True), 2)
            self.assertEqual([s.id for s in w1.shipments], [s1.id, s2.id])
            self.assertEqual((w1.lines, w1.units), (3, 4))
            self.assertEqual([s.id for s in w2.shipments], [s3.id])
            Wave.release([w1])
            w1 = Wave(w1.id)
            self.assertEqual(w1.state, 'released')
            tasks = sorted(w1.tasks, key=lambda t: t.sequence)
            # one tour through A02-B01, A02-B04, A01-B04 starting at the
            # nearer end: 3 + 1 + 3.6 + 1 + 3 + 1 + 4.6 m
            self.assertEqual([t.from_location.code for t in tasks],
                ['A02-B01-L1', 'A02-B04-L1', 'A01-B04-L1'])
            self.assertAlmostEqual(w1.pick_distance, 17.2)
            # the device gets the batch first, then the other shipment
            done = tools.pick_all('PICKER-1')
            self.assertEqual([t['id'] for t in done],
                [t.id for t in tasks]
                + [t.id for t in Task.search(
                        [('shipment', '=', str(s3))])])
            self.assertEqual(Wave(w1.id).state, 'done')
            Shipment = pool.get('stock.shipment.out')
            self.assertEqual({Shipment(s.id).state for s in [s1, s2, s3]},
                {'picked'})
