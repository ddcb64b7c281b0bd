# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Webhooks to a local HTTP server and e-mails to a local SMTP sink."""
import datetime as dt
import hashlib
import hmac
import http.server
import json
import socket
import threading
import unittest

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from trytond.config import config
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']
SECRET = 'shh-webhook-secret'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Hook(http.server.BaseHTTPRequestHandler):
    "Answers 500 to the first request, 200 to the next ones"
    received = []
    failures_left = 1

    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        cls = type(self)
        if cls.failures_left:
            cls.failures_left -= 1
            self.send_response(500)
        else:
            cls.received.append(
                (self.headers.get('X-OTWB-Signature'), body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class Mailbox(Sink):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return '250 OK'


class NotificationTestCase(unittest.TestCase):
    "Timeline events notify channels and customers"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)
        cls.http = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Hook)
        threading.Thread(target=cls.http.serve_forever, daemon=True).start()
        cls.mailbox = Mailbox()
        cls.smtp = Controller(cls.mailbox, hostname='127.0.0.1',
            port=free_port())
        cls.smtp.start()
        cls.old_uri = config.get('email', 'uri', default=None)
        config.set('email', 'uri', 'smtp://127.0.0.1:%d' % cls.smtp.port)

    @classmethod
    def tearDownClass(cls):
        cls.http.shutdown()
        cls.smtp.stop()
        if cls.old_uri:
            config.set('email', 'uri', cls.old_uri)
        else:
            config.remove_option('email', 'uri')

    @with_transaction()
    def test_webhooks_with_retry_and_emails(self):
        pool = Pool()
        Channel = pool.get('otwb.oms.channel')
        Notification = pool.get('otwb.oms.notification')
        data = demo_data.load(size=1)
        url = 'http://127.0.0.1:%d/hooks/orders' % self.http.server_port
        Channel.write([data.channels['TAOBAO']], {
                'webhook_url': url, 'webhook_secret': SECRET})
        # with_transaction re-runs the test when it needs a lock it did not
        # take: start from empty sinks
        Hook.received.clear()
        Hook.failures_left = 1
        self.mailbox.messages.clear()
        with Transaction().set_context(company=data.company.id):
            flow.run()
            hooks = Notification.search([('kind', '=', 'webhook')],
                order=[('id', 'ASC')])
            # received, shipped, delivered
            self.assertEqual(len(hooks), 3)
            first = hooks[0]
            # the first POST got a 500: retried later with back-off
            self.assertEqual(first.state, 'pending')
            self.assertEqual(first.attempts, 1)
            self.assertIn('500', first.last_error)
            self.assertEqual([h.state for h in hooks[1:]], ['sent', 'sent'])
            self.assertEqual(Notification.send_due(), 0)  # not yet due
            later = dt.datetime.now() + dt.timedelta(minutes=2)
            self.assertEqual(Notification.send_due(later), 1)
            first = Notification(first.id)
            self.assertEqual((first.state, first.attempts), ('sent', 2))

        events = []
        for signature, body in Hook.received:
            expected = 'sha256=' + hmac.new(
                SECRET.encode(), body, hashlib.sha256).hexdigest()
            self.assertEqual(signature, expected)
            payload = json.loads(body)
            self.assertEqual(
                (payload['channel'], payload['external_id']),
                ('TAOBAO', 'TB-10001'))
            events.append(payload['event'])
        self.assertEqual(sorted(events), ['delivered', 'received', 'shipped'])

        emails = Notification.search([('kind', '=', 'email')])
        self.assertEqual(sorted(e.state for e in emails), ['sent', 'sent'])
        recipients = [r for rcpt, _ in self.mailbox.messages for r in rcpt]
        self.assertEqual(recipients.count('chen.jing@example.cn'), 2)
        subjects = sorted(
            content.decode().split('Subject: ')[1].split('\n')[0].strip()
            for _, content in self.mailbox.messages)
        self.assertEqual(subjects, ['Order TB-10001: delivered',
                'Order TB-10001: shipped'])
