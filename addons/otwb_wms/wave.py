# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Wave rules and waves: ready shipments grouped for batch picking."""
import datetime as dt

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import (
    MatchMixin,
    ModelSQL,
    ModelView,
    Workflow,
    fields,
    sequence_ordered,
)
from trytond.modules.otwb_base.otwb import OfficeDocument
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, PYSONEncoder
from trytond.report import Report
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateView, Wizard

from .engine import waves
from .putaway import product_measures
from .task import valid_id


class WaveRule(sequence_ordered(), MatchMixin, ModelSQL, ModelView):
    "Wave Rule"
    __name__ = 'otwb.wms.wave.rule'
    _history = True  # audit trail: who changed what, when

    name = fields.Char("Name", required=True)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", ondelete='CASCADE',
        domain=[('type', '=', 'warehouse')],
        help="Empty for every warehouse.")
    group_by_carrier = fields.Boolean("Group by Carrier")
    group_by_cutoff = fields.Boolean("Group by Cut-off")
    group_by_zone = fields.Boolean(
        "Group by Zone", help="A wave is picked in one set of zones.")
    cutoff_time = fields.Time(
        "Cut-off Time",
        help="Time of the planned day by which the shipments must leave.")
    max_lines = fields.Integer("Maximum Lines",
        domain=['OR', ('max_lines', '=', None), ('max_lines', '>', 0)])
    max_units = fields.Float("Maximum Units", digits=(16, 2),
        domain=['OR', ('max_units', '=', None), ('max_units', '>', 0)])
    max_volume = fields.Float("Maximum Volume (m³)", digits=(16, 3),
        domain=['OR', ('max_volume', '=', None), ('max_volume', '>', 0)])
    max_shipments = fields.Integer("Maximum Shipments",
        domain=['OR', ('max_shipments', '=', None),
            ('max_shipments', '>', 0)])

    @classmethod
    def default_group_by_carrier(cls):
        return True

    @classmethod
    def default_group_by_cutoff(cls):
        return True

    @classmethod
    def get_rule(cls, warehouse):
        for rule in cls.search([]):
            if rule.match({'warehouse': warehouse.id}):
                return rule

    @property
    def limits(self):
        return waves.WaveLimits(
            max_lines=self.max_lines, max_units=self.max_units,
            max_volume_m3=self.max_volume, max_shipments=self.max_shipments)


