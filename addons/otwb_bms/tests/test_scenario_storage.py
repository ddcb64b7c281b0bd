# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Daily storage snapshots per goods owner and warehouse, billed once."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import card, setup_billing

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


class StorageSnapshotTestCase(unittest.TestCase):
    "Storage snapshots to billing"

    @classmethod
    def setUpClass(cls):
        activate_module(MODULES)

    @with_transaction()
    def test_snapshot_rated_once_per_customer_warehouse_date(self):
        pool = Pool()
        Snapshot = pool.get('otwb.bms.storage.snapshot')
        Event = pool.get('otwb.bms.event')
        Template = pool.get('product.template')
        Party = pool.get('party.party')
        from trytond.modules.otwb_wms.tests import tools as wms
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            other, = Party.create([{'name': "Ningbo Parts"}])
            bins = wms.create_bins(aisles=1, bays=3)
            # 50 × 40 × 30 cm = 0.06 m³, 40 per pallet
            boxed = wms.create_product('BOX', length=50, width=40,
                height=30, weight=5)
            # 1 m³ each, no pallet
            crate = wms.create_product('CRATE', length=100, width=100,
                height=100, weight=50)
            unowned = wms.create_product('OWN')
            Template.write([boxed.template], {
                    'bms_goods_owner': ns.customer.id,
                    'otwb_units_per_pallet': 40})
            Template.write([crate.template], {
                    'bms_goods_owner': other.id})
            wms.stock(ns.company, boxed, bins[(1, 1, 1)], 100)
            wms.stock(ns.company, boxed, bins[(1, 2, 1)], 30)
            wms.stock(ns.company, crate, bins[(1, 3, 1)], 5)
            wms.stock(ns.company, unowned, bins[(1, 3, 1)], 7)
            card("Storage Hangzhou", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'storage',
                        'code': 'pallet', 'method': 'per_unit',
                        'unit': 'pallet_day', 'rate': Decimal('2.50'),
                        'activity': 'storage'}, {
                        'sequence': 20, 'charge_type': 'storage',
                        'code': 'volume', 'method': 'per_unit',
                        'unit': 'm3_day', 'rate': Decimal('0.80'),
                        'activity': 'storage'}],
                party=ns.customer)
            card("Storage Ningbo", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'storage',
                        'code': 'volume', 'method': 'per_unit',
                        'unit': 'm3_day', 'rate': Decimal('1.20'),
                        'activity': 'storage'}, {
                        'sequence': 20, 'charge_type': 'storage',
                        'code': 'bin', 'method': 'per_unit',
                        'unit': 'bin_day', 'rate': Decimal('3.00'),
                        'activity': 'storage'}],
                party=other)
            warehouse = wms.warehouse()
            day = pool.get('ir.date').today()
            snapshots = Snapshot.take(day, [warehouse])
            by_customer = {s.customer: s for s in snapshots}
            self.assertEqual(set(by_customer), {ns.customer, other})
            box = by_customer[ns.customer]
            # pallets ceil(100/40) + ceil(30/40) = 3 + 1; 130 × 0.06 m³
            self.assertEqual((box.pallets, box.m3, box.bins, box.units),
                (Decimal(4), Decimal('7.8'), 2, Decimal(130)))
            crates = by_customer[other]
            self.assertEqual((crates.pallets, crates.m3, crates.bins),
                (Decimal(0), Decimal(5), 1))

            amounts = {c.code: c.amount for c in box.event.charges}
            # 4 pallet-days × 2.50; 7.8 m³-days × 0.80
            self.assertEqual(amounts, {
                    'pallet': Decimal('10.00'), 'volume': Decimal('6.24')})
            amounts = {c.code: c.amount for c in crates.event.charges}
            # 5 m³-days × 1.20; 1 bin-day × 3.00
            self.assertEqual(amounts, {
                    'volume': Decimal('6.00'), 'bin': Decimal('3.00')})
            self.assertTrue(all(c.party == ns.customer
                    for c in box.event.charges))

            # a second run of the day (the cron retried) adds nothing
            self.assertEqual(Snapshot.take(day, [warehouse]), [])
            self.assertEqual(Snapshot.take_daily(), [])
            self.assertEqual(Event.search_count(
                    [('activity', '=', 'storage')]), 2)
            # the next day is a new snapshot
            self.assertEqual(len(Snapshot.take(
                        day + dt.timedelta(days=1), [warehouse])), 2)
            self.assertEqual(Snapshot.search_count([]), 4)
            self.assertEqual(Event.search_count(
                    [('activity', '=', 'storage')]), 4)

    @with_transaction()
    def test_receipts_are_billed_to_the_goods_owner(self):
        "ASN and supplier shipment receipts: inbound handling per pallet"
        pool = Pool()
        ASN = pool.get('otwb.wms.asn')
        Event = pool.get('otwb.bms.event')
        Template = pool.get('product.template')
        Party = pool.get('party.party')
        ShipmentIn = pool.get('stock.shipment.in')
        from trytond.modules.otwb_wms.tests import tools as wms
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id,
                _skip_warnings=True):
            wms.create_bins(aisles=1, bays=3)
            supplier, = Party.create([{'name': "Ningbo Box Co",
                        'code': 'SUPBOX'}])
            # 5 kg each, 40 per pallet, owned by the customer
            box = wms.create_product('BOX', length=50, width=40,
                height=30, weight=5)
            Template.write([box.template], {
                    'bms_goods_owner': ns.customer.id,
                    'otwb_units_per_pallet': 40})
            card("Inbound Hangzhou", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'handling_inbound',
                        'code': 'pallet', 'method': 'per_unit',
                        'unit': 'pallet', 'rate': Decimal('15.00'),
                        'activity': 'receipt'}],
                party=ns.customer)

            # an ASN of 100 boxes, 3 damaged: 100 received
            result, = ASN.submit([{'supplier': 'SUPBOX', 'number': 'ASN-B1',
                        'warehouse': 'WH', 'expected_date': '2026-11-20',
                        'lines': [{'sku': 'BOX', 'quantity': 100}]}])
            asn = ASN(result['asn'])
            line, = asn.lines
            line.damaged_quantity = 3
            line.save()
            ASN.receive([asn])
            event, = Event.search([('source', '=', str(asn))])
            self.assertEqual((event.activity, event.customer, event.lines,
                    event.units, event.pallets, event.kg, event.state),
                ('receipt', ns.customer, 1, 100, 3, 500, 'rated'))
            # ceil(100 / 40) = 3 pallets × 15.00
            charge, = event.charges
            self.assertEqual((charge.kind, charge.party, charge.charge_type,
                    charge.amount), ('receivable', ns.customer,
                    'handling_inbound', Decimal('45.00')))

            # a supplier shipment of 41 boxes without ASN: 2 pallets
            warehouse = wms.warehouse()
            shipment, = ShipmentIn.create([{
                        'supplier': supplier.id,
                        'warehouse': warehouse.id,
                        'warehouse_input': warehouse.input_location.id,
                        'warehouse_storage': warehouse.storage_location.id,
                        'company': ns.company.id,
                        'incoming_moves': [('create', [{
                                        'product': box.id,
                                        'unit': box.default_uom.id,
                                        'quantity': 41,
                                        'from_location':
                                        supplier.supplier_location.id,
                                        'to_location':
                                        warehouse.input_location.id,
                                        'company': ns.company.id,
                                        'unit_price': Decimal('1'),
                                        'currency': ns.cny.id,
                                        }])],
                        }])
            ShipmentIn.receive([shipment])
            event, = Event.search([('source', '=', str(shipment))])
            self.assertEqual((event.customer, event.units, event.pallets),
                (ns.customer, 41, 2))
            self.assertEqual([c.amount for c in event.charges],
                [Decimal('30.00')])
            # received once, billed once
            ShipmentIn.receive([shipment])
            self.assertEqual(Event.search(
                    [('activity', '=', 'receipt')], count=True), 2)

    @with_transaction()
    def test_picks_and_packs_are_billed(self):
        "Outbound handling: per line picked, per order packed"
        pool = Pool()
        Event = pool.get('otwb.bms.event')
        Shipment = pool.get('stock.shipment.out')
        from trytond.modules.otwb_wms.tests import tools as wms
        ns = setup_billing(with_accruals=False)
        # the warehouse test tools make moves without origin, which sale
        # (installed here) warns about
        with Transaction().set_context(company=ns.company.id,
                _skip_warnings=True):
            bins = wms.create_bins(aisles=1, bays=2)
            p1 = wms.create_product('P1')
            p2 = wms.create_product('P2')
            wms.stock(ns.company, p1, bins[(1, 1, 1)], 10)
            wms.stock(ns.company, p2, bins[(1, 2, 1)], 10)
            card("Outbound", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'handling_outbound',
                        'code': 'pick', 'method': 'per_unit', 'unit': 'line',
                        'rate': Decimal('0.80'), 'activity': 'picked'}, {
                        'sequence': 20, 'charge_type': 'handling_outbound',
                        'code': 'order', 'method': 'per_unit',
                        'unit': 'order', 'rate': Decimal('3.50'),
                        'activity': 'order_handled'}])
            shipment = wms.shipment(ns.company, ns.customer,
                [(p1, 3), (p2, 1)])
            wms.pick_all('RF-1')
            self.assertEqual(Shipment(shipment.id).state, 'picked')
            picked, = Event.search([('source', '=', str(shipment))])
            self.assertEqual((picked.activity, picked.customer,
                    picked.lines, picked.units), ('picked', ns.customer, 2, 4))
            # 2 lines × 0.80
            self.assertEqual([c.amount for c in picked.charges],
                [Decimal('1.60')])
            Shipment.pack([Shipment(shipment.id)])
            handled, = Event.search([('source', '=', str(shipment)),
                    ('activity', '=', 'order_handled')])
            self.assertEqual([c.amount for c in handled.charges],
                [Decimal('3.50')])
