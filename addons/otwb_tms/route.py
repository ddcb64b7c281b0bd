# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Multimodal route queries over the lane network, with their legs."""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction

from .engine import multimodal
from .vehicle import MODES

ROUTE_STATES = [
    ('draft', "Draft"),
    ('quoted', "Quoted"),
    ('no_route', "No Route"),
    ('booked', "Booked"),
    ('cancelled', "Cancelled"),
    ]
_CENT = Decimal('0.01')


def _dt(value):
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return dt.datetime.fromisoformat(str(value))


class Route(Workflow, ModelSQL, ModelView):
    "Multimodal Route"
    __name__ = 'otwb.tms.route'
    __string__ = "Multimodal Route"

    _states = {'readonly': Eval('state') != 'draft'}

    reference = fields.Char("Reference", states=_states)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    origin = fields.Many2One(
        'otwb.tms.node', "Origin", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    destination = fields.Many2One(
        'otwb.tms.node', "Destination", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1)),
            ('id', '!=', Eval('origin', -1))])
    tonnes = fields.Float(
        "Tonnes", digits=(12, 3), required=True, states=_states,
        domain=[('tonnes', '>', 0)])
    departure = fields.DateTime(
        "Ready At", required=True, states=_states,
        help="When the goods are ready at the origin.")
    deadline = fields.DateTime(
        "Deadline", states=_states,
        domain=['OR', ('deadline', '=', None),
            ('deadline', '>=', Eval('departure', None))],
        help="Latest arrival at the destination; empty: none.")
    objective = fields.Selection([
            ('cheapest', "Cheapest"),
            ('fastest', "Fastest"),
            ], "Objective", required=True, states=_states)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    legs = fields.One2Many(
        'otwb.tms.route.leg', 'route', "Legs", readonly=True,
        order=[('sequence', 'ASC'), ('id', 'ASC')])
    cost = fields.Numeric("Cost", digits=(16, 2), readonly=True)
    hours = fields.Float("Hours", digits=(10, 2), readonly=True)
    distance = fields.Float("Distance (km)", digits=(12, 1), readonly=True)
    arrival = fields.DateTime("Arrival", readonly=True)
    modes = fields.Char("Modes", readonly=True)
    road_cost = fields.Numeric("Road-Only Cost", digits=(16, 2),
        readonly=True)
    road_hours = fields.Float("Road-Only Hours", digits=(10, 2),
        readonly=True)
    road_distance = fields.Float("Road-Only Distance (km)", digits=(12, 1),
        readonly=True)
    saving = fields.Numeric("Saving vs Road", digits=(16, 2), readonly=True)
    saving_percent = fields.Float("Saving (%)", digits=(6, 2), readonly=True)
    reason = fields.Char("Reason", readonly=True)
    state = fields.Selection(ROUTE_STATES, "State", required=True,
        readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('departure', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'quoted'),
            ('draft', 'no_route'),
            ('quoted', 'draft'),
            ('no_route', 'draft'),
            ('quoted', 'booked'),
            ('booked', 'cancelled'),
            ('quoted', 'cancelled'),
            ('no_route', 'cancelled'),
            ('draft', 'cancelled'),
            }
        cls._buttons.update({
                'compute': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state']},
                'draft': {
                    'invisible': ~Eval('state').in_(['quoted', 'no_route']),
                    'depends': ['state']},
                'book': {
                    'invisible': Eval('state') != 'quoted',
                    'depends': ['state']},
                'cancel': {
                    'invisible': Eval('state').in_(['cancelled']),
                    'depends': ['state']},
                })
        cls.__rpc__.update({
                'query': RPC(readonly=False, instantiate=None),
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_objective(cls):
        return 'cheapest'

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_departure(cls):
        return dt.datetime.now().replace(microsecond=0)

    def get_rec_name(self, name):
        return '%s → %s, %g t (%s)' % (
            self.origin.code, self.destination.code, self.tonnes,
            self.reference or self.id)

    # --- buttons ------------------------------------------------------
    @classmethod
    @ModelView.button
    def compute(cls, routes):
        "Find the best route and the road-only alternative"
        cls.compute_routes(routes)

    @classmethod
    def compute_routes(cls, routes):
        by_company = {}
        for route in routes:
            by_company.setdefault(route.company.id, []).append(route)
        for company, croutes in by_company.items():
            networks = {}
            for route in croutes:
                day = route.departure.date()
                if day not in networks:
                    networks[day] = Pool().get('otwb.tms.lane').network(
                        date=day, company=company)
                route._compute(networks[day])
        cls.save(routes)

    def _compute(self, network):
        Leg = Pool().get('otwb.tms.route.leg')
        Lane = Pool().get('otwb.tms.lane')
        midnight = dt.datetime.combine(self.departure.date(), dt.time())
        start = (self.departure - midnight).total_seconds() / 3600
        deadline = None
        if self.deadline:
            deadline = (self.deadline - self.departure).total_seconds() / 3600
        quote = multimodal.quote(
            network, self.origin.id, self.destination.id, self.tonnes,
            deadline_hours=deadline, objective=self.objective,
            start_hour=start)

        def at(hour):
            return midnight + dt.timedelta(hours=hour)

        self.legs = []
        self.cost = self.hours = self.distance = self.arrival = None
        self.modes = self.road_cost = self.road_hours = None
        self.road_distance = self.saving = self.saving_percent = None
        self.currency = self.company.currency
        road = quote.road_only
        if road is not None:
            self.road_cost = road.total_cost.quantize(_CENT)
            self.road_hours = round(road.total_hours, 2)
            self.road_distance = round(road.total_km, 1)
        best = quote.best
        if best is None:
            self.state = 'no_route'
            self.reason = quote.reason
            return
        self.state = 'quoted'
        lanes = {ln.id: ln for ln in Lane.browse(
                    [leg.lane for leg in best.legs])}
        legs = []
        for n, leg in enumerate(best.legs, 1):
            lane = lanes[leg.lane]
            legs.append(Leg(
                    sequence=n, lane=lane, mode=lane.mode,
                    carrier=lane.carrier, service=lane.service,
                    from_node=lane.from_node, to_node=lane.to_node,
                    handover_node=leg.handover_node,
                    depart=at(leg.depart_hour), arrive=at(leg.arrive_hour),
                    depart_date=at(leg.depart_hour).date(),
                    distance=leg.distance_km,
                    cost=leg.cost.quantize(_CENT)))
        self.legs = legs
        self.cost = best.total_cost.quantize(_CENT)
        self.hours = round(best.total_hours, 2)
        self.distance = round(best.total_km, 1)
        self.arrival = at(best.arrive_hour)
        self.modes = ' + '.join(leg.mode for leg in legs)
        if road is not None:
            self.saving = (road.total_cost - best.total_cost).quantize(_CENT)
            if road.total_cost:
                self.saving_percent = round(float(
                        (road.total_cost - best.total_cost) * 100
                        / road.total_cost), 2)
            self.reason = ''
        else:
            self.reason = gettext('otwb_tms.msg_route_no_road')

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, routes):
        Leg = Pool().get('otwb.tms.route.leg')
        Leg.delete([leg for r in routes for leg in r.legs])

    @classmethod
    @ModelView.button
    @Workflow.transition('booked')
    def book(cls, routes):
        "Reserve the lanes' daily capacity; re-checked against bookings"
        pool = Pool()
        Lane = pool.get('otwb.tms.lane')
        Lane.lock()
        for route in routes:
            network = Lane.network(
                date=route.departure.date(), company=route.company.id,
                exclude_routes=[r.id for r in routes])
            for leg in route.legs:
                lane = network.lanes.get(leg.lane.id)
                if (lane is None or (lane.max_tonnes is not None
                            and lane.max_tonnes + 1e-9 < route.tonnes)):
                    raise ValidationError(gettext(
                            'otwb_tms.msg_route_lane_full',
                            route=route.rec_name, lane=leg.lane.rec_name,
                            free=lane.max_tonnes if lane else 0,
                            tonnes=route.tonnes))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, routes):
        pass

    # --- RPC ----------------------------------------------------------
    @classmethod
    def query(cls, queries):
        """Route queries over RPC; one answer per item, in order.

        Item: {'origin': node code, 'destination': node code, 'tonnes',
        'ready_at': ISO datetime (default now), 'deadline': ISO datetime
        or 'deadline_hours', 'objective': 'cheapest'|'fastest',
        'reference'}.  Answer: {'index', 'status': 'quoted'|'no_route'|
        'rejected', 'route': id, 'errors', 'cost', 'hours', 'arrival',
        'legs': [...], 'road_cost', 'saving'}.  A rejected item writes
        nothing."""
        pool = Pool()
        Node = pool.get('otwb.tms.node')
        Config = pool.get('otwb.configuration')
        company = Transaction().context.get('company')
        max_items = Config(1).rpc_max_items or 1000
        if not isinstance(queries, (list, tuple)):
            raise ValidationError(gettext(
                    'otwb_tms.msg_rpc_not_list', name='queries'))
        if len(queries) > max_items:
            raise ValidationError(gettext(
                    'otwb_tms.msg_rpc_too_many', count=len(queries),
                    limit=max_items))
        nodes = {n.code: n for n in Node.search([('company', '=', company)])}
        answers, to_create = [], []
        for index, item in enumerate(queries):
            errors = []
            values = cls._query_values(item, nodes, errors)
            answer = {'index': index, 'errors': errors}
            if errors:
                answer['status'] = 'rejected'
            else:
                values['company'] = company
                to_create.append((answer, values))
            answers.append(answer)
        if to_create:
            routes = cls.create([v for _, v in to_create])
            cls.compute_routes(routes)
            for (answer, _), route in zip(to_create, routes):
                answer.update(route.to_rpc())
        return answers

    @classmethod
    def _query_values(cls, item, nodes, errors):
        if not isinstance(item, dict):
            errors.append(gettext('otwb_tms.msg_rpc_item_not_dict'))
            return None
        known = {'origin', 'destination', 'tonnes', 'ready_at', 'deadline',
            'deadline_hours', 'objective', 'reference'}
        for key in sorted(set(item) - known):
            errors.append(gettext('otwb_tms.msg_rpc_unknown_key', key=key))
        values = {}
        for end in ('origin', 'destination'):
            code = item.get(end)
            if code not in nodes:
                errors.append(gettext('otwb_tms.msg_route_unknown_node',
                        field=end, value=code))
            else:
                values[end] = nodes[code].id
        if (values.get('origin') and values.get('origin')
                == values.get('destination')):
            errors.append(gettext('otwb_tms.msg_route_same_nodes',
                    value=item.get('origin')))
        tonnes = item.get('tonnes')
        try:
            tonnes = float(tonnes)
            if not (0 < tonnes < 1e7):
                raise ValueError
            values['tonnes'] = tonnes
        except (TypeError, ValueError):
            errors.append(gettext('otwb_tms.msg_rpc_bad_number',
                    field='tonnes', value=item.get('tonnes'),
                    reason='> 0'))
        try:
            ready = (_dt(item['ready_at']) if item.get('ready_at')
                else dt.datetime.now().replace(microsecond=0))
            if ready.tzinfo is not None:
                ready = ready.astimezone(dt.timezone.utc).replace(
                    tzinfo=None)
            values['departure'] = ready
        except (TypeError, ValueError):
            errors.append(gettext('otwb_tms.msg_rpc_bad_datetime',
                    field='ready_at', value=item.get('ready_at')))
            ready = None
        if item.get('deadline') is not None:
            try:
                deadline = _dt(item['deadline'])
                if deadline.tzinfo is not None:
                    deadline = deadline.astimezone(dt.timezone.utc).replace(
                        tzinfo=None)
                values['deadline'] = deadline
            except (TypeError, ValueError):
                errors.append(gettext('otwb_tms.msg_rpc_bad_datetime',
                        field='deadline', value=item.get('deadline')))
        elif item.get('deadline_hours') is not None:
            try:
                hours = float(item['deadline_hours'])
                if not (0 <= hours < 1e5):
                    raise ValueError
                if ready:
                    values['deadline'] = ready + dt.timedelta(hours=hours)
            except (TypeError, ValueError):
                errors.append(gettext('otwb_tms.msg_rpc_bad_number',
                        field='deadline_hours',
                        value=item.get('deadline_hours'), reason='>= 0'))
        if (ready and values.get('deadline')
                and values['deadline'] < ready):
            errors.append(gettext('otwb_tms.msg_route_deadline_before',
                    deadline=values['deadline'], ready=ready))
        objective = item.get('objective', 'cheapest')
        if objective not in multimodal.OBJECTIVES:
            errors.append(gettext('otwb_tms.msg_rpc_bad_choice',
                    field='objective', value=objective,
                    choices=', '.join(multimodal.OBJECTIVES)))
        values['objective'] = objective
        reference = item.get('reference')
        if reference is not None:
            if not isinstance(reference, str) or len(reference) > 100:
                errors.append(gettext('otwb_tms.msg_rpc_bad_text',
                        field='reference'))
            else:
                values['reference'] = reference
        return values

    def to_rpc(self):
        def iso(value):
            return value.isoformat() if value else None

        def money(value):
            return str(value) if value is not None else None
        return {
            'status': self.state,
            'route': self.id,
            'reason': self.reason or '',
            'cost': money(self.cost),
            'hours': self.hours,
            'distance_km': self.distance,
            'arrival': iso(self.arrival),
            'modes': self.modes,
            'road_cost': money(self.road_cost),
            'road_hours': self.road_hours,
            'saving': money(self.saving),
            'saving_percent': self.saving_percent,
            'legs': [{
                    'mode': leg.mode,
                    'carrier': leg.carrier.party.rec_name
                    if leg.carrier else None,
                    'from': leg.from_node.code,
                    'to': leg.to_node.code,
                    'handover': leg.handover_node.code
                    if leg.handover_node else None,
                    'depart': iso(leg.depart),
                    'arrive': iso(leg.arrive),
                    'distance_km': leg.distance,
                    'cost': money(leg.cost),
                    } for leg in self.legs],
            }


