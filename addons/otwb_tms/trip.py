# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Trips and their stops, planned from packed shipments with PyVRP."""
import datetime as dt
import logging

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.otwb_base.otwb import OfficeDocument
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .engine import vrp
from .engine.distance import (
    GreatCircleProvider,
    OSRMError,
    OSRMProvider,
    haversine_km,
)
from .vehicle import ROAD_MODES, warehouse_position

logger = logging.getLogger(__name__)

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
    __string__ = "Trip"
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
    driver = fields.Many2One(
        'otwb.tms.driver', "Driver", states=_states,
        domain=[('company', '=', Eval('company', -1))])
    locked = fields.Boolean(
        "Locked", help="A locked trip is kept as it is by re-planning.")
    planning_run = fields.Many2One(
        'otwb.tms.planning.run', "Planning Run", readonly=True,
        ondelete='SET NULL')
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
    last_latitude = fields.Float("Last Latitude", digits=(9, 6),
        readonly=True)
    last_longitude = fields.Float("Last Longitude", digits=(9, 6),
        readonly=True)
    last_position_at = fields.DateTime("Last Position At", readonly=True)
    delay_minutes = fields.Float("Reported Delay (min)", digits=(8, 1),
        readonly=True)
    tracking_events = fields.One2Many(
        'otwb.tms.tracking.event', 'trip', "Tracking Events", readonly=True)
    exceptions = fields.One2Many(
        'otwb.tms.exception', 'trip', "Exceptions", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.number),
                'otwb_tms.msg_trip_number_unique'),
            ]
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
    def copy(cls, trips, default=None):
        "A copy is a new draft trip: own number, no tracking history"
        default = {} if default is None else default.copy()
        for name in ['number', 'planning_run', 'departure', 'completed_at',
                'last_latitude', 'last_longitude', 'last_position_at',
                'delay_minutes', 'tracking_events', 'exceptions']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        default.setdefault('locked', False)
        return super().copy(trips, default=default)

    @classmethod
    def _next_number(cls):
        """From the *Trip* sequence (ir.sequence): unique also between
        server processes (a database sequence on PostgreSQL), so carriers
        and devices can name a trip by its number."""
        pool = Pool()
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        return Sequence(ModelData.get_id('otwb_tms', 'sequence_trip')).get()

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
            progress=None, run=None, info=None):
        """Plan trips for the packed shipments of the warehouse(s) on date.

        ``warehouse`` is a warehouse or a list of warehouses: several
        warehouses are planned together in one multi-depot model, each
        vehicle leaving from and returning to its home depot and each
        shipment going with a vehicle of its own warehouse.

        Draft and planned trips of the warehouses on date are re-planned:
        a locked trip is kept as it is, a trip with locked stops keeps
        those stops (in their order) on its vehicle, the other trips are
        deleted and their shipments planned again with the new ones.
        Vehicles on dispatched trips that day are not used.

        Stops are served inside the customer's delivery window (see
        ``_time_window``); the waiting time before a window opens is
        stored on the stop.  ``info`` (a dict), when given, receives
        ``distance_source``.

        Returns (trips, unassigned) where unassigned is a list of
        (shipment, reason)."""
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        Vehicle = pool.get('otwb.tms.vehicle')
        Stop = pool.get('otwb.tms.trip.stop')

        warehouses = (list(warehouse)
            if isinstance(warehouse, (list, tuple)) else [warehouse])
        depot_positions = {}
        for wh in warehouses:
            lat, lon = warehouse_position(wh)
            if lat is None:
                raise ValidationError(gettext(
                        'otwb_tms.msg_warehouse_no_position',
                        warehouse=wh.rec_name))
            depot_positions[wh.id] = (lat, lon)
        wh_ids = list(depot_positions)
        multi = len(wh_ids) > 1
        existing = cls.search([
                ('warehouse', 'in', wh_ids),
                ('date', '=', date),
                ('state', 'in', ['draft', 'planned']),
                ])
        busy = {t.vehicle.id for t in cls.search([
                    ('warehouse', 'in', wh_ids),
                    ('date', '=', date),
                    ('state', 'in', ['dispatched', 'in_transit',
                            'exception']),
                    ])}
        kept, to_delete, stops_to_delete = {}, [], []
        for trip in existing:
            stops = sorted(trip.stops, key=lambda s: (s.sequence, s.id))
            if not trip.locked:
                locked = [s for s in stops if s.locked]
                stops_to_delete.extend(s for s in stops if not s.locked)
                stops = locked
            if not stops:
                to_delete.append(trip)
            elif trip.vehicle.id in kept:
                raise ValidationError(gettext(
                        'otwb_tms.msg_locked_same_vehicle',
                        vehicle=trip.vehicle.rec_name))
            else:
                kept[trip.vehicle.id] = (trip, stops)
        freed = [s.shipment for s in stops_to_delete] + [
            s.shipment for t in to_delete for s in t.stops]
        if stops_to_delete:
            Stop.delete(stops_to_delete)
        if to_delete:
            cls.delete(to_delete)
        kept_shipments = {s.shipment.id for _, stops in kept.values()
            for s in stops}

        if shipments is None:
            planned = {s.shipment.id for s in Stop.search([
                        ('trip.state', 'not in', ['cancelled']),
                        ('shipment.state', '=', 'packed'),
                        ('shipment.warehouse', 'in', wh_ids),
                        ])}
            shipments = [s for s in Shipment.search([
                        ('warehouse', 'in', wh_ids),
                        ('state', '=', 'packed'),
                        ]) if s.id not in planned]
        else:
            # the shipments of the re-planned trips are planned again
            given = {s.id for s in shipments}
            shipments = list(shipments) + [
                s for s in freed if s.id not in given]
        shipments = [s for s in shipments if s.id not in kept_shipments]
        vehicles = [v for v in Vehicle.search([
                    ('depot', 'in', wh_ids),
                    ('mode', 'in', list(ROAD_MODES)),
                    ])
            if v.id not in busy and (v.is_available(date) or v.id in kept)]
        for vehicle_id, (trip, _) in kept.items():
            if vehicle_id not in {v.id for v in vehicles}:
                vehicles.append(trip.vehicle)
        if not shipments and not kept:
            return [], []
        if not vehicles:
            raise ValidationError(gettext(
                    'otwb_tms.msg_no_vehicle', warehouse=', '.join(
                        w.rec_name for w in warehouses)))

        all_shipments = list(shipments) + [s.shipment
            for _, stops in kept.values() for s in stops]
        stops, unassigned, positions = [], [], {}
        for shipment in all_shipments:
            address = shipment.delivery_address
            if (not address or address.otwb_latitude is None
                    or address.otwb_longitude is None):
                unassigned.append((shipment, gettext(
                            'otwb_tms.msg_shipment_no_position')))
                continue
            carrier = shipment.otwb_carrier
            if carrier and not cls._carrier_vehicles(shipment, vehicles):
                unassigned.append((shipment, gettext(
                            'otwb_tms.msg_shipment_carrier_no_vehicle',
                            carrier=carrier.rec_name)))
                continue
            positions[shipment.id] = (
                address.otwb_latitude, address.otwb_longitude)
            stops.append(cls._planning_stop(
                    shipment, date, multi=multi, vehicles=vehicles))
        locked_trips = [vrp.LockedTrip(
                vehicle=vehicle_id,
                stop_ids=tuple(s.shipment.id for s in kstops
                    if s.shipment.id in positions))
            for vehicle_id, (_, kstops) in kept.items()]
        locked_trips = [t for t in locked_trips if t.stop_ids]
        problem = cls._planning_problem(
            warehouses, vehicles, stops, locked_trips,
            positions=depot_positions)
        matrix, source = cls._distance_matrix(problem)
        if info is not None:
            info['distance_source'] = source
            info['depots'] = len(problem.depots)
        try:
            result = vrp.plan_routes(
                problem, matrix=matrix, time_limit_s=time_limit,
                progress=progress)
        except ValueError as exc:
            raise ValidationError(gettext(
                    'otwb_tms.msg_planning_input', error=str(exc))) from exc
        by_id = {s.id: s for s in all_shipments}
        vehicle_by_id = {v.id: v for v in vehicles}
        start = dt.datetime.combine(date, dt.time())
        currency = warehouse_currency(warehouses[0])
        kept_stops = {s.shipment.id: s for _, kstops in kept.values()
            for s in kstops}
        windows = {s.id: (s.tw_start_min, s.tw_end_min) for s in stops}
        trips = []
        for route in result.routes:
            vehicle = vehicle_by_id[route.vehicle]
            if route.vehicle in kept:
                trip = kept[route.vehicle][0]
            else:
                trip = cls(
                    date=date, warehouse=vehicle.depot, vehicle=vehicle,
                    carrier=vehicle.carrier, driver=vehicle.driver,
                    state='draft')
            trip.distance = round(route.distance_km, 2)
            trip.duration = round(route.duration_min, 1)
            trip.cost = route.cost
            trip.currency = currency
            trip.load_weight = round(route.load_kg, 1)
            trip.load_volume = round(route.load_m3, 3)
            trip.departure = start + dt.timedelta(minutes=route.depart_min)
            if run is not None and trip.id is None:
                trip.planning_run = run
            loading = {sid: n for n, sid in
                enumerate(route.loading_sequence, 1)}
            new_stops = []
            for n, visit in enumerate(route.visits, 1):
                shipment = by_id[visit.stop]
                stop = kept_stops.get(visit.stop) or Stop(
                    shipment=shipment, state='pending', locked=False)
                tw_start, tw_end = windows[visit.stop]
                eta = start + dt.timedelta(minutes=visit.start_min)
                stop.sequence = n
                stop.eta = stop.planned_eta = eta
                stop.arrival_eta = start + dt.timedelta(
                    minutes=visit.arrival_min)
                stop.waiting_minutes = round(visit.wait_min, 1)
                stop.window_start = start + dt.timedelta(minutes=tw_start)
                stop.window_end = start + dt.timedelta(minutes=tw_end)
                stop.promised_at = cls._promised_at(
                    shipment, date, stop.window_end)
                stop.distance_from_previous = round(visit.distance_km, 2)
                stop.loading_sequence = loading[visit.stop]
                stop.weight = shipment.otwb_weight_kg
                stop.volume = shipment.otwb_volume_m3
                stop.service_minutes = cls._service_minutes(shipment)
                stop.latitude, stop.longitude = positions[visit.stop]
                new_stops.append(stop)
            trip.stops = new_stops
            trips.append(trip)
        cls.save(trips)
        for item in result.unassigned:
            unassigned.append((by_id[item.stop], item.reason))
        return trips, unassigned

    @classmethod
    def _planning_stop(cls, shipment, date, multi=False, vehicles=None):
        """The engine stop of a shipment (multi: held at its warehouse;
        with the vehicles planned: reserved for those of the carrier
        chosen for the shipment)"""
        address = shipment.delivery_address
        tw_start, tw_end = cls._time_window(shipment)
        return vrp.Stop(
            id=shipment.id,
            lat=address.otwb_latitude, lon=address.otwb_longitude,
            weight_kg=shipment.otwb_weight_kg,
            volume_m3=shipment.otwb_volume_m3,
            service_min=cls._service_minutes(shipment),
            tw_start_min=tw_start, tw_end_min=tw_end,
            depots=(shipment.warehouse.id,) if multi else (),
            vehicles=cls._carrier_vehicles(shipment, vehicles or []))

    @classmethod
    def _carrier_vehicles(cls, shipment, vehicles):
        """Ids of the vehicles of the carrier chosen for the shipment
        ("Select Carrier"); empty when none was chosen (any vehicle)"""
        carrier = shipment.otwb_carrier
        if not carrier:
            return ()
        return tuple(v.id for v in vehicles if v.carrier == carrier)

    @classmethod
    def _planning_problem(cls, warehouses, vehicles, stops, locked_trips=(),
            positions=None):
        if not isinstance(warehouses, (list, tuple)):
            warehouses = [warehouses]
        positions = positions or {}
        depots = []
        for wh in warehouses:
            lat, lon = positions.get(wh.id) or warehouse_position(wh)
            depots.append(vrp.Depot(
                    id=wh.id, lat=lat, lon=lon,
                    open_min=6 * 60, close_min=22 * 60))
        return vrp.PlanningProblem(
            depots=depots,
            vehicles=[vrp.VehicleType(
                    id=v.id, depot=v.depot.id,
                    capacity_kg=v.capacity_weight,
                    capacity_m3=v.capacity_volume,
                    fixed_cost=v.fixed_cost, cost_per_km=v.cost_per_km,
                    cost_per_hour=v.cost_per_hour,
                    max_duration_min=v.duty_limit_hours * 60, count=1)
                for v in vehicles],
            stops=stops, locked_trips=locked_trips)

    @classmethod
    def _distance_provider(cls):
        """The configured provider: great-circle x circuity, or an OSRM
        server (with the great-circle one as fallback when allowed)"""
        Config = Pool().get('otwb.configuration')
        config = Config(1)
        great_circle = GreatCircleProvider(
            circuity=config.circuity_factor, speed_kmh=config.average_speed)
        if config.tms_distance_provider != 'osrm':
            return great_circle, None
        if not config.tms_osrm_url:
            raise ValidationError(gettext('otwb_tms.msg_osrm_no_url'))
        try:
            osrm = OSRMProvider(config.tms_osrm_url, timeout=30.0)
        except ValueError as exc:
            raise ValidationError(gettext(
                    'otwb_tms.msg_osrm_unreachable',
                    url=config.tms_osrm_url, error=str(exc))) from exc
        return osrm, (great_circle if config.tms_osrm_fallback else None)

    @classmethod
    def _distance_matrix(cls, problem):
        """(dist_km, dur_min) over the problem's points and a text naming
        where they come from"""
        provider, fallback = cls._distance_provider()
        if isinstance(provider, GreatCircleProvider):
            return vrp.build_matrix(problem, provider), (
                'great-circle x %s' % provider.circuity)
        try:
            return vrp.build_matrix(problem, provider), (
                'OSRM %s' % provider.base_url)
        except OSRMError as exc:
            if fallback is None:
                raise ValidationError(gettext(
                        'otwb_tms.msg_osrm_unreachable',
                        url=provider.base_url, error=str(exc))) from exc
            logger.warning('OSRM unreachable, great-circle used: %s', exc)
            return vrp.build_matrix(problem, fallback), gettext(
                'otwb_tms.msg_distance_osrm_fallback', error=str(exc))

    @classmethod
    def _time_window(cls, shipment):
        """Start and end of service in minutes from midnight: the
        shipment's own window, else its delivery address's, else
        08:00-18:00 (each bound on its own)"""
        address = shipment.delivery_address
        start = shipment.otwb_delivery_from
        if start is None:
            start = getattr(address, 'otwb_delivery_from', None)
        end = shipment.otwb_delivery_to
        if end is None:
            end = getattr(address, 'otwb_delivery_to', None)
        return (_minutes(start) if start is not None else 8 * 60,
            _minutes(end) if end is not None else 18 * 60)

    @classmethod
    def _promised_at(cls, shipment, date, window_end):
        """The time the delivery is promised by: the window end, or the
        end of the order's promised date when that is earlier"""
        sale = shipment._otwb_sale() if hasattr(shipment, '_otwb_sale') \
            else None
        promised = getattr(sale, 'otwb_promised_date', None)
        if promised and promised < date:
            return dt.datetime.combine(promised, dt.time(23, 59))
        return window_end

    @classmethod
    def _service_minutes(cls, shipment):
        address = shipment.delivery_address
        minutes = getattr(address, 'otwb_service_minutes', None)
        return 10.0 if minutes is None else minutes

    # --- execution ----------------------------------------------------
    def remaining_stops(self):
        return [s for s in sorted(self.stops, key=lambda s: s.sequence)
            if s.state in {'pending', 'arrived'}]

    def current_position(self):
        "(lat, lon) of the last position report, stop or the depot"
        if self.last_latitude is not None:
            return self.last_latitude, self.last_longitude
        done = [s for s in sorted(self.stops, key=lambda s: s.sequence)
            if s.state in {'delivered', 'failed', 'arrived'}
            and s.latitude is not None]
        if done:
            return done[-1].latitude, done[-1].longitude
        return warehouse_position(self.warehouse)

    def recompute_eta(self, now, position=None, delay_minutes=0):
        """Set the ETA of the remaining stops from position at now.

        Travel by great-circle x circuity at the configured speed, waits
        for the window start, then the stop's service time.  Returns the
        stops to save."""
        Config = Pool().get('otwb.configuration')
        config = Config(1)
        lat, lon = position or self.current_position()
        t = now + dt.timedelta(minutes=delay_minutes or 0)
        changed = []
        for stop in self.remaining_stops():
            if stop.state == 'arrived':
                t = max(t, (stop.arrived_at or t) + dt.timedelta(
                        minutes=stop.service_minutes or 0))
                lat, lon = stop.latitude, stop.longitude
                continue
            if stop.latitude is None or lat is None:
                continue
            km = haversine_km(lat, lon, stop.latitude, stop.longitude) \
                * config.circuity_factor
            t = t + dt.timedelta(hours=km / config.average_speed)
            window = stop.window_start or (
                dt.datetime.combine(self.date, dt.time())
                + dt.timedelta(minutes=self._time_window(stop.shipment)[0]))
            start = max(t, window)
            stop.eta = start.replace(microsecond=0)
            changed.append(stop)
            t = start + dt.timedelta(minutes=stop.service_minutes or 0)
            lat, lon = stop.latitude, stop.longitude
        return changed


