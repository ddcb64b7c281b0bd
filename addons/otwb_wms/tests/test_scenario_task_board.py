# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The task board: tasks by zone (of the source bin, of the destination
for putaway) and state."""
import unittest

from lxml import etree
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from . import tools


class TaskBoardTestCase(unittest.TestCase):
    "Task zone and task board"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_wms'])

    @with_transaction()
    def test_zone_searchable_and_board_counts(self):
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Board = pool.get('otwb.wms.task.board')
        company = create_company()
        with set_company(company):
            Location = pool.get('stock.location')
            bins = tools.create_bins(aisles=2, bays=2, zone='pick_face')
            Location.write([b for k, b in bins.items() if k[0] == 2],
                {'otwb_zone_type': 'bulk'})
            f1, f2 = bins[(1, 1, 1)], bins[(1, 2, 1)]
            k1, k2 = bins[(2, 1, 1)], bins[(2, 2, 1)]
            product = tools.create_product('P1')
            wh = tools.warehouse()
            entry = wh.input_location

            def task(type_, from_, to, **values):
                record, = Task.create([dict(type=type_,
                            warehouse=wh.id, product=product.id,
                            quantity=values.pop('quantity', 1),
                            from_location=from_.id if from_ else None,
                            to_location=to.id if to else None, **values)])
                return record
            pick1 = task('pick', f1, wh.output_location, quantity=2)
            pick2 = task('pick', f2, wh.output_location, quantity=3)
            # putaway: the zone of the destination
            putaway = task('putaway', entry, k1, quantity=5)
            # replenishment from bulk to the pick face: the source's
            replenish = task('replenish', k2, f1, quantity=7)
            # a count of a bulk bin, failed
            count = task('count', k2, None)
            Task.write([count], {'state': 'failed'})
            # a move between locations without zone
            loose = task('move', entry, wh.output_location)
            # claimed picks
            Task.write([pick2], {'state': 'assigned', 'device': 'RF-1'})
            done = task('pick', f1, wh.output_location)
            Task.write([done], {'state': 'done'})

            self.assertEqual(
                {t.id: t.zone for t in Task.search([])}, {
                    pick1.id: 'pick_face', pick2.id: 'pick_face',
                    putaway.id: 'bulk', replenish.id: 'bulk',
                    count.id: 'bulk', loose.id: None,
                    done.id: 'pick_face'})

            def found(domain):
                return sorted(t.id for t in Task.search(domain))
            self.assertEqual(found([('zone', '=', 'bulk')]),
                sorted([putaway.id, replenish.id, count.id]))
            self.assertEqual(found([('zone', '=', 'pick_face'),
                        ('state', '=', 'pending')]), [pick1.id])
            self.assertEqual(found([('zone', '=', None)]), [loose.id])
            self.assertEqual(found([('zone', '!=', 'bulk')]),
                sorted([pick1.id, pick2.id, loose.id, done.id]))
            self.assertEqual(found([('zone', 'in', ['bulk', None])]),
                sorted([putaway.id, replenish.id, count.id, loose.id]))
            self.assertEqual(found([('zone', 'not in', ['pick_face'])]),
                sorted([putaway.id, replenish.id, count.id, loose.id]))
            self.assertEqual(found([('zone', 'not in', ['bulk', None])]),
                sorted([pick1.id, pick2.id, done.id]))

            # the board: open and failed tasks per zone and type, one
            # column per state (done tasks are not on it)
            rows = {(r.warehouse.code, r.zone, r.type): (
                    r.pending, r.assigned, r.in_progress, r.failed,
                    r.open_tasks, r.open_quantity)
                for r in Board.search([])}
            self.assertEqual(rows, {
                    ('WH', 'pick_face', 'pick'): (1, 1, 0, 0, 2, 5.0),
                    ('WH', 'bulk', 'putaway'): (1, 0, 0, 0, 1, 5.0),
                    ('WH', 'bulk', 'replenish'): (1, 0, 0, 0, 1, 7.0),
                    ('WH', 'bulk', 'count'): (0, 0, 0, 1, 0, 0.0),
                    ('WH', 'none', 'move'): (1, 0, 0, 0, 1, 1.0),
                    })
            self.assertEqual(
                [r.type for r in Board.search([('zone', '=', 'bulk')],
                        order=[('type', 'ASC')])],
                ['count', 'putaway', 'replenish'])

    @with_transaction()
    def test_board_views_parse(self):
        "The board, its graph and lists are valid views with their fields"
        pool = Pool()
        View = pool.get('ir.ui.view')
        Action = pool.get('ir.action.act_window')
        ModelData = pool.get('ir.model.data')
        Menu = pool.get('ir.ui.menu')
        Board = pool.get('otwb.wms.task.board')
        Task = pool.get('otwb.wms.task')

        def view(xml_id):
            return View(ModelData.get_id('otwb_wms', xml_id))
        graph = Board.fields_view_get(view('task_board_view_graph').id,
            'graph')
        self.assertEqual(
            [f.get('name') for f in etree.fromstring(graph['arch']).iter(
                    'field')],
            ['zone', 'pending', 'assigned', 'in_progress', 'failed'])
        tree = Board.fields_view_get(view('task_board_view_list').id,
            'tree')
        self.assertLessEqual({'warehouse', 'zone', 'type', 'pending',
                'failed'}, set(tree['fields']))
        tasks = Task.fields_view_get(view('task_view_list').id, 'tree')
        self.assertEqual(tasks['fields']['zone']['type'], 'selection')
        self.assertTrue(tasks['fields']['zone']['searchable'])
        # the board view shows the graph, the list and the tasks
        board = etree.fromstring(view('task_board_view').arch)
        names = [a.get('name') for a in board.iter('action')]
        self.assertEqual(names, ['otwb_wms.act_task_board_graph',
                'otwb_wms.act_task_board_list', 'otwb_wms.act_task'])
        for name in names:
            module, xml_id = name.split('.')
            Action(ModelData.get_id(module, xml_id))
        menu = Menu(ModelData.get_id('otwb_wms', 'menu_task_board'))
        self.assertEqual(menu.action.name, "Task Board by Zone")
        self.assertEqual(menu.parent, Menu(
                ModelData.get_id('otwb_wms', 'menu_warehouse')))
