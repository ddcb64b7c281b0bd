# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The packing slip of a channel order's shipment, on the demo data."""
import unittest

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo, odt_text

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']

# the documents' text is read from the ODT (PDF when LibreOffice is
# installed: tests/test_documents_pdf.py)
ODT = {'otwb_report_format': 'odt'}


class DocumentsTestCase(unittest.TestCase):
    "Packing slip of an order from a sales channel"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    @with_transaction(context=ODT)
    def test_packing_slip_names_the_channel_order(self):
        pool = Pool()
        Intake = pool.get('otwb.oms.intake')
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        Slip = pool.get(
            'otwb.wms.shipment.out.packing_slip', type='report')
        data = demo_data.load(size=1)
        with Transaction().set_context(company=data.company.id):
            result, = Intake.submit([flow.demo_payload('PS-1')])
            flow.run_queue()
            sale, = Intake(result['intake']).sales
            while True:
                task = Task.claim_next('AGV-01', ['pick'])
                if not task:
                    break
                Task.complete('AGV-01', task['id'])
            shipment, = sale.shipments
            Shipment.otwb_pack([Shipment(shipment.id)])
            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'packed')
            self.assertTrue(shipment.packages)

            ext, content, _, _ = Slip.execute([shipment.id], {})
            self.assertEqual(ext, 'odt')
            text = odt_text(content)
            self.assertIn('Packing slip %s' % shipment.number, text)
            self.assertIn('Order: %s / TAOBAO PS-1' % sale.number, text)
            self.assertIn('Company: %s' % data.company.rec_name, text)
            self.assertIn('Customer: Chen Jing', text)
            self.assertIn('18 Wensan Road', text)
            self.assertIn('310012', text)
            # the two order lines of the payload, 2 + 1 units
            by_code = {m.product.code: m for m in shipment.outgoing_moves}
            self.assertEqual(sorted(by_code), ['SKU-0001', 'SKU-0002'])
            for code, quantity in [('SKU-0001', 2), ('SKU-0002', 1)]:
                move = by_code[code]
                self.assertIn('%s|%s|%s|u|%s|' % (
                        code, move.product.name, quantity,
                        move.package.number), text)
            # goods (2 x w1 + 1 x w2 kg) and the tare of the boxes
            goods = sum(m.quantity * m.product.weight
                for m in shipment.outgoing_moves)
            tare = sum(p.type.packaging_weight for p in shipment.packages)
            self.assertIn('Packages: %d|' % len(shipment.packages), text)
            self.assertIn('Total weight: %.2f kg' % (goods + tare), text)
