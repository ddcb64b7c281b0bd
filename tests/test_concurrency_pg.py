# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Concurrency on PostgreSQL with several processes.

Four processes submit the same 1,000 channel orders in batches of 100, in
different orders, retrying a batch when the database refuses it (a unique
violation on the idempotency key when two processes insert the same order
at the same moment).  Exactly 1,000 orders must exist afterwards, each
accepted exactly once.
"""
import multiprocessing
import os
import random
import unittest

from rpc_server import DemoServer

from otwb_tools import flow

URI = os.environ.get('TRYTOND_DATABASE_URI', '')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDERS = 1000
BATCH = 100
PROCESSES = 4


def orders():
    result = []
    for n in range(ORDERS):
        payload = flow.demo_payload('CONC-%04d' % n, 'API')
        payload['lines'] = [
            {'sku': 'SKU-%04d' % (1 + n % 12), 'quantity': 1 + n % 3,
                'unit_price': '10.00'}]
        payload['payment'] = {'method': 'invoice', 'paid_amount': '0'}
        result.append(payload)
    return result


def submit_all(config, database, seed, queue):
    "One client process: submit every batch, retrying refused ones"
    from trytond.config import config as tconfig
    tconfig.update_etc(config)
    from trytond import backend
    from trytond.model.modelsql import SQLConstraintError
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool(database).init()
    with Transaction().start(database, 0) as transaction:
        User = Pool().get('res.user')
        admin, = User.search([('login', '=', 'admin')])
        admin_id, company_id = admin.id, admin.company.id
    payloads = orders()
    batches = [payloads[i:i + BATCH] for i in range(0, ORDERS, BATCH)]
    random.Random(seed).shuffle(batches)
    statuses, retries = {}, 0
    for batch in batches:
        for _attempt in range(20):
            try:
                with Transaction().start(database, admin_id,
                        context={'company': company_id}) as transaction:
                    Intake = Pool().get('otwb.oms.intake')
                    results = Intake.submit(batch)
                    # processing is queued (ir.queue) for the workers
                    transaction.tasks.clear()
                    transaction.commit()
                break
            except (backend.DatabaseIntegrityError,
                    backend.DatabaseOperationalError, SQLConstraintError):
                # another process inserted the same order first: the
                # client retries and now gets 'duplicate'
                retries += 1
        else:
            raise RuntimeError("batch refused 20 times")
        for payload, result in zip(batch, results):
            statuses.setdefault(result['status'], []).append(
                payload['external_id'])
    queue.put({'statuses': statuses, 'retries': retries})


@unittest.skipUnless(URI.startswith('postgresql'),
    "runs in the PostgreSQL pass: SQLite serialises all writers")
class IntakeConcurrencyTestCase(unittest.TestCase):
    "Several processes submit the same orders at the same time"

    @classmethod
    def setUpClass(cls):
        # the demo database of rpc_server (copied when it was built before)
        cls.demo = DemoServer('otwb_conc')
        cls.demo.build()
        cls.config, cls.database = cls.demo.config, cls.demo.database

    @classmethod
    def tearDownClass(cls):
        cls.demo.cleanup()

    def test_same_orders_from_four_processes(self):
        import psycopg
        context = multiprocessing.get_context('spawn')
        queue = context.Queue()
        env_keys = [k for k in os.environ if k.startswith(('TRYTOND_',
                    'DB_'))]
        saved = {k: os.environ.pop(k) for k in env_keys}
        try:
            processes = [context.Process(target=submit_all,
                    args=(self.config, self.database, seed, queue))
                for seed in range(PROCESSES)]
            for process in processes:
                process.start()
            reports = [queue.get(timeout=600) for _ in processes]
            for process in processes:
                process.join(60)
                self.assertEqual(process.exitcode, 0)
        finally:
            os.environ.update(saved)

        accepted = [i for r in reports
            for i in r['statuses'].get('accepted', [])]
        duplicates = [i for r in reports
            for i in r['statuses'].get('duplicate', [])]
        self.assertEqual(len(accepted), ORDERS)
        self.assertEqual(len(set(accepted)), ORDERS)
        self.assertEqual(len(duplicates), ORDERS * (PROCESSES - 1))
        self.assertFalse([s for r in reports for s in r['statuses']
                if s not in {'accepted', 'duplicate'}])
        with psycopg.connect(URI.rstrip('/') + '/' + self.database) as conn:
            count, distinct = conn.execute(
                "SELECT count(*), count(DISTINCT idempotency_key) "
                "FROM otwb_oms_intake WHERE external_id LIKE 'CONC-%%' "
                "AND idempotency_key IS NOT NULL").fetchone()
            queued = conn.execute(
                "SELECT count(*) FROM ir_queue WHERE data::text LIKE "
                "'%%otwb.oms.intake%%'").fetchone()[0]
        self.assertEqual((count, distinct), (ORDERS, ORDERS))
        # every accepted batch queued its processing once
        self.assertGreaterEqual(queued, ORDERS // BATCH)


    def _spawn(self, context, target, *args):
        env_keys = [k for k in os.environ if k.startswith(('TRYTOND_',
                    'DB_'))]
        saved = {k: os.environ.pop(k) for k in env_keys}
        try:
            process = context.Process(target=target, args=args)
            process.start()
        finally:
            os.environ.update(saved)
        return process

    def test_last_units_from_four_workers(self):
        import psycopg
        context = multiprocessing.get_context('spawn')
        queue = context.Queue()
        setup = self._spawn(context, oversell_setup, self.config,
            self.database, queue)
        info = queue.get(timeout=600)
        setup.join(60)
        self.assertEqual(setup.exitcode, 0)

        tasks = info['tasks']
        barrier = context.Barrier(OVERSELL_PROCESSES)
        processes = [self._spawn(context, oversell_process, self.config,
                self.database, tasks[n::OVERSELL_PROCESSES], barrier,
                queue)
            for n in range(OVERSELL_PROCESSES)]
        retries = [queue.get(timeout=600) for _ in processes]
        for process in processes:
            process.join(60)
            self.assertEqual(process.exitcode, 0)

        with psycopg.connect(URI.rstrip('/') + '/' + self.database) as conn:
            processed = conn.execute(
                "SELECT count(*) FROM otwb_oms_intake "
                "WHERE external_id LIKE 'OVS-%%' AND state = 'processed'"
                ).fetchone()[0]
            reserved, moves = conn.execute(
                "SELECT coalesce(sum(quantity), 0), count(*) "
                "FROM stock_move WHERE product = %s AND state = 'assigned' "
                "AND from_location = %s",
                (info['product'], info['storage'])).fetchone()
            sales = conn.execute(
                "SELECT count(DISTINCT s.id) FROM sale_sale s "
                "JOIN sale_line l ON l.sale = s.id "
                "WHERE l.product = %s", (info['product'],)).fetchone()[0]
        self.assertEqual(processed, OVERSELL_ORDERS)
        self.assertEqual(sales, OVERSELL_ORDERS)
        # exactly the stock was reserved, never more, one unit per order
        self.assertEqual(reserved, OVERSELL_STOCK, retries)
        self.assertEqual(moves, OVERSELL_STOCK)

OVERSELL_STOCK = 10
OVERSELL_ORDERS = 40
OVERSELL_BATCH = 5
OVERSELL_PROCESSES = 4


def _oversell_payloads():
    result = []
    for n in range(OVERSELL_ORDERS):
        payload = flow.demo_payload('OVS-%04d' % n, 'API')
        payload['customer'] = {'name': "Buyer %d" % n,
            'email': 'buyer%d@example.cn' % n}
        payload['lines'] = [
            {'sku': 'OVS-LAST', 'quantity': 1, 'unit_price': '10.00'}]
        payload['payment'] = {'method': 'invoice', 'paid_amount': '0'}
        result.append(payload)
    return result


def oversell_setup(config, database, queue):
    """A product with OVERSELL_STOCK units in Shanghai only, and the
    oversell orders accepted (their processing left queued)"""
    from trytond.config import config as tconfig
    tconfig.update_etc(config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool(database).init()
    with Transaction().start(database, 0) as transaction:
        User = Pool().get('res.user')
        admin, = User.search([('login', '=', 'admin')])
        admin_id, company_id = admin.id, admin.company.id
    with Transaction().start(database, admin_id,
            context={'company': company_id}) as transaction:
        pool = Pool()
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Location = pool.get('stock.location')
        Inventory = pool.get('stock.inventory')
        Intake = pool.get('otwb.oms.intake')
        unit, = Uom.search([('symbol', '=', 'u')], limit=1)
        sku, = Template.search([('code', '=', 'SKU-0001')], limit=1)
        template, = Template.copy([sku], default={
                'name': "Last units", 'code': 'OVS-LAST'})
        product, = template.products
        sha, = Location.search([('code', '=', 'SHA')])
        inventory, = Inventory.create([{
                    'location': sha.storage_location.id,
                    'lines': [('create', [{'product': product.id,
                                    'quantity': OVERSELL_STOCK}])]}])
        Inventory.confirm([inventory])
        Queue = pool.get('ir.queue')
        last = max([q.id for q in Queue.search([], order=[('id', 'DESC')],
                        limit=1)] or [0])
        payloads = _oversell_payloads()
        for i in range(0, OVERSELL_ORDERS, OVERSELL_BATCH):
            results = Intake.submit(payloads[i:i + OVERSELL_BATCH])
            assert all(r['status'] == 'accepted' for r in results), results
        # one processing task per batch, left for the workers
        tasks = [q.id for q in Queue.search([('id', '>', last)],
                order=[('id', 'ASC')])]
        assert len(tasks) == OVERSELL_ORDERS // OVERSELL_BATCH, tasks
        info = {'product': product.id, 'tasks': tasks,
            'storage': sha.storage_location.id}
        transaction.tasks.clear()
        transaction.commit()
    queue.put(info)


def oversell_process(config, database, tasks, barrier, queue):
    """A worker process: run the queued tasks with trytond's own worker
    function (retries, transaction lock restarts), again while one of
    them was rescheduled after too many lock conflicts"""
    from trytond.config import config as tconfig
    tconfig.update_etc(config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.worker import run_task

    pool = Pool(database)
    pool.init()
    barrier.wait(120)
    retries = 0
    for _round in range(20):
        for task in tasks:
            run_task(pool, task)
        with Transaction().start(database, 0, readonly=True):
            Queue = pool.get('ir.queue')
            tasks = [q.id for q in Queue.browse(tasks)
                if not q.finished_at]
        if not tasks:
            break
        retries += 1
    else:
        raise RuntimeError("tasks not finished: %s" % tasks)
    queue.put(retries)


