# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Transport events on the order timeline (when otwb_tms is activated).

Shipped (trip dispatched) and delivered (proof of delivery) already come
through the customer shipment's transitions; the trip adds 'in_transit'
when it starts and 'exception' when a delivery attempt fails."""
from trytond.model import ModelView, Workflow
from trytond.pool import Pool, PoolMeta


def _add(stops, type_, description=None):
    Event = Pool().get('otwb.oms.order.event')
    for stop in stops:
        if not stop.shipment:
            continue
        sales = stop.shipment.otwb_sales()
        if sales:
            Event.add(sorted(sales, key=lambda s: s.id), type_, source=stop,
                description=description(stop) if description else
                stop.trip.rec_name)


class Trip(metaclass=PoolMeta):
    __name__ = 'otwb.tms.trip'

    @classmethod
    @ModelView.button
    @Workflow.transition('in_transit')
    def start(cls, trips):
        super().start(trips)
        _add([s for t in trips for s in t.stops
                if s.state not in {'delivered', 'failed'}], 'in_transit')


class Stop(metaclass=PoolMeta):
    __name__ = 'otwb.tms.trip.stop'

    @classmethod
    def _on_failed(cls, stops):
        super()._on_failed(stops)
        _add(stops, 'exception', description=lambda s: "%s: %s" % (
                s.rec_name, s.failure_reason or ''))
