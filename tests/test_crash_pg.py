# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Crash recovery on PostgreSQL: ``kill -9`` of real processes.

A ``trytond`` server (queue in worker mode) and ``trytond-worker``
processes run on the demo database.  A process is killed with SIGKILL in
the middle of its work; after the restart nothing is half-written, nothing
is duplicated, and the queued work completes:

- a worker killed while it processes channel orders (allocation, sales,
  shipments): the task's transaction is rolled back by PostgreSQL, the
  task is put back in the queue (``ir.queue.otwb_requeue_orphans``) and
  done once by the next worker;
- the server killed while it takes in batches of orders: every batch was
  answered and committed whole, or not at all; the client re-sends the
  unanswered ones and gets each order exactly once.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xmlrpc.client

import proteus.config  # noqa: F401 - marshals dates and Decimals
from rpc_server import ROOT, DemoServer, free_port, shared

from otwb_tools import flow
from otwb_tools.demo_data import DEMO_PASSWORD

URI = os.environ.get('TRYTOND_DATABASE_URI', '')


def payloads(prefix, count):
    result = []
    for n in range(count):
        payload = flow.demo_payload('%s-%04d' % (prefix, n), 'API')
        payload['customer'] = {'name': "Buyer %s %d" % (prefix, n),
            'email': 'buyer.%s.%d@example.cn' % (prefix.lower(), n)}
        payload['lines'] = [{'sku': 'SKU-%04d' % (1 + n % 12),
                'quantity': 1 + n % 3, 'unit_price': '10.00'}]
        payload['payment'] = {'method': 'invoice', 'paid_amount': '0'}
        result.append(payload)
    return result


@unittest.skipUnless(URI.startswith('postgresql'),
    "runs in the PostgreSQL pass: worker processes need PostgreSQL")
