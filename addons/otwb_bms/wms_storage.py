# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Daily storage snapshots of the warehouses, billed per goods owner.

Once a day (cron) the stock of each warehouse's bins is summed per goods
owner (the customer owning the product): pallet positions, m³ and bins
occupied.  Each (customer, warehouse, date) gets one snapshot and one
billable event with activity ``storage`` rated by the storage lines of
the rate cards (per pallet-day, m³-day or bin-day).
"""
import math
from collections import defaultdict
from decimal import Decimal

from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'

    bms_goods_owner = fields.Many2One(
        'party.party', "Goods Owner", ondelete='RESTRICT',
        help="The customer who owns the goods in the warehouse and pays "
        "their storage.")


class StorageSnapshot(ModelSQL, ModelView):
    "Storage Snapshot"
    __name__ = 'otwb.bms.storage.snapshot'
    __string__ = "Storage Snapshot"

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, readonly=True,
        domain=[('type', '=', 'warehouse')])
    customer = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True)
    units = fields.Numeric("Units", digits=(16, 2), readonly=True)
    pallets = fields.Numeric("Pallets", digits=(16, 0), readonly=True,
        help="Pallet positions: each product in a bin takes its quantity "
        "divided by its units per pallet, rounded up.")
    m3 = fields.Numeric("Volume (m³)", digits=(16, 4), readonly=True)
    bins = fields.Integer("Bins", readonly=True)
    event = fields.Function(
        fields.Many2One('otwb.bms.event', "Billable Event"), 'get_event')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('customer_warehouse_date_unique',
                Unique(t, t.company, t.customer, t.warehouse, t.date),
                'otwb_bms.msg_storage_snapshot_unique'),
            ]
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    def get_event(self, name):
        Event = Pool().get('otwb.bms.event')
        events = Event.search([
                ('source', '=', str(self)), ('activity', '=', 'storage')],
            limit=1)
        return events[0].id if events else None

    @classmethod
    def take_daily(cls):
        "Cron: today's snapshot of every warehouse"
        return cls.take()

    @classmethod
    def take(cls, date=None, warehouses=None):
        """Take the snapshots of the warehouses (all by default) for the
        date (today by default) not taken yet, and capture their billable
        events; returns the new snapshots."""
        pool = Pool()
        Location = pool.get('stock.location')
        Date = pool.get('ir.date')
        Event = pool.get('otwb.bms.event')
        company_id = Transaction().context.get('company')
        if not company_id:
            return []
        date = date or Date.today()
        if warehouses is None:
            warehouses = Location.search([('type', '=', 'warehouse')],
                order=[('id', 'ASC')])
        existing = {(s.customer.id, s.warehouse.id) for s in cls.search([
                    ('company', '=', company_id),
                    ('date', '=', date),
                    ('warehouse', 'in', [w.id for w in warehouses]),
                    ])}
        vlist = []
        for warehouse in warehouses:
            for customer_id, values in sorted(
                    cls._occupation(warehouse, date).items()):
                if (customer_id, warehouse.id) in existing:
                    continue
                values.update({
                        'company': company_id, 'date': date,
                        'warehouse': warehouse.id,
                        'customer': customer_id,
                        })
                vlist.append(values)
        snapshots = cls.create(vlist) if vlist else []
        Event.capture([{
                    'company': s.company.id, 'source': s,
                    'activity': 'storage', 'date': s.date,
                    'customer': s.customer.id,
                    'pallets': s.pallets, 'm3': s.m3,
                    'units': s.units, 'bms_bins': Decimal(s.bins),
                    'days': Decimal(1),
                    } for s in snapshots])
        return snapshots

    @classmethod
    def _occupation(cls, warehouse, date):
        """{customer id: {'units', 'pallets', 'm3', 'bins'}} of the goods
        in the storage bins of the warehouse at the end of the date"""
        pool = Pool()
        Location = pool.get('stock.location')
        Product = pool.get('product.product')
        from trytond.modules.otwb_wms.putaway import product_measures
        storage = warehouse.storage_location
        if not storage:
            return {}
        bins = Location.search([
                ('parent', 'child_of', [storage.id]),
                ('type', '=', 'storage'),
                ])
        if not bins:
            return {}
        with Transaction().set_context(stock_date_end=date):
            pbl = Product.products_by_location(
                [b.id for b in bins], with_childs=False,
                grouping=('product',))
        quantities = {k: q for k, q in pbl.items() if q > 0}
        products = {p.id: p for p in Product.browse(
                list({k[1] for k in quantities}))}
        result = defaultdict(lambda: {
                'units': 0.0, 'pallets': 0, 'm3': 0.0, 'bins': set()})
        measures = {}
        for (location_id, product_id), qty in sorted(quantities.items()):
            product = products[product_id]
            owner = product.template.bms_goods_owner
            if not owner:
                continue
            if product_id not in measures:
                measures[product_id] = product_measures(product)
            values = result[owner.id]
            values['units'] += qty
            per_pallet = product.template.otwb_units_per_pallet
            if per_pallet:
                values['pallets'] += math.ceil(qty / per_pallet - 1e-9)
            values['m3'] += qty * measures[product_id][1]
            values['bins'].add(location_id)
        return {c: {
                'units': Decimal(str(round(v['units'], 2))),
                'pallets': Decimal(v['pallets']),
                'm3': Decimal(str(round(v['m3'], 4))),
                'bins': len(v['bins']),
                } for c, v in result.items()}


class BillableEvent(metaclass=PoolMeta):
    __name__ = 'otwb.bms.event'

    bms_bins = fields.Numeric("Bins", digits=(16, 0), readonly=True)

    @classmethod
    def get_sources(cls):
        Model = Pool().get('ir.model')
        return super().get_sources() + [(
                'otwb.bms.storage.snapshot',
                Model.get_name('otwb.bms.storage.snapshot'))]

    def to_engine(self):
        event = super().to_engine()
        event.bins = self.bms_bins
        return event


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('otwb.bms.storage.snapshot|take_daily',
                "Take the Daily Storage Snapshots"))


