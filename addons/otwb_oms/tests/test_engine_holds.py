# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_oms.engine.holds import (
    FRAUD_SIGNALS,
    HOLD_CODES,
    HoldThresholds,
    OrderSummary,
    evaluate_holds,
    fraud_signals,
    velocity_counts,
)

D = Decimal


def clean(**overrides):
    values = dict(total=D('100.00'), currency='EUR', prepaid=True,
        paid_amount=D('100.00'), ordered_quantity=D(3),
        billing_country='ES', shipping_country='ES',
        shipping_postal_code='28013')
    values.update(overrides)
    return OrderSummary(**values)


def codes(holds):
    return [h.code for h in holds]


def test_clean_order_has_no_hold():
    assert evaluate_holds(clean()) == []


def test_payment_missing():
    holds = evaluate_holds(clean(paid_amount=D('99.98')))
    assert codes(holds) == ['payment_missing']
    assert holds[0].data['missing'] == D('0.02')
    assert '99.98' in holds[0].message and '100.00' in holds[0].message
    # within the 0.01 tolerance
    assert evaluate_holds(clean(paid_amount=D('99.99'))) == []


@pytest.mark.parametrize('limit, balance, total_company, expected', [
        (D(1000), D(900), None, []),            # 900 + 100 = 1000: ok
        (D(1000), D('900.01'), None, ['credit_limit']),
        (D(0), D(0), None, ['credit_limit']),
        (None, D(10 ** 9), None, []),           # no limit: no check
        (D(1000), D(900), D('100.01'), ['credit_limit']),
        ])
def test_credit_limit(limit, balance, total_company, expected):
    summary = clean(prepaid=False, paid_amount=D(0), credit_limit=limit,
        open_balance=balance, total_company=total_company)
    holds = evaluate_holds(summary)
    assert codes(holds) == expected


def test_credit_limit_message_and_data():
    holds = evaluate_holds(clean(prepaid=False, credit_limit=D(500),
            open_balance=D('450.50')))
    hold, = holds
    assert hold.data['exposure'] == D('550.50')
    assert hold.data['excess'] == D('50.50')
    assert '500' in hold.message and '50.50' in hold.message
    # prepaid orders are not checked against credit
    assert evaluate_holds(clean(credit_limit=D(0))) == []
    # check disabled
    assert evaluate_holds(clean(prepaid=False, credit_limit=D(0)),
        HoldThresholds(credit_check=False)) == []


def test_address_incomplete():
    holds = evaluate_holds(clean(address_missing=(
                'postal_code', 'coordinates')))
    assert codes(holds) == ['address_incomplete']
    assert holds[0].data['missing'] == ('postal_code',)
    assert 'postal_code' in holds[0].message
    # coordinates are not required by default, but can be
    assert evaluate_holds(clean(address_missing=('coordinates',))) == []
    thresholds = HoldThresholds(address_required=('coordinates',))
    assert codes(evaluate_holds(clean(address_missing=('coordinates',)),
            thresholds)) == ['address_incomplete']


def test_out_of_stock():
    holds = evaluate_holds(clean(unallocated_quantity=D(1)))
    assert codes(holds) == ['out_of_stock']
    assert '1 of 3 units' in holds[0].message
    partial_ok = HoldThresholds(hold_on_partial_stock=False)
    assert evaluate_holds(clean(unallocated_quantity=D(1)),
        partial_ok) == []
    assert codes(evaluate_holds(clean(unallocated_quantity=D(3)),
            partial_ok)) == ['out_of_stock']


def test_fraud_single_signal_is_not_enough():
    # high value alone: score 1 < 2
    summary = clean(total=D(2000), paid_amount=D(2000))
    assert [s for s, _, _ in fraud_signals(summary)] == ['high_value']
    assert evaluate_holds(summary) == []
    assert [s for s, _, _ in fraud_signals(clean(total=D('1999.99'),
                paid_amount=D('1999.99')))] == []


def test_fraud_suspected():
    summary = clean(total=D(2500), paid_amount=D(2500),
        billing_country='fr', orders_same_email=2)
    # 2 others + this one = 3: not above the maximum of 3
    assert [s for s, _, _ in fraud_signals(summary)] == [
        'high_value', 'country_mismatch']
    holds = evaluate_holds(summary)
    assert codes(holds) == ['fraud_suspected']
    assert holds[0].data == {'score': 2,
        'signals': ('high_value', 'country_mismatch')}
    assert 'FR' in holds[0].message


