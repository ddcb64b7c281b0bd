# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Deterministic demo data set, scalable by ``size``.

Used by ``make demo``, the cross-module tests and the benchmarks.  Runs
inside an open Tryton transaction (ORM), as root, and returns a
:class:`DemoData` with the records the flows need.

Chart of accounts, company and fiscal year come from the helpers Tryton's
own modules ship for their tests (minimal chart ``account_template_root_en``);
everything else is built here.
"""
import datetime as dt
import importlib
import random
from dataclasses import dataclass, field
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction

# name, code, latitude, longitude, province code, city, postal code
WAREHOUSES = [
    ("Shanghai DC", 'SHA', 31.2304, 121.4737, 'CN-SH', "Shanghai", '200000'),
    ("Guangzhou DC", 'CAN', 23.1291, 113.2644, 'CN-GD', "Guangzhou",
        '510000'),
    ("Chengdu DC", 'CTU', 30.5728, 104.0668, 'CN-SC', "Chengdu", '610000'),
    ]
# city, province code, province name, postal code, latitude, longitude
CN_CITIES = [
    ("Shanghai", 'CN-SH', "Shanghai", '200030', 31.20, 121.44),
    ("Hangzhou", 'CN-ZJ', "Zhejiang", '310000', 30.27, 120.15),
    ("Suzhou", 'CN-JS', "Jiangsu", '215000', 31.30, 120.58),
    ("Nanjing", 'CN-JS', "Jiangsu", '210000', 32.06, 118.80),
    ("Guangzhou", 'CN-GD', "Guangdong", '510100', 23.13, 113.26),
    ("Shenzhen", 'CN-GD', "Guangdong", '518000', 22.54, 114.06),
    ("Chengdu", 'CN-SC', "Sichuan", '610041', 30.66, 104.06),
    ("Chongqing", 'CN-CQ', "Chongqing", '400010', 29.56, 106.55),
    ("Wuhan", 'CN-HB', "Hubei", '430000', 30.59, 114.31),
    ("Beijing", 'CN-BJ', "Beijing", '100000', 39.90, 116.40),
    ("Xi'an", 'CN-SN', "Shaanxi", '710000', 34.34, 108.94),
    ("Kunming", 'CN-YN', "Yunnan", '650000', 25.04, 102.71),
    ]
FOREIGN = [
    ("New York", 'US', 'US-NY', "New York", '10001', 40.71, -74.01),
    ("Berlin", 'DE', 'DE-BE', "Berlin", '10115', 52.52, 13.40),
    ]
CHANNELS = [
    # code, name, type, currency, payment methods, prepaid, warehouses
    ('TAOBAO', "Taobao", 'taobao', 'CNY', 'alipay,cod', 'alipay',
        ['SHA', 'CAN', 'CTU']),
    ('JD', "JD", 'jd', 'CNY', 'jdpay,wechat,cod', 'jdpay,wechat',
        ['CAN', 'SHA', 'CTU']),
    ('SHOPIFY', "Shopify", 'shopify', 'USD', 'card,paypal', 'card,paypal',
        ['SHA']),
    ('API', "Generic API", 'api', 'CNY', 'invoice,alipay', 'alipay',
        ['SHA', 'CAN', 'CTU']),
    ]
ROLES = [
    # login, name, group xml ids (module.xml_id)
    ('otwb_admin', "OTWB Administrator", ['otwb_base.group_otwb_admin',
            'stock.group_stock_admin', 'stock.group_stock',
            'sale.group_sale_admin', 'sale.group_sale',
            'account.group_account_admin', 'account.group_account']),
    ('order_manager', "Order Manager", ['otwb_base.group_order_manager',
            'sale.group_sale', 'stock.group_stock']),
    ('warehouse_operator', "Warehouse Operator", [
            'otwb_base.group_warehouse_operator', 'stock.group_stock']),
    ('dispatcher', "Dispatcher", ['otwb_base.group_dispatcher',
            'stock.group_stock']),
    ('billing_clerk', "Billing Clerk", ['otwb_base.group_billing_clerk',
            'account.group_account']),
    ('accountant', "Accountant", ['otwb_base.group_accountant',
            'account.group_account', 'account.group_account_admin']),
    ('integration', "Integration (API)", ['otwb_base.group_integration']),
    ]
DEMO_PASSWORD = 'otwb-Demo-2026!'
EXTENSIONS = ['oms', 'wms', 'tms', 'bms']


@dataclass
class DemoData:
    company: object = None
    currencies: dict = field(default_factory=dict)
    warehouses: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)
    customers: list = field(default_factory=list)
    channels: dict = field(default_factory=dict)
    carriers: dict = field(default_factory=dict)
    vehicles: list = field(default_factory=list)
    users: dict = field(default_factory=dict)
    taxes: dict = field(default_factory=dict)
    service_product: object = None
    counts: dict = field(default_factory=dict)


def _ref(module, xml_id):
    return Pool().get('ir.model.data').get_id(module, xml_id)


def _progress(total, desc, enabled):
    if not enabled:
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit='step', leave=False)


# the demo data committed in a test database restored from the test
# cache (otwb_tools.testing.activate_demo): load() returns its records
SNAPSHOT = None


def load(size=1, seed=20261125, today=None, progress=False):
    """Create the demo data set; returns :class:`DemoData`."""
    if SNAPSHOT and seed == 20261125 and today is None:
        from otwb_tools.testing import snapshot_data
        data = snapshot_data(size)
        if data is not None:
            return data
    from trytond.modules.account.tests import create_chart, get_fiscalyear
    from trytond.modules.account_invoice.tests import set_invoice_sequences
    from trytond.modules.company.tests import create_company

    pool = Pool()
    rng = random.Random(seed)
    today = today or pool.get('ir.date').today()
    data = DemoData()
    steps = [
        'currencies', 'company', 'chart', 'countries', 'taxes',
        'warehouses', 'products', 'stock', 'customers', 'users',
        'channels', 'carriers', 'fleet', 'rate cards']
    bar = _progress(len(steps), "demo data", progress)

    def step(name):
        if bar:
            bar.set_postfix_str(name)
            bar.update(1)

    Currency = pool.get('currency.currency')
    Rate = pool.get('currency.currency.rate')
    cny, usd, eur = Currency.create([
            {'name': "Chinese Yuan", 'code': 'CNY', 'symbol': '¥',
                'numeric_code': '156', 'digits': 2,
                'rounding': Decimal('0.01')},
            {'name': "US Dollar", 'code': 'USD', 'symbol': '$',
                'numeric_code': '840', 'digits': 2,
                'rounding': Decimal('0.01')},
            {'name': "Euro", 'code': 'EUR', 'symbol': '€',
                'numeric_code': '978', 'digits': 2,
                'rounding': Decimal('0.01')},
            ])
    start = today.replace(month=1, day=1)
    Rate.create([
            {'currency': cny.id, 'date': start, 'rate': Decimal(1)},
            {'currency': usd.id, 'date': start, 'rate': Decimal('0.1389')},
            {'currency': eur.id, 'date': start, 'rate': Decimal('0.1282')},
            ])
    data.currencies = {'CNY': cny, 'USD': usd, 'EUR': eur}
    step('currencies')

    company = create_company(
        name="OTWB Demo Logistics Co., Ltd.", currency=cny)
    data.company = company
    User = pool.get('res.user')
    User.write(list({User(0), User(Transaction().user)}), {
            'companies': [('add', [company.id])], 'company': company.id})
    step('company')
    with Transaction().set_context(company=company.id):
        create_chart(company)
        fiscalyear = set_invoice_sequences(get_fiscalyear(company, today))
        fiscalyear.save()
        pool.get('account.fiscalyear').create_period([fiscalyear])
        step('chart')
        _load_company_data(data, size, rng, today, step)
    if bar:
        bar.close()
    return data


def _load_company_data(data, size, rng, today, step):
    pool = Pool()
    company = data.company
    Country = pool.get('country.country')
    Subdivision = pool.get('country.subdivision')
    countries = {}
    for code, name in (('CN', "China"), ('US', "United States"),
            ('DE', "Germany")):
        countries[code], = Country.create([{'name': name, 'code': code}])
    subdivisions = {}
    for _city, code, pname, *_ in CN_CITIES:
        if code not in subdivisions:
            subdivisions[code], = Subdivision.create([{
                        'name': pname, 'code': code, 'type': 'province',
                        'country': countries['CN'].id}])
    for _, ccode, code, pname, *_ in FOREIGN:
        subdivisions[code], = Subdivision.create([{
                    'name': pname, 'code': code, 'type': 'state',
                    'country': countries[ccode].id}])
    step('countries')

    # Taxes: China VAT 6 % (logistics services), 9 % (transport), 13 %
    Account = pool.get('account.account')
    Tax = pool.get('account.tax')
    tax_account, = Account.search([('code', '=', '6.3.6')], limit=1)
    for rate in (6, 9, 13):
        data.taxes[rate], = Tax.create([{
                    'name': "VAT %s%%" % rate,
                    'description': "China VAT %s%%" % rate,
                    'type': 'percentage', 'rate': Decimal(rate) / 100,
                    'invoice_account': tax_account.id,
                    'credit_note_account': tax_account.id,
                    }])
    step('taxes')

    _load_warehouses(data, size, subdivisions, countries)
    step('warehouses')
    _load_products(data, size, rng)
    step('products')
    _load_stock(data, size, rng)
    step('stock')
    _load_customers(data, size, rng, countries, subdivisions)
    step('customers')
    _load_users(data)
    step('users')
    _load_channels(data)
    step('channels')
    _load_carriers(data)
    step('carriers')
    _load_fleet(data)
    step('fleet')
    _load_rate_cards(data, today)
    step('rate cards')
    # Module-specific demo data (lanes, rules, layouts, …): each
    # otwb_tools/demo_<module>.py with a ``load(data, size, rng, today)``
    for name in EXTENSIONS:
        try:
            module = importlib.import_module('otwb_tools.demo_' + name)
        except ModuleNotFoundError:
            continue
        module.load(data, size, rng, today)
    _ = company


def _load_warehouses(data, size, subdivisions, countries):
    pool = Pool()
    Location = pool.get('stock.location')
    Party = pool.get('party.party')
    company_party = data.company.party
    default, = Location.search([('code', '=', 'WH')], limit=1)
    locations = 0
    for n, (name, code, lat, lon, prov, city, zip_) in enumerate(WAREHOUSES):
        address, = pool.get('party.address').create([{
                    'party': company_party.id, 'street': "%s logistics park"
                    % city, 'city': city, 'postal_code': zip_,
                    'country': countries['CN'].id,
                    'subdivision': subdivisions.get(prov, None) and
                    subdivisions[prov].id,
                    'otwb_latitude': lat, 'otwb_longitude': lon}])
        if n == 0:
            warehouse = default
            Location.write([warehouse], {
                    'name': name, 'code': code, 'address': address.id,
                    'otwb_latitude': lat, 'otwb_longitude': lon})
        else:
            zones = Location.create([
                    {'name': "%s Input" % code, 'type': 'storage'},
                    {'name': "%s Output" % code, 'type': 'storage'},
                    {'name': "%s Storage" % code, 'type': 'storage'},
                    ])
            warehouse, = Location.create([{
                        'name': name, 'code': code, 'type': 'warehouse',
                        'address': address.id,
                        'input_location': zones[0].id,
                        'output_location': zones[1].id,
                        'storage_location': zones[2].id,
                        'lost_found_location':
                        default.lost_found_location.id,
                        'otwb_latitude': lat, 'otwb_longitude': lon}])
            Location.write(list(zones), {'parent': warehouse.id})
        storage = warehouse.storage_location
        # Bins: aisles x bays x levels under storage, 1.2 m bays, 3 m aisles
        bins = []
        for aisle in range(1, 1 + 2 * size):
            for bay in range(1, 5):
                for level in range(1, 3):
                    bins.append({
                            'name': 'A%02d-B%02d-L%d' % (aisle, bay, level),
                            'code': '%s-A%02d-B%02d-L%d' % (
                                code, aisle, bay, level),
                            'type': 'storage', 'parent': storage.id,
                            'otwb_zone_type': 'pick_face',
                            'otwb_aisle': aisle, 'otwb_bay': bay,
                            'otwb_level': level,
                            'otwb_x': round(aisle * 3.0, 2),
                            'otwb_y': round(bay * 1.2, 2),
                            'otwb_capacity_volume': 1.5,
                            'otwb_capacity_weight': 1000.0,
                            'otwb_capacity_pallets': 1})
        data.warehouses[code] = warehouse
        data.warehouses[code + '_bins'] = Location.create(bins)
        locations += len(bins)
    data.counts['bins'] = locations
    _ = Party


def _load_products(data, size, rng):
    pool = Pool()
    Template = pool.get('product.template')
    Category = pool.get('product.category')
    Account = pool.get('account.account')
    uom = {n: _ref('product', x) for n, x in (
            ('unit', 'uom_unit'), ('kg', 'uom_kilogram'),
            ('cm', 'uom_centimeter'), ('m3', 'uom_cubic_meter'))}
    Uom = pool.get('product.uom')
    tonne, = Uom.create([{
                'name': "Tonne", 'symbol': 't',
                'category': _ref('product', 'uom_cat_weight'),
                'factor': 1000.0, 'rate': 0.001,
                'rounding': 0.001, 'digits': 3}])
    uom['t'] = tonne.id
    revenue, = Account.search([
            ('type.revenue', '=', True), ('closed', '!=', True),
            ('company', '=', data.company.id)], limit=1)
    expense, = Account.search([
            ('type.expense', '=', True), ('closed', '!=', True),
            ('company', '=', data.company.id)], limit=1)
    goods_cat, service_cat = Category.create([{
                'name': "Goods", 'accounting': True,
                'account_revenue': revenue.id,
                'account_expense': expense.id,
                'customer_taxes': [('add', [data.taxes[13].id])],
                'supplier_taxes': [('add', [data.taxes[13].id])],
                }, {
                'name': "Logistics Services", 'accounting': True,
                'account_revenue': revenue.id,
                'account_expense': expense.id,
                'customer_taxes': [('add', [data.taxes[6].id])],
                'supplier_taxes': [('add', [data.taxes[9].id])],
                }])
    vlist = []
    n_sku = 12 * size
    for i in range(1, n_sku + 1):
        length, width, height = (rng.choice([10, 15, 20, 25, 30, 40]),
            rng.choice([10, 15, 20, 25]), rng.choice([5, 10, 15, 20]))
        weight = round(rng.uniform(0.2, 6.0), 2)
        price = Decimal(rng.choice([29, 49, 79, 99, 149, 199, 299, 499]))
        vlist.append({
                'name': "E-commerce item %03d" % i,
                'type': 'goods', 'default_uom': uom['unit'],
                'sale_uom': uom['unit'], 'salable': True, 'list_price': price,
                'account_category': goods_cat.id,
                'weight': weight, 'weight_uom': uom['kg'],
                'length': length, 'width': width, 'height': height,
                'length_uom': uom['cm'], 'width_uom': uom['cm'],
                'height_uom': uom['cm'],
                'code': 'SKU-%04d' % i,
                'products': [('create', [{
                                'cost_price': (price * Decimal('0.55')
                                    ).quantize(Decimal('0.01'))}])],
                })
    vlist.append({
            'name': "Hot-rolled steel coil 25 t", 'type': 'goods',
            'default_uom': uom['unit'], 'sale_uom': uom['unit'],
            'salable': True, 'list_price': Decimal('102500'),
            'account_category': goods_cat.id,
            'weight': 25000, 'weight_uom': uom['kg'],
            'length': 150, 'width': 150, 'height': 130,
            'length_uom': uom['cm'], 'width_uom': uom['cm'],
            'height_uom': uom['cm'],
            'code': 'COIL-HR-25T', 'products': [('create', [{}])]})
    vlist.append({
            'name': "Thermal coal 5500 kcal", 'type': 'goods',
            'default_uom': uom['t'], 'sale_uom': uom['t'], 'salable': True,
            'list_price': Decimal('850'), 'account_category': goods_cat.id,
            'code': 'COAL-5500', 'products': [('create', [{}])]})
    vlist.append({
            'name': "Logistics services", 'type': 'service',
            'default_uom': uom['unit'], 'sale_uom': uom['unit'],
            'salable': True, 'list_price': Decimal(0),
            'account_category': service_cat.id,
            'code': 'SVC-LOGISTICS', 'products': [('create', [{}])]})
    templates = Template.create(vlist)
    for template in templates:
        for product in template.products:
            data.products[product.code] = product
    data.service_product = data.products['SVC-LOGISTICS']
    PackageType = pool.get('stock.package.type')
    PackageType.create([{
                'name': name, 'length': length, 'width': width,
                'height': height, 'length_uom': uom['cm'],
                'width_uom': uom['cm'], 'height_uom': uom['cm'],
                'packaging_weight': tare, 'packaging_weight_uom': uom['kg'],
                } for name, length, width, height, tare in [
                ("Carton M 40x30x30", 40, 30, 30, 0.4),
                ("Carton S 30x20x15", 30, 20, 15, 0.2),
                ("Carton L 60x40x40", 60, 40, 40, 0.7)]])
    Config = pool.get('otwb.configuration')
    config = Config(1)
    config.bms_service_product = data.service_product
    config.save()
    data.counts['products'] = len(templates)


def _load_stock(data, size, rng):
    "Opening stock through Tryton inventories, one bin per SKU"
    pool = Pool()
    Inventory = pool.get('stock.inventory')
    inventories = []
    skus = [p for code, p in sorted(data.products.items())
        if code.startswith('SKU-')]
    for code, _ in ((c, w) for c, w in data.warehouses.items()
            if not c.endswith('_bins')):
        bins = data.warehouses[code + '_bins']
        lines = []
        for n, product in enumerate(skus):
            lines.append({
                    'product': product.id,
                    'quantity': float(rng.choice([0, 20, 50, 100, 200])
                        if code != 'SHA' else rng.choice([50, 100, 200])),
                    'location': bins[n % len(bins)].id,
                    })
        for line in lines:
            inventories.append({
                    'location': line['location'],
                    'date': pool.get('ir.date').today(),
                    'lines': [('create', [{
                                    'product': line['product'],
                                    'quantity': line['quantity']}])],
                    })
    records = Inventory.create(inventories)
    Inventory.confirm(records)
    data.counts['inventory_lines'] = len(records)


def _load_customers(data, size, rng, countries, subdivisions):
    pool = Pool()
    Party = pool.get('party.party')
    surnames = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao",
        "Huang", "Zhou", "Wu", "Xu", "Sun"]
    vlist = []
    n = 20 * size
    for i in range(n):
        city, prov, _, zip_, lat, lon = CN_CITIES[i % len(CN_CITIES)]
        vlist.append({
                'name': "%s %s Trading Co." % (surnames[i % 12], city),
                'contact_mechanisms': [('create', [{
                                'type': 'email',
                                'value': 'customer%03d@example.cn' % i}])],
                'addresses': [('create', [{
                                'street': "%d Renmin Road" % (i + 1),
                                'city': city, 'postal_code': zip_,
                                'country': countries['CN'].id,
                                'subdivision': subdivisions[prov].id,
                                'otwb_latitude': round(lat + rng.uniform(
                                    -0.05, 0.05), 6),
                                'otwb_longitude': round(lon + rng.uniform(
                                    -0.05, 0.05), 6)}])],
                })
    for i, (city, ccode, scode, _, zip_, lat, lon) in enumerate(FOREIGN):
        vlist.append({
                'name': "Overseas customer %s" % city,
                'contact_mechanisms': [('create', [{
                                'type': 'email',
                                'value': 'buyer%d@example.com' % i}])],
                'addresses': [('create', [{
                                'street': "%d Main Street" % (i + 10),
                                'city': city, 'postal_code': zip_,
                                'country': countries[ccode].id,
                                'subdivision': subdivisions[scode].id,
                                'otwb_latitude': lat,
                                'otwb_longitude': lon}])],
                })
    vlist.append({'name': "Wuhan Auto Plant (steel buyer)",
            'addresses': [('create', [{
                            'street': "1 Dongfeng Avenue", 'city': "Wuhan",
                            'postal_code': '430056',
                            'country': countries['CN'].id,
                            'subdivision': subdivisions['CN-HB'].id,
                            'otwb_latitude': 30.50,
                            'otwb_longitude': 114.17}])]})
    data.customers = Party.create(vlist)
    data.counts['customers'] = len(data.customers)


def _load_users(data):
    pool = Pool()
    User = pool.get('res.user')
    vlist = []
    for login, name, groups in ROLES:
        vlist.append({
                'login': login, 'name': name, 'password': DEMO_PASSWORD,
                'companies': [('add', [data.company.id])],
                'company': data.company.id,
                'groups': [('add', [_ref(*g.split('.')) for g in groups])],
                })
    for user in User.create(vlist):
        data.users[user.login] = user
    # Warehouses for the stock users
    User.write([u for u in data.users.values()], {})


def _load_channels(data):
    pool = Pool()
    Channel = pool.get('otwb.oms.channel')
    vlist = []
    for code, name, type_, ccy, methods, prepaid, whs in CHANNELS:
        vlist.append({
                'code': code, 'name': name, 'type': type_,
                'currency': data.currencies[ccy].id,
                'payment_methods': methods, 'prepaid_methods': prepaid,
                'company': data.company.id,
                'integration_user': data.users['integration'].id,
                'warehouses': [('create', [{
                                'warehouse': data.warehouses[w].id,
                                'sequence': n}
                            for n, w in enumerate(whs)])],
                })
    for channel in Channel.create(vlist):
        data.channels[channel.code] = channel


def _load_carriers(data):
    pool = Pool()
    Party = pool.get('party.party')
    Carrier = pool.get('carrier')
    names = [
        ('road_ltl', "Deppon LTL"), ('road_ftl', "Sinotrans FTL"),
        ('rail', "China Railway Freight"), ('water', "COSCO Coastal"),
        ('express', "SF Express"), ('air', "China Southern Air Cargo"),
        ]
    parties = Party.create([{'name': n, 'addresses': [('create', [{
                                'city': "Shanghai", 'street': "Carrier road",
                                }])]} for _, n in names])
    carriers = Carrier.create([{
                'party': p.id,
                'carrier_product': data.service_product.id}
            for p in parties])
    for (mode, _), carrier in zip(names, carriers):
        data.carriers[mode] = carrier


def _load_fleet(data):
    pool = Pool()
    Vehicle = pool.get('otwb.tms.vehicle')
    vlist = []
    for code in (c for c in data.warehouses if not c.endswith('_bins')):
        for n, (cap_kg, cap_m3, fixed, km) in enumerate([
                    (1500, 10, 150, '2.5'), (4500, 25, 300, '3.2'),
                    (30000, 80, 800, '6.0')], 1):
            vlist.append({
                    'name': '%s truck %d (%.1f t)' % (code, n, cap_kg / 1000),
                    'plate': '沪A·%s%03d' % (code[0], n),
                    'company': data.company.id,
                    'mode': 'road_ftl' if cap_kg >= 10000 else 'road_ltl',
                    'depot': data.warehouses[code].id,
                    'carrier': data.carriers['road_ftl'].id,
                    'capacity_weight': cap_kg, 'capacity_volume': cap_m3,
                    'capacity_pallets': int(cap_m3 // 2),
                    'fixed_cost': Decimal(fixed),
                    'cost_per_km': Decimal(km),
                    'cost_per_hour': Decimal('60'),
                    'max_duration': 10.0,
                    })
    data.vehicles = Vehicle.create(vlist)


def _load_rate_cards(data, today):
    pool = Pool()
    Card = pool.get('otwb.bms.rate_card')
    start = today.replace(month=1, day=1)
    Card.create([{
                'name': "Default customer tariff", 'kind': 'receivable',
                'currency': data.currencies['CNY'].id, 'valid_from': start,
                'company': data.company.id, 'divisor_road': 6000,
                'divisor_express': 5000, 'weight_rounding': Decimal('0.5'),
                'lines': [('create', [{
                                'sequence': 10, 'charge_type': 'freight',
                                'activity': 'shipment_delivered',
                                'description': "首重 1 kg + 续重 per 0.5 kg",
                                'method': 'first_additional', 'unit': 'kg',
                                'first_qty': Decimal(1),
                                'first_price': Decimal('12'),
                                'additional_step': Decimal('0.5'),
                                'additional_price': Decimal('2'),
                                }, {
                                'sequence': 20,
                                'charge_type': 'handling_outbound',
                                'activity': 'order_handled',
                                'description': "Outbound handling per order",
                                'method': 'per_unit', 'unit': 'order',
                                'rate': Decimal('3.50'),
                                }, {
                                'sequence': 30,
                                'charge_type': 'fuel_surcharge',
                                'activity': 'shipment_delivered',
                                'description': "Fuel surcharge 8 % of freight",
                                'method': 'percentage',
                                'percent': Decimal('8'), 'base': 'freight',
                                }])],
                }, {
                'name': "Sinotrans FTL haulage", 'kind': 'payable',
                'party': data.carriers['road_ftl'].party.id,
                'currency': data.currencies['CNY'].id, 'valid_from': start,
                'company': data.company.id,
                'lines': [('create', [{
                                'sequence': 10, 'charge_type': 'freight',
                                'activity': 'trip_completed',
                                'description': "Per trip km, minimum 200",
                                'method': 'per_unit', 'unit': 'km',
                                'rate': Decimal('4.20'),
                                'min_charge': Decimal('200'),
                                }])],
                }])
    _ = dt
