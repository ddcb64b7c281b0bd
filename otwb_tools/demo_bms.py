# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Billing demo data: accrual accounts and journal, fuel index, a USD
express card for overseas customers, customer billing currencies, a
peak-season line on a separate card.

Called at the end of ``demo_data.load`` inside the company context.  It
leaves the two base cards (default customer tariff, Sinotrans FTL) as they
are, so the walking skeleton's charges do not change.
"""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool


def load(data, size, rng, today):
    pool = Pool()
    Account = pool.get('account.account')
    Config = pool.get('otwb.configuration')
    Journal = pool.get('account.journal')
    FuelIndex = pool.get('otwb.bms.fuel_index')
    Card = pool.get('otwb.bms.rate_card')
    Party = pool.get('party.party')
    company = data.company

    # Accrual accounts: the chart's accrued income / accrued expenses
    accrued_income, = Account.search([('code', '=', '1.4.2')], limit=1)
    accrued_expense, = Account.search([('code', '=', '2.2.1')], limit=1)
    journal, = Journal.search([('type', '=', 'general')],
        order=[('id', 'ASC')], limit=1)
    config = Config(1)
    config.bms_accrued_revenue_account = accrued_income
    config.bms_accrued_cost_account = accrued_expense
    config.bms_accrual_journal = journal
    config.bms_allocation_basis = 'weight'
    config.save()

    # Fuel index: monthly percent since January
    start = today.replace(month=1, day=1)
    FuelIndex.create([{
                'company': company.id,
                'date': start.replace(month=m),
                'percent': Decimal('6.5') + Decimal(m) / 4,
                } for m in range(1, 13)])

    # Overseas customers are invoiced in their currency
    by_country = {'US': data.currencies['USD'], 'DE': data.currencies['EUR']}
    for customer in data.customers:
        address = customer.addresses[0] if customer.addresses else None
        country = address.country.code if address and address.country \
            else None
        if country in by_country:
            Party.write([customer], {'bms_currency': by_country[country].id})

    # Cross-border express card in USD (priced per 0.5 kg, fuel indexed),
    # applies only to destinations outside China
    lines = []
    for country in ('US', 'DE'):
        lines.extend([{
                    'sequence': 10, 'charge_type': 'freight',
                    'activity': 'shipment_delivered', 'mode': 'express',
                    'dest_country': country,
                    'description': "Express %s: first 0.5 kg + 0.5 kg" % (
                        country),
                    'method': 'first_additional', 'unit': 'kg',
                    'first_qty': Decimal('0.5'),
                    'first_price': Decimal('18'),
                    'additional_step': Decimal('0.5'),
                    'additional_price': Decimal('4.5'),
                    }, {
                    'sequence': 20, 'charge_type': 'fuel_surcharge',
                    'activity': 'shipment_delivered', 'mode': 'express',
                    'dest_country': country,
                    'description': "Fuel surcharge (index)",
                    'method': 'percentage', 'fuel_indexed': True,
                    'base': 'freight',
                    }, {
                    'sequence': 30, 'charge_type': 'insurance',
                    'activity': 'shipment_delivered', 'mode': 'express',
                    'dest_country': country,
                    'description': "Insurance 0.5 % of declared value, "
                    "min 2",
                    'method': 'percentage', 'percent': Decimal('0.5'),
                    'base': 'declared_value', 'min_charge': Decimal('2'),
                    }])
    Card.create([{
                'name': "Cross-border express (USD)", 'kind': 'receivable',
                'currency': data.currencies['USD'].id, 'valid_from': start,
                'company': company.id, 'divisor_express': 5000,
                'weight_rounding': Decimal('0.5'),
                'party': customer.id,
                'lines': [('create', lines)],
                } for customer in data.customers
            if customer.bms_currency])

    # Peak season (11-11 to 11-30) on the payable side of SF Express
    express = data.carriers.get('express')
    if express:
        Card.create([{
                    'name': "SF Express parcels", 'kind': 'payable',
                    'party': express.party.id,
                    'currency': data.currencies['CNY'].id,
                    'valid_from': start, 'company': company.id,
                    'divisor_express': 6000,
                    'lines': [('create', [{
                                    'sequence': 10, 'charge_type': 'freight',
                                    'activity': 'trip_completed',
                                    'description': "Tiered per kg",
                                    'method': 'tiered', 'unit': 'kg',
                                    'bands': '0:2.00; 100:1.50; 1000:1.20',
                                    'min_charge': Decimal('50'),
                                    }, {
                                    'sequence': 20,
                                    'charge_type': 'peak_season',
                                    'activity': 'trip_completed',
                                    'description': "Double 11 peak season",
                                    'method': 'percentage',
                                    'percent': Decimal('15'),
                                    'base': 'freight',
                                    'valid_from': dt.date(today.year, 11, 11),
                                    'valid_to': dt.date(today.year, 11, 30),
                                    }])],
                    }])
    _ = (size, rng)
