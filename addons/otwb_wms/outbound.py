# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Outbound: pick strategies by lot (FIFO, FEFO, LIFO) and short picks.

A product (or its category) names the strategy that orders the lots when a
customer shipment reserves stock; Tryton's ``stock.move.assign_try`` then
takes the lots in that order and the pick task names its lot.

A pick completed with less than planned, or failed, raises a warehouse
exception; the warehouse's short pick policy either re-allocates the
missing quantity from other bins/lots (new pick tasks) or back-orders it:
the shipment leaves with what was picked and the rest goes on a new
waiting shipment when the shipment is picked.
"""
import datetime as dt
from collections import defaultdict

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .engine import pickpath

PICK_STRATEGIES = [
    (None, ""),
    ('fifo', "FIFO (first received first)"),
    ('fefo', "FEFO (first expiring first)"),
    ('lifo', "LIFO (last received first)"),
    ]
SHORT_PICK_POLICIES = [
    ('reallocate', "Re-allocate from other bins"),
    ('backorder', "Back-order the rest"),
    ]


def pick_strategy(product):
    "The pick strategy of the product, else of its first category with one"
    template = product.template
    if template.otwb_pick_strategy:
        return template.otwb_pick_strategy
    for category in template.categories or []:
        while category:
            if category.otwb_pick_strategy:
                return category.otwb_pick_strategy
            category = category.parent
    return None


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'

    otwb_pick_strategy = fields.Selection(
        PICK_STRATEGIES, "Pick Strategy",
        help="The order in which lots are picked; empty for the "
        "category's strategy (else Tryton's location order).")


class Category(metaclass=PoolMeta):
    __name__ = 'product.category'

    otwb_pick_strategy = fields.Selection(
        PICK_STRATEGIES, "Pick Strategy",
        help="The order in which the lots of the category's products are "
        "picked, unless the product sets one.")


class Location(metaclass=PoolMeta):
    __name__ = 'stock.location'

    otwb_short_pick_policy = fields.Selection(
        SHORT_PICK_POLICIES, "Short Pick Policy",
        help="What a short pick of the warehouse does: pick the missing "
        "quantity from other bins or lots, or let the shipment leave with "
        "what was picked and back-order the rest.")

    @classmethod
    def default_otwb_short_pick_policy(cls):
        return 'reallocate'


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'

    @classmethod
    def assign_try(
            cls, moves, with_childs=True, grouping=('product',), pblc=None):
        # Moves without lot of products with a pick strategy reserve by lot
        # so that sort_quantities can order the lots.
        if pblc is not None or 'lot' in grouping:
            return super().assign_try(
                moves, with_childs=with_childs, grouping=grouping, pblc=pblc)
        by_lot, others = [], []
        for move in moves:
            if (not move.lot and move.state == 'draft'
                    and pick_strategy(move.product)):
                by_lot.append(move)
            else:
                others.append(move)
        success = True
        if by_lot:
            success &= super().assign_try(
                by_lot, with_childs=with_childs,
                grouping=grouping + ('lot',))
        if others or not by_lot:
            success &= super().assign_try(
                others, with_childs=with_childs, grouping=grouping)
        return success

    def sort_quantities(self, quantities, locations, grouping):
        quantities = super().sort_quantities(quantities, locations, grouping)
        strategy = pick_strategy(self.product)
        if not strategy or 'lot' not in grouping:
            return quantities
        lot_index = grouping.index('lot') + 1
        return self.otwb_sort_lots(
            quantities, strategy, lambda key: key[lot_index])

    @classmethod
    def otwb_sort_lots(cls, quantities, strategy, get_lot):
        """Order the (key, quantity) rows, already in location order, by the
        strategy of their lots (``engine.pickpath.allocate_lots``); lots
        expired today are left out."""
        pool = Pool()
        Lot = pool.get('stock.lot')
        Date = pool.get('ir.date')
        quantities = list(quantities)
        lot_ids = {get_lot(k) for k, _ in quantities} - {None}
        lots = {lot.id: lot for lot in Lot.browse(list(lot_ids))}
        received = cls.otwb_lot_received_dates(list(lot_ids))
        records = []
        for index, (key, qty) in enumerate(quantities):
            lot = lots.get(get_lot(key))
            records.append(pickpath.StockRecord(
                    bin='%09d' % index,
                    lot=lot.number if lot else None,
                    qty=max(qty, 0) or 0,
                    received_date=received.get(lot.id) if lot else None,
                    expiry_date=lot.otwb_expiry_date if lot else None))
        total = sum(r.qty for r in records)
        allocation = pickpath.allocate_lots(
            records, total, strategy, min_expiry_date=Date.today())
        return [quantities[int(a.bin)] for a in allocation.allocations]

    @classmethod
    def otwb_lot_received_dates(cls, lot_ids):
        """The date each lot first entered stock from a supplier or
        production (else the day the lot was created)"""
        pool = Pool()
        Lot = pool.get('stock.lot')
        result = {}
        if not lot_ids:
            return result
        moves = cls.search([
                ('lot', 'in', lot_ids),
                ('state', '=', 'done'),
                ('from_location.type', 'in', ['supplier', 'production']),
                ])
        for move in moves:
            date = move.effective_date
            if date and (move.lot.id not in result
                    or date < result[move.lot.id]):
                result[move.lot.id] = date
        for lot in Lot.browse([i for i in lot_ids if i not in result]):
            result[lot.id] = lot.create_date.date() \
                if lot.create_date else None
        return result


class WarehouseException(ModelSQL, ModelView):
    "Warehouse Exception"
    __name__ = 'otwb.wms.exception'
    __string__ = "Warehouse Exception"

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, readonly=True)
    type = fields.Selection([
            ('short_pick', "Short Pick"),
            ], "Type", required=True, readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    task = fields.Many2One(
        'otwb.wms.task', "Task", readonly=True, ondelete='SET NULL')
    shipment = fields.Many2One(
        'stock.shipment.out', "Shipment", readonly=True,
        ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, readonly=True)
    lot = fields.Many2One('stock.lot', "Lot", readonly=True)
    location = fields.Many2One('stock.location', "Bin", readonly=True)
    planned_quantity = fields.Float(
        "Planned", digits=(16, 4), readonly=True)
    picked_quantity = fields.Float("Picked", digits=(16, 4), readonly=True)
    short_quantity = fields.Float("Short", digits=(16, 4), readonly=True)
    reallocated_quantity = fields.Float(
        "Re-allocated", digits=(16, 4), readonly=True)
    backorder_quantity = fields.Float(
        "Back-ordered", digits=(16, 4), readonly=True)
    policy = fields.Selection(
        SHORT_PICK_POLICIES, "Policy", required=True, readonly=True)
    new_tasks = fields.Many2Many(
        'otwb.wms.exception-otwb.wms.task', 'exception', 'task',
        "New Pick Tasks", readonly=True)
    outgoing_move = fields.Many2One(
        'stock.move', "Outgoing Move", readonly=True, ondelete='SET NULL')
    backorder = fields.Many2One(
        'stock.shipment.out', "Back-order", readonly=True,
        ondelete='SET NULL')
    reason = fields.Char("Reason", readonly=True)
    state = fields.Selection([
            ('open', "Open"),
            ('resolved', "Resolved"),
            ], "State", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def short_pick(cls, tasks):
        """Raise one exception per short pick task (done with less than
        planned, or failed) and apply the warehouse's policy"""
        pool = Pool()
        Move = pool.get('stock.move')
        Task = pool.get('otwb.wms.task')
        ShipmentOut = pool.get('stock.shipment.out')
        now = dt.datetime.now()
        records = []
        for task in Task.browse([t.id for t in tasks]):
            picked = (task.done_quantity or 0) if task.state == 'done' else 0
            short = (task.quantity or 0) - picked
            if short <= 1e-9:
                continue
            policy = (task.warehouse.otwb_short_pick_policy
                or 'reallocate')
            move = task.move
            records.append(cls(
                    company=task.company, warehouse=task.warehouse,
                    type='short_pick', date=now, task=task,
                    shipment=task.shipment.id if isinstance(
                        task.shipment, ShipmentOut) else None,
                    product=task.product, lot=task.lot,
                    location=task.from_location,
                    planned_quantity=task.quantity, picked_quantity=picked,
                    short_quantity=short, reallocated_quantity=0,
                    backorder_quantity=0, policy=policy,
                    outgoing_move=move.origin if move and isinstance(
                        move.origin, Move) else None,
                    reason=task.failure_reason, state='open'))
        cls.save(records)
        for record in records:
            if record.policy == 'reallocate':
                record._reallocate()
            if record.short_quantity - record.reallocated_quantity > 1e-9:
                record.backorder_quantity = round(
                    record.short_quantity - record.reallocated_quantity, 4)
            else:
                record.state = 'resolved'
        cls.save(records)
        return records

    def _reallocate(self):
        """Reserve the short quantity in other bins or lots of the
        warehouse (never the short bin) and create their pick tasks"""
        pool = Pool()
        Move = pool.get('stock.move')
        Product = pool.get('product.product')
        Location = pool.get('stock.location')
        Date = pool.get('ir.date')
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        task = self.task
        if not self.shipment or not task or not task.move:
            return
        shipment = Shipment(self.shipment.id)
        storage = self.warehouse.storage_location
        bins = [loc for loc in Location.search([
                    ('parent', 'child_of', [storage.id]),
                    ('type', '=', 'storage'),
                    ], order=[('id', 'ASC')])
            if loc != self.location]
        if not bins:
            return
        with Transaction().set_context(
                company=self.company.id, stock_assign=True,
                stock_date_end=Date.today()):
            pbl = Product.products_by_location(
                [b.id for b in bins], with_childs=False,
                grouping=('product', 'lot'),
                grouping_filter=([self.product.id],))
        order = {b.id: i for i, b in enumerate(bins)}
        rows = sorted(((k, q) for k, q in pbl.items()
                if q > 0 and k[0] in order),
            key=lambda r: (order[r[0][0]], r[0][2] or 0))
        strategy = pick_strategy(self.product)
        if self.lot and not strategy:
            # the same lot first, then the others
            rows.sort(key=lambda r: r[0][2] != self.lot.id)
        elif strategy:
            rows = Move.otwb_sort_lots(rows, strategy, lambda k: k[2])
        model = task.move
        remaining = self.short_quantity
        moves = []
        for (location_id, _, lot_id), qty in rows:
            if remaining <= 1e-9:
                break
            take = min(qty, remaining)
            remaining -= take
            moves.append(Move(
                    product=model.product, unit=model.unit,
                    quantity=model.unit.round(take),
                    from_location=location_id, to_location=model.to_location,
                    lot=lot_id, company=model.company,
                    planned_date=model.planned_date, origin=model.origin,
                    shipment=shipment, unit_price=model.unit_price,
                    currency=model.currency))
        if not moves:
            return
        Move.save(moves)
        Move.assign_try(moves, with_childs=False)
        assigned = [m for m in Move.browse(moves) if m.state == 'assigned']
        Move.delete([m for m in Move.browse(moves) if m.state == 'draft'])
        if not assigned:
            return
        tasks = Shipment.otwb_create_pick_tasks([Shipment(shipment.id)])
        tasks = [t for t in tasks if t.move in assigned]
        if task.wave and tasks:
            Task.write(tasks, {'wave': task.wave.id})
        self.new_tasks = tasks
        self.reallocated_quantity = round(
            sum(m.quantity for m in assigned), 4)

    @classmethod
    def create_backorders(cls, shipments):
        """Put the back-ordered quantities of the picked shipments on new
        waiting shipments (one per shipment), keeping the origin of the
        outgoing moves (e.g. the sale line)"""
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        records = cls.search([
                ('shipment', 'in', [s.id for s in shipments]),
                ('state', '=', 'open'),
                ('backorder_quantity', '>', 0),
                ('backorder', '=', None),
                ], order=[('id', 'ASC')])
        by_shipment = defaultdict(list)
        for record in records:
            by_shipment[record.shipment].append(record)
        new = []
        for shipment, exceptions in by_shipment.items():
            lines = []
            for record in exceptions:
                model = record.outgoing_move
                if not model:
                    continue
                lines.append({
                        'product': model.product.id, 'unit': model.unit.id,
                        'quantity': model.unit.round(
                            record.backorder_quantity),
                        'from_location': model.from_location.id,
                        'to_location': model.to_location.id,
                        'company': model.company.id,
                        'unit_price': model.unit_price,
                        'currency': model.currency.id
                        if model.currency else None,
                        'origin': str(model.origin) if model.origin
                        else None,
                        'planned_date': model.planned_date,
                        })
            if not lines:
                continue
            default = {name: None for name, field in Shipment._fields.items()
                if field._type in {'one2many', 'many2many'}
                and not isinstance(field, fields.Function)}
            default.update({'number': None, 'effective_date': None,
                    'otwb_wave': None, 'otwb_pick_distance': None})
            backorder, = Shipment.copy([shipment], default)
            Shipment.write([backorder], {
                    'outgoing_moves': [('create', lines)]})
            new.append(backorder)
            cls.write(exceptions, {
                    'backorder': backorder.id, 'state': 'resolved'})
        if new:
            Shipment.wait(new)
        return new


