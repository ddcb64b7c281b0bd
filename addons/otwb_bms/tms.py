# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Transport operations that are billable: deliveries and trips."""
from decimal import Decimal

from trytond.pool import Pool, PoolMeta


def _d(value, digits='0.001'):
    return Decimal(str(value or 0)).quantize(Decimal(digits))


class Stop(metaclass=PoolMeta):
    __name__ = 'otwb.tms.trip.stop'

    @classmethod
    def _on_delivered(cls, stops):
        super()._on_delivered(stops)
        Event = Pool().get('otwb.bms.event')
        Date = Pool().get('ir.date')
        vlist = []
        for stop in stops:
            shipment = stop.shipment
            address = shipment.delivery_address
            warehouse_address = shipment.warehouse.address
            vlist.append({
                    'company': shipment.company.id,
                    'source': shipment,
                    'activity': 'shipment_delivered',
                    'date': Date.today(),
                    'customer': shipment.customer.id,
                    'mode': stop.trip.vehicle.mode,
                    'origin_country': warehouse_address.country.code
                    if warehouse_address and warehouse_address.country
                    else None,
                    'dest_country': address.country.code
                    if address.country else None,
                    'dest_subdivision': address.subdivision.code
                    if address.subdivision else None,
                    'dest_postal_code': address.postal_code,
                    'kg': _d(stop.weight),
                    'm3': _d(stop.volume, '0.0001'),
                    'km': _d(stop.distance_from_previous, '0.01'),
                    })
        Event.capture(vlist)


class Trip(metaclass=PoolMeta):
    __name__ = 'otwb.tms.trip'

    @classmethod
    def _on_completed(cls, trips):
        super()._on_completed(trips)
        Event = Pool().get('otwb.bms.event')
        vlist = []
        for trip in trips:
            carrier = trip.carrier or trip.vehicle.carrier
            vlist.append({
                    'company': trip.company.id,
                    'source': trip,
                    'activity': 'trip_completed',
                    'date': trip.date,
                    'carrier': carrier.party.id if carrier else None,
                    'mode': trip.vehicle.mode,
                    'kg': _d(trip.load_weight),
                    'm3': _d(trip.load_volume, '0.0001'),
                    'km': _d(trip.distance, '0.01'),
                    'orders': Decimal(len(trip.stops)),
                    })
        events = Event.capture(vlist)
        if events:
            Charge = Pool().get('otwb.bms.charge')
            Allocation = Pool().get('otwb.bms.allocation')
            Allocation.allocate(Charge.search([
                        ('event', 'in', [e.id for e in events]),
                        ('kind', '=', 'payable'),
                        ]))
