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
            # the carrier chosen for the shipment ("Select Carrier") is
            # paid for it by its payable rate card, at the service level
            # it was priced at
            carrier = shipment.otwb_carrier
            service = shipment.otwb_carrier_service
            vlist.append({
                    'company': shipment.company.id,
                    'source': shipment,
                    'activity': 'shipment_delivered',
                    'date': Date.today(),
                    'customer': shipment.customer.id,
                    'carrier': carrier.party.id if carrier else None,
                    'service_level': service.service_level if service
                    else None,
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

    @classmethod
    def _on_failed(cls, stops):
        "A failed delivery attempt is billable (once per stop)"
        super()._on_failed(stops)
        Pool().get('otwb.bms.event').capture(
            [_stop_event(s, 'delivery_failed', units=Decimal(1))
                for s in stops])

    @classmethod
    def _capture_waiting(cls, stops):
        """Waiting before the delivery window opened, in minutes
        (``units``), billable once per stop"""
        vlist = []
        for stop in stops:
            minutes = stop.get_actual_waiting_minutes()
            if minutes > 0:
                vlist.append(_stop_event(stop, 'stop_waiting',
                        units=_d(minutes, '0.01')))
        return Pool().get('otwb.bms.event').capture(vlist)


def _stop_event(stop, activity, **quantities):
    "Billable event values of a stop: customer, carrier, destination"
    Date = Pool().get('ir.date')
    shipment = stop.shipment
    trip = stop.trip
    address = shipment.delivery_address
    carrier = trip.carrier or trip.vehicle.carrier
    when = stop.departed_at or stop.delivered_at or stop.arrived_at
    values = {
        'company': shipment.company.id,
        'source': stop,
        'activity': activity,
        'date': when.date() if when else Date.today(),
        'customer': shipment.customer.id,
        'carrier': carrier.party.id if carrier else None,
        'mode': trip.vehicle.mode,
        'dest_country': address.country.code
        if address and address.country else None,
        'dest_subdivision': address.subdivision.code
        if address and address.subdivision else None,
        'dest_postal_code': address.postal_code if address else None,
        }
    values.update(quantities)
    return values


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
        Pool().get('otwb.tms.trip.stop')._capture_waiting(
            [s for t in trips for s in t.stops])
        if events:
            Charge = Pool().get('otwb.bms.charge')
            Allocation = Pool().get('otwb.bms.allocation')
            Allocation.allocate(Charge.search([
                        ('event', 'in', [e.id for e in events]),
                        ('kind', '=', 'payable'),
                        ]))
