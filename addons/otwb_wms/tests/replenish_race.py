# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Concurrent replenishment triggers on PostgreSQL (driver run in its own
process, like ``concurrency``).

A pick face holds 10 units, its minimum is 10 and its maximum 20; a bulk
bin holds 15 more.  ``PICKS`` shipments of 1 unit each are reserved from
the face and their pick tasks claimed by as many devices.  One process per
device then completes its pick at the same moment: each completion leaves
the face below its minimum and triggers a replenishment.  The report tells
how many replenish tasks were made, how much of the bulk stock they
reserved, and the quantities once they are done.

    python -m trytond.modules.otwb_wms.tests.replenish_race PICKS
"""
import json
import multiprocessing
import os
import sys

from .concurrency import attempt, start_pool


def _setup(db_name, picks):
    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from . import tools
    with Transaction().start(db_name, 0) as transaction:
        pool = Pool()
        Location = pool.get('stock.location')
        PickFace = pool.get('otwb.wms.pick.face')
        Task = pool.get('otwb.wms.task')
        company = create_company()
        with set_company(company):
            face = tools.create_bins(aisles=1, bays=1)[(1, 1, 1)]
            bulk, = Location.create([{
                        'name': 'BULK-1', 'code': 'BULK-1',
                        'type': 'storage', 'otwb_zone_type': 'bulk',
                        'parent': tools.warehouse().storage_location.id,
                        }])
            item = tools.create_product('ITEM')
            tools.stock(company, item, face, 10)
            tools.stock(company, item, bulk, 15)
            PickFace.create([{
                        'location': face.id, 'product': item.id,
                        'min_quantity': 10, 'max_quantity': 20}])
            party = tools.customer()
            for _ in range(picks):
                tools.shipment(company, party, [(item, 1)])
            claimed = []
            for i in range(picks):
                task = Task.claim_next('RF-%d' % i, ['pick'])
                claimed.append(('RF-%d' % i, task['id'],
                        task['from_location']))
        transaction.commit()
        return {'company': company.id, 'item': item.id, 'face': face.id,
            'face_name': face.rec_name, 'bulk': bulk.id,
            'claimed': claimed}


def _complete(db_name, company_id, device, task_id, barrier, out):
    counter, error = {'retries': 0}, None
    try:
        Task = start_pool(db_name).get('otwb.wms.task')
        barrier.wait(60)
        attempt(db_name, {'company': company_id},
            lambda: Task.complete(device, task_id), counter)
    except Exception as e:  # report, never hang the parent
        error = repr(e)[:300]
    finally:
        out.put((device, counter['retries'], error))


def _replenishments(setup):
    "The replenish tasks, the reserved bulk stock and the quantities"
    from trytond.pool import Pool
    pool = Pool()
    Task = pool.get('otwb.wms.task')
    Move = pool.get('stock.move')
    from . import tools
    tasks = Task.search([('type', '=', 'replenish')], order=[('id', 'ASC')])
    reserved = sum(m.quantity for m in Move.search([
                ('from_location', '=', setup['bulk']),
                ('state', '=', 'assigned')]))
    Location = pool.get('stock.location')
    item = pool.get('product.product')(setup['item'])
    return {
        'replenish_tasks': [(t.state, t.quantity) for t in tasks],
        'bulk_reserved': reserved,
        'face_quantity': tools.quantity(item, Location(setup['face'])),
        'bulk_quantity': tools.quantity(item, Location(setup['bulk'])),
        'picks_done': Task.search([('type', '=', 'pick'),
                ('state', '=', 'done')], count=True),
        }


def run(picks):
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
    from trytond.transaction import Transaction

    from . import tools
    activate_module(['otwb_wms'])
    Pool.start()
    Pool(DB_NAME).init()
    try:
        setup = _setup(DB_NAME, picks)
        ctx = multiprocessing.get_context('fork')
        out, barrier = ctx.Queue(), ctx.Barrier(picks)
        procs = [ctx.Process(target=_complete, args=(DB_NAME,
                    setup['company'], device, task_id, barrier, out))
            for device, task_id, _ in setup['claimed']]
        for proc in procs:
            proc.start()
        results = [out.get(timeout=240) for _ in procs]
        for proc in procs:
            proc.join(60)
        context = {'company': setup['company']}
        with Transaction().start(DB_NAME, 0, context=context):
            after_picks = _replenishments(setup)
        counter = {'retries': 0}
        attempt(DB_NAME, context,
            lambda: tools.pick_all('AGV-1', ['replenish']), counter)
        with Transaction().start(DB_NAME, 0, context=context):
            after_replenish = _replenishments(setup)
        return {
            'picks': picks,
            'pick_bins': sorted({b for _, _, b in setup['claimed']}),
            'face_name': setup['face_name'],
            'retries': sum(r for _, r, _ in results),
            'errors': [e for _, _, e in results if e],
            'after_picks': after_picks,
            'after_replenish': after_replenish,
            }
    finally:
        drop_db()


if __name__ == '__main__':
    assert os.environ.get('DB_NAME'), 'DB_NAME must be set'
    report = run(int(sys.argv[1]))
    print('REPORT ' + json.dumps(report, sort_keys=True))