class Wave(Workflow, ModelSQL, ModelView):
    "Wave"
    __name__ = 'otwb.wms.wave'
    __string__ = "Wave"

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, readonly=True,
        domain=[('type', '=', 'warehouse')])
    rule = fields.Many2One('otwb.wms.wave.rule', "Rule", readonly=True)
    release_sequence = fields.Integer("Release Order", readonly=True)
    cutoff = fields.DateTime("Cut-off", readonly=True)
    carrier = fields.Char("Carrier", readonly=True)
    zones = fields.Char("Zones", readonly=True)
    shipments = fields.One2Many(
        'stock.shipment.out', 'otwb_wave', "Shipments", readonly=True)
    tasks = fields.One2Many('otwb.wms.task', 'wave', "Tasks", readonly=True)
    lines = fields.Integer("Lines", readonly=True)
    units = fields.Float("Units", digits=(16, 2), readonly=True)
    volume = fields.Float("Volume (m³)", digits=(16, 3), readonly=True)
    oversize = fields.Boolean("Oversize", readonly=True,
        help="A single shipment above the limits of the rule.")
    pick_distance = fields.Float(
        "Pick Path (m)", digits=(10, 1), readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('released', "Released"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('release_sequence', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('draft', 'released'),
            ('released', 'done'),
            ('draft', 'cancelled'),
            }
        cls._buttons.update({
                'release': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })
        cls.__rpc__.update({
                'plan_warehouse': RPC(readonly=False),
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    def get_rec_name(self, name):
        return 'W%s' % self.id

    @classmethod
    def ready_shipments(cls, warehouse):
        "Reserved shipments of the warehouse with pending picks, no wave"
        Shipment = Pool().get('stock.shipment.out')
        return [s for s in Shipment.search([
                    ('warehouse', '=', warehouse.id),
                    ('state', '=', 'assigned'),
                    ('otwb_wave', '=', None),
                    ], order=[('id', 'ASC')])
            if any(t.type == 'pick' and t.state == 'pending'
                for t in s.otwb_tasks)]

    @classmethod
    def plan_warehouse(cls, warehouse_id):
        """Group the ready shipments of the warehouse into draft waves with
        ``engine.waves.plan_waves`` under the first matching wave rule;
        returns the wave ids in release order."""
        pool = Pool()
        Location = pool.get('stock.location')
        ModelAccess = pool.get('ir.model.access')
        ModelAccess.check(cls.__name__, 'create')
        warehouses = Location.search([
                ('id', '=', warehouse_id),
                ('type', '=', 'warehouse'),
                ]) if valid_id(warehouse_id) else []
        if not warehouses:
            raise UserError(gettext(
                    'otwb_wms.msg_invalid_warehouse_id',
                    value=repr(warehouse_id)[:60]))
        # the caller may create waves: planning reads the wave rules,
        # shipments and tasks as the system does
        with without_check_access():
            return [w.id for w in cls.plan(warehouses[0])]

    @classmethod
    def plan(cls, warehouse):
        pool = Pool()
        Rule = pool.get('otwb.wms.wave.rule')
        Shipment = pool.get('stock.shipment.out')
        rule = Rule.get_rule(warehouse)
        shipments = cls.ready_shipments(warehouse)
        if not shipments:
            return []
        inputs = []
        measures = {}
        for shipment in shipments:
            tasks = [t for t in shipment.otwb_tasks
                if t.type == 'pick' and t.state == 'pending']
            volume = 0.0
            for task in tasks:
                if task.product.id not in measures:
                    measures[task.product.id] = product_measures(
                        task.product)
                volume += measures[task.product.id][1] * (task.quantity or 0)
            carrier = getattr(shipment, 'carrier', None)
            cutoff = None
            if rule and rule.cutoff_time and shipment.planned_date:
                cutoff = dt.datetime.combine(
                    shipment.planned_date, rule.cutoff_time)
            inputs.append(waves.WaveShipment(
                    id=shipment.id,
                    carrier=carrier.rec_name if carrier else None,
                    cutoff=cutoff,
                    zones=frozenset(t.from_location.otwb_zone_type or ''
                        for t in tasks if t.from_location),
                    lines=len(tasks),
                    units=sum(t.quantity or 0 for t in tasks),
                    volume_m3=volume))
        planned = waves.plan_waves(
            inputs, rule.limits if rule else waves.WaveLimits(),
            group_by_carrier=rule.group_by_carrier if rule else True,
            group_by_cutoff=rule.group_by_cutoff if rule else True,
            group_by_zone=rule.group_by_zone if rule else False)
        last = cls.search([('warehouse', '=', warehouse.id)],
            order=[('release_sequence', 'DESC')], limit=1)
        offset = last[0].release_sequence or 0 if last else 0
        records = [cls(
                company=shipments[0].company, warehouse=warehouse,
                rule=rule, release_sequence=offset + w.sequence,
                cutoff=w.cutoff, carrier=w.carrier,
                zones=', '.join(sorted(z for z in w.zones if z)),
                lines=w.lines, units=w.units, volume=round(w.volume_m3, 3),
                oversize=w.oversize)
            for w in planned]
        cls.save(records)
        to_write = []
        for record, w in zip(records, planned):
            to_write.extend((Shipment.browse(w.shipment_ids),
                    {'otwb_wave': record.id}))
        if to_write:
            Shipment.write(*to_write)
        return records

    @classmethod
    @ModelView.button
    @Workflow.transition('released')
    def release(cls, records):
        """Batch the pending pick tasks of the wave's shipments and number
        them along one optimised pick path"""
        Task = Pool().get('otwb.wms.task')
        for wave in records:
            tasks = Task.search([
                    ('shipment', 'in', [str(s) for s in wave.shipments]),
                    ('type', '=', 'pick'),
                    ('state', '=', 'pending'),
                    ])
            if tasks:
                Task.write(tasks, {'wave': wave.id})
            distance = Task.sequence_path(tasks, wave.warehouse)
            cls.write([wave], {'pick_distance': round(distance, 1)})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, records):
        Shipment = Pool().get('stock.shipment.out')
        shipments = [s for w in records for s in w.shipments]
        if shipments:
            Shipment.write(shipments, {'otwb_wave': None})

    @classmethod
    @Workflow.transition('done')
    def done(cls, records):
        pass

    @classmethod
    def check_done(cls, records):
        """Done when no task of the wave is open (a failed pick is closed:
        its shortage went to an exception, a re-allocation or a
        back-order)"""
        to_do = [w for w in cls.browse([r.id for r in records])
            if w.state == 'released' and all(
                t.state in {'done', 'cancelled', 'failed'}
                for t in w.tasks)]
        if to_do:
            cls.done(to_do)


class PlanWavesStart(ModelView):
    "Plan Waves"
    __name__ = 'otwb.wms.wave.plan.start'
    __string__ = "Plan Waves"

    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True,
        domain=[('type', '=', 'warehouse')],
        help="Its reserved shipments with pending picks and no wave are "
        "grouped into draft waves by the first matching wave rule.")

    @classmethod
    def default_warehouse(cls):
        Location = Pool().get('stock.location')
        warehouse = Transaction().context.get('warehouse')
        if warehouse:
            return warehouse
        warehouses = Location.search([('type', '=', 'warehouse')], limit=2)
        if len(warehouses) == 1:
            return warehouses[0].id


class PlanWaves(Wizard):
    "Plan Waves"
    __name__ = 'otwb.wms.wave.plan'

    start = StateView('otwb.wms.wave.plan.start',
        'otwb_wms.wave_plan_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Plan", 'plan', 'tryton-ok', default=True),
            ])
    plan = StateAction('otwb_wms.act_wave')

    def do_plan(self, action):
        Wave = Pool().get('otwb.wms.wave')
        # the wizard is for warehouse operators (action groups): planning
        # reads rules, shipments and tasks as the system does
        with without_check_access():
            waves = Wave.plan(self.start.warehouse)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', 'in', [w.id for w in waves])])
        action['name'] += ' (%s)' % self.start.warehouse.rec_name
        return action, {}


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    otwb_wave = fields.Many2One(
        'otwb.wms.wave', "Wave", readonly=True, ondelete='SET NULL')




class PickList(OfficeDocument, Report):
    "Pick List"
    __name__ = 'otwb.wms.wave.pick_list'

    @classmethod
    def lines(cls, wave):
        """The pick tasks of the wave in pick-path order; a draft wave has
        no batch yet: the pending picks of its shipments, by bin"""
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        tasks = [t for t in wave.tasks
            if t.type == 'pick' and t.state != 'cancelled']
        if tasks:
            return sorted(tasks, key=lambda t: (
                    t.sequence is None, t.sequence or 0, t.id))
        if not wave.shipments:
            return []
        tasks = Task.search([
                ('shipment', 'in', [str(s) for s in wave.shipments]),
                ('type', '=', 'pick'),
                ('state', '!=', 'cancelled'),
                ])
        return sorted(tasks, key=lambda t: (
                t.from_location.rec_name if t.from_location else '\uffff',
                t.id))

    @classmethod
    def unit(cls, task):
        if task.move:
            return task.move.unit
        return task.product.default_uom if task.product else None

    @classmethod
    def get_context(cls, records, header, data):
        Date = Pool().get('ir.date')
        context = super().get_context(records, header, data)
        context['lines'] = cls.lines
        context['unit'] = cls.unit
        context['today'] = Date.today()
        return context
