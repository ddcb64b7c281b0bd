# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import copy
import datetime as dt
import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_oms.engine.intake import (
    CSV_COLUMNS,
    Catalog,
    Channel,
    Limits,
    Product,
    address_key,
    parse_csv,
    payload_hash,
    validate_order,
)

D = Decimal
CATALOG = Catalog(
    channels={
        'WEB': Channel(code='WEB', currency='EUR',
            payment_methods=frozenset({'card', 'paypal', 'invoice'}),
            prepaid_methods=frozenset({'card', 'paypal'}), max_lines=5),
        'B2B': Channel(code='B2B', currency='USD',
            payment_methods=frozenset({'invoice'})),
        },
    products={
        'SKU-A': Product(id=1, weight=Decimal('0.5')),
        'SKU-B': Product(id=2, weight=Decimal('2')),
        'SKU-C': Product(id=3),
        'SKU-OLD': Product(id=4, active=False),
        },
    countries={
        'ES': frozenset({'ES-M', 'ES-B'}),
        'FR': frozenset(),
        'US': frozenset({'US-CA', 'US-NY'}),
        },
    )


def make_payload(**overrides):
    payload = {
        'channel': 'WEB',
        'external_id': ' WEB-1001 ',
        'customer': {'name': 'Ana Pérez', 'email': 'ana@Example.COM',
            'phone': '+34 600 11 22 33'},
        'shipping_address': {'street': 'Calle Mayor 1', 'city': 'Madrid',
            'postal_code': '28013', 'country': 'es', 'subdivision': 'M',
            'latitude': 40.4168, 'longitude': '-3.7038'},
        'lines': [
            {'sku': 'SKU-A', 'quantity': 3, 'unit_price': '10.25'},
            {'sku': 'SKU-B', 'quantity': '2', 'unit_price': 5.5,
                'discount': '1.00'},
            ],
        'currency': 'eur',
        'payment': {'method': 'card', 'paid_amount': '40.75'},
        'service_level': 'Express',
        'promised_date': '2025-03-04',
        }
    payload.update(overrides)
    return payload


def codes(errors):
    return {(e['field'], e['code']) for e in errors}


def test_valid_order_normalised():
    order, errors = validate_order(make_payload(), CATALOG)
    assert errors == []
    assert order.external_id == 'WEB-1001'
    assert order.customer.email == 'ana@example.com'
    assert order.customer.phone_key == '+34600112233'
    assert order.currency == 'EUR'
    assert order.service_level == 'express'
    assert order.promised_date == dt.date(2025, 3, 4)
    address = order.shipping_address
    assert address.country == 'ES'
    assert address.subdivision == 'ES-M'
    assert address.name == 'Ana Pérez'
    assert address.latitude == Decimal('40.4168')
    assert address.longitude == Decimal('-3.7038')
    assert order.address_missing == ()
    # 3 x 10.25 = 30.75 ; 2 x 5.5 - 1 = 10.00
    assert [line.amount for line in order.lines] == [
        Decimal('30.75'), Decimal('10.00')]
    assert [line.product_id for line in order.lines] == [1, 2]
    assert order.untaxed_amount == Decimal('40.75')
    assert order.total_quantity == Decimal(5)
    # 3 x 0.5 + 2 x 2 = 5.5 kg
    assert order.weight == Decimal('5.5')
    assert order.payment.prepaid is True
    assert order.payload_hash == payload_hash(make_payload())


def test_integer_identifiers():
    payload = make_payload(external_id=1001)
    payload['lines'][0]['id'] = 7
    payload['lines'][1]['id'] = '7'
    order, errors = validate_order(payload, CATALOG)
    # 7 and '7' are the same reference once normalised
    assert codes(errors) == {('lines[1].id', 'duplicate_line')}
    payload['lines'][1]['id'] = 8
    order, errors = validate_order(payload, CATALOG)
    assert errors == []
    assert order.external_id == '1001'
    assert [line.id for line in order.lines] == ['7', '8']


