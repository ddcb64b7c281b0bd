# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Carrier and service selection rules, cheapest meeting the SLA."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from . import tools

D = Decimal


def services():
    "Four carriers, five services with list prices"
    Service = Pool().get('otwb.tms.carrier.service')
    sf = tools.carrier("SF Express")
    deppon = tools.carrier("Deppon")
    zto = tools.carrier("ZTO")
    dg = tools.carrier("Sinotrans Hazmat")
    created = Service.create([
            {'carrier': sf.id, 'name': "Next day", 'code': 'SF-ND',
                'mode': 'express', 'service_level': 'express',
                'sla_hours': 24, 'max_weight': 30,
                'price_fixed': D('15'), 'price_per_kg': D('2')},
            {'carrier': sf.id, 'name': "Same day", 'code': 'SF-SD',
                'mode': 'express', 'service_level': 'same_day',
                'sla_hours': 8, 'max_weight': 10,
                'price_fixed': D('40'), 'price_per_kg': D('3')},
            {'carrier': deppon.id, 'name': "LTL", 'code': 'DP-LTL',
                'mode': 'road_ltl', 'service_level': 'standard',
                'sla_hours': 72, 'max_weight': 3000,
                'price_fixed': D('30'), 'price_per_kg': D('0.8')},
            {'carrier': zto.id, 'name': "Economy", 'code': 'ZTO-EC',
                'mode': 'road_ltl', 'service_level': 'economy',
                'sla_hours': 120, 'max_weight': 50,
                'max_declared_value': D('2000'),
                'price_fixed': D('5'), 'price_per_kg': D('0.5')},
            {'carrier': dg.id, 'name': "Dangerous goods", 'code': 'DG',
                'mode': 'road_ftl', 'service_level': 'standard',
                'sla_hours': 96, 'dangerous_goods': True,
                'price_fixed': D('200'), 'price_per_kg': D('1.5')},
            ])
    return {s.code: s for s in created}


