# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Each OTWB module activates on its own with its Tryton dependencies.

Each module is activated in a fresh process with its own in-memory
database: in one process Tryton's test databases accumulate modules.
"""
import os
import subprocess
import sys
import unittest

OTWB = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']
OWN = {
    'otwb_wms': 'otwb.wms.task',
    'otwb_tms': 'otwb.tms.trip',
    'otwb_oms': 'otwb.oms.intake',
    'otwb_bms': 'otwb.bms.charge',
    }
OTHERS = {
    'otwb_wms': 'otwb.tms.trip', 'otwb_tms': 'otwb.oms.intake',
    'otwb_oms': 'otwb.bms.charge', 'otwb_bms': 'otwb.wms.task'}
SCRIPT = '''
import sys
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
module, own, other = sys.argv[1:4]
activate_module([module])

@with_transaction()
def check():
    pool = Pool()
    Module = pool.get('ir.module')
    pool.get(own)
    activated = {m.name for m in Module.search([
                ('state', '=', 'activated')])}
    otwb = activated & %r
    assert otwb == {module}, otwb
    try:
        pool.get(other)
    except KeyError:
        pass
    else:
        raise AssertionError(other + ' registered')
    print('OK', module)

check()
''' % (set(OTWB),)


@unittest.skipIf(
    os.environ.get('TRYTOND_DATABASE_URI', 'sqlite').startswith(
        'postgresql'),
    "module activation does not depend on the backend: SQLite pass only")
class ActivationTestCase(unittest.TestCase):
    "Each module activates alone"

    def test_each_module_alone(self):
        env = dict(os.environ, TRYTOND_DATABASE_URI='sqlite://',
            DB_NAME=':memory:')
        env.pop('DB_CACHE', None)
        for module in OTWB:
            with self.subTest(module=module):
                result = subprocess.run(
                    [sys.executable, '-c', SCRIPT, module, OWN[module],
                        OTHERS[module]],
                    env=env, capture_output=True, text=True, timeout=600)
                self.assertEqual(result.returncode, 0,
                    result.stderr[-2000:])
                self.assertIn('OK ' + module, result.stdout)
