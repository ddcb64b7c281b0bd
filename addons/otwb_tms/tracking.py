# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Tracking events from carriers, devices and drivers; dispatcher alerts."""
import base64
import binascii
import datetime as dt
import hashlib
import json
import math

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.otwb_base.otwb import searchable
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access

from .engine.distance import EARTH_RADIUS_KM
from .vehicle import warehouse_position

EVENT_TYPES = [
    ('departed', "Departed"),
    ('arrived', "Arrived at Stop"),
    ('delivered', "Delivered"),
    ('failed', "Delivery Failed"),
    ('delay', "Delay"),
    ('position', "GPS Position"),
    ]
SOURCES = [
    ('carrier', "Carrier"),
    ('device', "Device"),
    ('driver', "Driver"),
    ('dispatcher', "Dispatcher"),
    ]
EXCEPTION_KINDS = [
    ('late', "Late"),
    ('long_stop', "Long Stop"),
    ('deviation', "Route Deviation"),
    ('failed_delivery', "Failed Delivery"),
    ]
ACTIVE_TRIP_STATES = {'dispatched', 'in_transit', 'exception'}
MAX_BINARY = 2 * 1024 * 1024  # 2 MiB decoded, per photo / signature


def _parse_dt(value):
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, str):
        result = dt.datetime.fromisoformat(value.replace('Z', '+00:00'))
    else:
        raise ValueError(value)
    if result.tzinfo is not None:
        result = result.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return result.replace(microsecond=0)


def _segment_km(lat, lon, a, b):
    "Distance in km of (lat, lon) to the segment a-b (equirectangular)"
    lat0 = math.radians(lat)
    k = math.pi / 180 * EARTH_RADIUS_KM

    def xy(p):
        return ((p[1] - lon) * k * math.cos(lat0), (p[0] - lat) * k)
    ax, ay = xy(a)
    bx, by = xy(b)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if not length2 else max(0.0, min(1.0,
            -(ax * dx + ay * dy) / length2))
    px, py = ax + t * dx, ay + t * dy
    return math.hypot(px, py)


