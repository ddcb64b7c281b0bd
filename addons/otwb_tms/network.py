# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Lane network: transfer nodes (stations, ports, hubs) and lanes."""
from decimal import Decimal

from sql import Literal
from sql.operators import Equal
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin,
    Exclude,
    ModelSQL,
    ModelView,
    fields,
)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .engine import multimodal
from .engine.distance import haversine_km
from .vehicle import ENGINE_MODES, MODES

NODE_KINDS = [
    ('road', "Road Point"),
    ('rail_station', "Rail Station"),
    ('port', "Port"),
    ('hub', "Hub"),
    ('airport', "Airport"),
    ]


class TransferNode(DeactivableMixin, ModelSQL, ModelView):
    "Transfer Node"
    __name__ = 'otwb.tms.node'
    __string__ = "Transfer Node"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    kind = fields.Selection(NODE_KINDS, "Kind", required=True)
    latitude = fields.Float(
        "Latitude", digits=(9, 6), required=True,
        domain=[('latitude', '>=', -90), ('latitude', '<=', 90)])
    longitude = fields.Float(
        "Longitude", digits=(9, 6), required=True,
        domain=[('longitude', '>=', -180), ('longitude', '<=', 180)])
    transfer_hours = fields.Float(
        "Transfer Time (h)", digits=(6, 2), required=True,
        domain=[('transfer_hours', '>=', 0)],
        help="Time spent when goods change lane here.")
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", domain=[('type', '=', 'warehouse')],
        help="The warehouse at this node, if any.")
    address = fields.Many2One('party.address', "Address")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Exclude(t, (t.code, Equal), (t.company, Equal),
                    where=t.active == Literal(True)),
                'otwb_tms.msg_node_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'hub'

    @classmethod
    def default_transfer_hours(cls):
        return 0.0

    def get_rec_name(self, name):
        return '[%s] %s' % (self.code, self.name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op, ('code', operator, value),
            ('name', operator, value)]

    def to_engine(self):
        return multimodal.Node(
            id=self.id, kind=self.kind, name=self.code,
            transfer_hours=self.transfer_hours or 0.0)


