# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Work left open in the demo for the web client journeys.

After the O→W→T→B flow of :mod:`otwb_tools.flow` the demo database holds
one finished order.  This adds what a user (and the browser tests) needs
to try each journey by hand:

- delivered orders from several channels whose charges are not invoiced
  yet (for a billing run), spread over the last days (for the dashboard);
- packed shipments of the Shanghai DC waiting for trip planning;
- one Taobao order held because its address has no postal code (to
  release).

Runs inside an open Tryton transaction with a company in the context.
"""
import datetime as dt
from dataclasses import dataclass, field

from trytond.pool import Pool

from otwb_tools.flow import run_queue

# city, province, postal code, latitude, longitude: served by Shanghai DC
# within a day's round trip of its own trucks (Nanjing, 706 min there and
# back, is beyond the 600 min duty and would stay unplanned)
CITIES = [
    ("Shanghai", 'CN-SH', '200030', 31.20, 121.44),
    ("Hangzhou", 'CN-ZJ', '310000', 30.27, 120.15),
    ("Suzhou", 'CN-JS', '215000', 31.30, 120.58),
    ("Jiaxing", 'CN-ZJ', '314000', 30.75, 120.76),
    ]
# JD allocates from Guangzhou DC first: its customers are near Guangzhou
SOUTH = [
    ("Guangzhou", 'CN-GD', '510100', 23.13, 113.26),
    ("Shenzhen", 'CN-GD', '518000', 22.54, 114.06),
    ]
NAMES = ["Wu Hao", "Sun Li", "Ma Jun", "Zhu Yan", "Hu Bin", "Guo Mei",
    "He Qiang", "Lin Xue", "Luo Gang", "Gao Jing", "Xu Ming", "Song Lan"]
# channel, payment method, prepaid
CHANNELS = [('TAOBAO', 'alipay', True), ('JD', 'wechat', True),
    ('API', 'invoice', False)]
PRICES = {'SKU-0001': '99.00', 'SKU-0002': '149.00', 'SKU-0003': '79.00',
    'SKU-0004': '59.00'}
HELD_ID = 'TB-HOLD-1'


@dataclass
class Journeys:
    billed_later: list = field(default_factory=list)
    to_plan: list = field(default_factory=list)
    held: list = field(default_factory=list)


def payload(n, channel='TAOBAO', method='alipay', prepaid=True, paid=True,
        promised=None):
    "A small order near its channel's first warehouse; unique customer"
    cities = SOUTH if channel == 'JD' else CITIES
    city, subdivision, postal, lat, lon = cities[n % len(cities)]
    name = NAMES[n % len(NAMES)] + ('' if n < len(NAMES) else ' %d' % n)
    skus = sorted(PRICES)
    lines = [{'sku': skus[n % 4], 'quantity': 1 + n % 3,
            'unit_price': PRICES[skus[n % 4]]}]
    if n % 2:
        lines.append({'sku': skus[(n + 1) % 4], 'quantity': 1,
                'unit_price': PRICES[skus[(n + 1) % 4]]})
    total = sum(int(line['quantity']) * float(line['unit_price'])
        for line in lines)
    return {
        'channel': channel,
        'external_id': '%s-%05d' % (channel[:2], 20000 + n),
        'customer': {'name': name,
            'email': 'customer%03d@example.cn' % n,
            'phone': '+86 139 0000 %04d' % n},
        'shipping_address': {'name': name,
            'street': "%d Renmin Road" % (100 + n), 'city': city,
            'postal_code': postal, 'country': 'CN',
            'subdivision': subdivision,
            'latitude': round(lat + (n % 5) * 0.01, 4),
            'longitude': round(lon + (n % 7) * 0.01, 4)},
        'lines': lines,
        'currency': 'CNY',
        'payment': {'method': method,
            'paid_amount': '%.2f' % (total if (prepaid and paid) else 0)},
        'service_level': 'standard',
        'promised_date': (promised or dt.date.today()).isoformat(),
        }


def _submit(payloads):
    Intake = Pool().get('otwb.oms.intake')
    results = Intake.submit(payloads)
    run_queue()
    intakes = Intake.browse([r['intake'] for r in results
            if r['status'] == 'accepted'])
    return [s for i in intakes for s in i.sales]


def _backdate(sales):
    """Order n was placed n % 3 days ago, received 3 h + 40·n min before
    now and promised for the day after its order date.  The timeline's
    intake events (received, validated, allocated, held/released) move to
    the receipt time; the later events keep their real time."""
    pool = Pool()
    Sale = pool.get('sale.sale')
    Event = pool.get('otwb.oms.order.event')
    now = dt.datetime.now()
    today = pool.get('ir.date').today()
    for n, sale in enumerate(sales):
        day = today - dt.timedelta(days=n % 3)
        Sale.write([sale], {'sale_date': day,
                'otwb_promised_date': day + dt.timedelta(days=1)})
        received = now - dt.timedelta(days=n % 3, hours=3, minutes=40 * n)
        Event.write([e for e in sale.otwb_events
                if e.type in RECEIPT_EVENTS], {'time': received})


RECEIPT_EVENTS = {'received', 'validated', 'allocated', 'held', 'released'}
# seconds a picker spends on the k-th pick of a batch (walk and pick)
PICK_SECONDS = [45, 60, 75, 90, 105, 120, 135]


def _pick_and_pack(device):
    """Pick every pending task as ``device``, then pack.  The demo picks
    in an instant; each task's claim time is set back by a picker's time
    on it (PICK_SECONDS), so the picking KPI shows lines per hour."""
    pool = Pool()
    Task = pool.get('otwb.wms.task')
    Shipment = pool.get('stock.shipment.out')
    done = []
    while True:
        task = Task.claim_next(device, ['pick'])
        if not task:
            break
        Task.complete(device, task['id'])
        done.append(task['id'])
    for k, task in enumerate(Task.browse(done)):
        Task.write([task], {'claimed_at': task.done_at
                - dt.timedelta(seconds=PICK_SECONDS[k % len(PICK_SECONDS)])})
    Shipment.otwb_pack(Shipment.search([('state', '=', 'picked')]))
    run_queue()


def prepare(delivered=9, waiting=4, planning_seconds=1.0):
    pool = Pool()
    Trip = pool.get('otwb.tms.trip')
    Stop = pool.get('otwb.tms.trip.stop')
    Date = pool.get('ir.date')
    today = Date.today()
    result = Journeys()

    # delivered, charges rated but not invoiced
    payloads = []
    for n in range(delivered):
        channel, method, prepaid = CHANNELS[n % len(CHANNELS)]
        payloads.append(payload(n, channel, method, prepaid))
    sales = _submit(payloads)
    # spread the orders over the last days (orders per day), received a
    # few hours before now, promised for the day after the order (the
    # orders of two days ago arrive late: OTIF), see _backdate
    _backdate(sales)
    _pick_and_pack('AGV-01')
    trips = []
    for warehouse in {s.warehouse for s in sales}:
        planned, _ = Trip.plan(
            warehouse, today, time_limit=planning_seconds)
        trips.extend(planned)
    Trip.confirm(trips)
    Trip.dispatch(trips)
    Trip.start(trips)
    for trip in trips:
        Stop.deliver(list(trip.stops), receiver="Front desk")
    Trip.complete(trips)
    run_queue()
    result.billed_later = sales

    # packed in Shanghai, waiting for trip planning
    result.to_plan = _submit([payload(100 + n) for n in range(waiting)])
    _pick_and_pack('AGV-01')

    # held: the shipping address has no postal code
    held = payload(200)
    held['external_id'] = HELD_ID
    del held['shipping_address']['postal_code']
    result.held = _submit([held])
    return result


def summary(result):
    return ("journeys: %d orders delivered and not invoiced, "
        "%d waiting for trip planning, %d held" % (
            len(result.billed_later), len(result.to_plan),
            len(result.held)))
