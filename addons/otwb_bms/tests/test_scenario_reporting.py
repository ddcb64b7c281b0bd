# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Charge reporting: sums by party, charge type and month."""
import unittest
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import card, d, event, setup_billing


class ReportingScenarioTestCase(unittest.TestCase):
    "Charge reporting"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_bms'])

    @with_transaction()
    def test_charges_by_party_type_and_month(self):
        pool = Pool()
        Reporting = pool.get('otwb.bms.charge.reporting')
        ns = setup_billing()
        with Transaction().set_context(company=ns.company.id):
            card("Customer", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'freight',
                        'method': 'flat', 'rate': Decimal('100.00')}, {
                        'sequence': 20, 'charge_type': 'handling_outbound',
                        'method': 'per_unit', 'unit': 'order',
                        'rate': Decimal('3.50')}])
            card("Carrier", 'payable', ns.cny, [{
                        'charge_type': 'freight', 'method': 'flat',
                        'rate': Decimal('60.00')}], party=ns.carrier)
            # Jan: 100 + 2 x 3.50 = 107.00 and 100 + 1 x 3.50 = 103.50
            event(customer=ns.customer, date=d(1, 20), orders=Decimal(2))
            event(customer=ns.customer, carrier=ns.carrier, date=d(1, 25),
                orders=Decimal(1))
            # Feb: 100 + 4 x 3.50 = 114.00
            event(customer=ns.customer, date=d(2, 10), orders=Decimal(4))

            def rows(**context):
                with Transaction().set_context(**context):
                    return sorted((r.month, r.kind, r.party.id,
                            r.charge_type, r.amount, r.charge_count,
                            r.currency.code) for r in Reporting.search([]))

            customer, carrier = ns.customer.id, ns.carrier.id
            self.assertEqual(rows(), [
                    (d(1, 1), 'payable', carrier, 'freight',
                        Decimal('60.00'), 1, 'CNY'),
                    (d(1, 1), 'receivable', customer, 'freight',
                        Decimal('200.00'), 2, 'CNY'),
                    (d(1, 1), 'receivable', customer, 'handling_outbound',
                        Decimal('10.50'), 2, 'CNY'),
                    (d(2, 1), 'receivable', customer, 'freight',
                        Decimal('100.00'), 1, 'CNY'),
                    (d(2, 1), 'receivable', customer, 'handling_outbound',
                        Decimal('14.00'), 1, 'CNY'),
                    ])
            # the period filter of the context
            self.assertEqual(
                [(r[3], r[4]) for r in rows(from_date=d(2, 1))],
                [('freight', Decimal('100.00')),
                    ('handling_outbound', Decimal('14.00'))])
            self.assertEqual(
                sum(r[4] for r in rows(to_date=d(1, 31))
                    if r[1] == 'receivable'), Decimal('210.50'))
            # a search and a group by month as the graph does
            january = Reporting.search([('month', '=', d(1, 1)),
                    ('kind', '=', 'receivable')])
            self.assertEqual(sum(r.amount for r in january),
                Decimal('210.50'))
