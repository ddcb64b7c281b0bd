# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Planning runs: trip planning in the task queue with recorded progress."""
import datetime as dt
import logging
import time

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class PlanningRun(Workflow, ModelSQL, ModelView):
    "Trip Planning Run"
    __name__ = 'otwb.tms.planning.run'
    __string__ = "Planning Run"

    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, states=_states,
        domain=[('type', '=', 'warehouse')])
    extra_warehouses = fields.Many2Many(
        'otwb.tms.planning.run-stock.location', 'run', 'warehouse',
        "Other Warehouses", states=_states,
        domain=[('type', '=', 'warehouse'),
            ('id', '!=', Eval('warehouse', -1))],
        help="Planned with the warehouse in one multi-depot model: each "
        "vehicle leaves from its home depot, each shipment goes with a "
        "vehicle of its own warehouse.")
    date = fields.Date("Date", required=True, states=_states)
    time_limit = fields.Float(
        "Time Limit (s)", required=True, states=_states,
        domain=[('time_limit', '>', 0), ('time_limit', '<=', 3600)])
    state = fields.Selection([
            ('draft', "Draft"),
            ('queued', "Queued"),
            ('running', "Running"),
            ('done', "Done"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True)
    progress = fields.Float("Progress (%)", digits=(5, 1), readonly=True)
    live_progress = fields.Function(
        fields.Float("Live Progress (%)", digits=(5, 1)),
        'get_live_progress')
    live_phase = fields.Function(fields.Char("Phase"), 'get_live_progress')
    progress_ratio = fields.Function(
        fields.Float("Progress", digits=(1, 3),
            help="The live progress as a ratio, for the progress bar."),
        'get_live_progress')
    queued_at = fields.DateTime("Queued At", readonly=True)
    started_at = fields.DateTime("Started At", readonly=True)
    finished_at = fields.DateTime("Finished At", readonly=True)
    runtime = fields.Float("Runtime (s)", digits=(10, 2), readonly=True)
    trips = fields.One2Many(
        'otwb.tms.trip', 'planning_run', "Trips", readonly=True)
    trip_count = fields.Integer("Trips", readonly=True)
    stop_count = fields.Integer("Stops", readonly=True)
    unassigned_count = fields.Integer("Unassigned", readonly=True)
    unassigned = fields.Text("Unassigned Shipments", readonly=True)
    total_cost = fields.Numeric("Total Cost", digits=(16, 2), readonly=True)
    total_distance = fields.Float(
        "Total Distance (km)", digits=(12, 1), readonly=True)
    message = fields.Text("Message", readonly=True)
    distance_source = fields.Char("Distances From", readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'queued'),
            ('failed', 'queued'),
            ('done', 'queued'),
            ('queued', 'running'),
            ('queued', 'done'),
            ('queued', 'failed'),
            ('running', 'done'),
            ('running', 'failed'),
            }
        cls._buttons.update({
                'run': {
                    'invisible': Eval('state').in_(['queued', 'running']),
                    'depends': ['state']},
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_time_limit(cls):
        return 5.0

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_progress(cls):
        return 0.0

    def get_rec_name(self, name):
        return '%s %s (%s)' % (
            self.warehouse.rec_name, self.date, self.id)

    @classmethod
    @ModelView.button
    @Workflow.transition('queued')
    def run(cls, runs):
        "Queue the planning; the worker runs it"
        cls.write(runs, {
                'queued_at': dt.datetime.now(), 'progress': 0.0,
                'message': None})
        with Transaction().set_context(queue_name='otwb_tms_planning'):
            cls.__queue__.process(runs)

    @classmethod
    def process(cls, runs):
        "Plan each run (called by the task queue)"
        for run in runs:
            if run.state not in {'queued', 'running'}:
                continue
            run._process()

    def _process(self):
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        cls = self.__class__
        started = time.monotonic()
        self._autonomous_progress(0.0, 'running')
        last = [0.0]

        def progress(fraction):
            pct = round(100.0 * min(max(fraction, 0.0), 1.0), 1)
            if pct - last[0] >= 10 or pct >= 100:
                last[0] = pct
                self._autonomous_progress(pct)

        values = {'started_at': dt.datetime.now()}
        info = {}
        warehouses = [self.warehouse] + [w for w in self.extra_warehouses
            if w != self.warehouse]
        try:
            with Transaction().set_context(company=self.company.id):
                trips, unassigned = Trip.plan(
                    warehouses if len(warehouses) > 1 else self.warehouse,
                    self.date, time_limit=self.time_limit,
                    progress=progress, run=self, info=info)
        except ValidationError as exc:
            values.update({
                    'state': 'failed', 'message': str(exc),
                    'finished_at': dt.datetime.now(),
                    'runtime': round(time.monotonic() - started, 2)})
            cls.write([self], values)
            return
        values.update({
                'state': 'done',
                'progress': 100.0,
                'finished_at': dt.datetime.now(),
                'runtime': round(time.monotonic() - started, 2),
                'distance_source': info.get('distance_source'),
                'trip_count': len(trips),
                'stop_count': sum(len(t.stops) for t in trips),
                'unassigned_count': len(unassigned),
                'unassigned': '\n'.join(
                    '%s: %s' % (s.rec_name, reason)
                    for s, reason in unassigned) or None,
                'total_cost': sum((t.cost or 0 for t in trips), 0),
                'total_distance': round(
                    sum(t.distance or 0 for t in trips), 1),
                'message': gettext('otwb_tms.msg_planning_done',
                    trips=len(trips), unassigned=len(unassigned)),
                })
        cls.write([self], values)

    def _autonomous_progress(self, percent, state=None):
        """Log progress so that other sessions see it while the planner
        runs: rows inserted by an autonomous transaction on PostgreSQL
        (inserts only, so no lock on the run); in the transaction itself
        on SQLite (one writer)."""
        Progress = Pool().get('otwb.tms.planning.run.progress')
        values = [{'run': self.id, 'percent': percent,
                'phase': state or 'running',
                'logged_at': dt.datetime.now()}]
        transaction = Transaction()
        if backend.name != 'postgresql':
            Progress.create(values)
            return
        try:
            with transaction.new_transaction() as t:
                t.connection.cursor().execute(
                    "SET LOCAL lock_timeout = '500ms'")
                Progress.create(values)
        except Exception:
            logger.debug('progress of run %s not recorded', self.id,
                exc_info=True)

    @classmethod
    def get_live_progress(cls, runs, names):
        Progress = Pool().get('otwb.tms.planning.run.progress')
        wanted = set(names)
        if 'progress_ratio' in wanted:
            wanted.add('live_progress')
        result = {n: {r.id: None for r in runs} for n in wanted}
        for row in Progress.search([('run', 'in', [r.id for r in runs])],
                order=[('id', 'ASC')]):
            if 'live_progress' in result:
                result['live_progress'][row.run.id] = row.percent
            if 'live_phase' in result:
                result['live_phase'][row.run.id] = row.phase
        for run in runs:
            if run.state in {'done', 'failed'}:
                if 'live_progress' in result:
                    result['live_progress'][run.id] = run.progress
                if 'live_phase' in result:
                    result['live_phase'][run.id] = run.state
        if 'progress_ratio' in result:
            result['progress_ratio'] = {
                i: p / 100 if p is not None else None
                for i, p in result['live_progress'].items()}
        return {n: result[n] for n in names}


class PlanningRunWarehouse(ModelSQL):
    "Trip Planning Run - Warehouse"
    __name__ = 'otwb.tms.planning.run-stock.location'

    run = fields.Many2One(
        'otwb.tms.planning.run', "Run", required=True, ondelete='CASCADE')
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'warehouse')])


class PlanningRunProgress(ModelSQL):
    "Trip Planning Run Progress"
    __name__ = 'otwb.tms.planning.run.progress'
    __string__ = "Planning Run Progress"

    run = fields.Many2One(
        'otwb.tms.planning.run', "Run", required=True, ondelete='CASCADE')
    percent = fields.Float("Percent", digits=(5, 1))
    phase = fields.Char("Phase")
    logged_at = fields.DateTime("Logged At")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'ASC')]
