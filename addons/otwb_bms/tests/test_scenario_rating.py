# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rate card versions, re-rating adjustments, fuel index, line validity,
volume criterion, quotes and multi-currency invoices through the ORM."""
import unittest
from decimal import Decimal

from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import card, d, event, setup_billing


class RatingScenarioTestCase(unittest.TestCase):
    "Rating through the ORM"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_bms'])

    @with_transaction()
    def test_correct_creates_version_and_adjustments(self):
        pool = Pool()
        Card = pool.get('otwb.bms.rate_card')
        Line = pool.get('otwb.bms.rate_card.line')
        Event = pool.get('otwb.bms.event')
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            v1 = card("Road", 'receivable', ns.cny, [{
                        'charge_type': 'freight', 'method': 'per_unit',
                        'unit': 'kg', 'rate': Decimal('2.00'),
                        'activity': 'shipment_delivered'}])
            line1, = v1.lines
            ev = event(customer=ns.customer, kg=Decimal(10), date=d(2, 15))
            charge, = ev.charges
            # 10 kg × 2.00 = 20.00
            self.assertEqual(charge.amount, Decimal('20.00'))
            self.assertEqual(
                (charge.card, charge.card_version, charge.rate_line),
                (v1, 1, line1))

            # a used card is frozen
            with self.assertRaises(AccessError):
                Line.write([line1], {'rate': Decimal('2.50')})
            with self.assertRaises(AccessError):
                Card.write([v1], {'name': "Road 2"})

            v2, = Card.new_version([v1], d(2, 1))
            v1 = Card(v1.id)
            self.assertEqual(v1.valid_to, d(1, 31))  # the day before
            self.assertEqual((v2.version, v2.valid_from, v2.valid_to),
                (2, d(2, 1), None))
            self.assertEqual(v2.previous_version, v1)
            line2, = v2.lines
            Line.write([line2], {'rate': Decimal('2.50')})
            with self.assertRaises(ValidationError):
                Card.new_version([v1], d(3, 1))  # v2 is the latest

            adjustment, = Event.rerate([ev])
            # 10 kg × 2.50 = 25.00, already charged 20.00: +5.00
            self.assertEqual(adjustment.amount, Decimal('5.00'))
            self.assertTrue(adjustment.adjustment)
            self.assertEqual(
                (adjustment.card, adjustment.card_version,
                    adjustment.rate_line), (v2, 2, line2))
            # the original charge keeps its exact version and line
            charge = pool.get('otwb.bms.charge')(charge.id)
            self.assertEqual(
                (charge.card, charge.card_version, charge.rate_line,
                    charge.amount), (v1, 1, line1, Decimal('20.00')))
            # re-rating again changes nothing: 20.00 + 5.00 = 25.00
            self.assertEqual(Event.rerate([Event(ev.id)]), [])
            self.assertEqual(len(Event(ev.id).charges), 2)
            # capturing the same operation again creates nothing
            self.assertIsNone(event(
                    customer=ns.customer, kg=Decimal(10), date=d(2, 15),
                    source=str(ev.source)))

            # a second card of the same name overlapping v2 is refused
            with self.assertRaises(ValidationError):
                card("Road", 'receivable', ns.cny, [], valid_from=d(5, 1))

    @with_transaction()
    def test_one_card_per_kind_and_party_on_a_day(self):
        """Two default cards of one kind, or two cards of one customer,
        valid on the same day are refused when saved, naming both cards
        and the days they share; a card ending the day before the other
        starts is fine"""
        pool = Pool()
        Card = pool.get('otwb.bms.rate_card')
        ns = setup_billing(with_accruals=False)
        flat = [{'charge_type': 'freight', 'method': 'flat',
                'rate': Decimal('10.00')}]
        with Transaction().set_context(company=ns.company.id):
            road = card("Road", 'receivable', ns.cny, flat,
                valid_to=d(3, 31))
            # starts the day after Road ends: accepted
            express = card("Express", 'receivable', ns.cny, flat,
                valid_from=d(4, 1))
            # other kind, other customers: accepted
            card("Carriers", 'payable', ns.cny, flat)
            card("Hangzhou tariff", 'receivable', ns.cny, flat,
                party=ns.customer, valid_to=d(6, 30))
            card("Seattle tariff", 'receivable', ns.usd, flat,
                party=ns.usd_customer)
            card("Hangzhou H2", 'receivable', ns.cny, flat,
                party=ns.customer, valid_from=d(7, 1))

            # rating: the cards of each day, never ambiguous
            # (a refused card stays in this test transaction: rated first)
            for date, expected in [(d(3, 31), road), (d(4, 1), express)]:
                ev = event(customer=ns.usd_customer, date=date)
                self.assertEqual(
                    sorted(c.card.name for c in ev.charges),
                    ["Seattle tariff"])
                ev = event(customer=ns.carrier, date=date)
                charge, = ev.charges
                self.assertEqual(charge.card, expected)

            # Road ends on the day Express starts: both are default cards
            with self.assertRaises(ValidationError) as cm:
                Card.write([road], {'valid_to': d(4, 1)})
            message = str(cm.exception)
            self.assertIn('"Road v1"', message)
            self.assertIn('"Express v1"', message)
            self.assertIn('from 2026-04-01 to 2026-04-01', message)
            Card.write([road], {'valid_to': d(3, 31)})

            # a second default card in another currency: refused as well
            # (rating takes one default card per kind on a day)
            with self.assertRaises(ValidationError) as cm:
                card("Air USD", 'receivable', ns.usd, flat,
                    valid_from=d(3, 15), valid_to=d(4, 10))
            message = str(cm.exception)
            self.assertIn('"Air USD v1"', message)
            self.assertIn('"Road v1"', message)
            self.assertIn('from 2026-03-15 to 2026-03-31', message)

            # two cards of one customer
            with self.assertRaises(ValidationError) as cm:
                card("Hangzhou promo", 'receivable', ns.cny, flat,
                    party=ns.customer, valid_from=d(6, 30),
                    valid_to=d(7, 31))
            message = str(cm.exception)
            self.assertIn('"Hangzhou promo v1"', message)
            self.assertIn('"Hangzhou tariff v1"', message)
            self.assertIn('Hangzhou Trading', message)
            self.assertIn('from 2026-06-30 to 2026-06-30', message)
            self.assertEqual(Card.search_count([
                        ('party', '=', ns.customer.id)]), 3)

    @with_transaction()
    def test_fuel_index_on_date_boundary(self):
        pool = Pool()
        FuelIndex = pool.get('otwb.bms.fuel_index')
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            FuelIndex.create([
                    {'date': d(3, 1), 'percent': Decimal('10')},
                    {'date': d(4, 1), 'percent': Decimal('12.5')},
                    ])
            card("Fuel", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'freight',
                        'method': 'flat', 'rate': Decimal('100.00')}, {
                        'sequence': 20, 'charge_type': 'fuel_surcharge',
                        'method': 'percentage', 'fuel_indexed': True,
                        'base': 'freight'}])

            def fuel(date):
                ev = event(customer=ns.customer, date=date)
                return {c.charge_type: c for c in ev.charges}[
                    'fuel_surcharge']

            march = fuel(d(3, 31))
            # 100.00 × 10 % (row of 03-01) = 10.00
            self.assertEqual(march.amount, Decimal('10.00'))
            self.assertIn(d(3, 1).isoformat(), march.explanation)
            # 100.00 × 12.5 % (row of 04-01, same day) = 12.50
            self.assertEqual(fuel(d(4, 1)).amount, Decimal('12.50'))
            # before the first row: a clear error, nothing captured
            with self.assertRaises(ValidationError):
                event(customer=ns.customer, date=d(2, 28))

            # a fuel indexed line must not carry its own percent
            with self.assertRaises(ValidationError):
                card("Bad fuel", 'receivable', ns.cny, [{
                            'charge_type': 'fuel_surcharge',
                            'method': 'percentage', 'fuel_indexed': True,
                            'percent': Decimal(5), 'base': 'freight'}])
            # bands are validated on the line
            with self.assertRaises(ValidationError):
                card("Bad bands", 'receivable', ns.cny, [{
                            'charge_type': 'freight', 'method': 'tiered',
                            'unit': 'kg', 'bands': '0:1.00; 100-0.80'}])

    @with_transaction()
    def test_methods_validity_volume(self):
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            card("Express", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'freight',
                        'method': 'first_additional', 'unit': 'kg',
                        'first_qty': Decimal(1), 'first_price': Decimal(12),
                        'additional_step': Decimal('0.5'),
                        'additional_price': Decimal(2), 'mode': 'express'}, {
                        'sequence': 20, 'charge_type': 'peak_season',
                        'method': 'percentage', 'percent': Decimal(20),
                        'base': 'freight', 'valid_from': d(11, 11),
                        'valid_to': d(11, 30)}, {
                        'sequence': 30, 'charge_type': 'handling_outbound',
                        'description': "Bulky parcel", 'method': 'flat',
                        'rate': Decimal('15.00'),
                        'volume_min': Decimal('0.02')}, {
                        'sequence': 40, 'charge_type': 'freight',
                        'description': "Road per tier", 'method': 'tiered',
                        'unit': 'kg', 'bands': '0:1.00; 100:0.80',
                        'mode': 'road_ltl'}, {
                        'sequence': 50, 'charge_type': 'freight',
                        'description': "Rail slab", 'method': 'slab',
                        'unit': 'kg', 'bands': '0:1.00; 100:0.80',
                        'mode': 'rail'}, {
                        'sequence': 60, 'charge_type': 'freight',
                        'description': "FTL per km, min 200",
                        'method': 'per_unit', 'unit': 'km',
                        'rate': Decimal('4.20'),
                        'min_charge': Decimal('200'), 'mode': 'road_ftl'},
                    ], divisor_express=5000,
                weight_rounding=Decimal('0.5'))

            def charges(date, **values):
                ev = event(customer=ns.customer, date=date, **values)
                return {c.charge_type: c.amount for c in ev.charges}

            parcel = {'mode': 'express', 'kg': Decimal('2.2'),
                'm3': Decimal('0.024')}
            # chargeable = max(2.2 kg, 0.024 m³ × 1e6 / 5000 = 4.8 kg) =
            # 4.8 → 5.0 kg (0.5 up); 12 + ceil((5 - 1) / 0.5) = 8 × 2 = 28
            # bulky (0.024 m³ ≥ 0.02): 15.00; no peak on 11-10
            self.assertEqual(charges(d(11, 10), **parcel), {
                    'freight': Decimal('28.00'),
                    'handling_outbound': Decimal('15.00')})
            # peak 11-11 and 11-30 (inclusive): 28.00 × 20 % = 5.60
            for day in (d(11, 11), d(11, 30)):
                self.assertEqual(charges(day, **parcel)['peak_season'],
                    Decimal('5.60'))
            self.assertNotIn('peak_season', charges(d(12, 1), **parcel))
            # small parcel: 0.01 m³ → not bulky; chargeable max(0.8,
            # 0.01e6/5000 = 2.0) = 2.0 kg: 12 + 2 × 2 = 16.00
            self.assertEqual(charges(d(6, 1), mode='express',
                    kg=Decimal('0.8'), m3=Decimal('0.01')),
                {'freight': Decimal('16.00')})
            # tiered at the band edge and beyond: 100 kg = 100.00;
            # 150 kg = 100 × 1.00 + 50 × 0.80 = 140.00
            self.assertEqual(charges(d(6, 1), mode='road_ltl',
                    kg=Decimal(100))['freight'], Decimal('100.00'))
            self.assertEqual(charges(d(6, 1), mode='road_ltl',
                    kg=Decimal(150))['freight'], Decimal('140.00'))
            # slab: 99 kg = 99 × 1.00 = 99.00; 100 kg = 100 × 0.80 = 80.00
            self.assertEqual(charges(d(6, 1), mode='rail',
                    kg=Decimal(99))['freight'], Decimal('99.00'))
            self.assertEqual(charges(d(6, 1), mode='rail',
                    kg=Decimal(100))['freight'], Decimal('80.00'))
            # minimum: 30 km × 4.20 = 126.00 < 200 → 200.00;
            # 60 km × 4.20 = 252.00
            self.assertEqual(charges(d(6, 1), mode='road_ftl',
                    km=Decimal(30))['freight'], Decimal('200.00'))
            self.assertEqual(charges(d(6, 1), mode='road_ftl',
                    km=Decimal(60))['freight'], Decimal('252.00'))

    @with_transaction()
    def test_quote(self):
        pool = Pool()
        Card = pool.get('otwb.bms.rate_card')
        Quote = pool.get('otwb.bms.quote', type='wizard')
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            card("Express", 'receivable', ns.cny, [{
                        'sequence': 10, 'charge_type': 'freight',
                        'method': 'first_additional', 'unit': 'kg',
                        'first_qty': Decimal(1), 'first_price': Decimal(12),
                        'additional_step': Decimal('0.5'),
                        'additional_price': Decimal(2), 'mode': 'express',
                        'dest_country': 'CN'}, {
                        'sequence': 20, 'charge_type': 'insurance',
                        'method': 'percentage', 'percent': Decimal('0.5'),
                        'base': 'declared_value',
                        'min_charge': Decimal('2')}],
                divisor_express=5000, weight_rounding=Decimal('0.5'))
            self.assertIn('quote', Card.__rpc__)
            ok, bad, other = Card.quote([{
                        'date': '2026-06-01', 'mode': 'express',
                        'weight': '2.2', 'declared_value': '1000',
                        'destination': {'country': 'CN',
                            'subdivision': 'CN-ZJ', 'postal_code': '310012'},
                        'packages': [{'length': 40, 'width': 30,
                                'height': 20}],
                        'currency': 'USD',
                        }, {
                        'weight': -1, 'mode': 'boat', 'colour': 'red',
                        }, {
                        'date': '2026-06-01', 'mode': 'express',
                        'weight': 1, 'destination': {'country': 'US'},
                        }])
            self.assertEqual(ok['status'], 'ok')
            by_type = {c['charge_type']: c for c in ok['charges']}
            # 40 × 30 × 20 / 5000 = 4.8 → 5.0 kg: 12 + 8 × 2 = 28.00 CNY;
            # at 0.125 USD per CNY (rate of 03-01): 3.50 USD
            self.assertEqual(by_type['freight']['card_amount'], '28.00')
            self.assertEqual(by_type['freight']['amount'], '3.50')
            self.assertEqual(by_type['freight']['currency'], 'USD')
            self.assertIn('首重', by_type['freight']['explanation'])
            # insurance 0.5 % × 1000 = 5.00 CNY → 0.625 USD, rounded
            # half-even by Tryton's currency: 0.62
            self.assertEqual(by_type['insurance']['amount'], '0.62')
            # 3.50 + 0.62 = 4.12 USD
            self.assertEqual(ok['totals'], {'USD': '4.12'})
            self.assertEqual(bad['status'], 'rejected')
            self.assertEqual({e['field'] for e in bad['errors']},
                {None, 'weight', 'mode'})
            # US destination: only the insurance line could apply, and no
            # declared value: no charge at all
            self.assertEqual((other['status'], other['charges']),
                ('ok', []))
            with self.assertRaises(ValidationError):
                Card.quote('not a list')

            session_id, _, _ = Quote.create()
            wizard = Quote(session_id)
            wizard.start.kind = 'receivable'
            wizard.start.party = None
            wizard.start.date = d(6, 1)
            wizard.start.activity = 'shipment_delivered'
            wizard.start.mode = 'express'
            wizard.start.weight = Decimal('2.2')
            wizard.start.length = Decimal(40)
            wizard.start.width = Decimal(30)
            wizard.start.height = Decimal(20)
            wizard.start.packages = 1
            wizard.start.dest_country = 'CN'
            for name in ('service_level', 'cargo_class', 'km',
                    'declared_value', 'orders', 'currency',
                    'origin_country', 'dest_subdivision',
                    'dest_postal_code'):
                setattr(wizard.start, name, None)
            self.assertEqual(wizard.transition_compute(), 'start')
            self.assertIn('freight 28.00 CNY', wizard.start.result)
            self.assertIn('Total: 28.00 CNY', wizard.start.result)

    @with_transaction()
    def test_invoice_currency_and_tax(self):
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            # USD card for the CNY customer, CNY default card for the
            # customer invoiced in USD
            card("USD tariff", 'receivable', ns.usd, [{
                        'charge_type': 'freight', 'method': 'flat',
                        'rate': Decimal('100.00')}], party=ns.customer)
            card("Default", 'receivable', ns.cny, [{
                        'charge_type': 'freight', 'method': 'flat',
                        'rate': Decimal('700.00')}])
            for date in (d(2, 15), d(3, 10)):
                event(customer=ns.customer, date=date)
                event(customer=ns.usd_customer, date=date)
            charges = Charge.search([])
            invoices = Charge.invoice(charges, invoice_date=d(3, 15))
            by_party = {i.party: i for i in invoices}
            cny_invoice = by_party[ns.customer]
            usd_invoice = by_party[ns.usd_customer]
            # 100 USD / 0.14 (02-15) = 714.285… → 714.29 CNY;
            # 100 USD / 0.125 (03-10) = 800.00 CNY
            self.assertEqual(cny_invoice.currency, ns.cny)
            self.assertEqual(sorted(
                    line.unit_price for line in cny_invoice.lines),
                [Decimal('714.29'), Decimal('800.00')])
            # untaxed 1514.29; VAT 6 % = 90.8574 → 90.86; total 1605.15
            self.assertEqual(cny_invoice.untaxed_amount, Decimal('1514.29'))
            self.assertEqual(cny_invoice.tax_amount, Decimal('90.86'))
            self.assertEqual(cny_invoice.total_amount, Decimal('1605.15'))
            # 700 CNY × 0.14 (02-15) = 98.00 USD; × 0.125 (03-10) = 87.50
            self.assertEqual(usd_invoice.currency, ns.usd)
            self.assertEqual(sorted(
                    line.unit_price for line in usd_invoice.lines),
                [Decimal('87.50'), Decimal('98.00')])
            # untaxed 185.50; VAT 6 % = 11.13; total 196.63 USD
            self.assertEqual(usd_invoice.untaxed_amount, Decimal('185.50'))
            self.assertEqual(usd_invoice.tax_amount, Decimal('11.13'))
            self.assertEqual(usd_invoice.total_amount, Decimal('196.63'))
            for invoice in invoices:
                self.assertEqual(invoice.state, 'posted')
                move = invoice.move
                self.assertEqual(sum(line.debit for line in move.lines),
                    sum(line.credit for line in move.lines))
            charge, = [c for c in Charge.search([])
                if c.party == ns.customer and c.date == d(2, 15)]
            self.assertEqual((charge.amount, charge.currency.code,
                    charge.invoiced_amount, charge.invoiced_currency.code),
                (Decimal('100.00'), 'USD', Decimal('714.29'), 'CNY'))
            # invoicing again invoices nothing
            self.assertEqual(Charge.invoice(charges), [])




    @with_transaction()
    def test_import_lines_from_csv(self):
        "A card's lines from a CSV file: all or, on any error, none"
        pool = Pool()
        Card = pool.get('otwb.bms.rate_card')
        Wizard = pool.get('otwb.bms.rate_card.import_lines', type='wizard')
        ns = setup_billing(with_accruals=False)

        def run(card, content, replace=False):
            session_id, _, _ = Wizard.create()
            with Transaction().set_context(active_model=card.__name__,
                    active_id=card.id, active_ids=[card.id]):
                try:
                    Wizard.execute(session_id, {'start': {
                                'file': content, 'replace': replace}},
                        'import_')
                finally:
                    Wizard.delete(session_id)

        with Transaction().set_context(company=ns.company.id):
            express = card("Express CSV", 'receivable', ns.cny, [{
                        'sequence': 1, 'charge_type': 'vas',
                        'method': 'flat', 'rate': Decimal(1),
                        'activity': 'old'}],
                divisor_express=5000, weight_rounding=Decimal('0.5'))
            text = (
                'charge_type,method,unit,first_qty,first_price,'
                'additional_step,additional_price,mode,dest_country,'
                'percent,base,min_charge\n'
                'freight,first_additional,kg,1,12,0.5,2,express,CN,,,\n'
                'insurance,percentage,,,,,,,,0.5,declared_value,2\n')
            run(express, text.encode('utf-8'), replace=True)
            express = Card(express.id)
            self.assertEqual(
                [(ln.sequence, ln.charge_type, ln.method, ln.mode,
                        ln.first_price, ln.percent) for ln in express.lines],
                [(20, 'freight', 'first_additional', 'express',
                        Decimal(12), None),
                    (30, 'insurance', 'percentage', None, None,
                        Decimal('0.5'))])
            ok, = Card.quote([{'date': '2026-06-01', 'mode': 'express',
                        'weight': '3.2', 'declared_value': '1000',
                        'destination': {'country': 'CN'}}])
            by_type = {c['charge_type']: c['amount'] for c in ok['charges']}
            # 3.2 → 3.5 kg: 12 + ceil(2.5 / 0.5) × 2 = 22.00; 0.5 % of
            # 1000 = 5.00
            self.assertEqual(by_type, {'freight': '22.00',
                    'insurance': '5.00'})

            # bad cells: named by file line and column, nothing written
            bad = (
                'charge_type,method,rate,dest_country,valid_from\n'
                'freight,per_unit,1.5,CN,2026-01-01\n'
                'freight,per_kilo,abc,CHN,2026-02-30\n')
            with self.assertRaises(ValidationError) as cm:
                run(express, bad.encode('utf-8'))
            message = str(cm.exception)
            for part in ['line 3: method must be one of',
                    'line 3: rate is not a number',
                    'line 3: dest_country is longer than 2 characters',
                    'line 3: valid_from is not a date']:
                self.assertIn(part, message)
            self.assertEqual(len(Card(express.id).lines), 2)
            for content, part in [
                    (b'\xff\xfe bad', 'is not UTF-8 text'),
                    (b'charge_type,methd\nfreight,flat\n',
                        'line 1: methd is not a rate line column'),
                    (b'charge_type,method,rate\nfreight,tiered,1\n',
                        'is invalid')]:
                with self.assertRaises(ValidationError) as cm:
                    run(express, content)
                self.assertIn(part, str(cm.exception))
                self.assertEqual(len(Card(express.id).lines), 2)

            # a card that priced a charge is corrected, not imported into
            event(customer=ns.customer, kg=Decimal(1), date=d(6, 1),
                mode='express', dest_country='CN')
            with self.assertRaises(AccessError):
                run(express, text.encode('utf-8'))
