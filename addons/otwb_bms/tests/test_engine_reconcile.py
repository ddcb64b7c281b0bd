# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Tests of carrier bill reconciliation and bill file parsing."""

import datetime as dt
from decimal import Decimal as D

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trytond.modules.otwb_bms.engine.reconcile import (
    BillLine,
    ExpectedCharge,
    Tolerance,
    parse_bill_csv,
    parse_bill_xlsx,
    reconcile,
)

D1, D2 = dt.date(2024, 5, 1), dt.date(2024, 5, 2)
TOL = Tolerance(abs_tol=D('1.00'), pct=D(2))


def test_tolerance_rule_is_the_larger_of_abs_and_pct():
    # expected 10.00: 2% = 0.20 < 1.00 -> 1.00; expected 200: 2% = 4.00
    assert TOL.allowed(D('10.00')) == D('1.00')
    assert TOL.allowed(D('200.00')) == D('4.00')
    assert TOL.allowed(D('-200.00')) == D('4.00')


@pytest.mark.parametrize('billed, approved, reason', [
    (D('204.00'), True, ''),       # diff +4.00 <= max(1, 2% x 200 = 4)
    (D('196.00'), True, ''),       # diff -4.00
    (D('204.01'), False,           # diff +4.01 > 4.00
     'overcharged by 4.01 (billed 204.01, expected 200.00, tolerance '
     '4.00)'),
    (D('195.99'), False,
     'undercharged by 4.01 (billed 195.99, expected 200.00, tolerance '
     '4.00)'),
])
def test_tolerance_edges(billed, approved, reason):
    result = reconcile([BillLine(1, billed, tracking='T1')],
                       [ExpectedCharge('E1', D('200.00'), tracking='T1')],
                       TOL)
    (match,) = result.approved + result.disputed
    assert match.approved is approved
    assert match.reason == reason
    assert match.difference == billed - D('200.00')


def test_three_passes_and_leftovers():
    bills = [
        # tracking T1, billed as one line; we expect freight + fuel
        BillLine(1, D('110.00'), tracking='T1', date=D1, currency='CNY'),
        # unknown tracking but known trip: matched by trip ref TR9
        BillLine(2, D('300.00'), tracking='ZZZ', trip_ref='TR9', date=D1),
        BillLine(3, D('52.00'), trip_ref='TR9', date=D1),
        # no references: date + amount (50.50 vs 50.00 within 1.00)
        BillLine(4, D('50.50'), date=D2),
        # overcharged by 20.00 on T2 (tolerance max(1, 2% x 100) = 2)
        BillLine(5, D('120.00'), tracking='T2', date=D2),
        # nothing matches
        BillLine(6, D('999.00'), tracking='NOPE', date=D2),
    ]
    expected = [
        ExpectedCharge('fr1', D('100.00'), tracking='T1', date=D1),
        ExpectedCharge('fs1', D('10.00'), tracking='T1', date=D1),
        ExpectedCharge('trip', D('350.00'), trip_ref='TR9', date=D1),
        ExpectedCharge('x', D('80.00'), date=D2),
        ExpectedCharge('y', D('50.00'), date=D2),
        ExpectedCharge('t2', D('100.00'), tracking='T2', date=D2),
        ExpectedCharge('lost', D('42.00'), tracking='T3', date=D2),
    ]
    result = reconcile(bills, expected, TOL)
    approved = {(m.matched_by, m.key): ([b.line_no for b in m.bill_lines],
                                        [e.id for e in m.expected])
                for m in result.approved}
    assert approved == {
        ('tracking', 'T1'): ([1], ['fr1', 'fs1']),   # 110 = 100 + 10
        ('trip_ref', 'TR9'): ([2, 3], ['trip']),     # 300 + 52 = 352 vs
        # 350: diff 2.00 <= max(1, 2% x 350 = 7)
        ('date_amount', D2): ([4], ['y']),
    }
    (disputed,) = result.disputed
    assert (disputed.key, disputed.difference) == ('T2', D('20.00'))
    assert disputed.reason.startswith('overcharged by 20.00')
    assert result.disputed_amount == D('20.00')
    assert [b.line_no for b in result.unmatched_bill_lines] == [6]
    assert [e.id for e in result.unmatched_expected] == ['x', 'lost']


