# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The OMS engines chained as the ERP does, and their portability."""
import pathlib
import subprocess
import sys
from decimal import Decimal

import pytest
from trytond.modules.otwb_oms.engine import allocation, holds, intake, split

ENGINE_DIR = pathlib.Path(intake.__file__).parent
D = Decimal


@pytest.mark.parametrize('name', ['intake', 'allocation', 'split', 'holds'])
def test_engine_imports_no_trytond(name):
    # load the file on its own, outside the trytond package
    code = (
        'import importlib.util, sys\n'
        'spec = importlib.util.spec_from_file_location("m", %r)\n'
        'module = importlib.util.module_from_spec(spec)\n'
        'spec.loader.exec_module(module)\n'
        'bad = [m for m in sys.modules if m.split(".")[0] == "trytond"]\n'
        'assert not bad, bad\n'
        'print("ok")\n') % str(ENGINE_DIR / ('%s.py' % name))
    result = subprocess.run([sys.executable, '-c', code],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'


CATALOG = intake.Catalog(
    channels={'WEB': intake.Channel('WEB', 'EUR', frozenset({'card'}),
            frozenset({'card'}))},
    products={
        'TEA': intake.Product(1, weight=D('0.25')),
        'ACID': intake.Product(2, weight=D('1.2')),
        'ICE': intake.Product(3, weight=D(3)),
        },
    countries={'ES': frozenset({'ES-M'})})
FLAGS = {1: {}, 2: {'dangerous': True}, 3: {'cold': True}}


def test_pipeline():
    payload = {
        'channel': 'WEB', 'external_id': 'W-77',
        'customer': {'name': 'Eva', 'email': 'eva@example.es'},
        'shipping_address': {'street': 'Gran Via 1', 'city': 'Madrid',
            'postal_code': '28013', 'country': 'ES', 'subdivision': 'ES-M',
            'latitude': 40.42, 'longitude': -3.70},
        'lines': [
            {'id': 'a', 'sku': 'TEA', 'quantity': 40, 'unit_price': '2.49'},
            {'id': 'b', 'sku': 'ACID', 'quantity': 2, 'unit_price': '7.10'},
            {'id': 'c', 'sku': 'ICE', 'quantity': 5, 'unit_price': '3.33',
                'discount': '0.65'},
            ],
        'currency': 'EUR',
        'payment': {'method': 'card', 'paid_amount': '129.80'},
        'promised_date': '2025-06-01',
        }
    order, errors = intake.validate_order(payload, CATALOG)
    # 40 x 2.49 = 99.60 ; 2 x 7.10 = 14.20 ; 5 x 3.33 - 0.65 = 16.00
    assert errors == []
    assert order.untaxed_amount == D('129.80')
    assert order.weight == D('27.4')  # 10 + 2.4 + 15

    mad = allocation.Warehouse('MAD', 40.45, -3.60)
    bcn = allocation.Warehouse('BCN', 41.39, 2.17)
    lines = [allocation.OrderLine(line.id, line.product_id, line.quantity,
            weight=CATALOG.products[line.sku].weight,
            **FLAGS[line.product_id]) for line in order.lines]
    stock = {('MAD', 1): 30, ('MAD', 2): 5, ('MAD', 3): 5, ('BCN', 1): 50}
    plan = allocation.plan_fulfilment(lines, [bcn, mad], stock, 'nearest',
        allocation.Destination(order.shipping_address.latitude,
            order.shipping_address.longitude))
    assert plan.complete
    assert [(g.warehouse, [(a.line_id, a.quantity) for a in g.lines])
        for g in plan.groups] == [
            ('MAD', [('a', 30), ('b', 2), ('c', 5)]),
            ('BCN', [('a', 10)])]

    # tea line is split across two warehouses: apportion its amount
    by_id = {line.id: line for line in order.lines}
    tea_amounts = split.split_amount(by_id['a'].amount, [30, 10])
    assert tea_amounts == [D('74.70'), D('24.90')]
    group_amounts = {('MAD', 'a'): tea_amounts[0],
        ('BCN', 'a'): tea_amounts[1]}

    shipments = []
    for group in plan.groups:
        shipment_lines = []
        for alloc in group.lines:
            line = by_id[alloc.line_id]
            amount = group_amounts.get((group.warehouse, line.id),
                line.amount)
            shipment_lines.append(split.ShipmentLine(line.id,
                    line.product_id, alloc.quantity, amount,
                    CATALOG.products[line.sku].weight,
                    **FLAGS[line.product_id]))
        shipments.extend((group.warehouse, part) for part in
            split.split_group(shipment_lines, max_weight=D(8)))
    # MAD: tea 30 x 0.25 = 7.5 kg ; acid apart ; ice 5 x 3 kg -> 2 + 2 + 1
    assert [(w, p.category, [(pl.line_id, pl.quantity)
                for pl in p.lines], p.weight, p.amount)
        for w, p in shipments] == [
            ('MAD', 'standard', [('a', 30)], D('7.5'), D('74.70')),
            ('MAD', 'dangerous', [('b', 2)], D('2.4'), D('14.20')),
            ('MAD', 'cold', [('c', 2)], 6, D('6.40')),
            ('MAD', 'cold', [('c', 2)], 6, D('6.40')),
            ('MAD', 'cold', [('c', 1)], 3, D('3.20')),
            ('BCN', 'standard', [('a', 10)], D('2.5'), D('24.90')),
            ]
    assert sum(p.amount for _, p in shipments) == order.untaxed_amount

    summary = holds.OrderSummary(
        total=order.untaxed_amount, currency=order.currency,
        prepaid=order.payment.prepaid,
        paid_amount=order.payment.paid_amount,
        address_missing=order.address_missing,
        ordered_quantity=order.total_quantity,
        unallocated_quantity=plan.unallocated_quantity,
        shipping_country=order.shipping_address.country,
        shipping_postal_code=order.shipping_address.postal_code)
    assert holds.evaluate_holds(summary) == []
