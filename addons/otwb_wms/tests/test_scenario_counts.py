# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""ABC classification per warehouse driving cycle counts; count tasks
booked as Tryton inventories with reason codes."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from . import tools


def out_moves(company, product, from_location, lines, days_ago=0,
        to=None):
    "Done moves of one unit each from the bin to the output location"
    Move = Pool().get('stock.move')
    to = to or tools.location('OUT')
    date = dt.date.today() - dt.timedelta(days=days_ago)
    moves = Move.create([{
                'product': product.id, 'unit': product.default_uom.id,
                'quantity': 1, 'from_location': from_location.id,
                'to_location': to.id,
                'company': company.id, 'effective_date': date,
                } for _ in range(lines)])
    Move.do(moves)


class CountsScenarioTestCase(unittest.TestCase):
    "ABC classes, cycle counts, inventory adjustments"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_wms'])

    @with_transaction()
    def test_abc_drives_cycle_counts_and_adjustments(self):
        pool = Pool()
        Policy = pool.get('otwb.wms.inventory.policy')
        ABCClass = pool.get('otwb.wms.abc.class')
        Task = pool.get('otwb.wms.task')
        Inventory = pool.get('stock.inventory')
        Template = pool.get('product.template')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=4)
            b1, b2, b3, b4 = (bins[(1, i, 1)] for i in range(1, 5))
            p1, p2, p3, p4 = (tools.create_product('P%d' % i)
                for i in range(1, 5))
            Template.write([p3.template], {'list_price': Decimal('1000')})
            tools.stock(company, p1, b1, 26)
            tools.stock(company, p2, b2, 13)
            tools.stock(company, p3, b3, 6)
            tools.stock(company, p4, b4, 8)
            # pick lines of the last 90 days: P1 16, P2 3, P3 1, P4 none
            out_moves(company, p1, b1, 16)
            out_moves(company, p2, b2, 3, days_ago=10)
            out_moves(company, p3, b3, 1)
            # ignored: older than the period, and to lost and found
            out_moves(company, p2, b2, 2, days_ago=120)
            out_moves(company, p4, b4, 1,
                to=tools.warehouse().lost_found_location)
            self.assertEqual([tools.quantity(p, b) for p, b in [
                        (p1, b1), (p2, b2), (p3, b3), (p4, b4)]],
                [10, 8, 5, 7])

            policy, = Policy.create([{
                        'warehouse': tools.warehouse().id,
                        'abc_basis': 'frequency'}])
            self.assertEqual(
                (policy.a_share, policy.b_share, policy.c_share,
                    policy.period_days, policy.count_days_a,
                    policy.count_days_b, policy.count_days_c),
                (80, 15, 5, 90, 30, 90, 180))
            Policy.compute_abc([policy])

            def classes():
                return {c.product.code: (c.abc_class, c.score,
                        c.cumulative_share) for c in ABCClass.search([])}
            # frequency, total 20: P1 from 0 % -> A, P2 from 80 % -> B,
            # P3 from 95 % -> C, P4 without picks -> C
            self.assertEqual(classes(), {
                    'P1': ('A', 16, 80.0), 'P2': ('B', 3, 95.0),
                    'P3': ('C', 1, 100.0), 'P4': ('C', 0, 100.0)})
            # value (quantity x list price, no cost price):
            # P3 1000, P1 160, P2 30 -> P3 A, P1 B (from 84 %), P2 C
            Policy.write([policy], {'abc_basis': 'value'})
            # recomputed by the weekly cron job
            Cron, ModelData = pool.get('ir.cron'), pool.get('ir.model.data')
            cron = Cron(ModelData.get_id('otwb_wms', 'cron_compute_abc'))
            self.assertEqual(cron.method, 'otwb.wms.inventory.policy|run_abc')
            Cron.run_once([cron])
            self.assertEqual(classes(), {
                    'P3': ('A', 1000, 84.03), 'P1': ('B', 160, 97.48),
                    'P2': ('C', 30, 100.0), 'P4': ('C', 0, 100.0)})
            self.assertEqual(ABCClass.get_class(tools.warehouse(), p3), 'A')
            # putaway rules match the class computed for the warehouse
            Rule = pool.get('otwb.wms.putaway.rule')
            rule, = Rule.create([{'abc_class': 'A', 'zone_type': 'bulk'}])
            self.assertEqual(Rule.get_rule(tools.warehouse(), p3), rule)
            self.assertIsNone(Rule.get_rule(tools.warehouse(), p1))
            Rule.delete([rule])

            # never counted: one task per bin and product in stock
            today = dt.date.today()
            tasks = Policy.generate_counts([policy])
            self.assertEqual(
                sorted((t.from_location.code, t.product.code, t.quantity,
                        t.priority) for t in tasks),
                [('A01-B01-L1', 'P1', 10, 30), ('A01-B02-L1', 'P2', 8, 30),
                    ('A01-B03-L1', 'P3', 5, 30), ('A01-B04-L1', 'P4', 7, 30)])
            # open tasks are not duplicated
            self.assertEqual(Policy.generate_counts([policy]), [])

            by_product = {t.product.code: t for t in tasks}
            claimed = {}
            while True:
                task = Task.claim_next('RF-1', ['count'])
                if not task:
                    break
                claimed[task['product_code']] = task['id']
            self.assertEqual(set(claimed), {'P1', 'P2', 'P3', 'P4'})
            # P1 as expected: booked without reason, no adjustment
            Task.complete('RF-1', claimed['P1'], 10)
            # P2: 2 damaged
            Task.complete('RF-1', claimed['P2'], 8.0 - 2, 'damaged')
            # P3: one more than the system: the reason is required and
            # nothing is written without it
            with self.assertRaises(UserError) as cm:
                Task.complete('RF-1', claimed['P3'], 6)
            self.assertIn('count_reason', cm.exception.message)
            self.assertEqual(Task(claimed['P3']).state, 'assigned')
            self.assertEqual(tools.quantity(p3, b3), 5)
            with self.assertRaises(AccessError):
                Task.complete('RF-1', claimed['P3'], 6, 'bogus')
            Task.complete('RF-1', claimed['P3'], 6, 'found')
            # P4 from the client: counted quantity and reason on the task
            Task.write([by_product['P4']], {
                    'counted_quantity': 0, 'count_reason': 'lost'})
            Task.done([by_product['P4']])

            self.assertEqual([tools.quantity(p, b) for p, b in [
                        (p1, b1), (p2, b2), (p3, b3), (p4, b4)]],
                [10, 6, 6, 0])
            lost = tools.warehouse().lost_found_location
            self.assertEqual(tools.quantity(p2, lost), 2)
            self.assertEqual(tools.quantity(p4, lost), 8)
            self.assertEqual(tools.quantity(p3, lost), -1)

            result = {}
            for task in Task.browse(tasks):
                self.assertEqual(task.state, 'done')
                self.assertEqual(task.inventory.state, 'done')
                self.assertEqual(task.inventory.location,
                    task.from_location)
                line, = task.inventory.lines
                self.assertEqual(line.otwb_task, task)
                result[task.product.code] = (
                    task.expected_quantity, task.done_quantity,
                    task.variance, line.expected_quantity, line.quantity,
                    line.otwb_variance, line.otwb_reason,
                    sum(m.quantity for m in line.moves))
            self.assertEqual(result, {
                    'P1': (10, 10, 0, 10, 10, 0, None, 0),
                    'P2': (8, 6, -2, 8, 6, -2, 'damaged', 2),
                    'P3': (5, 6, 1, 5, 6, 1, 'found', 1),
                    'P4': (7, 0, -7, 7, 0, -7, 'lost', 7),
                    })
            self.assertEqual(Inventory.search([], count=True), 4)

            # the class sets when a bin is counted again (value classes:
            # P3 A every 30 days, P1 B every 90, P2 C every 180); the bin
            # of P4, empty now, is counted as an empty bin every 90 days
            self.assertEqual(Policy.generate_counts([policy]), [])
            self.assertEqual(Policy.generate_counts(
                    [policy], today + dt.timedelta(days=29)), [])

            def due(days):
                return [(t.product.code if t.product
                        else t.from_location.code, t.quantity)
                    for t in Policy.generate_counts(
                        [policy], today + dt.timedelta(days=days))]
            self.assertEqual(due(30), [('P3', 6)])
            self.assertEqual(due(90), [('P1', 10), ('A01-B04-L1', 0)])
            self.assertEqual(due(180), [('P2', 6)])
            self.assertEqual(due(365), [])

    @with_transaction()
    def test_empty_bins_counted_and_goods_found(self):
        """Empty bins are counted at their own interval; goods found in a
        bin the system thinks empty are booked in with reason "found"."""
        pool = Pool()
        Policy = pool.get('otwb.wms.inventory.policy')
        Task = pool.get('otwb.wms.task')
        Inventory = pool.get('stock.inventory')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=3)
            b1, b2, b3 = (bins[(1, i, 1)] for i in range(1, 4))
            p1 = tools.create_product('P1')
            # a pallet of P2 put into B03 without telling the system
            p2 = tools.create_product('P2')
            tools.stock(company, p1, b1, 10)
            policy, = Policy.create([{'warehouse': tools.warehouse().id}])
            self.assertEqual(policy.count_days_empty, 90)

            # never counted: P1 in B01, and the two empty bins
            today = dt.date.today()
            tasks = Policy.generate_counts([policy])
            self.assertEqual(
                [(t.from_location.code, t.product.code if t.product
                        else None, t.quantity) for t in tasks],
                [('A01-B01-L1', 'P1', 10), ('A01-B02-L1', None, 0),
                    ('A01-B03-L1', None, 0)])
            self.assertEqual(Policy.generate_counts([policy]), [])
            by_bin = {t.from_location: t for t in tasks}
            for _ in tasks:
                Task.claim_next('RF-1', ['count'])

            # B02 is empty indeed: done, nothing booked
            Task.complete('RF-1', by_bin[b2].id, 0)
            # B03 holds 12 P2: the product found is needed, then the
            # reason of the variance
            with self.assertRaises(UserError) as cm:
                Task.complete('RF-1', by_bin[b3].id, 12)
            self.assertIn('found_product', cm.exception.message)
            self.assertIn('A01-B03-L1', cm.exception.message)
            with self.assertRaises(UserError) as cm:
                Task.complete('RF-1', by_bin[b3].id, 12, product='P2')
            self.assertIn('count_reason', cm.exception.message)
            with self.assertRaises(AccessError) as cm:
                Task.complete('RF-1', by_bin[b3].id, 12, 'found',
                    product='NOPE')
            self.assertIn("'NOPE'", cm.exception.message)
            # a product only for the count of an empty bin
            with self.assertRaises(AccessError):
                Task.complete('RF-1', by_bin[b1].id, 10, product='P2')
            self.assertEqual(tools.quantity(p2, b3), 0)
            self.assertEqual(Task(by_bin[b3].id).state, 'assigned')
            Task.complete('RF-1', by_bin[b3].id, 12, 'found', product='P2')
            Task.complete('RF-1', by_bin[b1].id, 10)

            lost = tools.warehouse().lost_found_location
            self.assertEqual(
                [tools.quantity(p1, b1), tools.quantity(p2, b3),
                    tools.quantity(p2, lost), tools.quantity(p2, b2)],
                [10, 12, -12, 0])
            result = {}
            for task in Task.browse(tasks):
                self.assertEqual(task.state, 'done')
                line = task.inventory.lines[0] if task.inventory else None
                result[task.from_location.code] = (
                    task.found_product.code if task.found_product
                    else None, task.done_quantity, task.expected_quantity,
                    task.variance, line and (line.product.code,
                        line.expected_quantity, line.quantity,
                        line.otwb_reason,
                        sum(m.quantity for m in line.moves)))
            self.assertEqual(result, {
                    'A01-B01-L1': (None, 10, 10, 0, ('P1', 10, 10, None, 0)),
                    'A01-B02-L1': (None, 0, 0, 0, None),
                    'A01-B03-L1': ('P2', 12, 0, 12,
                        ('P2', 0, 12, 'found', 12)),
                    })
            self.assertEqual(Inventory.search([], count=True), 2)

            # B02 stays empty: counted again after 90 days; B03 now holds
            # P2 (class C, every 180 days); the interval is the policy's
            def due(days):
                return [(t.from_location.code, t.product.code if t.product
                        else None) for t in Policy.generate_counts(
                        [policy], today + dt.timedelta(days=days))]
            self.assertEqual(due(89), [])
            Policy.write([policy], {'count_days_empty': 30})
            self.assertEqual(due(30), [('A01-B02-L1', None)])
            self.assertEqual(due(180), [('A01-B01-L1', 'P1'),
                    ('A01-B03-L1', 'P2')])
