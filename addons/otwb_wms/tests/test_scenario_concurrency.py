# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Concurrent device claims on PostgreSQL: every task done exactly once."""
import json
import os
import subprocess
import sys
import unittest

URI = os.environ.get('TRYTOND_DATABASE_URI', '')


@unittest.skipUnless(URI.startswith('postgresql'),
    "atomic claims are a PostgreSQL feature (SQLite serialises writers)")
class ConcurrentClaimsTestCase(unittest.TestCase):
    "8 device processes claim and complete 160 tasks"

    def test_every_task_done_exactly_once(self):
        env = dict(os.environ)
        env['DB_NAME'] = 'test_wms_conc_%d' % os.getpid()
        proc = subprocess.run(
            [sys.executable, '-m',
                'trytond.modules.otwb_wms.tests.concurrency', '8', '160'],
            env=env, capture_output=True, text=True, timeout=300)
        lines = [line for line in proc.stdout.splitlines()
            if line.startswith('REPORT ')]
        self.assertTrue(lines, proc.stdout[-2000:] + proc.stderr[-1600:])
        report = json.loads(lines[-1][len('REPORT '):])
        self.assertEqual(report['errors'], [], report)
        self.assertEqual(report['claimed'], 160, report)
        self.assertEqual(report['distinct'], 160, report)
        self.assertEqual(report['states'], {'done': 160}, report)
        self.assertEqual(report['source_quantity'], 0, report)
        self.assertEqual(report['target_quantity'], 160, report)
        # every device got work: the claims really ran side by side
        self.assertEqual(len(report['per_worker']), 8)
        self.assertTrue(all(n > 0 for n in report['per_worker'].values()),
            report)
