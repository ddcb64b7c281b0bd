# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Available-to-promise and the stale-claim cron job."""
import datetime as dt
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.otwb_wms.task import MAX_BATCH
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
    def test_claim_batch(self):
        "A device claims a warehouse order: the next tasks in queue order"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=3)
            item = tools.create_product('ITEM')
            source, target = bins[(1, 1, 1)], bins[(1, 3, 1)]
            tasks = Task.create([{
                        'type': 'move', 'company': company.id,
                        'warehouse': tools.warehouse().id,
                        'product': item.id, 'quantity': q,
                        'from_location': source.id,
                        'to_location': target.id, 'priority': p}
                    for q, p in [(1, 20), (2, 10), (3, 30), (4, 10)]])
            for bad in [0, MAX_BATCH + 1, 2.0, '3', True, None]:
                with self.assertRaises(AccessError) as cm:
                    Task.claim_batch('AGV-1', bad, ['move'])
                self.assertIn('"limit"', cm.exception.message)
            self.assertEqual(Task.search([('state', '=', 'pending')],
                    count=True), 4)
            order = Task.claim_batch('AGV-1', 3, ['move'])
            # priority 10 first (in creation order), then 20
            self.assertEqual([t['id'] for t in order],
                [tasks[1].id, tasks[3].id, tasks[0].id])
            self.assertEqual([t['quantity'] for t in order], [2, 4, 1])
            for claimed in order:
                self.assertEqual(claimed, Task(claimed['id'])._device_dict())
                self.assertEqual(Task(claimed['id']).device, 'AGV-1')
                self.assertEqual(claimed['state'], 'assigned')
            self.assertEqual(order[0]['from_location'], source.rec_name)
            self.assertEqual(order[0]['to_location'], target.rec_name)
            # what is left goes to the next device; then nothing
            self.assertEqual([t['id'] for t in
                    Task.claim_batch('AGV-2', 5, ['move'])], [tasks[2].id])
            self.assertEqual(Task.claim_batch('AGV-2', 5, ['move']), [])
            self.assertIsNone(Task.claim_next('AGV-3', ['move']))

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
            # the claim's answer (one statement on PostgreSQL) is the
            # task as _device_dict reads it through the ORM
            for claimed in [first, second]:
                self.assertEqual(claimed,
                    Task(claimed['id'])._device_dict())
            self.assertEqual(first['type'], 'pick')
            self.assertEqual(first['state'], 'assigned')
            self.assertEqual(first['product_code'], 'ITEM')
            self.assertIsNone(first['lot'])
            self.assertEqual(first['quantity'] + second['quantity'], 15)
            self.assertEqual(
                {first['from_location'], second['from_location']},
                {bins[(1, 1, 1)].rec_name, bins[(1, 2, 1)].rec_name})
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
