# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Heavy and bulk goods: weighbridge tickets at receipt and dispatch.

A loaded vehicle is weighed (gross) and weighed empty (tare); the net
weight, in the unit of the product (e.g. tonnes of coal), becomes the
received quantity of the ASN line or the picked quantity of the pick task
loading the vehicle.
"""
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction


class WeighbridgeError(ValidationError):
    pass


class WeighbridgeTicket(Workflow, ModelSQL, ModelView):
    "Weighbridge Ticket"
    __name__ = 'otwb.wms.weighbridge.ticket'
    __string__ = "Weighbridge Ticket"

    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True,
        domain=[('type', '=', 'warehouse')], states=_states)
    direction = fields.Selection([
            ('in', "Receipt"),
            ('out', "Dispatch"),
            ], "Direction", required=True, states=_states)
    vehicle = fields.Char("Vehicle", states=_states,
        help="Truck plate or wagon number.")
    gross_weight = fields.Float(
        "Gross Weight (kg)", digits=(12, 1), required=True, states=_states)
    tare_weight = fields.Float(
        "Tare Weight (kg)", digits=(12, 1), required=True, states=_states)
    net_weight = fields.Function(fields.Float(
            "Net Weight (kg)", digits=(12, 1)), 'on_change_with_net_weight')
    asn_line = fields.Many2One(
        'otwb.wms.asn.line', "ASN Line", states={
            'readonly': Eval('state') != 'draft',
            'invisible': Eval('direction') != 'in',
            })
    task = fields.Many2One(
        'otwb.wms.task', "Pick Task", domain=[('type', '=', 'pick')],
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': Eval('direction') != 'out',
            })
    quantity = fields.Float("Quantity", digits=(16, 3), readonly=True,
        help="The net weight in the unit of the product.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Done"),
            ], "State", required=True, readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._transitions |= {('draft', 'done')}
        cls._buttons.update({
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_direction(cls):
        return 'in'

    @fields.depends('gross_weight', 'tare_weight')
    def on_change_with_net_weight(self, name=None):
        if self.gross_weight is None or self.tare_weight is None:
            return None
        return round(self.gross_weight - self.tare_weight, 1)

    @property
    def product(self):
        if self.direction == 'in' and self.asn_line:
            return self.asn_line.product
        if self.direction == 'out' and self.task:
            return self.task.product

    def get_rec_name(self, name):
        return '%s %s' % (self.vehicle or '', self.id)

    def _net_quantity(self):
        "The net weight in the default unit of the product"
        pool = Pool()
        Uom = pool.get('product.uom')
        ModelData = pool.get('ir.model.data')
        kg = Uom(ModelData.get_id('product', 'uom_kilogram'))
        if not (self.gross_weight > self.tare_weight >= 0):
            raise WeighbridgeError(gettext(
                    'otwb_wms.msg_weighbridge_weights',
                    ticket=self.rec_name, gross=self.gross_weight,
                    tare=self.tare_weight))
        document = self.asn_line if self.direction == 'in' else self.task
        if not document:
            raise WeighbridgeError(gettext(
                    'otwb_wms.msg_weighbridge_document',
                    ticket=self.rec_name))
        unit = self.product.default_uom
        if unit.category != kg.category:
            raise WeighbridgeError(gettext(
                    'otwb_wms.msg_weighbridge_unit',
                    ticket=self.rec_name, product=self.product.rec_name,
                    unit=unit.rec_name))
        return Uom.compute_qty(kg, self.net_weight, unit)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def confirm(cls, tickets):
        """Receipt: the net weight is the received quantity of the ASN
        line.  Dispatch: the net weight is what the pick task loaded."""
        pool = Pool()
        Line = pool.get('otwb.wms.asn.line')
        Task = pool.get('otwb.wms.task')
        for ticket in tickets:
            quantity = ticket._net_quantity()
            ticket.quantity = quantity
            if ticket.direction == 'in':
                line = ticket.asn_line
                if line.asn.state != 'draft':
                    raise WeighbridgeError(gettext(
                            'otwb_wms.msg_weighbridge_asn_state',
                            ticket=ticket.rec_name, asn=line.asn.rec_name))
                line.received_quantity = quantity
                if line.lot_number or line.coil_number:
                    line.actual_weight = ticket.net_weight
                Line.save([line])
            else:
                task = ticket.task
                if task.state not in {'assigned', 'in_progress'}:
                    raise WeighbridgeError(gettext(
                            'otwb_wms.msg_weighbridge_task_state',
                            ticket=ticket.rec_name, task=task.id,
                            state=task.state))
                if quantity > (task.quantity or 0) + 1e-9:
                    raise WeighbridgeError(gettext(
                            'otwb_wms.msg_weighbridge_overload',
                            ticket=ticket.rec_name, quantity=quantity,
                            planned=task.quantity))
                # the weighed load is the quantity to pick: no short pick
                Task.write([task], {'quantity': quantity})
                Task._do([Task(task.id)], {task.id: quantity})
        cls.save(tickets)
