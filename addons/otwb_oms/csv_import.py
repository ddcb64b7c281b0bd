# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""CSV import of channel orders for channels without an API.

The file goes through the same validation and inbox as the RPC intake;
errors are reported by CSV line number.
"""
import re

from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .engine import intake as engine

_LINE_FIELD = re.compile(r'^lines\[(\d+)\]')


def import_csv(text, delimiter=','):
    """Validate and store the orders of a CSV text.

    Returns (results, messages): the intake results of the parsed orders
    and one message per problem, each starting with its CSV line number.
    """
    Intake = Pool().get('otwb.oms.intake')
    orders, errors = engine.parse_csv(text, delimiter=delimiter)
    messages = [e['message'] for e in errors]
    results = []
    if orders:
        results = Intake.submit([o.payload for o in orders], source='csv')
    for order, result in zip(orders, results):
        first = order.line_numbers[0] if order.line_numbers else 0
        for error in result.get('errors') or []:
            line = first
            match = _LINE_FIELD.match(error['field'])
            if match and int(match.group(1)) < len(order.line_numbers):
                line = order.line_numbers[int(match.group(1))]
            messages.append('line %d: %s' % (line, error['message']))
        if result['status'] == 'duplicate':
            messages.append('line %d: order %s already imported' % (
                    first, order.payload.get('external_id')))
    return results, messages


class ImportCSVStart(ModelView):
    "Import Orders from CSV"
    __string__ = "Import Orders from CSV"
    __name__ = 'otwb.oms.intake.import_csv.start'

    file = fields.Binary("File", required=True,
        help="UTF-8 CSV, one row per order line; header: "
        + ', '.join(engine.CSV_COLUMNS))
    delimiter = fields.Selection([
            (',', "Comma"),
            (';', "Semicolon"),
            ('\t', "Tab"),
            ], "Delimiter", required=True)

    @classmethod
    def default_delimiter(cls):
        return ','


class ImportCSVResult(ModelView):
    "Import Orders from CSV"
    __string__ = "Import Orders from CSV"
    __name__ = 'otwb.oms.intake.import_csv.result'

    accepted = fields.Integer("Accepted", readonly=True)
    duplicates = fields.Integer("Duplicates", readonly=True)
    rejected = fields.Integer("Rejected", readonly=True)
    messages = fields.Text("Problems", readonly=True)


class ImportCSV(Wizard):
    "Import Orders from CSV"
    __name__ = 'otwb.oms.intake.import_csv'

    start = StateView('otwb.oms.intake.import_csv.start',
        'otwb_oms.import_csv_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView('otwb.oms.intake.import_csv.result',
        'otwb_oms.import_csv_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        data = self.start.file or b''
        if isinstance(data, memoryview):
            data = data.tobytes()
        try:
            text = data.decode('utf-8-sig')
        except UnicodeDecodeError as exc:
            self.result.accepted = self.result.duplicates = 0
            self.result.rejected = 0
            self.result.messages = "the file is not UTF-8: %s" % exc
            return 'result'
        results, messages = import_csv(text, self.start.delimiter)
        statuses = [r['status'] for r in results]
        self.result.accepted = statuses.count('accepted')
        self.result.duplicates = statuses.count('duplicate')
        self.result.rejected = len(statuses) - self.result.accepted \
            - self.result.duplicates
        self.result.messages = '\n'.join(messages)
        return 'result'

    def default_result(self, fields):
        return {
            'accepted': self.result.accepted,
            'duplicates': self.result.duplicates,
            'rejected': self.result.rejected,
            'messages': self.result.messages,
            }