def test_date_amount_takes_the_closest_and_respects_tolerance():
    bills = [BillLine(1, D('50.40'), date=D1), BillLine(2, D('70.00'),
                                                         date=D1)]
    expected = [ExpectedCharge('a', D('50.00'), date=D1),
                ExpectedCharge('b', D('50.30'), date=D1),
                ExpectedCharge('c', D('71.50'), date=D1)]
    result = reconcile(bills, expected, TOL)
    # 50.40: |0.40| vs a, |0.10| vs b -> b; 70.00 vs c: 1.50 > max(1, 1.43)
    assert [(m.bill_lines[0].line_no, m.expected[0].id)
            for m in result.approved] == [(1, 'b')]
    assert [b.line_no for b in result.unmatched_bill_lines] == [2]
    assert [e.id for e in result.unmatched_expected] == ['a', 'c']


def test_currency_mismatch_is_disputed():
    result = reconcile(
        [BillLine(1, D('100.00'), tracking='T', currency='USD')],
        [ExpectedCharge('e', D('100.00'), tracking='T', currency='CNY')])
    (match,) = result.disputed
    assert match.reason == 'currency mismatch: CNY, USD'


def test_duplicate_bill_lines_are_grouped_and_disputed():
    result = reconcile(
        [BillLine(1, D('80.00'), tracking='T'),
         BillLine(2, D('80.00'), tracking='T')],
        [ExpectedCharge('e', D('80.00'), tracking='T')], TOL)
    (match,) = result.disputed
    # billed 160 vs 80: overcharged by 80.00, 2 bill lines
    assert match.difference == D('80.00')
    assert match.reason.endswith('; 2 bill lines')


def test_zero_tolerance_default_and_bad_input():
    result = reconcile([BillLine(1, D('1.01'), tracking='T')],
                       [ExpectedCharge('e', D('1.00'), tracking='T')])
    assert result.disputed and not result.approved
    with pytest.raises(ValueError, match='tolerance.pct'):
        Tolerance(pct=D(-1))
    with pytest.raises(ValueError, match='bill line 1 amount'):
        reconcile([BillLine(1, 1.5)], [])
    with pytest.raises(ValueError, match='tolerance must be'):
        reconcile([], [], tolerance=5)


# -- file parsing ------------------------------------------------------

CSV = """\
Line No,Tracking Number,Trip,Date,Amount,Currency
1,SF100,TR1,2024-05-01,"1,234.50",cny
2,SF101,,2024-05-02,12,

4,,TR2,2024-05-02,-3.10,CNY
"""


def test_parse_csv_text_and_file(tmp_path):
    lines = parse_bill_csv(CSV, default_currency='CNY')
    assert lines == [
        BillLine(1, D('1234.50'), 'SF100', 'TR1', D1, 'CNY'),
        BillLine(2, D(12), 'SF101', None, D2, 'CNY'),
        BillLine(4, D('-3.10'), None, 'TR2', D2, 'CNY'),
    ]
    path = tmp_path / 'bill.csv'
    path.write_text(CSV, encoding='utf-8-sig')
    assert parse_bill_csv(path, default_currency='CNY') == lines


def test_parse_csv_options():
    text = 'awb;montant;jour\nX1;1.234,56;01/05/2024\nX2;7,5;02/05/2024\n'
    lines = parse_bill_csv(text, delimiter=';', decimal_separator=',',
                           date_format='%d/%m/%Y',
                           column_map={'amount': 'Montant', 'date': 'jour'})
    # no line number column: file row numbers (header is row 1)
    assert lines == [BillLine(2, D('1234.56'), 'X1', None, D1, None),
                     BillLine(3, D('7.5'), 'X2', None, D2, None)]


