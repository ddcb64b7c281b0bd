# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The role matrix of docs/SECURITY.md, every cell tested over XML-RPC.

The matrix is read from docs/SECURITY.md itself, so the document and the
test cannot drift apart: each row names an operation (the key in
backquotes), each column a role, each cell says allowed (✔) or denied (✘).
For every cell the operation is prepared by the administrator, then done
through a real ``trytond`` process as the demo user of that role.  An
allowed cell must succeed and change what it should; a denied cell must be
refused with an access error (or, for reading, return nothing) and change
nothing.
"""
import datetime as dt
import os
import re
import time
import unittest
import xmlrpc.client

import proteus.config  # noqa: F401 - marshals dates and Decimals
from rpc_server import ROOT, shared

from otwb_tools.demo import ADMIN_PASSWORD
from otwb_tools.demo_data import DEMO_PASSWORD

ROLES = {
    'Administrator': 'otwb_admin',
    'Order Manager': 'order_manager',
    'Warehouse Operator': 'warehouse_operator',
    'Dispatcher': 'dispatcher',
    'Billing Clerk': 'billing_clerk',
    'Accountant': 'accountant',
    'Integration': 'integration',
    }
ALLOWED, DENIED = '✔', '✘'


def read_matrix(path=os.path.join(ROOT, 'docs', 'SECURITY.md')):
    "{operation key: {role: True/False}} from the Markdown table"
    matrix, header = {}, None
    with open(path, encoding='utf-8') as fp:
        for line in fp:
            if not line.startswith('|'):
                header = None if not matrix else header
                continue
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if header is None:
                if cells[1:] and all(c in ROLES for c in cells[1:]):
                    header = cells[1:]
                continue
            key = re.search(r'`([a-z_]+)`', cells[0])
            if not key:
                continue
            matrix[key.group(1)] = {role: cell == ALLOWED
                for role, cell in zip(header, cells[1:])
                if cell in (ALLOWED, DENIED)}
    return matrix


SERVER = None


def setUpModule():
    global SERVER
    SERVER = shared()


class WithContext:
    """An XML-RPC proxy that appends the user's context (company, language)
    to every call, as the client and proteus do"""

    def __init__(self, proxy, path=(), context=None):
        self._proxy, self._path = proxy, path
        if context is None:
            context = proxy.model.res.user.get_preferences(True, {})
        self._context = context

    def __getattr__(self, name):
        return WithContext(self._proxy, self._path + (name,), self._context)

    def __call__(self, *args):
        if args and isinstance(args[-1], dict) and not args[-1]:
            args = args[:-1] + (dict(self._context),)
        method = self._proxy
        for name in self._path:
            method = getattr(method, name)
        return method(*args)


def road_trip(admin):
    """A dispatched own-fleet trip (number and id), copied from a demo trip
    if needed"""
    Trip = admin.model.otwb.tms.trip
    own = [('carrier', '=', None), ['OR', ('vehicle', '=', None),
            ('vehicle.carrier', '=', None)]]
    trips = Trip.search_read([('state', '=', 'dispatched')] + own,
        0, 1, None, ['number'], {})
    if trips:
        return trips[0]
    # own fleet (trip and vehicle without carrier): the demo integration
    # user is bound to no carrier
    Vehicle = admin.model.otwb.tms.vehicle
    done, = Trip.search_read([], 0, 1, [('id', 'ASC')], ['vehicle'], {})
    vehicles = Vehicle.search([('carrier', '=', None)], 0, 1, None, {})
    vehicle = vehicles[0] if vehicles else Vehicle.copy(
        [done['vehicle']], {'carrier': None, 'name': "Own truck"}, {})[0]
    trip, = Trip.copy([done['id']], {'carrier': None,
            'vehicle': vehicle}, {})
    Trip.confirm([trip], {})
    Trip.dispatch([trip], {})
    return Trip.read([trip], ['number'], {})[0]


class Denied(Exception):
    "The operation was refused or found nothing to act on"


def is_access_fault(fault):
    "A refusal by Tryton's access rights, not any other error"
    return fault.faultCode == 1 and 'not allowed' in fault.faultString


class SecurityMatrixTestCase(unittest.TestCase):
    "docs/SECURITY.md: every role × operation cell, over XML-RPC"

    @classmethod
    def setUpClass(cls):
        cls.server = SERVER
        cls.proxies = {}
        cls.admin = cls.rpc('otwb_admin')
        cls.counter = 0
        cls.prepare()

    @classmethod
    def rpc(cls, login):
        "A proxy of the user, with its context (company) on every call"
        if login not in cls.proxies:
            cls.proxies[login] = WithContext(
                cls.server.login(login, DEMO_PASSWORD))
        return cls.proxies[login]

    @classmethod
    def next_id(cls, prefix):
        cls.counter += 1
        return '%s-%d' % (prefix, cls.counter)

    @classmethod
    def prepare(cls):
        "A second channel owned by another integration user"
        admin = cls.admin
        root = WithContext(cls.server.login('admin', ADMIN_PASSWORD))
        group, = root.model.res.group.search(
            [('name', '=', "OTWB Integration (API)")], 0, 1, None, {})
        user_id = (root.model.res.user.search(
                [('login', '=', 'shop_jd')], 0, 1, None, {}) or [None])[0]
        user_id = user_id or root.model.res.user.create([{
                    'login': 'shop_jd', 'name': "JD shop integration",
                    'password': DEMO_PASSWORD,
                    'groups': [('add', [group])]}], {})[0]
        jd, = admin.model.otwb.oms.channel.search(
            [('code', '=', 'JD')], 0, 1, None, {})
        admin.model.otwb.oms.channel.write(
            [jd], {'integration_user': user_id}, {})
        cls.jd_external_id = 'SEC-%d' % (cls.counter + 1)
        cls.jd_intake = cls.submit(cls.rpc('shop_jd'), 'JD')['intake']
        # a rule to edit (one that matches nothing of the demo)
        shopify, = admin.model.otwb.oms.channel.search(
            [('code', '=', 'SHOPIFY')], 0, 1, None, {})
        cls.rule, = admin.model.otwb.oms.fulfilment.rule.create([{
                    'name': "Matrix rule", 'channel': shopify,
                    'min_value': 10 ** 6, 'action': 'hold',
                    'hold_reason': "matrix"}], {})
        cls.trip = road_trip(admin)  # a trip on the road to track

    # --- helpers ---------------------------------------------------------
    @classmethod
    def payload(cls, channel='API', quantity=1):
        payload = {
            'channel': channel, 'external_id': cls.next_id('SEC'),
            'customer': {'name': "Zhao Min",
                'email': 'zhao.min@example.cn'},
            'shipping_address': {'street': "9 Century Avenue",
                'city': "Shanghai", 'postal_code': '200120',
                'country': 'CN', 'subdivision': 'CN-SH',
                'latitude': 31.23, 'longitude': 121.50},
            'lines': [{'sku': 'SKU-0005', 'quantity': quantity,
                    'unit_price': '20.00'}],
            'currency': 'CNY',
            'payment': {'method': 'invoice', 'paid_amount': '0'},
            'service_level': 'standard',
            'promised_date': dt.date.today().isoformat()}
        if channel == 'JD':
            payload['payment'] = {'method': 'jdpay',
                'paid_amount': '%.2f' % (20 * quantity)}
        return payload

    @classmethod
    def submit(cls, rpc, channel='API', quantity=1):
        result, = rpc.model.otwb.oms.intake.submit(
            [cls.payload(channel, quantity)], {})
        if result['status'] != 'accepted':
            raise AssertionError(result)
        return result

    # --- operations: prepare as admin, act as `rpc`, return proof ---------
    def op_submit_order(self, rpc):
        result, = rpc.model.otwb.oms.intake.submit([self.payload()], {})
        self.assertEqual(result['status'], 'accepted', result)

    def op_read_other_channel(self, rpc):
        found = rpc.model.otwb.oms.intake.search(
            [('id', '=', self.jd_intake)], 0, None, None, {})
        if not found:
            raise Denied
        self.assertEqual(found, [self.jd_intake])

    def op_release_hold(self, rpc):
        # more than the stock: held as out of stock
        self.submit(self.admin, quantity=10 ** 5)
        hold, = self.admin.model.otwb.oms.hold.search(
            [('state', '=', 'open')], 0, 1, [('id', 'DESC')], {})
        rpc.model.otwb.oms.hold.release([hold], {})
        state, = self.admin.model.otwb.oms.hold.read(
            [hold], ['state'], {})
        self.assertEqual(state['state'], 'released')

    def op_edit_fulfilment_rule(self, rpc):
        rule = self.rule
        name = self.next_id("Rule")
        rpc.model.otwb.oms.fulfilment.rule.write([rule], {'name': name}, {})
        self.assertEqual(self.admin.model.otwb.oms.fulfilment.rule.read(
                [rule], ['name'], {})[0]['name'], name)

    def op_edit_configuration(self, rpc):
        rpc.model.otwb.configuration.write([1], {'rpc_max_items': 1000}, {})

    def op_edit_putaway_rule(self, rpc):
        rule, = self.admin.model.otwb.wms.putaway.rule.search(
            [], 0, 1, None, {})
        self.counter += 1
        threshold = 1000.0 + self.counter
        rpc.model.otwb.wms.putaway.rule.write(
            [rule], {'heavy_threshold': threshold}, {})
        self.assertEqual(self.admin.model.otwb.wms.putaway.rule.read(
                [rule], ['heavy_threshold'], {})[0]['heavy_threshold'],
            threshold)

    def op_adjust_stock(self, rpc):
        admin = self.admin
        warehouse, = admin.model.stock.location.search_read(
            [('code', '=', 'SHA')], 0, 1, None, ['storage_location'], {})
        product, = admin.model.product.product.search(
            [('code', '=', 'SKU-0012')], 0, 1, None, {})
        inventory, = admin.model.stock.inventory.create([{
                    'location': warehouse['storage_location'],
                    'lines': [('create', [{
                                    'product': product,
                                    'quantity': 500}])]}], {})
        rpc.model.stock.inventory.confirm([inventory], {})
        self.assertEqual(admin.model.stock.inventory.read(
                [inventory], ['state'], {})[0]['state'], 'done')

    def op_claim_task(self, rpc):
        self.submit(self.admin)  # processed inline: pick tasks
        device = self.next_id('AGV')
        task = rpc.model.otwb.wms.task.claim_next(device, ['pick'], {})
        self.assertTrue(task, "no pick task to claim")
        self.assertEqual(task['state'], 'assigned')

    def op_plan_trips(self, rpc):
        admin = self.admin
        warehouse, = admin.model.stock.location.search(
            [('code', '=', 'SHA')], 0, 1, None, {})
        run, = admin.model.otwb.tms.planning.run.create([{
                    'warehouse': warehouse,
                    'date': dt.date.today()}], {})
        rpc.model.otwb.tms.planning.run.run([run], {})
        state = admin.model.otwb.tms.planning.run.read(
            [run], ['state'], {})[0]['state']
        self.assertIn(state, {'queued', 'running', 'done'})

    def op_post_tracking(self, rpc):
        trip = self.trip
        answer, = rpc.model.otwb.tms.tracking.event.submit([{
                    'event_id': self.next_id('GPS'), 'type': 'position',
                    'trip': trip['number'],
                    'occurred_at': dt.datetime.utcnow().isoformat(),
                    'latitude': 31.2, 'longitude': 121.4,
                    'source': 'device'}], {})
        self.assertEqual(answer['status'], 'applied', answer)

    def op_edit_rate_card(self, rpc):
        card, = self.admin.model.otwb.bms.rate_card.search(
            [], 0, 1, None, {})
        name = self.next_id("Card")
        rpc.model.otwb.bms.rate_card.write([card], {'name': name}, {})
        self.assertEqual(self.admin.model.otwb.bms.rate_card.read(
                [card], ['name'], {})[0]['name'], name)

    def op_read_charges(self, rpc):
        found = rpc.model.otwb.bms.charge.search([], 0, 1, None, {})
        if not found:
            raise Denied

    def op_run_billing(self, rpc):
        admin = self.admin
        today = dt.date.today()
        run, = admin.model.otwb.bms.billing_run.create([{
                    'kind': 'both', 'date_to': today,
                    'invoice_date': today, 'post': False}], {})
        rpc.model.otwb.bms.billing_run.process([run], {})
        self.assertEqual(admin.model.otwb.bms.billing_run.read(
                [run], ['state'], {})[0]['state'], 'done')

    def op_run_billing_post(self, rpc):
        admin = self.admin
        today = dt.date.today()
        run, = admin.model.otwb.bms.billing_run.create([{
                    'kind': 'both', 'date_to': today,
                    'invoice_date': today, 'post': True}], {})
        rpc.model.otwb.bms.billing_run.process([run], {})
        self.assertEqual(admin.model.otwb.bms.billing_run.read(
                [run], ['state'], {})[0]['state'], 'done')

    def op_post_invoice(self, rpc):
        admin = self.admin
        invoice, = admin.model.account.invoice.search(
            [('type', '=', 'out')], 0, 1, [('id', 'ASC')], {})
        draft, = admin.model.account.invoice.copy([invoice], {}, {})
        rpc.model.account.invoice.post([draft], {})
        self.assertEqual(admin.model.account.invoice.read(
                [draft], ['state'], {})[0]['state'], 'posted')

    def op_post_accrual(self, rpc):
        admin = self.admin
        accrual, = admin.model.otwb.bms.accrual.create([{
                    'date': dt.date.today()}], {})
        rpc.model.otwb.bms.accrual.post([accrual], {})
        self.assertEqual(admin.model.otwb.bms.accrual.read(
                [accrual], ['state'], {})[0]['state'], 'posted')

    def test_integration_users_see_their_channels_only(self):
        "Intakes, status and order timelines of a channel: its user only"
        shop_jd, other = self.rpc('shop_jd'), self.rpc('integration')
        self.assertEqual(shop_jd.model.otwb.oms.intake.search(
                [('id', '=', self.jd_intake)], 0, None, None, {}),
            [self.jd_intake])
        self.assertEqual(other.model.otwb.oms.intake.search(
                [('id', '=', self.jd_intake)], 0, None, None, {}), [])
        status = shop_jd.model.otwb.oms.intake.query_status(
            'JD', self.jd_external_id, {})
        self.assertEqual(status['intake'], self.jd_intake)
        self.assertTrue(status['sales'])
        self.assertIsNone(other.model.otwb.oms.intake.query_status(
                'JD', self.jd_external_id, {}))
        sale = self.admin.model.otwb.oms.intake.read(
            [self.jd_intake], ['sales'], {})[0]['sales'][0]
        events = self.admin.model.otwb.oms.order.event.search(
            [('sale', '=', sale)], 0, None, None, {})
        self.assertTrue(events)
        self.assertEqual(sorted(shop_jd.model.otwb.oms.order.event.search(
                    [('sale', '=', sale)], 0, None, None, {})),
            sorted(events))
        self.assertEqual(other.model.otwb.oms.order.event.search(
                [('sale', '=', sale)], 0, None, None, {}), [])

    def test_integration_stock_and_wave_endpoints(self):
        "A shop reads ATP and a WCS plans waves as integration users"
        rpc = self.rpc('integration')
        rows = rpc.model.otwb.wms.safety.stock.available_to_promise(
            ['SHA'], ['SKU-0001', 'SKU-0005'], {})
        self.assertEqual(rows, self.admin.model.otwb.wms.safety.stock
            .available_to_promise(['SHA'], ['SKU-0001', 'SKU-0005'], {}))
        self.assertGreater(rows[0]['on_hand'], 0)
        warehouse, = self.admin.model.stock.location.search(
            [('code', '=', 'SHA'), ('type', '=', 'warehouse')],
            0, 1, None, {})
        waves = rpc.model.otwb.wms.wave.plan_warehouse(warehouse, {})
        self.assertIsInstance(waves, list)
        if waves:
            self.assertEqual(self.admin.model.otwb.wms.wave.read(
                    waves, ['state'], {})[0]['state'], 'draft')

    def test_matrix(self):
        matrix = read_matrix()
        self.assertGreaterEqual(len(matrix), 10)
        wrong = []
        for key, cells in matrix.items():
            operation = getattr(self, 'op_' + key, None)
            self.assertIsNotNone(operation, "no test for %s" % key)
            self.assertEqual(set(cells), set(ROLES), key)
            # fresh sessions per operation: a slow machine must not see
            # them expire (Tryton's session timeout) in the middle
            type(self).proxies = {}
            type(self).admin = self.rpc('otwb_admin')
            for role, allowed in cells.items():
                with self.subTest(operation=key, role=role):
                    rpc = self.rpc(ROLES[role])
                    try:
                        operation(rpc)
                        outcome = True
                    except Denied:
                        outcome = False
                    except AssertionError:
                        raise
                    except xmlrpc.client.Fault as fault:
                        if not is_access_fault(fault):
                            wrong.append((key, role, 'error', '%s %s' % (
                                        fault.faultCode,
                                        fault.faultString)[:300]))
                            continue
                        outcome = False
                    if outcome != allowed:
                        wrong.append((key, role,
                                'allowed' if outcome else 'denied', ''))
        self.assertEqual(wrong, [], "\n".join(map(str, wrong)))


class ExternalAccessTestCase(unittest.TestCase):
    """Audit trail of rules, rate cards and configuration (Tryton history);
    login throttling; no secret in the server log."""

    @classmethod
    def setUpClass(cls):
        cls.server = SERVER
        cls.admin = WithContext(cls.server.login('otwb_admin', DEMO_PASSWORD))

    def test_rule_history(self):
        "Who changed a fulfilment rule, when, and what it said before"
        Rule = self.admin.model.otwb.oms.fulfilment.rule
        rule, = Rule.create([{'name': "Audited", 'action': 'hold',
                    'hold_reason': "audit", 'min_value': 10 ** 7,
                    'sequence': 71}], {})
        time.sleep(1.5)  # XML-RPC carries whole seconds
        Rule.write([rule], {'sequence': 72}, {})
        revisions = Rule.history_revisions([rule], {})
        self.assertEqual(len(revisions), 2)
        (second, id2, user2), (first, id1, user1) = revisions
        self.assertEqual((id1, id2), (rule, rule))
        self.assertEqual({user1, user2}, {"OTWB Administrator"})
        at = dt.datetime.strptime(str(first), '%Y%m%dT%H:%M:%S')
        old, = Rule.read([rule], ['sequence'],
            {'_datetime': at + dt.timedelta(seconds=1)})
        self.assertEqual(old['sequence'], 71)
        now, = Rule.read([rule], ['sequence'], {})
        self.assertEqual(now['sequence'], 72)

    def test_rate_card_and_configuration_history(self):
        for model, domain, values in [
                ('otwb.bms.rate_card', [], {'name': "Audited card"}),
                ('otwb.configuration', [], {'rpc_max_items': 999}),
                ('otwb.wms.putaway.rule', [], {'heavy_threshold': 1500.0}),
                ('otwb.tms.carrier.rule', [], {}),
                ]:
            with self.subTest(model=model):
                proxy = getattr(self.admin.model, model)
                ids = proxy.search(domain, 0, 1, None, {}) or [1]
                if values:
                    proxy.write(ids, values, {})
                revisions = proxy.history_revisions(ids, {})
                self.assertTrue(revisions, model)
                if values:
                    self.assertEqual(revisions[0][2], "OTWB Administrator")

    def test_charge_traceable(self):
        "A charge names its source operation, rate card version and line"
        Charge = self.admin.model.otwb.bms.charge
        charges = Charge.search_read([('card', '!=', None)], 0, 5, None,
            ['event', 'card', 'rate_line', 'explanation', 'amount'], {})
        self.assertTrue(charges)
        for charge in charges:
            self.assertTrue(charge['event'])
            self.assertTrue(charge['rate_line'])
            self.assertTrue(charge['explanation'])
            event, = self.admin.model.otwb.bms.event.read(
                [charge['event']], ['source'], {})
            self.assertTrue(event['source'])

    def test_login_throttled_and_no_password_logged(self):
        root = WithContext(self.server.login('admin', ADMIN_PASSWORD))
        login = 'throttled-%d' % time.time()
        root.model.res.user.create([{
                    'login': login,
                    'name': "Throttled",
                    'password': DEMO_PASSWORD}], {})
        proxy = xmlrpc.client.ServerProxy(self.server.url, allow_none=True)
        codes = []
        for _ in range(8):
            try:
                proxy.common.db.login(
                    login, {'password': 'not-the-password'}, 'en')
            except xmlrpc.client.ProtocolError as error:
                codes.append(error.errcode)
        # refused first, then rate limited (Too Many Requests)
        self.assertEqual(codes[0], 401)
        self.assertIn(429, codes)
        with self.assertRaises(xmlrpc.client.ProtocolError) as cm:
            proxy.common.db.login(
                login, {'password': DEMO_PASSWORD}, 'en')
        self.assertEqual(cm.exception.errcode, 429)
        log = self.server.server_log()
        self.assertNotIn(DEMO_PASSWORD, log)
        self.assertNotIn('not-the-password', log)

    def test_idempotency_key_reused_with_other_content(self):
        """A used idempotency key with other content is a conflict: never
        answered with the old result, nothing written"""
        rpc = WithContext(self.server.login('integration', DEMO_PASSWORD))
        payload = SecurityMatrixTestCase.payload()
        key = 'IDEM-%d' % time.time()
        payload['external_id'] = key
        first, = rpc.model.otwb.oms.intake.submit([payload], {})
        self.assertEqual(first['status'], 'accepted', first)
        changed = dict(payload, lines=[{'sku': 'SKU-0006', 'quantity': 9,
                    'unit_price': '20.00'}])
        second, = rpc.model.otwb.oms.intake.submit([changed], {})
        self.assertEqual(second['status'], 'conflict')
        self.assertEqual(second['errors'][0]['code'], 'idempotency_conflict')
        # the inbox keeps the conflicting payload, rejected; one order only
        intakes = self.admin.model.otwb.oms.intake.search_read(
            [('external_id', '=', key)], 0, None, [('id', 'ASC')],
            ['state', 'error_codes'], {})
        self.assertEqual([i['state'] for i in intakes][1:], ['rejected'])
        self.assertEqual(intakes[1]['error_codes'], 'idempotency_conflict')
        self.assertEqual(self.admin.model.sale.sale.search_count(
                [('otwb_intake.external_id', '=', key)], {}), 1)

        supplier, = self.admin.model.party.party.search_read(
            [('code', '!=', None)], 0, 1, [('id', 'ASC')], ['code'], {})
        asn = {'supplier': supplier['code'], 'number': 'ASN-' + key,
            'warehouse': 'SHA',
            'expected_date': dt.date.today().isoformat(),
            'lines': [{'sku': 'SKU-0001', 'quantity': 10}]}
        first, = self.admin.model.otwb.wms.asn.submit([asn], {})
        self.assertEqual(first['status'], 'accepted', first)
        again, = self.admin.model.otwb.wms.asn.submit([asn], {})
        self.assertEqual(again['status'], 'duplicate')
        other = dict(asn, lines=[{'sku': 'SKU-0001', 'quantity': 11}])
        conflict, = self.admin.model.otwb.wms.asn.submit([other], {})
        self.assertEqual(conflict['status'], 'conflict')
        lines = self.admin.model.otwb.wms.asn.line.search_read(
            [('asn', '=', first['asn'])], 0, None, None,
            ['expected_quantity'], {})
        self.assertEqual([line['expected_quantity'] for line in lines], [10])

        trip = road_trip(self.admin)
        event = {'event_id': 'GPS-' + key, 'type': 'position',
            'trip': trip['number'],
            'occurred_at': dt.datetime.utcnow().replace(
                microsecond=0).isoformat(),
            'latitude': 31.2, 'longitude': 121.4, 'source': 'device'}
        first, = self.admin.model.otwb.tms.tracking.event.submit([event], {})
        self.assertEqual(first['status'], 'applied', first)
        moved = dict(event, latitude=30.0)
        conflict, = self.admin.model.otwb.tms.tracking.event.submit(
            [moved], {})
        self.assertEqual(conflict['status'], 'conflict')
        stored, = self.admin.model.otwb.tms.tracking.event.search_read(
            [('event_id', '=', 'GPS-' + key)], 0, None, None,
            ['latitude'], {})
        self.assertAlmostEqual(stored['latitude'], 31.2)
