# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The billing engines must run without trytond (portability rule)."""

import os
import subprocess
import sys

import pytest
from trytond.modules.otwb_bms import engine

ENGINE_DIR = os.path.dirname(engine.__file__)

SCRIPT = r'''
import importlib.util, sys
sys.modules['trytond'] = None  # any trytond import now fails
for name in ('rating', 'allocation', 'reconcile'):
    spec = importlib.util.spec_from_file_location(
        'standalone_' + name, sys.argv[1] + '/' + name + '.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
loaded = sorted(m for m in sys.modules if m.startswith('trytond'))
assert loaded == ['trytond'], loaded
print('ok')
'''


@pytest.mark.parametrize('name', ['rating', 'allocation', 'reconcile'])
def test_no_trytond_in_source(name):
    with open(os.path.join(ENGINE_DIR, f'{name}.py'),
              encoding='utf-8') as handle:
        source = handle.read()
    assert 'import trytond' not in source
    assert 'from trytond' not in source


def test_engines_import_without_trytond():
    result = subprocess.run(
        [sys.executable, '-c', SCRIPT, ENGINE_DIR], capture_output=True,
        text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'