class RouteLeg(ModelSQL, ModelView):
    "Route Leg"
    __name__ = 'otwb.tms.route.leg'
    __string__ = "Route Leg"

    route = fields.Many2One(
        'otwb.tms.route', "Route", required=True, ondelete='CASCADE')
    sequence = fields.Integer("Sequence", required=True)
    lane = fields.Many2One(
        'otwb.tms.lane', "Lane", required=True, ondelete='RESTRICT')
    mode = fields.Selection(MODES, "Mode", required=True)
    carrier = fields.Many2One('carrier', "Carrier")
    service = fields.Many2One('otwb.tms.carrier.service', "Service")
    from_node = fields.Many2One('otwb.tms.node', "From", required=True)
    to_node = fields.Many2One('otwb.tms.node', "To", required=True)
    handover_node = fields.Many2One(
        'otwb.tms.node', "Handover At",
        help="Where the goods are handed to the next leg.")
    depart = fields.DateTime("Departure", required=True)
    depart_date = fields.Date("Departure Date", required=True)
    arrive = fields.DateTime("Arrival", required=True)
    distance = fields.Float("Distance (km)", digits=(12, 1))
    cost = fields.Numeric("Cost", digits=(16, 2))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('route', 'DESC'), ('sequence', 'ASC'), ('id', 'ASC')]
