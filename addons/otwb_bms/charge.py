# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Billable events captured exactly once, rated into charges, invoiced."""
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .engine import rating
from .rate_card import CHARGE_TYPES, MODES

QUANTITIES = ['kg', 'm3', 'km', 'units', 'lines', 'orders', 'cartons',
    'pallets', 'days', 'pallet_days', 'declared_value']


def _dec(value):
    return None if value is None else Decimal(str(value))


class BillableEvent(ModelSQL, ModelView):
    "Billable Event"
    __name__ = 'otwb.bms.event'

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

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def get_sources(cls):
        Model = Pool().get('ir.model')
        models = ['stock.shipment.out', 'otwb.tms.trip', 'otwb.tms.trip.stop',
            'sale.sale', 'stock.shipment.in', 'otwb.wms.task']
        return [(None, '')] + [(m, Model.get_name(m)) for m in models]

    @classmethod
    def capture(cls, vlist):
        """Create the events not captured yet (unique on source and
        activity) and rate them; returns the new events."""
        keys = {(str(v['source']), v['activity']) for v in vlist}
        existing = {(str(e.source), e.activity) for e in cls.search([
                    ('source', 'in', list({k[0] for k in keys})),
                    ])}
        todo, seen = [], set()
        for values in vlist:
            key = (str(values['source']), values['activity'])
            if key in existing or key in seen:
                continue
            seen.add(key)
            values = values.copy()
            values['source'] = str(values['source'])
            todo.append(values)
        events = cls.create(todo) if todo else []
        if events:
            cls.rate(events)
        return events

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
    def rate(cls, events):
        "Rate pending events into receivable and payable charges"
        pool = Pool()
        Card = pool.get('otwb.bms.rate_card')
        Charge = pool.get('otwb.bms.charge')
        Currency = pool.get('currency.currency')
        events = [e for e in events if e.state == 'pending']
        cache = {}

        def cards(kind, date):
            if (kind, date) not in cache:
                cache[kind, date] = Card.compiled(kind, date)
            return cache[kind, date]

        currencies = {c.code: c for c in Currency.search([])}
        charges = []
        for event in events:
            engine_event = event.to_engine()
            for kind, party in (('receivable', event.customer),
                    ('payable', event.carrier)):
                if not party:
                    continue
                applicable = rating.applicable_cards(
                    cards(kind, event.date), party.id, kind, event.date)
                for charge in rating.rate(applicable, engine_event):
                    charges.append(Charge(
                            company=event.company, event=event, kind=kind,
                            party=party, date=event.date,
                            charge_type=charge.charge_type,
                            code=charge.code, amount=charge.amount,
                            currency=currencies[charge.currency],
                            card=charge.card_id,
                            card_version=charge.card_version,
                            rate_line=charge.line_id,
                            quantity=_dec(charge.quantity),
                            unit=charge.unit,
                            explanation=charge.explanation[:1000]))
        Charge.save(charges)
        cls.write(events, {'state': 'rated'})
        return charges


class Charge(ModelSQL, ModelView):
    "Charge"
    __name__ = 'otwb.bms.charge'

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
    invoice_line = fields.Many2One('account.invoice.line', "Invoice Line",
        readonly=True)
    state = fields.Function(fields.Selection([
                ('open', "Open"),
                ('invoiced', "Invoiced"),
                ], "State"), 'get_state', searcher='search_state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    def get_state(self, name):
        return 'invoiced' if self.invoice_line else 'open'

    @classmethod
    def search_state(cls, name, clause):
        _, operator, value = clause
        invoiced = (operator == '=') == (value == 'invoiced')
        return [('invoice_line', '!=' if invoiced else '=', None)]

    @classmethod
    def invoice(cls, charges, post=True):
        """Invoice the open charges: one customer invoice per receivable
        party and currency, one supplier invoice per payable party and
        currency; each line points to its charge.  Returns the invoices."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Config = pool.get('otwb.configuration')
        Date = pool.get('ir.date')
        product = Config(1).bms_service_product
        if not product:
            raise ValidationError(gettext('otwb_bms.msg_no_service_product'))
        charges = [c for c in cls.browse(charges) if not c.invoice_line]
        cls.lock(charges)
        groups = defaultdict(list)
        for charge in charges:
            groups[(charge.company, charge.kind, charge.party,
                    charge.currency)].append(charge)
        invoices = []
        for (company, kind, party, currency), group in groups.items():
            invoice = Invoice(
                company=company, party=party, currency=currency,
                type='out' if kind == 'receivable' else 'in',
                invoice_date=Date.today())
            invoice.on_change_type()
            invoice.on_change_party()
            lines = []
            for charge in group:
                line = Line(
                    invoice=invoice, company=company, currency=currency,
                    type='line', product=product, quantity=1,
                    unit=product.default_uom, party=party,
                    invoice_type=invoice.type)
                line.on_change_product()
                line.unit_price = charge.amount
                line.description = '%s: %s' % (
                    charge.charge_type, (charge.explanation or '')[:200])
                line.origin = charge
                lines.append(line)
            invoice.lines = lines
            invoices.append(invoice)
        Invoice.save(invoices)
        Invoice.update_taxes(invoices)
        to_write = []
        for invoice in invoices:
            for line in invoice.lines:
                to_write.extend(([line.origin], {'invoice_line': line.id}))
        if to_write:
            cls.write(*to_write)
        if post and invoices:
            Invoice.validate_invoice(invoices)
            Invoice.post(invoices)
        return invoices


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['otwb.bms.charge']


