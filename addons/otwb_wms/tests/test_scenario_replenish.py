# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pick faces below their minimum are refilled from reserve bins."""
import unittest

from trytond.exceptions import UserError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from . import tools


class ReplenishScenarioTestCase(unittest.TestCase):
    "Pick-face replenishment"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_wms'])

    @with_transaction()
    def test_pick_face_replenishment(self):
        pool = Pool()
        Location = pool.get('stock.location')
        PickFace = pool.get('otwb.wms.pick.face')
        Task = pool.get('otwb.wms.task')
        Cron = pool.get('ir.cron')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            faces = tools.create_bins(aisles=1, bays=2)
            face, face2 = faces[(1, 1, 1)], faces[(1, 2, 1)]
            storage = tools.warehouse().storage_location
            bulk1, bulk2, reserve = Location.create([{
                        'name': code, 'code': code, 'type': 'storage',
                        'parent': storage.id, 'otwb_zone_type': zone,
                        } for code, zone in [('BULK-1', 'bulk'),
                        ('BULK-2', 'bulk'), ('RES-1', None)]])
            item = tools.create_product('ITEM')
            item2 = tools.create_product('ITEM2')
            tools.stock(company, item, face, 10)
            tools.stock(company, item, bulk1, 30)
            tools.stock(company, item, bulk2, 50)
            tools.stock(company, item, reserve, 100)
            tools.stock(company, item2, bulk1, 25)
            tools.stock(company, item2, reserve, 30)

            for low, high in [(5, 5), (-1, 4)]:
                with self.assertRaises(UserError) as cm:
                    PickFace.create([{
                                'location': face.id, 'product': item.id,
                                'min_quantity': low, 'max_quantity': high}])
                self.assertIn('min_quantity', cm.exception.message)
            pick_face, = PickFace.create([{
                        'location': face.id, 'product': item.id,
                        'min_quantity': 5, 'max_quantity': 20}])
            self.assertEqual(pick_face.quantity, 10)
            with self.assertRaises(UserError):
                PickFace.write([pick_face], {'max_quantity': 4})
            self.assertEqual(PickFace.search([], count=True), 1)
            # at or above the minimum: nothing to do
            self.assertEqual(PickFace.replenish_all(), [])

            # a pick of 7 leaves 3 < 5: the completed pick triggers a
            # replenishment of 20 - 3 = 17 from the bulk bin with the most
            tools.shipment(company, tools.customer(), [(item, 7)])
            picked = tools.pick_all()
            self.assertEqual([(t['from_location'], t['quantity'])
                    for t in picked], [(face.rec_name, 7)])
            self.assertEqual(tools.quantity(item, face), 3)
            task, = Task.search([('type', '=', 'replenish')])
            self.assertEqual(
                (task.state, task.product, task.quantity,
                    task.from_location, task.to_location,
                    task.move.state, task.move.quantity, task.priority),
                ('pending', item, 17, bulk2, face, 'assigned', 17, 5))
            # an open replenishment is not duplicated
            self.assertEqual(PickFace.replenish([pick_face]), [])
            self.assertEqual(
                Task.search([('type', '=', 'replenish')], count=True), 1)

            # completing it moves the stock
            claimed = Task.claim_next('AGV-1', ['replenish'])
            self.assertEqual(claimed['id'], task.id)
            Task.complete('AGV-1', task.id)
            self.assertEqual(Task(task.id).state, 'done')
            self.assertEqual(Task(task.id).move.state, 'done')
            self.assertEqual(tools.quantity(item, face), 20)
            self.assertEqual(tools.quantity(item, bulk2), 33)
            self.assertEqual(PickFace(pick_face.id).quantity, 20)

            # the cron: a second face needs 40 from two reserve bins,
            # the bulk zone first, then the rest from another bin
            PickFace.create([{
                        'location': face2.id, 'product': item2.id,
                        'min_quantity': 10, 'max_quantity': 40}])
            cron = Cron(ModelData.get_id('otwb_wms', 'cron_replenish'))
            self.assertEqual(cron.method, 'otwb.wms.pick.face|replenish_all')
            Cron.run_once([cron])
            tasks = Task.search([
                    ('type', '=', 'replenish'), ('state', '=', 'pending')],
                order=[('id', 'ASC')])
            self.assertEqual(
                [(t.product, t.from_location, t.to_location, t.quantity)
                    for t in tasks],
                [(item2, bulk1, face2, 25), (item2, reserve, face2, 15)])
            tools.pick_all('AGV-2', ['replenish'])
            self.assertEqual(tools.quantity(item2, face2), 40)
            self.assertEqual(tools.quantity(item2, reserve), 15)
            self.assertEqual(tools.quantity(item2, bulk1), 0)
            # full faces: nothing more
            self.assertEqual(PickFace.replenish_all(), [])
