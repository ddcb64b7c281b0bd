# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Warehouse KPIs for the dashboard: picking productivity per warehouse and
day (an SQL view built by ``table_query``, read-only)."""
from sql import Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case
from sql.functions import DateTrunc, Extract
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.otwb_base.otwb import audit_columns
from trytond.pool import Pool
from trytond.transaction import Transaction


class PickingPerDay(ModelSQL, ModelView):
    """Lines picked per hour: done pick tasks per warehouse and day (of
    completion).  The hours are the time operators and devices spent on
    the tasks, from claiming each to completing it, so the rate is the
    productivity while picking (travel included), not per shift hour."""
    __string__ = "Picking Productivity per Day"
    __name__ = 'otwb.wms.kpi.picking'

    company = fields.Many2One('company.company', "Company")
    warehouse = fields.Many2One('stock.location', "Warehouse")
    date = fields.Date("Date")
    lines = fields.Integer("Lines Picked")
    quantity = fields.Float("Quantity Picked", digits=(16, 2))
    pickers = fields.Integer(
        "Pickers",
        help="Terminals and automation devices that completed picks.")
    hours = fields.Float(
        "Picking Hours", digits=(16, 2),
        help="Sum of the time from claiming to completing each pick.")
    lines_per_hour = fields.Float(
        "Lines per Hour", digits=(16, 1),
        help="Lines picked over picking hours.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('warehouse', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        task = Pool().get('otwb.wms.task').__table__()
        where = ((task.type == 'pick') & (task.state == 'done')
            & (task.done_at != Null))
        company = Transaction().context.get('company')
        if company:
            where &= task.company == company
        # the day in a sub-query: PostgreSQL does not match a GROUP BY
        # expression whose parameters differ from the select's
        done = task.select(
            task.id, task.company, task.warehouse, task.device,
            task.done_quantity, task.claimed_at, task.done_at,
            cls.date.sql_cast(DateTrunc('day', task.done_at)).as_('date'),
            where=where)
        seconds = Sum(Case((done.claimed_at != Null,
                    Extract('EPOCH', done.done_at)
                    - Extract('EPOCH', done.claimed_at)), else_=0))
        hours = seconds / 3600.0
        return done.select(
            Min(done.id).as_('id'),
            *audit_columns(),
            done.company.as_('company'),
            done.warehouse.as_('warehouse'),
            done.date.as_('date'),
            Count(done.id).as_('lines'),
            Sum(done.done_quantity).as_('quantity'),
            Count(done.device, distinct=True).as_('pickers'),
            # EXTRACT gives numeric on PostgreSQL: cast to float
            cls.hours.sql_cast(hours).as_('hours'),
            cls.lines_per_hour.sql_cast(Case((seconds > 0,
                        Count(done.id) / hours), else_=Null)
                ).as_('lines_per_hour'),
            group_by=[done.company, done.warehouse, done.date])
