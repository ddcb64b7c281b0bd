# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Customer delivery windows and transport configuration."""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import PoolMeta
from trytond.pyson import Eval

DISTANCE_PROVIDERS = [
    ('great_circle', "Great-circle x Circuity"),
    ('osrm', "OSRM Server"),
    ]


def check_window(record, start, end, where):
    "Raise when a delivery window ends before it starts"
    if start is not None and end is not None and end <= start:
        raise ValidationError(gettext(
                'otwb_tms.msg_delivery_window_order',
                record=where, start=start, end=end))


class Address(metaclass=PoolMeta):
    __name__ = 'party.address'

    otwb_delivery_from = fields.Time(
        "Deliver From",
        help="Earliest time of the day the customer receives deliveries.")
    otwb_delivery_to = fields.Time(
        "Deliver To",
        help="Latest time of the day a delivery may start.")
    otwb_service_minutes = fields.Float(
        "Service Time (min)", digits=(6, 1),
        domain=['OR', ('otwb_service_minutes', '=', None),
            ('otwb_service_minutes', '>=', 0)],
        help="Minutes spent at the address to unload; empty: 10.")

    @classmethod
    def validate_fields(cls, addresses, field_names):
        super().validate_fields(addresses, field_names)
        if field_names & {'otwb_delivery_from', 'otwb_delivery_to'}:
            for address in addresses:
                check_window(address, address.otwb_delivery_from,
                    address.otwb_delivery_to, address.rec_name)


class Configuration(metaclass=PoolMeta):
    __name__ = 'otwb.configuration'

    tms_distance_provider = fields.Selection(
        DISTANCE_PROVIDERS, "Distance Provider", required=True,
        help="Where trip planning takes road distances and driving times "
        "from.")
    tms_osrm_url = fields.Char(
        "OSRM Server URL",
        states={
            'required': Eval('tms_distance_provider') == 'osrm',
            'invisible': Eval('tms_distance_provider') != 'osrm',
            },
        help="Root of an OSRM server, e.g. http://osrm.local:5000; its "
        "table service gives the distances and durations.")
    tms_osrm_fallback = fields.Boolean(
        "Fall Back to Great-circle",
        states={'invisible': Eval('tms_distance_provider') != 'osrm'},
        help="When the OSRM server cannot be reached, plan with "
        "great-circle distances instead of failing.")

    @classmethod
    def default_tms_distance_provider(cls):
        return 'great_circle'

    @classmethod
    def default_tms_osrm_fallback(cls):
        return False
