# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Small data builders for the WMS scenario tests (ORM, no proteus)."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool


def uom(name):
    Uom = Pool().get('product.uom')
    ModelData = Pool().get('ir.model.data')
    return Uom(ModelData.get_id('product', name))


def location(code):
    Location = Pool().get('stock.location')
    loc, = Location.search([('code', '=', code)])
    return loc


def warehouse():
    return location('WH')


def create_bins(aisles=2, bays=4, levels=1, zone='pick_face',
        capacity_volume=1.5, capacity_weight=1000.0, pallets=1,
        parent=None):
    """Bins A<aisle>-B<bay>-L<level> under the storage location of WH,
    aisle centre lines 3 m apart (x = 3 * aisle), bays 1.2 m deep
    (y = 1.2 * bay); returns {(aisle, bay, level): location}."""
    Location = Pool().get('stock.location')
    parent = parent or warehouse().storage_location
    vlist, keys = [], []
    for a in range(1, aisles + 1):
        for b in range(1, bays + 1):
            for lev in range(1, levels + 1):
                keys.append((a, b, lev))
                vlist.append({
                        'name': 'A%02d-B%02d-L%d' % (a, b, lev),
                        'code': 'A%02d-B%02d-L%d' % (a, b, lev),
                        'type': 'storage', 'parent': parent.id,
                        'otwb_zone_type': zone,
                        'otwb_aisle': a, 'otwb_bay': b, 'otwb_level': lev,
                        'otwb_x': 3.0 * a, 'otwb_y': round(1.2 * b, 2),
                        'otwb_capacity_volume': capacity_volume,
                        'otwb_capacity_weight': capacity_weight,
                        'otwb_capacity_pallets': pallets,
                        })
    return dict(zip(keys, Location.create(vlist)))


def create_product(code, length=None, width=None, height=None,
        weight=None, unit='uom_unit', category=None, lot_required=False):
    Template = Pool().get('product.template')
    values = {
        'name': code, 'type': 'goods', 'default_uom': uom(unit).id,
        'list_price': Decimal('10'),
        'code': code,
        'products': [('create', [{}])],
        }
    if length:
        values.update({
                'length': length, 'width': width, 'height': height,
                'length_uom': uom('uom_centimeter').id,
                'width_uom': uom('uom_centimeter').id,
                'height_uom': uom('uom_centimeter').id,
                })
    if weight:
        values.update({
                'weight': weight, 'weight_uom': uom('uom_kilogram').id})
    if category:
        values['categories'] = [('add', [category.id])]
    template, = Template.create([values])
    product, = template.products
    return product


def stock(company, product, to_location, quantity, lot=None):
    "Receive quantity of product from the supplier into the location"
    Move = Pool().get('stock.move')
    move, = Move.create([{
                'product': product.id, 'unit': product.default_uom.id,
                'quantity': quantity,
                'from_location': location('SUP').id,
                'to_location': to_location.id,
                'company': company.id, 'unit_price': Decimal('1'),
                'currency': company.currency.id,
                'lot': lot.id if lot else None,
                'effective_date': dt.date.today(),
                }])
    Move.do([move])
    return move


def customer():
    Party = Pool().get('party.party')
    party, = Party.create([{
                'name': "Customer",
                'addresses': [('create', [{'city': "Hangzhou"}])],
                }])
    return party


def shipment(company, party, lines, assign=True, carrier=None):
    """A customer shipment from WH of [(product, quantity)], waiting and
    (when assign) reserved"""
    pool = Pool()
    Shipment = pool.get('stock.shipment.out')
    values = {
        'customer': party.id,
        'delivery_address': party.addresses[0].id,
        'warehouse': warehouse().id,
        'warehouse_storage': warehouse().storage_location.id,
        'warehouse_output': warehouse().output_location.id,
        'company': company.id,
        'planned_date': dt.date.today(),
        'outgoing_moves': [('create', [{
                        'product': p.id, 'unit': p.default_uom.id,
                        'quantity': q,
                        'from_location': location('OUT').id,
                        'to_location': location('CUS').id,
                        'company': company.id, 'unit_price': Decimal('10'),
                        'currency': company.currency.id,
                        } for p, q in lines])],
        }
    if carrier is not None:
        values['carrier'] = carrier.id
    record, = Shipment.create([values])
    Shipment.wait([record])
    if assign:
        Shipment.assign_try([record])
    return Shipment(record.id)


def pick_all(device='TEST-1', types=('pick',)):
    "Claim and complete every pending task of the types"
    Task = Pool().get('otwb.wms.task')
    done = []
    while True:
        task = Task.claim_next(device, list(types))
        if not task:
            return done
        Task.complete(device, task['id'])
        done.append(task)


def quantity(product, loc):
    Product = Pool().get('product.product')
    from trytond.transaction import Transaction
    with Transaction().set_context(
            locations=[loc.id], stock_date_end=dt.date.today(),
            with_childs=True):
        return Product(product.id).quantity
