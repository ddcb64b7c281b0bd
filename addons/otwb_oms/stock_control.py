# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Safety stock and the allocation guard per warehouse and product.

Allocation promises ``on hand - reserved - safety stock`` (Tryton's
``products_by_location`` with ``stock_assign`` gives on hand minus the
assigned outgoing moves; the safety stock is the ``safety_quantity`` of the
warehouse/product control row).

Two concurrent allocations of the last units must not both succeed.  Tryton
runs PostgreSQL transactions in REPEATABLE READ: each allocation sees the
stock of its snapshot, and ``stock.move.assign_try`` only locks the moves
that existed at that snapshot, so a reservation committed by another worker
meanwhile stays invisible and both could reserve the same units.  The guard
uses Tryton 8's transaction locks: the allocation locks the control rows of
the (warehouse, product) pairs whose availability is tight
(``ModelSQL.lock``); the first time, Tryton aborts the transaction and the
task queue (or the RPC dispatcher) starts it again with those rows locked
(``SELECT ... FOR UPDATE NOWAIT``) *before* its snapshot is taken.  The
snapshot then holds every reservation committed by an earlier holder of the
lock, and a concurrent allocation of the same pair waits for this one (its
lock fails, it is retried).  Only the pairs an allocation takes stock
from are guarded: not using a warehouse because the snapshot shows it short
can under-promise, never oversell.

"Tight" means ``available - allocated < contention threshold`` (OMS
configuration, default 1,000 units): above it, an oversell would need other
workers to reserve more than the threshold during one transaction, so the
popular products of a peak day do not serialise their allocations.  A
threshold of ``None`` guards every allocation.

