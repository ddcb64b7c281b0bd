# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Concurrent device claims on PostgreSQL (driver run in its own process).

Run with ``DB_NAME`` set to a database name of its own: the driver
activates otwb_wms in it (from the test cache), commits a warehouse with
``tasks`` move tasks (1 unit each from bin A to bin B), forks ``workers``
processes that each claim and complete tasks in their own transactions
until the queue is empty, checks that every task was done exactly once and
the stock moved, prints a JSON report and drops the database.

    python -m trytond.modules.otwb_wms.tests.concurrency WORKERS TASKS
"""
import functools
import json
import multiprocessing
import os
import resource
import sys
import time


def _setup(db_name, n_tasks):
    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from . import tools
    with Transaction().start(db_name, 0) as transaction:
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        Move = pool.get('stock.move')
        company = create_company()
        with set_company(company):
            bins = tools.create_bins(aisles=1, bays=2)
            product = tools.create_product('CONC')
            source, target = bins[(1, 1, 1)], bins[(1, 2, 1)]
            tools.stock(company, product, source, n_tasks)
            # one move and its task through the ORM, copied n - 1 times in
            # two statements (the ORM takes minutes for 10,000 of each)
            move, = Move.create([{
                        'product': product.id,
                        'unit': product.default_uom.id, 'quantity': 1,
                        'from_location': source.id,
                        'to_location': target.id,
                        'company': company.id,
                        }])
            task, = Task.create([{
                        'type': 'move', 'company': company.id,
                        'warehouse': tools.warehouse().id,
                        'product': product.id, 'quantity': 1,
                        'from_location': source.id,
                        'to_location': target.id, 'move': move.id,
                        }])
            _copy(Task, task, _copy(Move, move, n_tasks - 1), 'move')
        transaction.commit()
        return company.id, product.id, source.id, target.id


def _copy(Model, record, count, column=None):
    """Insert count copies of record's row in one statement, the column
    (if given) set to each id of the list count is then; the new ids"""
    from trytond.transaction import Transaction
    cursor = Transaction().connection.cursor()
    cursor.execute("SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name <> 'id'", (Model._table,))
    columns = [r[0] for r in cursor.fetchall()]
    values = ', '.join('copy.v' if c == column else 'r."%s"' % c
        for c in columns)
    source = 'UNNEST(%s::int[])' if column else 'GENERATE_SERIES(1, %s)'
    cursor.execute(
        'INSERT INTO "{table}" ({columns}) SELECT {values} '
        'FROM "{table}" AS r, {source} AS copy(v) WHERE r.id = %s '
        'RETURNING id'.format(table=Model._table,
            columns=', '.join('"%s"' % c for c in columns),
            values=values, source=source),
        (count, record.id))
    return [r[0] for r in cursor.fetchall()]


def attempt(db_name, context, func, counter):
    """Run func in its own transaction, restarted like the RPC dispatcher
    (with the locks it asks for, after a lock or serialisation failure);
    counter['retries'] counts the restarts"""
    from trytond import backend
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    for _ in range(200):
        try:
            with Transaction().start(db_name, 0, context=context,
                    **extras) as transaction:
                result = func()
                transaction.commit()
                return result
        except TransactionError as e:
            counter['retries'] += 1
            e.fix(extras)
        except backend.DatabaseOperationalError:
            counter['retries'] += 1
            time.sleep(0.005)
    raise RuntimeError('too many retries')


def start_pool(db_name):
    "The pool of db_name in a forked process"
    from trytond.pool import Pool
    Pool.start()
    pool = Pool(db_name)
    pool.init()
    return pool


def _worker(db_name, company_id, device, out):
    done, counter, errors = [], {'retries': 0}, []
    try:
        Task = start_pool(db_name).get('otwb.wms.task')
        context = {'company': company_id}

        def run(func):
            return attempt(db_name, context, func, counter)

        # half the devices claim one task at a time, the others warehouse
        # orders of 5 (claim_batch): both draw from the same queue
        batch = int(device[-2:]) % 2 == 1
        while True:
            if batch:
                tasks = run(lambda: Task.claim_batch(device, 5, ['move']))
            else:
                task = run(lambda: Task.claim_next(device, ['move']))
                tasks = [task] if task else []
            if not tasks:
                break
            if len(tasks) > 1:
                counter['orders'] = counter.get('orders', 0) + 1
            for task in tasks:
                run(functools.partial(Task.complete, device, task['id']))
                done.append(task['id'])
    except Exception as e:  # report, never hang the parent
        errors.append(repr(e)[:300])
    finally:
        out.put((device, done, counter['retries'], errors,
            counter.get('orders', 0)))


def run(workers, n_tasks):
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
    from trytond.transaction import Transaction
    activate_module(['otwb_wms'])
    Pool.start()
    Pool(DB_NAME).init()
    try:
        started = time.monotonic()
        company_id, product_id, source_id, target_id = _setup(
            DB_NAME, n_tasks)
        setup_seconds = time.monotonic() - started
        ctx = multiprocessing.get_context('fork')
        out = ctx.Queue()
        start = time.monotonic()
        procs = [ctx.Process(target=_worker,
                args=(DB_NAME, company_id, 'DEV-%02d' % i, out))
            for i in range(workers)]
        for proc in procs:
            proc.start()
        results = [out.get(timeout=max(240, n_tasks)) for _ in procs]
        for proc in procs:
            proc.join(60)
        elapsed = time.monotonic() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        claimed = [i for _, ids, *_ in results for i in ids]
        with Transaction().start(
                DB_NAME, 0, context={'company': company_id}):
            pool = Pool()
            Task = pool.get('otwb.wms.task')
            Product = pool.get('product.product')
            Move = pool.get('stock.move')
            states, moves = {}, []
            for task in Task.search([]):
                states[task.state] = states.get(task.state, 0) + 1
                moves.append(task.move.id)
            moves_done = Move.search([
                    ('id', 'in', moves), ('state', '=', 'done'),
                    ('effective_date', '!=', None)], count=True)
            with Transaction().set_context(
                    locations=[source_id, target_id], with_childs=False):
                quantities = Product.products_by_location(
                    [source_id, target_id], with_childs=False,
                    grouping_filter=([product_id],))
        return {
            'workers': workers, 'tasks': n_tasks,
            'claimed': len(claimed), 'distinct': len(set(claimed)),
            'per_worker': {d: len(ids) for d, ids, *_ in results},
            'retries': sum(r[2] for r in results),
            'errors': [e for r in results for e in r[3]],
            'orders': sum(r[4] for r in results),
            'states': states,
            'task_moves': len(set(moves)), 'moves_done': moves_done,
            'setup_seconds': round(setup_seconds, 1),
            'source_quantity': quantities.get((source_id, product_id), 0),
            'target_quantity': quantities.get((target_id, product_id), 0),
            'seconds': round(elapsed, 2),
            # CPU time of the device processes (a quiet machine's wall
            # time is about this divided by its cores, plus PostgreSQL's)
            'worker_cpu_seconds': round(usage.ru_utime + usage.ru_stime, 1),
            'per_second': round(len(claimed) / elapsed, 1),
            }
    finally:
        drop_db()


if __name__ == '__main__':
    workers, n_tasks = int(sys.argv[1]), int(sys.argv[2])
    assert os.environ.get('DB_NAME'), 'DB_NAME must be set'
    report = run(workers, n_tasks)
    print('REPORT ' + json.dumps(report, sort_keys=True))
