# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta

ZONE_TYPES = [
    (None, ""),
    ('receiving', "Receiving"),
    ('bulk', "Bulk"),
    ('pick_face', "Pick Face"),
    ('cold', "Cold"),
    ('hazardous', "Hazardous"),
    ('packing', "Packing"),
    ('shipping', "Shipping"),
    ]


class Location(metaclass=PoolMeta):
    __name__ = 'stock.location'

    otwb_zone_type = fields.Selection(
        ZONE_TYPES, "Zone Type",
        help="The warehouse zone this location belongs to.")
    otwb_aisle = fields.Integer("Aisle")
    otwb_bay = fields.Integer("Bay")
    otwb_level = fields.Integer(
        "Level", help="1 is the floor level.")
    otwb_x = fields.Float("X (m)", digits=(10, 2))
    otwb_y = fields.Float("Y (m)", digits=(10, 2))
    otwb_capacity_volume = fields.Float(
        "Capacity Volume (m³)", digits=(10, 3))
    otwb_capacity_weight = fields.Float(
        "Capacity Weight (kg)", digits=(10, 1))
    otwb_capacity_pallets = fields.Integer("Capacity Pallets")
    otwb_latitude = fields.Float(
        "Latitude", digits=(9, 6),
        help="Geographic position of a warehouse, used by transport.")
    otwb_longitude = fields.Float("Longitude", digits=(9, 6))