Within one transaction (a batch of orders) the quantities already allocated
are subtracted from what later orders of the batch see, until the batch's
shipments are reserved.
"""
import weakref
from collections import defaultdict
from decimal import Decimal

from sql import Conflict, Literal
from sql.functions import CurrentTimestamp
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# per transaction: {(warehouse id, product id): quantity allocated}
_allocated = weakref.WeakKeyDictionary()
# per transaction: {(warehouse id, product id): on hand - reserved}
_stock = weakref.WeakKeyDictionary()


class StockControl(ModelSQL, ModelView):
    "Stock Allocation Control"
    __string__ = "Stock Allocation Control"
    __name__ = 'otwb.oms.stock.control'

    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'warehouse')])
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')
    safety_quantity = fields.Float(
        "Safety Stock", required=True,
        domain=[('safety_quantity', '>=', 0)],
        help="Quantity (in the product's default unit) that allocation "
        "never promises.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('warehouse_product_unique', Unique(t, t.warehouse, t.product),
                'otwb_oms.msg_stock_control_unique'),
            ]
        cls._order = [
            ('product', 'ASC'), ('warehouse', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_safety_quantity(cls):
        return 0


    @classmethod
    def safety(cls, warehouse_ids, product_ids):
        "Safety quantity per (warehouse id, product id) with one"
        if not warehouse_ids or not product_ids:
            return {}
        return {(c.warehouse.id, c.product.id): Decimal(
                    str(c.safety_quantity))
            for c in cls.search([
                    ('warehouse', 'in', list(warehouse_ids)),
                    ('product', 'in', list(product_ids)),
                    ('safety_quantity', '>', 0),
                    ])}

    @classmethod
    def allocated(cls):
        "Quantities allocated in this transaction, not yet reserved"
        return _allocated.setdefault(Transaction(), defaultdict(Decimal))

    @classmethod
    def record_allocation(cls, quantities):
        "Add {(warehouse id, product id): quantity} to this transaction's"
        allocated = cls.allocated()
        for key, quantity in quantities.items():
            allocated[key] += Decimal(str(quantity))

    @classmethod
    def forget_stock(cls):
        "Read the stock again at the next allocation of this transaction"
        _stock.pop(Transaction(), None)

    @classmethod
    def reserved(cls):
        "The shipments of this transaction's allocations are reserved"
        _allocated.pop(Transaction(), None)
        _stock.pop(Transaction(), None)

    @classmethod
    def guard(cls, pairs):
        """Hold the locks of the (warehouse id, product id) pairs.

        Raises Tryton's transaction lock error the first time: the caller
        (task queue, RPC dispatcher) restarts the transaction with the rows
        locked before its snapshot."""
        transaction = Transaction()
        if not pairs or not transaction.database.has_select_for():
            # SQLite: one writer at a time, the snapshot is the database
            return
        # records created by this transaction are invisible to the others:
        # nobody else can allocate them (and the guard rows, committed
        # apart, could not reference them)
        new_products = set(transaction.create_records['product.product'])
        new_locations = set(transaction.create_records['stock.location'])
        pairs = sorted({(w, p) for w, p in pairs
                if p not in new_products and w not in new_locations})
        if not pairs:
            return
        table = cls.__table__()
        condition = Literal(False)
        for warehouse, product in pairs:
            condition |= ((table.warehouse == warehouse)
                & (table.product == product))
        cursor = transaction.connection.cursor()
        cursor.execute(*table.select(table.id, where=condition))
        ids = {r[0] for r in cursor}
        if len(ids) < len(pairs):
            # rows must exist (committed) to be locked
            with transaction.new_transaction() as new:
                cursor = new.connection.cursor()
                cursor.execute(*table.insert(
                        [table.warehouse, table.product,
                            table.safety_quantity, table.create_uid,
                            table.create_date],
                        [[w, p, 0, transaction.user, CurrentTimestamp()]
                            for w, p in pairs],
                        on_conflict=Conflict(table, indexed_columns=[
                                table.warehouse, table.product])))
                cursor.execute(*table.select(table.id, where=condition))
                ids = {r[0] for r in cursor}
                new.commit()
        cls.lock(cls.browse(sorted(ids)))

    @classmethod
    def guard_allocation(cls, available, allocated):
        """Guard the pairs an allocation takes {(warehouse id, product id):
        quantity} from, when what it leaves is below the contention
        threshold (see the module docstring)"""
        pool = Pool()
        Config = pool.get('otwb.configuration')
        threshold = Config(1).oms_contention_threshold
        tight = [key for key, quantity in allocated.items()
            if quantity > 0 and (threshold is None
                or available.get(key, Decimal(0)) - quantity
                < Decimal(str(threshold)))]
        cls.guard(tight)


class Configuration(metaclass=PoolMeta):
    __name__ = 'otwb.configuration'

    oms_contention_threshold = fields.Float(
        "Allocation Contention Threshold",
        help="Allocations of a product whose net availability after the "
        "order is below this quantity are serialised between workers; "
        "empty: always.")

    @classmethod
    def default_oms_contention_threshold(cls):
        return 1000


def net_availability(warehouses, product_ids):
    """Net available quantity per (warehouse id, product id): on hand minus
    reserved minus safety stock minus this transaction's allocations"""
    pool = Pool()
    Product = pool.get('product.product')
    Date = pool.get('ir.date')
    Control = pool.get('otwb.oms.stock.control')
    storage = {w.storage_location.id: w.id for w in warehouses}
    product_ids = list(product_ids)
    # on hand - reserved, read once per transaction until its
    # allocations are reserved (the tally covers what it took meanwhile)
    cache = _stock.setdefault(Transaction(), {})
    missing = [p for p in product_ids
        if any((w, p) not in cache for w in storage.values())]
    if missing:
        with Transaction().set_context(
                stock_date_end=Date.today(), stock_assign=True,
                forecast=False):
            quantities = Product.products_by_location(
                list(storage), with_childs=True,
                grouping_filter=(missing,))
        for warehouse in storage.values():
            for product in missing:
                cache[warehouse, product] = Decimal(0)
        for (loc, product), qty in quantities.items():
            cache[storage[loc], product] = Decimal(str(qty))
    available = {(w, p): cache[w, p]
        for w in storage.values() for p in product_ids}
    safety = Control.safety(storage.values(), product_ids)
    allocated = Control.allocated()
    for key in set(available) | set(safety) | set(allocated):
        if key[0] not in storage.values() or key[1] not in product_ids:
            continue
        available[key] = max(Decimal(0), available.get(key, Decimal(0))
            - safety.get(key, Decimal(0)) - allocated.get(key, Decimal(0)))
    return available
