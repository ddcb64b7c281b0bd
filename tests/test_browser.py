# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The web client journeys in a real browser.

One demo database (SQLite in a temporary directory, with the open work of
:mod:`otwb_tools.demo_journeys`), one ``trytond`` serving the Tryton web
client (sao) on a free loopback port, and Debian's headless Chromium
driven by Playwright for Python.  Each journey asserts what the page shows
and saves a screenshot: to a temporary directory, or to the directory in
``OTWB_SCREENSHOTS`` (``OTWB_SCREENSHOTS=docs/img`` refreshes the
documentation's pictures).

Needs ``make browser`` (chromium) and ``make sao`` (the web client); both
are part of ``make test``.  Without them the journeys are skipped with the
reason, except in CI where that is a failure.  They run once, in the
SQLite pass.
"""
import os
import tempfile
import time
import unittest

from rpc_server import DemoServer

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the journeys are skipped with the reason
    PlaywrightTimeout = None

from otwb_tools import demo
from otwb_tools.demo_data import DEMO_PASSWORD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = '/usr/bin/chromium'
SAO = os.path.join(ROOT, 'web', 'node_modules', 'tryton-sao')
TIMEOUT = 90000  # ms, for each wait on the page (a loaded CI machine)


def missing_prerequisite():
    "Why the journeys cannot run here, or None"
    uri = os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://')
    if not uri.startswith('sqlite'):
        return "browser journeys run once, in the SQLite pass"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not os.path.exists(CHROMIUM):
        return "%s is missing (make browser)" % CHROMIUM
    if not os.path.exists(os.path.join(SAO, 'index.html')):
        return "the web client is not installed in %s (make sao)" % SAO
    return None


class BrowserTestCase(unittest.TestCase):
    "Journeys of the business users in the web client"

    @classmethod
    def setUpClass(cls):
        reason = missing_prerequisite()
        if reason:
            if os.environ.get('CI') and 'SQLite pass' not in reason:
                raise RuntimeError("CI needs the browser tests: " + reason)
            raise unittest.SkipTest(reason)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.server = None
        cls.shots = os.environ.get('OTWB_SCREENSHOTS') or os.path.join(
            cls.tmp.name, 'screenshots')
        os.makedirs(cls.shots, exist_ok=True)
        if os.environ.get('OTWB_BROWSER_SERVER'):
            # a running demo server, e.g. "18000/otwb_demo" (its data
            # is changed by the journeys)
            port, cls.database = os.environ['OTWB_BROWSER_SERVER'].split(
                '/')
            cls.port = int(port)
            cls.url = 'http://127.0.0.1:%d/' % cls.port
        else:
            cls.start_server()
        from playwright.sync_api import sync_playwright
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, args=['--headless', '--no-sandbox',
                '--disable-gpu', '--disable-background-networking'])

    @classmethod
    def start_server(cls):
        cls.server = DemoServer('otwb_web', web_root=SAO)
        cls.server.build()
        cls.server.start()
        cls.port, cls.database = cls.server.port, cls.server.database
        cls.url = 'http://127.0.0.1:%d/' % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        if cls.server:
            cls.server.cleanup()
        cls.tmp.cleanup()

    def setUp(self):
        self.context = self.browser.new_context(
            viewport={'width': 1366, 'height': 800}, locale='en-US')
        self.context.set_default_timeout(TIMEOUT)
        from playwright.sync_api import expect
        expect.set_options(timeout=TIMEOUT)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on('pageerror', lambda exc: self.errors.append(str(exc)))
        folder = os.environ.get('OTWB_BROWSER_DEBUG')
        if folder:
            # every RPC the web client sends, to see what a journey does
            log = open(os.path.join(folder, 'rpc-%s.log'
                    % self.id().rsplit('.', 1)[-1]), 'w')
            self.addCleanup(log.close)
            self.page.on('request', lambda request: request.method == 'POST'
                and log.write('> ' + (request.post_data or '')[:2000] + '\n'))

            def answer(response):
                if response.request.method == 'POST':
                    try:
                        log.write('< ' + response.text()[:2000] + '\n')
                    except Exception as exc:  # the page went away
                        log.write('< (%s)\n' % exc)
            self.page.on('response', answer)
            self.page.on('console', lambda message: log.write(
                    '! %s: %s\n' % (message.type, message.text[:2000])))

    def tearDown(self):
        # the last state of the page, to see why a journey failed
        folder = os.environ.get('OTWB_BROWSER_DEBUG')
        name = self.id().rsplit('.', 1)[-1]
        try:
            if folder:
                self.page.screenshot(
                    path=os.path.join(folder, 'last-%s.png' % name))
                with open(os.path.join(folder, 'last-%s.html' % name),
                        'w') as fp:
                    fp.write(self.page.content())
        finally:
            self.context.close()

    # helpers: what a user does
    def screenshot(self, name):
        path = os.path.join(self.shots, name + '.png')
        self.page.screenshot(path=path)
        self.assertGreater(os.path.getsize(path), 1000)
        return path

    def login(self, login='admin', password=demo.ADMIN_PASSWORD):
        page = self.page
        page.goto(self.url + '#' + self.database)
        login_input = page.locator('input#login')
        password_input = page.locator('.modal input[type=password]')
        # on a loaded machine the first Enter may come before the login
        # dialog listens: ask again, then fail with what the page shows
        for attempt in range(3):
            login_input.fill(login)
            login_input.press('Enter')
            try:
                password_input.wait_for(timeout=TIMEOUT // 3)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    self.fail("no password prompt after 3 tries; the page "
                        "shows: %s" % page.locator('body').inner_text()[:800])
        password_input.fill(password)
        password_input.press('Enter')
        page.locator('#menu').get_by_text('OTWB', exact=True).wait_for()

    def open_menu(self, *path):
        "Click the menu entries of path: folders unfold, the last opens"
        menu = self.page.locator('#menu')
        for name in path:
            entry = menu.get_by_text(name, exact=True).first
            entry.wait_for()
            entry.click()

    def current_tab(self):
        return self.page.locator('#tabcontent > .tab-pane.active')

    def wait_idle(self):
        self.page.wait_for_load_state('networkidle')
        time.sleep(0.5)

    def search(self, text):
        entry = self.current_tab().locator('.filter-box input').first
        entry.fill(text)
        entry.press('Enter')
        self.wait_idle()

    def rows(self, scope=None, wait=True):
        "The visible rows of the list in scope, after the first shows"
        scope = scope or self.current_tab()
        rows = scope.locator('table.tree > tbody > tr:visible')
        if wait:
            rows.first.wait_for()
        return rows

    def expect(self, locator):
        from playwright.sync_api import expect
        return expect(locator)

    def open_row(self, row, toolbar=True):
        "Select a list row by its first column (not a link) and open it"
        cell = row.locator('td').nth(2)
        if toolbar:
            cell.click()
            self.toolbar('switch_')
        else:
            cell.dblclick()
            self.wait_idle()

    def one2many(self, title):
        "The list of a One2Many or Many2Many field, found by its title"
        return self.current_tab().locator(
            '.form-one2many, .form-many2many').filter(
            has=self.page.locator(
                '.form-one2many-string, .form-many2many-string',
                has_text=title))

    def field_input(self, label, scope=None):
        "The input of a form field, found by its label"
        scope = scope or self.current_tab()
        return scope.get_by_label(label + ':', exact=True).first

    def click_button(self, label):
        self.current_tab().get_by_role(
            'button', name=label, exact=True).first.click()
        self.wait_idle()

    def toolbar(self, name):
        self.current_tab().locator('button#%s:visible' % name).first.click()
        self.wait_idle()

    def assert_no_error_dialog(self):
        dialogs = self.page.locator('.modal.in .modal-body:visible')
        if dialogs.count():
            self.fail("dialog shown: %s" % dialogs.first.inner_text())
        self.assertEqual(self.errors, [])

    def rpc(self, model, method, *args):
        "Check an outcome in the database over XML-RPC as admin"
        import xmlrpc.client
        url = 'http://admin:%s@127.0.0.1:%d/%s/rpc/' % (
            demo.ADMIN_PASSWORD, self.port, self.database)
        proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
        return getattr(proxy.model, model).__getattr__(method)(*args, {})

    # journeys
    def test_01_login(self):
        "Log in as admin: the OTWB menu with its five areas"
        self.login()
        self.open_menu('OTWB')
        menu = self.page.locator('#menu')
        for area in ['Orders', 'Warehouse', 'Transport', 'Billing',
                'Dashboard']:
            menu.get_by_text(area, exact=True).first.wait_for()
        self.screenshot('login')
        self.assert_no_error_dialog()

    def test_02_order_timeline(self):
        "Find a channel order and open its timeline"
        self.login()
        self.open_menu('OTWB', 'Orders', 'Channel Orders')
        self.wait_idle()
        self.search('TB-10001')
        rows = self.rows()
        self.page.wait_for_function(
            "() => document.querySelectorAll("
            "'#tabcontent > .tab-pane.active table.tree > tbody > tr')"
            ".length == 1")
        self.assertEqual(rows.count(), 1)
        self.expect(rows.first).to_contain_text('TB-10001')
        self.open_row(rows.first)
        tab = self.current_tab()
        # the order's form is drawn: its channel order reference shows
        self.expect(tab).to_contain_text('TB-10001')
        timeline = self.one2many('Timeline').first
        # a click while the form still draws may be lost: click again
        for attempt in range(3):
            tab.get_by_role('tab', name='Channel & Timeline').click()
            self.wait_idle()
            try:
                timeline.wait_for(state='visible', timeout=TIMEOUT // 6)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        # the web client fills the list's rows once it is drawn
        timeline.scroll_into_view_if_needed()
        body = timeline.locator('table.tree > tbody').first
        for event in ['Received', 'Allocated', 'Packed', 'Delivered']:
            self.expect(body).to_contain_text(event)
        self.assertGreaterEqual(self.rows(timeline).count(), 4)
        self.screenshot('order_timeline')
        self.assert_no_error_dialog()

    def test_03_release_hold(self):
        "Release the held Taobao order: it goes on to fulfilment"
        self.login()
        self.open_menu('OTWB', 'Orders', 'Holds & Exceptions')
        self.wait_idle()
        row = self.rows().filter(has_text='Address incomplete')
        self.assertEqual(row.count(), 1)
        self.open_row(row.first, toolbar=False)
        self.current_tab().get_by_role(
            'button', name='Release', exact=True).first.wait_for()
        self.screenshot('hold_open')
        self.click_button('Release')
        release = self.current_tab().get_by_role(
            'button', name='Release', exact=True)
        release.first.wait_for(state='hidden')
        self.screenshot('hold_released')
        self.assert_no_error_dialog()
        hold, = self.rpc('otwb.oms.hold', 'search_read',
            [('code', '=', 'address_incomplete')], 0, None, None,
            ['state', 'sale'])
        self.assertEqual(hold['state'], 'released')
        sale, = self.rpc('sale.sale', 'read', [hold['sale']], ['state'])
        self.assertIn(sale['state'], ['confirmed', 'processing'])

    def test_04_trip_planning(self):
        "Plan the Shanghai trips and open a trip with its stops"
        self.login()
        self.open_menu('OTWB', 'Transport', 'Plan Trips')
        dialog = self.page.locator('.modal.in').last
        warehouse = self.field_input('Warehouse', dialog)
        warehouse.fill('SHA')
        warehouse.press('Tab')
        self.wait_idle()
        # the web client asks which warehouse when the text is not a name
        search = self.page.locator('.modal.in').filter(
            has_text='Search Warehouse')
        if search.count():
            search.get_by_text('[SHA] Shanghai DC').click()
            search.get_by_role('button', name='OK', exact=True).click()
            search.first.wait_for(state='detached')
            self.wait_idle()
        self.expect(warehouse).to_have_value('[SHA] Shanghai DC')
        dialog.get_by_role('button', name='Plan', exact=True).click()
        # the dialog closes when the run is queued (on SQLite the queue
        # runs in the request: the plan is ready when the run opens)
        self.page.locator('.modal.in').filter(
            has_text='Plan Trips').first.wait_for(state='detached')
        self.wait_idle()
        # the run the wizard queued opens in its form
        self.expect(self.field_input('Warehouse')).to_have_value(
            '[SHA] Shanghai DC')
        # the run is queued: reload until it is done (on SQLite it is);
        # the trips list is below the fold: sao renders its rows when it
        # is scrolled into view
        for _ in range(90):
            widget = self.one2many('Trips')
            widget.scroll_into_view_if_needed()
            trips = widget.locator('table.tree > tbody > tr').filter(
                has_text='TRIP-')
            try:
                trips.first.wait_for(state='visible', timeout=2000)
                break
            except PlaywrightTimeout:
                self.toolbar('reload')
        self.assertGreaterEqual(trips.count(), 1)
        self.expect(self.field_input('Phase')).to_have_value('done')
        self.expect(self.field_input('Trips')).to_have_value(
            str(trips.count()))
        self.expect(trips.first).to_contain_text('Shanghai DC')
        self.screenshot('planning_run')
        self.assert_no_error_dialog()
        number = trips.first.locator('td').filter(
            has_text='TRIP-').first.inner_text().strip()
        self.open_row(trips.first, toolbar=False)
        # the trip opens in a dialog over the run, with its stops
        trip = self.page.locator('.modal.in').last
        self.expect(trip.get_by_label('Number:', exact=True)).to_have_value(
            number)
        stops = self.rows(trip.locator('.form-one2many').filter(
                has=self.page.locator(
                    '.form-one2many-string', has_text='Stops')))
        self.assertGreaterEqual(stops.count(), 1)
        self.screenshot('trip_stops')
        self.assertEqual(self.errors, [])

    def test_05_billing_run(self):
        "Run billing for the open charges and open a customer invoice"
        # the Process button is for billing clerks, accountants and the
        # OTWB administrator, not for Tryton's admin
        self.login('otwb_admin', DEMO_PASSWORD)
        self.open_menu('OTWB', 'Billing', 'Billing Runs')
        self.wait_idle()
        self.toolbar('new_')
        date_to = self.field_input('To')
        date_to.fill(time.strftime('%m/%d/%Y'))
        date_to.press('Tab')
        self.wait_idle()
        self.click_button('Invoice')
        invoices = self.one2many('Invoices')
        self.expect(invoices.locator('table.tree > tbody').first
            ).to_contain_text('Customer')
        invoices = invoices.locator('table.tree > tbody > tr').filter(
            has_text='Customer')
        self.assertGreaterEqual(invoices.count(), 1)
        self.screenshot('billing_run')
        invoices.first.locator('td:visible').filter(
            has_text='Customer').first.dblclick()
        self.wait_idle()
        form = self.page.locator('.modal.in').last
        self.expect(form).to_contain_text('Posted')
        self.assertIn('Customer', form.inner_text())
        self.screenshot('invoice')
        # close the invoice: no other dialog (an error) may remain
        form.get_by_role('button', name='Discard changes', exact=True).click()
        form.wait_for(state='detached')
        self.assert_no_error_dialog()

    def test_06_dashboard(self):
        "Open the order dashboard: the KPI charts"
        self.login()
        self.open_menu('OTWB', 'Dashboard', 'Order KPIs')
        self.wait_idle()
        tab = self.current_tab()
        tab.locator('.board-action svg').first.wait_for()
        titles = tab.locator('.board-action .panel-heading').all_inner_texts()
        self.assertEqual(titles,
            ['Orders per Day', 'Orders by Channel', 'On Time in Full (OTIF)',
                'Order-to-Ship Lead Time', 'Fill Rate'])
        self.assertGreaterEqual(tab.locator('.board-action svg').count(), 5)
        self.screenshot('dashboard')
        self.assert_no_error_dialog()
