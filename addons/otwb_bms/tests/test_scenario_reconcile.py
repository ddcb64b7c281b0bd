# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Carrier bill reconciliation (对账) from CSV and XLSX files."""
import io
import unittest
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import card, d, event, setup_billing, sources

BAD_CELLS = ["'; DROP TABLE account_invoice; --", '<b>x</b>', '\x00\x1b[31m',
    '\u202e', 'NaN', 'inf', '-inf', '1e309', '-0', '9999-99-99', '2026-02-30',
    '长' * 200, 'x' * 3000, '', ' ', '=1+1', '1,5', '1.000,50']


def _xlsx(rows):
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


class ReconcileScenarioTestCase(unittest.TestCase):
    "Carrier bill reconciliation"

    @classmethod
    def setUpClass(cls):
        activate_module(['otwb_bms'])

    def _setup(self, ns):
        card("Carrier", 'payable', ns.cny, [{
                    'charge_type': 'freight', 'method': 'per_unit',
                    'unit': 'kg', 'rate': Decimal('1.00')}],
            party=ns.carrier)
        shipments = sources(4)
        # expected payable charges: 100.00, 200.00, 300.00, 50.00
        for shipment, kg, day in zip(shipments, (100, 200, 300, 50),
                (1, 2, 3, 4)):
            event(carrier=ns.carrier, kg=Decimal(kg), date=d(3, day),
                source=shipment)
        ns.numbers = [s.number for s in shipments]
        return ns

    def _rows(self, ns):
        s1, s2, _, _ = ns.numbers
        return [
            ['Line', 'Tracking Number', 'Date', 'Amount'],
            [1, s1, '2026-03-01', '100.50'],    # within tolerance
            [2, s2, '2026-03-02', '215.00'],    # overcharged
            [3, 'XX-404', '2026-03-09', '80.00'],  # not ours
            [4, None, '2026-03-04', '50.00'],   # by date and amount
            ]

    def _check(self, ns, bill):
        pool = Pool()
        Bill = pool.get('otwb.bms.carrier_bill')
        Charge = pool.get('otwb.bms.charge')
        Bill.import_file([bill])
        Bill.reconcile([bill])
        bill = Bill(bill.id)
        self.assertEqual(bill.state, 'reconciled')
        lines = {line.line_no: line for line in bill.lines}
        # line 1: |100.50 - 100.00| = 0.50 <= max(1.00, 1 % × 100 = 1.00)
        self.assertEqual((lines[1].status, lines[1].matched_by,
                lines[1].difference), ('approved', 'tracking',
                Decimal('0.50')))
        # line 2: 215.00 - 200.00 = +15.00 > max(1.00, 2.00): disputed
        self.assertEqual((lines[2].status, lines[2].difference,
                lines[2].expected_amount),
            ('disputed', Decimal('15.00'), Decimal('200.00')))
        self.assertTrue(lines[2].reason)
        self.assertEqual(lines[3].status, 'unmatched')
        self.assertEqual((lines[4].status, lines[4].matched_by),
            ('approved', 'date_amount'))
        expected = {e.charge.amount: e for e in bill.expected}
        self.assertEqual(expected[Decimal('300.00')].status, 'unmatched')
        self.assertEqual(expected[Decimal('200.00')].status, 'disputed')
        # billed 100.50 + 215.00 + 80.00 + 50.00 = 445.50; approved lines
        # 100.50 + 50.00 = 150.50; disputed difference 15.00
        self.assertEqual((bill.billed_amount, bill.approved_amount,
                bill.disputed_amount),
            (Decimal('445.50'), Decimal('150.50'), Decimal('15.00')))

        Bill.create_invoice([bill])
        bill = Bill(bill.id)
        invoice = bill.invoice
        self.assertEqual((bill.state, invoice.type, invoice.state,
                invoice.reference), ('invoiced', 'in', 'validated', 'CB-1'))
        # the approved charges 100.00 + 50.00 = 150.00; VAT 6 % 9.00
        self.assertEqual((invoice.untaxed_amount, invoice.tax_amount),
            (Decimal('150.00'), Decimal('9.00')))
        open_ = sorted(c.amount for c in Charge.search([
                    ('invoice_line', '=', None)]))
        self.assertEqual(open_, [Decimal('200.00'), Decimal('300.00')])

    @with_transaction()
    def test_csv(self):
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            self._run_csv(ns)

    def _run_csv(self, ns):
        Bill = Pool().get('otwb.bms.carrier_bill')
        self._setup(ns)
        text = '\n'.join(','.join('' if c is None else str(c) for c in row)
            for row in self._rows(ns)) + '\n'
        bill, = Bill.create([{'carrier': ns.carrier.id, 'currency': ns.cny,
                    'reference': 'CB-1', 'date_from': d(3, 1),
                    'date_to': d(3, 31), 'file': text.encode('utf-8'),
                    'file_name': 'bill.csv', 'tolerance_abs': Decimal(1),
                    'tolerance_pct': Decimal(1)}])
        self._check(ns, bill)

    @with_transaction()
    def test_xlsx(self):
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            self._run_xlsx(ns)

    def _run_xlsx(self, ns):
        Bill = Pool().get('otwb.bms.carrier_bill')
        self._setup(ns)
        bill, = Bill.create([{'carrier': ns.carrier.id, 'currency': ns.cny,
                    'reference': 'CB-1', 'file': _xlsx(self._rows(ns)),
                    'file_name': 'bill.xlsx', 'tolerance_abs': Decimal(1),
                    'tolerance_pct': Decimal(1)}])
        self._check(ns, bill)

    @with_transaction()
    def test_bad_file(self):
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            self._run_bad_file(ns)

    def _run_bad_file(self, ns):
        Bill = Pool().get('otwb.bms.carrier_bill')
        self._setup(ns)
        bill, = Bill.create([{'carrier': ns.carrier.id, 'currency': ns.cny,
                    'file': b'Tracking,Amount\nA-1,ten\n',
                    'file_name': 'bad.csv'}])
        with self.assertRaises(ValidationError) as cm:
            Bill.import_file([bill])
        self.assertIn('ten', str(cm.exception))
        self.assertEqual(Bill(bill.id).lines, ())

    @with_transaction()
    def test_bad_files_fuzz(self):
        """Bad bill files (hypothesis), CSV and XLSX: broken cells, missing
        columns, garbage, bytes that are not a file of that kind.  Import
        either reads every line or refuses with a message naming the row
        or the column, and then the bill keeps the lines it had."""
        ns = setup_billing(with_accruals=False)
        with Transaction().set_context(company=ns.company.id):
            self._run_fuzz(ns)

    def _run_fuzz(self, ns):
        Bill = Pool().get('otwb.bms.carrier_bill')
        self._setup(ns)
        good = self._rows(ns)
        bill, = Bill.create([{'carrier': ns.carrier.id, 'currency': ns.cny,
                    'reference': 'CB-FUZZ', 'file_name': 'bill.csv',
                    'file': self._csv(good)}])
        Bill.import_file([bill])
        kept = self._lines(Bill(bill.id))
        self.assertEqual(len(kept), 4)
        bad = st.one_of(st.sampled_from(BAD_CELLS), st.text(max_size=30),
            st.integers(-10 ** 12, 10 ** 12), st.floats(), st.none())

        @settings(max_examples=40, deadline=None, derandomize=True,
            suppress_health_check=list(HealthCheck))
        @given(st.data())
        def check(data):
            rows = [list(r) for r in good]
            kind = data.draw(st.sampled_from(['csv', 'xlsx']))
            action = data.draw(st.sampled_from(
                    ['cell', 'cell', 'header', 'garbage', 'bytes']))
            if action == 'cell':
                row = data.draw(st.integers(1, len(rows) - 1))
                column = data.draw(st.integers(0, len(rows[row]) - 1))
                rows[row][column] = data.draw(bad)
            elif action == 'header':
                column = data.draw(st.integers(0, len(rows[0]) - 1))
                rows[0][column] = data.draw(st.text(max_size=12))
            elif action == 'garbage':
                rows.insert(data.draw(st.integers(1, len(rows))),
                    data.draw(st.lists(bad, min_size=1, max_size=6)))
            if action == 'bytes':
                content = data.draw(st.binary(max_size=300))
            elif kind == 'csv':
                content = self._csv(rows)
            else:
                try:
                    content = _xlsx([[self._xlsx_cell(c) for c in row]
                            for row in rows])
                except Exception:  # openpyxl refuses the cell itself
                    return
            Bill.write([bill], {'file': content,
                    'file_name': 'bill.' + kind})
            try:
                Bill.import_file([bill])
            except ValidationError as exc:
                message = str(exc)
                # the file's problem, or a field's limit (more decimals
                # than the amount has), named
                self.assertTrue('bill.' + kind in message
                    or 'Billed Amount' in message
                    or (not content and 'has no file' in message), message)
                self.assertEqual(self._lines(Bill(bill.id)), kept)
            else:
                lines = self._lines(Bill(bill.id))
                for _, _, amount in lines:
                    self.assertTrue(amount.is_finite())
                kept[:] = lines

        check()

    @staticmethod
    def _csv(rows):
        return ('\n'.join(','.join(
                        '' if c is None else str(c).replace(',', ';')
                        .replace('\n', ' ').replace('\r', ' ')
                        .replace('"', "'") for c in row)
                    for row in rows) + '\n').encode('utf-8')

    @staticmethod
    def _xlsx_cell(value):
        if isinstance(value, str):
            # control characters are not allowed in XLSX cells
            return ''.join(c for c in value if c >= ' ' or c in '\t\n')
        return value

    @staticmethod
    def _lines(bill):
        return [(ln.line_no, ln.tracking, ln.amount) for ln in bill.lines]