def test_weight_unknown_when_product_has_no_weight():
    payload = make_payload(lines=[
            {'sku': 'SKU-C', 'quantity': 1, 'unit_price': '40.75'}])
    order, errors = validate_order(payload, CATALOG)
    assert errors == []
    assert order.weight is None


def test_prepaid_tolerance():
    ok = make_payload(payment={'method': 'card', 'paid_amount': '40.74'})
    assert validate_order(ok, CATALOG)[1] == []
    bad = make_payload(payment={'method': 'card', 'paid_amount': '40.73'})
    order, errors = validate_order(bad, CATALOG)
    assert order is None
    assert codes(errors) == {('payment.paid_amount', 'unpaid_prepaid')}
    # an on-account method does not need to be paid
    unpaid = make_payload(payment={'method': 'invoice'})
    order, errors = validate_order(unpaid, CATALOG)
    assert errors == []
    assert order.payment.prepaid is False
    assert order.payment.paid_amount == 0


@pytest.mark.parametrize('line, expected', [
        ({'sku': 'NOPE', 'quantity': 1, 'unit_price': 1},
            ('lines[1].sku', 'unknown_sku')),
        ({'sku': 'SKU-OLD', 'quantity': 1, 'unit_price': 1},
            ('lines[1].sku', 'inactive_sku')),
        ({'sku': 'SKU-A', 'quantity': 0, 'unit_price': 1},
            ('lines[1].quantity', 'not_positive')),
        ({'sku': 'SKU-A', 'quantity': -2, 'unit_price': 1},
            ('lines[1].quantity', 'not_positive')),
        ({'sku': 'SKU-A', 'quantity': True, 'unit_price': 1},
            ('lines[1].quantity', 'invalid_type')),
        ({'sku': 'SKU-A', 'quantity': [1], 'unit_price': 1},
            ('lines[1].quantity', 'invalid_type')),
        ({'sku': 'SKU-A', 'quantity': 'two', 'unit_price': 1},
            ('lines[1].quantity', 'invalid_number')),
        ({'sku': 'SKU-A', 'quantity': '1_000', 'unit_price': 1},
            ('lines[1].quantity', 'invalid_number')),
        ({'sku': 'SKU-A', 'quantity': 'NaN', 'unit_price': 1},
            ('lines[1].quantity', 'not_finite')),
        ({'sku': 'SKU-A', 'quantity': math.inf, 'unit_price': 1},
            ('lines[1].quantity', 'not_finite')),
        ({'sku': 'SKU-A', 'quantity': 1, 'unit_price': math.nan},
            ('lines[1].unit_price', 'not_finite')),
        ({'sku': 'SKU-A', 'quantity': 100001, 'unit_price': 1},
            ('lines[1].quantity', 'out_of_range')),
        ({'sku': 'SKU-A', 'quantity': '1e9', 'unit_price': 1},
            ('lines[1].quantity', 'out_of_range')),
        ({'sku': 'SKU-A', 'quantity': 1, 'unit_price': '-0.01'},
            ('lines[1].unit_price', 'negative')),
        ({'sku': 'SKU-A', 'quantity': 1, 'unit_price': '1.00001'},
            ('lines[1].unit_price', 'too_many_decimals')),
        ({'sku': 'SKU-A', 'quantity': '99999.00000000000000000000000000001',
                'unit_price': 1},
            ('lines[1].quantity', 'too_many_decimals')),
        ({'sku': 'SKU-A', 'quantity': '0E-100', 'unit_price': 1},
            ('lines[1].quantity', 'not_positive')),
        ({'sku': 'SKU-A', 'quantity': 1, 'unit_price': 2, 'discount': 3},
            ('lines[1].discount', 'out_of_range')),
        ({'sku': 'SKU-A' * 20, 'quantity': 1, 'unit_price': 1},
            ('lines[1].sku', 'too_long')),
        ({'quantity': 1, 'unit_price': 1},
            ('lines[1].sku', 'required')),
        ({'sku': 'SKU-A', 'unit_price': 1},
            ('lines[1].quantity', 'required')),
        ('SKU-A', ('lines[1]', 'invalid_type')),
        ])
