# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Transport demo data: drivers, carrier services and rules, the lane
network of the steel (S2) and coal (S4) stories, and their route quotes.

Called by ``demo_data.load`` inside the company context."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool

D = Decimal

DRIVERS = ["Zhang Wei", "Wang Fang", "Li Na", "Liu Yang", "Chen Jie",
    "Yang Min", "Zhao Lei", "Huang Li", "Zhou Tao"]

# code, name, kind, lat, lon, transfer hours
NODES = [
    ('SH-MILL', "Baoshan steel mill (Shanghai)", 'hub', 31.405, 121.489, 0),
    ('WH-RAIL', "Wuhan Wujiashan freight station", 'rail_station',
        30.636, 114.132, 4),
    ('WH-PORT', "Wuhan Yangluo port", 'port', 30.686, 114.552, 6),
    ('WH-PLANT', "Wuhan auto plant", 'road', 30.503, 114.160, 0),
    ('SM-MINE', "Shenmu coal mine", 'rail_station', 38.827, 110.499, 0),
    ('HHG-PORT', "Huanghua port", 'port', 38.322, 117.871, 48),
    ('GD-PLANT', "Guangdong power plant jetty", 'port', 22.748, 113.605, 0),
    ]
# from, to, mode, carrier mode key, km, hours, t·km, handling/t, extra
LANES = [
    # S2 steel coils Shanghai → Wuhan
    ('SH-MILL', 'WH-PLANT', 'road_ftl', 'road_ftl', 840, 36, '0.30', 0, {}),
    ('SH-MILL', 'WH-RAIL', 'rail', 'rail', 1050, 72, '0.155', 15, {
            'every_hours': 24, 'first_departure_hour': 20,
            'cutoff_hours': 4, 'capacity_per_day': 600}),
    ('WH-RAIL', 'WH-PLANT', 'road_ftl', 'road_ftl', 40, 2, '0.30', 0, {}),
    ('SH-MILL', 'WH-PORT', 'water', 'water', 1125, 120, '0.05', 0, {
            'every_hours': 48, 'first_departure_hour': 6,
            'cutoff_hours': 12, 'capacity_per_day': 3000}),
    ('WH-PORT', 'WH-PLANT', 'road_ftl', 'road_ftl', 40, 2, '0.30', 0, {}),
    # S4 coal mine → rail → northern port → coastal ship → power plant
    ('SM-MINE', 'HHG-PORT', 'rail', 'rail', 600, 30, '0.15', 12, {
            'every_hours': 12, 'capacity_per_day': 20000}),
    ('HHG-PORT', 'GD-PLANT', 'water', 'water', 2600, 120, '0.025', 10, {
            'every_hours': 24, 'first_departure_hour': 8,
            'capacity_per_day': 50000}),
    ('SM-MINE', 'GD-PLANT', 'road_ftl', 'road_ftl', 3000, 60, '0.35', 0, {}),
    ]
# carrier mode key, code, name, mode, level, SLA h, max kg, DG, fixed, /kg
SERVICES = [
    ('express', 'SF-SD', "Same day", 'express', 'same_day', 8, 10, False,
        '40', '3'),
    ('express', 'SF-ND', "Next day", 'express', 'express', 24, 30, False,
        '15', '2'),
    ('road_ltl', 'DP-LTL', "LTL standard", 'road_ltl', 'standard', 72,
        3000, False, '30', '0.8'),
    ('road_ltl', 'DP-EC', "LTL economy", 'road_ltl', 'economy', 120, 3000,
        False, '20', '0.6'),
    ('road_ftl', 'ST-FTL', "Full truckload", 'road_ftl', 'standard', 48,
        30000, True, '800', '0.1'),
    ('rail', 'CR-WAGON', "Wagon load", 'rail', 'economy', 96, 60000, False,
        '500', '0.15'),
    ('water', 'CC-BULK', "Coastal bulk", 'water', 'economy', 168, None,
        False, '1000', '0.05'),
    ('air', 'CS-AIR', "Air cargo", 'air', 'express', 24, 5000, False,
        '200', '8'),
    ]


