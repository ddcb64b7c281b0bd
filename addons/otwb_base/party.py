# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Address(metaclass=PoolMeta):
    __name__ = 'party.address'

    otwb_latitude = fields.Float(
        "Latitude", digits=(9, 6),
        domain=['OR', ('otwb_latitude', '=', None),
            [('otwb_latitude', '>=', -90), ('otwb_latitude', '<=', 90)]])
    otwb_longitude = fields.Float(
        "Longitude", digits=(9, 6),
        domain=['OR', ('otwb_longitude', '=', None),
            [('otwb_longitude', '>=', -180), ('otwb_longitude', '<=', 180)]])
