# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta

ABC_CLASSES = [
    (None, ""),
    ('A', "A"),
    ('B', "B"),
    ('C', "C"),
    ]


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'

    otwb_abc_class = fields.Selection(
        ABC_CLASSES, "ABC Class",
        help="A: fast movers kept near the dock; C: slow movers.")
    otwb_units_per_pallet = fields.Integer(
        "Units per Pallet",
        domain=['OR',
            ('otwb_units_per_pallet', '=', None),
            ('otwb_units_per_pallet', '>', 0),
            ],
        help="Each started pallet takes one pallet position of a bin.")


class Lot(metaclass=PoolMeta):
    __name__ = 'stock.lot'

    otwb_coil_number = fields.Char("Coil Number")
    otwb_heat_number = fields.Char("Heat Number")
    otwb_actual_weight = fields.Float(
        "Actual Weight (kg)", digits=(12, 3),
        help="Weighed at receipt (weighbridge or scale).")
    otwb_expiry_date = fields.Date("Expiry Date")
