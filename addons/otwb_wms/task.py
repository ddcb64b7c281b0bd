# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""One queue of warehouse work for operators and automation devices."""
import datetime as dt

from sql import Literal, Null, With
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import CurrentTimestamp
from sql.operators import Concat
from trytond.config import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.otwb_base.otwb import searchable
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access

from .engine import pickpath
from .location import ZONE_TYPES

TASK_TYPES = [
    ('receive', "Receive"),
    ('putaway', "Putaway"),
    ('pick', "Pick"),
    ('pack', "Pack"),
    ('count', "Count"),
    ('replenish', "Replenish"),
    ('move', "Move"),
    ('vas', "Value-Added Service"),
    ]
STATES = [
    ('pending', "Pending"),
    ('assigned', "Assigned"),
    ('in_progress', "In Progress"),
    ('done', "Done"),
    ('failed', "Failed"),
    ('cancelled', "Cancelled"),
    ]
OPEN_STATES = {'pending', 'assigned', 'in_progress'}
CLAIMED_STATES = {'assigned', 'in_progress'}
# most tasks a device claims at once (claim_batch)
MAX_BATCH = 50


class _Slot:
    "A parameter of a kept claim statement, given at each call"
    __slots__ = ('name',)

    def __init__(self, name):
        self.name = name


# (model, database class, types, by warehouse, by company, limit):
# (SQL, params)
_CLAIM_STATEMENTS = {}
MOVING_TYPES = {'putaway', 'replenish', 'move'}


def valid_id(value):
    "A record id as the database can hold it (not a bool, 1 .. 2**31 - 1)"
    return (isinstance(value, int) and not isinstance(value, bool)
        and 0 < value < 2 ** 31)


CLIENT_DEVICE = 'client:'


def client_device(login):
    "The device name of a task claimed in the client by ``login``"
    return (CLIENT_DEVICE + login)[:64]