def _minutes(value):
    "Minutes from midnight of a datetime.time"
    return value.hour * 60 + value.minute + value.second / 60


def warehouse_currency(warehouse):
    Company = Pool().get('company.company')
    company = Transaction().context.get('company')
    if company:
        return Company(company).currency
    return None


class Stop(ModelSQL, ModelView):
    "Trip Stop"
    __name__ = 'otwb.tms.trip.stop'
    __string__ = "Trip Stop"

    trip = fields.Many2One(
        'otwb.tms.trip', "Trip", required=True, ondelete='CASCADE')
    sequence = fields.Integer("Sequence", required=True)
    shipment = fields.Many2One(
        'stock.shipment.out', "Shipment", required=True)
    customer = fields.Function(
        fields.Many2One('party.party', "Customer"), 'get_shipment_field')
    address = fields.Function(
        fields.Many2One('party.address', "Address"), 'get_shipment_field')
    latitude = fields.Float("Latitude", digits=(9, 6), readonly=True)
    longitude = fields.Float("Longitude", digits=(9, 6), readonly=True)
    eta = fields.DateTime("ETA", readonly=True,
        help="Recomputed on each tracking event.")
    planned_eta = fields.DateTime("Planned ETA", readonly=True)
    promised_at = fields.DateTime("Promised By", readonly=True,
        help="The end of the delivery window promised to the customer.")
    window_start = fields.DateTime("Window Start", readonly=True,
        help="The customer receives deliveries from this time.")
    window_end = fields.DateTime("Window End", readonly=True,
        help="The latest planned start of the delivery.")
    arrival_eta = fields.DateTime("Planned Arrival", readonly=True)
    waiting_minutes = fields.Float("Planned Waiting (min)", digits=(8, 1),
        readonly=True,
        help="Minutes the vehicle waits for the window to open.")
    actual_waiting_minutes = fields.Function(fields.Float(
            "Waiting (min)", digits=(8, 1),
            help="Minutes between the arrival and the opening of the "
            "delivery window, as tracked."),
        'get_actual_waiting_minutes')
    service_minutes = fields.Float("Service (min)", digits=(6, 1),
        readonly=True)
    distance_from_previous = fields.Float(
        "Distance from Previous (km)", digits=(12, 2), readonly=True)
    loading_sequence = fields.Integer(
        "Loading Sequence", readonly=True,
        help="Load first the stops with the lowest number.")
    weight = fields.Float("Weight (kg)", digits=(12, 2), readonly=True)
    volume = fields.Float("Volume (m³)", digits=(12, 4), readonly=True)
    locked = fields.Boolean("Locked",
        help="Re-planning keeps the stop on its trip, in its order.")
    state = fields.Selection(STOP_STATES, "State", required=True,
        readonly=True)
    arrived_at = fields.DateTime("Arrived At", readonly=True)
    departed_at = fields.DateTime("Departed At", readonly=True)
    delivered_at = fields.DateTime("Delivered At", readonly=True)
    attempts = fields.Integer("Failed Attempts", readonly=True)
    pod_receiver = fields.Char("Received By", readonly=True)
    pod_latitude = fields.Float("POD Latitude", digits=(9, 6),
        readonly=True)
    pod_longitude = fields.Float("POD Longitude", digits=(9, 6),
        readonly=True)
    pod_signature = fields.Binary("Signature", readonly=True,
        filename='pod_signature_name')
    pod_signature_name = fields.Char("Signature Name", readonly=True)
    pod_photo = fields.Binary("Photo", readonly=True,
        filename='pod_photo_name')
    pod_photo_name = fields.Char("Photo Name", readonly=True)
    failure_reason = fields.Char("Failure Reason",
        states={'readonly': Eval('state').in_(['delivered', 'failed'])})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('trip', 'DESC'), ('sequence', 'ASC'), ('id', 'ASC')]
        cls._buttons.update({
                'deliver': {
                    'invisible': Eval('state').in_(['delivered', 'failed']),
                    'depends': ['state']},
                'fail': {
                    'invisible': Eval('state').in_(['delivered', 'failed']),
                    'readonly': ~Eval('failure_reason'),
                    'depends': ['state', 'failure_reason']},
                })

    @classmethod
    def copy(cls, stops, default=None):
        "A copied stop is still to be served: no arrival, POD or failure"
        default = {} if default is None else default.copy()
        for name in ['arrived_at', 'departed_at', 'delivered_at',
                'pod_receiver', 'pod_latitude', 'pod_longitude',
                'pod_signature', 'pod_signature_name', 'pod_photo',
                'pod_photo_name', 'failure_reason']:
            default.setdefault(name, None)
        default.setdefault('state', 'pending')
        default.setdefault('attempts', 0)
        return super().copy(stops, default=default)

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_locked(cls):
        return False

    @classmethod
    def default_attempts(cls):
        return 0

    def get_actual_waiting_minutes(self, name=None):
        """Tracked wait: from the arrival to the window opening (or to the
        delivery or departure when earlier); 0 when it came in time"""
        if (not self.arrived_at or not self.window_start
                or self.arrived_at >= self.window_start):
            return 0.0
        end = min(t for t in (self.window_start, self.delivered_at,
                self.departed_at) if t is not None)
        return max(0.0, round(
                (end - self.arrived_at).total_seconds() / 60, 1))

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
        cls.record_delivery(stops, receiver=receiver)

    @classmethod
    def record_delivery(cls, stops, receiver=None, when=None,
            latitude=None, longitude=None, signature=None,
            signature_name=None, photo=None, photo_name=None):
        "Deliver stops with their proof of delivery"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        shipments = [s.shipment for s in stops
            if s.shipment.state == 'shipped']
        if shipments:
            Shipment.do(shipments)
        values = {
            'state': 'delivered',
            'delivered_at': when or dt.datetime.now(),
            'pod_receiver': receiver,
            'pod_latitude': latitude,
            'pod_longitude': longitude,
            }
        if signature is not None:
            values['pod_signature'] = signature
            values['pod_signature_name'] = signature_name or 'signature.png'
        if photo is not None:
            values['pod_photo'] = photo
            values['pod_photo_name'] = photo_name or 'photo.jpg'
        for stop in stops:
            if stop.arrived_at is None:
                values.setdefault('arrived_at', values['delivered_at'])
        cls.write(stops, values)
        cls._on_delivered(stops)

    @classmethod
    def _on_delivered(cls, stops):
        "Hook for billing and the order timeline"

    @classmethod
    @ModelView.button
    def fail(cls, stops, reason=None, when=None):
        "Record a failed delivery attempt with its reason"
        for stop in stops:
            if not (reason or stop.failure_reason):
                raise ValidationError(gettext(
                        'otwb_tms.msg_stop_fail_no_reason',
                        stop=stop.rec_name))
        for stop in stops:
            stop.state = 'failed'
            stop.failure_reason = reason or stop.failure_reason
            stop.attempts = (stop.attempts or 0) + 1
            stop.departed_at = stop.departed_at or when
        cls.save(stops)
        cls._on_failed(stops)

    @classmethod
    def _on_failed(cls, stops):
        "Hook for billing (failed attempts) and the order timeline"

    def get_rec_name(self, name):
        return '%s #%s' % (self.trip.rec_name, self.sequence)


class PlanStart(ModelView):
    "Plan Trips"
    __name__ = 'otwb.tms.trip.plan.start'
    __string__ = "Plan Trips"

    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True,
        domain=[('type', '=', 'warehouse')])
    extra_warehouses = fields.Many2Many(
        'stock.location', None, None, "Other Warehouses",
        domain=[('type', '=', 'warehouse'),
            ('id', '!=', Eval('warehouse', -1))],
        help="Planned with the warehouse in one multi-depot model.")
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
    plan = StateAction('otwb_tms.act_planning_run')

    def do_plan(self, action):
        "Queue a planning run and open it (progress shows there)"
        Run = Pool().get('otwb.tms.planning.run')
        run = Run(
            warehouse=self.start.warehouse, date=self.start.date,
            time_limit=self.start.time_limit,
            extra_warehouses=list(self.start.extra_warehouses or []))
        run.save()
        Run.run([run])
        action['views'].reverse()
        action['res_id'] = [run.id]
        return action, {}


class TripManifest(OfficeDocument, Report):
    "Trip Manifest"
    __name__ = 'otwb.tms.trip.manifest'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['stops'] = lambda trip: sorted(
            trip.stops, key=lambda s: (s.sequence, s.id))
        return context
