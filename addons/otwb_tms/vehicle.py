# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fleet master data: vehicles and drivers."""
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction

MODES = [
    ('road_ftl', "Road FTL"),
    ('road_ltl', "Road LTL"),
    ('rail', "Rail"),
    ('water', "Water"),
    ('air', "Air"),
    ('express', "Express"),
    ]
# transport mode -> engine.multimodal mode
ENGINE_MODES = {
    'road_ftl': 'road', 'road_ltl': 'road', 'express': 'road',
    'rail': 'rail', 'water': 'water', 'air': 'air',
    }
ROAD_MODES = ('road_ftl', 'road_ltl')


def warehouse_position(warehouse):
    """(lat, lon) of a warehouse: its own coordinates (otwb_wms) else its
    address's (otwb_base); (None, None) when unknown."""
    lat = getattr(warehouse, 'otwb_latitude', None)
    lon = getattr(warehouse, 'otwb_longitude', None)
    if lat is not None and lon is not None:
        return lat, lon
    address = warehouse.address
    if address and address.otwb_latitude is not None \
            and address.otwb_longitude is not None:
        return address.otwb_latitude, address.otwb_longitude
    return None, None


class Vehicle(DeactivableMixin, ModelSQL, ModelView):
    "Vehicle"
    __name__ = 'otwb.tms.vehicle'
    __string__ = "Vehicle"

    name = fields.Char("Name", required=True)
    plate = fields.Char("Plate")
    company = fields.Many2One('company.company', "Company", required=True)
    mode = fields.Selection(MODES, "Mode", required=True)
    vehicle_type = fields.Selection([
            ('van', "Van"),
            ('box_truck', "Box Truck"),
            ('tractor_trailer', "Tractor-Trailer"),
            ('flatbed', "Flatbed (coils)"),
            ('tanker', "Tanker"),
            ('wagon', "Rail Wagon"),
            ('barge', "Barge"),
            ], "Type", required=True)
    depot = fields.Many2One(
        'stock.location', "Home Depot", required=True,
        domain=[('type', '=', 'warehouse')])
    carrier = fields.Many2One('carrier', "Carrier",
        help="The carrier operating the vehicle, empty for own fleet.")
    driver = fields.Many2One(
        'otwb.tms.driver', "Default Driver",
        domain=[('company', '=', Eval('company', -1))],
        help="His or her maximum duty time limits the trips of the "
        "vehicle.")
    capacity_weight = fields.Float(
        "Capacity (kg)", required=True, digits=(12, 1),
        domain=[('capacity_weight', '>', 0)])
    capacity_volume = fields.Float(
        "Capacity (m³)", required=True, digits=(12, 3),
        domain=[('capacity_volume', '>', 0)])
    capacity_pallets = fields.Integer("Capacity (pallets)")
    fixed_cost = fields.Numeric(
        "Fixed Cost per Trip", digits=(16, 2), required=True)
    cost_per_km = fields.Numeric("Cost per km", digits=(16, 4), required=True)
    cost_per_hour = fields.Numeric(
        "Cost per Hour", digits=(16, 2), required=True)
    max_duration = fields.Float(
        "Max Duration (h)", required=True, digits=(6, 2),
        help="The longest trip, driving and service, in hours.")
    unavailable_from = fields.Date(
        "Unavailable From", help="Maintenance or leave: not planned from "
        "this date.")
    unavailable_to = fields.Date(
        "Unavailable To",
        domain=['OR', ('unavailable_to', '=', None),
            ('unavailable_to', '>=', Eval('unavailable_from', None))],
        help="Inclusive; empty with a start date: until further notice.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_mode(cls):
        return 'road_ftl'

    @classmethod
    def default_vehicle_type(cls):
        return 'box_truck'

    @classmethod
    def default_max_duration(cls):
        return 10.0

    def is_available(self, date):
        if not self.unavailable_from or date < self.unavailable_from:
            return True
        return bool(self.unavailable_to and date > self.unavailable_to)

    @property
    def duty_limit_hours(self):
        "Trip duration limit: the vehicle's and its driver's, the lower"
        limit = self.max_duration
        if self.driver and self.driver.max_duty_hours:
            limit = min(limit, self.driver.max_duty_hours)
        return limit


class Driver(DeactivableMixin, ModelSQL, ModelView):
    "Driver"
    __name__ = 'otwb.tms.driver'
    __string__ = "Driver"

    name = fields.Char("Name", required=True)
    code = fields.Char("Code")
    company = fields.Many2One('company.company', "Company", required=True)
    phone = fields.Char("Phone")
    licence = fields.Char("Licence")
    carrier = fields.Many2One('carrier', "Carrier",
        help="The carrier employing the driver, empty for own staff.")
    depot = fields.Many2One(
        'stock.location', "Home Depot", domain=[('type', '=', 'warehouse')])
    max_duty_hours = fields.Float(
        "Max Duty (h)", required=True, digits=(5, 2),
        domain=[('max_duty_hours', '>', 0)],
        help="The longest working day: driving, waiting and service.")
    user = fields.Many2One('res.user', "User",
        help="The user account the driver's app logs in with.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_max_duty_hours(cls):
        return 10.0
