# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'otwb.configuration'

    bms_service_product = fields.Many2One(
        'product.product', "Billing Service Product",
        domain=[('type', '=', 'service')],
        help="The service product of customer and supplier invoice lines "
        "created from charges; its accounts and taxes apply.")