class CarrierScenarioTestCase(unittest.TestCase):
    "Carrier selection"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_tms'])

    def _rules(self, company, svc):
        pool = Pool()
        Rule = pool.get('otwb.tms.carrier.rule')
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        cn, = Country.create([{'name': "China", 'code': 'CN'}])
        xz, sh = Subdivision.create([
                {'name': "Tibet", 'code': 'CN-XZ', 'type': 'region',
                    'country': cn.id},
                {'name': "Shanghai", 'code': 'CN-SH',
                    'type': 'municipality', 'country': cn.id},
                ])
        Rule.create([
                {'sequence': 10, 'name': "Dangerous goods",
                    'dangerous_goods': 'yes', 'policy': 'fixed',
                    'service': svc['DG'].id},
                {'sequence': 20, 'name': "Tibet by Deppon",
                    'country': cn.id, 'subdivision': xz.id,
                    'policy': 'fixed', 'carrier': svc['DP-LTL'].carrier.id},
                {'sequence': 30, 'name': "Heavy by road",
                    'min_weight': 100, 'policy': 'cheapest_sla',
                    'mode': 'road_ltl'},
                {'sequence': 40, 'name': "High value insured",
                    'min_value': D('5000'), 'policy': 'fixed',
                    'service': svc['SF-ND'].id},
                {'sequence': 100, 'name': "Default: cheapest in SLA",
                    'policy': 'cheapest_sla'},
                ])
        return cn, xz, sh

    @with_transaction()
    def test_first_matching_rule_and_cheapest_in_sla(self):
        "Rules match in sequence; the cheapest service within the SLA wins"
        pool = Pool()
        Rule = pool.get('otwb.tms.carrier.rule')
        company = create_company()
        with set_company(company):
            svc = services()
            cn, xz, sh = self._rules(company, svc)
            base = {'country': cn.id, 'subdivision': sh.id,
                'weight': 5.0, 'volume': 0.02, 'declared_value': D('300')}

            # dangerous goods: the fixed hazmat service, whatever else
            choice = Rule.select(dict(base, dangerous_goods=True))
            self.assertEqual(choice.service, svc['DG'])
            self.assertIn('Rule "Dangerous goods" (sequence 10)',
                choice.reason)
            self.assertEqual(choice.cost, D('207.50'))  # 200 + 1.5 x 5

            # Tibet: Deppon, fixed carrier
            choice = Rule.select(dict(base, subdivision=xz.id))
            self.assertEqual(choice.carrier, svc['DP-LTL'].carrier)
            self.assertIsNone(choice.service)
            self.assertIn('subdivision CN-XZ', choice.reason)

            # standard 72 h: ZTO economy (120 h) is out of the SLA;
            # SF next day 15 + 2 x 5 = 25 beats Deppon 30 + 0.8 x 5 = 34
            choice = Rule.select(dict(base, service_level='standard'))
            self.assertEqual(choice.rule.name, "Default: cheapest in SLA")
            self.assertEqual(choice.service, svc['SF-ND'])
            self.assertEqual(choice.cost, D('25.00'))
            self.assertIn('SLA 72 h (service level standard)',
                choice.reason)
            self.assertIn('ZTO / Economy: SLA 120 h > 72 h', choice.reason)
            self.assertIn('Deppon / LTL 34.00', choice.reason)
            self.assertIn('Sinotrans Hazmat / Dangerous goods', choice.reason)

            # economy 168 h: ZTO 5 + 0.5 x 5 = 7.50
            choice = Rule.select(dict(base, service_level='economy'))
            self.assertEqual(choice.service, svc['ZTO-EC'])
            self.assertEqual(choice.cost, D('7.50'))

            # a promise 10 h away leaves only same day: 40 + 3 x 5
            choice = Rule.select(dict(base, sla_hours=10))
            self.assertEqual(choice.service, svc['SF-SD'])
            self.assertEqual(choice.cost, D('55.00'))

            # 400 kg: the heavy rule, road LTL only: Deppon 30 + 320
            choice = Rule.select(dict(base, weight=400.0,
                    service_level='economy'))
            self.assertEqual(choice.rule.name, "Heavy by road")
            self.assertEqual(choice.service, svc['DP-LTL'])
            self.assertEqual(choice.cost, D('350.00'))
            self.assertIn('ZTO / Economy: weight 400', choice.reason)

            # declared value 6000: insured next day, fixed
            choice = Rule.select(dict(base, declared_value=D('6000')))
            self.assertEqual(choice.rule.name, "High value insured")
            self.assertEqual(choice.service, svc['SF-ND'])

            # nothing within 4 h
            choice = Rule.select(dict(base, sla_hours=4))
            self.assertIsNone(choice.carrier)
            self.assertIn('no service qualifies', choice.reason)

    @with_transaction()
    def test_shipment_records_the_chosen_carrier_and_why(self):
        "The shipment button stores carrier, service, cost and reason"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        company = create_company()
        with set_company(company):
            svc = services()
            cn, xz, sh = self._rules(company, svc)
            tools.warehouse()
            product = tools.product('BOX', weight_kg=2, volume_m3=0.01)
            party = tools.customer('Shanghai shop', 31.2, 121.4,
                country=cn, subdivision=sh)
            shipment, = tools.packed_shipments(
                company, [(party, product, 3)])
            Shipment.otwb_select_carrier([shipment])
            shipment = Shipment(shipment.id)
            # 6 kg, no service level and no promise: no SLA, so the
            # cheapest of all: ZTO 5 + 0.5 x 6 = 8.00
            self.assertEqual(shipment.otwb_carrier_service, svc['ZTO-EC'])
            self.assertEqual(shipment.otwb_carrier,
                svc['ZTO-EC'].carrier)
            self.assertEqual(shipment.otwb_carrier_cost, D('8.00'))
            self.assertIn('Cheapest meeting no SLA: ZTO / Economy at 8.00 '
                '(list price', shipment.otwb_carrier_reason)

            Shipment.write([shipment], {'otwb_dangerous_goods': True})
            Shipment.otwb_select_carrier([shipment])
            self.assertEqual(
                Shipment(shipment.id).otwb_carrier_service, svc['DG'])


class CarrierBillingScenarioTestCase(unittest.TestCase):
    "Carrier selection priced by the billing module's payable rate cards"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms'])

    @with_transaction()
    def test_payable_rate_card_prices_candidates(self):
        "With otwb_bms, the carrier's payable card replaces the list price"
        pool = Pool()
        Rule = pool.get('otwb.tms.carrier.rule')
        Card = pool.get('otwb.bms.rate_card')
        company = create_company()
        with set_company(company):
            svc = services()
            Rule.create([{'sequence': 10, 'name': "Cheapest",
                        'policy': 'cheapest_sla'}])
            # Deppon's card: 12 + 0.5 per kg for shipment deliveries
            Card.create([{
                        'name': "Deppon 2026", 'kind': 'payable',
                        'party': svc['DP-LTL'].carrier.party.id,
                        'currency': company.currency.id,
                        'valid_from': dt.date(2000, 1, 1),
                        'lines': [('create', [{
                                        'sequence': 10,
                                        'charge_type': 'freight',
                                        'activity': 'shipment_delivered',
                                        'method': 'per_unit', 'unit': 'kg',
                                        'rate': D('0.5'),
                                        }, {
                                        'sequence': 20,
                                        'charge_type': 'handling_outbound',
                                        'activity': 'shipment_delivered',
                                        'method': 'flat', 'rate': D('12'),
                                        }])],
                        }])
            request = {'weight': 20.0, 'volume': 0.1,
                'service_level': 'standard'}
            choice = Rule.select(request)
            # Deppon by card 12 + 0.5 x 20 = 22 beats SF list 15 + 40 = 55
            self.assertEqual(choice.service, svc['DP-LTL'])
            self.assertEqual(choice.cost, D('22.00'))
            self.assertIn('payable rate card', choice.reason)
            self.assertIn('SF Express / Next day 55.00', choice.reason)
