# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Outbound: pick strategies by lot and short picks."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from . import tools


def receive_lot(company, product, bin_, quantity, number, received,
        expiry=None):
    "A lot of product received on the date into the bin"
    pool = Pool()
    Lot = pool.get('stock.lot')
    Move = pool.get('stock.move')
    lot, = Lot.create([{'number': number, 'product': product.id,
                'otwb_expiry_date': expiry}])
    move, = Move.create([{
                'product': product.id, 'unit': product.default_uom.id,
                'quantity': quantity, 'lot': lot.id,
                'from_location': tools.location('SUP').id,
                'to_location': bin_.id, 'company': company.id,
                'unit_price': Decimal('1'), 'currency': company.currency.id,
                'effective_date': received,
                }])
    Move.do([move])
    return lot


class ShortPickScenarioTestCase(unittest.TestCase):
    "Pick strategies FIFO, FEFO, LIFO and short picks"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_wms'])

    def _lots(self, company, product, bin_):
        "L1 oldest, L2 expires first, L3 newest, L0 expired"
        today = dt.date.today()
        day = dt.timedelta(days=1)
        return {
            'L0': receive_lot(company, product, bin_, 10, 'L0',
                today - 120 * day, today - day),
            'L1': receive_lot(company, product, bin_, 10, 'L1',
                today - 90 * day, today + 120 * day),
            'L2': receive_lot(company, product, bin_, 10, 'L2',
                today - 60 * day, today + 30 * day),
            'L3': receive_lot(company, product, bin_, 10, 'L3',
                today - 30 * day, today + 200 * day),
            }

    def _picked_lots(self, shipment):
        return sorted((t.lot.number, t.quantity) for t in Pool().get(
                'otwb.wms.task').search([('shipment', '=', str(shipment))]))

    @with_transaction()
    def test_pick_strategies_choose_the_lot(self):
        "FIFO takes the oldest, LIFO the newest, FEFO the first expiring"
        pool = Pool()
        Template = pool.get('product.template')
        Category = pool.get('product.category')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=4)
            party = tools.customer()
            picked = {}
            for n, strategy in enumerate(['fifo', 'lifo', 'fefo']):
                product = tools.create_product('S-%s' % strategy)
                Template.write([product.template],
                    {'otwb_pick_strategy': strategy})
                self._lots(company, product, bins[(1, n + 1, 1)])
                shipment = tools.shipment(company, party, [(product, 4)])
                self.assertEqual(shipment.state, 'assigned')
                picked[strategy] = self._picked_lots(shipment)
            # L0 expired yesterday: FEFO and FIFO skip it
            self.assertEqual(picked, {
                    'fifo': [('L1', 4.0)],
                    'lifo': [('L3', 4.0)],
                    'fefo': [('L2', 4.0)],
                    })

            # the category's strategy applies to a product without one;
            # 15 units span two lots in expiry order
            category, = Category.create([{
                        'name': "Dairy", 'otwb_pick_strategy': 'fefo'}])
            milk = tools.create_product('MILK', category=category)
            self._lots(company, milk, bins[(1, 4, 1)])
            shipment = tools.shipment(company, party, [(milk, 15)])
            self.assertEqual(self._picked_lots(shipment),
                [('L1', 5.0), ('L2', 10.0)])
            tools.pick_all()
            self.assertEqual(
                pool.get('stock.shipment.out')(shipment.id).state, 'picked')
            self.assertEqual(tools.quantity(milk, bins[(1, 4, 1)]), 25)

    @with_transaction()
    def test_short_pick_reallocates_from_another_bin(self):
        "Picked 5 of 8: 3 re-allocated from the other bin, shipment full"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        Exception_ = pool.get('otwb.wms.exception')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=2)
            product = tools.create_product('P')
            tools.stock(company, product, bins[(1, 1, 1)], 10)
            tools.stock(company, product, bins[(1, 2, 1)], 10)
            shipment = tools.shipment(company, tools.customer(),
                [(product, 8)])
            task, = Task.search([('shipment', '=', str(shipment))])
            first = task.from_location
            other, = [b for b in bins.values() if b != first]
            claimed = Task.claim_next('RF-1', ['pick'])
            Task.complete('RF-1', claimed['id'], 5)

            exception, = Exception_.search([])
            self.assertEqual((exception.type, exception.policy,
                    exception.planned_quantity, exception.picked_quantity,
                    exception.short_quantity, exception.reallocated_quantity,
                    exception.backorder_quantity, exception.state),
                ('short_pick', 'reallocate', 8, 5, 3, 3, 0, 'resolved'))
            self.assertEqual(exception.location, first)
            new, = exception.new_tasks
            self.assertEqual((new.from_location, new.quantity, new.state),
                (other, 3, 'pending'))
            self.assertEqual(Shipment(shipment.id).state, 'assigned')

            tools.pick_all('RF-2')
            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'picked')
            self.assertEqual(
                sum(m.quantity for m in shipment.outgoing_moves), 8)
            self.assertEqual(tools.quantity(product, first), 5)
            self.assertEqual(tools.quantity(product, other), 7)
            self.assertEqual(Shipment.search_count([]), 1)

    @with_transaction()
    def test_short_pick_backorders_the_rest(self):
        "Back-order policy: the shipment leaves with 5, 3 wait on a new one"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        Exception_ = pool.get('otwb.wms.exception')
        company = create_company()
        with set_company(company):
            warehouse = tools.warehouse()
            warehouse.otwb_short_pick_policy = 'backorder'
            warehouse.save()
            bins = tools.create_bins(aisles=1, bays=2)
            product = tools.create_product('P')
            other_product = tools.create_product('Q')
            tools.stock(company, product, bins[(1, 1, 1)], 10)
            tools.stock(company, product, bins[(1, 2, 1)], 10)
            tools.stock(company, other_product, bins[(1, 2, 1)], 10)
            shipment = tools.shipment(company, tools.customer(),
                [(product, 8), (other_product, 2)])
            for _ in range(2):
                claimed = Task.claim_next('RF-1', ['pick'])
                qty = 5 if claimed['product_code'] == 'P' else None
                Task.complete('RF-1', claimed['id'], qty)

            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'picked')
            self.assertEqual(sorted((m.product.code, m.quantity)
                    for m in shipment.outgoing_moves),
                [('P', 5.0), ('Q', 2.0)])
            exception, = Exception_.search([])
            self.assertEqual((exception.short_quantity,
                    exception.reallocated_quantity,
                    exception.backorder_quantity, exception.state),
                (3, 0, 3, 'resolved'))
            backorder = exception.backorder
            self.assertEqual(backorder.state, 'waiting')
            self.assertEqual(backorder.customer, shipment.customer)
            self.assertEqual([(m.product.code, m.quantity)
                    for m in backorder.outgoing_moves], [('P', 3.0)])
            self.assertEqual(backorder.otwb_tasks, ())
            # 15 P left in the bins: the back-order can be reserved
            Shipment.assign_try([backorder])
            self.assertEqual(Shipment(backorder.id).state, 'assigned')

    @with_transaction()
    def test_failed_pick_reallocates_what_exists(self):
        "A failed pick of 5: 2 re-allocated from the only other bin, 3 back"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        Exception_ = pool.get('otwb.wms.exception')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=2)
            product = tools.create_product('P')
            tools.stock(company, product, bins[(1, 1, 1)], 5)
            shipment = tools.shipment(company, tools.customer(),
                [(product, 5)])
            tools.stock(company, product, bins[(1, 2, 1)], 2)
            claimed = Task.claim_next('RF-1', ['pick'])
            Task.report_failure('RF-1', claimed['id'], 'bin empty')
            # the failure is handled (move cancelled, re-allocated and
            # back-ordered): the task may not go back to the queue, where
            # it would be picked a second time
            failed = Task(claimed['id'])
            self.assertEqual(failed.state, 'failed')
            with self.assertRaises(ValidationError) as cm:
                Task.requeue([failed])
            self.assertIn('cannot go back to the queue', str(cm.exception))
            self.assertEqual(Task(claimed['id']).state, 'failed')

            exception, = Exception_.search([])
            self.assertEqual((exception.picked_quantity,
                    exception.short_quantity,
                    exception.reallocated_quantity,
                    exception.backorder_quantity, exception.reason,
                    exception.state),
                (0, 5, 2, 3, 'bin empty', 'open'))
            self.assertEqual(Shipment(shipment.id).state, 'assigned')
            tools.pick_all('RF-2')
            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'picked')
            self.assertEqual([m.quantity for m in shipment.outgoing_moves
                    if m.quantity], [2.0])
            exception = Exception_(exception.id)
            self.assertEqual(exception.state, 'resolved')
            self.assertEqual([m.quantity
                    for m in exception.backorder.outgoing_moves], [3.0])
            self.assertEqual(tools.quantity(product, bins[(1, 1, 1)]), 5)
            self.assertEqual(tools.quantity(product, bins[(1, 2, 1)]), 0)

    @with_transaction()
    def test_claim_in_the_client(self):
        "An operator claims a task in the client; no device receives it"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=1)
            product = tools.create_product('P')
            tools.stock(company, product, bins[(1, 1, 1)], 5)
            tools.shipment(company, tools.customer(), [(product, 3)])
            task, = Task.search([('type', '=', 'pick')])
            self.assertEqual(task.state, 'pending')
            login = User(Transaction().user).login

            Task.claim([task])
            task = Task(task.id)
            self.assertEqual((task.state, task.device, task.operator.login),
                ('assigned', 'client:' + login, login))
            with self.assertRaises(AccessError) as cm:
                Task.claim([task])
            self.assertIn('is not pending any more', str(cm.exception))
            self.assertIsNone(Task.claim_next('RF-1', ['pick']))
            # no heartbeat from the client: the task stays the operator's
            Task.write([task], {'heartbeat_at':
                    dt.datetime.now() - dt.timedelta(hours=1)})
            self.assertEqual(Task.requeue_stale(), 0)
            self.assertEqual(Task(task.id).state, 'assigned')

            Task.done([task])
            self.assertEqual(Task(task.id).state, 'done')
            self.assertEqual(tools.quantity(product, bins[(1, 1, 1)]), 2)

    @with_transaction()
    def test_wave_with_a_failed_pick_closes(self):
        "A released wave is done when its picks are done or failed"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Wave = pool.get('otwb.wms.wave')
        Rule = pool.get('otwb.wms.wave.rule')
        company = create_company()
        with set_company(company):
            Rule.create([{'name': "All"}])
            bins = tools.create_bins(aisles=1, bays=2)
            p1 = tools.create_product('P1')
            p2 = tools.create_product('P2')
            tools.stock(company, p1, bins[(1, 1, 1)], 5)
            tools.stock(company, p2, bins[(1, 2, 1)], 5)
            tools.shipment(company, tools.customer(), [(p1, 2), (p2, 1)])
            wave, = Wave.plan(tools.warehouse())
            Wave.release([wave])
            first = Task.claim_next('RF-1', ['pick'])
            Task.report_failure('RF-1', first['id'], 'damaged')
            self.assertEqual(Wave(wave.id).state, 'released')
            second = Task.claim_next('RF-1', ['pick'])
            self.assertEqual(Task(second['id']).wave, wave)
            Task.complete('RF-1', second['id'])
            self.assertEqual(
                sorted(t.state for t in Wave(wave.id).tasks),
                ['done', 'failed'])
            self.assertEqual(Wave(wave.id).state, 'done')
