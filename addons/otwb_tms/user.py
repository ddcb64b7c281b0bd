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


def user_carrier():
    "Id of the carrier of the current user, or None"
    from trytond.pool import Pool
    from trytond.transaction import Transaction, without_check_access
    user = Transaction().user
    if not user:
        return None
    with without_check_access():
        carrier = Pool().get('res.user')(user).otwb_carrier
    return carrier.id if carrier else None


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        # record rules of the integration users: their carrier's trips
        context['otwb_carrier'] = user_carrier()
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        return super()._get_cache_key(model_names) + (user_carrier(),)