def test_velocity_and_postal_signals():
    thresholds = HoldThresholds(
        high_risk_postal_prefixes={'GB': ('BT', 'IM 1')},
        signal_weights={'high_risk_postal': 2})
    summary = clean(billing_country='GB', shipping_country='gb',
        shipping_postal_code='bt1 1aa', orders_same_email=3,
        orders_same_phone=2, orders_same_address=5)
    assert [s for s, _, _ in fraud_signals(summary, thresholds)] == [
        'velocity_email', 'velocity_address', 'high_risk_postal']
    hold, = evaluate_holds(summary, thresholds)
    assert hold.code == 'fraud_suspected'
    assert hold.data['score'] == 4
    # prefix matching ignores blanks: 'IM1 2AB' starts with 'IM 1'
    summary = clean(shipping_country='GB', billing_country='GB',
        shipping_postal_code='IM1 2AB')
    assert [s for s, _, _ in fraud_signals(summary, thresholds)] == [
        'high_risk_postal']
    assert codes(evaluate_holds(summary, thresholds)) == ['fraud_suspected']
    # no prefix for the country
    summary = clean(shipping_postal_code='BT1')
    assert fraud_signals(summary, thresholds) == []


def test_high_value_per_currency_and_disabled_signal():
    thresholds = HoldThresholds(high_value={'JPY': D(300000)},
        signal_weights={'country_mismatch': 0}, fraud_score=1)
    jpy = clean(total=D(299999), paid_amount=D(299999), currency='JPY',
        billing_country='US')
    assert evaluate_holds(jpy, thresholds) == []
    jpy = clean(total=D(300000), paid_amount=D(300000), currency='JPY')
    assert codes(evaluate_holds(jpy, thresholds)) == ['fraud_suspected']


def test_all_holds_in_fixed_order():
    summary = OrderSummary(total=D(5000), currency='EUR', prepaid=True,
        paid_amount=D(0), address_missing=('street',),
        ordered_quantity=D(2), unallocated_quantity=D(2),
        orders_same_phone=10, billing_country='ES',
        shipping_country='PT')
    assert codes(evaluate_holds(summary)) == [
        'payment_missing', 'address_incomplete', 'out_of_stock',
        'fraud_suspected']
    summary = OrderSummary(total=D(5000), currency='EUR',
        credit_limit=D(10), address_missing=('city',),
        ordered_quantity=D(2), unallocated_quantity=D(1),
        orders_same_phone=10, billing_country='ES',
        shipping_country='PT')
    assert codes(evaluate_holds(summary)) == [
        'credit_limit', 'address_incomplete', 'out_of_stock',
        'fraud_suspected']


@settings(max_examples=200, deadline=None)
@given(st.builds(OrderSummary,
        total=st.decimals(min_value=0, max_value=10000, places=2),
        currency=st.sampled_from(['EUR', 'USD']),
        prepaid=st.booleans(),
        paid_amount=st.decimals(min_value=0, max_value=10000, places=2),
        credit_limit=st.none() | st.decimals(min_value=0, max_value=5000,
            places=2),
        open_balance=st.decimals(min_value=0, max_value=5000, places=2),
        address_missing=st.lists(st.sampled_from(['street', 'postal_code',
                    'coordinates'])).map(tuple),
        ordered_quantity=st.integers(1, 10).map(D),
        unallocated_quantity=st.integers(0, 10).map(D),
        orders_same_email=st.integers(0, 6),
        orders_same_phone=st.integers(0, 6),
        orders_same_address=st.integers(0, 6),
        billing_country=st.sampled_from([None, 'ES', 'FR']),
        shipping_country=st.sampled_from([None, 'ES', 'FR']),
        shipping_postal_code=st.sampled_from([None, '28013', '75001'])))
def test_holds_properties(summary):
    holds = evaluate_holds(summary)
    found = codes(holds)
    assert found == [c for c in HOLD_CODES if c in found]
    assert not ('payment_missing' in found and 'credit_limit' in found)
    assert ('payment_missing' in found) == (summary.prepaid and
        summary.paid_amount < summary.total - D('0.01'))
    assert ('out_of_stock' in found) == (summary.unallocated_quantity > 0)
    signals = fraud_signals(summary)
    assert all(s in FRAUD_SIGNALS for s, _, _ in signals)
    assert ('fraud_suspected' in found) == (len(signals) >= 2)
    for hold in holds:
        assert hold.message


def test_velocity_counts():
    now = dt.datetime(2025, 3, 4, 12, 0)
    recent = [
        (now - dt.timedelta(hours=1), 'Ana@Example.com', '+341', 'k1'),
        (now - dt.timedelta(hours=24), 'ana@example.com', '+342', 'k1'),
        (now - dt.timedelta(hours=24, seconds=1), 'ana@example.com',
            '+341', 'k1'),
        (now - dt.timedelta(hours=2), 'bob@example.com', '+341', None),
        (now + dt.timedelta(hours=1), 'ana@example.com', '+341', 'k1'),
        (now - dt.timedelta(hours=3), None, None, None),
        ]
    assert velocity_counts(recent, now, 24, 'ana@example.com', '+341',
        'k1') == (2, 2, 2)
    assert velocity_counts(recent, now, 1, 'ana@example.com', '+341',
        'k1') == (1, 1, 1)
    assert velocity_counts(recent, now, 24) == (0, 0, 0)
