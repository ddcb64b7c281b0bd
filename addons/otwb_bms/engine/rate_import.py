# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rate card lines from a CSV file (plain Python, no Tryton import).

``parse_rate_lines(text, columns, delimiter=',', max_rows=10_000)`` turns
CSV text (a header row naming the columns, then one rate line per row)
into ``(rows, errors)``: ``rows`` a list of ``(line number, {column:
value})`` with typed values, ``errors`` a list of ``{'line', 'field',
'code', 'message', 'value'}``.  The file is taken whole or not at all: a
caller writes nothing when ``errors`` is not empty.

``columns`` maps each accepted column to its type:

* ``('selection', values)``: one of ``values`` (case-insensitive);
* ``('decimal', None)``: a finite decimal number (``.`` separator);
* ``('date', None)``: ``YYYY-MM-DD``;
* ``('text', size)``: stripped text of at most ``size`` characters
  (``None``: 255), without control characters;
* ``('boolean', None)``: ``1/0``, ``true/false``, ``yes/no``;
* ``('integer', None)``: an integer of at most 9 digits.

Empty cells are ``None``.  Unknown columns in the header are errors (a
misspelt column would silently lose a criterion), so are missing
``required`` columns and rows with more cells than the header.
"""
import csv
import datetime
import io
from decimal import Decimal, InvalidOperation

__all__ = ['parse_rate_lines']

_TRUE = {'1', 'true', 'yes', 'y', 'x'}
_FALSE = {'0', 'false', 'no', 'n'}


def _short(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + '...'


def _error(errors, line, field, code, detail, value):
    errors.append({'line': line, 'field': field, 'code': code,
            'message': 'line %d: %s %s (got %s)' % (
                line, field, detail, _short(value)),
            'value': _short(value)})


def _convert(kind, arg, text):
    "The typed value of a non-empty cell, or raise ValueError(reason)"
    if any(c < ' ' and c != '\t' or c == '\x7f' for c in text):
        raise ValueError('contains control characters')
    if kind == 'selection':
        allowed = {str(v).lower(): v for v in arg if v}
        if text.lower() not in allowed:
            raise ValueError('must be one of %s' % ', '.join(
                    sorted(allowed)))
        return allowed[text.lower()]
    if kind == 'decimal':
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError('is not a number') from None
        if not value.is_finite():
            raise ValueError('must be a finite number')
        if abs(value) >= Decimal('1e12'):
            raise ValueError('is out of range')
        return value
    if kind == 'date':
        try:
            value = datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError('is not a date YYYY-MM-DD') from None
        return value
    if kind == 'text':
        if len(text) > (arg or 255):
            raise ValueError('is longer than %d characters' % (arg or 255))
        return text
    if kind == 'boolean':
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError('must be 1/0, true/false or yes/no')
    if kind == 'integer':
        if len(text.lstrip('+-')) > 9:
            raise ValueError('is out of range')
        try:
            return int(text)
        except ValueError:
            raise ValueError('is not an integer') from None
    raise ValueError('has an unknown type')


def parse_rate_lines(text, columns, required=(), delimiter=',',
        max_rows=10_000):
    errors, rows = [], []
    if not isinstance(text, str):
        _error(errors, 1, 'file', 'invalid_type', 'must be text', text)
        return rows, errors
    if text.startswith('\ufeff'):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter,
        strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        _error(errors, 1, 'header', 'csv_error', 'is not CSV: %s' % exc, '')
        return rows, errors
    if not header or not any(h.strip() for h in header):
        _error(errors, 1, 'header', 'missing_column',
            'must name the columns', '')
        return rows, errors
    names = [h.strip().lower() for h in header]
    for name in names:
        if name not in columns:
            _error(errors, 1, name or '(empty)', 'unknown_column',
                'is not a rate line column', name)
    for name in required:
        if name not in names:
            _error(errors, 1, name, 'missing_column',
                'column is required in the header', names)
    duplicates = {n for n in names if names.count(n) > 1}
    for name in sorted(duplicates):
        _error(errors, 1, name, 'duplicate_column', 'appears twice', name)
    if errors:
        return rows, errors
    count = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            _error(errors, reader.line_num, 'row', 'csv_error',
                'is not CSV: %s' % exc, '')
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        count += 1
        if count > max_rows:
            _error(errors, line, 'row', 'too_many_rows',
                'exceeds the maximum of %d rows' % max_rows, count)
            break
        if len(cells) > len(names):
            _error(errors, line, 'row', 'too_many_cells',
                'has %d cells for %d columns' % (len(cells), len(names)),
                cells[len(names):])
            continue
        values = {}
        for name, cell in zip(names, cells):
            cell = cell.strip()
            if not cell:
                values[name] = None
                continue
            kind, arg = columns[name]
            try:
                values[name] = _convert(kind, arg, cell)
            except ValueError as exc:
                _error(errors, line, name, 'invalid_value', str(exc), cell)
        for name in required:
            if values.get(name) is None and not any(
                    e['line'] == line and e['field'] == name
                    for e in errors):
                _error(errors, line, name, 'required', 'is required', '')
        rows.append((line, values))
    if not rows and not errors:
        _error(errors, 2, 'row', 'empty', 'the file has no rate line', '')
    return rows, errors
