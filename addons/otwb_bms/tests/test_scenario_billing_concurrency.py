# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Two billing runs started at once on PostgreSQL bill each charge once.

The data is committed (two real transactions must see it), so the class
drops its database afterwards; the next test class restores a clean one.
"""
import threading
import time
import unittest
from decimal import Decimal

from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
from trytond.transaction import Transaction, TransactionError

from .tools import card, d, setup_billing, sources

N_EVENTS = 150


@unittest.skipUnless(backend.name == 'postgresql',
    "runs in the PostgreSQL pass: SQLite serialises all writers")
class ConcurrentBillingTestCase(unittest.TestCase):
    "Concurrent billing runs"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module(['otwb_bms'])
        pool = Pool(DB_NAME)
        extras = {}
        while True:
            with Transaction().start(DB_NAME, 1, **extras) as transaction:
                try:
                    cls._setup_data(pool, transaction)
                except TransactionError as exc:
                    transaction.rollback()
                    exc.fix(extras)
                    continue
                transaction.commit()
                break

    @classmethod
    def _setup_data(cls, pool, transaction):
        ns = setup_billing(with_accruals=False)
        cls.company = ns.company.id
        with transaction.set_context(company=ns.company.id):
            card("Customer", 'receivable', ns.cny, [{
                        'charge_type': 'freight', 'method': 'per_unit',
                        'unit': 'kg', 'rate': Decimal('1.50')}])
            Event = pool.get('otwb.bms.event')
            Run = pool.get('otwb.bms.billing_run')
            Event.capture([{
                        'company': ns.company.id, 'source': source,
                        'activity': 'shipment_delivered',
                        'date': d(3, 1 + i % 28),
                        'customer': ns.customer.id,
                        'kg': Decimal(i + 1),
                        } for i, source in enumerate(sources(N_EVENTS))])
            runs = Run.create([{
                        'kind': 'receivable', 'date_to': d(3, 31),
                        'invoice_date': d(4, 1),
                        } for _ in range(2)])
            cls.runs = [r.id for r in runs]

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def _process(self, run_id, barrier, results):
        pool = Pool(DB_NAME)
        extras = {}
        attempts = conflicts = 0
        barrier.wait()
        try:
            while attempts < 500:
                attempts += 1
                try:
                    with Transaction().start(DB_NAME, 1,
                            context={'company': self.company},
                            **extras) as transaction:
                        try:
                            Run = pool.get('otwb.bms.billing_run')
                            Run.process(Run.browse([run_id]))
                        except TransactionError as exc:
                            # what the dispatcher does: restart with the
                            # records locked first
                            transaction.rollback()
                            exc.fix(extras)
                            continue
                        transaction.commit()
                        results[run_id] = (attempts, conflicts)
                        return
                except backend.DatabaseOperationalError:
                    # lock held by the other run (NOWAIT) or row changed
                    # since our snapshot: retry as the dispatcher does
                    conflicts += 1
                    time.sleep(0.05)
            results[run_id] = RuntimeError('too many attempts')
        except Exception as exc:  # reported by the test
            results[run_id] = exc

    def test_two_runs_bill_each_charge_once(self):
        barrier = threading.Barrier(2)
        results = {}
        threads = [threading.Thread(target=self._process,
                args=(run_id, barrier, results)) for run_id in self.runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        for run_id in self.runs:
            self.assertNotIsInstance(results.get(run_id), Exception,
                results.get(run_id))
            self.assertIn(run_id, results)
        pool = Pool(DB_NAME)
        with Transaction().start(DB_NAME, 1,
                context={'company': self.company}):
            Charge = pool.get('otwb.bms.charge')
            Line = pool.get('account.invoice.line')
            Run = pool.get('otwb.bms.billing_run')
            charges = Charge.search([])
            self.assertEqual(len(charges), N_EVENTS)
            self.assertTrue(all(c.invoice_line for c in charges))
            lines = Line.search([('origin', 'like', 'otwb.bms.charge,%')])
            # exactly one invoice line per charge
            self.assertEqual(len(lines), N_EVENTS)
            self.assertEqual(len({str(line.origin) for line in lines}),
                N_EVENTS)
            runs = Run.browse(self.runs)
            self.assertEqual({r.state for r in runs}, {'done'})
            counts = sorted(r.charge_count for r in runs)
            self.assertEqual(counts, [0, N_EVENTS])
            invoice, = {line.invoice for line in lines}
            # Σ (i × 1.50) for i = 1..150 = 1.50 × 150 × 151 / 2 = 16987.50
            self.assertEqual(invoice.untaxed_amount, Decimal('16987.50'))
            self.assertEqual(invoice.state, 'posted')
        print('attempts, conflicts per run:', results)