def test_line_errors(line, expected):
    payload = make_payload(lines=[
            {'sku': 'SKU-A', 'quantity': 1, 'unit_price': 1}, line],
        payment={'method': 'invoice'})
    order, errors = validate_order(payload, CATALOG)
    assert order is None
    assert codes(errors) == {expected}
    error, = errors
    assert error['message'].startswith(expected[0])
    assert len(error['value']) <= 100


def test_trailing_zero_decimals_accepted():
    payload = make_payload(lines=[
            {'sku': 'SKU-A', 'quantity': '2.000000', 'unit_price': '1.50000',
                'discount': 0}],
        payment={'method': 'card', 'paid_amount': '3'})
    order, errors = validate_order(payload, CATALOG)
    assert errors == []
    assert order.lines[0].quantity == 2
    assert order.lines[0].amount == Decimal('3.00')


def test_number_forms():
    payload = make_payload(lines=[
            {'sku': 'SKU-A', 'quantity': '1E+1', 'unit_price': '1.5E-3'},
            {'sku': 'SKU-B', 'quantity': D('2.50'), 'unit_price': '0E-1000'},
            {'sku': 'SKU-C', 'quantity': ' 3 ', 'unit_price': 0.1,
                'discount': '.05'}],
        payment={'method': 'invoice'})
    order, errors = validate_order(payload, CATALOG)
    assert errors == []
    assert [(str(line.quantity), str(line.unit_price), str(line.discount))
        for line in order.lines] == [
            ('10', '0.0015', '0'), ('2.5', '0', '0'), ('3', '0.1', '0.05')]
    # 10 x 0.0015 = 0.015 -> 0.02 ; 0 ; 3 x 0.1 - 0.05 = 0.25
    assert order.untaxed_amount == D('0.27')


def test_amount_rounding_half_up():
    # 3 x 0.0050 = 0.015 -> 0.02 ; 1 x 0.0049 = 0.0049 -> 0.00
    payload = make_payload(lines=[
            {'sku': 'SKU-A', 'quantity': 3, 'unit_price': '0.0050'},
            {'sku': 'SKU-B', 'quantity': 1, 'unit_price': '0.0049'}],
        payment={'method': 'invoice'})
    order, errors = validate_order(payload, CATALOG)
    assert errors == []
    assert [line.amount for line in order.lines] == [
        Decimal('0.02'), Decimal('0.00')]
    assert order.untaxed_amount == Decimal('0.02')


@pytest.mark.parametrize('overrides, expected', [
        ({'channel': 'SHOP'}, {('channel', 'unknown_channel')}),
        ({'channel': None}, {('channel', 'required')}),
        ({'external_id': '   '}, {('external_id', 'required')}),
        ({'external_id': 'A' * 65}, {('external_id', 'too_long')}),
        ({'external_id': 'A\x00B'}, {('external_id', 'control_characters')}),
        ({'external_id': True}, {('external_id', 'invalid_type')}),
        ({'external_id': 12.0}, {('external_id', 'invalid_type')}),
        ({'external_id': 'ab\u202ecod.exe'},
            {('external_id', 'control_characters')}),
        ({'currency': 'USD'}, {('currency', 'currency_mismatch')}),
        ({'currency': 'EURO'}, {('currency', 'invalid_choice')}),
        ({'service_level': 'overnight'},
            {('service_level', 'invalid_choice')}),
        ({'promised_date': '2025-02-30'},
            {('promised_date', 'invalid_date')}),
        ({'promised_date': '04/03/2025'},
            {('promised_date', 'invalid_date')}),
        ({'promised_date': '1999-12-31'},
            {('promised_date', 'out_of_range')}),
        ({'promised_date': '2101-01-01T00:00:00'},
            {('promised_date', 'out_of_range')}),
        ({'promised_date': 20250304}, {('promised_date', 'invalid_type')}),
        ({'declared_value': '-5'}, {('declared_value', 'negative')}),
        ({'notes': 'line1\nline2\x07'}, {('notes', 'control_characters')}),
        ({'notes': 'x' * 2001}, {('notes', 'too_long')}),
        ({'lines': []}, {('lines', 'required')}),
        ({'lines': {'sku': 'SKU-A'}}, {('lines', 'invalid_type')}),
        ({'customer': 'Ana'}, {('customer', 'invalid_type')}),
        ({'payment': {'method': 'cash'}}, {('payment.method',
                    'invalid_choice')}),
        ({'payment': None}, {('payment', 'required')}),
        ])
