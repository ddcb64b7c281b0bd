# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Putaway rules (first match) and putaway planning into bins."""
import math
from collections import defaultdict

from trytond.model import (
    MatchMixin,
    ModelSQL,
    ModelView,
    fields,
    sequence_ordered,
)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .engine import putaway
from .location import ZONE_TYPES
from .product import ABC_CLASSES
from .task import OPEN_STATES

STRATEGIES = [
    ('fixed', "Fixed Bin"),
    ('consolidate', "Consolidate with the Same Product"),
    ('nearest_empty', "Nearest Empty Bin"),
    ('heavy_low', "Heavy Goods on Low Levels"),
    ]
LOT_ATTRIBUTES = [
    (None, ""),
    ('lot', "Any Lot"),
    ('coil_number', "Coil Number"),
    ('heat_number', "Heat Number"),
    ('expiry_date', "Expiry Date"),
    ('actual_weight', "Actual Weight"),
    ]


class PutawayRule(sequence_ordered(), MatchMixin, ModelSQL, ModelView):
    "Putaway Rule"
    __name__ = 'otwb.wms.putaway.rule'
    _history = True  # audit trail: who changed what, when

    warehouse = fields.Many2One(
        'stock.location', "Warehouse", ondelete='CASCADE',
        domain=[('type', '=', 'warehouse')],
        help="Empty for every warehouse.")
    product = fields.Many2One(
        'product.product', "Product", ondelete='CASCADE')
    category = fields.Many2One(
        'product.category', "Category", ondelete='CASCADE',
        help="Matches the products of the category and its children.")
    abc_class = fields.Selection(ABC_CLASSES, "ABC Class")
    lot_attribute = fields.Selection(
        LOT_ATTRIBUTES, "Lot Attribute",
        help="Matches when the received lot has this attribute.")
    zone_type = fields.Selection(
        ZONE_TYPES, "Zone",
        help="Only bins of this zone; empty for any zone.")
    strategy = fields.Selection(STRATEGIES, "Strategy", required=True)
    fixed_bin = fields.Many2One(
        'stock.location', "Fixed Bin", ondelete='CASCADE',
        domain=[('type', '=', 'storage')],
        states={
            'required': Eval('strategy') == 'fixed',
            'invisible': Eval('strategy') != 'fixed',
            })
    allow_split = fields.Boolean(
        "Allow Split", help="Spread the quantity over several bins.")
    heavy_threshold = fields.Float(
        "Heavy from (kg/unit)", digits=(10, 2), required=True,
        help="Units at least this heavy only go to floor-level bins.")

    @classmethod
    def default_strategy(cls):
        return 'consolidate'

    @classmethod
    def default_allow_split(cls):
        return True

    @classmethod
    def default_heavy_threshold(cls):
        return 25.0

    def match(self, pattern, match_none=False):
        pattern = pattern.copy()
        categories = pattern.pop('categories', [])
        if self.category and self.category.id not in categories:
            return False
        attributes = pattern.pop('lot_attributes', set())
        if self.lot_attribute and self.lot_attribute not in attributes:
            return False
        return super().match(pattern, match_none=match_none)

    @classmethod
    def get_rule(cls, warehouse, product, lot=None):
        "The first rule matching the product (and lot) in the warehouse"
        pool = Pool()
        Category = pool.get('product.category')
        categories = set()
        if product.categories:
            categories = {c.id for c in Category.search([
                        ('parent', 'parent_of',
                            [c.id for c in product.categories]),
                        ])}
        attributes = set()
        if lot:
            attributes.add('lot')
            for name in ('coil_number', 'heat_number', 'expiry_date',
                    'actual_weight'):
                if getattr(lot, 'otwb_' + name, None):
                    attributes.add(name)
        pattern = {
            'warehouse': warehouse.id,
            'product': product.id,
            'abc_class': abc_class(warehouse, product),
            'categories': categories,
            'lot_attributes': attributes,
            }
        for rule in cls.search([]):
            if rule.match(pattern):
                return rule


def abc_class(warehouse, product):
    """The ABC class computed for the product in the warehouse, else the
    one set on the product"""
    ABCClass = Pool().get('otwb.wms.abc.class')
    return (ABCClass.get_class(warehouse, product)
        or product.template.otwb_abc_class)


def product_measures(product):
    "(unit weight kg, unit volume m³) of one default unit of the product"
    pool = Pool()
    Uom = pool.get('product.uom')
    ModelData = pool.get('ir.model.data')
    kg = Uom(ModelData.get_id('product', 'uom_kilogram'))
    m = Uom(ModelData.get_id('product', 'uom_meter'))
    weight = 0.0
    if product.default_uom.category == kg.category:
        weight = Uom.compute_qty(product.default_uom, 1, kg, round=False)
    elif product.weight and product.weight_uom:
        weight = Uom.compute_qty(
            product.weight_uom, product.weight, kg, round=False)
    volume = 0.0
    dims = []
    for name in ('length', 'width', 'height'):
        value = getattr(product, name, None)
        unit = getattr(product, name + '_uom', None)
        if value and unit:
            dims.append(Uom.compute_qty(unit, value, m, round=False))
    if len(dims) == 3:
        volume = dims[0] * dims[1] * dims[2]
    return weight, volume


