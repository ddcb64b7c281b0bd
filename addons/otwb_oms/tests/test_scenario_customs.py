# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Cross-border orders: HS codes, origin and import duties (scenario S5)."""
import unittest
from decimal import Decimal
from types import SimpleNamespace

from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, flow
from otwb_tools.testing import activate_demo

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


def setup_customs(data):
    """HS codes and duty rates on the demo data (company context).

    SKU-0001: HS 6109.10 (T-shirts), origin CN; into the US 7.5 % of the
    value in USD, into Germany 12 % of the value in EUR.
    SKU-0002: HS 8471.30 (laptops), origin CN; into the US 2.00 USD per
    unit.  SKU-0003 has no HS code."""
    pool = Pool()
    Country = pool.get('country.country')
    Tariff = pool.get('customs.tariff.code')
    Template = pool.get('product.template')
    ModelData = pool.get('ir.model.data')
    ns = SimpleNamespace()
    ns.countries = {c.code: c for c in Country.search([
                ('code', 'in', ['CN', 'US', 'DE'])])}
    usd, eur = data.currencies['USD'], data.currencies['EUR']
    unit = ModelData.get_id('product', 'uom_unit')
    ns.tshirt, ns.laptop = Tariff.create([{
                'code': '6109.10', 'description': "T-shirts, of cotton",
                'duty_rates': [('create', [{
                                'country': ns.countries['US'].id,
                                'computation_type': 'percentage',
                                'rate': Decimal('0.075'),
                                'currency': usd.id,
                                }, {
                                'country': ns.countries['DE'].id,
                                'computation_type': 'percentage',
                                'rate': Decimal('0.12'),
                                'currency': eur.id,
                                }])],
                }, {
                'code': '8471.30', 'description': "Portable computers",
                'duty_rates': [('create', [{
                                'country': ns.countries['US'].id,
                                'computation_type': 'quantity',
                                'amount': Decimal('2.00'),
                                'currency': usd.id, 'uom': unit,
                                }])],
                }])
    # replace the HS codes of the demo data (otwb_tools/demo_oms.py)
    for sku, tariff in (('SKU-0001', ns.tshirt), ('SKU-0002', ns.laptop),
            ('SKU-0003', None)):
        template = data.products[sku].template
        Template.write([template], {
                'country_of_origin': ns.countries['CN'].id,
                'tariff_codes': [
                    ('delete', [t.id for t in template.tariff_codes]),
                    ('create', [{'tariff_code': tariff.id}]
                        if tariff else [])],
                })
    return ns


def shopify_payload(external_id, lines, country='US'):
    "A Shopify order in USD, paid by card, to New York or Berlin"
    result = flow.demo_payload(external_id, 'SHOPIFY')
    result['currency'] = 'USD'
    result['customer'] = {'name': "Alex Miller",
        'email': 'alex.miller@example.com'}
    if country == 'US':
        result['shipping_address'] = {'name': "Alex Miller",
            'street': "350 Fifth Avenue", 'city': "New York",
            'postal_code': '10118', 'country': 'US',
            'subdivision': 'US-NY', 'latitude': 40.75,
            'longitude': -73.99}
    else:
        result['shipping_address'] = {'name': "Alex Miller",
            'street': "Unter den Linden 1", 'city': "Berlin",
            'postal_code': '10117', 'country': 'DE',
            'subdivision': 'DE-BE', 'latitude': 52.52,
            'longitude': 13.40}
    result['lines'] = [{'sku': sku, 'quantity': quantity,
            'unit_price': price} for sku, quantity, price in lines]
    total = sum(Decimal(price) * quantity for _, quantity, price in lines)
    result['payment'] = {'method': 'card', 'paid_amount': str(total)}
    return result


def submit(*payloads):
    pool = Pool()
    Intake = pool.get('otwb.oms.intake')
    results = Intake.submit(list(payloads))
    flow.run_queue()
    return [Intake(r['intake']) for r in results]


