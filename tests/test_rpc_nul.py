# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A NUL character in every text of every RPC entry point, on both
backends.

PostgreSQL refuses NUL bytes in text (in a stored value and in a query
parameter alike): an entry point that searched or stored such a text
unchecked would answer an internal error on PostgreSQL where SQLite
answers a clean "unknown".  The hypothesis run of ``test_rpc_fuzz`` covers
SQLite; this test replaces each text of each valid request in turn with
``'A\\x00B'`` and runs in the PostgreSQL pass too.  Each answer must be a
clear refusal naming the field, the database unchanged.
"""
from test_rpc_fuzz import ORDERS, RPCTestBase, mutate, paths

NUL = 'A\x00B'


def text_paths(value):
    "The paths to every text (and dictionary key) of a request"
    for path in paths(value):
        item = value
        for key in path:
            item = item[key]
        if isinstance(item, str):
            yield path


class NulTextTestCase(RPCTestBase):
    "NUL in any text: a refusal naming the field, never an internal error"

    def each_text(self, name):
        valid = self.valid[name]
        found = list(text_paths(valid))
        self.assertTrue(found, name)
        for path in found:
            with self.subTest(path=path):
                yield mutate(valid, path, 'replace', NUL)

    def test_intake_submit(self):
        for payload in self.each_text('intake'):
            payload = self.unique(payload, 'external_id')
            self.check(self.api, 'model.otwb.oms.intake.submit',
                [[payload], {}], ORDERS, allowed_growth={'otwb.oms.intake'})

    def test_asn_submit(self):
        for payload in self.each_text('asn'):
            payload = self.unique(payload, 'number')
            self.check(self.admin, 'model.otwb.wms.asn.submit',
                [[payload], {}], ['otwb.wms.asn', 'otwb.wms.asn.line'])

    def test_tracking_submit(self):
        for event in self.each_text('tracking'):
            event = self.unique(event, 'event_id')
            self.check(self.api, 'model.otwb.tms.tracking.event.submit',
                [[event], {}],
                ['otwb.tms.tracking.event', 'otwb.tms.exception'])

    def test_return_request(self):
        for request in self.each_text('return'):
            request['request_id'] = self.unique(
                {'id': 'NUL'}, 'id')['id']
            self.check(self.api, 'model.otwb.oms.return.request.submit',
                [request, {}], ['otwb.oms.return', 'otwb.oms.return.line'])
        request = dict(self.valid['return'], request_id=NUL)
        self.check(self.api, 'model.otwb.oms.return.request.submit',
            [request, {}], ['otwb.oms.return', 'otwb.oms.return.line'])

    def test_route_query(self):
        for query in self.each_text('route'):
            self.check(self.admin, 'model.otwb.tms.route.query',
                [[query], {}], ['otwb.tms.route', 'otwb.tms.route.leg'])

    def test_rate_quote(self):
        for request in self.each_text('quote'):
            self.check(self.admin, 'model.otwb.bms.rate_card.quote',
                [[request], {}], ['otwb.bms.charge', 'otwb.bms.event'])

    def test_available_to_promise(self):
        for atp in self.each_text('atp'):
            self.check(self.api,
                'model.otwb.wms.safety.stock.available_to_promise',
                [atp['warehouses'], atp['skus'], {}],
                ['otwb.wms.safety.stock'])

    def test_device_calls(self):
        for method, params in [
                ('claim_next', [NUL, ['pick'], None]),
                ('claim_next', ['NUL-AGV', [NUL], None]),
                ('heartbeat', [NUL, [1]]),
                ('complete', [NUL, 1, None]),
                ('report_failure', [NUL, 1, 'jammed']),
                ('report_failure', ['NUL-AGV', 1, NUL]),
                ]:
            with self.subTest(method=method, params=params):
                self.check(self.api, 'model.otwb.wms.task.%s' % method,
                    params + [{}], ['stock.move', 'otwb.wms.task'])
