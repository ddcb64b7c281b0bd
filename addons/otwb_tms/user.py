# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Integration users of a carrier."""
from trytond.model import fields
from trytond.pool import PoolMeta


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    otwb_carrier = fields.Many2One(
        'carrier', "Transport Carrier",
        help="For an integration user: the carrier it posts tracking "
        "events for; it reaches only that carrier's trips. Empty: only "
        "own-fleet trips.")
