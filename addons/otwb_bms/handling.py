# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Billable handling beyond outbound: goods received into a warehouse for
their owner (inbound handling) and customer returns received."""
import math
from decimal import Decimal

from trytond.model import ModelView, Workflow
from trytond.pool import Pool, PoolMeta

RECEIPT = 'receipt'
RETURN = 'return_received'


def receipt_event(source, company, date, lines):
    """The event of a receipt for the owner of its goods (product field
    *Goods Owner*) from ``lines`` [(product, quantity in its default
    unit)]: lines, units, pallets (by units per pallet) and weight
    received.  A receipt whose goods belong to several owners, or to
    none, has no customer: nothing is billed to anyone."""
    from trytond.modules.otwb_wms.putaway import product_measures
    lines = [(p, q) for p, q in lines if q > 0]
    if not lines:
        return None
    owners = {p.template.bms_goods_owner for p, _ in lines}
    owner = owners.pop() if len(owners) == 1 else None
    units = kg = 0.0
    pallets = 0
    for product, quantity in lines:
        units += quantity
        kg += quantity * product_measures(product)[0]
        per_pallet = product.template.otwb_units_per_pallet
        if per_pallet:
            pallets += math.ceil(quantity / per_pallet - 1e-9)
    return {
        'company': company.id,
        'source': source,
        'activity': RECEIPT,
        'date': date,
        'customer': owner.id if owner else None,
        'lines': Decimal(len(lines)),
        'units': Decimal(str(round(units, 2))),
        'pallets': Decimal(pallets),
        'kg': Decimal(str(round(kg, 3))),
        }


class ShipmentIn(metaclass=PoolMeta):
    "Receiving a supplier shipment is billable inbound handling"
    __name__ = 'stock.shipment.in'

    @classmethod
    @ModelView.button
    @Workflow.transition('received')
    def receive(cls, shipments):
        super().receive(shipments)
        Date = Pool().get('ir.date')
        Pool().get('otwb.bms.event').capture([v for v in (
                    receipt_event(s, s.company,
                        s.effective_date or Date.today(),
                        [(m.product, m.internal_quantity)
                            for m in s.incoming_moves
                            if m.state == 'done'])
                    for s in shipments) if v])


class ASN(metaclass=PoolMeta):
    "Receiving an advance shipping notice is billable inbound handling"
    __name__ = 'otwb.wms.asn'

    @classmethod
    @ModelView.button
    @Workflow.transition('received')
    def receive(cls, asns):
        super().receive(asns)
        Date = Pool().get('ir.date')
        Pool().get('otwb.bms.event').capture([v for v in (
                    receipt_event(a, a.company, Date.today(),
                        [(ln.product, ln.quantity_received)
                            for ln in a.lines])
                    for a in asns) if v])


class Return(metaclass=PoolMeta):
    "A customer return received in the warehouse is billable handling"
    __name__ = 'otwb.oms.return'

    @classmethod
    def _received(cls, returns):
        super()._received(returns)
        Date = Pool().get('ir.date')
        received = [r for r in cls.browse([r.id for r in returns])
            if r.state == 'received']
        Pool().get('otwb.bms.event').capture([{
                    'company': rma.company.id,
                    'source': rma,
                    'activity': RETURN,
                    'date': Date.today(),
                    'customer': rma.party.id if rma.party else None,
                    'orders': Decimal(1),
                    'lines': Decimal(len(rma.lines)),
                    'units': Decimal(str(sum(ln.quantity
                                    for ln in rma.lines))),
                    } for rma in received])


class BillableEvent(metaclass=PoolMeta):
    __name__ = 'otwb.bms.event'

    @classmethod
    def get_sources(cls):
        Model = Pool().get('ir.model')
        return super().get_sources() + [
            ('otwb.oms.return', Model.get_name('otwb.oms.return'))]


class BillableEventWMS(metaclass=PoolMeta):
    __name__ = 'otwb.bms.event'

    @classmethod
    def get_sources(cls):
        Model = Pool().get('ir.model')
        return super().get_sources() + [
            ('otwb.wms.asn', Model.get_name('otwb.wms.asn'))]
