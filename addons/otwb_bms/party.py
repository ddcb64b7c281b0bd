# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    bms_currency = fields.Many2One(
        'currency.currency', "Billing Currency",
        help="Currency of the invoices of charges to this party; empty: "
        "the company currency for customers, the rate card currency for "
        "carriers.")
