# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

from trytond.model import Workflow
from trytond.pool import Pool, PoolMeta


class ShipmentOut(metaclass=PoolMeta):
    """Picking and packing a customer shipment are billable outbound
    handling: events *picked* (lines and units picked) and
    *order_handled* (the order packed: orders, lines, units, cartons)"""
    __name__ = 'stock.shipment.out'

    @classmethod
    @Workflow.transition('picked')
    def pick(cls, shipments):
        super().pick(shipments)
        Date = Pool().get('ir.date')
        vlist = []
        for shipment in shipments:
            # the picked quantities: inventory moves, when the warehouse
            # picks in two steps, else the outgoing moves
            moves = [m for m in (shipment.inventory_moves
                    or shipment.outgoing_moves)
                if m.state != 'cancelled' and m.quantity]
            vlist.append({
                    'company': shipment.company.id,
                    'source': shipment,
                    'activity': 'picked',
                    'date': Date.today(),
                    'customer': shipment.customer.id,
                    'lines': Decimal(len(moves)),
                    'units': Decimal(str(sum(m.quantity for m in moves))),
                    })
        Pool().get('otwb.bms.event').capture(vlist)

    @classmethod
    @Workflow.transition('packed')
    def pack(cls, shipments):
        super().pack(shipments)
        Event = Pool().get('otwb.bms.event')
        Date = Pool().get('ir.date')
        vlist = []
        for shipment in shipments:
            moves = [m for m in shipment.outgoing_moves
                if m.state != 'cancelled']
            vlist.append({
                    'company': shipment.company.id,
                    'source': shipment,
                    'activity': 'order_handled',
                    'date': Date.today(),
                    'customer': shipment.customer.id,
                    'orders': Decimal(1),
                    'lines': Decimal(len(moves)),
                    'units': Decimal(str(sum(m.quantity for m in moves))),
                    'cartons': Decimal(len(shipment.packages or [])),
                    })
        Event.capture(vlist)
