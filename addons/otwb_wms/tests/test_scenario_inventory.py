# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Available-to-promise and the stale-claim cron job."""
import datetime as dt
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from . import tools


class InventoryScenarioTestCase(unittest.TestCase):
    "ATP and requeue"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_wms'])

    @with_transaction()
    def test_available_to_promise(self):
        "ATP = on hand 10 - reserved 3 - safety 2 = 5"
        pool = Pool()
        Safety = pool.get('otwb.wms.safety.stock')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=2)
            item = tools.create_product('ITEM')
            other = tools.create_product('OTHER')
            tools.stock(company, item, bins[(1, 1, 1)], 10)
            tools.shipment(company, tools.customer(), [(item, 3)])
            Safety.create([{'warehouse': tools.warehouse().id,
                        'product': item.id, 'quantity': 2}])
            result = Safety.available_to_promise(['WH'], ['ITEM', 'OTHER'])
            self.assertEqual(result, [
                    {'warehouse': 'WH', 'sku': 'ITEM', 'on_hand': 10,
                        'reserved': 3, 'safety': 2, 'atp': 5},
                    {'warehouse': 'WH', 'sku': 'OTHER', 'on_hand': 0,
                        'reserved': 0, 'safety': 0, 'atp': 0},
                    ])
            self.assertEqual(other.code, 'OTHER')
            for bad in [('WH', ['ITEM']), (['WH'], 'ITEM'), (['WH'], [1]),
                    (['NOPE'], ['ITEM']), (['WH'], ['NOSKU'])]:
                with self.assertRaises(AccessError):
                    Safety.available_to_promise(*bad)

    @with_transaction()
    def test_cron_requeues_stale_claims(self):
        "A claim without heartbeat for 5 minutes goes back to the queue"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Cron = pool.get('ir.cron')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=2)
            item = tools.create_product('ITEM')
            tools.stock(company, item, bins[(1, 1, 1)], 10)
            tools.stock(company, item, bins[(1, 2, 1)], 10)
            tools.shipment(company, tools.customer(), [(item, 15)])
            first = Task.claim_next('AGV-1')
            second = Task.claim_next('AGV-2')
            self.assertNotEqual(first['id'], second['id'])
            Task.write([Task(first['id'])], {
                    'heartbeat_at': dt.datetime.now()
                    - dt.timedelta(minutes=6)})
            Task.heartbeat('AGV-2', [second['id']])
            cron = Cron(ModelData.get_id('otwb_wms', 'cron_requeue_stale'))
            self.assertEqual(cron.method, 'otwb.wms.task|requeue_stale')
            Cron.run_once([cron])
            self.assertEqual(Task(first['id']).state, 'pending')
            self.assertIsNone(Task(first['id']).device)
            self.assertEqual(Task(second['id']).state, 'assigned')
            again = Task.claim_next('AGV-3')
            self.assertEqual(again['id'], first['id'])
