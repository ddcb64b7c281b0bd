# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Small data builders for the TMS scenario tests (ORM, no proteus)."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction

SHANGHAI = (31.2304, 121.4737)


def ref(module, xml_id):
    return Pool().get('ir.model.data').get_id(module, xml_id)


def uom(name):
    return Pool().get('product.uom')(ref('product', name))


def location(code):
    Location = Pool().get('stock.location')
    loc, = Location.search([('code', '=', code)])
    return loc


def warehouse(position=SHANGHAI):
    "The default warehouse WH, positioned through its address"
    Party = Pool().get('party.party')
    wh = location('WH')
    party, = Party.create([{'name': "Warehouse owner", 'addresses': [
                    ('create', [{'city': "Shanghai",
                                'otwb_latitude': position[0],
                                'otwb_longitude': position[1]}])]}])
    wh.address = party.addresses[0]
    wh.save()
    return wh


def customer(name, lat, lon, country=None, subdivision=None):
    Party = Pool().get('party.party')
    address = {'city': name, 'otwb_latitude': round(lat, 6),
        'otwb_longitude': round(lon, 6)}
    if country:
        address['country'] = country.id
    if subdivision:
        address['subdivision'] = subdivision.id
    party, = Party.create([{'name': name,
                'addresses': [('create', [address])]}])
    return party


def product(code, weight_kg=10.0, volume_m3=0.05):
    "A goods product weighing weight_kg and occupying volume_m3 per unit"
    Template = Pool().get('product.template')
    template, = Template.create([{
                'name': code, 'type': 'goods', 'code': code,
                'default_uom': uom('uom_unit').id,
                'list_price': Decimal('100'),
                'weight': weight_kg, 'weight_uom': uom('uom_kilogram').id,
                'volume': round(volume_m3 * 1000, 2),
                'volume_uom': uom('uom_liter').id,
                'products': [('create', [{}])],
                }])
    return template.products[0]


def second_warehouse(code, position):
    "A new warehouse with its own locations, positioned by its address"
    pool = Pool()
    Location = pool.get('stock.location')
    Party = pool.get('party.party')
    party, = Party.create([{'name': "Owner " + code, 'addresses': [
                    ('create', [{'city': code,
                                'otwb_latitude': position[0],
                                'otwb_longitude': position[1]}])]}])
    storage, input_, output = Location.create([
            {'name': code + " Storage", 'type': 'storage'},
            {'name': code + " Input", 'type': 'storage'},
            {'name': code + " Output", 'type': 'storage'},
            ])
    wh, = Location.create([{'name': code, 'code': code,
                'type': 'warehouse', 'storage_location': storage.id,
                'input_location': input_.id, 'output_location': output.id,
                'address': party.addresses[0].id}])
    return wh


def packed_shipments(company, lines, date=None, wh=None):
    """Packed customer shipments from wh (default WH), one per (party,
    product, quantity) of lines, in one batch"""
    pool = Pool()
    Move = pool.get('stock.move')
    Shipment = pool.get('stock.shipment.out')
    wh = wh or location('WH')
    date = date or dt.date.today()
    needed = {}
    for _, prod, qty in lines:
        needed[prod] = needed.get(prod, 0) + qty
    moves = Move.create([{
                'product': p.id, 'unit': p.default_uom.id, 'quantity': q,
                'from_location': location('SUP').id,
                'to_location': wh.storage_location.id,
                'company': company.id, 'unit_price': Decimal('1'),
                'currency': company.currency.id, 'effective_date': date,
                } for p, q in needed.items()])
    Move.do(moves)
    shipments = Shipment.create([{
                'customer': party.id,
                'delivery_address': party.addresses[0].id,
                'warehouse': wh.id,
                'warehouse_storage': wh.storage_location.id,
                'warehouse_output': wh.output_location.id,
                'company': company.id,
                'planned_date': date,
                'outgoing_moves': [('create', [{
                                'product': prod.id,
                                'unit': prod.default_uom.id,
                                'quantity': qty,
                                'from_location': wh.output_location.id,
                                'to_location': location('CUS').id,
                                'company': company.id,
                                'unit_price': Decimal('100'),
                                'currency': company.currency.id,
                                }])],
                } for party, prod, qty in lines])
    # the moves have no sale as origin: skip that warning
    with Transaction().set_context(_skip_warnings=True):
        Shipment.wait(shipments)
        Shipment.assign_try(shipments)
        Shipment.pick(shipments)
        Shipment.pack(shipments)
    return Shipment.browse([s.id for s in shipments])