def load(data, size, rng, today):
    pool = Pool()
    Driver = pool.get('otwb.tms.driver')
    Vehicle = pool.get('otwb.tms.vehicle')
    Node = pool.get('otwb.tms.node')
    Lane = pool.get('otwb.tms.lane')
    Service = pool.get('otwb.tms.carrier.service')
    Rule = pool.get('otwb.tms.carrier.rule')
    Route = pool.get('otwb.tms.route')
    company = data.company
    cny = data.currencies['CNY']

    # drivers: one per truck, the vehicle's default driver
    drivers = Driver.create([{
                'name': DRIVERS[i % len(DRIVERS)]
                + ('' if i < len(DRIVERS) else ' %d' % i),
                'code': 'DRV-%02d' % (i + 1),
                'company': company.id,
                'depot': v.depot.id,
                'max_duty_hours': 10.0 if v.mode == 'road_ltl' else 9.0,
                } for i, v in enumerate(data.vehicles)])
    for vehicle, driver in zip(data.vehicles, drivers):
        vehicle.driver = driver
    Vehicle.save(data.vehicles)

    services = {}
    for (key, code, name, mode, level, sla, max_kg, dg, fixed,
            per_kg) in SERVICES:
        services[code] = {
            'carrier': data.carriers[key].id, 'code': code, 'name': name,
            'mode': mode, 'service_level': level, 'sla_hours': sla,
            'max_weight': max_kg, 'dangerous_goods': dg,
            'currency': cny.id, 'price_fixed': D(fixed),
            'price_per_kg': D(per_kg)}
    services = {s.code: s for s in Service.create(list(services.values()))}

    Rule.create([{
                'sequence': 10, 'name': "Dangerous goods by FTL",
                'company': company.id, 'dangerous_goods': 'yes',
                'policy': 'fixed', 'service': services['ST-FTL'].id,
                }, {
                'sequence': 20, 'name': "Heavy (≥ 3 t): full truckload",
                'company': company.id, 'min_weight': 3000,
                'policy': 'fixed', 'service': services['ST-FTL'].id,
                }, {
                'sequence': 30, 'name': "Abroad: air cargo",
                'company': company.id, 'policy': 'cheapest_sla',
                'mode': 'air', 'country': _country('US'),
                }, {
                'sequence': 100, 'name': "Default: cheapest meeting SLA",
                'company': company.id, 'policy': 'cheapest_sla',
                }])

    nodes = Node.create([{
                'code': code, 'name': name, 'kind': kind,
                'latitude': lat, 'longitude': lon,
                'transfer_hours': hours, 'company': company.id,
                } for code, name, kind, lat, lon, hours in NODES])
    nodes = {n.code: n for n in nodes}
    Lane.create([dict({
                    'company': company.id, 'currency': cny.id,
                    'from_node': nodes[a].id, 'to_node': nodes[b].id,
                    'mode': mode, 'carrier': data.carriers[key].id,
                    'distance': km, 'transit_hours': hours,
                    'cost_per_tkm': D(tkm), 'handling_per_t': D(handling),
                    }, **extra)
            for a, b, mode, key, km, hours, tkm, handling, extra in LANES])

    # the stories' route quotes: steel with a tight and a loose deadline,
    # coal by the shipload
    ready = dt.datetime.combine(today, dt.time(8))
    routes = Route.create([{
                'reference': ref, 'company': company.id,
                'origin': nodes[a].id, 'destination': nodes[b].id,
                'tonnes': tonnes, 'departure': ready,
                'deadline': ready + dt.timedelta(hours=hours),
                'objective': 'cheapest'}
            for ref, a, b, tonnes, hours in [
                ("S2 coils, 2 days", 'SH-MILL', 'WH-PLANT', 25, 48),
                ("S2 coils, 4 days", 'SH-MILL', 'WH-PLANT', 25, 100),
                ("S2 coils, 8 days", 'SH-MILL', 'WH-PLANT', 25, 200),
                ("S4 coal shipload", 'SM-MINE', 'GD-PLANT', 5000, 240),
                ]])
    Route.compute(routes)
    data.counts['tms_routes'] = len(routes)
    data.counts['tms_lanes'] = len(LANES)


def _country(code):
    Country = Pool().get('country.country')
    countries = Country.search([('code', '=', code)], limit=1)
    return countries[0].id if countries else None
