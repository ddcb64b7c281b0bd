# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Concurrent device claims on PostgreSQL: every task done exactly once;
concurrent replenishment triggers: one replenishment only."""
import json
import os
import subprocess
import sys
import unittest

URI = os.environ.get('TRYTOND_DATABASE_URI', '')


def run_driver(module, *args, timeout=300):
    "Run a driver module in its own process and database; its report"
    env = dict(os.environ)
    env['DB_NAME'] = 'test_wms_%s_%d' % (module[:8], os.getpid())
    proc = subprocess.run(
        [sys.executable, '-m', 'trytond.modules.otwb_wms.tests.' + module]
        + [str(a) for a in args],
        env=env, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines()
        if line.startswith('REPORT ')]
    assert lines, proc.stdout[-2000:] + proc.stderr[-1600:]
    return json.loads(lines[-1][len('REPORT '):])


@unittest.skipUnless(URI.startswith('postgresql'),
    "atomic claims are a PostgreSQL feature (SQLite serialises writers)")
class ConcurrentClaimsTestCase(unittest.TestCase):
    """8 device processes claim (one at a time or by 5) and complete
    10,000 tasks (issue 4, point 9)"""

    def test_every_task_done_exactly_once(self):
        tasks = 10000
        report = run_driver('concurrency', 8, tasks, timeout=3600)
        self.assertEqual(report['errors'], [], report)
        self.assertEqual(report['claimed'], tasks, report)
        self.assertEqual(report['distinct'], tasks, report)
        self.assertEqual(report['states'], {'done': tasks}, report)
        # one move per task, each done once
        self.assertEqual(report['task_moves'], tasks, report)
        self.assertEqual(report['moves_done'], tasks, report)
        # the bins hold the sum of the done moves: 1 unit each from A to B
        self.assertEqual(report['source_quantity'], 0, report)
        self.assertEqual(report['target_quantity'], tasks, report)
        # every device got work: the claims really ran side by side
        self.assertEqual(len(report['per_worker']), 8)
        self.assertTrue(all(n > 0 for n in report['per_worker'].values()),
            report)
        # devices 01, 03, 05, 07 claimed warehouse orders of up to 5 tasks
        # (claim_batch) from the same queue as the single claims
        self.assertGreater(report['orders'], 0, report)
        print("\n8 devices, %d tasks: set up in %.0f s, claimed and "
            "completed in %.0f s (%.1f/s, %d restarts, %.0f s CPU of the "
            "devices)" % (tasks, report['setup_seconds'], report['seconds'],
                report['per_second'], report['retries'],
                report['worker_cpu_seconds']))


@unittest.skipUnless(URI.startswith('postgresql'),
    "concurrent transactions need PostgreSQL (SQLite serialises writers)")
class ConcurrentReplenishmentTestCase(unittest.TestCase):
    "4 picks completing at once on one pick face"

    def test_one_replenishment(self):
        report = run_driver('replenish_race', 4)
        self.assertEqual(report['errors'], [], report)
        # the 4 picks came from the face (10 units, minimum 10)
        self.assertEqual(report['pick_bins'], [report['face_name']])
        after = report['after_picks']
        self.assertEqual(after['picks_done'], 4, report)
        self.assertEqual(after['face_quantity'], 6, report)
        # each completion found the face below its minimum; the first
        # replenishment saw its own pick only: 20 - 9 = 11 from the bulk
        # bin, and the other three saw that open task
        self.assertEqual(after['replenish_tasks'], [['pending', 11]],
            report)
        self.assertEqual(after['bulk_reserved'], 11, report)
        after = report['after_replenish']
        self.assertEqual(after['replenish_tasks'], [['done', 11]], report)
        self.assertEqual(after['face_quantity'], 6 + 11, report)
        self.assertEqual(after['bulk_quantity'], 15 - 11, report)
