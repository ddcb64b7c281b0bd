# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""CSV import of orders, through the wizard, with errors by line."""
import unittest

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']
HEADER = ('channel,external_id,customer_name,customer_email,ship_street,'
    'ship_city,ship_postal_code,ship_country,ship_subdivision,currency,'
    'payment_method,paid_amount,service_level,promised_date,sku,quantity,'
    'unit_price\n')
ROW = ('API,{id},Sun Li,sun.li@example.cn,9 Jiefang Road,Wuhan,430000,CN,'
    'CN-HB,CNY,invoice,0,standard,2026-12-02,{sku},{qty},{price}\n')


class CSVImportTestCase(unittest.TestCase):
    "CSV import wizard"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    @with_transaction()
    def test_import_reports_errors_by_line(self):
        pool = Pool()
        Wizard = pool.get('otwb.oms.intake.import_csv', type='wizard')
        Intake = pool.get('otwb.oms.intake')
        data = demo_data.load(size=1)
        text = (HEADER
            + ROW.format(id='CSV-1', sku='SKU-0001', qty=2, price='99.00')
            + ROW.format(id='CSV-1', sku='SKU-0002', qty=1, price='149.00')
            + ROW.format(id='CSV-2', sku='SKU-0003', qty=-4, price='10')
            + ROW.format(id='CSV-3', sku='NOPE', qty=1, price='10'))
        with Transaction().set_context(company=data.company.id):
            session_id, _, _ = Wizard.create()
            wizard = Wizard(session_id)
            wizard.start.file = text.encode('utf-8')
            wizard.start.delimiter = ','
            wizard.transition_import_()
            flow.run_queue()
            result = wizard.default_result(None)
            self.assertEqual(
                (result['accepted'], result['duplicates'],
                    result['rejected']), (1, 0, 2))
            messages = result['messages'].splitlines()
            # line 1 is the header; CSV-2 is on line 4, CSV-3 on line 5
            self.assertTrue(any(m.startswith('line 4: ')
                    and 'quantity' in m for m in messages), messages)
            self.assertTrue(any(m.startswith('line 5: ')
                    and 'sku' in m for m in messages), messages)
            intake, = Intake.search([('external_id', '=', 'CSV-1')])
            self.assertEqual((intake.source, intake.state),
                ('csv', 'processed'))
            sale, = intake.sales
            self.assertEqual(sorted(
                    (line.product.code, line.quantity)
                    for line in sale.lines),
                [('SKU-0001', 2.0), ('SKU-0002', 1.0)])
            # importing the same file again creates nothing new
            session_id, _, _ = Wizard.create()
            wizard = Wizard(session_id)
            wizard.start.file = text.encode('utf-8')
            wizard.start.delimiter = ','
            wizard.transition_import_()
            result = wizard.default_result(None)
            self.assertEqual(result['duplicates'], 1)
            self.assertEqual(
                Intake.search_count([('idempotency_key', '!=', None)]), 1)