def test_order_errors(overrides, expected):
    order, errors = validate_order(make_payload(**overrides), CATALOG)
    assert order is None
    assert codes(errors) == expected


@pytest.mark.parametrize('email, valid', [
        ('a.b+tag@sub.example.org', True),
        ('ANA@EXAMPLE.COM', True),
        ('ana@example', False),
        ('ana.@example.com', False),
        ('ana..b@example.com', False),
        ('ana@-example.com', False),
        ('ana example@example.com', False),
        ('@example.com', False),
        ('ana@exa_mple.com', False),
        ('añа@example.com', False),
        ])
def test_email(email, valid):
    payload = make_payload(customer={'name': 'Ana', 'email': email})
    order, errors = validate_order(payload, CATALOG)
    if valid:
        assert errors == []
        assert order.customer.phone is None
    else:
        assert codes(errors) == {('customer.email', 'invalid_email')}


@pytest.mark.parametrize('address, expected', [
        ({'country': 'XX'}, {('shipping_address.country',
                    'unknown_country')}),
        ({'country': 34}, {('shipping_address.country', 'invalid_type')}),
        ({'country': None}, {('shipping_address.country', 'required')}),
        ({'subdivision': 'ES-ZZ'}, {('shipping_address.subdivision',
                    'unknown_subdivision')}),
        ({'subdivision': 'US-CA'}, {('shipping_address.subdivision',
                    'unknown_subdivision')}),
        ({'latitude': 90.0001}, {('shipping_address.latitude',
                    'out_of_range')}),
        ({'longitude': '-180.5'}, {('shipping_address.longitude',
                    'out_of_range')}),
        ({'latitude': None}, {('shipping_address.latitude', 'required')}),
        ({'longitude': False}, {('shipping_address.longitude',
                    'invalid_type')}),
        ({'street': ''}, {('shipping_address.street', 'required')}),
        ({'city': 'Ma\tdrid'}, {('shipping_address.city',
                    'control_characters')}),
        ])
def test_address_errors(address, expected):
    payload = make_payload()
    payload['shipping_address'].update(address)
    order, errors = validate_order(payload, CATALOG)
    assert order is None
    assert codes(errors) == expected


def test_address_missing_flags():
    payload = make_payload()
    payload['shipping_address'] = {'street': 'Main St 1', 'city': 'LA',
        'country': 'US'}
    order, errors = validate_order(payload, CATALOG)
    assert errors == []
    assert order.address_missing == (
        'postal_code', 'subdivision', 'coordinates')
    payload['shipping_address'] = {'street': '1 rue X', 'city': 'Paris',
        'postal_code': '75001', 'country': 'FR'}
    order, errors = validate_order(payload, CATALOG)
    assert errors == []
    # France has no subdivisions in the catalog: not missing
    assert order.address_missing == ('coordinates',)


def test_datetime_converted_to_naive_utc():
    payload = make_payload(promised_date='2025-03-04T23:30:00-02:00')
    order, errors = validate_order(payload, CATALOG)
    assert errors == []
    assert order.promised_date == dt.datetime(2025, 3, 5, 1, 30)
    payload = make_payload(promised_date='2025-03-04T10:00:00Z')
    order, _ = validate_order(payload, CATALOG)
    assert order.promised_date == dt.datetime(2025, 3, 4, 10, 0)