class ExceptionTask(ModelSQL):
    "Warehouse Exception - Task"
    __name__ = 'otwb.wms.exception-otwb.wms.task'

    exception = fields.Many2One(
        'otwb.wms.exception', "Exception", required=True,
        ondelete='CASCADE')
    task = fields.Many2One(
        'otwb.wms.task', "Task", required=True, ondelete='CASCADE')


class Task(metaclass=PoolMeta):
    __name__ = 'otwb.wms.task'

    @classmethod
    def _after_done(cls, tasks):
        pool = Pool()
        Exception_ = pool.get('otwb.wms.exception')
        short = [t for t in tasks if t.type == 'pick'
            and t.done_quantity is not None
            and t.done_quantity < (t.quantity or 0) - 1e-9]
        if short:
            Exception_.short_pick(short)
        super()._after_done(tasks)

    @classmethod
    def fail(cls, tasks):
        "A failed pick is a short pick of its whole quantity"
        pool = Pool()
        Move = pool.get('stock.move')
        Exception_ = pool.get('otwb.wms.exception')
        ShipmentOut = pool.get('stock.shipment.out')
        super().fail(tasks)
        picks = [t for t in cls.browse([t.id for t in tasks])
            if t.type == 'pick' and t.move
            and t.move.state in {'draft', 'assigned'}]
        if not picks:
            return
        Move.cancel([t.move for t in picks])
        Exception_.short_pick(picks)
        shipments = {t.shipment for t in picks
            if isinstance(t.shipment, ShipmentOut)}
        if shipments:
            ShipmentOut.otwb_check_picked(list(shipments))


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    otwb_exceptions = fields.One2Many(
        'otwb.wms.exception', 'shipment', "Warehouse Exceptions",
        readonly=True)

    @classmethod
    def pick(cls, shipments):
        super().pick(shipments)
        Exception_ = Pool().get('otwb.wms.exception')
        Exception_.create_backorders(shipments)

    @classmethod
    def copy(cls, shipments, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('otwb_exceptions', None)
        return super().copy(shipments, default=default)