class CustomsTestCase(unittest.TestCase):
    "Cross-border orders"

    @classmethod
    def setUpClass(cls):
        activate_demo(cls, MODULES)

    def setup_data(self):
        self.data = demo_data.load(size=1)
        return Transaction().set_context(company=self.data.company.id)

    @with_transaction()
    def test_usd_order_to_us_duties(self):
        "A USD order from the Shanghai DC to New York gets its duties"
        with self.setup_data():
            ns = setup_customs(self.data)
            intake, = submit(shopify_payload('SH-1', [
                        ('SKU-0001', 2, '100.00'),
                        ('SKU-0002', 3, '50.00')]))
            sale, = intake.sales
            self.assertEqual(sale.currency.code, 'USD')
            self.assertEqual(sale.warehouse.code, 'SHA')
            self.assertEqual(sale.otwb_customs_country, ns.countries['US'])
            self.assertEqual(sale.state, 'processing')
            tshirt, laptop = sorted(sale.lines,
                key=lambda line: line.product.code)
            # 7.5 % of 2 × 100.00 = 15.00 USD
            self.assertEqual(
                (tshirt.otwb_tariff_code, tshirt.otwb_origin_country.code,
                    tshirt.otwb_customs_value,
                    tshirt.otwb_duty_currency.code, tshirt.otwb_duty_amount),
                (ns.tshirt, 'CN', Decimal('200.00'), 'USD',
                    Decimal('15.00')))
            # 3 units × 2.00 USD = 6.00 USD
            self.assertEqual(
                (laptop.otwb_tariff_code, laptop.otwb_customs_value,
                    laptop.otwb_duty_amount),
                (ns.laptop, Decimal('150.00'), Decimal('6.00')))
            self.assertEqual(sale.otwb_duty_amount, Decimal('21.00'))

    @with_transaction()
    def test_usd_order_to_germany_converted(self):
        "The customs value is converted to the EUR of the German rate"
        with self.setup_data():
            setup_customs(self.data)
            intake, = submit(shopify_payload('SH-2', [
                        ('SKU-0001', 2, '100.00')], country='DE'))
            sale, = intake.sales
            line, = sale.lines
            # 200.00 USD × 0.1282 / 0.1389 = 184.5932 -> 184.59 EUR;
            # 12 % = 22.1508 -> 22.15 EUR
            self.assertEqual(
                (line.otwb_customs_value, line.otwb_duty_currency.code,
                    line.otwb_duty_amount),
                (Decimal('184.59'), 'EUR', Decimal('22.15')))
            # back to the order's USD: 22.15 × 0.1389 / 0.1282
            # = 23.9987 -> 24.00
            self.assertEqual(sale.otwb_duty_amount, Decimal('24.00'))

    @with_transaction()
    def test_domestic_order_no_duty(self):
        "A Taobao order from Shanghai to Hangzhou has no duty"
        with self.setup_data():
            setup_customs(self.data)
            intake, = submit(flow.demo_payload('TB-D1'))
            sale, = intake.sales
            self.assertIsNone(sale.otwb_customs_country)
            self.assertEqual(sale.otwb_duty_amount, Decimal(0))
            for line in sale.lines:
                self.assertEqual(
                    (line.otwb_tariff_code, line.otwb_duty_rate,
                        line.otwb_duty_amount), (None, None, None))

    @with_transaction()
    def test_missing_hs_code_holds(self):
        """A cross-border order with a product without HS code is held,
        with no duty written on any line; releasing it before the product
        is fixed fails, after it computes the duties"""
        pool = Pool()
        Hold = pool.get('otwb.oms.hold')
        Sale = pool.get('sale.sale')
        Template = pool.get('product.template')
        with self.setup_data():
            ns = setup_customs(self.data)
            lines = [('SKU-0001', 1, '100.00'), ('SKU-0003', 2, '10.00')]
            first, second = submit(shopify_payload('SH-M1', lines),
                shopify_payload('SH-M2', lines))
            for intake in (first, second):
                self.assertEqual(intake.state, 'processed')
                sale, = intake.sales
                self.assertEqual((sale.state, sale.shipments),
                    ('draft', ()))
                hold, = Hold.search([('sale', '=', sale.id)])
                self.assertEqual((hold.code, hold.state),
                    ('customs', 'open'))
                self.assertIn('SKU-0003', hold.message)
                self.assertIn('no HS tariff code for US', hold.message)
                # all or nothing: SKU-0001's line has no duty either
                self.assertEqual(
                    [line.otwb_duty_amount for line in sale.lines],
                    [None, None])
                self.assertEqual(sale.otwb_duty_amount, Decimal(0))

            hold, = Hold.search([('sale', '=', second.sales[0].id)])
            with self.assertRaises(UserError) as cm:
                Hold.release([hold])
            self.assertIn('SKU-0003', cm.exception.message)

            # the product gets its HS code: releasing confirms the order
            Template.write([self.data.products['SKU-0003'].template], {
                    'tariff_codes': [('create', [{
                                    'tariff_code': ns.tshirt.id}])]})
            hold, = Hold.search([('sale', '=', first.sales[0].id)])
            Hold.release([hold])
            sale = Sale(first.sales[0].id)
            self.assertEqual(sale.state, 'processing')
            # 7.5 % of (100.00 + 20.00) = 7.50 + 1.50 = 9.00 USD
            self.assertEqual(
                sorted(line.otwb_duty_amount for line in sale.lines),
                [Decimal('1.50'), Decimal('7.50')])
            self.assertEqual(sale.otwb_duty_amount, Decimal('9.00'))
