# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Cost allocation (分摊): a trip's payable charges split over its
shipments, orders and customers, exactly to the cent."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool

from .configuration import ALLOCATION_BASES
from .engine import allocation


def _d(value):
    return Decimal(str(value or 0))


class CostAllocation(ModelSQL, ModelView):
    "Trip Cost Allocation"
    __name__ = 'otwb.bms.allocation'
    __string__ = "Cost Allocation"

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    charge = fields.Many2One(
        'otwb.bms.charge', "Payable Charge", required=True, readonly=True,
        ondelete='CASCADE')
    trip = fields.Many2One(
        'otwb.tms.trip', "Trip", required=True, readonly=True,
        ondelete='CASCADE')
    stop = fields.Many2One(
        'otwb.tms.trip.stop', "Stop", readonly=True, ondelete='SET NULL')
    shipment = fields.Many2One(
        'stock.shipment.out', "Shipment", readonly=True)
    order = fields.Reference(
        "Order", selection='get_orders', readonly=True)
    customer = fields.Many2One('party.party', "Customer", readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    charge_type = fields.Char("Charge Type", readonly=True)
    basis = fields.Selection(
        ALLOCATION_BASES, "Basis", required=True, readonly=True)
    basis_quantity = fields.Numeric(
        "Basis Quantity", digits=(16, 4), readonly=True)
    amount = fields.Numeric(
        "Amount", digits=(16, 2), required=True, readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.trip, Index.Equality())),
                Index(t, (t.charge, Index.Equality())),
                })
        cls._order = [('date', 'DESC'), ('trip', 'ASC'), ('id', 'ASC')]

    @classmethod
    def get_orders(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        try:
            pool.get('sale.sale')
        except KeyError:
            return [(None, '')]
        return [(None, ''), ('sale.sale', Model.get_name('sale.sale'))]

    @staticmethod
    def _order_of(shipment):
        for move in shipment.outgoing_moves:
            origin = getattr(move, 'origin', None)
            sale = getattr(origin, 'sale', None)
            if sale is not None and origin.__name__ == 'sale.line':
                return str(sale)
        return None

    @classmethod
    def _items(cls, trip, basis):
        "Allocation items of the trip's stops with a shipment"
        items = []
        km = Decimal(0)
        for stop in sorted(trip.stops, key=lambda s: (s.sequence, s.id)):
            km += _d(stop.distance_from_previous)
            shipment = stop.shipment
            if not shipment:
                continue
            value = sum((_d(m.quantity) * (m.unit_price or Decimal(0))
                    for m in shipment.outgoing_moves
                    if m.state != 'cancelled'), Decimal(0))
            items.append(allocation.AllocationItem(
                    key=stop, kg=_d(stop.weight), m3=_d(stop.volume),
                    km=km, value=value))
        return items

    @classmethod
    def allocate(cls, charges, basis=None):
        """Allocate payable charges of trip events over the trip's
        shipments with ``basis`` (default: the configuration); returns the
        allocation lines.  Charges already allocated are skipped."""
        pool = Pool()
        Config = pool.get('otwb.configuration')
        Trip = pool.get('otwb.tms.trip')
        basis = basis or Config(1).bms_allocation_basis
        done = {a.charge.id for a in cls.search([
                    ('charge', 'in', [c.id for c in charges])])}
        lines = []
        for charge in charges:
            source = charge.event.source
            if (charge.kind != 'payable' or charge.id in done
                    or not isinstance(source, Trip)):
                continue
            items = cls._items(source, basis)
            if not items:
                continue
            try:
                parts = allocation.allocate_items(
                    charge.amount, items, basis,
                    digits=charge.currency.digits)
            except ValueError as exc:
                raise ValidationError(gettext(
                        'otwb_bms.msg_allocation_failed',
                        charge=charge.rec_name, trip=source.rec_name,
                        basis=basis, error=str(exc))) from exc
            weights = allocation.item_weights(items, basis)
            for (stop, amount), weight in zip(parts, weights, strict=True):
                shipment = stop.shipment
                lines.append(cls(
                        company=charge.company, charge=charge, trip=source,
                        stop=stop, shipment=shipment,
                        order=cls._order_of(shipment),
                        customer=shipment.customer, date=charge.date,
                        charge_type=charge.charge_type, basis=basis,
                        basis_quantity=Decimal(weight).quantize(
                            Decimal('0.0001')),
                        amount=amount, currency=charge.currency))
        cls.save(lines)
        return lines