class TrackingEvent(ModelSQL, ModelView):
    "Tracking Event"
    __name__ = 'otwb.tms.tracking.event'
    __string__ = "Tracking Event"

    # Alert thresholds
    LATE_TOLERANCE_MIN = 30
    LONG_STOP_EXTRA_MIN = 30
    DEVIATION_KM = 10.0

    event_id = fields.Char("Event ID", required=True, readonly=True,
        help="The sender's unique id: a retry with the same id is "
        "recognised and not applied twice.")
    source = fields.Selection(SOURCES, "Source", required=True,
        readonly=True)
    type = fields.Selection(EVENT_TYPES, "Type", required=True,
        readonly=True)
    trip = fields.Many2One('otwb.tms.trip', "Trip", required=True,
        readonly=True, ondelete='CASCADE')
    stop = fields.Many2One('otwb.tms.trip.stop', "Stop", readonly=True,
        ondelete='CASCADE')
    occurred_at = fields.DateTime("Occurred At", required=True,
        readonly=True)
    received_at = fields.DateTime("Received At", required=True,
        readonly=True)
    latitude = fields.Float("Latitude", digits=(9, 6), readonly=True)
    longitude = fields.Float("Longitude", digits=(9, 6), readonly=True)
    reason = fields.Char("Reason", readonly=True)
    delay_minutes = fields.Float("Delay (min)", digits=(8, 1),
        readonly=True)
    receiver = fields.Char("Receiver", readonly=True)
    payload_hash = fields.Char("Payload Hash", readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('event_id_unique', Unique(t, t.event_id),
                'otwb_tms.msg_tracking_event_unique'),
            ]
        cls._order = [('occurred_at', 'DESC'), ('id', 'DESC')]
        cls.__rpc__.update({
                'submit': RPC(readonly=False, instantiate=None),
                })

    # --- RPC ----------------------------------------------------------
    @classmethod
    def submit(cls, events):
        """Tracking events over RPC; one answer per item, in order.

        Item: {'event_id', 'type' (departed, arrived, delivered, failed,
        delay, position), 'trip' (number), 'stop' (sequence in the trip;
        required for arrived/delivered/failed), 'occurred_at' (ISO
        datetime, UTC if naive), 'latitude', 'longitude', 'reason'
        (failed), 'delay_minutes' (delay), 'receiver', 'signature' and
        'photo' (base64, delivered), 'source' (carrier, device, driver)}.

        Answer: {'index', 'event_id', 'status': 'applied' | 'duplicate'
        (same id and payload: nothing done again) | 'conflict' (same id,
        other payload: nothing done) | 'rejected' (nothing written),
        'errors', 'etas': [{'stop', 'eta'}], 'alerts': [kinds]}."""
        pool = Pool()
        Config = pool.get('otwb.configuration')
        Trip = pool.get('otwb.tms.trip')
        ModelAccess = pool.get('ir.model.access')
        ModelAccess.check(cls.__name__, 'create')
        if not isinstance(events, (list, tuple)):
            raise ValidationError(gettext(
                    'otwb_tms.msg_rpc_not_list', name='events'))
        max_items = Config(1).rpc_max_items or 1000
        if len(events) > max_items:
            raise ValidationError(gettext(
                    'otwb_tms.msg_rpc_too_many', count=len(events),
                    limit=max_items))
        answers = []
        scope = cls._carrier_scope()
        with without_check_access():
            numbers = {e.get('trip') for e in events
                if isinstance(e, dict) and searchable(e.get('trip'))}
            trips = {t.number: t for t in Trip.search(
                    [('number', 'in', list(numbers))])} if numbers else {}
            if trips:
                # serialise the events of a trip (restart on conflict)
                Trip.lock(list(trips.values()))
            ids = [e.get('event_id') for e in events
                if isinstance(e, dict) and searchable(e.get('event_id'))]
            known = {e.event_id: e for e in cls.search(
                    [('event_id', 'in', ids)])} if ids else {}
            for index, item in enumerate(events):
                answer = {'index': index, 'errors': [],
                    'event_id': item.get('event_id')
                    if isinstance(item, dict) else None}
                answers.append(answer)
                values = cls._validate_item(item, trips, answer['errors'],
                    scope=scope)
                if answer['errors']:
                    answer['status'] = 'rejected'
                    continue
                previous = known.get(values['event_id'])
                if previous is not None:
                    answer['status'] = ('duplicate'
                        if previous.payload_hash == values['payload_hash']
                        else 'conflict')
                    continue
                event, = cls.create([values])
                known[event.event_id] = event
                alerts = event.apply(binaries=cls._binaries(item))
                answer['status'] = 'applied'
                answer['alerts'] = sorted({a.kind for a in alerts})
                trip = Trip(event.trip.id)
                answer['etas'] = [{
                        'stop': s.sequence,
                        'eta': s.eta.isoformat() if s.eta else None}
                    for s in trip.remaining_stops()]
        return answers

    @classmethod
    def _carrier_scope(cls):
        """None: any trip; a carrier: the integration user posts for that
        carrier's trips only; False: own-fleet trips only"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        user = Transaction().user
        if not user:
            return None
        group = ModelData.get_id('otwb_base', 'group_integration')
        if group not in User.get_groups():
            return None
        with without_check_access():
            carrier = User(user).otwb_carrier
        return carrier or False

    @classmethod
    def _validate_item(cls, item, trips, errors, scope=None):
        if not isinstance(item, dict):
            errors.append(gettext('otwb_tms.msg_rpc_item_not_dict'))
            return None
        known = {'event_id', 'type', 'trip', 'stop', 'occurred_at',
            'latitude', 'longitude', 'reason', 'delay_minutes', 'receiver',
            'signature', 'photo', 'source'}
        for key in sorted(set(item) - known):
            errors.append(gettext('otwb_tms.msg_rpc_unknown_key', key=key))
        values = {}
        event_id = item.get('event_id')
        if not searchable(event_id) or not event_id.strip():
            errors.append(gettext('otwb_tms.msg_tracking_bad_event_id',
                    value=event_id))
        else:
            values['event_id'] = event_id
        type_ = item.get('type')
        if type_ not in dict(EVENT_TYPES):
            errors.append(gettext('otwb_tms.msg_rpc_bad_choice',
                    field='type', value=type_,
                    choices=', '.join(dict(EVENT_TYPES))))
        values['type'] = type_
        source = item.get('source', 'device')
        if source not in {'carrier', 'device', 'driver'}:
            errors.append(gettext('otwb_tms.msg_rpc_bad_choice',
                    field='source', value=source,
                    choices='carrier, device, driver'))
        values['source'] = source
        forbidden = False
        trip = trips.get(item.get('trip')) \
            if isinstance(item.get('trip'), str) else None
        if trip is None:
            errors.append(gettext('otwb_tms.msg_tracking_unknown_trip',
                    value=item.get('trip')))
        elif trip.state not in ACTIVE_TRIP_STATES:
            errors.append(gettext('otwb_tms.msg_tracking_trip_state',
                    trip=trip.rec_name, state=trip.state))
        elif scope is not None and (trip.carrier or trip.vehicle.carrier
                or False) != scope:
            trip_carrier = trip.carrier or trip.vehicle.carrier
            if scope:
                errors.append(gettext(
                        'otwb_tms.msg_tracking_carrier_forbidden',
                        trip=trip.rec_name, carrier=scope.rec_name))
            else:
                errors.append(gettext(
                        'otwb_tms.msg_tracking_own_fleet_only',
                        trip=trip.rec_name, carrier=trip_carrier.rec_name))
            trip = forbidden = None
        else:
            values['trip'] = trip.id
        stop = None
        if item.get('stop') is not None and trip is not None:
            seq = item['stop']
            stops = [s for s in trip.stops if s.sequence == seq] \
                if isinstance(seq, int) and not isinstance(seq, bool) else []
            if not stops:
                errors.append(gettext('otwb_tms.msg_tracking_unknown_stop',
                        value=seq, trip=trip.rec_name))
            else:
                stop, = stops
                values['stop'] = stop.id
        if type_ in {'arrived', 'delivered', 'failed'} and stop is None \
                and forbidden is not None \
                and not any('stop' in e for e in errors):
            errors.append(gettext('otwb_tms.msg_tracking_stop_required',
                    type=type_))
        if stop is not None and type_ in {'arrived', 'delivered', 'failed'} \
                and stop.state in {'delivered', 'failed'}:
            errors.append(gettext('otwb_tms.msg_tracking_stop_closed',
                    stop=stop.rec_name, state=stop.state))
        try:
            values['occurred_at'] = _parse_dt(item.get('occurred_at'))
        except (TypeError, ValueError):
            errors.append(gettext('otwb_tms.msg_rpc_bad_datetime',
                    field='occurred_at', value=item.get('occurred_at')))
        lat, lon = item.get('latitude'), item.get('longitude')
        if lat is not None or lon is not None or type_ == 'position':
            ok = True
            for name, value, bound in (
                    ('latitude', lat, 90), ('longitude', lon, 180)):
                if (isinstance(value, bool)
                        or not isinstance(value, (int, float))
                        or not math.isfinite(value)
                        or not -bound <= value <= bound):
                    errors.append(gettext('otwb_tms.msg_rpc_bad_number',
                            field=name, value=value,
                            reason='in [-%s, %s]' % (bound, bound)))
                    ok = False
            if ok:
                values['latitude'], values['longitude'] = (
                    round(float(lat), 6), round(float(lon), 6))
        reason = item.get('reason')
        if reason is not None and (not isinstance(reason, str)
                or len(reason) > 500):
            errors.append(gettext('otwb_tms.msg_rpc_bad_text',
                    field='reason'))
        elif type_ == 'failed' and not (reason or '').strip():
            errors.append(gettext('otwb_tms.msg_tracking_reason_required'))
        else:
            values['reason'] = reason
        delay = item.get('delay_minutes')
        if type_ == 'delay' or delay is not None:
            if (isinstance(delay, bool) or not isinstance(delay, (int, float))
                    or not math.isfinite(delay)
                    or not -1440 <= delay <= 10080):
                errors.append(gettext('otwb_tms.msg_rpc_bad_number',
                        field='delay_minutes', value=delay,
                        reason='in [-1440, 10080]'))
            else:
                values['delay_minutes'] = float(delay)
        receiver = item.get('receiver')
        if receiver is not None and (not isinstance(receiver, str)
                or len(receiver) > 200):
            errors.append(gettext('otwb_tms.msg_rpc_bad_text',
                    field='receiver'))
        else:
            values['receiver'] = receiver
        for name in ('signature', 'photo'):
            raw = item.get(name)
            if raw is None:
                continue
            try:
                if not isinstance(raw, str):
                    raise ValueError
                data = base64.b64decode(raw, validate=True)
                if len(data) > MAX_BINARY:
                    raise ValueError
            except (ValueError, binascii.Error):
                errors.append(gettext('otwb_tms.msg_tracking_bad_binary',
                        field=name, limit=MAX_BINARY))
        payload = json.dumps(item, sort_keys=True, default=str)
        values['payload_hash'] = hashlib.sha256(
            payload.encode('utf-8')).hexdigest()
        values['received_at'] = dt.datetime.now().replace(microsecond=0)
        values['user'] = Transaction().user
        return values

    @staticmethod
    def _binaries(item):
        return {n: base64.b64decode(item[n]) for n in ('signature', 'photo')
            if item.get(n) is not None}

    # --- applying -----------------------------------------------------
    def apply(self, binaries=None):
        """Apply the event to its trip and stop, recompute the ETAs and
        raise the alerts.  Returns the exceptions raised."""
        pool = Pool()
        Trip = pool.get('otwb.tms.trip')
        Stop = pool.get('otwb.tms.trip.stop')
        trip = Trip(self.trip.id)
        stop = Stop(self.stop.id) if self.stop else None
        when = self.occurred_at
        alerts = []
        binaries = binaries or {}
        if trip.state == 'dispatched' and self.type != 'position':
            Trip.start([trip])
            trip = Trip(trip.id)
        position = None
        if self.latitude is not None:
            position = (self.latitude, self.longitude)
        if self.type == 'departed':
            if stop is None:
                trip.departure = when
                trip.save()
            else:
                stop.departed_at = when
                stop.save()
                alerts += self._check_long_stop(stop)
                position = position or (stop.latitude, stop.longitude)
        elif self.type == 'arrived':
            stop.state = 'arrived'
            stop.arrived_at = when
            stop.save()
        elif self.type == 'delivered':
            Stop.record_delivery(
                [stop], receiver=self.receiver, when=when,
                latitude=self.latitude, longitude=self.longitude,
                signature=binaries.get('signature'),
                photo=binaries.get('photo'))
            stop = Stop(stop.id)
            position = position or (stop.latitude, stop.longitude)
        elif self.type == 'failed':
            Stop.fail([stop], reason=self.reason, when=when)
            stop = Stop(stop.id)
            alerts += self._raise('failed_delivery', trip, stop,
                gettext('otwb_tms.msg_alert_failed',
                    stop=stop.rec_name, reason=self.reason))
            position = position or (stop.latitude, stop.longitude)
        elif self.type == 'delay':
            trip.delay_minutes = self.delay_minutes
            trip.save()
        elif self.type == 'position':
            alerts += self._check_deviation(trip, position)
        if position is not None and position[0] is not None:
            trip = Trip(trip.id)
            trip.last_latitude, trip.last_longitude = position
            trip.last_position_at = when
            trip.save()
        trip = Trip(trip.id)
        delay = self.delay_minutes if self.type == 'delay' else 0
        changed = trip.recompute_eta(when, position=position
            if position and position[0] is not None else None,
            delay_minutes=delay)
        if changed:
            Stop.save(changed)
        alerts += self._check_late(trip, changed)
        if alerts and trip.state == 'in_transit' and any(
                a.kind in {'failed_delivery', 'deviation'} for a in alerts):
            Trip.write([trip], {'state': 'exception'})
        return alerts

    def _raise(self, kind, trip, stop, description):
        "Open an exception unless the same one is already open"
        Exception_ = Pool().get('otwb.tms.exception')
        domain = [('trip', '=', trip.id), ('kind', '=', kind),
            ('state', '!=', 'resolved')]
        domain.append(('stop', '=', stop.id if stop else None))
        existing = Exception_.search(domain, limit=1)
        if existing:
            # keep one open alert per trip, stop and kind, with the news
            if existing[0].description != description:
                Exception_.write(existing, {'description': description})
            return []
        return Exception_.create([{
                    'trip': trip.id, 'stop': stop.id if stop else None,
                    'kind': kind, 'description': description,
                    'raised_at': self.occurred_at, 'event': self.id,
                    }])

    def _check_long_stop(self, stop):
        if not stop.arrived_at or not self.occurred_at:
            return []
        minutes = (self.occurred_at - stop.arrived_at).total_seconds() / 60
        limit = (stop.service_minutes or 0) + self.LONG_STOP_EXTRA_MIN
        if minutes <= limit:
            return []
        return self._raise('long_stop', stop.trip, stop, gettext(
                'otwb_tms.msg_alert_long_stop', stop=stop.rec_name,
                minutes=round(minutes), limit=round(limit)))

    def _check_deviation(self, trip, position):
        remaining = [s for s in trip.remaining_stops()
            if s.latitude is not None]
        if not remaining or position is None:
            return []
        visited = [s for s in sorted(trip.stops, key=lambda s: s.sequence)
            if s.state in {'delivered', 'failed'} and s.latitude is not None]
        if visited:
            previous = (visited[-1].latitude, visited[-1].longitude)
        else:
            previous = warehouse_position(trip.warehouse)
        target = (remaining[0].latitude, remaining[0].longitude)
        off = _segment_km(position[0], position[1], previous, target)
        if off <= self.DEVIATION_KM:
            return []
        return self._raise('deviation', trip, None, gettext(
                'otwb_tms.msg_alert_deviation', trip=trip.rec_name,
                km=round(off, 1), limit=self.DEVIATION_KM,
                stop=remaining[0].rec_name))

    def _check_late(self, trip, stops):
        alerts = []
        tolerance = dt.timedelta(minutes=self.LATE_TOLERANCE_MIN)
        for stop in stops:
            if not stop.eta:
                continue
            if stop.promised_at and stop.eta > stop.promised_at:
                alerts += self._raise('late', trip, stop, gettext(
                        'otwb_tms.msg_alert_late_promise',
                        stop=stop.rec_name, eta=stop.eta,
                        promised=stop.promised_at))
            elif stop.planned_eta and stop.eta > stop.planned_eta + tolerance:
                alerts += self._raise('late', trip, stop, gettext(
                        'otwb_tms.msg_alert_late_eta',
                        stop=stop.rec_name, eta=stop.eta,
                        planned=stop.planned_eta,
                        minutes=self.LATE_TOLERANCE_MIN))
        return alerts


class TransportException(Workflow, ModelSQL, ModelView):
    "Transport Exception"
    __name__ = 'otwb.tms.exception'
    __string__ = "Transport Exception"

    trip = fields.Many2One('otwb.tms.trip', "Trip", required=True,
        readonly=True, ondelete='CASCADE')
    stop = fields.Many2One('otwb.tms.trip.stop', "Stop", readonly=True,
        ondelete='CASCADE')
    kind = fields.Selection(EXCEPTION_KINDS, "Kind", required=True,
        readonly=True)
    description = fields.Text("Description", readonly=True)
    raised_at = fields.DateTime("Raised At", required=True, readonly=True)
    event = fields.Many2One('otwb.tms.tracking.event', "Event",
        readonly=True, ondelete='SET NULL')
    state = fields.Selection([
            ('open', "Open"),
            ('acknowledged', "Acknowledged"),
            ('resolved', "Resolved"),
            ], "State", required=True, readonly=True)
    note = fields.Text("Note",
        states={'readonly': Eval('state') == 'resolved'})
    handled_by = fields.Many2One('res.user', "Handled By", readonly=True)
    resolved_at = fields.DateTime("Resolved At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('raised_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('open', 'acknowledged'),
            ('open', 'resolved'),
            ('acknowledged', 'resolved'),
            }
        cls._buttons.update({
                'acknowledge': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state']},
                'resolve': {
                    'invisible': Eval('state') == 'resolved',
                    'depends': ['state']},
                })

    @classmethod
    def default_state(cls):
        return 'open'

    def get_rec_name(self, name):
        return '%s: %s' % (self.trip.rec_name, self.kind)

    @classmethod
    @ModelView.button
    @Workflow.transition('acknowledged')
    def acknowledge(cls, exceptions):
        cls.write(exceptions, {'handled_by': Transaction().user})

    @classmethod
    @ModelView.button
    @Workflow.transition('resolved')
    def resolve(cls, exceptions):
        "Close the alerts; a trip without open alerts is back in transit"
        Trip = Pool().get('otwb.tms.trip')
        cls.write(exceptions, {
                'handled_by': Transaction().user,
                'resolved_at': dt.datetime.now()})
        trips = {e.trip for e in exceptions}
        back = []
        for trip in trips:
            if trip.state == 'exception' and not cls.search([
                        ('trip', '=', trip.id),
                        ('state', '!=', 'resolved'),
                        ('id', 'not in', [e.id for e in exceptions]),
                        ], limit=1):
                back.append(trip)
        if back:
            Trip.write(back, {'state': 'in_transit'})
