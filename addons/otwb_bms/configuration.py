# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

from trytond.model import fields
from trytond.pool import PoolMeta

from .engine import allocation

ALLOCATION_BASES = [
    ('weight', "Weight"),
    ('volume', "Volume"),
    ('distance_weight', "Distance-weighted (kg × km)"),
    ('value', "Value"),
    ('equal', "Equal Split"),
    ]
assert {b for b, _ in ALLOCATION_BASES} == set(allocation.BASES)


class Configuration(metaclass=PoolMeta):
    __name__ = 'otwb.configuration'

    bms_service_product = fields.Many2One(
        'product.product', "Billing Service Product",
        domain=[('type', '=', 'service')],
        help="The service product of customer and supplier invoice lines "
        "created from charges; its accounts and taxes apply.")
    bms_invoice_grouping = fields.Selection([
            ('charge', "One line per charge"),
            ('charge_type', "One line per charge type"),
            ], "Invoice Lines", required=True,
        help="One invoice line per charge (its origin), or one line per "
        "charge type summing its charges (each charge points to it).")
    bms_accrued_revenue_account = fields.Many2One(
        'account.account', "Accrued Revenue Account",
        domain=[('type', '!=', None), ('closed', '!=', True),
            ('party_required', '=', False)],
        help="Asset account debited by the accrual run for unbilled "
        "revenue.")
    bms_accrued_cost_account = fields.Many2One(
        'account.account', "Accrued Cost Account",
        domain=[('type', '!=', None), ('closed', '!=', True),
            ('party_required', '=', False)],
        help="Liability account credited by the accrual run for costs "
        "not invoiced yet.")
    bms_accrual_journal = fields.Many2One(
        'account.journal', "Accrual Journal",
        help="Journal of the accrual moves and their reversals.")
    bms_allocation_basis = fields.Selection(
        ALLOCATION_BASES, "Trip Cost Allocation Basis", required=True,
        help="How a completed trip's cost is split over its shipments.")
    bms_tolerance_abs = fields.Numeric(
        "Reconciliation Tolerance", digits=(16, 2), required=True,
        help="Absolute difference accepted on a carrier bill line.")
    bms_tolerance_pct = fields.Numeric(
        "Reconciliation Tolerance (%)", digits=(6, 2), required=True,
        help="Relative difference accepted; the larger of the two "
        "tolerances applies.")

    @classmethod
    def default_bms_allocation_basis(cls):
        return 'weight'

    @classmethod
    def default_bms_invoice_grouping(cls):
        return 'charge'

    @classmethod
    def default_bms_tolerance_abs(cls):
        return Decimal('1.00')

    @classmethod
    def default_bms_tolerance_pct(cls):
        return Decimal('1.00')
