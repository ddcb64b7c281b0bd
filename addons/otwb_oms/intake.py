# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Order intake inbox: accept fast, process in the task queue.

``submit`` only validates and stores; every payload, accepted or rejected,
is kept with its raw content and errors.  Accepted payloads are turned into
sales by ``process``, run by Tryton's task queue (``ir.queue``), inline
after commit when no worker runs, in ``trytond-worker`` processes else.
"""
import datetime as dt
import json

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.modules.otwb_base.otwb import searchable
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction, check_access

from .engine import intake as engine

STATES = [
    ('rejected', "Rejected"),
    ('accepted', "Accepted"),
    ('processed', "Processed"),
    ('failed', "Failed"),
    ]


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)



def _inbox_text(value, size):
    """A channel code or external id as the inbox stores it: control
    characters (which Tryton refuses in a one-line text field) become '?';
    the raw payload keeps them."""
    return ''.join('?' if c < ' ' or c == '\x7f' else c
        for c in str(value).strip())[:size]

class Intake(Workflow, ModelSQL, ModelView):
    "Order Intake"
    __string__ = "Order Intake"
    __name__ = 'otwb.oms.intake'

    channel_code = fields.Char("Channel Code", readonly=True)
    channel = fields.Many2One('otwb.oms.channel', "Channel", readonly=True)
    external_id = fields.Char("External ID", readonly=True)
    idempotency_key = fields.Char(
        "Idempotency Key", readonly=True,
        help="channel/external id of an accepted payload; unique.")
    payload = fields.Text(
        "Payload", states={'readonly': Eval('state') != 'rejected'},
        help="The raw order as received (JSON); correct it here and "
        "re-submit a rejected order.")
    payload_hash = fields.Char("Payload Hash", readonly=True)
    errors = fields.Text("Errors", readonly=True)
    error_codes = fields.Char("Error Codes", readonly=True)
    received_at = fields.DateTime("Received At", readonly=True)
    processed_at = fields.DateTime("Processed At", readonly=True)
    source = fields.Selection([
            ('rpc', "RPC"),
            ('csv', "CSV Import"),
            ('client', "Client"),
            ], "Source", readonly=True)
    sales = fields.One2Many('sale.sale', 'otwb_intake', "Sales",
        readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('idempotency_key_unique', Unique(t, t.idempotency_key),
                'otwb_oms.msg_intake_duplicate'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.channel_code, Index.Equality()),
                    (t.external_id, Index.Equality())),
                })
        cls._order = [('received_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('rejected', 'accepted'),
            ('accepted', 'processed'),
            ('accepted', 'failed'),
            ('failed', 'accepted'),
            }
        cls._buttons.update({
                'resubmit': {
                    'invisible': ~Eval('state').in_(['rejected', 'failed']),
                    'depends': ['state'],
                    },
                })
        cls.__rpc__.update({
                'submit': RPC(readonly=False, check_access=False),
                'query_status': RPC(readonly=True, check_access=False),
                })

    @classmethod
    def default_state(cls):
        return 'rejected'

    # --- catalog --------------------------------------------------------
    @classmethod
    def _catalog(cls, payloads):
        "Reference data for the batch, read in a few queries"
        pool = Pool()
        Channel = pool.get('otwb.oms.channel')
        Product = pool.get('product.product')
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        skus, countries = set(), set()
        for p in payloads:
            if not isinstance(p, dict):
                continue
            lines = p.get('lines')
            if isinstance(lines, list):
                skus.update(line.get('sku') for line in lines
                    if isinstance(line, dict)
                    and isinstance(line.get('sku'), str))
            address = p.get('shipping_address')
            if isinstance(address, dict) and isinstance(
                    address.get('country'), str):
                countries.add(address['country'].strip().upper())
        # codes with control characters match nothing (and PostgreSQL
        # refuses a NUL in a query): leave them to the validation
        skus = {c for c in skus if searchable(c)}
        countries = {c for c in countries if searchable(c)}
        channels = {}
        channel_records = {}
        for channel in Channel.search([]):
            channel_records[channel.code] = channel
            channels[channel.code] = engine.Channel(
                code=channel.code, currency=channel.currency.code,
                payment_methods=channel.payment_method_set,
                prepaid_methods=channel.prepaid_method_set,
                max_lines=channel.max_lines,
                currency_digits=channel.currency.digits)
        products = {}
        if skus:
            with Transaction().set_context(active_test=False):
                records = Product.search([('code', 'in', list(skus))])
            for product in records:
                weight = None
                if product.weight is not None and product.weight_uom:
                    weight = product.weight * product.weight_uom.factor
                products[product.code] = engine.Product(
                    id=product.id, active=product.active,
                    weight=(None if weight is None
                        else engine.Decimal(str(round(weight, 6)))))
        country_map = {}
        if countries:
            for country in Country.search([('code', 'in', list(countries))]):
                country_map[country.code] = set()
            for sub in Subdivision.search([
                        ('country.code', 'in', list(countries))]):
                country_map[sub.country.code].add(sub.code)
        return engine.Catalog(
            channels=channels, products=products,
            countries=country_map), channel_records

    # --- RPC ------------------------------------------------------------
    @classmethod
    def _check_integration_access(cls):
        ModelAccess = Pool().get('ir.model.access')
        # the RPC runs without access checks (check_access=False, for the
        # engine's bulk reads): enforce the caller's right explicitly,
        # otherwise ModelAccess.check is a no-op (docs/SECURITY.md)
        with check_access():
            ModelAccess.check(cls.__name__, 'create')

    @classmethod
    def submit(cls, payloads, source='rpc'):
        """Take in a batch of channel orders.

        Returns one result per payload, in order: ``{'index', 'status':
        'accepted' | 'duplicate' | 'conflict' | 'rejected', 'intake',
        'errors': [{'field', 'code', 'message', 'value'}]}``.
        """
        pool = Pool()
        Config = pool.get('otwb.configuration')
        cls._check_integration_access()
        if not isinstance(payloads, (list, tuple)):
            raise AccessError(gettext(
                    'otwb_base.msg_invalid_payload', field='payloads',
                    reason="must be a list of orders",
                    value=repr(payloads)[:60]))
        limit = Config(1).rpc_max_items
        if len(payloads) > limit:
            raise AccessError(gettext(
                    'otwb_base.msg_payload_too_large',
                    count=len(payloads), limit=limit))
        user = Transaction().user
        integration_user = user != 0 and cls._is_integration_user(user)
        catalog, channel_records = cls._catalog(payloads)
        now = dt.datetime.now()

        results, to_create, keys = [], [], {}
        for index, payload in enumerate(payloads):
            try:
                digest = engine.payload_hash(payload)
            except (TypeError, ValueError):
                digest = None
            order, errors = engine.validate_order(payload, catalog)
            channel_code = external_id = None
            if isinstance(payload, dict):
                if isinstance(payload.get('channel'), str):
                    channel_code = _inbox_text(payload['channel'], 32)
                if isinstance(payload.get('external_id'), (str, int)) \
                        and not isinstance(payload.get('external_id'), bool):
                    external_id = _inbox_text(payload['external_id'], 64)
            channel = channel_records.get(channel_code)
            if (order and channel and integration_user
                    and channel.integration_user
                    and channel.integration_user.id != user):
                order, errors = None, [{
                        'field': 'channel', 'code': 'forbidden_channel',
                        'message': "channel %r is not open to this user"
                        % channel_code, 'value': repr(channel_code)}]
            key = None
            if order:
                key = '%s/%s' % (order.channel, order.external_id)
                if key in keys:
                    order, errors = None, [{
                            'field': 'external_id',
                            'code': 'duplicate_in_batch',
                            'message': "external_id %r appears twice in the "
                            "batch" % order.external_id,
                            'value': repr(order.external_id)}]
                    key = None
                else:
                    keys[key] = index
            try:
                raw = json.dumps(payload, default=_json_default,
                    ensure_ascii=False)
            except (TypeError, ValueError):
                raw = repr(payload)
            results.append({
                    'index': index, 'status': 'accepted' if order
                    else 'rejected', 'errors': errors, 'key': key,
                    })
            to_create.append({
                    'channel_code': channel_code,
                    'channel': channel.id if channel else None,
                    'external_id': external_id,
                    'idempotency_key': key,
                    'payload': raw[:2_000_000],
                    'payload_hash': digest,
                    'errors': json.dumps(errors, ensure_ascii=False)
                    if errors else None,
                    'error_codes': ','.join(sorted(
                            {e['code'] for e in errors}))[:255]
                    if errors else None,
                    'received_at': now,
                    'source': source,
                    'state': 'accepted' if order else 'rejected',
                    })

        # Idempotency: a key already accepted is a duplicate when the
        # content is the same, a conflict when it differs.
        existing = {}
        if keys:
            for record in cls.search([
                        ('idempotency_key', 'in', list(keys))]):
                existing[record.idempotency_key] = record
        for result, values in zip(results, to_create):
            record = existing.get(result['key'])
            if record is None:
                continue
            values['idempotency_key'] = None
            values['state'] = 'rejected'
            if record.payload_hash == values['payload_hash']:
                result['status'] = 'duplicate'
                result['intake'] = record.id
                values['_skip'] = True
            else:
                result['status'] = 'conflict'
                error = {
                    'field': 'external_id', 'code': 'idempotency_conflict',
                    'message': "external_id %r was already accepted with "
                    "different content" % record.external_id,
                    'value': repr(record.external_id)}
                result['errors'] = [error]
                values['errors'] = json.dumps([error])
                values['error_codes'] = 'idempotency_conflict'
        vlist = [v for v in to_create if not v.get('_skip')]
        records = cls.create(vlist) if vlist else []
        it = iter(records)
        for result, values in zip(results, to_create):
            if not values.get('_skip'):
                result['intake'] = next(it).id
            del result['key']
        accepted = [r for r in records if r.state == 'accepted']
        if accepted:
            cls.__queue__.process(accepted)
        return results

    @classmethod
    def _is_integration_user(cls, user_id):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        group = ModelData.get_id('otwb_base', 'group_integration')
        if user_id == Transaction().user:
            return group in User.get_groups()  # cached per transaction
        return group in {g.id for g in User(user_id).groups}

    @classmethod
    def query_status(cls, channel_code, external_id):
        "Status of an order by channel code and external id"
        cls._check_integration_access()
        records = cls.search([
                ('idempotency_key', '=', '%s/%s' % (
                        channel_code, external_id)),
                ], limit=1)
        if not records:
            return None
        record, = records
        # called without access checks: an integration user sees only the
        # orders of its channels (as the intake record rule), others'
        # answer as unknown
        user = Transaction().user
        bound = record.channel.integration_user if record.channel else None
        if (user != 0 and bound and bound.id != user
                and cls._is_integration_user(user)):
            return None
        result = {
            'intake': record.id, 'state': record.state, 'sales': [],
            }
        for sale in record.sales:
            result['sales'].append({
                    'number': sale.number, 'state': sale.state,
                    'warehouse': sale.warehouse.code if sale.warehouse
                    else None,
                    'events': [(e.type, e.time.isoformat())
                        for e in sale.otwb_events],
                    })
        return result

    @classmethod
    @ModelView.button
    def resubmit(cls, intakes):
        "Validate again the corrected payloads and accept the valid ones"
        for intake in intakes:
            try:
                payload = json.loads(intake.payload or 'null')
            except ValueError:
                payload = intake.payload
            catalog, channels = cls._catalog([payload])
            order, errors = engine.validate_order(payload, catalog)
            values = {
                'errors': json.dumps(errors, ensure_ascii=False)
                if errors else None,
                'error_codes': ','.join(sorted({e['code'] for e in errors}))
                if errors else None,
                }
            if order:
                values.update({
                        'idempotency_key': '%s/%s' % (
                            order.channel, order.external_id),
                        'channel_code': order.channel,
                        'channel': channels[order.channel].id,
                        'external_id': order.external_id,
                        'payload_hash': engine.payload_hash(payload),
                        })
            cls.write([intake], values)
            if order:
                cls.accept([intake])

    @classmethod
    @Workflow.transition('accepted')
    def accept(cls, intakes):
        cls.__queue__.process(intakes)

    # --- processing (task queue) -----------------------------------------
    @classmethod
    def process(cls, intakes):
        "Turn accepted intakes into confirmed sales with shipments"
        pool = Pool()
        Sale = pool.get('sale.sale')
        intakes = [i for i in cls.browse(intakes) if i.state == 'accepted']
        if not intakes:
            return
        cls.lock(intakes)
        payloads = [json.loads(i.payload) for i in intakes]
        catalog, channels = cls._catalog(payloads)
        orders, done = [], []
        for intake, payload in zip(intakes, payloads):
            order, errors = engine.validate_order(payload, catalog)
            if not order:
                cls.write([intake], {
                        'errors': json.dumps(errors, ensure_ascii=False),
                        'error_codes': ','.join(
                            sorted({e['code'] for e in errors})),
                        })
                cls.fail([intake])
                continue
            orders.append((order, channels[order.channel], intake))
            done.append(intake)
        sales = Sale.otwb_create_from_orders(orders) if orders else []
        Sale.otwb_confirm(sales)
        if done:
            cls.write(done, {'processed_at': dt.datetime.now()})
            cls.processed(done)

    @classmethod
    @Workflow.transition('processed')
    def processed(cls, intakes):
        pass

    @classmethod
    @Workflow.transition('failed')
    def fail(cls, intakes):
        pass
