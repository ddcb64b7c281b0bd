# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Safety stock and available-to-promise per warehouse; stale claims."""
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import AccessError
from trytond.modules.otwb_base.otwb import searchable
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access


class SafetyStock(ModelSQL, ModelView):
    "Safety Stock"
    __name__ = 'otwb.wms.safety.stock'
    __string__ = "Safety Stock"

    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'warehouse')])
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'goods')])
    quantity = fields.Float(
        "Quantity", required=True, digits=(16, 4),
        domain=[('quantity', '>=', 0)],
        help="Kept back from what is promised to orders.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('warehouse_product_unique', Unique(t, t.warehouse, t.product),
                'otwb_wms.msg_safety_stock_unique'),
            ]
        cls._order.insert(0, ('warehouse', 'ASC'))
        cls.__rpc__.update({
                'available_to_promise': RPC(),
                })

    @classmethod
    def atp(cls, warehouses, products):
        """``{(warehouse id, product id): {'on_hand', 'reserved',
        'safety', 'atp'}}`` with atp = on hand - reserved - safety stock
        (never below 0), in the products' default units."""
        pool = Pool()
        Product = pool.get('product.product')
        Date = pool.get('ir.date')
        storage = {w.storage_location.id: w.id for w in warehouses}
        product_ids = [p.id for p in products]
        result = {}
        if not storage or not product_ids:
            return result
        quantities = {}
        for assign in (False, True):
            with Transaction().set_context(
                    stock_date_end=Date.today(), stock_assign=assign,
                    forecast=False):
                quantities[assign] = Product.products_by_location(
                    list(storage), with_childs=True,
                    grouping_filter=(product_ids,))
        safety = {(s.warehouse.id, s.product.id): s.quantity
            for s in cls.search([
                    ('warehouse', 'in', list(storage.values())),
                    ('product', 'in', product_ids),
                    ])}
        for loc, wh in storage.items():
            for product in product_ids:
                on_hand = quantities[False].get((loc, product), 0)
                available = quantities[True].get((loc, product), 0)
                reserved = max(on_hand - available, 0)
                keep = safety.get((wh, product), 0)
                result[(wh, product)] = {
                    'on_hand': on_hand, 'reserved': reserved,
                    'safety': keep,
                    'atp': max(on_hand - reserved - keep, 0),
                    }
        return result

    @classmethod
    def available_to_promise(cls, warehouses, skus):
        """ATP over RPC: ``warehouses`` and ``skus`` are lists of codes
        (at most 100 and 1000); returns a list of ``{'warehouse', 'sku',
        'on_hand', 'reserved', 'safety', 'atp'}``."""
        pool = Pool()
        Location = pool.get('stock.location')
        Product = pool.get('product.product')
        ModelAccess = pool.get('ir.model.access')
        ModelAccess.check(cls.__name__, 'read')
        for name, value, limit in (('warehouses', warehouses, 100),
                ('skus', skus, 1000)):
            if not isinstance(value, (list, tuple)) or len(value) > limit \
                    or not all(searchable(v) for v in value):
                raise AccessError(gettext(
                        'otwb_wms.msg_atp_invalid_codes', field=name,
                        limit=limit, value=repr(value)[:100]))
        found = Location.search([
                ('code', 'in', list(warehouses)),
                ('type', '=', 'warehouse')])
        by_code = {w.code: w for w in found}
        missing = [c for c in warehouses if c not in by_code]
        products = Product.search([('code', 'in', list(skus))])
        p_by_code = {p.code: p for p in products}
        missing += [c for c in skus if c not in p_by_code]
        if missing:
            raise AccessError(gettext(
                    'otwb_wms.msg_atp_unknown_codes',
                    codes=', '.join(sorted(set(missing)))[:200]))
        # the caller may read the ATP: it is computed over stock moves and
        # periods as the system does
        with without_check_access():
            atp = cls.atp(found, products)
        return [dict(atp[(by_code[w].id, p_by_code[s].id)],
                warehouse=w, sku=s)
            for w in warehouses for s in skus]


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('otwb.wms.task|requeue_stale',
                "Requeue Warehouse Tasks without Heartbeat"))
        cls.method.selection.extend([
                ('otwb.wms.inventory.policy|run_abc',
                    "Compute ABC Classes"),
                ('otwb.wms.inventory.policy|run_counts',
                    "Generate Cycle Count Tasks"),
                ('otwb.wms.pick.face|replenish_all',
                    "Replenish Pick Faces"),
                ])
