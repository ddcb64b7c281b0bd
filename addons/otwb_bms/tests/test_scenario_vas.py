# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Value-added services done in the warehouse are billed once: a VAS task
completed is one billable event rated into a receivable VAS charge."""
import unittest
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import card, setup_billing

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


class VASBillingTestCase(unittest.TestCase):
    "VAS tasks to billing"

    @classmethod
    def setUpClass(cls):
        activate_module(MODULES)

    @with_transaction()
    def test_vas_task_rated_once(self):
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Service = pool.get('otwb.wms.vas.service')
        Event = pool.get('otwb.bms.event')
        Charge = pool.get('otwb.bms.charge')
        ASN = pool.get('otwb.wms.asn')
        Party = pool.get('party.party')
        Template = pool.get('product.template')
        from trytond.modules.otwb_bms.vas import vas_event
        from trytond.modules.otwb_wms.tests import tools as wms
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id,
                _skip_warnings=True):
            services = {s.code: s for s in Service.search([])}
            wms.create_bins(aisles=1, bays=2)
            tee = wms.create_product('TEE')
            owner, = Party.create([{'name': "Ningbo Parts"}])
            Template.write([tee.template], {'bms_goods_owner': owner.id})
            shipment = wms.shipment(ns.company, ns.customer, [(tee, 40)],
                assign=False)
            card("VAS Hangzhou", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'vas',
                        'code': 'LABEL', 'method': 'per_unit',
                        'unit': 'unit', 'rate': Decimal('0.50'),
                        'activity': 'vas:LABEL'}, {
                        'sequence': 20, 'charge_type': 'vas',
                        'code': 'KIT', 'method': 'per_unit',
                        'unit': 'order', 'rate': Decimal('3.00'),
                        'activity': 'vas:KIT'}],
                party=ns.customer)
            card("VAS Ningbo", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'vas',
                        'code': 'RELABEL', 'method': 'per_unit',
                        'unit': 'carton', 'rate': Decimal('1.20'),
                        'activity': 'vas:RELABEL'}],
                party=owner)

            label = Task.create_vas(shipment, services['LABEL'])
            kit = Task.create_vas(shipment, services['KIT'])
            # an ASN line of the owner's goods: 6 cartons relabelled
            Party.create([{'name': "Supplier", 'code': 'SUP1'}])
            result, = ASN.submit([{'supplier': 'SUP1', 'number': 'ASN-V1',
                        'warehouse': 'WH', 'expected_date': '2026-11-20',
                        'lines': [{'sku': 'TEE', 'quantity': 120}]}])
            line, = ASN(result['asn']).lines
            relabel = Task.create_vas(line, services['RELABEL'], 6)
            self.assertEqual((label.quantity, kit.quantity,
                    relabel.quantity), (40, 1, 6))
            # nothing billed before the work is done
            self.assertEqual(Event.search([
                        ('activity', 'like', 'vas:%')], count=True), 0)

            for task in (label, kit, relabel):
                claimed = Task.claim_next('VAS-1', ['vas'])
                self.assertEqual(claimed['id'], task.id)
                Task.complete('VAS-1', task.id)

            def charges():
                return sorted((str(c.event.source), c.event.activity,
                        c.party.name, c.kind, c.charge_type, c.code,
                        c.quantity, c.unit, c.amount, c.currency.code)
                    for c in Charge.search([('charge_type', '=', 'vas')]))
            expected = sorted([
                    # 40 units x 0.50 CNY labelling = 20.00
                    (str(label), 'vas:LABEL', "Hangzhou Trading",
                        'receivable', 'vas', 'LABEL', Decimal(40), 'unit',
                        Decimal('20.00'), 'CNY'),
                    # 1 order x 3.00 CNY kitting = 3.00
                    (str(kit), 'vas:KIT', "Hangzhou Trading",
                        'receivable', 'vas', 'KIT', Decimal(1), 'order',
                        Decimal('3.00'), 'CNY'),
                    # 6 cartons x 1.20 CNY relabelling = 7.20, billed to
                    # the goods owner of the ASN line
                    (str(relabel), 'vas:RELABEL', "Ningbo Parts",
                        'receivable', 'vas', 'RELABEL', Decimal(6),
                        'carton', Decimal('7.20'), 'CNY'),
                    ])
            self.assertEqual(charges(), expected)
            event, = Event.search([('source', '=', str(label))])
            self.assertEqual((event.units, event.orders, event.cartons,
                    event.customer, event.state),
                (Decimal(40), None, None, ns.customer, 'rated'))

            # exactly once: the task done again, the event sent again
            Task.done([Task(label.id)])
            self.assertEqual(Event.capture([vas_event(
                            Task(label.id), event.date)]), [])
            self.assertEqual(Event.search([
                        ('activity', 'like', 'vas:%')], count=True), 3)
            self.assertEqual(charges(), expected)

            # a service partly done is billed for what was done: gift
            # wrapping 40 planned, 25 wrapped, no rate line: an event
            # without charge
            wrap = Task.create_vas(shipment, services['GIFTWRAP'])
            self.assertEqual(Task.claim_next('VAS-2', ['vas'])['id'],
                wrap.id)
            Task.complete('VAS-2', wrap.id, 25)
            event, = Event.search([('source', '=', str(wrap))])
            self.assertEqual((event.activity, event.units,
                    len(event.charges)), ('vas:GIFTWRAP', Decimal(25), 0))
            # a failed task is not billed
            qc = Task.create_vas(shipment, services['QC'])
            Task.claim_next('VAS-2', ['vas'])
            Task.report_failure('VAS-2', qc.id, 'no inspector')
            self.assertEqual(Event.search([('source', '=', str(qc))],
                    count=True), 0)
