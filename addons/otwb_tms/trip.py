# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Trips and their stops, planned from packed shipments with PyVRP."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .engine import vrp
from .engine.distance import GreatCircleProvider

STATES = [
    ('draft', "Draft"),
    ('planned', "Planned"),
    ('dispatched', "Dispatched"),
    ('in_transit', "In Transit"),
    ('done', "Done"),
    ('exception', "Exception"),
    ('cancelled', "Cancelled"),
    ]
STOP_STATES = [
    ('pending', "Pending"),
    ('arrived', "Arrived"),
    ('delivered', "Delivered"),
    ('failed', "Failed"),
    ]


class Trip(Workflow, ModelSQL, ModelView):
    "Trip"
    __name__ = 'otwb.tms.trip'
    _rec_name = 'number'

    _states = {'readonly': ~Eval('state').in_(['draft', 'planned'])}

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    date = fields.Date("Date", required=True, states=_states)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True,
        domain=[('type', '=', 'warehouse')], states=_states)
    vehicle = fields.Many2One(
        'otwb.tms.vehicle', "Vehicle", required=True, states=_states)
    carrier = fields.Many2One('carrier', "Carrier", states=_states)
    locked = fields.Boolean(
        "Locked", help="A locked trip is kept as it is by re-planning.")
    stops = fields.One2Many(
        'otwb.tms.trip.stop', 'trip', "Stops", states=_states,
        order=[('sequence', 'ASC'), ('id', 'ASC')])
    distance = fields.Float("Distance (km)", digits=(12, 2), readonly=True)
    duration = fields.Float("Duration (min)", digits=(12, 1), readonly=True)
    cost = fields.Numeric("Cost", digits=(16, 2), readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    load_weight = fields.Float("Load (kg)", digits=(12, 1), readonly=True)
    load_volume = fields.Float("Load (m³)", digits=(12, 3), readonly=True)
    utilisation_weight = fields.Function(
        fields.Float("Weight Utilisation (%)", digits=(5, 1)),
        'get_utilisation')
    utilisation_volume = fields.Function(
        fields.Float("Volume Utilisation (%)", digits=(5, 1)),
        'get_utilisation')
    departure = fields.DateTime("Departure", readonly=True)
    completed_at = fields.DateTime("Completed At", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'planned'),
            ('planned', 'draft'),
            ('planned', 'dispatched'),
            ('dispatched', 'in_transit'),
            ('in_transit', 'done'),
            ('in_transit', 'exception'),
            ('exception', 'in_transit'),
            ('exception', 'done'),
            ('draft', 'cancelled'),
            ('planned', 'cancelled'),
            }
        cls._buttons.update({
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state']},
                'dispatch': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state']},
                'start': {
                    'invisible': Eval('state') != 'dispatched',
                    'depends': ['state']},
                'complete': {
                    'invisible': ~Eval('state').in_(
                        ['in_transit', 'exception']),
                    'depends': ['state']},
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'planned']),
                    'depends': ['state']},
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_locked(cls):
        return False

    def get_utilisation(self, name):
        if not self.vehicle:
            return None
        if name == 'utilisation_weight':
            cap, load = self.vehicle.capacity_weight, self.load_weight
        else:
            cap, load = self.vehicle.capacity_volume, self.load_volume
        if not cap or load is None:
            return None
        return round(100.0 * load / cap, 1)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            values['number'] = cls._next_number()
        return values

    @classmethod
    def _next_number(cls):
        # Unique through the primary key sequence of the trip table is not
        # available before insert; a timestamp plus counter is unique enough
        # for display and never used as a key.
        cls._counter = getattr(cls, '_counter', 0) + 1
        return 'TRIP-%s-%04d' % (
            dt.datetime.now().strftime('%y%m%d%H%M%S'), cls._counter % 10000)

    # --- workflow -----------------------------------------------------
    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def confirm(cls, trips):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('dispatched')
    def dispatch(cls, trips):
        "Hand the shipments to the vehicle: they become shipped"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        shipments = [s.shipment for t in trips for s in t.stops
            if s.shipment and s.shipment.state == 'packed']
        if shipments:
            Shipment.ship(shipments)
        cls.write(trips, {'departure': dt.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('in_transit')
    def start(cls, trips):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def complete(cls, trips):
        for trip in trips:
            open_stops = [s for s in trip.stops
                if s.state not in {'delivered', 'failed'}]
            if open_stops:
                raise ValidationError(gettext(
                        'otwb_tms.msg_trip_open_stops',
                        trip=trip.rec_name, count=len(open_stops)))
        cls.write(trips, {'completed_at': dt.datetime.now()})
        cls._on_completed(trips)

    @classmethod
    def _on_completed(cls, trips):
        "Hook for billing and the order timeline"

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, trips):
        pass

    # --- planning -----------------------------------------------------
    @classmethod
    def plan(cls, warehouse, date, shipments=None, time_limit=5.0,
            progress=None):
        """Plan trips for the packed shipments of the warehouse on date.

        Returns (trips, unassigned) where unassigned is a list of
        (shipment, reason).
        """
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        Vehicle = pool.get('otwb.tms.vehicle')
        Stop = pool.get('otwb.tms.trip.stop')
        Config = pool.get('otwb.configuration')
        config = Config(1)

        if shipments is None:
            planned = {s.shipment.id for s in Stop.search([
                        ('trip.state', 'not in', ['cancelled']),
                        ('shipment', '!=', None),
                        ])}
            shipments = [s for s in Shipment.search([
                        ('warehouse', '=', warehouse.id),
                        ('state', '=', 'packed'),
                        ]) if s.id not in planned]
        vehicles = Vehicle.search([
                ('depot', '=', warehouse.id),
                ('mode', 'in', ['road_ftl', 'road_ltl']),
                ])
        if not shipments:
            return [], []
        if not vehicles:
            raise ValidationError(gettext(
                    'otwb_tms.msg_no_vehicle', warehouse=warehouse.rec_name))
        if warehouse.otwb_latitude is None \
                or warehouse.otwb_longitude is None:
            raise ValidationError(gettext(
                    'otwb_tms.msg_warehouse_no_position',
                    warehouse=warehouse.rec_name))

        stops, unassigned = [], []
        for shipment in shipments:
            address = shipment.delivery_address
            if (not address or address.otwb_latitude is None
                    or address.otwb_longitude is None):
                unassigned.append((shipment, gettext(
                            'otwb_tms.msg_shipment_no_position')))
                continue
            stops.append(vrp.Stop(
                    id=shipment.id,
                    lat=address.otwb_latitude,
                    lon=address.otwb_longitude,
                    weight_kg=shipment.otwb_weight_kg,
                    volume_m3=shipment.otwb_volume_m3,
                    service_min=10.0,
                    tw_start_min=8 * 60, tw_end_min=18 * 60))
        problem = vrp.PlanningProblem(
            depots=[vrp.Depot(
                    id=warehouse.id, lat=warehouse.otwb_latitude,
                    lon=warehouse.otwb_longitude,
                    open_min=6 * 60, close_min=22 * 60)],
            vehicles=[vrp.VehicleType(
                    id=v.id, depot=warehouse.id,
                    capacity_kg=v.capacity_weight,
                    capacity_m3=v.capacity_volume,
                    fixed_cost=v.fixed_cost, cost_per_km=v.cost_per_km,
                    cost_per_hour=v.cost_per_hour,
                    max_duration_min=v.max_duration * 60, count=1)
                for v in vehicles],
            stops=stops)
        provider = GreatCircleProvider(
            circuity=config.circuity_factor, speed_kmh=config.average_speed)
        result = vrp.plan_routes(
            problem, provider=provider, time_limit_s=time_limit,
            progress=progress)
        by_id = {s.id: s for s in shipments}
        vehicle_by_id = {v.id: v for v in vehicles}
        start = dt.datetime.combine(date, dt.time())
        trips = []
        for route in result.routes:
            vehicle = vehicle_by_id[route.vehicle]
            trip = cls(
                date=date, warehouse=warehouse, vehicle=vehicle,
                carrier=vehicle.carrier, state='draft',
                distance=round(route.distance_km, 2),
                duration=round(route.duration_min, 1),
                cost=route.cost,
                currency=warehouse_currency(warehouse),
                load_weight=round(route.load_kg, 1),
                load_volume=round(route.load_m3, 3))
            loading = {sid: n for n, sid in
                enumerate(route.loading_sequence, 1)}
            trip.stops = [Stop(
                    sequence=n,
                    shipment=by_id[visit.stop],
                    eta=start + dt.timedelta(minutes=visit.arrival_min),
                    distance_from_previous=round(visit.distance_km, 2),
                    loading_sequence=loading[visit.stop],
                    weight=by_id[visit.stop].otwb_weight_kg,
                    volume=by_id[visit.stop].otwb_volume_m3,
                    state='pending')
                for n, visit in enumerate(route.visits, 1)]
            trips.append(trip)
        cls.save(trips)
        for item in result.unassigned:
            unassigned.append((by_id[item.stop], item.reason))
        return trips, unassigned


def warehouse_currency(warehouse):
    Company = Pool().get('company.company')
    company = Transaction().context.get('company')
    if company:
        return Company(company).currency
    return None


class Stop(ModelSQL, ModelView):
    "Trip Stop"
    __name__ = 'otwb.tms.trip.stop'

    trip = fields.Many2One(
        'otwb.tms.trip', "Trip", required=True, ondelete='CASCADE')
    sequence = fields.Integer("Sequence", required=True)
    shipment = fields.Many2One(
        'stock.shipment.out', "Shipment", required=True)
    customer = fields.Function(
        fields.Many2One('party.party', "Customer"), 'get_shipment_field')
    address = fields.Function(
        fields.Many2One('party.address', "Address"), 'get_shipment_field')
    eta = fields.DateTime("ETA")
    distance_from_previous = fields.Float(
        "Distance from Previous (km)", digits=(12, 2), readonly=True)
    loading_sequence = fields.Integer(
        "Loading Sequence", readonly=True,
        help="Load first the stops with the lowest number.")
    weight = fields.Float("Weight (kg)", digits=(12, 2), readonly=True)
    volume = fields.Float("Volume (m³)", digits=(12, 4), readonly=True)
    locked = fields.Boolean("Locked")
    state = fields.Selection(STOP_STATES, "State", required=True,
        readonly=True)
    arrived_at = fields.DateTime("Arrived At", readonly=True)
    delivered_at = fields.DateTime("Delivered At", readonly=True)
    pod_receiver = fields.Char("Received By", readonly=True)
    failure_reason = fields.Char("Failure Reason", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('trip', 'DESC'), ('sequence', 'ASC'), ('id', 'ASC')]
        cls._buttons.update({
                'deliver': {
                    'invisible': Eval('state').in_(['delivered', 'failed']),
                    'depends': ['state']},
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_locked(cls):
        return False

    def get_shipment_field(self, name):
        if not self.shipment:
            return None
        value = getattr(self.shipment,
            {'customer': 'customer', 'address': 'delivery_address'}[name])
        return value.id if value else None

    @classmethod
    @ModelView.button
    def deliver(cls, stops, receiver=None):
        "Record the delivery: the shipment is done"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        shipments = [s.shipment for s in stops
            if s.shipment.state == 'shipped']
        if shipments:
            Shipment.do(shipments)
        cls.write(stops, {
                'state': 'delivered',
                'delivered_at': dt.datetime.now(),
                'pod_receiver': receiver,
                })
        cls._on_delivered(stops)

    @classmethod
    def _on_delivered(cls, stops):
        "Hook for billing and the order timeline"


class PlanStart(ModelView):
    "Plan Trips"
    __name__ = 'otwb.tms.trip.plan.start'

    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True,
        domain=[('type', '=', 'warehouse')])
    date = fields.Date("Date", required=True)
    time_limit = fields.Float("Time Limit (s)", required=True)

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_time_limit(cls):
        return 5.0


class Plan(Wizard):
    "Plan Trips"
    __name__ = 'otwb.tms.trip.plan'

    start = StateView('otwb.tms.trip.plan.start',
        'otwb_tms.trip_plan_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Plan", 'plan', 'tryton-ok', default=True),
            ])
    plan = StateTransition()

    def transition_plan(self):
        Trip = Pool().get('otwb.tms.trip')
        trips, _ = Trip.plan(
            self.start.warehouse, self.start.date,
            time_limit=self.start.time_limit)
        return 'end'


