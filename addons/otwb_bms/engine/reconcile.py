# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Carrier bill reconciliation and carrier bill file parsing.

Plain Python, no ``trytond`` import (``openpyxl`` only for XLSX files,
imported lazily).

:func:`reconcile` ``(bill_lines, expected, tolerance) ->
ReconcileResult`` compares what a carrier billed (:class:`BillLine`)
with the payable charges we expected (:class:`ExpectedCharge`).  Matching
runs in three passes, each only on what is still unmatched:

1. **tracking number**: all bill lines and all expected charges sharing a
   tracking number form one group (1:1, 1:n, n:1 or n:m -- e.g. the
   carrier bills freight+fuel on one line while we expect two charges);
2. **trip ref**: same, grouped by trip reference;
3. **date + amount**: a remaining bill line is paired 1:1 with the
   remaining expected charge of the same date whose amount is closest
   (only if within tolerance); ties go to the earlier expected charge.

A group is compared on its sums.  Tolerance rule (documented choice):
approved if ``|billed - expected| <= max(abs_tol, pct / 100 *
|expected|)``, i.e. the more generous of the absolute and the relative
tolerance.  Otherwise the group is disputed with ``difference = billed -
expected`` (positive: overcharged) and a ``reason``.  A group mixing
currencies (bill lines among themselves, or against an expected charge
that states a currency) is disputed with reason ``currency mismatch``.

