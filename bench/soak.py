#!/usr/bin/env python3
# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Soak: intake, device task claims and tracking events together on
PostgreSQL for a bounded time, while a worker is killed (SIGKILL) and
restarted every minute.

Loopback only; stops by itself after ``--minutes``.  Builds a demo
database, serves it with ``trytond`` (queue in worker mode) and one
``trytond-worker``; three client threads call it over XML-RPC.  After the
run the queue is drained and the consistency checks are made:

- orders: intakes = unique submissions (every external id once), every
  processed intake has its sale;
- tasks: every task claimed and completed is done once, with its stock
  move done once;
- tracking: every event id stored once;
- billing: billable events unique per (source, activity), charges per
  event not duplicated;
- queue: no task left dequeued and unfinished.

Writes bench/reports/soak.md.
"""
import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=10)
    parser.add_argument('--kill-every', type=float, default=60,
        help="seconds between two kills of the worker")
    parser.add_argument('--orders-per-second', type=float, default=2,
        help="intake rate (batches of 10): a load the worker can process "
        "while it is killed every minute, so that the queue drains")
    parser.add_argument('--uri', default=os.environ.get(
            'OTWB_POSTGRESQL_URI', 'postgresql://postgres@127.0.0.1:5432/'))
    args = parser.parse_args()

    import proteus.config  # noqa: F401 - dates over XML-RPC
    from rpc_server import DemoServer
    from tqdm import tqdm

    from otwb_tools import flow
    from otwb_tools.demo_data import DEMO_PASSWORD

    os.environ['TRYTOND_DATABASE_URI'] = args.uri
    server = DemoServer('otwb_soak')
    print("building the demo database …", flush=True)
    server.build()
    with open(server.config, 'a') as fp:  # from now on: worker processes
        fp.write('[queue]\nworker = True\n')
    server.start()
    env = server.env
    worker_cmd = [os.path.join(os.path.dirname(sys.executable),
            'trytond-worker'), '-c', server.config, '-d', server.database,
        '-n', '1']

    def start_worker():
        return subprocess.Popen(worker_cmd, env=env, cwd=ROOT,
            start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def sql(query, *params):
        import psycopg
        with psycopg.connect(args.uri.rstrip('/') + '/' + server.database,
                autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def requeue():
        code = ('import sys, datetime\n'
            'from trytond.config import config\n'
            'config.update_etc(sys.argv[1])\n'
            'from trytond.pool import Pool\n'
            'from trytond.transaction import Transaction\n'
            'Pool(sys.argv[2]).init()\n'
            'with Transaction().start(sys.argv[2], 0) as t:\n'
            '    ids = Pool(sys.argv[2]).get("ir.queue")'
            '.otwb_requeue_orphans(datetime.timedelta(0))\n'
            '    t.commit()\n'
            'print(len(ids))\n')
        out = subprocess.run([sys.executable, '-c', code, server.config,
                server.database], env=env, cwd=ROOT, check=True,
            capture_output=True, text=True).stdout
        return int(out.strip() or 0)

    stop = threading.Event()
    stats = {name: {'requests': 0, 'errors': 0, 'items': 0}
        for name in ('intake', 'tasks', 'tracking')}
    sent_ids, events_sent, completed = set(), set(), []
    errors = []

    def guarded(name, method, *params):
        stats[name]['requests'] += 1
        try:
            return method(*params)
        except (OSError, xmlrpc.client.Error) as exc:
            stats[name]['errors'] += 1
            errors.append((name, str(exc)[:200]))
            time.sleep(0.5)
            return None

    def intake_client():
        rpc = server.login('integration', DEMO_PASSWORD)
        n = 0
        while not stop.is_set():
            started = time.time()
            batch = []
            for _ in range(10):
                payload = flow.demo_payload('SOAK-%06d' % n, 'API')
                payload['customer'] = {'name': "Soak buyer %d" % n,
                    'email': 'soak.%d@example.cn' % n}
                payload['lines'] = [{'sku': 'SKU-%04d' % (1 + n % 12),
                        'quantity': 1, 'unit_price': '10.00'}]
                payload['payment'] = {'method': 'invoice',
                    'paid_amount': '0'}
                batch.append(payload)
                n += 1
            for _attempt in range(10):  # a failed call is sent again
                results = guarded('intake', rpc.model.otwb.oms.intake.submit,
                    batch, {})
                if results:
                    break
            if results:
                stats['intake']['items'] += len(batch)
                sent_ids.update(p['external_id'] for p in batch)
            stop.wait(max(0, len(batch) / args.orders_per_second
                    - (time.time() - started)))

    def device_client():
        rpc = server.login('integration', DEMO_PASSWORD)
        while not stop.is_set():
            task = guarded('tasks', rpc.model.otwb.wms.task.claim_next,
                'SOAK-AGV', ['pick'], None, {})
            if not task:
                time.sleep(0.5)
                continue
            done = guarded('tasks', rpc.model.otwb.wms.task.complete,
                'SOAK-AGV', task['id'], None, {})
            if done:
                stats['tasks']['items'] += 1
                completed.append(task['id'])

    def tracking_client():
        rpc = server.login('dispatcher', DEMO_PASSWORD)
        admin = server.login('otwb_admin', DEMO_PASSWORD)
        Trip = admin.model.otwb.tms.trip
        context = admin.model.res.user.get_preferences(True, {})
        done, = Trip.search([], 0, 1, [('id', 'ASC')], context)
        trip, = Trip.copy([done], {'number': None}, context)
        Trip.confirm([trip], context)
        Trip.dispatch([trip], context)
        number = Trip.read([trip], ['number'], context)[0]['number']
        n = 0
        while not stop.is_set():
            event_id = 'SOAK-GPS-%06d' % n
            n += 1
            event = {'event_id': event_id, 'type': 'position',
                'trip': number, 'occurred_at': dt.datetime.utcnow()
                .replace(microsecond=0).isoformat(),
                'latitude': 31.2 + n * 1e-4, 'longitude': 121.4,
                'source': 'device'}
            # sent twice: the retry must be answered as a duplicate
            for _ in range(2):
                answer = guarded('tracking',
                    rpc.model.otwb.tms.tracking.event.submit, [event], {})
                if answer:
                    stats['tracking']['items'] += 1
                    events_sent.add(event_id)
            time.sleep(0.1)

    worker = start_worker()
    threads = [threading.Thread(target=f, daemon=True) for f in (
            intake_client, device_client, tracking_client)]
    for thread in threads:
        thread.start()
    started = time.time()
    kills = requeued = 0
    end = started + args.minutes * 60
    next_kill = started + args.kill_every
    with tqdm(total=int(args.minutes * 60), desc="soak", unit='s') as bar:
        while time.time() < end:
            time.sleep(1)
            bar.update(1)
            if time.time() >= next_kill:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
                kills += 1
                requeued += requeue()
                worker = start_worker()
                next_kill += args.kill_every
    stop.set()
    for thread in threads:
        thread.join(30)
    elapsed = time.time() - started

    print("draining the queue …", flush=True)
    requeued += requeue()
    deadline = time.time() + 1800
    while time.time() < deadline and sql(
            "SELECT count(*) FROM ir_queue WHERE finished_at IS NULL")[0][0]:
        time.sleep(2)
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(30)

    checks = []

    def check(name, ok, detail):
        checks.append((name, ok, detail))

    intakes = dict(sql("SELECT external_id, count(*) FROM otwb_oms_intake "
            "WHERE external_id LIKE 'SOAK-%%' GROUP BY external_id"))
    check("orders = unique submissions",
        set(intakes) == sent_ids and set(intakes.values()) <= {1},
        "%d sent, %d stored, %d stored twice" % (len(sent_ids),
            len(intakes), sum(1 for v in intakes.values() if v > 1)))
    states = dict(sql("SELECT state, count(*) FROM otwb_oms_intake "
            "WHERE external_id LIKE 'SOAK-%%' GROUP BY state"))
    without_sale = sql("SELECT count(*) FROM otwb_oms_intake i WHERE "
        "i.external_id LIKE 'SOAK-%%' AND i.state = 'processed' AND NOT "
        "EXISTS (SELECT 1 FROM sale_sale s WHERE s.otwb_intake = i.id)")
    check("processed orders have their sale", without_sale[0][0] == 0,
        "intake states %s" % states)
    task_moves = sql("SELECT t.id, t.state FROM otwb_wms_task t "
        "WHERE t.id = ANY(%s)", completed)
    check("completed tasks done once",
        len(task_moves) == len(set(completed)) == len(completed)
        and all(s == 'done' for _, s in task_moves),
        "%d completed" % len(completed))
    # stock quantities = moves: each completed task moved its stock once,
    # and no storage bin holds less than nothing (no oversell)
    moves = sql("SELECT t.id, m.state, m.quantity, t.quantity "
        "FROM otwb_wms_task t JOIN stock_move m ON m.id = t.move "
        "WHERE t.id = ANY(%s)", completed)
    check("completed tasks' moves done once with the task's quantity",
        len(moves) == len(set(completed))
        and all(s == 'done' and q == tq for _, s, q, tq in moves),
        "%d moves done" % sum(1 for m in moves if m[1] == 'done'))
    negative = sql("SELECT l.id, q.product, q.quantity FROM ("
        "SELECT location, product, sum(quantity) AS quantity FROM ("
        "SELECT to_location AS location, product, quantity FROM stock_move "
        "WHERE state = 'done' UNION ALL "
        "SELECT from_location, product, -quantity FROM stock_move "
        "WHERE state = 'done') d GROUP BY location, product) q "
        "JOIN stock_location l ON l.id = q.location "
        "WHERE l.type = 'storage' AND q.quantity < 0")
    check("stock = moves, no storage bin below zero", not negative,
        "%d bins below zero" % len(negative))
    # charges = events: every picked shipment billed once for its pick,
    # every event rated, no charge captured twice for an event
    shipments = sql("SELECT count(*) FROM stock_shipment_out "
        "WHERE state IN ('picked', 'packed', 'done')")[0][0]
    picked_events = sql("SELECT count(*) FROM otwb_bms_event "
        "WHERE activity = 'picked'")[0][0]
    check("one pick event per picked shipment",
        picked_events == shipments,
        "%d shipments picked or later, %d pick events" % (
            shipments, picked_events))
    pending = sql("SELECT count(*) FROM otwb_bms_event "
        "WHERE state != 'rated'")[0][0]
    # a rate line prices an event once (re-rating adds adjustments)
    doubled = sql("SELECT count(*) FROM (SELECT event, kind, rate_line "
        "FROM otwb_bms_charge WHERE NOT coalesce(adjustment, false) "
        "AND rate_line IS NOT NULL "
        "GROUP BY event, kind, rate_line HAVING count(*) > 1) d")[0][0]
    charges = sql("SELECT count(*) FROM otwb_bms_charge")[0][0]
    check("charges = events: all rated, none charged twice",
        pending == 0 and doubled == 0,
        "%d charges, %d events not rated, %d charged twice" % (
            charges, pending, doubled))
    events = dict(sql("SELECT event_id, count(*) FROM "
            "otwb_tms_tracking_event WHERE event_id LIKE 'SOAK-GPS-%%' "
            "GROUP BY event_id"))
    check("tracking events stored once",
        set(events) == events_sent and set(events.values()) <= {1},
        "%d sent (each twice), %d stored" % (len(events_sent), len(events)))
    duplicate_events = sql("SELECT count(*) FROM (SELECT source, activity "
        "FROM otwb_bms_event GROUP BY source, activity "
        "HAVING count(*) > 1) d")[0][0]
    check("billable events unique", duplicate_events == 0,
        "%d duplicated" % duplicate_events)
    orphans = sql("SELECT count(*) FROM ir_queue WHERE finished_at IS NULL")
    check("queue drained", orphans[0][0] == 0,
        "%d unfinished" % orphans[0][0])
    server.cleanup()

    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
        capture_output=True, text=True, cwd=ROOT).stdout.strip()
    rows = '\n'.join("| %s | %d | %d | %d |" % (name, s['requests'],
            s['errors'], s['items']) for name, s in stats.items())
    check_rows = '\n'.join("| %s | %s | %s |" % (name,
            'yes' if ok else '**NO**', detail) for name, ok, detail in checks)
    lost = '0' if all(c[1] for c in checks) else 'see the checks above'
    report = f"""# Soak (PostgreSQL)

Commit `{commit}`, 2 cores.  `bench/soak.py --minutes {args.minutes:g}`:
{elapsed / 60:.1f} minutes of intake (batches of 10 orders,
{args.orders_per_second:g} orders/s), device claims
and completions, and tracking events (each sent twice) together, one
`trytond` server and one `trytond-worker`; the worker killed with SIGKILL
and restarted every {args.kill_every:g} s ({kills} kills, {requeued}
orphaned queue tasks put back).

| client | requests | errors | items |
| --- | ---: | ---: | ---: |
{rows}

| consistency check | passed | detail |
| --- | :-: | --- |
{check_rows}

Errors are calls that failed at the client (connection refused or reset
while the server was busy); the client retried the same content later.
Records lost or duplicated: {lost}.
"""
    os.makedirs(os.path.join(ROOT, 'bench', 'reports'), exist_ok=True)
    with open(os.path.join(ROOT, 'bench', 'reports', 'soak.md'), 'w') as fp:
        fp.write(report)
    print(report)
    return 0 if all(c[1] for c in checks) else 1


if __name__ == '__main__':
    sys.exit(main())
