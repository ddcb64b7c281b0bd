# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Inbound: ASN over RPC, receiving with variances and lots, putaway."""
import unittest

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from . import tools


class InboundScenarioTestCase(unittest.TestCase):
    "ASN, receiving and putaway"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_wms'])

    def _setup(self):
        pool = Pool()
        Party = pool.get('party.party')
        Location = pool.get('stock.location')
        Rule = pool.get('otwb.wms.putaway.rule')
        bins = tools.create_bins(aisles=2, bays=2, levels=2,
            capacity_volume=0.1, capacity_weight=1500, pallets=0)
        Location.write([b for k, b in bins.items() if k[0] == 2],
            {'otwb_zone_type': 'bulk'})
        supplier, = Party.create([{'name': "Baosteel", 'code': 'SUP1'}])
        box = tools.create_product(
            'BOX', length=50, width=40, height=25, weight=5)
        box.template.otwb_abc_class = 'A'
        box.template.save()
        coil = tools.create_product(
            'COIL', length=150, width=150, height=130, weight=1000)
        Rule.create([{
                    'sequence': 10, 'lot_attribute': 'coil_number',
                    'strategy': 'heavy_low', 'heavy_threshold': 500,
                    }, {
                    'sequence': 20, 'abc_class': 'A',
                    'zone_type': 'pick_face', 'strategy': 'nearest_empty',
                    }, {
                    'sequence': 30, 'strategy': 'consolidate',
                    }])
        return bins, supplier, box, coil

    def _payload(self, number='ASN-1', lines=None):
        return {'supplier': 'SUP1', 'number': number, 'warehouse': 'WH',
            'expected_date': '2026-11-20',
            'lines': lines or [{'sku': 'BOX', 'quantity': 6}]}

    @with_transaction()
    def test_asn_submit_is_idempotent(self):
        "Same ASN twice: one record; other content: conflict; bad: nothing"
        pool = Pool()
        ASN = pool.get('otwb.wms.asn')
        company = create_company()
        with set_company(company):
            self._setup()
            first, = ASN.submit([self._payload()])
            self.assertEqual(first['status'], 'accepted')
            again, = ASN.submit([self._payload()])
            self.assertEqual(again['status'], 'duplicate')
            self.assertEqual(again['asn'], first['asn'])
            changed = self._payload(lines=[{'sku': 'BOX', 'quantity': 7}])
            conflict, = ASN.submit([changed])
            self.assertEqual(conflict['status'], 'conflict')
            self.assertEqual(conflict['errors'][0]['code'],
                'idempotency_conflict')
            bad, = ASN.submit([{'supplier': 'NOPE', 'number': '',
                        'warehouse': 'XX', 'lines': [
                            {'sku': 'NOSKU', 'quantity': -1,
                                'lot': {'expiry_date': 'soon'}}]}])
            self.assertEqual(bad['status'], 'rejected')
            self.assertEqual({(e['field'], e['code']) for e in bad['errors']},
                {('supplier', 'unknown_supplier'), ('number', 'invalid'),
                    ('warehouse', 'unknown_warehouse'),
                    ('lines[0].sku', 'unknown_sku'),
                    ('lines[0].quantity', 'not_positive'),
                    ('lines[0].lot.expiry_date', 'invalid_date')})
            self.assertEqual(ASN.search_count([]), 1)
            asn = ASN(first['asn'])
            self.assertEqual(asn.supplier.code, 'SUP1')
            self.assertEqual([(line.product.code, line.expected_quantity)
                    for line in asn.lines], [('BOX', 6.0)])

    @with_transaction()
    def test_receive_with_variances_and_putaway(self):
        "7 received for 6 expected, 1 damaged: 6 put away 2 per bin"
        pool = Pool()
        ASN = pool.get('otwb.wms.asn')
        Task = pool.get('otwb.wms.task')
        company = create_company()
        with set_company(company):
            bins, supplier, box, coil = self._setup()
            result, = ASN.submit([self._payload()])
            asn = ASN(result['asn'])
            asn.over_tolerance = 20  # at most 7.2
            asn.save()
            line, = asn.lines
            line.received_quantity = 7
            line.damaged_quantity = 1
            line.save()
            self.assertEqual((line.variance, line.variance_type),
                (1, 'over'))
            ASN.receive([asn])
            asn = ASN(asn.id)
            self.assertEqual(asn.state, 'received')
            wh = tools.warehouse()
            self.assertEqual(tools.quantity(box, wh.input_location), 6)
            self.assertEqual(
                tools.quantity(box, wh.lost_found_location), 1)
            # rule 2 (ABC class A): empty pick-face bins nearest first;
            # 0.1 m³ bins hold 2 boxes of 0.05 m³
            tasks = Task.search([('shipment', '=', str(asn))],
                order=[('id', 'ASC')])
            self.assertEqual([(t.type, t.to_location.code, t.quantity)
                    for t in tasks], [
                    ('putaway', 'A01-B01-L1', 2),
                    ('putaway', 'A01-B01-L2', 2),
                    ('putaway', 'A01-B02-L1', 2)])
            tools.pick_all('FORKLIFT-1', ['putaway'])
            for key in [(1, 1, 1), (1, 1, 2), (1, 2, 1)]:
                self.assertEqual(tools.quantity(box, bins[key]), 2)
            self.assertEqual(tools.quantity(box, wh.input_location), 0)
            self.assertEqual(ASN(asn.id).state, 'done')

            # a second receipt of 3 boxes: the pick face has one empty bin
            # left (2 boxes), the third box stays at the input
            result, = ASN.submit([self._payload('ASN-2',
                        [{'sku': 'BOX', 'quantity': 3}])])
            asn2 = ASN(result['asn'])
            ASN.receive([asn2])
            line2, = ASN(asn2.id).lines
            self.assertEqual(line2.unplaced_quantity, 1)
            self.assertTrue(line2.putaway_note)
            tasks = Task.search([('shipment', '=', str(asn2))])
            self.assertEqual([(t.to_location.code, t.quantity)
                    for t in tasks], [('A01-B02-L2', 2)])

    @with_transaction()
    def test_receive_over_tolerance_is_refused(self):
        pool = Pool()
        ASN = pool.get('otwb.wms.asn')
        company = create_company()
        with set_company(company):
            self._setup()
            result, = ASN.submit([self._payload()])
            asn = ASN(result['asn'])
            line, = asn.lines
            line.received_quantity = 7  # limit 6 x 1.10 = 6.6
            line.save()
            with self.assertRaises(ValidationError):
                ASN.receive([asn])

    @with_transaction()
    def test_coils_by_lot_on_floor_within_weight(self):
        "Coils with lot data go to floor bins, one 1010 kg coil per bin"
        pool = Pool()
        ASN = pool.get('otwb.wms.asn')
        Task = pool.get('otwb.wms.task')
        Location = pool.get('stock.location')
        company = create_company()
        with set_company(company):
            bins, supplier, box, coil = self._setup()
            Location.write(list(bins.values()),
                {'otwb_capacity_volume': 10})
            result, = ASN.submit([self._payload('ASN-C', [
                            {'sku': 'COIL', 'quantity': 1, 'lot': {
                                    'number': 'C-001',
                                    'coil_number': 'C-001',
                                    'heat_number': 'H-77',
                                    'actual_weight': 1010}},
                            {'sku': 'COIL', 'quantity': 1, 'lot': {
                                    'number': 'C-002',
                                    'coil_number': 'C-002',
                                    'heat_number': 'H-77',
                                    'actual_weight': 1010}}])])
            asn = ASN(result['asn'])
            ASN.receive([asn])
            tasks = Task.search([('shipment', '=', str(asn))],
                order=[('id', 'ASC')])
            self.assertEqual([(t.lot.number, t.to_location.code)
                    for t in tasks], [
                    ('C-001', 'A01-B01-L1'), ('C-002', 'A01-B02-L1')])
            lot = tasks[0].lot
            self.assertEqual((lot.otwb_coil_number, lot.otwb_heat_number,
                    lot.otwb_actual_weight), ('C-001', 'H-77', 1010))
            tools.pick_all('CRANE-1', ['putaway'])
            self.assertEqual(tools.quantity(coil, bins[(1, 1, 1)]), 1)
            self.assertEqual(tools.quantity(coil, bins[(1, 2, 1)]), 1)
            self.assertEqual(ASN(asn.id).state, 'done')
