# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Crash recovery of the task queue.

A ``trytond-worker`` marks a task dequeued (committed) before it runs it
in its own transaction.  When the worker is killed (``kill -9``, out of
memory, machine reset) the task's transaction is rolled back by the
database, but the task stays dequeued and unfinished: Tryton would never
run it again.  Here every task run holds a PostgreSQL advisory lock keyed
on the task id for the length of its transaction; the recovery
(``ir.queue.otwb_requeue_orphans``, run by cron every minute and by
``trytond-admin``-like tooling) puts back in the queue every task that is
dequeued, unfinished, older than a grace period and whose lock nobody
holds, i.e. whose worker is gone.  The OTWB tasks are idempotent (they
check the state of what they process), so a task that did run to the end
but died before marking itself finished is harmless to run again.
"""
import datetime as dt
import logging

from sql import Null
from trytond import backend
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)

# first key of the two-key advisory locks of running queue tasks (a key
# space apart from Tryton's one-key table locks)
QUEUE_LOCK_CLASS = 0x07b0


class Queue(metaclass=PoolMeta):
    __name__ = 'ir.queue'

    def run(self):
        if backend.name == 'postgresql' and self.id is not None:
            cursor = Transaction().connection.cursor()
            cursor.execute('SELECT pg_advisory_xact_lock(%s, %s)',
                (QUEUE_LOCK_CLASS, self.id))
        super().run()

    @classmethod
    def otwb_requeue_orphans(cls, grace=None):
        """Put back in the queue the tasks left dequeued and unfinished by
        a worker that is gone; returns their ids"""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        if grace is None:
            grace = dt.timedelta(minutes=1)
        limit = dt.datetime.now() - grace
        cursor.execute(*table.select(table.id,
                where=(table.dequeued_at != Null)
                & (table.finished_at == Null)
                & (table.dequeued_at <= limit)))
        candidates = [r[0] for r in cursor]
        orphans = []
        for task_id in candidates:
            if backend.name == 'postgresql':
                # held by the transaction running the task, if any
                cursor.execute('SELECT pg_try_advisory_xact_lock(%s, %s)',
                    (QUEUE_LOCK_CLASS, task_id))
                if not cursor.fetchone()[0]:
                    continue
            orphans.append(task_id)
        if orphans:
            cursor.execute(*table.update([table.dequeued_at], [Null],
                    where=table.id.in_(orphans) & (table.finished_at == Null)))
            logger.warning("requeued %d orphaned queue task(s): %s",
                len(orphans), orphans[:20])
            database = transaction.database
            if database.has_channel():
                database.notify(transaction.connection, cls.__name__, '')
        return orphans


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('ir.queue|otwb_requeue_orphans',
                "Requeue Tasks of Stopped Workers"))