def test_too_many_lines_channel_limit():
    lines = [{'sku': 'SKU-A', 'quantity': 1, 'unit_price': 1}] * 6
    order, errors = validate_order(
        make_payload(lines=lines, payment={'method': 'invoice'}), CATALOG)
    assert order is None
    assert codes(errors) == {('lines', 'too_many_lines')}


def test_too_many_lines_absolute_limit_skips_line_checks():
    lines = [{'sku': 'NOPE', 'quantity': 1, 'unit_price': 1}] * 11
    payload = make_payload(channel='B2B', currency='USD', lines=lines,
        payment={'method': 'invoice'})
    order, errors = validate_order(payload, CATALOG, Limits(max_lines=10))
    assert codes(errors) == {('lines', 'too_many_lines')}


def test_payload_too_large():
    payload = make_payload(notes='x' * 2000)
    order, errors = validate_order(payload, CATALOG,
        Limits(max_payload_chars=1500))
    assert order is None
    assert codes(errors) == {('payload', 'payload_too_large')}


def test_duplicate_lines():
    lines = [
        {'id': 'L1', 'sku': 'SKU-A', 'quantity': 1, 'unit_price': 1},
        {'id': 'L1', 'sku': 'SKU-B', 'quantity': 1, 'unit_price': 1},
        {'id': 'L3', 'sku': 'SKU-A', 'quantity': 1, 'unit_price': 1},
        ]
    payload = make_payload(lines=lines, payment={'method': 'invoice'})
    order, errors = validate_order(payload, CATALOG)
    assert codes(errors) == {('lines[1].id', 'duplicate_line')}
    payload['lines'][1]['id'] = 'L2'
    assert validate_order(payload, CATALOG)[1] == []
    order, errors = validate_order(payload, CATALOG,
        Limits(allow_duplicate_skus=False))
    assert codes(errors) == {('lines[2].sku', 'duplicate_line')}


def test_errors_accumulate():
    payload = make_payload(channel='WEB', currency='USD',
        service_level='x', promised_date='never')
    payload['lines'][0]['sku'] = 'NOPE'
    order, errors = validate_order(payload, CATALOG)
    assert codes(errors) == {
        ('currency', 'currency_mismatch'),
        ('service_level', 'invalid_choice'),
        ('promised_date', 'invalid_date'),
        ('lines[0].sku', 'unknown_sku'),
        }


def test_non_dict_payload():
    for payload in (None, [], 'order', 3, [make_payload()]):
        order, errors = validate_order(payload, CATALOG)
        assert order is None
        assert codes(errors) == {('payload', 'invalid_type')}


def test_catalog_from_dict():
    catalog = {
        'channels': {'WEB': {'currency': 'EUR', 'payment_methods': ['card'],
                'prepaid_methods': ['card']}},
        'products': {'SKU-A': {'id': 1, 'weight': 0.5},
            'SKU-B': {'id': 2, 'weight': '2'}},
        'countries': {'es': ['es-m']},
        }
    order, errors = validate_order(make_payload(), catalog)
    assert errors == []
    assert order.weight == Decimal('5.5')


def test_payload_hash():
    a = make_payload()
    b = dict(reversed(list(copy.deepcopy(a).items())))
    assert payload_hash(a) == payload_hash(b)
    c = copy.deepcopy(a)
    c['lines'][0]['quantity'] = 4
    assert payload_hash(a) != payload_hash(c)
    assert len(payload_hash(a)) == 64
    assert payload_hash({'x': Decimal('1.50')}) == payload_hash(
        {'x': '1.50'})
    deep = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError):
        payload_hash({'x': deep})
    loop = {}
    loop['self'] = loop
    with pytest.raises(ValueError):
        payload_hash(loop)
    with pytest.raises(TypeError):
        payload_hash({'x': object()})


