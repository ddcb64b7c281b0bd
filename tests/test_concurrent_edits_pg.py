# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Two administrators edit the same rule at the same moment (PostgreSQL).

Each read the record (with Tryton's ``_timestamp``, as the web client
does) and saves a different change at once through the real ``trytond``
server, from two threads released by one barrier.  Exactly one save
wins; the other gets Tryton's concurrency error ("Records were modified
in the meanwhile") and writes nothing: no lost update.  A wave rule
(WMS) and a carrier selection rule (TMS) of the demo are checked; then
the loser, reading again, saves on top of the winner's change.  (A rate
card that priced charges cannot be edited at all: it is corrected into a
new version.)
"""
import os
import threading
import unittest
import xmlrpc.client

from rpc_server import shared

from otwb_tools.demo_data import DEMO_PASSWORD

URI = os.environ.get('TRYTOND_DATABASE_URI', '')


@unittest.skipUnless(URI.startswith('postgresql'),
    "runs in the PostgreSQL pass: concurrent writers")
class ConcurrentEditTestCase(unittest.TestCase):
    "Concurrent edits of one rule: a clear conflict, no lost update"

    @classmethod
    def setUpClass(cls):
        cls.server = shared()

    def clients(self):
        result = []
        for _ in range(2):
            rpc = self.server.login('otwb_admin', DEMO_PASSWORD)
            result.append((rpc,
                    rpc.model.res.user.get_preferences(True, {})))
        return result

    def race(self, model, record, field, values):
        """Both clients read the record, then write their value at once;
        returns the outcome of each ('saved' or the fault)"""
        clients = self.clients()
        reads = []
        for rpc, context in clients:
            proxy = getattr(rpc.model, model)
            reads.append(proxy.read([record], ['_timestamp', field],
                    context)[0])
        self.assertEqual(reads[0]['_timestamp'], reads[1]['_timestamp'])
        barrier = threading.Barrier(2)
        outcomes = [None, None]

        def save(n):
            rpc, context = clients[n]
            proxy = getattr(rpc.model, model)
            context = dict(context, _timestamp={
                    '%s,%s' % (model, record): reads[n]['_timestamp']})
            barrier.wait()
            try:
                proxy.write([record], {field: values[n]}, context)
                outcomes[n] = 'saved'
            except xmlrpc.client.Fault as fault:
                outcomes[n] = fault
        threads = [threading.Thread(target=save, args=(n,))
            for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        return clients, outcomes

    def check(self, model, field, value):
        admin = self.server.login('otwb_admin', DEMO_PASSWORD)
        proxy = getattr(admin.model, model)
        record, = proxy.search([], 0, 1, [('id', 'ASC')], {})
        clients, outcomes = self.race(model, record, field,
            [value + ' (A)', value + ' (B)'])
        saved = [n for n, o in enumerate(outcomes) if o == 'saved']
        self.assertEqual(len(saved), 1, outcomes)
        winner, = saved
        loser = 1 - winner
        # Tryton's ConcurrencyException (the web client then offers to
        # reload or to overwrite)
        refused = outcomes[loser]
        self.assertIsInstance(refused, xmlrpc.client.Fault, outcomes)
        self.assertEqual(refused.faultString,
            'Records were modified in the meanwhile')
        stored = proxy.read([record], [field], {})[0][field]
        self.assertEqual(stored, [value + ' (A)', value + ' (B)'][winner])
        # the loser reads again and saves over the winner's change
        rpc, context = clients[loser]
        loser_proxy = getattr(rpc.model, model)
        fresh = loser_proxy.read([record], ['_timestamp'], context)[0]
        loser_proxy.write([record], {field: value + ' (B after A)'},
            dict(context, _timestamp={
                    '%s,%s' % (model, record): fresh['_timestamp']}))
        self.assertEqual(proxy.read([record], [field], {})[0][field],
            value + ' (B after A)')

    def test_wave_rule(self):
        self.check('otwb.wms.wave.rule', 'name', "Edited wave rule")

    def test_carrier_rule(self):
        self.check('otwb.tms.carrier.rule', 'name', "Edited carrier rule")
