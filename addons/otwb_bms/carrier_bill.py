# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Carrier bill reconciliation (对账): import the carrier's bill, match it
against the payable charges we expect, approve or dispute, invoice."""
import io
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .engine import reconcile as recon

_DRAFT = {'readonly': Eval('state') != 'draft'}
STATUS = [
    ('pending', "Pending"),
    ('approved', "Approved"),
    ('disputed', "Disputed"),
    ('unmatched', "Unmatched"),
    ]


class CarrierBill(Workflow, ModelSQL, ModelView):
    "Carrier Bill"
    __name__ = 'otwb.bms.carrier_bill'
    __string__ = "Carrier Bill"

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_DRAFT)
    carrier = fields.Many2One(
        'party.party', "Carrier", required=True, states=_DRAFT)
    reference = fields.Char("Bill Reference", states=_DRAFT)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, states=_DRAFT)
    date_from = fields.Date("From", states=_DRAFT,
        help="Expected charges dated from (inclusive).")
    date_to = fields.Date("To", states=_DRAFT,
        help="Expected charges dated up to (inclusive).")
    file = fields.Binary("File", filename='file_name', states=_DRAFT)
    file_name = fields.Char("File Name", states=_DRAFT)
    tolerance_abs = fields.Numeric(
        "Tolerance", digits=(16, 2), required=True, states=_DRAFT)
    tolerance_pct = fields.Numeric(
        "Tolerance (%)", digits=(6, 2), required=True, states=_DRAFT)
    lines = fields.One2Many(
        'otwb.bms.carrier_bill.line', 'bill', "Bill Lines", readonly=True)
    expected = fields.One2Many(
        'otwb.bms.carrier_bill.expected', 'bill', "Expected Charges",
        readonly=True)
    billed_amount = fields.Function(
        fields.Numeric("Billed", digits=(16, 2)), 'get_amounts')
    approved_amount = fields.Function(
        fields.Numeric("Approved", digits=(16, 2)), 'get_amounts')
    disputed_amount = fields.Function(
        fields.Numeric("Disputed Difference", digits=(16, 2)),
        'get_amounts')
    invoice = fields.Many2One('account.invoice', "Supplier Invoice",
        readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('reconciled', "Reconciled"),
            ('invoiced', "Invoiced"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'reconciled'),
            ('reconciled', 'draft'),
            ('reconciled', 'invoiced'),
            }
        cls._buttons.update({
                'import_file': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'reconcile': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'reconciled',
                    'depends': ['state'],
                    },
                'create_invoice': {
                    'invisible': Eval('state') != 'reconciled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_tolerance_abs(cls):
        return Pool().get('otwb.configuration')(1).bms_tolerance_abs

    @classmethod
    def default_tolerance_pct(cls):
        return Pool().get('otwb.configuration')(1).bms_tolerance_pct

    @classmethod
    def get_amounts(cls, bills, names):
        result = {n: {} for n in names}
        for bill in bills:
            billed = sum((line.amount for line in bill.lines), Decimal(0))
            approved = sum((line.amount for line in bill.lines
                    if line.status == 'approved'), Decimal(0))
            groups = {}
            for line in bill.lines:
                if line.status == 'disputed':
                    groups[line.group] = line.difference or Decimal(0)
            values = {'billed_amount': billed,
                'approved_amount': approved,
                'disputed_amount': sum(groups.values(), Decimal(0))}
            for name in names:
                result[name][bill.id] = values[name]
        return result

    def parse(self):
        "Bill lines of the file (engine.reconcile)"
        if not self.file:
            raise ValidationError(gettext(
                    'otwb_bms.msg_carrier_bill_no_file', bill=self.rec_name))
        name = (self.file_name or '').lower()
        try:
            if name.endswith('.xlsx'):
                lines = recon.parse_bill_xlsx(
                    io.BytesIO(bytes(self.file)),
                    default_currency=self.currency.code)
            else:
                text = bytes(self.file).decode('utf-8-sig')
                lines = recon.parse_bill_csv(
                    io.StringIO(text), default_currency=self.currency.code)
            # the amounts are stored with 2 decimals
            for line in lines:
                if line.amount != line.amount.quantize(Decimal('0.01')):
                    raise ValueError('row %s: amount %s has more than 2 '
                        'decimals' % (line.line_no, line.amount))
            return lines
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationError(gettext(
                    'otwb_bms.msg_carrier_bill_parse',
                    file=self.file_name or '', error=str(exc))) from exc

    @classmethod
    @ModelView.button
    def import_file(cls, bills):
        "Replace the bill lines with the lines of the file"
        Line = Pool().get('otwb.bms.carrier_bill.line')
        to_delete, to_save = [], []
        for bill in bills:
            parsed = bill.parse()
            to_delete.extend(bill.lines)
            for line in parsed:
                to_save.append(Line(
                        bill=bill, line_no=line.line_no,
                        tracking=line.tracking, trip_ref=line.trip_ref,
                        date=line.date, amount=line.amount,
                        currency_code=line.currency, status='pending'))
        Line.delete(to_delete)
        Line.save(to_save)

    @staticmethod
    def _refs(charge):
        """(tracking, trip ref) of a payable charge from its event's
        source: a trip gives the trip number, a stop its shipment and trip
        numbers, any other shipment its number"""
        source = charge.event.source
        name = getattr(source, '__name__', None)
        if name == 'otwb.tms.trip':
            return None, source.number
        if name == 'otwb.tms.trip.stop':
            return (source.shipment.number if source.shipment else None,
                source.trip.number)
        return getattr(source, 'number', None), None

    def _expected_charges(self):
        Charge = Pool().get('otwb.bms.charge')
        domain = [
            ('company', '=', self.company.id),
            ('kind', '=', 'payable'),
            ('party', '=', self.carrier.id),
            ('invoice_line', '=', None),
            ]
        if self.date_from:
            domain.append(('date', '>=', self.date_from))
        if self.date_to:
            domain.append(('date', '<=', self.date_to))
        return Charge.search(domain, order=[('date', 'ASC'), ('id', 'ASC')])

    @classmethod
    @ModelView.button
    @Workflow.transition('reconciled')
    def reconcile(cls, bills):
        """Match the bill lines with the open payable charges of the
        carrier: by tracking number, then trip, then date and amount;
        approved within the tolerance, disputed otherwise; the rest is
        unmatched on either side."""
        pool = Pool()
        Line = pool.get('otwb.bms.carrier_bill.line')
        Expected = pool.get('otwb.bms.carrier_bill.expected')
        for bill in bills:
            if not bill.lines:
                cls.import_file([bill])
                bill = cls(bill.id)
            Expected.delete(list(bill.expected))
            charges = bill._expected_charges()
            expected = []
            records = {}
            for charge in charges:
                tracking, trip_ref = cls._refs(charge)
                expected.append(recon.ExpectedCharge(
                        id=charge.id, amount=charge.amount,
                        tracking=tracking, trip_ref=trip_ref,
                        date=charge.date, currency=charge.currency.code))
                records[charge.id] = Expected(
                    bill=bill, charge=charge, amount=charge.amount,
                    tracking=tracking, trip_ref=trip_ref, date=charge.date,
                    status='unmatched')
            lines = {line.line_no: line for line in bill.lines}
            bill_lines = [recon.BillLine(
                    line_no=line.line_no, amount=line.amount,
                    tracking=line.tracking, trip_ref=line.trip_ref,
                    date=line.date, currency=line.currency_code)
                for line in bill.lines]
            try:
                result = recon.reconcile(
                    bill_lines, expected, recon.Tolerance(
                        abs_tol=bill.tolerance_abs,
                        pct=bill.tolerance_pct))
            except ValueError as exc:
                raise ValidationError(gettext(
                        'otwb_bms.msg_carrier_bill_parse',
                        file=bill.file_name or '', error=str(exc))) from exc
            for line in lines.values():
                line.status = 'unmatched'
                line.group = None
                line.matched_by = None
                line.expected_amount = None
                line.difference = None
                line.reason = gettext('otwb_bms.msg_reason_unmatched_bill')
            group = 0
            for match in result.approved + result.disputed:
                group += 1
                status = 'approved' if match.approved else 'disputed'
                for bill_line in match.bill_lines:
                    line = lines[bill_line.line_no]
                    line.status = status
                    line.group = group
                    line.matched_by = match.matched_by
                    line.expected_amount = match.expected_amount
                    line.difference = match.difference
                    line.reason = match.reason or ''
                for item in match.expected:
                    record = records[item.id]
                    record.status = status
                    record.group = group
                    record.reason = match.reason or ''
            for item in result.unmatched_expected:
                records[item.id].reason = gettext(
                    'otwb_bms.msg_reason_unmatched_expected')
            Line.save(list(lines.values()))
            Expected.save(list(records.values()))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, bills):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('invoiced')
    def create_invoice(cls, bills):
        """The approved charges become one supplier invoice per bill,
        validated (to be posted by the accountant) with the bill
        reference; disputed and unmatched charges stay open."""
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        Invoice = pool.get('account.invoice')
        for bill in bills:
            charges = [e.charge for e in bill.expected
                if e.status == 'approved' and not e.charge.invoice_line]
            if not charges:
                continue
            invoices = Charge.invoice(charges, post=False)
            for invoice in invoices:
                invoice.reference = bill.reference
            Invoice.save(invoices)
            Invoice.validate_invoice(invoices)
            bill.invoice = invoices[0]
        cls.save(bills)


class CarrierBillLine(ModelSQL, ModelView):
    "Carrier Bill Line"
    __name__ = 'otwb.bms.carrier_bill.line'
    __string__ = "Carrier Bill Line"

    bill = fields.Many2One(
        'otwb.bms.carrier_bill', "Bill", required=True, ondelete='CASCADE')
    line_no = fields.Integer("Line", required=True)
    tracking = fields.Char("Tracking Number")
    trip_ref = fields.Char("Trip")
    date = fields.Date("Date")
    amount = fields.Numeric("Billed Amount", digits=(16, 2), required=True)
    currency_code = fields.Char("Currency")
    status = fields.Selection(STATUS, "Status", required=True)
    group = fields.Integer("Match Group")
    matched_by = fields.Char("Matched By")
    expected_amount = fields.Numeric("Expected (group)", digits=(16, 2))
    difference = fields.Numeric(
        "Difference (group)", digits=(16, 2),
        help="Billed minus expected; positive: overcharged.")
    reason = fields.Char("Reason")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('bill', 'DESC'), ('line_no', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_status(cls):
        return 'pending'


class CarrierBillExpected(ModelSQL, ModelView):
    "Carrier Bill Expected Charge"
    __name__ = 'otwb.bms.carrier_bill.expected'
    __string__ = "Carrier Bill Expected Charge"

    bill = fields.Many2One(
        'otwb.bms.carrier_bill', "Bill", required=True, ondelete='CASCADE')
    charge = fields.Many2One(
        'otwb.bms.charge', "Charge", required=True, ondelete='CASCADE')
    amount = fields.Numeric("Expected Amount", digits=(16, 2))
    tracking = fields.Char("Tracking Number")
    trip_ref = fields.Char("Trip")
    date = fields.Date("Date")
    status = fields.Selection(STATUS, "Status", required=True)
    group = fields.Integer("Match Group")
    reason = fields.Char("Reason")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('bill', 'DESC'), ('date', 'ASC'), ('id', 'ASC')]