def test_address_key():
    assert address_key('Rue de la Paix 1', 'PARIS', '75002', 'FR') == \
        address_key(' rue de la paix, 1 ', 'Paris', '75002', 'fr')
    assert address_key('Rue de la Paix 1', 'Paris', '75002', 'FR') != \
        address_key('Rue de la Paix 2', 'Paris', '75002', 'FR')


CSV_TEXT = (
    '\ufeffchannel,external_id,customer_name,customer_email,ship_street,'
    'ship_city,ship_postal_code,ship_country,currency,payment_method,'
    'paid_amount,promised_date,sku,quantity,unit_price,discount\n'
    'WEB,W1,Ana,ana@example.com,Calle Mayor 1,Madrid,28013,ES,EUR,card,'
    '22.50,2025-03-04,SKU-A,2,10.25,\n'
    'WEB,W2,Bob,bob@example.com,"Gran Via 2, 3º",Madrid,28014,ES,EUR,'
    'invoice,,2025-03-05,SKU-C,1,9.99,\n'
    'WEB,W1,,,,,,,,,,,SKU-B,1,2.00,\n'
    ',W3,,,,,,,,,,,SKU-B,1,2.00,\n'
    '\n'
    'WEB,W2,Bob,other@example.com,,,,,,,,,SKU-A,1,1,0.5\n'
    )


def test_parse_csv():
    orders, errors = parse_csv(CSV_TEXT)
    assert [o.payload['external_id'] for o in orders] == ['W1', 'W2']
    assert [o.line_numbers for o in orders] == [(2, 4), (3, 7)]
    w1 = orders[0].payload
    assert w1['customer'] == {'name': 'Ana', 'email': 'ana@example.com'}
    assert w1['lines'] == [
        {'sku': 'SKU-A', 'quantity': '2', 'unit_price': '10.25'},
        {'sku': 'SKU-B', 'quantity': '1', 'unit_price': '2.00'}]
    assert orders[1].payload['shipping_address']['street'] == \
        'Gran Via 2, 3º'
    assert [(e['line'], e['field'], e['code']) for e in errors] == [
        (5, 'channel', 'required'),
        (7, 'customer_email', 'inconsistent_value')]
    order, verrors = validate_order(w1, CATALOG)
    assert verrors == []
    # 2 x 10.25 + 1 x 2.00
    assert order.untaxed_amount == Decimal('22.50')
    order, verrors = validate_order(orders[1].payload, CATALOG)
    assert verrors == []
    assert order.untaxed_amount == Decimal('10.49')


def test_parse_csv_missing_columns_and_bad_quotes():
    orders, errors = parse_csv('channel,sku,quantity\nWEB,A,1\n')
    assert orders == []
    assert {(e['field'], e['code']) for e in errors} == {
        ('external_id', 'missing_column'), ('unit_price', 'missing_column')}
    text = ('channel,external_id,sku,quantity,unit_price\n'
        'WEB,W1,A,1,1\n'
        'WEB,W1,"A"x,1,1\n')
    orders, errors = parse_csv(text)
    assert [e['code'] for e in errors] == ['csv_error']
    assert errors[0]['line'] == 3
    assert orders[0].line_numbers == (2,)
    orders, errors = parse_csv('')
    assert orders == [] and errors[0]['code'] == 'missing_column'


def test_parse_csv_max_rows():
    text = 'channel,external_id,sku,quantity,unit_price\n' + (
        'WEB,W1,A,1,1\n' * 5)
    orders, errors = parse_csv(text, max_rows=3)
    assert len(orders[0].payload['lines']) == 3
    assert [(e['line'], e['code']) for e in errors] == [
        (5, 'too_many_rows')]


def test_csv_columns_documented():
    assert 'sku' in CSV_COLUMNS and 'ship_country' in CSV_COLUMNS


# -- property tests --------------------------------------------------------