class Lane(DeactivableMixin, ModelSQL, ModelView):
    "Lane"
    __name__ = 'otwb.tms.lane'
    __string__ = "Lane"

    company = fields.Many2One('company.company', "Company", required=True)
    from_node = fields.Many2One(
        'otwb.tms.node', "From", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    to_node = fields.Many2One(
        'otwb.tms.node', "To", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1)),
            ('id', '!=', Eval('from_node', -1))])
    mode = fields.Selection(MODES, "Mode", required=True)
    carrier = fields.Many2One('carrier', "Carrier")
    service = fields.Many2One(
        'otwb.tms.carrier.service', "Service",
        domain=[('carrier', '=', Eval('carrier', -1))])
    distance = fields.Float(
        "Distance (km)", digits=(12, 1), required=True,
        domain=[('distance', '>=', 0)])
    transit_hours = fields.Float(
        "Transit Time (h)", digits=(8, 2), required=True,
        domain=[('transit_hours', '>=', 0)])
    currency = fields.Many2One('currency.currency', "Currency", required=True)
    cost_per_tkm = fields.Numeric(
        "Cost per t·km", digits=(16, 4), required=True,
        domain=[('cost_per_tkm', '>=', 0)])
    fixed_per_t = fields.Numeric(
        "Fixed per t", digits=(16, 4), required=True,
        domain=[('fixed_per_t', '>=', 0)])
    fixed_per_shipment = fields.Numeric(
        "Fixed per Shipment", digits=(16, 2), required=True,
        domain=[('fixed_per_shipment', '>=', 0)])
    handling_per_t = fields.Numeric(
        "Handling per t (each end)", digits=(16, 4), required=True,
        domain=[('handling_per_t', '>=', 0)],
        help="Charged at loading and again at unloading.")
    every_hours = fields.Float(
        "Cadence (h)", digits=(8, 2),
        domain=['OR', ('every_hours', '=', None), ('every_hours', '>', 0)],
        help="A departure every so many hours; empty: departs as soon as "
        "the goods are there (road).")
    first_departure_hour = fields.Float(
        "First Departure (h)", digits=(6, 2), required=True,
        domain=[('first_departure_hour', '>=', 0)],
        help="Hour of the first departure, from midnight of the query "
        "date.")
    cutoff_hours = fields.Float(
        "Cut-off (h)", digits=(6, 2), required=True,
        domain=[('cutoff_hours', '>=', 0)],
        help="The goods must be at the origin this long before departure.")
    capacity_per_day = fields.Float(
        "Capacity per Day (t)", digits=(12, 1),
        domain=['OR', ('capacity_per_day', '=', None),
            ('capacity_per_day', '>', 0)],
        help="Tonnes the lane can take per departure day; booked routes "
        "use it up.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('from_node', 'ASC'), ('to_node', 'ASC'),
            ('mode', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        Company = Pool().get('company.company')
        company = Transaction().context.get('company')
        if company:
            return Company(company).currency.id

    @classmethod
    def default_mode(cls):
        return 'road_ftl'

    @staticmethod
    def default_cost_per_tkm():
        return Decimal(0)

    @staticmethod
    def default_fixed_per_t():
        return Decimal(0)

    @staticmethod
    def default_fixed_per_shipment():
        return Decimal(0)

    @staticmethod
    def default_handling_per_t():
        return Decimal(0)

    @staticmethod
    def default_first_departure_hour():
        return 0.0

    @staticmethod
    def default_cutoff_hours():
        return 0.0

    @fields.depends('from_node', 'to_node', 'distance')
    def on_change_with_distance(self):
        "Great-circle estimate x circuity when the nodes change"
        if self.distance or not self.from_node or not self.to_node:
            return self.distance
        config = Pool().get('otwb.configuration')(1)
        return round(haversine_km(
                self.from_node.latitude, self.from_node.longitude,
                self.to_node.latitude, self.to_node.longitude)
            * config.circuity_factor, 1)

    def get_rec_name(self, name):
        return '%s → %s (%s%s)' % (
            self.from_node.code, self.to_node.code, self.mode,
            ', ' + self.carrier.rec_name if self.carrier else '')

    @classmethod
    def validate_fields(cls, lanes, field_names):
        super().validate_fields(lanes, field_names)
        if field_names & {'from_node', 'to_node'}:
            for lane in lanes:
                if lane.from_node == lane.to_node:
                    raise ValidationError(gettext(
                            'otwb_tms.msg_lane_loop',
                            lane=lane.rec_name))

    def to_engine(self, max_tonnes=None):
        return multimodal.Lane(
            id=self.id, from_node=self.from_node.id,
            to_node=self.to_node.id, mode=ENGINE_MODES[self.mode],
            carrier=self.carrier.rec_name if self.carrier else '',
            distance_km=self.distance or 0.0,
            transit_hours=self.transit_hours or 0.0,
            cost_per_tkm=self.cost_per_tkm or 0,
            fixed_per_t=self.fixed_per_t or 0,
            fixed_per_shipment=self.fixed_per_shipment or 0,
            handling_per_t=self.handling_per_t or 0,
            every_hours=self.every_hours or None,
            first_departure_hour=self.first_departure_hour or 0.0,
            cutoff_hours=self.cutoff_hours or 0.0,
            max_tonnes=max_tonnes)

    @classmethod
    def network(cls, date=None, company=None, exclude_routes=None):
        """The engine network of the active nodes and lanes of company.

        Lanes with a daily capacity get as limit the tonnes still free on
        date (capacity - tonnes of booked routes departing on that lane
        that day)."""
        pool = Pool()
        Node = pool.get('otwb.tms.node')
        Leg = pool.get('otwb.tms.route.leg')
        company = company or Transaction().context.get('company')
        nodes = Node.search([('company', '=', company)])
        lanes = cls.search([('company', '=', company)])
        node_ids = {n.id for n in nodes}
        lanes = [ln for ln in lanes
            if ln.from_node.id in node_ids and ln.to_node.id in node_ids]
        booked = {}
        capped = [ln.id for ln in lanes if ln.capacity_per_day]
        if date and capped:
            domain = [
                ('lane', 'in', capped),
                ('route.state', '=', 'booked'),
                ('depart_date', '=', date),
                ]
            if exclude_routes:
                domain.append(('route', 'not in', exclude_routes))
            for leg in Leg.search(domain):
                booked[leg.lane.id] = (
                    booked.get(leg.lane.id, 0.0) + (leg.route.tonnes or 0))
        elanes = []
        for ln in lanes:
            limit = None
            if ln.capacity_per_day:
                limit = max(ln.capacity_per_day - booked.get(ln.id, 0.0), 0)
            elanes.append(ln.to_engine(max_tonnes=limit))
        return multimodal.LaneNetwork(
            [n.to_engine() for n in nodes], elanes)

