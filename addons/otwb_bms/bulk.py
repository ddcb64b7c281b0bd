# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Set-based inserts and updates for the mass runs of billing (capture of
tens of thousands of events, accrual and invoicing runs): one SQL
statement per batch instead of per-record ORM work."""
from sql import Column, Expression
from sql.functions import CurrentTimestamp
from trytond import backend
from trytond.model import fields
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

_AUTO = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}
# ids (or values) per statement of the mass runs; trytond 8.0's
# grouped_slice without a size slices one by one
CHUNK = backend.MAX_QUERY_PARAMS


class BulkSQLMixin:
    "Set-based INSERT and UPDATE of a model's rows (mass runs only)"
    __slots__ = ()

    @classmethod
    def sql_insert(cls, vlist):
        """Insert the rows ``vlist`` (dicts of stored fields; the fields
        missing get their defaults) with multi-row INSERTs and return
        their ids in order.

        For rows computed by the module's own code (rated charges,
        captured events): the required fields and the static selections
        are checked here, the SQL constraints by the database; the ORM's
        per-record validation, triggers and history are not run."""
        if not vlist:
            return []
        transaction = Transaction()
        database = transaction.database
        names = sorted({n for v in vlist for n in v})
        missing = [n for n, f in cls._fields.items()
            if n not in names and n not in _AUTO and not hasattr(f, 'set')
            and not isinstance(f, fields.Function)]
        defaults = cls._clean_defaults(
            cls.default_get(missing, with_rec_name=False)) if missing else {}
        names += sorted(n for n in defaults if n not in names)
        checks = []
        for name in names:
            field = cls._fields[name]
            assert name not in _AUTO and not hasattr(field, 'set'), name
            checks.append((name, field, field.required,
                    cls._sql_choices(field)))
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        ids = []
        for sub in grouped_slice(vlist, 10000):
            rows = []
            for values in sub:
                row = []
                for name, field, required, choices in checks:
                    value = values.get(name, defaults.get(name))
                    if required and value is None:
                        raise ValueError('%s.%s is required' % (
                                cls.__name__, name))
                    if (choices is not None and value is not None
                            and (str(value).split(',')[0]
                                if isinstance(field, fields.Reference)
                                else value) not in choices):
                        raise ValueError('%s.%s: %r is not a valid '
                            'selection' % (cls.__name__, name, value))
                    row.append(field.sql_format(value))
                rows.append(row)
            if backend.name == 'postgresql':
                ids.extend(cls._sql_insert_unnest(names, rows))
                continue
            columns = [table.create_uid, table.create_date] + [
                Column(table, n) for n in names]
            # SQLite: row by row (in process), the database numbers
            for row in rows:
                cursor.execute(*table.insert(columns,
                        [[transaction.user, CurrentTimestamp()] + row]))
                ids.append(database.lastid(cursor))
        transaction.create_records[cls.__name__].extend(ids)
        return ids

    @classmethod
    def _sql_insert_unnest(cls, names, rows):
        """PostgreSQL: insert ``rows`` (values of the columns ``names``,
        SQL formatted) with one array parameter per column (``INSERT …
        SELECT … FROM unnest(…)``): the statement stays short whatever
        the number of rows (psycopg parses a statement of hundreds of
        thousands of placeholders slowly).  Returns the new ids."""
        transaction = Transaction()
        ids = transaction.database.nextid(
            transaction.connection, cls._table, count=len(rows))
        if len(rows) == 1:
            ids = [ids]
        types = ['INTEGER'] + [
            cls._fields[n].sql_type().base for n in names]
        aliases = ['"c%d"' % i for i in range(len(types))]
        query = ('INSERT INTO "%s" ("id", "create_uid", "create_date", %s) '
            'SELECT %s, %%s, CURRENT_TIMESTAMP, %s FROM unnest(%s) '
            'AS "u" (%s)' % (
                cls._table, ', '.join('"%s"' % n for n in names),
                aliases[0], ', '.join(aliases[1:]),
                ', '.join('%%s::%s[]' % t for t in types),
                ', '.join(aliases)))
        columns = [list(ids)] + [list(c) for c in zip(*rows)]
        transaction.connection.cursor().execute(
            query, [transaction.user] + columns)
        return ids

    @classmethod
    def _sql_choices(cls, field):
        "The allowed keys of a selection or reference field, else None"
        if not isinstance(field, (fields.Selection, fields.Reference)):
            return None
        selection = field.selection
        if isinstance(selection, str):
            if getattr(field, 'selection_change_with', None):
                return None  # depends on the record
            selection = getattr(cls, selection)()
        return {k for k, _ in selection}

    @classmethod
    def search_ids(cls, domain, order=None):
        """The ids matching ``domain`` (record rules applied as by
        ``search``) without instantiating records."""
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls.search(domain, order=order, query=True))
        return [id_ for id_, in cursor]

    @classmethod
    def browse_slices(cls, ids, size=200):
        """The records of ``ids`` instantiated by slices of ``size``:
        ``browse`` checks every id of its list for each record it makes,
        which is quadratic on the thousands of a mass run."""
        return [r for sub in grouped_slice(ids, size)
            for r in cls.browse(list(sub))]

    @classmethod
    def sql_update(cls, table, values, where):
        """Set bookkeeping columns (foreign keys, amounts, states without
        validation rules) on the rows matching the SQL condition
        ``where`` on ``table`` (a ``cls.__table__()``) in one UPDATE,
        without per-record ORM work; the transaction's record caches of
        the model are cleared like ``write`` does."""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        columns = [table.write_uid, table.write_date]
        sql_values = [transaction.user, CurrentTimestamp()]
        for name, value in values.items():
            columns.append(Column(table, name))
            if not isinstance(value, Expression):
                value = cls._fields[name].sql_format(value)
            sql_values.append(value)
        cursor.execute(*table.update(columns, sql_values, where=where))
        cls.clear_caches()

    @classmethod
    def clear_caches(cls):
        "Forget the cached records of this transaction (after raw SQL)"
        transaction = Transaction()
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                cache[cls.__name__].clear()
