# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Value-added services (labelling, gift wrapping, kitting, relabelling,
quality inspection, …): service types edited by administrators and
warehouse tasks of type ``vas`` on a customer shipment or an ASN line.

A VAS task is claimed and completed like any other task; it moves no
stock.  Its quantity is counted in the unit of its service: units, orders
or cartons.  Billing (otwb_bms) turns a completed VAS task into one
billable event ``vas:<service code>``."""
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin,
    ModelSQL,
    ModelView,
    Unique,
    fields,
)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

VAS_UNITS = [
    ('unit', "Per Unit"),
    ('order', "Per Order"),
    ('carton', "Per Carton"),
    ]
VAS_ORIGINS = [
    (None, ''),
    ('stock.shipment.out', "Customer Shipment"),
    ('otwb.wms.asn.line', "ASN Line"),
    ]


class VASError(ValidationError):
    pass


class VASService(DeactivableMixin, ModelSQL, ModelView):
    "Value-Added Service"
    __name__ = 'otwb.wms.vas.service'
    __string__ = "Value-Added Service"

    code = fields.Char(
        "Code", required=True, strip=True,
        help="Short code without spaces; billing rates the service as "
        "activity \"vas:<code>\".")
    name = fields.Char("Name", required=True, translate=True)
    unit = fields.Selection(
        VAS_UNITS, "Unit", required=True,
        help="What a VAS task counts and billing charges for: units, "
        "orders or cartons.")
    before_packing = fields.Boolean(
        "Before Packing", states={'invisible': Eval('unit') == 'carton'},
        help="Its tasks on a customer shipment must be done (or cancelled) "
        "before the shipment is packed: gift wrapping, labelling or "
        "kitting of the goods. Carton services are done on the packed "
        "cartons and never hold packing.")
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'otwb_wms.msg_vas_service_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_unit(cls):
        return 'unit'

    @classmethod
    def default_before_packing(cls):
        return True

    @fields.depends('unit')
    def on_change_unit(self):
        if self.unit == 'carton':
            self.before_packing = False

    def get_rec_name(self, name):
        return '[%s] %s' % (self.code, self.name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('code', operator, operand, *extra),
            ('name', operator, operand, *extra),
            ]

    @classmethod
    def validate_fields(cls, services, field_names):
        super().validate_fields(services, field_names)
        if 'code' in field_names:
            for service in services:
                if not service.code or any(
                        c.isspace() for c in service.code):
                    raise VASError(gettext(
                            'otwb_wms.msg_vas_service_code',
                            code=repr(service.code)))

    @property
    def activity(self):
        "The billable activity of the service"
        return 'vas:%s' % self.code


class Task(metaclass=PoolMeta):
    __name__ = 'otwb.wms.task'

    _vas_states = {
        'invisible': Eval('type') != 'vas',
        'required': Eval('type') == 'vas',
        'readonly': Eval('state') != 'pending',
        }
    vas_service = fields.Many2One(
        'otwb.wms.vas.service', "Service", ondelete='RESTRICT',
        states=_vas_states)
    vas_origin = fields.Reference(
        "Service For", selection=VAS_ORIGINS, states=_vas_states,
        help="The customer shipment or ASN line the service is done on.")
    vas_unit = fields.Function(
        fields.Selection([(None, '')] + VAS_UNITS, "Service Unit",
            states={'invisible': Eval('type') != 'vas'}),
        'on_change_with_vas_unit')
    del _vas_states

    @fields.depends('vas_service')
    def on_change_with_vas_unit(self, name=None):
        return self.vas_service.unit if self.vas_service else None

    @fields.depends('type', 'vas_service', 'vas_origin', 'company',
        'warehouse', 'product', 'quantity')
    def on_change_vas_origin(self):
        if self.type != 'vas' or not self.vas_origin \
                or getattr(self.vas_origin, 'id', -1) < 0:
            return
        for name, value in self._vas_values(
                self.vas_origin, self.vas_service).items():
            if value is not None:
                setattr(self, name, value)

    on_change_vas_service = on_change_vas_origin

    @classmethod
    def _vas_values(cls, origin, service):
        """The task values of a service on ``origin`` (a customer shipment
        or an ASN line): warehouse, company, product, document and the
        default quantity in the service unit (None when it is not known:
        cartons of an ASN line, or of a shipment not packed yet)."""
        pool = Pool()
        ShipmentOut = pool.get('stock.shipment.out')
        unit = service.unit if service else None
        if isinstance(origin, ShipmentOut):
            moves = [m for m in origin.outgoing_moves
                if m.state != 'cancelled']
            products = {m.product for m in moves}
            quantity = {
                'unit': sum(m.quantity for m in moves),
                'order': 1,
                'carton': len(origin.packages or []) or None,
                }.get(unit)
            return {
                'company': origin.company,
                'warehouse': origin.warehouse,
                'product': products.pop() if len(products) == 1 else None,
                'shipment': origin,
                'quantity': quantity,
                }
        asn = origin.asn
        quantity = {
            'unit': origin.quantity_received,
            'order': 1,
            }.get(unit)
        return {
            'company': asn.company,
            'warehouse': asn.warehouse,
            'product': origin.product,
            'lot': origin.lot,
            'shipment': asn,
            'quantity': quantity,
            }

    @classmethod
    def create_vas(cls, origin, service, quantity=None, priority=None):
        """Create the pending VAS task of ``service`` on ``origin`` (a
        customer shipment or an ASN line), ``quantity`` in the service
        unit (by default the shipment's units or the line's received
        units, 1 per order, the shipment's packages)."""
        values = cls._vas_values(origin, service)
        if quantity is not None:
            values['quantity'] = quantity
        task = cls(type='vas', vas_service=service, vas_origin=origin,
            **values)
        if priority is not None:
            task.priority = priority
        task.save()
        return task

    @classmethod
    def validate_fields(cls, tasks, field_names):
        super().validate_fields(tasks, field_names)
        if not {'type', 'vas_service', 'quantity'} & set(field_names):
            return
        # the service and its origin are required by the fields' states
        for task in tasks:
            if task.type == 'vas' and task.vas_service and (
                    task.quantity is None or task.quantity <= 0):
                raise VASError(gettext(
                        'otwb_wms.msg_vas_task_quantity', task=task.id,
                        service=task.vas_service.rec_name,
                        quantity=task.quantity,
                        unit=task.vas_service.unit))
