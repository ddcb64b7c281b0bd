# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""External access through a real trytond server process.

The test builds a demo database on the backend under test (SQLite file or
PostgreSQL, from ``TRYTOND_DATABASE_URI``), starts ``trytond`` on a free
loopback port and talks to it with ``xmlrpc.client`` and proteus as the
integration user.
"""
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import xmlrpc.client

from otwb_tools import demo
from otwb_tools.demo_data import DEMO_PASSWORD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class SessionTransport(xmlrpc.client.Transport):
    def __init__(self, token):
        super().__init__()
        self.token = token

    def send_headers(self, connection, headers):
        connection.putheader('Authorization', 'Session ' + self.token)
        super().send_headers(connection, headers)


class RPCTestCase(unittest.TestCase):
    "XML-RPC and proteus against a running trytond"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        uri = os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://')
        cls.port = free_port()
        cls.database = 'otwb_rpc_%d' % os.getpid()
        cls.config = os.path.join(cls.tmp.name, 'trytond.conf')
        with open(cls.config, 'w') as fp:
            fp.write('[database]\nuri = %s\n' % uri)
            if uri.startswith('sqlite'):
                fp.write('path = %s\n' % cls.tmp.name)
            fp.write('[web]\nlisten = 127.0.0.1:%d\n' % cls.port)
            fp.write('[session]\nmax_attempt = 5\n')
        env = {k: v for k, v in os.environ.items()
            if not k.startswith(('TRYTOND_', 'DB_'))}
        cls.env = env
        old = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        if uri.startswith('sqlite'):
            os.environ['TRYTOND_DATABASE__PATH'] = cls.tmp.name
        try:
            demo.create_database(cls.config, cls.database, 'en')
            subprocess.run([sys.executable, '-c',
                    'import sys; from otwb_tools import demo; '
                    'demo.load_and_run(sys.argv[1], sys.argv[2], 1)',
                    cls.config, cls.database],
                env=os.environ.copy(), check=True, cwd=ROOT,
                stdout=subprocess.DEVNULL)
        finally:
            os.environ.clear()
            os.environ.update(old)
        cls.log = open(os.path.join(cls.tmp.name, 'server.log'), 'w')
        cls.server = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), 'trytond'),
                '-c', cls.config, '-d', cls.database],
            env=env, cwd=ROOT, stdout=cls.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(
                    'http://127.0.0.1:%d/' % cls.port, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        cls.url = 'http://127.0.0.1:%d/%s/rpc/' % (cls.port, cls.database)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(10)
        cls.log.close()
        cls.tmp.cleanup()

    def login(self, login, password):
        proxy = xmlrpc.client.ServerProxy(self.url, allow_none=True)
        user_id, session = proxy.common.db.login(
            login, {'password': password}, 'en')[:2]
        token = base64.b64encode(
            ('%s:%s:%s' % (login, user_id, session)).encode()).decode()
        return xmlrpc.client.ServerProxy(
            self.url, transport=SessionTransport(token), allow_none=True)

    def test_integration_user_submits_and_reads(self):
        "The integration user writes an order and reads its status"
        rpc = self.login('integration', DEMO_PASSWORD)
        payload = {
            'channel': 'API', 'external_id': 'RPC-1',
            'customer': {'name': "Li Na", 'email': 'li.na@example.cn'},
            'shipping_address': {'street': "1 Nanjing Road",
                'city': "Shanghai", 'postal_code': '200001',
                'country': 'CN', 'subdivision': 'CN-SH',
                'latitude': 31.23, 'longitude': 121.47},
            'lines': [{'sku': 'SKU-0003', 'quantity': 1,
                    'unit_price': '79.00'}],
            'currency': 'CNY',
            'payment': {'method': 'invoice', 'paid_amount': '0'},
            'service_level': 'standard', 'promised_date': '2026-12-01'}
        result, = rpc.model.otwb.oms.intake.submit([payload], {})
        self.assertEqual(result['status'], 'accepted', result)
        again, = rpc.model.otwb.oms.intake.submit([payload], {})
        self.assertEqual(again['status'], 'duplicate')
        self.assertEqual(again['intake'], result['intake'])
        status = rpc.model.otwb.oms.intake.query_status('API', 'RPC-1', {})
        self.assertEqual(status['state'], 'processed')
        self.assertEqual(len(status['sales']), 1)
        self.assertEqual(status['sales'][0]['state'], 'processing')
        bad = dict(payload, external_id='RPC-2', lines=[
                {'sku': 'NO-SUCH-SKU', 'quantity': -1, 'unit_price': 'x'}])
        rejected, = rpc.model.otwb.oms.intake.submit([bad], {})
        self.assertEqual(rejected['status'], 'rejected')
        codes = {(e['field'], e['code']) for e in rejected['errors']}
        self.assertIn(('lines[0].sku', 'unknown_sku'), codes)
        self.assertIn(('lines[0].quantity', 'not_positive'), codes)

    def test_integration_user_access_is_limited(self):
        "Access rights hold over RPC: no channel write, no charges"
        rpc = self.login('integration', DEMO_PASSWORD)
        channels = rpc.model.otwb.oms.channel.search_read(
            [], 0, None, None, ['code'], {})
        self.assertEqual(sorted(c['code'] for c in channels),
            ['API', 'JD', 'SHOPIFY', 'TAOBAO'])
        with self.assertRaises(xmlrpc.client.Fault):
            rpc.model.otwb.oms.channel.write(
                [channels[0]['id']], {'name': "hacked"}, {})
        with self.assertRaises(xmlrpc.client.Fault):
            rpc.model.otwb.bms.charge.search([], 0, None, None, {})

    def test_wrong_password_is_refused(self):
        proxy = xmlrpc.client.ServerProxy(self.url, allow_none=True)
        with self.assertRaises(xmlrpc.client.ProtocolError) as cm:
            proxy.common.db.login(
                'integration', {'password': 'wrong-password'}, 'en')
        self.assertEqual(cm.exception.errcode, 401)
        # No anonymous access to a model either
        with self.assertRaises(xmlrpc.client.ProtocolError) as cm:
            proxy.model.otwb.oms.channel.search([], 0, None, None, {})
        self.assertEqual(cm.exception.errcode, 401)

    def test_proteus_over_xmlrpc(self):
        "proteus as the integration user: read, submit, claim, complete"
        from proteus import Model
        from proteus import config as pconfig
        url = 'http://integration:%s@127.0.0.1:%d/%s/rpc/' % (
            DEMO_PASSWORD, self.port, self.database)
        config = pconfig.set_xmlrpc(url)
        Channel = Model.get('otwb.oms.channel', config=config)
        taobao, = Channel.find([('code', '=', 'TAOBAO')])
        self.assertEqual(taobao.currency.code, 'CNY')
        Intake = Model.get('otwb.oms.intake', config=config)
        payload = {
            'channel': 'TAOBAO', 'external_id': 'PROTEUS-1',
            'customer': {'name': "Wu Lei", 'email': 'wu.lei@example.cn'},
            'shipping_address': {'street': "5 Huaihai Road",
                'city': "Shanghai", 'postal_code': '200002',
                'country': 'CN', 'subdivision': 'CN-SH'},
            'lines': [{'sku': 'SKU-0004', 'quantity': 3,
                    'unit_price': '10.00'}],
            'currency': 'CNY',
            'payment': {'method': 'alipay', 'paid_amount': '30.00'},
            'service_level': 'express', 'promised_date': '2026-12-01'}
        result, = Intake.submit([payload], config.context)
        self.assertEqual(result['status'], 'accepted', result)
        Task = Model.get('otwb.wms.task', config=config)
        claimed = Task.claim_next('SCANNER-9', ['pick'], config.context)
        self.assertIsNotNone(claimed)
        self.assertEqual(claimed['type'], 'pick')
        self.assertEqual(claimed['state'], 'assigned')
        done = Task.complete('SCANNER-9', claimed['id'], None,
            config.context)
        self.assertEqual(done['state'], 'done')
        # a second device cannot complete a task it did not claim
        other = Task.claim_next('SCANNER-10', ['pick'], config.context)
        if other:
            with self.assertRaises(xmlrpc.client.Fault):
                Task.complete('SCANNER-9', other['id'], None,
                    config.context)