class CrashRecoveryTestCase(unittest.TestCase):
    "kill -9 of a worker and of a server in the middle of their work"

    @classmethod
    def setUpClass(cls):
        base = shared()
        cls.base = base
        cls.tmp = tempfile.TemporaryDirectory()
        # the same database, served with the queue in worker mode
        cls.config = os.path.join(cls.tmp.name, 'trytond.conf')
        with open(base.config) as fp:
            text = fp.read()
        cls.port = free_port()
        text = text.replace('listen = 127.0.0.1:%d' % base.port,
            'listen = 127.0.0.1:%d' % cls.port)
        with open(cls.config, 'w') as fp:
            fp.write(text + '[queue]\nworker = True\n')
        cls.server = DemoServer.__new__(DemoServer)
        cls.server.__dict__.update(base.__dict__)
        cls.server.config, cls.server.port = cls.config, cls.port
        cls.server.server = cls.server.log = None
        cls.server.tmp = cls.tmp
        cls.server.start()
        cls.admin = base.login('otwb_admin', DEMO_PASSWORD)
        cls.workers = []

    @classmethod
    def tearDownClass(cls):
        for worker in cls.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
        cls.server.stop()
        cls.tmp.cleanup()

    def start_worker(self, queue=None):
        worker = subprocess.Popen([
                os.path.join(os.path.dirname(sys.executable),
                    'trytond-worker'), '-c', self.config,
                '-d', self.base.database, '-n', '1']
            + (['--name', queue] if queue else []),
            env=self.base.env, cwd=ROOT, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.workers.append(worker)
        return worker

    def sql(self, query, *params):
        import psycopg
        with psycopg.connect(URI.rstrip('/') + '/' + self.base.database,
                autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def intake_states(self, prefix):
        return dict(self.sql(
                "SELECT state, count(*) FROM otwb_oms_intake "
                "WHERE external_id LIKE %s GROUP BY state", prefix + '-%'))

    def requeue(self):
        "What the cron does every minute, without its grace period"
        code = ('import sys, datetime\n'
            'from trytond.config import config\n'
            'config.update_etc(sys.argv[1])\n'
            'from trytond.pool import Pool\n'
            'from trytond.transaction import Transaction\n'
            'Pool(sys.argv[2]).init()\n'
            'with Transaction().start(sys.argv[2], 0) as t:\n'
            '    ids = Pool(sys.argv[2]).get("ir.queue")'
            '.otwb_requeue_orphans(datetime.timedelta(0))\n'
            '    t.commit()\n'
            'print(",".join(map(str, ids)))\n')
        out = subprocess.run([sys.executable, '-c', code, self.config,
                self.base.database], env=self.base.env, cwd=ROOT,
            check=True, capture_output=True, text=True).stdout
        return [int(i) for i in out.split(',') if i.strip()]

    def submit(self, rpc, batch):
        results = rpc.model.otwb.oms.intake.submit(batch, {})
        return [r['status'] for r in results]

    def assert_consistent(self, prefix, sent):
        "Processed intakes have their sales and lines, once"
        rows = self.sql(
            "SELECT i.external_id, count(DISTINCT s.id), "
            "coalesce(sum(l.quantity), 0) "
            "FROM otwb_oms_intake i "
            "LEFT JOIN sale_sale s ON s.otwb_intake = i.id "
            "LEFT JOIN sale_line l ON l.sale = s.id "
            "WHERE i.external_id LIKE %s GROUP BY i.external_id, i.state",
            prefix + '-%')
        states = dict(self.sql(
                "SELECT external_id, state FROM otwb_oms_intake "
                "WHERE external_id LIKE %s", prefix + '-%'))
        quantities = {p['external_id']: sum(line['quantity']
                for line in p['lines']) for p in sent}
        for external_id, sales, quantity in rows:
            if states[external_id] == 'processed':
                # one sale per warehouse it was allocated to (a split by
                # availability makes two), the ordered quantity once
                self.assertGreaterEqual(sales, 1, external_id)
                self.assertEqual(quantity, quantities[external_id],
                    external_id)
            else:
                # not processed: nothing of it written
                self.assertEqual(sales, 0, (external_id,
                        states[external_id]))
        orphan_lines = self.sql(
            "SELECT count(*) FROM sale_sale s WHERE s.otwb_intake IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM sale_line l WHERE l.sale = s.id)")
        self.assertEqual(orphan_lines[0][0], 0)

    def test_worker_killed_while_processing_orders(self):
        prefix = 'KILLW'
        sent = payloads(prefix, 300)
        rpc = self.server.login('integration', DEMO_PASSWORD)
        for i in range(0, len(sent), 50):
            self.assertEqual(set(self.submit(rpc, sent[i:i + 50])),
                {'accepted'})
        self.assertEqual(self.intake_states(prefix), {'accepted': 300})

        worker = self.start_worker()
        deadline = time.time() + 600
        running = []
        while time.time() < deadline and not running:
            done = self.intake_states(prefix).get('processed', 0)
            if done:
                # a task of ours dequeued and not finished: in progress
                running = [r[0] for r in self.sql(
                        "SELECT id FROM ir_queue WHERE dequeued_at IS NOT"
                        " NULL AND finished_at IS NULL")]
            time.sleep(0.05)
        self.assertTrue(running, "no task seen in progress")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

        self.assert_consistent(prefix, sent)
        before = self.intake_states(prefix)
        self.assertLess(before.get('processed', 0), 300)
        requeued = self.requeue()
        self.assertTrue(set(running) & set(requeued),
            (running, requeued))

        worker = self.start_worker()
        deadline = time.time() + 900
        while time.time() < deadline and self.sql(
                "SELECT count(*) FROM ir_queue "
                "WHERE finished_at IS NULL")[0][0]:
            time.sleep(1)  # the queue drained: every task done
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        self.assertEqual(self.intake_states(prefix), {'processed': 300})
        self.assert_consistent(prefix, sent)
        self.assertEqual(self.sql(
                "SELECT count(*) FROM ir_queue WHERE finished_at IS NULL"
                " AND dequeued_at IS NOT NULL")[0][0], 0)

    def test_server_killed_during_intake(self):
        prefix = 'KILLS'
        sent = payloads(prefix, 400)
        batches = [sent[i:i + 20] for i in range(0, len(sent), 20)]
        rpc = self.server.login('integration', DEMO_PASSWORD)
        answered = []
        killer = None
        for n, batch in enumerate(batches):
            if n == 5:
                # kill -9 the server while the next batch is in flight
                killer = subprocess.Popen([sys.executable, '-c',
                        'import os, signal, sys, time; time.sleep(0.05); '
                        'os.kill(int(sys.argv[1]), signal.SIGKILL)',
                        str(self.server.server.pid)])
            try:
                self.submit(rpc, batch)
                answered.append(n)
            except (OSError, xmlrpc.client.ProtocolError):
                break
        killer.wait(10)
        self.server.server.wait(10)
        self.server.stop()
        # whole batches only: every answered batch is stored, any other
        # batch is stored whole or not at all
        stored = {r[0] for r in self.sql(
                "SELECT external_id FROM otwb_oms_intake "
                "WHERE external_id LIKE %s", prefix + '-%')}
        for n, batch in enumerate(batches):
            ids = {p['external_id'] for p in batch}
            if n in answered:
                self.assertLessEqual(ids, stored)
            else:
                self.assertIn(len(ids & stored), {0, len(ids)}, n)

        self.server.start()
        rpc = self.server.login('integration', DEMO_PASSWORD)
        statuses = {}
        for batch in batches:  # the client re-sends everything
            for status in self.submit(rpc, batch):
                statuses[status] = statuses.get(status, 0) + 1
        self.assertEqual(statuses.get('duplicate', 0), len(stored))
        self.assertEqual(statuses.get('accepted', 0), 400 - len(stored))
        count = self.sql("SELECT count(*) FROM otwb_oms_intake "
            "WHERE external_id LIKE %s", prefix + '-%')[0][0]
        self.assertEqual(count, 400)

    def wait_task_done(self, task, timeout=900):
        deadline = time.time() + timeout
        while time.time() < deadline and self.sql(
                "SELECT count(*) FROM ir_queue "
                "WHERE finished_at IS NULL AND id = %s", task)[0][0]:
            time.sleep(1)

    def stops_per_shipment(self, shipments):
        return dict(self.sql(
                "SELECT st.shipment, count(*) FROM otwb_tms_trip_stop st "
                "JOIN otwb_tms_trip t ON t.id = st.trip "
                "WHERE t.state != 'cancelled' AND st.shipment = ANY(%s) "
                "GROUP BY st.shipment", shipments))

    def test_worker_killed_during_trip_planning(self):
        "kill -9 of the worker while the solver plans: replanned once"
        (warehouse,), = self.sql("SELECT id FROM stock_location "
            "WHERE type = 'warehouse' AND code = 'SHA'")
        packed = [r[0] for r in self.sql(
                "SELECT id FROM stock_shipment_out "
                "WHERE state = 'packed' AND warehouse = %s", warehouse)]
        # the demo leaves shipments packed in Shanghai, not on a trip
        self.assertTrue(packed)
        self.assertEqual(self.stops_per_shipment(packed), {})
        trips_before = self.sql("SELECT count(*) FROM otwb_tms_trip")[0][0]

        rpc = self.server.login('dispatcher', DEMO_PASSWORD)
        Run = rpc.model.otwb.tms.planning.run
        context = rpc.model.res.user.get_preferences(True, {})
        run, = Run.create([{'warehouse': warehouse, 'time_limit': 30}],
            context)
        Run.run([run], context)
        task, = [r[0] for r in self.sql(
                "SELECT id FROM ir_queue WHERE finished_at IS NULL "
                "AND name = 'otwb_tms_planning'")]

        worker = self.start_worker('otwb_tms_planning')
        import psycopg
        with psycopg.connect(URI.rstrip('/') + '/' + self.base.database,
                autocommit=True) as conn:
            # the run logs "running" (in a transaction of its own) before
            # it computes distances and solves: killed then, its planning
            # is under way and not written (a solve of these 4 stops stops
            # after 20,000 iterations without improvement: a second or
            # two)
            deadline = time.time() + 300
            while time.time() < deadline and not conn.execute(
                    "SELECT 1 FROM otwb_tms_planning_run_progress "
                    "WHERE run = %s AND phase = 'running'",
                    (run,)).fetchall():
                time.sleep(0.01)
        self.assertIsNone(worker.poll())
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

        # nothing half-written: no trip, no stop, the run still queued
        self.assertEqual(self.sql(
                "SELECT state, trip_count FROM otwb_tms_planning_run "
                "WHERE id = %s", run), [('queued', None)])
        self.assertEqual(self.sql("SELECT count(*) FROM otwb_tms_trip")[0][0],
            trips_before)
        self.assertEqual(self.stops_per_shipment(packed), {})

        self.assertIn(task, self.requeue())
        worker = self.start_worker('otwb_tms_planning')
        self.wait_task_done(task)
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)

        (state, trip_count, unassigned), = self.sql(
            "SELECT state, trip_count, unassigned_count "
            "FROM otwb_tms_planning_run WHERE id = %s", run)
        self.assertEqual(state, 'done')
        trips = self.sql("SELECT count(*) FROM otwb_tms_trip "
            "WHERE planning_run = %s", run)[0][0]
        self.assertEqual(trips, trip_count)
        self.assertGreaterEqual(trips, 1)
        self.assertEqual(self.sql("SELECT count(*) FROM otwb_tms_trip")[0][0],
            trips_before + trips)
        # every shipment planned once (or listed as unassigned)
        stops = self.stops_per_shipment(packed)
        self.assertEqual(set(stops.values()), {1})
        self.assertEqual(len(stops) + unassigned, len(packed))

    def test_server_killed_during_billing_run(self):
        "kill -9 of the server while it invoices: all or nothing, then once"
        today = self.sql("SELECT current_date")[0][0]
        open_charges = {r[0]: r[1] for r in self.sql(
                "SELECT id, amount FROM otwb_bms_charge "
                "WHERE invoice_line IS NULL AND date <= %s", today)}
        # the demo leaves delivered orders rated and not invoiced
        self.assertGreaterEqual(len(open_charges), 5)
        invoices_before = self.sql(
            "SELECT count(*) FROM account_invoice")[0][0]
        moves_before = self.sql("SELECT count(*) FROM account_move")[0][0]

        run, = self.admin.model.otwb.bms.billing_run.create([{
                    'kind': 'both', 'date_to': today, 'invoice_date': today,
                    'post': True, 'grouping': 'charge'}],
            self.admin.model.res.user.get_preferences(True, {}))
        rpc = self.server.login('accountant', DEMO_PASSWORD)
        BillingRun = rpc.model.otwb.bms.billing_run
        context = rpc.model.res.user.get_preferences(True, {})

        def writing_invoices():
            "the server's transaction holds a write lock on invoice lines"
            return self.sql("SELECT count(*) FROM pg_locks l "
                "JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'account_invoice_line' "
                "AND l.mode = 'RowExclusiveLock' "
                "AND l.pid != pg_backend_pid()")[0][0]

        outcome = []

        def process():
            try:
                BillingRun.process([run], context)
                outcome.append('answered')
            except (OSError, xmlrpc.client.Error) as exc:
                outcome.append(exc)
        thread = threading.Thread(target=process)
        thread.start()
        deadline = time.time() + 300
        while (time.time() < deadline and thread.is_alive()
                and not writing_invoices()):
            time.sleep(0.005)
        os.kill(self.server.server.pid, signal.SIGKILL)
        thread.join(60)
        self.server.server.wait(10)
        self.server.stop()
        self.assertNotEqual(outcome, ['answered'],
            "the run ended before the kill")

        # all or nothing: no invoice, no move, no charge marked
        self.assertEqual(self.sql(
                "SELECT count(*) FROM account_invoice")[0][0],
            invoices_before)
        self.assertEqual(self.sql("SELECT count(*) FROM account_move")[0][0],
            moves_before)
        self.assertEqual(self.sql(
                "SELECT count(*) FROM otwb_bms_charge WHERE id = ANY(%s) "
                "AND (invoice_line IS NOT NULL OR billing_run IS NOT NULL)",
                list(open_charges))[0][0], 0)
        self.assertEqual(self.sql(
                "SELECT state FROM otwb_bms_billing_run WHERE id = %s",
                run), [('draft',)])

        # the accountant runs it again: every charge invoiced once
        self.server.start()
        rpc = self.server.login('accountant', DEMO_PASSWORD)
        rpc.model.otwb.bms.billing_run.process([run], context)
        rows = self.sql(
            "SELECT c.id, c.invoiced_amount, l.id, "
            "CAST(l.quantity * l.unit_price AS numeric(16, 2)), l.invoice "
            "FROM otwb_bms_charge c "
            "JOIN account_invoice_line l ON l.id = c.invoice_line "
            "WHERE c.id = ANY(%s)", list(open_charges))
        self.assertEqual({r[0] for r in rows}, set(open_charges))
        # one line per charge, of the charge's amount (in the invoice's
        # currency)
        self.assertEqual(len({r[2] for r in rows}), len(open_charges))
        for charge, amount, _, line_amount, _ in rows:
            self.assertEqual(abs(line_amount), abs(amount), charge)
        invoices = sorted({r[4] for r in rows})
        self.assertEqual(self.sql(
                "SELECT count(*) FROM account_invoice")[0][0],
            invoices_before + len(invoices))
        self.assertEqual({r[0] for r in self.sql(
                    "SELECT state FROM account_invoice WHERE id = ANY(%s)",
                    invoices)}, {'posted'})
        unbalanced = self.sql(
            "SELECT m.id FROM account_invoice i "
            "JOIN account_move m ON m.id = i.move "
            "JOIN account_move_line l ON l.move = m.id "
            "WHERE i.id = ANY(%s) GROUP BY m.id "
            "HAVING sum(l.debit) != sum(l.credit)", invoices)
        self.assertEqual(unbalanced, [])
        self.assertEqual(self.sql(
                "SELECT count(*) FROM account_invoice "
                "WHERE id = ANY(%s) AND move IS NOT NULL", invoices)[0][0],
            len(invoices))