json_scalars = (st.none() | st.booleans() | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30) | st.decimals(allow_nan=True))
json_like = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)
KEYS = ['channel', 'external_id', 'customer', 'shipping_address', 'lines',
    'currency', 'payment', 'service_level', 'promised_date',
    'declared_value', 'notes', 'name', 'email', 'phone', 'street', 'city',
    'postal_code', 'country', 'subdivision', 'latitude', 'longitude', 'sku',
    'quantity', 'unit_price', 'discount', 'method', 'paid_amount', 'id']
smart_like = st.recursive(
    json_scalars | st.sampled_from(['WEB', 'EUR', 'ES', 'SKU-A', 'card',
            'ana@example.com', '2025-01-01', 'x' * 5000, '\x00', '12.5',
            'express']),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS), children, max_size=8),
    max_leaves=40)


def _paths(value, prefix=()):
    """Every (path) to a value inside ``value``: dict keys / list indexes."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    result = []
    for key, child in items:
        result.append(prefix + (key,))
        result.extend(_paths(child, prefix + (key,)))
    return result


PATHS = _paths(make_payload())
DELETE = object()


def mutate(payload, changes):
    payload = copy.deepcopy(payload)
    for path, value in changes:
        target = payload
        try:
            for key in path[:-1]:
                target = target[key]
            if value is DELETE:
                del target[path[-1]]
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed or replaced the container
    return payload


def mutated_payloads():
    """A valid payload with one to three values replaced or deleted."""
    change = st.tuples(st.sampled_from(PATHS),
        st.just(DELETE) | smart_like)
    return st.lists(change, min_size=1, max_size=3).map(
        lambda changes: mutate(make_payload(), changes))


def check_result(result):
    order, errors = result
    assert isinstance(errors, list)
    if order is None:
        assert errors
        for error in errors:
            assert set(error) == {'field', 'code', 'message', 'value'}
            assert isinstance(error['field'], str) and error['field']
            assert isinstance(error['code'], str) and error['code']
            assert error['field'] in error['message']
            assert len(error['value']) <= 100
    else:
        assert errors == []
        assert order.untaxed_amount == sum(
            line.amount for line in order.lines)


@settings(max_examples=300, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
@given(json_like)
def test_never_raises_on_json_like(payload):
    check_result(validate_order(payload, CATALOG))


@settings(max_examples=300, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
@given(smart_like)
def test_never_raises_on_keyed_input(payload):
    check_result(validate_order(payload, CATALOG))


@settings(max_examples=400, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
@given(mutated_payloads())
def test_never_raises_on_mutated_valid_payload(payload):
    check_result(validate_order(payload, CATALOG))


def test_huge_and_deep_inputs():
    huge = make_payload(external_id='é' * 2_000_000)
    order, errors = validate_order(huge, CATALOG)
    assert codes(errors) == {('payload', 'payload_too_large')}
    deep = []
    for _ in range(100_000):
        deep = [deep]
    payload = make_payload(notes=deep)
    order, errors = validate_order(payload, CATALOG)
    assert order is None and errors
    loop = make_payload()
    loop['customer']['self'] = loop
    order, errors = validate_order(loop, CATALOG)
    assert codes(errors) == {('payload', 'invalid_type')}
    surrogate = make_payload(external_id='\ud800abc')
    order, errors = validate_order(surrogate, CATALOG)
    assert codes(errors) == {('external_id', 'control_characters')}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(
            st.integers(min_value=1, max_value=1000),
            st.decimals(min_value=0, max_value=1000, places=2,
                allow_nan=False, allow_infinity=False)),
        min_size=1, max_size=5))
def test_total_property(lines):
    payload = make_payload(
        lines=[{'sku': 'SKU-C', 'quantity': q, 'unit_price': str(p)}
            for q, p in lines],
        payment={'method': 'invoice'})
    order, errors = validate_order(payload, CATALOG)
    assert errors == []
    assert order.untaxed_amount == sum(q * p for q, p in lines)