@pytest.mark.parametrize('text, match', [
    ('tracking,amount\nA,12x\n', r"row 2: amount '12x' is not a number"),
    ('tracking,amount,date\nA,1,2024-05-01\nB,2,2024-13-01\n',
     r"row 3: date '2024-13-01' is not a valid date"),
    ('tracking,amount\nA,\n', 'row 2: amount is empty'),
    ('tracking,price\nA,1\n', 'no amount column'),
    ('line,amount\n1,1\n1,2\n', 'row 3: line_no 1 already used on row 2'),
    ('line,amount\nx,1\n', "row 2: line_no 'x' is not an integer"),
    ('', 'empty'),
])
def test_parse_csv_errors(text, match):
    with pytest.raises(ValueError, match=match):
        parse_bill_csv(text + ('\n' if '\n' not in text else ''))


def test_parse_xlsx(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = 'Bill'
    sheet.append(['Tracking', 'Date', 'Amount', 'Currency'])
    sheet.append(['SF1', dt.datetime(2024, 5, 1), 10.5, 'CNY'])
    sheet.append([12345, '2024-05-02', '7.25', None])
    sheet.append([None, None, None, None])
    sheet.append(['SF3', dt.datetime(2024, 5, 2), 'oops', 'CNY'])
    path = tmp_path / 'bill.xlsx'
    workbook.save(path)
    with pytest.raises(ValueError, match="row 5: amount 'oops'"):
        parse_bill_xlsx(path)
    sheet.delete_rows(5)
    workbook.save(path)
    assert parse_bill_xlsx(path, sheet='Bill', default_currency='USD') == [
        BillLine(2, D('10.5'), 'SF1', None, D1, 'CNY'),
        BillLine(3, D('7.25'), '12345', None, D2, 'USD'),
    ]
    with pytest.raises(ValueError, match="sheet 'Nope' not found"):
        parse_bill_xlsx(path, sheet='Nope')


refs = st.sampled_from([None, 'A', 'B', 'C'])
dates = st.sampled_from([None, D1, D2])
cents = st.integers(-500, 50000).map(lambda c: D(c).scaleb(-2))


@settings(max_examples=100, deadline=None)
@given(bills=st.lists(st.tuples(refs, refs, dates, cents), max_size=12),
       exps=st.lists(st.tuples(refs, refs, dates, cents), max_size=12),
       abs_tol=st.sampled_from([D(0), D('0.50'), D(5)]),
       pct=st.sampled_from([D(0), D(1), D(10)]))
def test_every_line_and_charge_lands_in_exactly_one_place(
        bills, exps, abs_tol, pct):
    bill_lines = [BillLine(i, a, tracking=t, trip_ref=r, date=d)
                  for i, (t, r, d, a) in enumerate(bills)]
    expected = [ExpectedCharge(i, a, tracking=t, trip_ref=r, date=d)
                for i, (t, r, d, a) in enumerate(exps)]
    tolerance = Tolerance(abs_tol, pct)
    result = reconcile(bill_lines, expected, tolerance)
    matches = result.approved + result.disputed
    seen_bills = [b.line_no for m in matches for b in m.bill_lines] + [
        b.line_no for b in result.unmatched_bill_lines]
    seen_exps = [e.id for m in matches for e in m.expected] + [
        e.id for e in result.unmatched_expected]
    assert sorted(seen_bills) == list(range(len(bills)))
    assert sorted(seen_exps) == list(range(len(exps)))
    for m in matches:
        assert m.bill_lines and m.expected
        assert m.difference == m.billed - m.expected_amount
        assert m.approved == (abs(m.difference) <= max(
            abs_tol, pct * abs(m.expected_amount) / 100))
        assert m.approved == (m in result.approved)
