# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The end-to-end O→W→T→B flow of the demo and the walking-skeleton test.

A channel order is taken in over the intake API, allocated to a warehouse,
picked by a device through the task queue, packed, planned onto a trip,
delivered, rated and invoiced with posted journal entries.  Runs inside an
open Tryton transaction with a company in the context.
"""
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction


@dataclass
class FlowResult:
    intake_results: list = field(default_factory=list)
    sales: list = field(default_factory=list)
    shipments: list = field(default_factory=list)
    tasks_done: int = 0
    trips: list = field(default_factory=list)
    unassigned: list = field(default_factory=list)
    charges: list = field(default_factory=list)
    invoices: list = field(default_factory=list)
    moves: list = field(default_factory=list)


def demo_payload(external_id='TB-10001', channel='TAOBAO'):
    "A Taobao order of two SKUs to Hangzhou, paid with Alipay"
    return {
        'channel': channel,
        'external_id': external_id,
        'customer': {'name': "Chen Jing", 'email': 'chen.jing@example.cn',
            'phone': '+86 138 0000 0001'},
        'shipping_address': {'name': "Chen Jing",
            'street': "18 Wensan Road", 'city': "Hangzhou",
            'postal_code': '310012', 'country': 'CN',
            'subdivision': 'CN-ZJ',
            'latitude': 30.2767, 'longitude': 120.1267},
        'lines': [
            {'sku': 'SKU-0001', 'quantity': 2, 'unit_price': '99.00'},
            {'sku': 'SKU-0002', 'quantity': 1, 'unit_price': '149.00'},
            ],
        'currency': 'CNY',
        'payment': {'method': 'alipay', 'paid_amount': '347.00'},
        'service_level': 'standard',
        'promised_date': dt.date.today().isoformat(),
        }


def run_queue():
    "Run the tasks queued in this transaction (what a worker would do)"
    pool = Pool()
    Queue = pool.get('ir.queue')
    transaction = Transaction()
    done = 0
    while True:
        tasks = Queue.search([('dequeued_at', '=', None)],
            order=[('id', 'ASC')])
        if not tasks:
            break
        for task in tasks:
            Queue.write([task], {'dequeued_at': dt.datetime.now()})
            task.run()
            Queue.write([task], {'finished_at': dt.datetime.now()})
            done += 1
    transaction.tasks.clear()
    return done


def run(payloads=None, device='AGV-01', planning_seconds=2.0):
    pool = Pool()
    Intake = pool.get('otwb.oms.intake')
    Task = pool.get('otwb.wms.task')
    Shipment = pool.get('stock.shipment.out')
    Trip = pool.get('otwb.tms.trip')
    Stop = pool.get('otwb.tms.trip.stop')
    Charge = pool.get('otwb.bms.charge')
    Date = pool.get('ir.date')
    result = FlowResult()

    # O: intake (validated and stored) then processing in the queue
    result.intake_results = Intake.submit(payloads or [demo_payload()])
    run_queue()
    intake_ids = [r['intake'] for r in result.intake_results
        if r['status'] == 'accepted']
    intakes = Intake.browse(intake_ids)
    result.sales = [s for i in intakes for s in i.sales]
    result.shipments = [sh for s in result.sales for sh in s.shipments]

    # W: a device claims and completes the pick tasks, then packing
    while True:
        task = Task.claim_next(device, ['pick'])
        if not task:
            break
        Task.complete(device, task['id'])
        result.tasks_done += 1
    shipments = Shipment.browse([s.id for s in result.shipments])
    Shipment.otwb_pack([s for s in shipments if s.state == 'picked'])
    run_queue()

    # T: plan, dispatch, deliver, complete
    today = Date.today()
    for warehouse in {s.warehouse for s in shipments}:
        trips, unassigned = Trip.plan(
            warehouse, today, time_limit=planning_seconds)
        result.trips.extend(trips)
        result.unassigned.extend(unassigned)
    Trip.confirm(result.trips)
    Trip.dispatch(result.trips)
    Trip.start(result.trips)
    for trip in result.trips:
        Stop.deliver(list(trip.stops), receiver="Front desk")
    Trip.complete(result.trips)
    run_queue()

    # B: invoice every open charge; posting writes the journal entries
    charges = Charge.search([('invoice_line', '=', None)])
    result.charges = charges
    result.invoices = Charge.invoice(charges)
    result.moves = [i.move for i in result.invoices if i.move]
    return result


def summary(result):
    "Plain figures of a flow run"
    lines = []
    total = {'receivable': Decimal(0), 'payable': Decimal(0)}
    for charge in result.charges:
        total[charge.kind] += charge.amount
    lines.append("orders accepted: %d, sales: %d, shipments: %d" % (
            sum(1 for r in result.intake_results
                if r['status'] == 'accepted'),
            len(result.sales), len(result.shipments)))
    lines.append("pick tasks done: %d, trips: %d (%.1f km), unassigned: %d"
        % (result.tasks_done, len(result.trips),
            sum(t.distance or 0 for t in result.trips),
            len(result.unassigned)))
    lines.append("charges: %d, receivable %s CNY, payable %s CNY" % (
            len(result.charges), total['receivable'], total['payable']))
    for invoice in result.invoices:
        lines.append("invoice %s %s %s: untaxed %s, tax %s, total %s %s, "
            "move %s" % (
                invoice.type, invoice.number, invoice.party.rec_name,
                invoice.untaxed_amount, invoice.tax_amount,
                invoice.total_amount, invoice.currency.code,
                invoice.move.number if invoice.move else '-'))
    return '\n'.join(lines)
