# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Heavy and bulk goods: coal by weighbridge, steel coils by lot."""
import datetime as dt
import unittest

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from . import tools


def tonne():
    Uom = Pool().get('product.uom')
    unit, = Uom.create([{
                'name': "Tonne", 'symbol': 't',
                'category': tools.uom('uom_kilogram').category.id,
                'factor': 1000.0, 'rate': 0.001,
                'rounding': 0.001, 'digits': 3}])
    return unit


class HeavyScenarioTestCase(unittest.TestCase):
    "Coal in tonnes by weighbridge, steel coils one by one"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_wms'])

    @with_transaction()
    def test_coal_weighed_in_and_out(self):
        "Net weights drive the received and the dispatched tonnes"
        pool = Pool()
        Template = pool.get('product.template')
        Party = pool.get('party.party')
        ASN = pool.get('otwb.wms.asn')
        Ticket = pool.get('otwb.wms.weighbridge.ticket')
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        Exception_ = pool.get('otwb.wms.exception')
        company = create_company()
        with set_company(company):
            t = tonne()
            coal, = Template.create([{
                        'name': "Thermal coal", 'type': 'goods',
                        'default_uom': t.id, 'code': 'COAL',
                        'products': [('create', [{}])]}])
            coal, = coal.products
            # two bulk yards of 5,000 t
            yards = tools.create_bins(aisles=1, bays=2, zone='bulk',
                capacity_volume=1e4, capacity_weight=5e6, pallets=0)
            Party.create([{'name': "Mine", 'code': 'MINE'}])
            result, = ASN.submit([{
                        'supplier': 'MINE', 'number': 'RAIL-1',
                        'warehouse': 'WH',
                        'lines': [{'sku': 'COAL', 'quantity': 60}]}])
            asn = ASN(result['asn'])
            line, = asn.lines
            warehouse = tools.warehouse()

            # bad weights: nothing written
            bad, = Ticket.create([{
                        'warehouse': warehouse.id, 'direction': 'in',
                        'vehicle': 'W-1', 'gross_weight': 20000,
                        'tare_weight': 29000, 'asn_line': line.id}])
            with self.assertRaises(ValidationError):
                Ticket.confirm([bad])

            ticket, = Ticket.create([{
                        'warehouse': warehouse.id, 'direction': 'in',
                        'vehicle': 'WAGON-C64-1', 'gross_weight': 89400,
                        'tare_weight': 29250, 'asn_line': line.id}])
            Ticket.confirm([ticket])
            ticket = Ticket(ticket.id)
            self.assertEqual((ticket.net_weight, ticket.quantity,
                    ticket.state), (60150, 60.15, 'done'))
            ASN.receive([asn])
            line = ASN(asn.id).lines[0]
            self.assertEqual((line.received_quantity, line.variance_type),
                (60.15, 'over'))
            tools.pick_all('LOADER-1', types=('putaway',))
            self.assertAlmostEqual(
                sum(tools.quantity(coal, y) for y in yards.values()), 60.15)
            yard, = [y for y in yards.values()
                if tools.quantity(coal, y)]

            # dispatch 30 t; the truck weighs 29.92 t net
            shipment = tools.shipment(company, tools.customer(),
                [(coal, 30)])
            claimed = Task.claim_next('LOADER-1', ['pick'])
            task = Task(claimed['id'])
            over, = Ticket.create([{
                        'warehouse': warehouse.id, 'direction': 'out',
                        'vehicle': 'SX-A-88888', 'gross_weight': 46000,
                        'tare_weight': 15400, 'task': task.id}])
            with self.assertRaises(ValidationError):
                Ticket.confirm([over])  # 30.6 t on a 30 t pick
            out, = Ticket.create([{
                        'warehouse': warehouse.id, 'direction': 'out',
                        'vehicle': 'SX-A-88888', 'gross_weight': 45320,
                        'tare_weight': 15400, 'task': task.id}])
            Ticket.confirm([out])
            task = Task(task.id)
            self.assertEqual((task.state, task.done_quantity),
                ('done', 29.92))
            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'picked')
            self.assertEqual([m.quantity for m in shipment.outgoing_moves],
                [29.92])
            self.assertAlmostEqual(tools.quantity(coal, yard), 30.23)
            self.assertEqual(Exception_.search_count([]), 0)

    @with_transaction()
    def test_steel_coils_one_by_one(self):
        "Each coil is a lot with its weight, on the floor, picked FIFO"
        pool = Pool()
        Template = pool.get('product.template')
        Party = pool.get('party.party')
        ASN = pool.get('otwb.wms.asn')
        Task = pool.get('otwb.wms.task')
        Rule = pool.get('otwb.wms.putaway.rule')
        Move = pool.get('stock.move')
        company = create_company()
        with set_company(company):
            coil = tools.create_product('COIL', weight=25000)
            Template.write([coil.template], {'otwb_pick_strategy': 'fifo'})
            bays = tools.create_bins(aisles=1, bays=2, levels=2,
                zone='bulk', capacity_weight=30000, capacity_volume=50,
                pallets=1)
            Rule.create([{'sequence': 10, 'lot_attribute': 'coil_number',
                        'strategy': 'heavy_low', 'heavy_threshold': 500,
                        'allow_split': False}])
            Party.create([{'name': "Mill", 'code': 'MILL'}])
            results = ASN.submit([{
                        'supplier': 'MILL', 'number': 'BS-%d' % n,
                        'warehouse': 'WH',
                        'lines': [{'sku': 'COIL', 'quantity': 1, 'lot': {
                                    'number': number, 'coil_number': number,
                                    'heat_number': 'H-1',
                                    'actual_weight': weight}}]}
                    for n, (number, weight) in enumerate([
                            ('C-2', 24880), ('C-1', 25120)])])
            asns = ASN.browse([r['asn'] for r in results])
            ASN.receive(asns)
            # the coil C-2 arrived two days before C-1
            earlier, = Move.search([('lot.number', '=', 'C-2'),
                    ('from_location.type', '=', 'supplier')])
            # (a done move is not writable: the test rewinds it in SQL)
            table = Move.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.effective_date],
                    [dt.date.today() - dt.timedelta(days=2)],
                    where=table.id == earlier.id))
            tools.pick_all('CRANE-1', types=('putaway',))
            placed = {}
            for key, bay in bays.items():
                if tools.quantity(coil, bay):
                    placed[key] = tools.quantity(coil, bay)
            # one coil per floor position (level 1), never stacked
            self.assertEqual(sorted(placed), [(1, 1, 1), (1, 2, 1)])
            self.assertEqual(list(placed.values()), [1, 1])

            shipment = tools.shipment(company, tools.customer(),
                [(coil, 1)])
            task, = Task.search([('shipment', '=', str(shipment))])
            # FIFO: C-2 was received first (lot numbers would say C-1)
            self.assertEqual((task.lot.number, task.lot.otwb_actual_weight,
                    task.quantity), ('C-2', 24880, 1))
