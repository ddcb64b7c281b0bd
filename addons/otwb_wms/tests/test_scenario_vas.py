# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Value-added services: service types, VAS tasks on a customer shipment
and on an ASN line, claimed and completed like the other tasks (the WMS
alone, without billing)."""
import unittest

from trytond.model.exceptions import (
    AccessError,
    SQLConstraintError,
    ValidationError,
)
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from . import tools


def service(code):
    Service = Pool().get('otwb.wms.vas.service')
    record, = Service.search([('code', '=', code)])
    return record


class VASScenarioTestCase(unittest.TestCase):
    "VAS service types and tasks"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_wms'])

    @with_transaction()
    def test_service_types(self):
        "The shipped service types; codes unique and without spaces"
        pool = Pool()
        Service = pool.get('otwb.wms.vas.service')
        self.assertEqual(
            [(s.code, s.name, s.unit) for s in Service.search([])], [
                ('GIFTWRAP', "Gift Wrapping", 'unit'),
                ('KIT', "Kitting", 'order'),
                ('LABEL', "Labelling", 'unit'),
                ('QC', "Quality Inspection", 'unit'),
                ('RELABEL', "Relabelling", 'carton'),
                ])
        self.assertEqual(service('LABEL').activity, 'vas:LABEL')
        with self.assertRaises(ValidationError) as cm:
            Service.create([{'code': 'GIFT WRAP', 'name': "Wrap"}])
        self.assertIn('code', cm.exception.message)
        self.assertIn("'GIFT WRAP'", cm.exception.message)
        with self.assertRaises(SQLConstraintError):
            Service.create([{'code': 'LABEL', 'name': "Labels again"}])

    @with_transaction()
    def test_vas_tasks_on_shipment_and_asn_line(self):
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        ASN = pool.get('otwb.wms.asn')
        Party = pool.get('party.party')
        Move = pool.get('stock.move')
        company = create_company()
        with set_company(company):
            tools.create_bins(aisles=1, bays=2)
            tee = tools.create_product('TEE')
            mug = tools.create_product('MUG')
            party = tools.customer()
            shipment = tools.shipment(company, party,
                [(tee, 25), (mug, 15)], assign=False)

            # labelling per unit: the shipment's 40 units
            label = Task.create_vas(shipment, service('LABEL'))
            self.assertEqual(
                (label.type, label.state, label.quantity, label.vas_unit,
                    label.warehouse, label.shipment, label.vas_origin,
                    label.product),
                ('vas', 'pending', 40, 'unit', tools.warehouse(),
                    shipment, shipment, None))
            # kitting per order: 1
            kit = Task.create_vas(shipment, service('KIT'))
            self.assertEqual((kit.quantity, kit.vas_unit), (1, 'order'))
            # relabelling per carton: the cartons are given (not packed)
            relabel = Task.create_vas(shipment, service('RELABEL'), 3)
            self.assertEqual(relabel.quantity, 3)
            # an ASN line: quality inspection of the 18 received units
            Party.create([{'name': "Supplier", 'code': 'SUP1'}])
            result, = ASN.submit([{'supplier': 'SUP1', 'number': 'ASN-V1',
                        'warehouse': 'WH', 'expected_date': '2026-11-20',
                        'lines': [{'sku': 'MUG', 'quantity': 20}]}])
            asn = ASN(result['asn'])
            line, = asn.lines
            line.received_quantity = 18
            line.save()
            qc = Task.create_vas(line, service('QC'))
            self.assertEqual(
                (qc.quantity, qc.product, qc.shipment, qc.vas_origin),
                (18, mug, asn, line))

            moves_before = Move.search([], count=True)
            # operators and devices claim VAS tasks like any other
            claimed = []
            while True:
                task = Task.claim_next('VAS-1', ['vas'])
                if not task:
                    break
                claimed.append(task['id'])
            self.assertEqual(sorted(claimed),
                sorted([label.id, kit.id, relabel.id, qc.id]))
            # no more than planned
            with self.assertRaises(AccessError):
                Task.complete('VAS-1', label.id, 41)
            Task.complete('VAS-1', label.id)
            Task.complete('VAS-1', kit.id)
            Task.complete('VAS-1', qc.id, 17)
            Task.report_failure('VAS-1', relabel.id, 'label printer down')
            result = {t.vas_service.code: (t.state, t.done_quantity)
                for t in Task.browse([label, kit, relabel, qc])}
            self.assertEqual(result, {
                    'LABEL': ('done', 40), 'KIT': ('done', 1),
                    'RELABEL': ('failed', None), 'QC': ('done', 17)})
            # done again: nothing changes
            Task.done([Task(label.id)])
            self.assertEqual(Task(label.id).done_quantity, 40)
            # a VAS task moves no stock
            self.assertEqual(Move.search([], count=True), moves_before)
            self.assertEqual(Task.search([('type', '=', 'vas')],
                    count=True), 4)

            # refused (in a real transaction nothing would be written;
            # the test's transaction keeps the rows: checked last)
            # relabelling per carton of a shipment not packed: the
            # cartons are not known
            with self.assertRaises(ValidationError) as cm:
                Task.create_vas(shipment, service('RELABEL'))
            self.assertIn('"quantity"', cm.exception.message)
            self.assertIn('carton', cm.exception.message)
            # a VAS task needs its service and what it is done on
            with self.assertRaises(ValidationError) as cm:
                Task.create([{'type': 'vas', 'warehouse':
                            tools.warehouse().id, 'quantity': 1,
                            'vas_origin': str(shipment)}])
            self.assertIn('"Service"', cm.exception.message)
            with self.assertRaises(ValidationError) as cm:
                Task.create([{'type': 'vas', 'warehouse':
                            tools.warehouse().id, 'quantity': 1,
                            'vas_service': service('QC').id}])
            self.assertIn('"Service For"', cm.exception.message)

    @with_transaction()
    def test_vas_holds_packing(self):
        "A shipment is packed once its services before packing are done"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=2)
            tee = tools.create_product('TEE')
            tools.stock(company, tee, bins[(1, 1, 1)], 10)
            shipment = tools.shipment(company, tools.customer(), [(tee, 4)])
            wrap = Task.create_vas(shipment, service('GIFTWRAP'))
            relabel = Task.create_vas(shipment, service('RELABEL'), 1)
            self.assertEqual(
                (service('GIFTWRAP').before_packing,
                    service('RELABEL').before_packing), (True, False))
            tools.pick_all()
            shipment = Shipment(shipment.id)
            self.assertEqual(shipment.state, 'picked')

            # gift wrapping of the 4 units is pending: not packed
            with self.assertRaises(ValidationError) as cm:
                Shipment.otwb_pack([shipment])
            message = cm.exception.message
            self.assertIn(shipment.rec_name, message)
            self.assertIn('[GIFTWRAP] Gift Wrapping', message)
            self.assertIn('%d (pending)' % wrap.id, message)
            self.assertNotIn('RELABEL', message)
            self.assertEqual(Shipment(shipment.id).state, 'picked')
            # nor by Tryton's own transition
            with self.assertRaises(ValidationError):
                Shipment.pack([Shipment(shipment.id)])
            # claimed is not done either
            self.assertEqual(
                Task.claim_next('WRAP-1', ['vas'])['id'], wrap.id)
            with self.assertRaises(ValidationError) as cm:
                Shipment.otwb_pack([Shipment(shipment.id)])
            self.assertIn('%d (assigned)' % wrap.id, cm.exception.message)

            # done: packed; the relabelling of the cartons stays pending
            # (done on the packed cartons)
            Task.complete('WRAP-1', wrap.id)
            Shipment.otwb_pack([Shipment(shipment.id)])
            self.assertEqual(Shipment(shipment.id).state, 'packed')
            self.assertEqual(Task(relabel.id).state, 'pending')

    @with_transaction()
    def test_vas_not_before_packing_or_cancelled(self):
        "A service after packing, or a cancelled task, holds nothing"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Shipment = pool.get('stock.shipment.out')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=2)
            tee = tools.create_product('TEE')
            tools.stock(company, tee, bins[(1, 1, 1)], 10)
            first = tools.shipment(company, tools.customer(), [(tee, 2)])
            second = tools.shipment(company, tools.customer(), [(tee, 3)])
            label = service('LABEL')
            label.before_packing = False
            label.save()
            Task.create_vas(first, label)
            kit = Task.create_vas(second, service('KIT'))
            Task.cancel([kit])
            tools.pick_all()
            Shipment.otwb_pack(Shipment.browse([first, second]))
            self.assertEqual([s.state for s in
                    Shipment.browse([first, second])], ['packed', 'packed'])

