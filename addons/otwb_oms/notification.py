# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Customer e-mails and channel webhooks fed by the order timeline.

Each notification is a record: it is sent from the task queue, and a failed
attempt is retried with exponential back-off by the ``send_due`` cron job,
so nothing is lost when a channel's endpoint or the SMTP server is down.
"""
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from email.message import EmailMessage

from trytond.config import config
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.sendmail import send_message

NOTIFY_TYPES = {'received', 'shipped', 'delivered', 'exception', 'held',
    'returned', 'refunded', 'cancelled'}
EMAIL_TYPES = {'shipped', 'delivered', 'exception', 'refunded'}
MAX_ATTEMPTS = 8
TIMEOUT = 10


class Channel(metaclass=PoolMeta):
    __name__ = 'otwb.oms.channel'

    webhook_url = fields.Char(
        "Webhook URL",
        help="Order status changes are POSTed here as JSON.")
    webhook_secret = fields.Char(
        "Webhook Secret",
        help="Signs each webhook body: header X-OTWB-Signature is "
        "sha256=HMAC(secret, body).")
    notify_customers = fields.Boolean(
        "E-mail Customers",
        help="Send the customer an e-mail when the order ships, is "
        "delivered or meets an exception.")

    @classmethod
    def default_notify_customers(cls):
        return True


class Notification(ModelSQL, ModelView):
    "Order Notification"
    __string__ = "Order Notification"
    __name__ = 'otwb.oms.notification'

    sale = fields.Many2One('sale.sale', "Order", required=True,
        ondelete='CASCADE', readonly=True)
    event = fields.Many2One('otwb.oms.order.event', "Event", readonly=True,
        ondelete='SET NULL')
    kind = fields.Selection([
            ('email', "E-mail"),
            ('webhook', "Webhook"),
            ], "Kind", required=True, readonly=True)
    target = fields.Char("Target", required=True, readonly=True)
    payload = fields.Text("Payload", readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('sent', "Sent"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True)
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt_at = fields.DateTime("Next Attempt", readonly=True)
    sent_at = fields.DateTime("Sent At", readonly=True)
    last_error = fields.Char("Last Error", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality(
                        cardinality='low')), (t.next_attempt_at,
                    Index.Range()), where=t.state == 'pending'))
        cls._order = [('id', 'DESC')]
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') == 'sent',
                    'depends': ['state']},
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def create_for(cls, events):
        "Notifications for timeline events, queued for sending"
        to_create = []
        for event in events:
            if event.type not in NOTIFY_TYPES:
                continue
            sale = event.sale
            channel = sale.otwb_channel
            if not channel:
                continue
            body = {
                'event': event.type,
                'time': event.time.isoformat(),
                'channel': channel.code,
                'external_id': sale.otwb_external_id,
                'order': sale.number,
                'state': sale.state,
                'description': event.description,
                }
            if channel.webhook_url:
                to_create.append({
                        'sale': sale.id, 'event': event.id,
                        'kind': 'webhook', 'target': channel.webhook_url,
                        'payload': json.dumps(body, sort_keys=True)})
            email = sale.party.email if sale.party else None
            if (channel.notify_customers and email
                    and event.type in EMAIL_TYPES):
                to_create.append({
                        'sale': sale.id, 'event': event.id,
                        'kind': 'email', 'target': email,
                        'payload': json.dumps(body, sort_keys=True)})
        notifications = cls.create(to_create) if to_create else []
        if notifications:
            cls.__queue__.send(notifications)
        return notifications

    @classmethod
    @ModelView.button
    def retry(cls, notifications):
        cls.write(notifications, {'state': 'pending',
                'next_attempt_at': None})
        cls.send(notifications)

    @classmethod
    def send(cls, notifications):
        "Try to deliver the pending notifications once each"
        now = dt.datetime.now()
        for notification in cls.browse(notifications):
            if notification.state != 'pending':
                continue
            try:
                if notification.kind == 'webhook':
                    notification._post_webhook()
                else:
                    notification._send_email()
            except Exception as exc:  # noqa: BLE001 - any failure retries
                attempts = notification.attempts + 1
                values = {
                    'attempts': attempts,
                    'last_error': str(exc)[:250],
                    }
                if attempts >= MAX_ATTEMPTS:
                    values['state'] = 'failed'
                else:
                    # back-off: 1, 2, 4, 8, … minutes
                    values['next_attempt_at'] = now + dt.timedelta(
                        minutes=2 ** (attempts - 1))
                cls.write([notification], values)
            else:
                cls.write([notification], {
                        'state': 'sent', 'sent_at': now,
                        'attempts': notification.attempts + 1,
                        'last_error': None})

    @classmethod
    def send_due(cls, now=None):
        "Cron: retry the pending notifications whose back-off has passed"
        now = now or dt.datetime.now()
        due = cls.search([
                ('state', '=', 'pending'),
                ['OR', ('next_attempt_at', '=', None),
                    ('next_attempt_at', '<=', now)],
                ])
        cls.send(due)
        return len(due)

    def _post_webhook(self):
        body = self.payload.encode('utf-8')
        request = urllib.request.Request(
            self.target, data=body, method='POST',
            headers={'Content-Type': 'application/json',
                'User-Agent': 'OTWB-Suite/8.0'})
        secret = self.sale.otwb_channel.webhook_secret
        if secret:
            signature = hmac.new(
                secret.encode('utf-8'), body, hashlib.sha256).hexdigest()
            request.add_header('X-OTWB-Signature', 'sha256=' + signature)
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            if not 200 <= response.status < 300:
                raise urllib.error.HTTPError(
                    self.target, response.status, 'not accepted', None,
                    None)

    def _send_email(self):
        body = json.loads(self.payload)
        msg = EmailMessage()
        msg['From'] = config.get('email', 'from', default='otwb@localhost')
        msg['To'] = self.target
        msg['Subject'] = "Order %s: %s" % (
            body['external_id'], body['event'])
        msg.set_content(
            "Your order %s from %s is now: %s.\n%s\n" % (
                body['external_id'], body['channel'], body['event'],
                body.get('description') or ''))
        if not config.get('email', 'uri', default=None):
            raise RuntimeError("no SMTP server configured ([email] uri)")
        send_message(msg, strict=True)


class OrderEvent(metaclass=PoolMeta):
    __name__ = 'otwb.oms.order.event'

    @classmethod
    def add_batch(cls, entries, time=None):
        events = super().add_batch(entries, time=time)
        Pool().get('otwb.oms.notification').create_for(events)
        return events


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('otwb.oms.notification|send_due',
                "Retry Order Notifications"))