def vehicle(company, wh, name, capacity_kg, capacity_m3, fixed=100,
        per_km='2', per_hour='30', max_hours=10.0, driver=None,
        mode='road_ltl', carrier=None):
    Vehicle = Pool().get('otwb.tms.vehicle')
    v, = Vehicle.create([{
                'name': name, 'company': company.id, 'mode': mode,
                'depot': wh.id, 'capacity_weight': capacity_kg,
                'capacity_volume': capacity_m3,
                'fixed_cost': Decimal(fixed),
                'cost_per_km': Decimal(per_km),
                'cost_per_hour': Decimal(per_hour),
                'max_duration': max_hours,
                'driver': driver.id if driver else None,
                'carrier': carrier.id if carrier else None,
                }])
    return v


def carrier(name):
    pool = Pool()
    Party = pool.get('party.party')
    Carrier = pool.get('carrier')
    Template = pool.get('product.template')
    party, = Party.create([{'name': name}])
    template, = Template.create([{
                'name': 'Freight ' + name, 'type': 'service',
                'default_uom': uom('uom_unit').id,
                'list_price': Decimal('0'),
                'products': [('create', [{}])],
                }])
    c, = Carrier.create([{'party': party.id,
                'carrier_product': template.products[0].id}])
    return c


def check_stored_trips(warehouse, trips, shipments):
    """Verify stored trips with engine.vrp.check_plan, independently of
    the solver: the problem is rebuilt from the records, each stored stop
    sequence and departure is re-simulated, then the stored ETAs, distances,
    loads and costs are compared with the simulation.  Returns the list of
    problems (empty: valid)."""
    from trytond.modules.otwb_tms.engine import vrp
    from trytond.modules.otwb_tms.engine.distance import GreatCircleProvider
    pool = Pool()
    Trip = pool.get('otwb.tms.trip')
    Vehicle = pool.get('otwb.tms.vehicle')
    config = pool.get('otwb.configuration')(1)
    warehouses = (list(warehouse) if isinstance(warehouse, (list, tuple))
        else [warehouse])
    vehicles = Vehicle.search([('depot', 'in', [w.id for w in warehouses])])
    stops = [Trip._planning_stop(s, None, multi=len(warehouses) > 1)
        for s in shipments]
    problem = Trip._planning_problem(warehouses, vehicles, stops)
    provider = GreatCircleProvider(
        circuity=config.circuity_factor, speed_kmh=config.average_speed)
    prep = vrp._Prepared(problem, None, provider)
    routes, problems = [], []
    for trip in trips:
        midnight = dt.datetime.combine(trip.date, dt.time())
        seq = sorted(trip.stops, key=lambda s: s.sequence)
        depart = round((trip.departure - midnight).total_seconds())
        route = vrp._make_route(prep, prep.vehicle[trip.vehicle.id], 1,
            tuple(s.shipment.id for s in seq), depart)
        routes.append(route)
        if abs(route.distance_km - trip.distance) > 0.011:
            problems.append('%s: distance %s stored, %s simulated' % (
                    trip.rec_name, trip.distance, route.distance_km))
        if route.cost != trip.cost:
            problems.append('%s: cost %s stored, %s simulated' % (
                    trip.rec_name, trip.cost, route.cost))
        if abs(route.load_kg - trip.load_weight) > 0.051:
            problems.append('%s: load %s stored, %s simulated' % (
                    trip.rec_name, trip.load_weight, route.load_kg))
        for stop, visit in zip(seq, route.visits):
            eta = midnight + dt.timedelta(minutes=visit.start_min)
            if abs((stop.planned_eta - eta).total_seconds()) > 1:
                problems.append('%s: ETA %s stored, %s simulated' % (
                        stop.rec_name, stop.planned_eta, eta))
    routed = {s for r in routes for s in r.stops}
    plan = vrp._make_plan(prep, routes, [
            vrp.Unassigned(stop=s.id, reason='not planned')
            for s in stops if s.id not in routed], 'records', 0.0)
    problems.extend(vrp.check_plan(problem, plan, provider=provider))
    return problems
