# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Test helper: the demo data set loaded once per test run.

Many scenario tests start from the demo data (company, chart of accounts,
warehouses, products, stock, channels, carriers, fleet, rate cards).
Loading it takes several seconds per test.  :func:`activate_demo` does it
once: it activates the modules, loads the demo data, commits, and stores
the database in Tryton's test cache (``DB_CACHE``: an SQLite file or a
PostgreSQL template) next to the module caches.  Later test classes
restore that copy; :func:`otwb_tools.demo_data.load` then returns the
records of the restored data instead of creating them again.  Each test
still runs in its own transaction, rolled back at its end.
"""
import hashlib
import io
import json
import os
import re
import zipfile

from trytond.model import Model
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.transaction import Transaction, TransactionError

from otwb_tools import demo_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _dump(value):
    if isinstance(value, Model):
        return {'__record__': [value.__name__, value.id]}
    if isinstance(value, dict):
        return {'__dict__': [[_dump(k), _dump(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_dump(v) for v in value]
    return value


def _load(value):
    if isinstance(value, dict):
        if '__record__' in value:
            name, id_ = value['__record__']
            return Pool().get(name)(id_)
        return {_load(k): _load(v) for k, v in value['__dict__']}
    if isinstance(value, list):
        return [_load(v) for v in value]
    return value


def _index_file(name):
    "Where the demo data's record ids of cache ``name`` are kept"
    cache = test_tryton.DB_CACHE
    if not cache:
        return None
    if cache.startswith('postgresql://'):
        # the template lives in PostgreSQL, its index in the work tree
        cache = os.path.join(ROOT, 'var', 'test-cache-postgresql')
    os.makedirs(cache, exist_ok=True)
    return os.path.join(cache, 'demo-%s.json' % hashlib.shake_128(
            name.encode('utf8')).hexdigest(20))


def _drop_cache(name):
    "Drop a cached copy that has no index (an interrupted run's)"
    cache_file = test_tryton._db_cache_file(test_tryton.DB_CACHE, name)
    if cache_file.startswith('postgresql://'):
        template = cache_file[len(test_tryton.DB_CACHE) + 1:]
        if test_tryton.db_exist(template):
            test_tryton.drop_db(template)
    elif os.path.exists(cache_file):
        os.remove(cache_file)


def activate_demo(test_class, modules, size=1):
    """Activate ``modules`` on the test database with the demo data of
    ``size`` loaded and committed (restored from the test cache when a
    class before did it); the database is dropped after the class."""
    name = '-'.join(modules) + '--otwb-demo-%d' % size
    test_tryton.drop_db()
    index = _index_file(name)
    snapshot = None
    if index and os.path.exists(index):
        if test_tryton.restore_db_cache(name):
            with open(index) as fp:
                snapshot = json.load(fp)
    if snapshot is None:
        if index:
            _drop_cache(name)
        test_tryton.activate_module(modules)
        extras = {}
        while True:
            # as test_tryton.with_transaction: tables are locked on demand
            with Transaction().start(
                    test_tryton.DB_NAME, 1, **extras) as transaction:
                try:
                    data = demo_data.load(size=size)
                except TransactionError as error:
                    transaction.rollback()
                    error.fix(extras)
                    continue
                snapshot = {'size': size, 'data': {
                        k: _dump(v) for k, v in vars(data).items()}}
                transaction.commit()
                break
        test_tryton.backup_db_cache(name)
        if index:
            with open(index, 'w') as fp:
                json.dump(snapshot, fp)
    demo_data.SNAPSHOT = snapshot
    test_class.addClassCleanup(_drop)


def _drop():
    demo_data.SNAPSHOT = None
    test_tryton.drop_db()


def snapshot_data(size):
    "The demo data of the restored snapshot, or None"
    snapshot = demo_data.SNAPSHOT
    if not snapshot or snapshot['size'] != size:
        return None
    data = demo_data.DemoData()
    for key, value in snapshot['data'].items():
        # extensions (demo_oms...) add attributes of their own
        setattr(data, key, _load(value))
    return data


def odt_text(content):
    """The text of a rendered ODT report: content.xml without its tags,
    with | after each paragraph (and so between table cells)"""
    xml = zipfile.ZipFile(io.BytesIO(content)).read('content.xml').decode()
    xml = re.sub(r'</text:p>', '|', xml)
    return re.sub(r'<[^>]+>', '', xml).replace('\xa0', ' ')


def check_document(testcase, report, ids, data=None):
    """Render ``report`` as users get it and check the format: a PDF of
    at least one page when LibreOffice is installed (it must be under
    CI: ``make test`` installs it), the ODT otherwise.  Returns the
    extension and the content."""
    from trytond.modules.otwb_base.otwb import office_available
    if os.environ.get('CI') and not office_available():
        testcase.fail("CI needs LibreOffice (make office) to check the PDF")
    with Transaction().set_context(otwb_report_format=None):
        ext, content, _, _ = report.execute(ids, data or {})
    if office_available():
        testcase.assertEqual(ext, 'pdf')
        content = bytes(content)
        testcase.assertTrue(content.startswith(b'%PDF-'), content[:20])
        testcase.assertGreaterEqual(
            len(re.findall(rb'/Type\s*/Page\b', content)), 1)
    else:
        testcase.assertEqual(ext, 'odt')
        odt_text(content)
    return ext, content
