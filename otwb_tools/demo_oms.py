# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""OMS demo data: HS codes, origin and import duty rates (scenario S5).

Called at the end of ``demo_data.load`` inside the company context.  Every
e-commerce SKU is made in China; odd SKUs are cotton T-shirts (HS 6109.10:
7.5 % into the US, 12 % into Germany), even SKUs portable computers
(HS 8471.30: 2.00 USD per unit into the US, 0 % into Germany), so Shopify
orders to New York or Berlin are not held for missing customs data.
"""
from decimal import Decimal

from trytond.pool import Pool


def load(data, size, rng, today):
    pool = Pool()
    Country = pool.get('country.country')
    Tariff = pool.get('customs.tariff.code')
    Template = pool.get('product.template')
    ModelData = pool.get('ir.model.data')
    countries = {c.code: c.id for c in Country.search([
                ('code', 'in', ['CN', 'US', 'DE'])])}
    usd, eur = data.currencies['USD'].id, data.currencies['EUR'].id
    unit = ModelData.get_id('product', 'uom_unit')

    def rate(country, currency, **values):
        values.update({'country': countries[country], 'currency': currency})
        return values

    tshirt, laptop = Tariff.create([{
                'code': '6109.10', 'description': "T-shirts, of cotton",
                'duty_rates': [('create', [
                            rate('US', usd, computation_type='percentage',
                                rate=Decimal('0.075')),
                            rate('DE', eur, computation_type='percentage',
                                rate=Decimal('0.12'))])],
                }, {
                'code': '8471.30', 'description': "Portable computers",
                'duty_rates': [('create', [
                            rate('US', usd, computation_type='quantity',
                                amount=Decimal('2.00'), uom=unit),
                            rate('DE', eur, computation_type='percentage',
                                rate=Decimal(0))])],
                }])
    to_write = []
    for code, product in sorted(data.products.items()):
        if not code.startswith('SKU-'):
            continue
        tariff = tshirt if int(code[4:]) % 2 else laptop
        to_write.extend(([product.template], {
                    'country_of_origin': countries['CN'],
                    'tariff_codes': [('create', [{
                                    'tariff_code': tariff.id}])],
                    }))
    if to_write:
        Template.write(*to_write)
    data.tariff_codes = {'6109.10': tshirt, '8471.30': laptop}
