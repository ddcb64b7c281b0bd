# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Product handling constraints: goods that ship in a shipment of their
own (see engine.split)."""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'

    otwb_dangerous_goods = fields.Boolean(
        "Dangerous Goods",
        help="Ships apart from goods without this constraint.")
    otwb_oversize = fields.Boolean(
        "Oversize",
        help="Ships apart from goods without this constraint.")
    otwb_cold_chain = fields.Boolean(
        "Cold Chain",
        help="Ships apart from goods without this constraint.")

    @classmethod
    def default_otwb_dangerous_goods(cls):
        return False

    @classmethod
    def default_otwb_oversize(cls):
        return False

    @classmethod
    def default_otwb_cold_chain(cls):
        return False

    @property
    def otwb_split_flags(self):
        "The engine.split flags of the product"
        return {
            'dangerous': bool(self.otwb_dangerous_goods),
            'oversize': bool(self.otwb_oversize),
            'cold': bool(self.otwb_cold_chain),
            }

    @property
    def otwb_unit_weight_kg(self):
        "Weight in kg of one sale unit (product_measurements), 0 if unknown"
        return otwb_weight_kg(self, self.sale_uom)


def otwb_weight_kg(template, unit, quantity=1):
    "Weight in kg of quantity (in unit) of the product template, or 0"
    pool = Pool()
    Uom = pool.get('product.uom')
    ModelData = pool.get('ir.model.data')
    if not template.weight or not template.weight_uom:
        return 0
    kg = Uom(ModelData.get_id('product', 'uom_kilogram'))
    weight = Uom.compute_qty(
        template.weight_uom, template.weight, kg, round=False)
    if unit and unit != template.default_uom:
        # weight is per default unit
        quantity = Uom.compute_qty(
            unit, quantity, template.default_uom, round=False)
    return weight * quantity
