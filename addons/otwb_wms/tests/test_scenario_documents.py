# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Warehouse documents: the pick list of a wave, the packing slip of a
customer shipment (flat ODT templates rendered by relatorio)."""
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)

from otwb_tools.testing import check_document, odt_text

from . import tools

# the documents' text is read from the ODT (PDF when LibreOffice is
# installed: tests/test_documents_pdf.py)
ODT = {'otwb_report_format': 'odt'}


def rows(text, first):
    "The cell texts of the table rows starting with the cell ``first``"
    cells = text.split('|')
    return cells[cells.index(first):]


class DocumentsScenarioTestCase(unittest.TestCase):
    "Pick list and packing slip"

    @classmethod
    def setUpClass(cls):
        # the warehouse module alone: a database left by an earlier class
        # may hold sale, whose moves need an origin
        drop_db()
        activate_module(['otwb_wms'])

    @with_transaction(context=ODT)
    def test_pick_list_of_a_wave_in_pick_path_order(self):
        "One pick list per wave: the batch along its pick path"
        pool = Pool()
        Wave = pool.get('otwb.wms.wave')
        Rule = pool.get('otwb.wms.wave.rule')
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        Shipment = pool.get('stock.shipment.out')
        PickList = pool.get('otwb.wms.wave.pick_list', type='report')
        company = create_company()
        with set_company(company):
            Rule.create([{'name': "3 lines", 'max_lines': 3}])
            bins = tools.create_bins(aisles=2, bays=4)
            keys = {'PA': (2, 4, 1), 'PB': (1, 4, 1), 'PC': (2, 1, 1),
                'PD': (1, 1, 1)}
            products = {}
            for code in keys:
                products[code] = tools.create_product(code)
            lot, = Lot.create([{
                        'number': 'LOT-77', 'product': products['PC'].id}])
            for code, key in keys.items():
                tools.stock(company, products[code], bins[key], 10,
                    lot=lot if code == 'PC' else None)
            party = tools.customer()
            s1 = tools.shipment(company, party,
                [(products['PA'], 1), (products['PB'], 4)])
            # the lot is chosen on the inventory move before reserving
            s2 = tools.shipment(
                company, party, [(products['PC'], 2)], assign=False)
            Move.write(list(s2.inventory_moves), {'lot': lot.id})
            Shipment.assign_try([s2])
            tools.shipment(company, party, [(products['PD'], 3)])
            w1, w2 = Wave.plan(tools.warehouse())
            Wave.release([w1])

            ext, content, _, name = PickList.execute([w1.id], {})
            check_document(self, PickList, [w1.id])
            self.assertEqual(ext, 'odt')
            text = odt_text(content)
            self.assertIn('Pick list W%s' % w1.id, text)
            self.assertIn(company.party.name, text)
            self.assertIn('Warehouse', text)
            table = rows(text, 'Picked')[1:]
            # # | bin | code | name | lot | quantity | unit | shipment | box
            lines = [table[i:i + 9] for i in range(0, 3 * 9, 9)]
            # one tour through A02-B01, A02-B04, A01-B04 (the wave test)
            self.assertEqual(lines, [
                    ['1', 'A02-B01-L1', 'PC', 'PC', 'LOT-77', '2', 'u',
                        s2.number, '☐'],
                    ['2', 'A02-B04-L1', 'PA', 'PA', '', '1', 'u',
                        s1.number, '☐'],
                    ['3', 'A01-B04-L1', 'PB', 'PB', '', '4', 'u',
                        s1.number, '☐'],
                    ])
            self.assertNotIn('PD', text)

            # a draft wave lists the picks of its shipments by bin
            ext, content, _, _ = PickList.execute([w2.id], {})
            text = odt_text(content)
            self.assertIn('A01-B01-L1|PD|PD||3|u', text)

    @with_transaction(context=ODT)
    def test_packing_slip_of_a_packed_shipment(self):
        "Lines, boxes and packed weight of the customer shipment"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        PackageType = pool.get('stock.package.type')
        Slip = pool.get(
            'otwb.wms.shipment.out.packing_slip', type='report')
        company = create_company()
        with set_company(company):
            cm, kg = tools.uom('uom_centimeter'), tools.uom('uom_kilogram')
            PackageType.create([{
                        'name': "L 60x40x40", 'length': 60, 'width': 40,
                        'height': 40, 'length_uom': cm.id, 'width_uom': cm.id,
                        'height_uom': cm.id, 'packaging_weight': 0.7,
                        'packaging_weight_uom': kg.id, 'otwb_max_weight': 30,
                        }])
            bins = tools.create_bins(aisles=1, bays=2)
            heavy = tools.create_product(
                'HEAVY', length=10, width=10, height=10, weight=4)
            light = tools.create_product(
                'LIGHT', length=10, width=10, height=5, weight=0.5)
            tools.stock(company, heavy, bins[(1, 1, 1)], 20)
            tools.stock(company, light, bins[(1, 2, 1)], 20)
            shipment = tools.shipment(company, tools.customer(),
                [(heavy, 10), (light, 2)])
            Shipment.write([shipment], {'reference': 'PO-4711'})
            tools.pick_all()
            Shipment.otwb_pack([Shipment(shipment.id)])
            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'packed')
            first, second = sorted(shipment.packages,
                key=lambda p: p.number)

            ext, content, _, name = Slip.execute([shipment.id], {})
            check_document(self, Slip, [shipment.id])
            self.assertEqual(ext, 'odt')
            text = odt_text(content)
            self.assertIn('Packing slip %s' % shipment.number, text)
            self.assertIn('Order: PO-4711', text)
            self.assertIn('Customer: Customer', text)
            self.assertIn('Hangzhou', text)
            self.assertIn(company.party.name, text)
            # 10 heavy (4 kg) and 2 light (0.5 kg) in two 30 kg boxes:
            # 7 heavy + 2 light, then 3 heavy (the cartonization test)
            by_first = sorted(first.moves, key=lambda m: m.product.code)
            heavy_1 = [m for m in shipment.outgoing_moves
                if m.product == heavy and m.package == first][0]
            self.assertEqual(heavy_1.quantity, 7)
            self.assertEqual([m.product.code for m in by_first],
                ['HEAVY', 'LIGHT'])
            self.assertIn('HEAVY|HEAVY|7|u|%s' % first.number, text)
            self.assertIn('HEAVY|HEAVY|3|u|%s' % second.number, text)
            self.assertIn('LIGHT|LIGHT|2|u|%s' % first.number, text)
            self.assertIn('Packages: 2', text)
            # 28 + 1 kg + 0.7 kg box; 12 kg + 0.7 kg box
            self.assertIn('%s|L 60x40x40|29.70 kg' % first.number, text)
            self.assertIn('%s|L 60x40x40|12.70 kg' % second.number, text)
            self.assertIn('Total weight: 42.40 kg', text)
