#!/usr/bin/env python3
# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Order intake and processing throughput on PostgreSQL, with a baseline.

Measures, in one run on one database:

1. intake acknowledgement: ``otwb.oms.intake.submit`` of batches of
   ``--batch`` orders of 3 lines, one transaction per batch (orders/s);
2. processing to confirmed sales with reserved shipments by
   ``trytond-worker`` processes from the task queue, with 1 then 2 workers
   (orders/s, worker memory);
3. the plain Tryton path as baseline: a ``sale.sale`` created, quoted,
   confirmed and processed through the ORM one by one (orders/s).

Writes a Markdown report to bench/reports/oms_intake.md.

With ``--memory N`` it runs the long memory test instead: N orders taken in,
then processed by ``--workers`` worker processes with no time limit, the
resident memory of every worker process sampled along the way; the report
(bench/reports/oms_memory.md) shows the curve.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def payloads(prefix, count):
    from otwb_tools import flow
    result = []
    for n in range(count):
        payload = flow.demo_payload('%s-%06d' % (prefix, n), 'API')
        # peak day: many buyers (one buyer would trip the velocity rule)
        payload['customer'] = {'name': "Buyer %s-%d" % (prefix, n),
            'email': 'buyer.%s.%d@example.cn' % (prefix.lower(), n),
            'phone': '+86 138 %04d %04d' % (n // 10000, n % 10000)}
        payload['lines'] = [
            {'sku': 'SKU-%04d' % (1 + (n + k) % 12), 'quantity': 1 + k,
                'unit_price': '10.00'} for k in range(3)]
        payload['payment'] = {'method': 'invoice', 'paid_amount': '0'}
        result.append(payload)
    return result


def rss_by_process(pid):
    "Resident memory in MB of a process and of each of its children"
    result = {}
    pids = [pid]
    try:
        children = subprocess.run(['pgrep', '-P', str(pid)],
            capture_output=True, text=True).stdout.split()
        pids += [int(p) for p in children]
    except OSError:
        pass
    for p in pids:
        try:
            with open('/proc/%d/status' % p) as fp:
                for line in fp:
                    if line.startswith('VmRSS:'):
                        result[p] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return result


def rss_mb(pid):
    "Resident memory of a process and its children, in MB"
    return sum(rss_by_process(pid).values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--uri', default=os.environ.get(
            'OTWB_POSTGRESQL_URI', 'postgresql://postgres@127.0.0.1:5432/'))
    parser.add_argument('--orders', type=int, default=2000,
        help="orders per processing phase (default: %(default)s)")
    parser.add_argument('--batch', type=int, default=100)
    parser.add_argument('--baseline', type=int, default=200,
        help="orders through the plain sale path (default: %(default)s)")
    parser.add_argument('--database', default='otwb_bench_intake')
    parser.add_argument('--memory', type=int, default=0, metavar='N',
        help="long memory run: N orders processed by --workers workers")
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args()

    from tqdm import tqdm

    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, 'trytond.conf')
    with open(config, 'w') as fp:
        fp.write('[database]\nuri = %s\n[queue]\nworker = True\n' % args.uri)
    for key in [k for k in os.environ if k.startswith(('TRYTOND_', 'DB_'))]:
        del os.environ[key]
    from otwb_tools import demo
    print("building the database …", flush=True)
    demo.create_database(config, args.database, 'en')
    demo.load_and_run(config, args.database, 1)

    from trytond.config import config as tconfig
    tconfig.update_etc(config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(args.database)
    with Transaction().start(args.database, 0) as transaction:
        User = pool.get('res.user')
        admin, = User.search([('login', '=', 'admin')])
        user, company = admin.id, admin.company.id
    context = {'company': company}

    with Transaction().start(args.database, user, context=context) \
            as transaction:
        # plenty of stock in Shanghai, no partial-stock holds
        Inventory = pool.get('stock.inventory')
        Location = pool.get('stock.location')
        Product = pool.get('product.product')
        Config = pool.get('otwb.configuration')
        config_record = Config(1)
        config_record.oms_hold_partial_stock = False
        config_record.save()
        sha, = Location.search([('code', '=', 'SHA')])
        inventory = Inventory(location=sha.storage_location)
        lines = []
        for product in Product.search([('code', 'like', 'SKU-%')]):
            lines.append({'product': product.id, 'quantity': 10 ** 7})
        inventory, = Inventory.create([{
                    'location': sha.storage_location.id,
                    'lines': [('create', lines)]}])
        Inventory.confirm([inventory])
        transaction.commit()

    def acknowledge(prefix, count):
        batches = payloads(prefix, count)
        started = time.perf_counter()
        for i in tqdm(range(0, count, args.batch), desc="intake " + prefix,
                leave=False):
            with Transaction().start(args.database, user,
                    context=context) as transaction:
                results = pool.get('otwb.oms.intake').submit(
                    batches[i:i + args.batch])
                assert all(r['status'] == 'accepted' for r in results), \
                    results[:1]
                transaction.tasks.clear()  # workers take them
                transaction.commit()
        return count / (time.perf_counter() - started)

    def count_processed(prefix):
        with Transaction().start(args.database, user, context=context):
            return pool.get('otwb.oms.intake').search_count([
                    ('external_id', 'like', prefix + '-%'),
                    ('state', '=', 'processed')])

    def process(prefix, count, workers):
        worker = subprocess.Popen([
                os.path.join(os.path.dirname(sys.executable),
                    'trytond-worker'), '-c', config, '-d', args.database,
                '-n', str(workers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.perf_counter()
        peak = 0
        with tqdm(total=count, desc="process %s" % prefix,
                leave=False) as bar:
            done = 0
            while done < count:
                time.sleep(1)
                peak = max(peak, rss_mb(worker.pid))
                now = count_processed(prefix)
                bar.update(now - done)
                done = now
                if time.perf_counter() - started > 1800:
                    break
        elapsed = time.perf_counter() - started
        worker.terminate()
        worker.wait(30)
        return done / elapsed, peak

    def baseline(count):
        with Transaction().start(args.database, user, context=context):
            Product = pool.get('product.product')
            # a channel customer, with its addresses
            party = pool.get('sale.sale').search(
                [('otwb_channel', '!=', None)], limit=1)[0].party
            products = Product.search([('code', 'like', 'SKU-%')],
                limit=3)
            party_id = party.id
            product_ids = [p.id for p in products]
        started = time.perf_counter()
        for _ in tqdm(range(count), desc="baseline", leave=False):
            with Transaction().start(args.database, user,
                    context=context) as transaction:
                Sale = pool.get('sale.sale')
                Line = pool.get('sale.line')
                Product = pool.get('product.product')
                party = pool.get('party.party')(party_id)
                sale = Sale(party=party, warehouse=sha,
                    invoice_method='manual', shipment_method='order')
                sale.on_change_party()
                lines = []
                for k, product in enumerate(Product.browse(product_ids)):
                    line = Line(product=product, quantity=1 + k)
                    line.on_change_product()
                    line.unit_price = 10
                    lines.append(line)
                sale.lines = lines
                sale.save()
                Sale.quote([sale])
                Sale.confirm([sale])
                Sale.process([sale])
                Shipment = pool.get('stock.shipment.out')
                Shipment.assign_try(
                    [s for s in sale.shipments if s.state == 'waiting'])
                transaction.tasks.clear()
                transaction.commit()
        return count / (time.perf_counter() - started)

    if args.memory:
        return memory_run(args, acknowledge, count_processed, config)

    print("intake acknowledgement …", flush=True)
    ack1 = acknowledge('W1', args.orders)
    proc1, mem1 = process('W1', args.orders, 1)
    ack2 = acknowledge('W2', args.orders)
    proc2, mem2 = process('W2', args.orders, 2)
    base = baseline(args.baseline)

    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
        capture_output=True, text=True, cwd=ROOT).stdout.strip()
    def met(ok):
        return 'yes' if ok else 'no'

    memory = max(mem1, mem2)
    targets = '\n'.join([
        "| target (issue 3) | measured | met |",
        "| --- | ---: | :---: |",
        f"| intake >= 1,000 orders/s | {ack1:.0f} | {met(ack1 >= 1000)} |",
        f"| processing >= 3x baseline per worker | {proc1 / base:.2f}x "
        f"| {met(proc1 >= 3 * base)} |",
        f"| 1 -> 2 workers >= 1.5x | {proc2 / proc1:.2f}x "
        f"| {met(proc2 >= 1.5 * proc1)} |",
        f"| worker memory < 400 MB | {memory:.0f} MB over {args.orders} "
        f"orders | {met(memory < 400)} (50,000 orders not run) |",
        ])
    report = f"""# OMS intake and processing (PostgreSQL)

Commit `{commit}`, 2 cores (shared with the benchmark driver), PostgreSQL 15
on loopback. {args.orders} orders of 3 lines per phase, batches of
{args.batch}; processing = sale created per warehouse by the allocation
engine, quoted, confirmed, processed, shipment reserved (pick tasks created).

| measure | orders/s |
| --- | ---: |
| intake acknowledgement, 1 client | {ack1:.0f} (again: {ack2:.0f}) |
| processing, 1 worker process | {proc1:.1f} |
| processing, 2 worker processes | {proc2:.1f} |
| baseline: plain sale.sale create/quote/confirm/process, 1 by 1 | {base:.1f} |

{targets}

Worker peak memory (all worker processes): {mem1:.0f} MB with 1,
{mem2:.0f} MB with 2.  Each buyer is new (a peak day's many customers), so
processing also creates a party, contact mechanisms and an address per
order; the baseline reuses one existing customer.
"""
    os.makedirs(os.path.join(ROOT, 'bench', 'reports'), exist_ok=True)
    with open(os.path.join(ROOT, 'bench', 'reports', 'oms_intake.md'),
            'w') as fp:
        fp.write(report)
    print(report)


def memory_run(args, acknowledge, count_processed, config):
    "Process args.memory orders, sampling each worker's resident memory"
    print("intake of %d orders …" % args.memory, flush=True)
    ack = acknowledge('M', args.memory)
    worker = subprocess.Popen([
            os.path.join(os.path.dirname(sys.executable), 'trytond-worker'),
            '-c', config, '-d', args.database, '-n', str(args.workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    samples = []  # (minutes, processed, parent MB, max child MB, total MB)
    done, last = 0, 0
    peak_child = peak_total = 0
    while done < args.memory:
        time.sleep(5)
        rss = rss_by_process(worker.pid)
        children = [v for p, v in rss.items() if p != worker.pid]
        peak_child = max([peak_child] + children)
        peak_total = max(peak_total, sum(rss.values()))
        done = count_processed('M')
        elapsed = time.perf_counter() - started
        if elapsed - last >= 300 or done >= args.memory:
            last = elapsed
            samples.append((elapsed / 60, done, rss.get(worker.pid, 0),
                    max(children or [0]), sum(rss.values())))
            print("%6.1f min %6d orders  parent %4.0f MB  largest worker "
                "%4.0f MB  all %4.0f MB" % samples[-1], flush=True)
        if worker.poll() is not None:
            print("worker stopped", flush=True)
            break
    elapsed = time.perf_counter() - started
    worker.terminate()
    worker.wait(30)

    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
        capture_output=True, text=True, cwd=ROOT).stdout.strip()
    rows = '\n'.join('| %.1f | %d | %.0f | %.0f | %.0f |' % s
        for s in samples)
    report = f"""# OMS worker memory over {args.memory:,} orders (PostgreSQL)

Commit `{commit}`, 2 cores, PostgreSQL 15 on loopback.
`bench/oms_intake.py --memory {args.memory} --workers {args.workers}`:
{args.memory:,} orders of 3 lines (one new buyer each) taken in at
{ack:.0f} orders/s, then processed by one `trytond-worker -n {args.workers}`
(a parent process and {args.workers} worker processes) to confirmed sales
with reserved shipments: {done:,} orders in {elapsed / 60:.1f} min
({done / elapsed:.1f} orders/s).

Resident memory sampled every 5 s; a row every 5 minutes:

| minutes | orders processed | parent MB | largest worker MB | all MB |
| ---: | ---: | ---: | ---: | ---: |
{rows}

Peak: largest worker process {peak_child:.0f} MB, all processes together
{peak_total:.0f} MB.  Target (issue 3): worker memory < 400 MB over 50,000
orders: {'met' if peak_child < 400 and done >= 50000 else 'not met'}.
"""
    path = os.path.join(ROOT, 'bench', 'reports', 'oms_memory.md')
    with open(path, 'w') as fp:
        fp.write(report)
    print(report)


if __name__ == '__main__':
    main()