def bin_states(warehouse, zone_type=None):
    """Engine bin states of the warehouse bins with their load: the stock
    in them plus the open putaway/move tasks going to them.

    Returns ``(states, bins)`` with ``bins`` mapping code to location."""
    pool = Pool()
    Location = pool.get('stock.location')
    Product = pool.get('product.product')
    Task = pool.get('otwb.wms.task')
    Date = pool.get('ir.date')
    lay, bins = Location.otwb_layout(warehouse)
    if lay is None:
        return [], {}
    ids = [loc.id for loc in bins.values()]
    with Transaction().set_context(
            stock_date_end=Date.today(), with_childs=False):
        quantities = Product.products_by_location(ids, with_childs=False)
    load = defaultdict(lambda: defaultdict(float))
    for (loc_id, product_id), qty in quantities.items():
        if qty:
            load[loc_id][product_id] += qty
    for task in Task.search([
                ('to_location', 'in', ids),
                ('type', 'in', ['putaway', 'move', 'replenish']),
                ('state', 'in', list(OPEN_STATES)),
                ]):
        if task.product and task.quantity:
            load[task.to_location.id][task.product.id] += task.quantity
    products = {p.id: p for p in Product.browse(
            list({p for d in load.values() for p in d}))}
    measures = {i: product_measures(p) for i, p in products.items()}
    codes = list(bins)
    distances = lay.distances_from(lay.depot, codes)
    states = []
    for code, distance in zip(codes, distances):
        loc = bins[code]
        used_w = used_v = 0.0
        pallets = 0
        held = set()
        for product_id, qty in load[loc.id].items():
            if qty <= 0:
                continue
            held.add(product_id)
            weight, volume = measures[product_id]
            used_w += weight * qty
            used_v += volume * qty
            per_pallet = products[product_id].template.otwb_units_per_pallet
            if per_pallet:
                pallets += math.ceil(qty / per_pallet - 1e-9)
        states.append(putaway.BinState(
                code=code, zone=loc.otwb_zone_type or '',
                level=max(loc.otwb_level or 1, 1),
                x=loc.otwb_x or 0.0, y=loc.otwb_y or 0.0,
                capacity_volume_m3=max(loc.otwb_capacity_volume or 0, 0),
                capacity_weight_kg=max(loc.otwb_capacity_weight or 0, 0),
                pallet_positions=max(loc.otwb_capacity_pallets or 0, 0),
                used_volume_m3=used_v, used_weight_kg=used_w,
                used_pallets=pallets, products=frozenset(held),
                heavy_allowed=(loc.otwb_level or 1) <= 1,
                distance_m=float(distance)))
    return states, bins


def plan(warehouse, product, quantity, lot=None):
    """Plan the putaway of quantity (whole units) of product: returns
    ``(rule, [(bin location, quantity)], unplaced, reason)``."""
    pool = Pool()
    Rule = pool.get('otwb.wms.putaway.rule')
    rule = Rule.get_rule(warehouse, product, lot)
    strategy = rule.strategy if rule else 'consolidate'
    states, bins = bin_states(warehouse)
    if not states:
        return rule, [], quantity, 'warehouse has no bins'
    weight, volume = product_measures(product)
    if lot and lot.otwb_actual_weight and quantity:
        weight = lot.otwb_actual_weight / quantity
    # bulk goods (tonnes, litres...) are placed as one lump
    factor = 1
    if abs(quantity - round(quantity)) > 1e-9:
        factor = quantity
        weight, volume = weight * quantity, volume * quantity
    item = putaway.PutawayItem(
        product_id=product.id, qty=int(round(quantity / factor)),
        unit_weight_kg=weight, unit_volume_m3=volume,
        units_per_pallet=product.template.otwb_units_per_pallet,
        abc_class=abc_class(warehouse, product))
    fixed = str(rule.fixed_bin.id) if rule and rule.fixed_bin else None
    if strategy == 'fixed' and fixed not in bins:
        return rule, [], quantity, 'fixed bin is not a bin of the layout'
    result = putaway.plan_putaway(
        item, states, strategy,
        zone=(rule.zone_type if rule and rule.zone_type else None),
        fixed_bin=fixed,
        allow_split=rule.allow_split if rule else True,
        heavy_threshold_kg=rule.heavy_threshold if rule else 25.0)
    lines = [(bins[line.bin], line.qty * factor) for line in result.lines]
    return rule, lines, result.unplaced_qty * factor, result.reason
