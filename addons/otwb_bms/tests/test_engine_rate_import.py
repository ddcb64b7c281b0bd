# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rate card lines from CSV (engine.rate_import), without Tryton."""
import datetime as dt
import unittest
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ..engine.rate_import import parse_rate_lines

COLUMNS = {
    'sequence': ('integer', None),
    'charge_type': ('selection', ['freight', 'insurance']),
    'method': ('selection', ['flat', 'first_additional']),
    'rate': ('decimal', None),
    'dest_country': ('text', 2),
    'fuel_indexed': ('boolean', None),
    'valid_from': ('date', None),
    }
REQUIRED = ('charge_type', 'method')


def parse(text):
    return parse_rate_lines(text, COLUMNS, required=REQUIRED)


class RateImportTestCase(unittest.TestCase):

    def test_typed_rows(self):
        rows, errors = parse(
            '\ufeffCharge_Type, method ,rate,dest_country,fuel_indexed,'
            'valid_from\n'
            'FREIGHT,flat,12.50,CN,yes,2026-06-01\n'
            '\n'
            'insurance,first_additional,,,0,\n')
        self.assertEqual(errors, [])
        self.assertEqual(rows, [
                (2, {'charge_type': 'freight', 'method': 'flat',
                        'rate': Decimal('12.50'), 'dest_country': 'CN',
                        'fuel_indexed': True,
                        'valid_from': dt.date(2026, 6, 1)}),
                (4, {'charge_type': 'insurance',
                        'method': 'first_additional', 'rate': None,
                        'dest_country': None, 'fuel_indexed': False,
                        'valid_from': None})])

    def test_errors_name_line_and_column(self):
        rows, errors = parse(
            'charge_type,method,rate,dest_country,sequence\n'
            'freight,flat,NaN,CN,1\n'
            'boat,,1e20,CHN,1234567890\n'
            'freight,flat,1,C\x00,2,extra\n')
        self.assertEqual(
            [(e['line'], e['field'], e['code']) for e in errors], [
                (2, 'rate', 'invalid_value'),
                (3, 'charge_type', 'invalid_value'),
                (3, 'rate', 'invalid_value'),
                (3, 'dest_country', 'invalid_value'),
                (3, 'sequence', 'invalid_value'),
                (3, 'method', 'required'),
                (4, 'row', 'too_many_cells')])
        self.assertEqual(errors[0]['message'],
            "line 2: rate must be a finite number (got 'NaN')")

    def test_header_problems(self):
        for text, expected in [
                ('', [(1, 'header', 'missing_column')]),
                ('charge_type,methd\nfreight,flat\n', [
                        (1, 'methd', 'unknown_column'),
                        (1, 'method', 'missing_column')]),
                ('charge_type,method,method\n', [
                        (1, 'method', 'duplicate_column')]),
                ('charge_type,method\n', [(2, 'row', 'empty')]),
                ]:
            rows, errors = parse(text)
            self.assertEqual(rows, [])
            self.assertEqual(
                [(e['line'], e['field'], e['code']) for e in errors],
                expected, text)

    def test_row_limit(self):
        text = 'charge_type,method\n' + 'freight,flat\n' * 4
        rows, errors = parse_rate_lines(text, COLUMNS, REQUIRED, max_rows=3)
        self.assertEqual([e['code'] for e in errors], ['too_many_rows'])

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=400), st.sampled_from([',', ';', '\t']))
    def test_any_text_gives_rows_or_errors(self, text, delimiter):
        "Never raises; every error names its line and field"
        text = 'charge_type,method,rate\n' + text
        rows, errors = parse_rate_lines(text, COLUMNS, REQUIRED,
            delimiter=delimiter)
        for error in errors:
            self.assertIsInstance(error['line'], int)
            self.assertTrue(error['message'].startswith(
                    'line %d: %s ' % (error['line'], error['field'])))
        if not errors:
            for _, values in rows:
                self.assertIn(values['charge_type'], {'freight',
                        'insurance'})
                rate = values.get('rate')
                self.assertTrue(rate is None or rate.is_finite())
