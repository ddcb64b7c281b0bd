# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.transaction import Transaction

MODES = [
    ('road_ftl', "Road FTL"),
    ('road_ltl', "Road LTL"),
    ('rail', "Rail"),
    ('water', "Water"),
    ('air', "Air"),
    ('express', "Express"),
    ]


class Vehicle(DeactivableMixin, ModelSQL, ModelView):
    "Vehicle"
    __name__ = 'otwb.tms.vehicle'

    name = fields.Char("Name", required=True)
    plate = fields.Char("Plate")
    company = fields.Many2One('company.company', "Company", required=True)
    mode = fields.Selection(MODES, "Mode", required=True)
    depot = fields.Many2One(
        'stock.location', "Home Depot", required=True,
        domain=[('type', '=', 'warehouse')])
    carrier = fields.Many2One('carrier', "Carrier",
        help="The carrier operating the vehicle, empty for own fleet.")
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

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_mode(cls):
        return 'road_ftl'

    @classmethod
    def default_max_duration(cls):
        return 10.0
