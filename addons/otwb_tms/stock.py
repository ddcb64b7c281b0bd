# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    otwb_stops = fields.One2Many(
        'otwb.tms.trip.stop', 'shipment', "Trip Stops", readonly=True)

    @property
    def otwb_weight_kg(self):
        "Gross weight in kg: packages when packed, else the moves"
        Uom = Pool().get('product.uom')
        kg = Uom(Pool().get('ir.model.data').get_id('product', 'uom_kilogram'))
        weight = self.packages_weight if self.packages else self.weight
        unit = self.weight_uom
        if weight is None or unit is None:
            return 0.0
        return Uom.compute_qty(unit, weight, kg, round=False)

    @property
    def otwb_volume_m3(self):
        Uom = Pool().get('product.uom')
        m3 = Uom(Pool().get('ir.model.data').get_id(
                'product', 'uom_cubic_meter'))
        volume = self.packages_volume if self.packages else self.volume
        unit = self.volume_uom
        if volume is None or unit is None:
            return 0.0
        return Uom.compute_qty(unit, volume, m3, round=False)
