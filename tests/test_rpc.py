# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""External access through a real trytond server process.

The test builds a demo database on the backend under test (SQLite file or
PostgreSQL, from ``TRYTOND_DATABASE_URI``), starts ``trytond`` on a free
loopback port and talks to it with ``xmlrpc.client`` and proteus as the
integration user.
"""
import unittest
import xmlrpc.client

from rpc_server import DemoServer

from otwb_tools.demo_data import DEMO_PASSWORD


class RPCTestCase(unittest.TestCase):
    "XML-RPC and proteus against a running trytond"

    @classmethod
    def setUpClass(cls):
        cls.demo = DemoServer('otwb_rpc')
        cls.demo.build()
        cls.demo.start()
        cls.port, cls.database = cls.demo.port, cls.demo.database
        cls.url = cls.demo.url

    @classmethod
    def tearDownClass(cls):
        cls.demo.cleanup()

    def login(self, login, password):
        return self.demo.login(login, password)

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
        # a warehouse order over XML-RPC: up to 3 tasks, none claimed twice
        pending = Task.find([('state', '=', 'pending')])
        order = Task.claim_batch('AGV-BATCH', 3, None, None, config.context)
        self.assertEqual(len(order), min(3, len(pending)))
        self.assertTrue({t['id'] for t in order} <= {t.id for t in pending})
        for task in order:
            self.assertEqual(task['state'], 'assigned')
            self.assertEqual(Task(task['id']).device, 'AGV-BATCH')
        with self.assertRaises(xmlrpc.client.Fault) as cm:
            Task.claim_batch('AGV-BATCH', 51, None, None, config.context)
        self.assertIn('"limit"', cm.exception.faultString)