:func:`parse_bill_csv` / :func:`parse_bill_xlsx` read a carrier bill
file into :class:`BillLine` objects; columns are found by header name
(case-insensitive, see :data:`HEADER_ALIASES`; ``column_map`` overrides
them).  ``amount`` is required; ``line_no`` defaults to the file row
number.  Dates are ISO ``YYYY-MM-DD`` unless ``date_format`` is given
(XLSX date cells are taken as they are).  A bad row raises ValueError
naming the file row number, the column and the value.
"""

import csv
import datetime
import io
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

__all__ = [
    'BillLine', 'ExpectedCharge', 'Tolerance', 'Match', 'ReconcileResult',
    'reconcile', 'parse_bill_csv', 'parse_bill_xlsx', 'parse_bill_rows',
    'HEADER_ALIASES',
]


@dataclass(frozen=True)
class BillLine:
    line_no: int
    amount: Decimal
    tracking: str | None = None
    trip_ref: str | None = None
    date: datetime.date | None = None
    currency: str | None = None


@dataclass(frozen=True)
class ExpectedCharge:
    id: object
    amount: Decimal
    tracking: str | None = None
    trip_ref: str | None = None
    date: datetime.date | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Tolerance:
    """Approved if |diff| <= max(abs_tol, pct / 100 * |expected|)."""
    abs_tol: Decimal = Decimal(0)
    pct: Decimal = Decimal(0)   # 2 means 2 %

    def __post_init__(self):
        for name in ('abs_tol', 'pct'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(
                    value, (Decimal, int)) or value < 0:
                raise ValueError(
                    f'tolerance.{name} must be a Decimal >= 0, got '
                    f'{value!r}')

    def allowed(self, expected):
        return max(Decimal(self.abs_tol),
                   Decimal(self.pct) * abs(expected) / 100)


@dataclass(frozen=True)
class Match:
    matched_by: str          # 'tracking', 'trip_ref' or 'date_amount'
    key: object              # the tracking number, trip ref or date
    bill_lines: tuple        # tuple[BillLine, ...]
    expected: tuple          # tuple[ExpectedCharge, ...]
    billed: Decimal
    expected_amount: Decimal
    difference: Decimal      # billed - expected_amount
    allowed: Decimal         # tolerance applied
    approved: bool
    reason: str = ''


@dataclass
class ReconcileResult:
    approved: list = field(default_factory=list)     # list[Match]
    disputed: list = field(default_factory=list)     # list[Match]
    unmatched_bill_lines: list = field(default_factory=list)
    unmatched_expected: list = field(default_factory=list)

    @property
    def disputed_amount(self):
        """Sum of the differences of the disputed groups."""
        return sum((m.difference for m in self.disputed), Decimal(0))


def _check_amount(value, name):
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise ValueError(f'{name} must be a Decimal, got {value!r}')
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f'{name} must be finite, got {value!r}')


def _judge(matched_by, key, bills, expected, tolerance):
    billed = sum((b.amount for b in bills), Decimal(0))
    amount = sum((e.amount for e in expected), Decimal(0))
    difference = billed - amount
    allowed = tolerance.allowed(amount)
    currencies = {b.currency for b in bills if b.currency}
    currencies |= {e.currency for e in expected if e.currency}
    if len(currencies) > 1:
        approved, reason = False, (
            'currency mismatch: ' + ', '.join(sorted(currencies)))
    elif abs(difference) <= allowed:
        approved, reason = True, ''
    else:
        approved = False
        word = 'overcharged' if difference > 0 else 'undercharged'
        reason = (f'{word} by {abs(difference)} (billed {billed}, '
                  f'expected {amount}, tolerance {allowed})')
    if not approved and len(bills) > 1:
        reason += f'; {len(bills)} bill lines'
    return Match(matched_by, key, tuple(bills), tuple(expected), billed,
                 amount, difference, allowed, approved, reason)


def reconcile(bill_lines, expected, tolerance=None):
    """Reconcile carrier ``bill_lines`` against ``expected`` charges."""
    tolerance = tolerance or Tolerance()
    if not isinstance(tolerance, Tolerance):
        raise ValueError(f'tolerance must be a Tolerance, got {tolerance!r}')
    bills = list(bill_lines)
    exps = list(expected)
    for i, b in enumerate(bills):
        if not isinstance(b, BillLine):
            raise ValueError(f'bill_lines[{i}] must be a BillLine, got {b!r}')
        _check_amount(b.amount, f'bill line {b.line_no} amount')
    for i, e in enumerate(exps):
        if not isinstance(e, ExpectedCharge):
            raise ValueError(
                f'expected[{i}] must be an ExpectedCharge, got {e!r}')
        _check_amount(e.amount, f'expected charge {e.id!r} amount')
    result = ReconcileResult()
    bill_left = dict(enumerate(bills))
    exp_left = dict(enumerate(exps))

    for attr in ('tracking', 'trip_ref'):
        bill_groups, exp_groups = {}, {}
        for i, b in bill_left.items():
            value = getattr(b, attr)
            if value:
                bill_groups.setdefault(value, []).append(i)
        for i, e in exp_left.items():
            value = getattr(e, attr)
            if value:
                exp_groups.setdefault(value, []).append(i)
        for value, bill_idx in bill_groups.items():
            exp_idx = exp_groups.get(value)
            if not exp_idx:
                continue
            match = _judge(attr, value, [bill_left.pop(i) for i in bill_idx],
                           [exp_left.pop(i) for i in exp_idx], tolerance)
            (result.approved if match.approved
             else result.disputed).append(match)

    by_date = {}
    for i, e in exp_left.items():
        if e.date is not None:
            by_date.setdefault(e.date, []).append(i)
    for bi in sorted(bill_left):
        b = bill_left[bi]
        if b.date is None:
            continue
        best = None
        for ei in by_date.get(b.date, ()):
            if ei not in exp_left:
                continue
            e = exp_left[ei]
            if b.currency and e.currency and b.currency != e.currency:
                continue
            diff = abs(b.amount - e.amount)
            if diff <= tolerance.allowed(e.amount) and (
                    best is None or diff < best[0]):
                best = (diff, ei)
        if best is not None:
            match = _judge('date_amount', b.date, [bill_left.pop(bi)],
                           [exp_left.pop(best[1])], tolerance)
            (result.approved if match.approved
             else result.disputed).append(match)

    result.unmatched_bill_lines = [bill_left[i] for i in sorted(bill_left)]
    result.unmatched_expected = [exp_left[i] for i in sorted(exp_left)]
    return result


# --------------------------------------------------------------------------
# bill file parsing
# --------------------------------------------------------------------------

HEADER_ALIASES = {
    'line_no': ('line_no', 'line no', 'line', 'line number', 'no', '#'),
    'tracking': ('tracking', 'tracking number', 'tracking_no',
                 'tracking no', 'awb', 'waybill', 'waybill no'),
    'trip_ref': ('trip_ref', 'trip ref', 'trip', 'trip reference',
                 'manifest'),
    'date': ('date', 'ship date', 'shipping date', 'service date'),
    'amount': ('amount', 'total', 'charge', 'amount due'),
    'currency': ('currency', 'ccy', 'currency code'),
}


def _find_columns(header, column_map):
    normalized = [str(h).strip().lower() if h is not None else ''
                  for h in header]
    columns = {}
    for name, aliases in HEADER_ALIASES.items():
        wanted = (column_map or {}).get(name)
        candidates = (wanted,) if wanted else aliases
        for alias in candidates:
            alias = alias.strip().lower()
            if alias in normalized:
                columns[name] = normalized.index(alias)
                break
        else:
            if wanted:
                raise ValueError(
                    f'header: column {wanted!r} for {name} not found in '
                    f'{list(header)!r}')
    if 'amount' not in columns:
        raise ValueError(
            f'header: no amount column (looked for '
            f'{HEADER_ALIASES["amount"]!r}) in {list(header)!r}')
    return columns


_MAX_AMOUNT = Decimal('1e12')


def _parse_amount(value, row_no, decimal_separator):
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(
                f'row {row_no}: amount {value!r} is not a number')
        return _check_range(value, row_no)
    if isinstance(value, int) and not isinstance(value, bool):
        return _check_range(Decimal(value), row_no)
    if isinstance(value, float):
        if value != value or value in (float('inf'), float('-inf')):
            raise ValueError(
                f'row {row_no}: amount {value!r} is not a number')
        return _check_range(Decimal(str(value)), row_no)
    text = str(value).strip().replace(' ', '').replace('\u00a0', '')
    if decimal_separator == ',':
        text = text.replace('.', '').replace(',', '.')
    else:
        text = text.replace(',', '')
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not text:
        raise ValueError(
            f'row {row_no}: amount {str(value)[:40]!r} is not a number')
    return _check_range(amount, row_no)


def _check_range(amount, row_no):
    if abs(amount) >= _MAX_AMOUNT:
        raise ValueError(
            f'row {row_no}: amount {str(amount)[:40]!r} is out of range')
    return amount


def _parse_date(value, row_no, date_format):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    try:
        if date_format:
            return datetime.datetime.strptime(text, date_format).date()
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f'row {row_no}: date {str(value)[:40]!r} is not a valid date '
            f'({date_format or "YYYY-MM-DD"})') from None


def _text_cell(value, row_no=None, name=None):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if name and any(c < ' ' and c != '\t' or c == '\x7f' for c in text):
        raise ValueError(
            f'row {row_no}: {name} {text[:40]!r} contains control characters')
    return text or None


def parse_bill_rows(rows, *, column_map=None, date_format=None,
                    default_currency=None, decimal_separator='.',
                    first_row_no=1):
    """Parse an iterable of rows (the first is the header) into
    :class:`BillLine`.  Blank rows are skipped; the first non-blank row
    is the header.  ``first_row_no`` is the file row number of the first
    row given (used in error messages)."""
    if decimal_separator not in ('.', ','):
        raise ValueError(
            f"decimal_separator must be '.' or ',', got "
            f'{decimal_separator!r}')
    header = None
    lines = []
    seen = {}
    for offset, row in enumerate(rows):
        row_no = first_row_no + offset
        row = list(row)
        if all(c is None or str(c).strip() == '' for c in row):
            continue
        if header is None:
            header = row
            columns = _find_columns(header, column_map)
            continue

        def cell(name, row=row, columns=columns):
            index = columns.get(name)
            if index is None or index >= len(row):
                return None
            value = row[index]
            if isinstance(value, str) and not value.strip():
                return None
            return value

        amount = cell('amount')
        if amount is None:
            raise ValueError(f'row {row_no}: amount is empty')
        amount = _parse_amount(amount, row_no, decimal_separator)
        line_no = cell('line_no')
        if line_no is None:
            line_no = row_no
        else:
            try:
                line_no = int(_text_cell(line_no))
                if not 0 < line_no < 10 ** 9:
                    raise ValueError
            except (TypeError, ValueError):
                raise ValueError(
                    f'row {row_no}: line_no {str(line_no)[:40]!r} is not '
                    'an integer from 1 to 999,999,999') from None
        if line_no in seen:
            raise ValueError(
                f'row {row_no}: line_no {line_no} already used on row '
                f'{seen[line_no]}')
        seen[line_no] = row_no
        date = cell('date')
        if date is not None:
            date = _parse_date(date, row_no, date_format)
        currency = _text_cell(cell('currency'), row_no, 'currency') \
            or default_currency
        lines.append(BillLine(
            line_no=line_no, amount=amount,
            tracking=_text_cell(cell('tracking'), row_no, 'tracking'),
            trip_ref=_text_cell(cell('trip_ref'), row_no, 'trip_ref'),
            date=date,
            currency=currency.upper() if currency else None))
    if header is None:
        raise ValueError('bill file is empty (no header row)')
    return lines


def parse_bill_csv(source, *, delimiter=',', encoding='utf-8-sig',
                   **options):
    """Parse a CSV carrier bill.  ``source`` is a path, a text file
    object or the CSV text itself (a ``str`` containing a newline).
    Options: see :func:`parse_bill_rows`."""
    try:
        if isinstance(source, str) and '\n' in source:
            handle = io.StringIO(source)
            return parse_bill_rows(csv.reader(handle, delimiter=delimiter),
                                   **options)
        if isinstance(source, (str, os.PathLike)):
            with open(source, newline='', encoding=encoding) as handle:
                return parse_bill_rows(
                    csv.reader(handle, delimiter=delimiter), **options)
        return parse_bill_rows(csv.reader(source, delimiter=delimiter),
                               **options)
    except csv.Error as exc:  # e.g. a NUL byte: not a CSV text
        raise ValueError(f'not a CSV file: {exc}') from exc


def parse_bill_xlsx(source, *, sheet=None, **options):
    """Parse an XLSX carrier bill (path or binary file object) with
    openpyxl; ``sheet`` is a sheet name (default: the active sheet).
    Options: see :func:`parse_bill_rows`."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException
    try:
        workbook = openpyxl.load_workbook(
            source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError,
            OSError) as exc:
        raise ValueError(f'not an XLSX file: {exc}') from exc
    try:
        if sheet is None:
            worksheet = workbook.active
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise ValueError(f'sheet {sheet!r} not found in '
                             f'{workbook.sheetnames!r}')
        return parse_bill_rows(worksheet.iter_rows(values_only=True),
                               **options)
    finally:
        workbook.close()
