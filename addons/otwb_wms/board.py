# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The task board: the warehouse tasks counted by zone and state (an SQL
view built by ``table_query``, read-only), for the operators' board."""
from sql import Literal
from sql.aggregate import Min, Sum
from sql.conditionals import Case, Coalesce
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.otwb_base.otwb import audit_columns
from trytond.pool import Pool
from trytond.transaction import Transaction

from .location import ZONE_TYPES
from .task import TASK_TYPES

NO_ZONE = 'none'
BOARD_STATES = ['pending', 'assigned', 'in_progress', 'failed']


class TaskBoard(ModelSQL, ModelView):
    """Open and failed warehouse tasks per warehouse, zone and type, one
    column per state.  The zone is the task's (see ``Task.zone``); tasks
    whose bins have no zone are on the row "No Zone"."""
    __name__ = 'otwb.wms.task.board'
    __string__ = "Task Board by Zone"

    company = fields.Many2One('company.company', "Company")
    warehouse = fields.Many2One('stock.location', "Warehouse")
    zone = fields.Selection(
        [(NO_ZONE, "No Zone")] + ZONE_TYPES[1:], "Zone")
    type = fields.Selection(TASK_TYPES, "Type")
    pending = fields.Integer("Pending")
    assigned = fields.Integer("Assigned")
    in_progress = fields.Integer("In Progress")
    failed = fields.Integer("Failed")
    open_tasks = fields.Integer(
        "Open", help="Pending, assigned and in progress.")
    open_quantity = fields.Float(
        "Open Quantity", digits=(16, 2),
        help="Sum of the quantities of the open tasks (mixed units).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('warehouse', 'ASC'), ('zone', 'ASC'),
            ('type', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        Task = Pool().get('otwb.wms.task')
        task, query, zone = Task.zone_query()
        where = task.state.in_(BOARD_STATES)
        company = Transaction().context.get('company')
        if company:
            where &= task.company == company
        # the zone in a sub-query: PostgreSQL does not match a GROUP BY
        # expression whose parameters differ from the select's
        tasks = query.select(
            task.id, task.company, task.warehouse, task.type, task.state,
            task.quantity, Coalesce(zone, NO_ZONE).as_('zone'),
            where=where)

        def count(*states):
            return Sum(Case((tasks.state.in_(list(states)), Literal(1)),
                    else_=Literal(0)))
        open_ = ['pending', 'assigned', 'in_progress']
        return tasks.select(
            Min(tasks.id).as_('id'),
            *audit_columns(),
            tasks.company.as_('company'),
            tasks.warehouse.as_('warehouse'),
            tasks.zone.as_('zone'),
            tasks.type.as_('type'),
            *(count(s).as_(s) for s in BOARD_STATES),
            count(*open_).as_('open_tasks'),
            cls.open_quantity.sql_cast(Sum(Case(
                        (tasks.state.in_(open_), Coalesce(tasks.quantity, 0)),
                        else_=0))).as_('open_quantity'),
            group_by=[tasks.company, tasks.warehouse, tasks.zone,
                tasks.type])
