# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta

from .engine import cartonize


class PackageType(metaclass=PoolMeta):
    __name__ = 'stock.package.type'

    otwb_max_weight = fields.Float(
        "Maximum Gross Weight (kg)", digits=(10, 3),
        domain=['OR',
            ('otwb_max_weight', '=', None),
            ('otwb_max_weight', '>', 0),
            ],
        help="The heaviest the box may be once packed, its own weight "
        "included. Empty means no limit.")
    otwb_cartonize = fields.Boolean(
        "Cartonization",
        help="Offer this box type to automatic packing.")

    @classmethod
    def default_otwb_cartonize(cls):
        return True

    def otwb_box_type(self):
        """The engine box type (inner cm, kg) or None when the type has no
        complete dimensions."""
        pool = Pool()
        Uom = pool.get('product.uom')
        ModelData = pool.get('ir.model.data')
        cm = Uom(ModelData.get_id('product', 'uom_centimeter'))
        kg = Uom(ModelData.get_id('product', 'uom_kilogram'))
        dims = []
        for name in ('length', 'width', 'height'):
            value, unit = getattr(self, name), getattr(self, name + '_uom')
            if not value or not unit or value <= 0:
                return None
            dims.append(Uom.compute_qty(unit, value, cm, round=False))
        tare = 0.0
        if self.packaging_weight and self.packaging_weight_uom:
            tare = Uom.compute_qty(
                self.packaging_weight_uom, self.packaging_weight, kg,
                round=False)
        max_weight = self.otwb_max_weight or 1e9
        if max_weight <= tare:
            return None
        return cartonize.BoxType(
            code=str(self.id), length_cm=dims[0], width_cm=dims[1],
            height_cm=dims[2], max_weight_kg=max_weight,
            tare_weight_kg=tare)


class Package(metaclass=PoolMeta):
    __name__ = 'stock.package'

    otwb_fill_rate = fields.Float(
        "Fill Rate", digits=(3, 3), readonly=True,
        help="Volume of the goods over the inner volume of the box, set by "
        "cartonization.")
