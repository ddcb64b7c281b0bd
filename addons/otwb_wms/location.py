# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta

from .engine import layout

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

    @classmethod
    def otwb_layout(cls, warehouse):
        """The engine layout rebuilt from the bins of the warehouse.

        Returns ``(layout, bins)`` where ``bins`` maps the engine bin code
        (the location id as text) to the location, or ``(None, {})`` when
        the warehouse has no bin with an aisle.  Aisles are ordered by
        their number; an aisle's centre line is the mean ``otwb_x`` of its
        bins when every aisle has one and they increase, else 4 m apart.
        A bin's position along the aisle is ``otwb_y`` or 1.2 m per bay.
        """
        storage = warehouse.storage_location
        if not storage:
            return None, {}
        locations = cls.search([
                ('parent', 'child_of', [storage.id]),
                ('otwb_aisle', '!=', None),
                ], order=[('id', 'ASC')])
        if not locations:
            return None, {}
        aisles = sorted({loc.otwb_aisle for loc in locations})
        index = {a: i for i, a in enumerate(aisles)}
        xs = {}
        for loc in locations:
            if loc.otwb_x is not None:
                xs.setdefault(loc.otwb_aisle, []).append(loc.otwb_x)
        aisle_xs = None
        if set(xs) == set(aisles):
            means = [sum(xs[a]) / len(xs[a]) for a in aisles]
            if all(b - a > 1e-6 for a, b in zip(means, means[1:])):
                aisle_xs = means
        bins = []
        for loc in locations:
            y = loc.otwb_y
            if y is None:
                y = (loc.otwb_bay or 0) * 1.2
            bins.append(layout.Bin(
                    code=str(loc.id), aisle=index[loc.otwb_aisle],
                    y=float(y), level=max(loc.otwb_level or 1, 1),
                    bay=loc.otwb_bay or 0, zone=loc.otwb_zone_type or '',
                    capacity_volume_m3=max(loc.otwb_capacity_volume or 0, 0),
                    capacity_weight_kg=max(loc.otwb_capacity_weight or 0, 0),
                    pallet_positions=max(loc.otwb_capacity_pallets or 0, 0)))
        return (layout.Layout.from_bins(bins, aisle_xs=aisle_xs),
            {str(loc.id): loc for loc in locations})