class Task(Workflow, ModelSQL, ModelView):
    "Warehouse Task"
    __name__ = 'otwb.wms.task'
    __string__ = "Warehouse Task"

    _states = {'readonly': Eval('state') != 'pending'}

    type = fields.Selection(
        TASK_TYPES, "Type", required=True, states=_states)
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    priority = fields.Integer(
        "Priority", required=True, states=_states,
        help="Lower numbers are claimed first.")
    sequence = fields.Integer(
        "Sequence", readonly=True,
        help="Position on the optimised pick path of its batch.")
    due = fields.DateTime("Due", states=_states)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True,
        domain=[('type', '=', 'warehouse')], states=_states)
    product = fields.Many2One('product.product', "Product", states=_states)
    lot = fields.Many2One('stock.lot', "Lot", states=_states)
    quantity = fields.Float("Quantity", digits=(16, 4), states=_states)
    done_quantity = fields.Float("Done Quantity", digits=(16, 4),
        readonly=True)
    from_location = fields.Many2One(
        'stock.location', "From", states=_states)
    to_location = fields.Many2One('stock.location', "To", states=_states)
    move = fields.Many2One(
        'stock.move', "Move", readonly=True, ondelete='CASCADE')
    shipment = fields.Reference(
        "Shipment", selection=[
            (None, ''),
            ('stock.shipment.out', "Customer Shipment"),
            ('stock.shipment.in', "Supplier Shipment"),
            ('stock.shipment.internal', "Internal Shipment"),
            ('otwb.wms.asn', "ASN"),
            ], readonly=True)
    wave = fields.Many2One(
        'otwb.wms.wave', "Wave", readonly=True, ondelete='SET NULL',
        help="The batch the pick task is picked with.")
    operator = fields.Many2One('res.user', "Operator", readonly=True)
    device = fields.Char("Device", readonly=True,
        help="The automation device or terminal that claimed the task.")
    claimed_at = fields.DateTime("Claimed At", readonly=True)
    heartbeat_at = fields.DateTime("Last Heartbeat", readonly=True)
    done_at = fields.DateTime("Done At", readonly=True)
    failure_reason = fields.Char("Failure Reason", readonly=True)
    zone = fields.Function(
        fields.Selection(ZONE_TYPES, "Zone",
            help="The zone of the source bin (of the destination bin for "
            "putaway); the other bin's zone when that one has none."),
        'get_zone', searcher='search_zone')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # the queue in claim order (btree ASC puts NULLs last, as
                # the order does): a claim walks it from the start and
                # stops at the first free task instead of sorting all
                # pending tasks of its priority
                Index(t, (t.priority, Index.Range()),
                    (t.wave, Index.Range()), (t.sequence, Index.Range()),
                    (t.id, Index.Range()),
                    where=t.state == 'pending'),
                Index(t, (t.move, Index.Equality())),
                })
        cls._order = [('priority', 'ASC'), ('wave', 'ASC NULLS LAST'),
            ('sequence', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('pending', 'assigned'),
            ('pending', 'cancelled'),
            ('assigned', 'in_progress'),
            ('assigned', 'pending'),
            ('in_progress', 'pending'),
            ('assigned', 'done'),
            ('in_progress', 'done'),
            ('assigned', 'failed'),
            ('in_progress', 'failed'),
            ('failed', 'pending'),
            ('assigned', 'cancelled'),
            ('in_progress', 'cancelled'),
            }
        cls._buttons.update({
                'claim': {
                    'invisible': Eval('state') != 'pending',
                    'depends': ['state'],
                    },
                'start': {
                    'invisible': Eval('state') != 'assigned',
                    'depends': ['state'],
                    },
                'done': {
                    'invisible': ~Eval('state').in_(
                        ['assigned', 'in_progress']),
                    'depends': ['state'],
                    },
                'requeue': {
                    'invisible': ~Eval('state').in_(
                        ['assigned', 'in_progress', 'failed']),
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(list(OPEN_STATES)),
                    'depends': ['state'],
                    },
                })
        cls.__rpc__.update({
                'claim_next': RPC(readonly=False),
                'claim_batch': RPC(readonly=False),
                'heartbeat': RPC(readonly=False),
                'complete': RPC(readonly=False),
                'report_failure': RPC(readonly=False),
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_priority(cls):
        return 10

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    # --- zone -----------------------------------------------------------
    def get_zone(self, name):
        first, second = self.from_location, self.to_location
        if self.type == 'putaway':
            first, second = second, first
        for location in (first, second):
            if location and location.otwb_zone_type:
                return location.otwb_zone_type
        return None

    @classmethod
    def zone_query(cls):
        """SQL query of (task id, zone): the rule of :meth:`get_zone` in
        SQL, for searching tasks and the task board"""
        pool = Pool()
        Location = pool.get('stock.location')
        task = cls.__table__()
        source = Location.__table__()
        destination = Location.__table__()
        putaway = task.type == 'putaway'
        source_zone = NullIf(source.otwb_zone_type, '')
        destination_zone = NullIf(destination.otwb_zone_type, '')
        zone = Coalesce(
            Case((putaway, destination_zone), else_=source_zone),
            Case((putaway, source_zone), else_=destination_zone))
        return task, task.join(source, 'LEFT',
            condition=task.from_location == source.id
            ).join(destination, 'LEFT',
            condition=task.to_location == destination.id), zone

    @classmethod
    def search_zone(cls, name, clause):
        _, operator, value = clause[:3]
        task, query, zone = cls.zone_query()
        if operator in {'in', 'not in'}:
            values = [v for v in value if v is not None]
            if operator == 'in':
                where = zone.in_(values) if values else Literal(False)
                if None in value:
                    where |= zone == Null
            elif None in value:
                where = zone != Null
                if values:
                    where &= ~zone.in_(values)
            else:
                where = (~zone.in_(values) | (zone == Null)) if values \
                    else Literal(True)
        elif value is None and operator in {'=', '!='}:
            where = zone == Null if operator == '=' else zone != Null
        else:
            where = fields.SQL_OPERATORS[operator](zone, value)
            if operator == '!=':
                where |= zone == Null
        return [('id', 'in', query.select(task.id, where=where))]

    # --- client buttons -------------------------------------------------
    @classmethod
    @ModelView.button
    def claim(cls, tasks):
        """Claim pending tasks for the user working in the client (device
        ``client:<login>``).  The tasks are locked first, so a task that
        another operator or a device claimed meanwhile is refused."""
        pool = Pool()
        User = pool.get('res.user')
        cls.lock(tasks)
        tasks = cls.browse([t.id for t in tasks])
        taken = [t for t in tasks if t.state != 'pending']
        if taken:
            raise AccessError(gettext('otwb_wms.msg_task_already_claimed',
                    task=taken[0].id, device=taken[0].device or '-'))
        user = Transaction().user
        now = dt.datetime.now()
        cls.write(tasks, {
                'state': 'assigned', 'operator': user,
                'device': client_device(User(user).login),
                'claimed_at': now, 'heartbeat_at': now,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def start(cls, tasks):
        cls.write(tasks, {'heartbeat_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    def done(cls, tasks):
        # a task done already is not done again (no second stock move,
        # no second billable event)
        tasks = [t for t in tasks if t.state != 'done']
        if tasks:
            cls._do(tasks)

    @classmethod
    @ModelView.button
    @Workflow.transition('pending')
    def requeue(cls, tasks):
        handled = [t for t in tasks if t.state == 'failed' and t.move
            and t.move.state in {'cancelled', 'done'}]
        if handled:
            raise ValidationError(gettext(
                    'otwb_wms.msg_task_failure_handled',
                    task=handled[0].id,
                    move_state=handled[0].move.state))
        cls.write(tasks, {
                'operator': None, 'device': None,
                'claimed_at': None, 'heartbeat_at': None,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, tasks):
        pass

    @classmethod
    @Workflow.transition('failed')
    def fail(cls, tasks):
        pass

    @classmethod
    def report_failed(cls, tasks):
        "After a failure: close the waves that have no open task left"
        Wave = Pool().get('otwb.wms.wave')
        waves = {t.wave for t in cls.browse([t.id for t in tasks])
            if t.wave}
        if waves:
            Wave.check_done(list(waves))

    @classmethod
    @Workflow.transition('done')
    def _mark_done(cls, tasks):
        pass

    @classmethod
    def _do(cls, tasks, quantities=None):
        """Complete the tasks and move the stock they stand for."""
        pool = Pool()
        Move = pool.get('stock.move')
        quantities = quantities or {}
        now = dt.datetime.now()
        to_write = []
        for task in tasks:
            qty = quantities.get(task.id, task.quantity)
            to_write.extend(([task], {
                        'done_quantity': qty,
                        'done_at': now,
                        }))
        if to_write:
            cls.write(*to_write)
        cls._mark_done(tasks)
        # A pick of less than planned shrinks the reserved move; the
        # difference goes back to the shipment as a back-order by Tryton.
        short = [t for t in tasks if t.move and t.done_quantity is not None
            and t.done_quantity < t.move.quantity]
        if short:
            # an assigned move is changed in draft, then reserved again
            moves = [t.move for t in short]
            assigned = [m for m in moves if m.state == 'assigned']
            Move.draft(assigned)
            for task in short:
                Move.write([task.move], {'quantity': task.done_quantity})
            Move.assign(assigned)
        cls._after_done(tasks)

    @classmethod
    def _after_done(cls, tasks):
        "Hook for the documents the tasks belong to"
        pool = Pool()
        ShipmentOut = pool.get('stock.shipment.out')
        Move = pool.get('stock.move')
        ASN = pool.get('otwb.wms.asn')
        Wave = pool.get('otwb.wms.wave')
        # putaway, replenishment and moves: the task's move is the stock
        # movement itself
        movements = [t for t in tasks if t.type in MOVING_TYPES
            and t.move and t.move.state in {'draft', 'assigned'}]
        # (each call costs queries, even with nothing to do)
        cancelled = [t.move for t in movements if not t.done_quantity]
        if cancelled:
            Move.cancel(cancelled)
        done = [t.move for t in movements if t.done_quantity]
        if done:
            Move.do(done)
        asns = {t.shipment for t in tasks if isinstance(t.shipment, ASN)}
        if asns:
            ASN.check_done(list(asns))
        waves = {t.wave for t in tasks if t.wave}
        if waves:
            Wave.check_done(list(waves))
        shipments = {t.shipment for t in tasks
            if t.type == 'pick' and isinstance(t.shipment, ShipmentOut)}
        if shipments:
            ShipmentOut.otwb_check_picked(list(shipments))

    @classmethod
    def sequence_path(cls, tasks, warehouse=None, time_limit_ms=30.0):
        """Number the tasks along the shortest walk through their source
        bins (``engine.pickpath.optimise_route`` on the layout of the
        warehouse); tasks whose bin has no layout position come last.

        Writes ``sequence`` (1..n) and returns the walking length in
        metres from the depot back to the depot (0 without layout).
        """
        pool = Pool()
        Location = pool.get('stock.location')
        tasks = list(tasks)
        if not tasks:
            return 0.0
        warehouse = warehouse or tasks[0].warehouse
        lay, bins = Location.otwb_layout(warehouse)
        placed, rest = {}, []
        for task in sorted(tasks, key=lambda t: t.id):
            code = str(task.from_location.id) if task.from_location else None
            if lay is not None and code in bins:
                placed.setdefault(code, []).append(task)
            else:
                rest.append(task)
        ordered, length = [], 0.0
        if placed:
            codes = [c for c, ts in placed.items() for _ in ts]
            route = pickpath.optimise_route(
                lay, codes, time_limit_ms=time_limit_ms)
            sequence = list(route.sequence)
            # a tour is walked either way: start with the nearer end
            ends = lay.distances_from(
                lay.depot, [sequence[0], sequence[-1]])
            if ends[1] < ends[0] - 1e-9:
                sequence.reverse()
            for code in sequence:
                ordered.append(placed[code].pop(0))
            length = route.length_m
        ordered.extend(rest)
        to_write = []
        for seq, task in enumerate(ordered, 1):
            if task.sequence != seq:
                to_write.extend(([task], {'sequence': seq}))
        if to_write:
            cls.write(*to_write)
        return length

    # --- device API -----------------------------------------------------
    @classmethod
    def _check_write_access(cls):
        ModelAccess = Pool().get('ir.model.access')
        ModelAccess.check(cls.__name__, 'write')

    @classmethod
    def claim_next(cls, device, types=None, warehouse=None):
        """Claim atomically the next pending task for the device.

        Returns the task as a dict, or None when the queue is empty.
        On PostgreSQL the claim is an UPDATE of one row selected FOR UPDATE
        SKIP LOCKED, so two devices never receive the same task.
        """
        tasks = cls._claim(device, types, warehouse, 1)
        return tasks[0] if tasks else None

    @classmethod
    def claim_batch(cls, device, limit, types=None, warehouse=None):
        """Claim atomically up to limit pending tasks for the device, as a
        warehouse order: the next ones in queue order (priority, then the
        wave's pick path sequence).

        Returns the list of task dicts, empty when the queue is empty.
        Each task is claimed exactly as by claim_next (one statement)."""
        if (isinstance(limit, bool) or not isinstance(limit, int)
                or not 1 <= limit <= MAX_BATCH):
            raise AccessError(gettext(
                    'otwb_wms.msg_invalid_batch_limit',
                    value=repr(limit)[:40], maximum=MAX_BATCH))
        return cls._claim(device, types, warehouse, limit)

    @classmethod
    def _claim(cls, device, types, warehouse, limit):
        cls._check_write_access()
        if not searchable(device, 64) or not device.strip():
            raise AccessError(gettext(
                    'otwb_wms.msg_invalid_device', device=repr(device)[:70]))
        if types is not None and (not isinstance(types, (list, tuple))
                or not all(searchable(t) for t in types)
                or not set(types) <= {t for t, _ in TASK_TYPES}):
            raise AccessError(gettext(
                    'otwb_wms.msg_invalid_task_types',
                    types=repr(types)[:100]))
        if warehouse is not None and not valid_id(warehouse):
            raise AccessError(gettext(
                    'otwb_wms.msg_invalid_warehouse_id',
                    value=repr(warehouse)[:60]))
        transaction = Transaction()
        database = transaction.database
        cursor = transaction.connection.cursor()
        company = transaction.context.get('company')
        slots = {
            'device': device.strip(), 'user': transaction.user,
            'warehouse': warehouse, 'company': company,
            }
        types = tuple(types) if types else None
        if database.has_returning():
            # the statement is built once per shape and kept (python-sql
            # building it cost a tenth of a claim's server time)
            key = (cls.__name__, database.__class__, types,
                bool(warehouse), bool(company), limit)
            if key not in _CLAIM_STATEMENTS:
                _CLAIM_STATEMENTS[key] = cls._claim_statement(
                    types, bool(warehouse), bool(company), limit, database)
            query, params = _CLAIM_STATEMENTS[key]
            cursor.execute(query, [slots[p.name]
                    if isinstance(p, _Slot) else p for p in params])
            rows = cursor.fetchall()
        else:
            table = cls.__table__()
            selected, columns, values = cls._claim_select(
                table, types, warehouse, company, limit, slots, database)
            cursor.execute(*selected)
            ids = [r[0] for r in cursor]
            if ids:
                # SQLite: one writer at a time, the rows stay pending
                cursor.execute(*table.update(columns, values,
                        where=table.id.in_(ids)
                        & (table.state == 'pending')))
            rows = [(i,) for i in ids]
        for row in rows:
            cls._drop_cached(row[0])
        # the tasks as the device gets them, from the same statement (one
        # round trip for the whole claim on PostgreSQL) when the names
        # need no translation
        if database.has_returning() and (
                transaction.language == config.get('database', 'language')):
            tasks = [cls._device_row(r) for r in rows]
        else:
            tasks = [cls(r[0])._device_dict() for r in rows]
        key = {id_: i for i, id_ in enumerate(cls._queue_order(
                    [t['id'] for t in tasks]))}
        return sorted(tasks, key=lambda t: key[t['id']])

    @classmethod
    def _claim_select(cls, table, types, warehouse, company, limit, slots,
            database):
        "The candidates' query, the columns and values of their claim"
        where = table.state == 'pending'
        if types:
            where &= table.type.in_(list(types))
        if warehouse:
            where &= table.warehouse == warehouse
        if company:
            where &= table.company == company
        order = [table.priority.asc, table.wave.asc.nulls_last,
            table.sequence.asc.nulls_last, table.id.asc]
        selected = table.select(
            table.id, where=where, order_by=order, limit=limit)
        if database.has_select_for():
            For = database.get_select_for_skip_locked()
            selected.for_ = For('UPDATE')
        now = CurrentTimestamp()
        values = ['assigned', slots['device'], slots['user'], now, now,
            now, slots['user']]
        columns = [table.state, table.device, table.operator,
            table.claimed_at, table.heartbeat_at, table.write_date,
            table.write_uid]
        return selected, columns, values

    @classmethod
    def _claim_statement(cls, types, warehouse, company, limit, database):
        """The claim as one UPDATE ... RETURNING: (SQL, parameters) with
        _Slot parameters for the values of each call"""
        table = cls.__table__()
        slots = {name: _Slot(name) for name in
            ['device', 'user', 'warehouse', 'company']}
        selected, columns, values = cls._claim_select(table, types,
            slots['warehouse'] if warehouse else None,
            slots['company'] if company else None,
            limit, slots, database)
        # The candidates are chosen once in a CTE: PostgreSQL would
        # otherwise re-run an IN (... LIMIT n) sub-query per row and
        # could claim more tasks than asked.
        candidate = With('id', query=selected)
        query, params = tuple(table.update(columns, values,
                where=table.id.in_(candidate.select(candidate.id))
                & (table.state == 'pending'),
                with_=[candidate],
                returning=[table.id] + cls._device_columns(table)))
        return query, tuple(params)

    @classmethod
    def _queue_order(cls, ids):
        "The tasks in queue order (UPDATE ... RETURNING keeps none)"
        if len(ids) < 2:
            return ids
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, where=table.id.in_(ids),
                order_by=[table.priority.asc, table.wave.asc.nulls_last,
                    table.sequence.asc.nulls_last, table.id.asc]))
        return [r[0] for r in cursor]

    @classmethod
    def _device_columns(cls, table):
        "The columns of _device_row, as expressions on the task table"
        pool = Pool()
        product = pool.get('product.product').__table__()
        lot = pool.get('stock.lot').__table__()

        def bin_name(column):
            location = pool.get('stock.location').__table__()
            return location.select(
                Case((location.code != Null, Concat(Concat(Concat(
                                    '[', location.code), '] '),
                            location.name)),
                    else_=location.name),
                where=location.id == column)
        return [table.type, table.state, table.priority, table.sequence,
            table.product,
            product.select(product.code, where=product.id == table.product),
            lot.select(lot.number, where=lot.id == table.lot),
            table.quantity,
            bin_name(table.from_location), bin_name(table.to_location)]

    @classmethod
    def _device_row(cls, row):
        "The task dict sent to devices from (id, *_device_columns)"
        keys = ['id', 'type', 'state', 'priority', 'sequence', 'product',
            'product_code', 'lot', 'quantity', 'from_location',
            'to_location']
        return dict(zip(keys, row))

    @classmethod
    def _drop_cached(cls, task_id):
        "The row was changed behind the ORM: drop what it cached"
        transaction = Transaction()
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                cache[cls.__name__].pop(task_id, None)

    @classmethod
    def _hold(cls, device, task):
        """Take the row of the task claimed by the device until the end of
        the transaction (its heartbeat is written).  A second completion or
        a requeue running meanwhile waits for it, then fails to serialise
        and is retried, finding the task no longer claimed (PostgreSQL);
        no restart of the transaction is needed as with ``lock``."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.heartbeat_at], [CurrentTimestamp()],
                where=(table.id == task.id) & (table.device == device)
                & table.state.in_(list(CLAIMED_STATES))))
        if cursor.rowcount != 1:
            raise AccessError(gettext('otwb_wms.msg_task_not_claimed',
                    task=task.id, device=device))
        cls._drop_cached(task.id)

    def _device_dict(self):
        # one read of the task with its product, lot and both bins: one
        # query per table and only the columns sent (the locations' full
        # records and their rec_name function field cost more than the
        # claim itself); read as the attributes are: without access checks
        with without_check_access():
            values, = self.read([self.id], [
                    'type', 'state', 'priority', 'sequence', 'product',
                    'product.code', 'lot.number', 'quantity',
                    'from_location.code', 'from_location.name',
                    'to_location.code', 'to_location.name'])

        def bin_name(location):
            # as stock.location's rec_name: "[code] name"
            if not location:
                return None
            if location['code']:
                return '[%s] %s' % (location['code'], location['name'])
            return location['name']
        return {
            'id': self.id,
            'type': values['type'],
            'state': values['state'],
            'priority': values['priority'],
            'sequence': values['sequence'],
            'product': values['product'],
            'product_code': (values.get('product.') or {}).get('code'),
            'lot': (values.get('lot.') or {}).get('number'),
            'quantity': values['quantity'],
            'from_location': bin_name(values.get('from_location.')),
            'to_location': bin_name(values.get('to_location.')),
            }

    @classmethod
    def _device_tasks(cls, device, task_ids):
        if not isinstance(task_ids, (list, tuple)) or not all(
                valid_id(i) for i in task_ids):
            raise AccessError(gettext(
                    'otwb_wms.msg_invalid_task_ids', ids=repr(task_ids)[:100]))
        tasks = cls.browse(task_ids)
        for task in tasks:
            if task.state not in CLAIMED_STATES or task.device != device:
                raise AccessError(gettext(
                        'otwb_wms.msg_task_not_claimed',
                        task=task.id, device=device))
        return tasks

    @classmethod
    def heartbeat(cls, device, task_ids):
        "Keep claimed tasks; the ones not heart-beating go back to the queue"
        cls._check_write_access()
        tasks = cls._device_tasks(device, task_ids)
        cls.write(tasks, {'heartbeat_at': dt.datetime.now()})
        return len(tasks)

    @classmethod
    def complete(cls, device, task_id, quantity=None):
        "Complete a claimed task, moving its stock; returns the task dict"
        cls._check_write_access()
        task, = cls._device_tasks(device, [task_id])
        cls._hold(device, task)
        if quantity is not None:
            if isinstance(quantity, bool) or not isinstance(
                    quantity, (int, float)) or quantity != quantity \
                    or quantity < 0 or (task.type != 'count'
                        and quantity > (task.quantity or 0)):
                raise AccessError(gettext(
                        'otwb_wms.msg_invalid_done_quantity',
                        task=task.id, quantity=repr(quantity)[:40],
                        planned=task.quantity))
        # The device may complete its task; moving the stock, picking and
        # packing the shipment follow as the system's work.
        with without_check_access():
            cls._do([task],
                {task.id: quantity} if quantity is not None else None)
            return cls(task.id)._device_dict()

    @classmethod
    def report_failure(cls, device, task_id, reason):
        cls._check_write_access()
        task, = cls._device_tasks(device, [task_id])
        if not isinstance(reason, str) or not reason.strip():
            reason = 'unspecified'
        # a one-line text: control characters (NUL, which PostgreSQL
        # refuses, among them) become blanks
        reason = ''.join(' ' if c < ' ' or c == '\x7f' else c
            for c in reason[:200])
        # the device may fail its task; what follows (short-pick exception,
        # re-allocation, back-order) is the system's, not the device's
        with without_check_access():
            cls.write([task], {'failure_reason': reason[:200]})
            cls.fail([task])
            cls.report_failed([task])
        return cls(task.id)._device_dict()

    @classmethod
    def requeue_stale(cls, timeout=None):
        "Return to the queue the tasks whose claimer stopped heart-beating"
        timeout = timeout or dt.timedelta(minutes=5)
        limit = dt.datetime.now() - timeout
        stale = cls.search([
                ('state', 'in', list(CLAIMED_STATES)),
                ('heartbeat_at', '<', limit),
                # an operator in the client sends no heartbeat: the task
                # stays theirs until they finish or requeue it
                ('device', 'not like', CLIENT_DEVICE + '%'),
                ])
        if stale:
            cls.requeue(stale)
        return len(stale)


