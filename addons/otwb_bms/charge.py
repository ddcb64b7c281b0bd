# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Billable events captured exactly once, rated into charges, invoiced."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql import Null
from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.account.exceptions import AccountMissing
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .bulk import CHUNK, BulkSQLMixin
from .engine import rating
from .rate_card import CHARGE_TYPES, MODES

QUANTITIES = ['kg', 'm3', 'km', 'units', 'lines', 'orders', 'cartons',
    'pallets', 'days', 'pallet_days', 'declared_value']


def _dec(value):
    return None if value is None else Decimal(str(value))


class BillableEvent(BulkSQLMixin, ModelSQL, ModelView):
    "Billable Event"
    __name__ = 'otwb.bms.event'
    __string__ = "Billable Event"

    company = fields.Many2One('company.company', "Company", required=True)
    source = fields.Reference(
        "Source", selection='get_sources', required=True, readonly=True)
    activity = fields.Char(
        "Activity", required=True, readonly=True,
        help="What happened: shipment_delivered, order_handled, "
        "trip_completed, …; one event per source and activity.")
    date = fields.Date("Date", required=True, readonly=True)
    customer = fields.Many2One('party.party', "Customer", readonly=True)
    carrier = fields.Many2One(
        'party.party', "Carrier / Vendor", readonly=True)
    mode = fields.Selection(MODES, "Mode", readonly=True)
    service_level = fields.Char("Service Level", readonly=True)
    cargo_class = fields.Char("Cargo Class", readonly=True)
    origin_country = fields.Char("Origin Country", readonly=True)
    origin_subdivision = fields.Char("Origin Subdivision", readonly=True)
    origin_postal_code = fields.Char("Origin Postal Code", readonly=True)
    dest_country = fields.Char("Destination Country", readonly=True)
    dest_subdivision = fields.Char("Destination Subdivision", readonly=True)
    dest_postal_code = fields.Char("Destination Postal Code", readonly=True)
    kg = fields.Numeric("Weight (kg)", digits=(16, 3), readonly=True)
    m3 = fields.Numeric("Volume (m³)", digits=(16, 4), readonly=True)
    km = fields.Numeric("Distance (km)", digits=(16, 2), readonly=True)
    units = fields.Numeric("Units", digits=(16, 2), readonly=True)
    lines = fields.Numeric("Lines", digits=(16, 0), readonly=True)
    orders = fields.Numeric("Orders", digits=(16, 0), readonly=True)
    cartons = fields.Numeric("Cartons", digits=(16, 0), readonly=True)
    pallets = fields.Numeric("Pallets", digits=(16, 2), readonly=True)
    days = fields.Numeric("Days", digits=(16, 2), readonly=True)
    pallet_days = fields.Numeric("Pallet-days", digits=(16, 2),
        readonly=True)
    declared_value = fields.Numeric(
        "Declared Value", digits=(16, 2), readonly=True)
    charges = fields.One2Many('otwb.bms.charge', 'event', "Charges",
        readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('rated', "Rated"),
            ], "State", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('source_activity_unique', Unique(t, t.source, t.activity),
                'otwb_bms.msg_event_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality(
                        cardinality='low'))))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'rerate': {
                    'invisible': Eval('state') != 'rated',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def get_sources(cls):
        Model = Pool().get('ir.model')
        # stock.location: daily storage snapshot of a bin (activity
        # 'storage:YYYY-MM-DD', one event per bin and day)
        models = ['stock.shipment.out', 'otwb.tms.trip', 'otwb.tms.trip.stop',
            'sale.sale', 'stock.shipment.in', 'otwb.wms.task',
            'stock.location']
        return [(None, '')] + [(m, Model.get_name(m)) for m in models]

    @classmethod
    def capture(cls, vlist):
        """Create the events not captured yet (unique on source and
        activity) and rate them; returns the new events."""
        todo, seen = [], set()
        for values in vlist:
            key = (str(values['source']), values['activity'])
            if key in seen:
                continue
            seen.add(key)
            values = values.copy()
            values['source'] = key[0]
            todo.append(values)
        existing = cls._captured(seen)
        todo = [v for v in todo if (v['source'], v['activity'])
            not in existing]
        if not todo:
            return []
        # one multi-row INSERT per batch; the unique index on source and
        # activity still guarantees exactly once against a concurrent
        # capture (its transaction fails here and is retried)
        try:
            ids = cls.sql_insert(todo)
        except backend.DatabaseIntegrityError as exc:
            raise ValidationError(
                gettext('otwb_bms.msg_event_unique')) from exc
        events = cls.browse_slices(ids)
        cls.rate(events)
        return events

    @classmethod
    def _captured(cls, keys):
        """The (source, activity) pairs of ``keys`` already captured: one
        query per activity and chunk of sources (the unique index on
        source and activity), without instantiating events."""
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        by_activity = defaultdict(list)
        for source, activity in keys:
            by_activity[activity].append(source)
        found = set()
        for activity, sources in sorted(by_activity.items()):
            for sub in grouped_slice(sorted(sources), CHUNK):
                cursor.execute(*table.select(table.source, table.activity,
                        where=(table.activity == activity)
                        & table.source.in_(list(sub))))
                found.update(cursor)
        return found

    def to_engine(self):
        return rating.RatingEvent(
            date=self.date, mode=self.mode,
            origin=rating.Address(
                country=self.origin_country,
                subdivision=self.origin_subdivision,
                postal_code=self.origin_postal_code)
            if self.origin_country else None,
            destination=rating.Address(
                country=self.dest_country,
                subdivision=self.dest_subdivision,
                postal_code=self.dest_postal_code)
            if self.dest_country else None,
            service_level=self.service_level or None,
            cargo_class=self.cargo_class or None,
            activity=self.activity,
            **{q: getattr(self, q) for q in QUANTITIES},
            ref=self.id)

    @classmethod
    def _rate_engine(cls, events):
        """Rate events with the cards valid on their dates; returns
        [(event, kind, party, engine charge), ...]."""
        pool = Pool()
        Card = pool.get('otwb.bms.rate_card')
        cache = {}

        def cards(kind, date):
            if (kind, date) not in cache:
                cache[kind, date] = Card.compiled(kind, date)
            return cache[kind, date]

        result = []
        for event in events:
            engine_event = event.to_engine()
            for kind, party in (('receivable', event.customer),
                    ('payable', event.carrier)):
                if not party:
                    continue
                try:
                    applicable = rating.applicable_cards(
                        cards(kind, event.date), party.id, kind, event.date)
                    charges = rating.rate(applicable, engine_event)
                except ValueError as exc:
                    raise ValidationError(gettext(
                            'otwb_bms.msg_event_rating',
                            event=event.rec_name, kind=kind,
                            error=str(exc))) from exc
                for charge in charges:
                    result.append((event, kind, party, charge))
        return result

    @classmethod
    def rate(cls, events):
        "Rate pending events into receivable and payable charges"
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        Currency = pool.get('currency.currency')
        events = [e for e in events if e.state == 'pending']
        currencies = {c.code: c.id for c in Currency.search([])}
        vlist = []
        for event, kind, party, charge in cls._rate_engine(events):
            vlist.append({
                    'company': event.company.id, 'event': event.id,
                    'kind': kind, 'party': party.id, 'date': event.date,
                    'charge_type': charge.charge_type,
                    'code': charge.code, 'amount': charge.amount,
                    'currency': currencies[charge.currency],
                    'card': charge.card_id,
                    'card_version': charge.card_version,
                    'rate_line': charge.line_id,
                    'quantity': _dec(charge.quantity),
                    'unit': charge.unit,
                    'explanation': charge.explanation[:1000],
                    })
        # the rows are computed here: one multi-row INSERT per batch
        # instead of the ORM's per-record validation
        charges = Charge.browse_slices(Charge.sql_insert(vlist))
        if events:
            table = cls.__table__()
            for sub in grouped_slice([e.id for e in events], CHUNK):
                cls.sql_update(table, {'state': 'rated'},
                    reduce_ids(table.id, sub))
        return charges

    @classmethod
    @ModelView.button
    def rerate(cls, events):
        """Rate rated events again with the cards valid today on their
        dates (e.g. after a rate card correction) and record only the
        differences as adjustment charges: a charge type and code whose
        amount is unchanged gets nothing, a changed one gets one charge of
        (new - already charged), a vanished one is reversed.  Returns the
        adjustment charges."""
        pool = Pool()
        Charge = pool.get('otwb.bms.charge')
        Currency = pool.get('currency.currency')
        events = [e for e in events if e.state == 'rated']
        Charge.lock([c for e in events for c in e.charges])
        currencies = {c.code: c for c in Currency.search([])}
        new = defaultdict(list)
        for event, kind, party, charge in cls._rate_engine(events):
            new[event.id, kind, party.id, charge.charge_type,
                charge.code].append(charge)
        old = defaultdict(list)
        for event in events:
            for charge in event.charges:
                old[event.id, charge.kind, charge.party.id,
                    charge.charge_type, charge.code].append(charge)
        by_id = {e.id: e for e in events}
        adjustments = []
        for key in sorted(set(new) | set(old), key=str):
            event_id, kind, party_id, charge_type, code = key
            event = by_id[event_id]
            before = defaultdict(Decimal)
            for charge in old.get(key, []):
                before[charge.currency.code] += charge.amount
            after = {}
            for charge in new.get(key, []):
                after[charge.currency] = charge
            for code_ in sorted(set(before) | set(after)):
                charge = after.get(code_)
                amount = charge.amount if charge else Decimal(0)
                diff = amount - before.get(code_, Decimal(0))
                if not diff:
                    continue
                if charge:
                    explanation = '%s; already charged %s %s: ' \
                        'adjustment %s' % (
                            charge.explanation, before.get(code_, 0),
                            code_, diff)
                    card, version, line = (charge.card_id,
                        charge.card_version, charge.line_id)
                    quantity, unit = _dec(charge.quantity), charge.unit
                else:
                    last = old[key][-1]
                    explanation = 'no rate card line applies any more; ' \
                        'reversal of %s %s' % (before[code_], code_)
                    card, version, line = (last.card, last.card_version,
                        last.rate_line)
                    quantity, unit = None, None
                adjustments.append(Charge(
                        company=event.company, event=event, kind=kind,
                        party=party_id, date=event.date,
                        charge_type=charge_type, code=code, amount=diff,
                        currency=currencies[code_], card=card,
                        card_version=version, rate_line=line,
                        quantity=quantity, unit=unit, adjustment=True,
                        explanation=explanation[:1000]))
        Charge.save(adjustments)
        try:
            Allocation = pool.get('otwb.bms.allocation')
        except KeyError:
            Allocation = None
        if Allocation and adjustments:
            Allocation.allocate(adjustments)
        return adjustments


class Charge(BulkSQLMixin, ModelSQL, ModelView):
    "Charge"
    __name__ = 'otwb.bms.charge'
    __string__ = "Charge"

    company = fields.Many2One('company.company', "Company", required=True,
        readonly=True)
    event = fields.Many2One(
        'otwb.bms.event', "Event", required=True, readonly=True,
        ondelete='RESTRICT')
    kind = fields.Selection([
            ('receivable', "Receivable"),
            ('payable', "Payable"),
            ], "Kind", required=True, readonly=True)
    party = fields.Many2One('party.party', "Party", required=True,
        readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    charge_type = fields.Selection(CHARGE_TYPES, "Charge Type",
        required=True, readonly=True)
    code = fields.Char("Code", readonly=True)
    amount = fields.Numeric("Amount", digits=(16, 2), required=True,
        readonly=True)
    currency = fields.Many2One('currency.currency', "Currency",
        required=True, readonly=True)
    card = fields.Many2One('otwb.bms.rate_card', "Rate Card", readonly=True,
        ondelete='RESTRICT')
    card_version = fields.Integer("Card Version", readonly=True)
    rate_line = fields.Many2One('otwb.bms.rate_card.line', "Rate Line",
        readonly=True, ondelete='RESTRICT')
    quantity = fields.Numeric("Quantity", digits=(16, 4), readonly=True)
    unit = fields.Char("Unit", readonly=True)
    explanation = fields.Text("Computation", readonly=True)
    adjustment = fields.Boolean(
        "Adjustment", readonly=True,
        help="Difference created by re-rating the event after a rate card "
        "correction.")
    invoiced_amount = fields.Numeric(
        "Invoiced Amount", digits=(16, 2), readonly=True,
        help="The amount in the invoice currency (converted at the rate of "
        "the charge date).")
    invoiced_currency = fields.Many2One(
        'currency.currency', "Invoiced Currency", readonly=True)
    invoice_line = fields.Many2One('account.invoice.line', "Invoice Line",
        readonly=True)
    billing_run = fields.Many2One(
        'otwb.bms.billing_run', "Billing Run", readonly=True)
    accrual = fields.Many2One(
        'otwb.bms.accrual', "Accrual", readonly=True, ondelete='RESTRICT',
        help="The accrual run that posted this charge while unbilled.")
    accrual_reversal = fields.Many2One(
        'account.move', "Accrual Reversal", readonly=True,
        help="The move reversing the accrual when the charge was "
        "invoiced.")
    state = fields.Function(fields.Selection([
                ('open', "Open"),
                ('invoiced', "Invoiced"),
                ], "State"), 'get_state', searcher='search_state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.invoice_line, Index.Equality()),
                    where=t.invoice_line == Null),
                Index(t, (t.event, Index.Equality())),
                })

    @classmethod
    def default_adjustment(cls):
        return False

    def get_rec_name(self, name):
        return '%s %s %s %s' % (
            self.charge_type, self.amount, self.currency.code,
            self.party.rec_name)

    @classmethod
    def invoice_currency(cls, charge):
        """Currency of the invoice for the charge: the party's billing
        currency, else (receivable) the company currency, else (payable)
        the charge currency."""
        return cls._invoice_currency(
            charge.company, charge.kind, charge.party, charge.currency)

    @classmethod
    def _invoice_currency(cls, company, kind, party, currency):
        invoice_currency = getattr(party, 'bms_currency', None)
        if not invoice_currency and kind == 'receivable':
            invoice_currency = getattr(party, 'customer_currency', None)
            if not invoice_currency:
                invoice_currency = company.currency
        return invoice_currency or currency

    def get_state(self, name):
        return 'invoiced' if self.invoice_line else 'open'

    @classmethod
    def search_state(cls, name, clause):
        _, operator, value = clause
        invoiced = (operator == '=') == (value == 'invoiced')
        return [('invoice_line', '!=' if invoiced else '=', None)]

    @classmethod
    def invoice(cls, charges, post=True, invoice_date=None, grouping=None,
            billing_run=None):
        """Invoice the open charges: one customer invoice per receivable
        party and invoice currency, one supplier invoice per payable party
        and currency.  The amounts are the charges converted at the rate
        of their dates.  ``grouping`` (default: the configuration):
        ``charge`` gives one invoice line per charge (its origin);
        ``charge_type`` one line per charge type and code summing its
        charges (every charge points to its line).  The charges are
        locked first: a concurrent run fails and is retried instead of
        invoicing them twice.  ``billing_run``: the run recorded on the
        charges invoiced (in the same UPDATE).  Returns the invoices."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Config = pool.get('otwb.configuration')
        Currency = pool.get('currency.currency')
        Company = pool.get('company.company')
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        Accrual = pool.get('otwb.bms.accrual')
        config = Config(1)
        product = config.bms_service_product
        grouping = grouping or config.bms_invoice_grouping or 'charge'
        if not product:
            raise ValidationError(gettext('otwb_bms.msg_no_service_product'))
        ids = sorted({int(c) for c in charges})
        cls.lock(ids)
        # read again after the lock, as rows (no record instances: the
        # charges of a run are tens of thousands)
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        rows = []
        for sub in grouped_slice(ids, CHUNK):
            cursor.execute(*table.select(
                    table.id, table.company, table.kind, table.party,
                    table.currency, table.charge_type, table.code,
                    table.date, table.amount, table.accrual,
                    where=reduce_ids(table.id, sub)
                    & (table.invoice_line == Null)))
            rows.extend(cursor)
        rows.sort()
        if not rows:
            return []
        # everything the invoices and the accrual reversal need, checked
        # before anything is written
        cls._check_invoicing({(r[1], r[2], r[5], r[9] is not None)
                for r in rows})
        invoice_date = invoice_date or Date.today()
        currencies = {c.id: c for c in Currency.browse(
                list({r[4] for r in rows}))}
        invoice_currencies = {}
        groups = defaultdict(list)
        for row in rows:
            company, kind, party, currency = row[1:5]
            key = (company, kind, party, currency)
            if key not in invoice_currencies:
                invoice_currencies[key] = cls._invoice_currency(
                    Company(company), kind, Party(party),
                    currencies[currency])
            groups[(company, kind, party,
                    invoice_currencies[key].id)].append(row)
        explanations = {}
        if grouping == 'charge':
            for sub in grouped_slice([r[0] for r in rows], CHUNK):
                cursor.execute(*table.select(table.id, table.explanation,
                        where=reduce_ids(table.id, sub)))
                explanations.update(cursor)
        invoices = []
        converted = {}
        rates = {}
        line_charges = []
        for (company, kind, party, currency), group in groups.items():
            company, party = Company(company), Party(party)
            currency = Currency(currency)
            invoice = Invoice(
                company=company, party=party, currency=currency,
                type='out' if kind == 'receivable' else 'in',
                invoice_date=invoice_date)
            invoice.on_change_type()
            invoice.on_change_party()
            template = Line(
                invoice=invoice, company=company, currency=currency,
                type='line', product=product, quantity=1,
                unit=product.default_uom, party=party,
                invoice_type=invoice.type)
            template.on_change_product()
            # the product's account, taxes and unit computed once
            defaults = {name: value
                for name, value in template._values._items()
                if name != 'invoice'}
            lines, members = [], []
            by_type = defaultdict(list)
            for row in group:
                id_, charge_currency, charge_type, code, date = (
                    row[0], row[4], row[5], row[6], row[7])
                # (SQLite returns NUMERIC as float)
                amount = currencies[charge_currency].round(
                    Decimal(str(row[8])))
                if isinstance(date, str):
                    date = dt.date.fromisoformat(date)
                note = ''
                if charge_currency != currency.id:
                    key = (charge_currency, date, amount, currency.id)
                    if key not in rates:
                        with Transaction().set_context(date=date):
                            rates[key] = Currency.compute(
                                currencies[charge_currency], amount,
                                currency)
                    note = ' [%s %s at the rate of %s]' % (
                        amount, currencies[charge_currency].code, date)
                    amount = rates[key]
                    converted[id_] = (amount, currency.id)
                else:
                    # invoiced_amount = amount, set in SQL
                    converted[id_] = (None, currency.id)
                if grouping == 'charge_type':
                    by_type[charge_type, code or ''].append(
                        (id_, amount, date))
                    continue
                line = cls._invoice_line(invoice, defaults, charge_type)
                line.unit_price = amount
                line.description = '%s%s: %s' % (
                    charge_type, note, (explanations[id_] or '')[:200])
                line.origin = cls(id_)
                lines.append(line)
                members.append([id_])
            for (charge_type, code), items in sorted(by_type.items()):
                line = cls._invoice_line(invoice, defaults, charge_type)
                line.unit_price = sum((a for _, a, _ in items), Decimal(0))
                dates = sorted(d for _, _, d in items)
                line.description = '%s%s: %d charges %s..%s' % (
                    charge_type, ' ' + code if code else '', len(items),
                    dates[0], dates[-1])
                line.origin = cls(items[0][0])
                lines.append(line)
                members.append([i for i, _, _ in items])
            invoice.lines = lines
            invoices.append(invoice)
            line_charges.append(members)
        Invoice.save(invoices)
        Invoice.update_taxes(invoices)
        writes = defaultdict(list)
        for invoice, members in zip(invoices, line_charges, strict=True):
            # the lines are created in order: ascending ids
            lines = sorted(invoice.lines, key=lambda line: line.id)
            for line, items in zip(lines, members, strict=True):
                for id_ in items:
                    amount, currency = converted[id_]
                    writes[line.id, amount, currency].append(id_)
        for (line_id, amount, currency), items in writes.items():
            for sub in grouped_slice(sorted(items), CHUNK):
                values = {
                    'invoice_line': line_id,
                    'invoiced_amount': table.amount if amount is None
                    else amount,
                    'invoiced_currency': currency,
                    }
                if billing_run is not None:
                    values['billing_run'] = int(billing_run)
                cls.sql_update(table, values, reduce_ids(table.id, sub))
        if post and invoices:
            Invoice.validate_invoice(invoices)
            Invoice.post(invoices)
        Accrual.reverse_charges([r[0] for r in rows], invoice_date)
        return invoices

    @classmethod
    def check_invoicing(cls, charges):
        """Raise a ValidationError naming what is missing in the
        configuration to invoice the open ``charges`` (products, their
        accounts, the accrual accounts of accrued charges), before
        anything is written."""
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        needs = set()
        for sub in grouped_slice(sorted({int(c) for c in charges}), CHUNK):
            cursor.execute(*table.select(
                    table.company, table.kind, table.charge_type,
                    table.accrual != Null,
                    where=reduce_ids(table.id, sub)
                    & (table.invoice_line == Null),
                    group_by=[table.company, table.kind, table.charge_type,
                        table.accrual != Null]))
            needs.update((c, k, t, bool(a)) for c, k, t, a in cursor)
        cls._check_invoicing(needs)

    @classmethod
    def _check_invoicing(cls, needs):
        """``needs``: set of (company id, kind, charge type, accrued).
        The service product and its account for each kind; the accrual
        accounts when accrued charges are reversed.  Hook: duty.py checks
        the customs charges."""
        pool = Pool()
        Config = pool.get('otwb.configuration')
        Company = pool.get('company.company')
        Accrual = pool.get('otwb.bms.accrual')
        product = Config(1).bms_service_product
        for company, kind, charge_type, _accrued in sorted(needs):
            if not cls._invoiced_as_service(charge_type):
                continue
            if not product:
                raise ValidationError(gettext(
                        'otwb_bms.msg_no_service_product'))
            cls._check_product_account(
                product, Company(company), kind, charge_type)
        for company in sorted({n[0] for n in needs if n[3]}):
            Accrual._accounts(Company(company))

    @classmethod
    def _invoiced_as_service(cls, charge_type):
        "Whether charges of the type are invoiced with the service product"
        return True

    @classmethod
    def _check_product_account(cls, product, company, kind, charge_type):
        "The product has the account of the kind of charges for company"
        name = ('account_revenue_used' if kind == 'receivable'
            else 'account_expense_used')
        with Transaction().set_context(company=company.id):
            record = product.__class__(product.id)
            try:
                account = getattr(record, name)
            except AccountMissing:
                account = None
        if not account:
            raise ValidationError(gettext(
                    'otwb_bms.msg_invoice_product_account',
                    product=product.rec_name, company=company.rec_name,
                    account=gettext('otwb_bms.msg_account_revenue'
                        if kind == 'receivable'
                        else 'otwb_bms.msg_account_expense'),
                    kind=kind, charge_type=charge_type))

    @classmethod
    def _invoice_line(cls, invoice, defaults, charge_type):
        """A new invoice line of ``invoice`` for charges of
        ``charge_type``; ``defaults``: the service product's values
        (account, taxes, unit).  Hook: see duty.py."""
        Line = Pool().get('account.invoice.line')
        return Line(invoice=invoice, **defaults)


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['otwb.bms.charge']


