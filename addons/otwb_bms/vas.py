# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Value-added services done in the warehouse are billable: a completed
VAS task is one event ``vas:<service code>`` (source the task, so it is
captured once) with its done quantity in the service unit."""
from decimal import Decimal

from trytond.pool import Pool, PoolMeta

# the event quantity of each service unit
VAS_QUANTITIES = {'unit': 'units', 'order': 'orders', 'carton': 'cartons'}


def vas_event(task, date):
    """The billable event of the done VAS task, or None when nothing was
    done.  The customer is the shipment's customer, or the goods owner of
    the ASN line's product."""
    pool = Pool()
    ShipmentOut = pool.get('stock.shipment.out')
    if task.type != 'vas' or task.state != 'done' or not task.vas_service \
            or not task.done_quantity:
        return None
    origin = task.vas_origin
    if isinstance(origin, ShipmentOut):
        customer = origin.customer
    else:
        customer = origin.product.template.bms_goods_owner
    service = task.vas_service
    name = VAS_QUANTITIES[service.unit]
    # orders and cartons are whole numbers, units have 2 decimals
    digits = pool.get('otwb.bms.event')._fields[name].digits[1]
    return {
        'company': task.company.id,
        'source': task,
        'activity': service.activity,
        'date': date,
        'customer': customer.id if customer else None,
        name: Decimal(str(round(task.done_quantity, digits))).quantize(
            Decimal(1).scaleb(-digits)),
        }


class Task(metaclass=PoolMeta):
    __name__ = 'otwb.wms.task'

    @classmethod
    def _after_done(cls, tasks):
        pool = Pool()
        Date = pool.get('ir.date')
        Event = pool.get('otwb.bms.event')
        super()._after_done(tasks)
        # read again: the tasks actually done now
        vas = cls.browse([t.id for t in tasks if t.type == 'vas'])
        if vas:
            today = Date.today()
            Event.capture([v for v in (vas_event(t, today) for t in vas)
                    if v])
