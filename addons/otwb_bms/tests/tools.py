# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Small billing data set for the scenario tests (fixed dates in 2026)."""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from trytond.pool import Pool
from trytond.transaction import Transaction

YEAR = 2026


def d(month, day):
    return dt.date(YEAR, month, day)


def setup_billing(with_accruals=True):
    """Company (CNY) with chart, fiscal year 2026 with periods, USD rates
    (0.14 from Jan 1, 0.125 from Mar 1; CNY 1), VAT 6 % on the service
    product, a customer, a USD customer, a carrier, accrual accounts.
    Returns a namespace; the caller enters ``company`` context."""
    from trytond.modules.account.tests import create_chart, get_fiscalyear
    from trytond.modules.account_invoice.tests import set_invoice_sequences
    from trytond.modules.company.tests import create_company
    pool = Pool()
    Currency = pool.get('currency.currency')
    Rate = pool.get('currency.currency.rate')
    Account = pool.get('account.account')
    Tax = pool.get('account.tax')
    Category = pool.get('product.category')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    Party = pool.get('party.party')
    Config = pool.get('otwb.configuration')
    FiscalYear = pool.get('account.fiscalyear')
    Journal = pool.get('account.journal')
    ns = SimpleNamespace()
    cny, usd = Currency.create([
            {'name': "Yuan", 'code': 'CNY', 'symbol': '¥', 'digits': 2,
                'rounding': Decimal('0.01')},
            {'name': "Dollar", 'code': 'USD', 'symbol': '$', 'digits': 2,
                'rounding': Decimal('0.01')},
            ])
    Rate.create([
            {'currency': cny.id, 'date': d(1, 1), 'rate': Decimal(1)},
            {'currency': usd.id, 'date': d(1, 1), 'rate': Decimal('0.14')},
            {'currency': usd.id, 'date': d(3, 1), 'rate': Decimal('0.125')},
            ])
    ns.cny, ns.usd = cny, usd
    company = create_company(currency=cny)
    ns.company = company
    User = pool.get('res.user')
    User.write(list({User(0), User(Transaction().user)}), {
            'companies': [('add', [company.id])], 'company': company.id})
    with Transaction().set_context(company=company.id):
        create_chart(company)
        fiscalyear = set_invoice_sequences(
            get_fiscalyear(company, today=d(6, 1)))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        tax_account, = Account.search([('code', '=', '6.3.6')], limit=1)
        ns.vat6, = Tax.create([{
                    'name': "VAT 6%", 'description': "VAT 6%",
                    'type': 'percentage', 'rate': Decimal('0.06'),
                    'invoice_account': tax_account.id,
                    'credit_note_account': tax_account.id,
                    }])
        ns.revenue, = Account.search([
                ('type.revenue', '=', True), ('closed', '!=', True),
                ('company', '=', company.id)], limit=1)
        ns.expense, = Account.search([
                ('type.expense', '=', True), ('closed', '!=', True),
                ('company', '=', company.id)], limit=1)
        category, = Category.create([{
                    'name': "Logistics", 'accounting': True,
                    'account_revenue': ns.revenue.id,
                    'account_expense': ns.expense.id,
                    'customer_taxes': [('add', [ns.vat6.id])],
                    'supplier_taxes': [('add', [ns.vat6.id])],
                    }])
        unit, = Uom.search([('symbol', '=', 'u')], limit=1)
        template, = Template.create([{
                    'name': "Logistics services", 'type': 'service',
                    'default_uom': unit.id, 'list_price': Decimal(0),
                    'account_category': category.id,
                    'products': [('create', [{}])]}])
        ns.product, = template.products
        ns.customer, ns.usd_customer, ns.carrier = Party.create([
                {'name': "Hangzhou Trading",
                    'addresses': [('create', [{'city': "Hangzhou"}])]},
                {'name': "Seattle Buyer", 'bms_currency': usd.id,
                    'addresses': [('create', [{'city': "Seattle"}])]},
                {'name': "Sinotrans",
                    'addresses': [('create', [{'city': "Shanghai"}])]},
                ])
        config = Config(1)
        config.bms_service_product = ns.product
        if with_accruals:
            # the accrual accounts, created for the test
            income, = Account.search([('code', '=', '1.4.2')], limit=1)
            accrued, = Account.search([('code', '=', '2.2.1')], limit=1)
            ns.accrued_revenue, ns.accrued_cost = Account.create([{
                        'name': "Unbilled revenue", 'code': '1.4.9',
                        'company': company.id, 'type': income.type.id,
                        'parent': income.parent.id,
                        }, {
                        'name': "Accrued carrier costs", 'code': '2.2.9',
                        'company': company.id, 'type': accrued.type.id,
                        'parent': accrued.parent.id,
                        }])
            config.bms_accrued_revenue_account = ns.accrued_revenue
            config.bms_accrued_cost_account = ns.accrued_cost
            ns.journal, = Journal.search([('type', '=', 'general')],
                order=[('id', 'ASC')], limit=1)
            config.bms_accrual_journal = ns.journal
        config.save()
    return ns


def card(name, kind, currency, lines, party=None, valid_from=None, **kw):
    Card = Pool().get('otwb.bms.rate_card')
    values = {'name': name, 'kind': kind, 'currency': currency.id,
        'valid_from': valid_from or d(1, 1),
        'party': party.id if party else None,
        'lines': [('create', lines)]}
    values.update(kw)
    record, = Card.create([values])
    return record


def sources(n):
    "n supplier shipments to serve as event sources"
    pool = Pool()
    Shipment = pool.get('stock.shipment.in')
    Party = pool.get('party.party')
    Location = pool.get('stock.location')
    supplier = Party.search([], order=[('id', 'ASC')], limit=1)[0]
    warehouse, = Location.search([('type', '=', 'warehouse')], limit=1)
    return Shipment.create([{
                'supplier': supplier.id, 'warehouse': warehouse.id,
                'warehouse_input': warehouse.input_location.id,
                'warehouse_storage': warehouse.storage_location.id,
                'company': Transaction().context['company'],
                } for _ in range(n)])


def event(activity='shipment_delivered', date=None, source=None, **values):
    "Capture one billable event (a new supplier shipment as source)"
    Event = Pool().get('otwb.bms.event')
    if source is None:
        source, = sources(1)
    values.update({
            'company': Transaction().context['company'],
            'source': source, 'activity': activity,
            'date': date or d(2, 15)})
    for name in ('customer', 'carrier'):
        if name in values and hasattr(values[name], 'id'):
            values[name] = values[name].id
    events = Event.capture([values])
    return events[0] if events else None


def balanced(move):
    return sum(line.debit for line in move.lines) == sum(
        line.credit for line in move.lines)
