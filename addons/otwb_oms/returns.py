# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""After-sales: customer returns (RMA), exchanges and refunds.

An RMA is built on Tryton's own return mechanism (the "Return Sale"
wizard): authorizing it creates a *return sale*, a copy of the original
order with negative quantities for the returned lines at the same prices
(origin: the original sale).  Processing that sale creates the customer
return shipment (``stock.shipment.out.return``); invoicing it creates the
credit note (an ``out`` invoice with a negative total).

Workflow: draft → authorized (return sale and return shipment) → received
(shipment received and done, each line's disposition applied: restock lines
go to the warehouse storage, scrap lines to a waste location of the
warehouse) → done (refund: credit note posted; exchange: replacement order
confirmed).  Draft and authorized RMAs can be cancelled.
"""
from collections import defaultdict

from sql import Null
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import (
    Index,
    Model,
    ModelSQL,
    ModelView,
    Unique,
    Workflow,
    fields,
)
from trytond.model.exceptions import AccessError
from trytond.modules.otwb_base.otwb import searchable
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction, check_access, without_check_access

from .engine.intake import payload_hash

REASONS = [
    ('damaged', "Damaged"),
    ('defective', "Defective"),
    ('wrong_item', "Wrong Item"),
    ('not_as_described', "Not as Described"),
    ('changed_mind', "Changed Mind"),
    ('late_delivery', "Late Delivery"),
    ('other', "Other"),
    ]
TYPES = [
    ('refund', "Refund"),
    ('exchange', "Exchange"),
    ]
DISPOSITIONS = [
    ('restock', "Restock"),
    ('scrap', "Scrap"),
    ]
STATES = [
    ('draft', "Draft"),
    ('authorized', "Authorized"),
    ('received', "Received"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]


class Return(Workflow, ModelSQL, ModelView):
    "Customer Return (RMA)"
    __name__ = 'otwb.oms.return'
    __string__ = "Customer Return"
    _rec_name = 'number'

    _draft = {'readonly': Eval('state') != 'draft'}

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    sale = fields.Many2One(
        'sale.sale', "Original Order", required=True, states=_draft,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('otwb_channel', '!=', None),
            ['OR',
                ('origin', '=', None),
                ('origin', 'like', 'otwb.oms.return,%'),
                ],
            ('state', 'in', ['processing', 'done']),
            ],
        help="A channel order or the replacement order of an exchange.")
    party = fields.Many2One('party.party', "Customer", readonly=True)
    channel = fields.Many2One('otwb.oms.channel', "Channel", readonly=True)
    warehouse = fields.Function(
        fields.Many2One('stock.location', "Warehouse"), 'get_sale_field')
    reason = fields.Selection(REASONS, "Reason", required=True,
        states=_draft)
    comment = fields.Text("Comment")
    type = fields.Selection(TYPES, "Type", required=True, states=_draft,
        help="Refund: a credit note for the returned lines.\n"
        "Exchange: a replacement order, no credit note.")
    lines = fields.One2Many('otwb.oms.return.line', 'rma', "Lines",
        states={
            'readonly': (Eval('state') != 'draft') | ~Eval('sale'),
            })
    return_sale = fields.Many2One(
        'sale.sale', "Return Sale", readonly=True,
        help="Tryton's return sale (negative quantities) behind the RMA.")
    replacement_sale = fields.Many2One(
        'sale.sale', "Replacement Order", readonly=True)
    credit_note = fields.Many2One(
        'account.invoice', "Credit Note", readonly=True)
    shipments = fields.Function(fields.Many2Many(
            'stock.shipment.out.return', None, None, "Return Shipments"),
        'get_shipments')
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    request_key = fields.Char("Request Key", readonly=True,
        help="The channel and the request id of the return request that "
        "opened this RMA: a request sent again is answered, not redone.")
    request_hash = fields.Char("Request Hash", readonly=True)

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.sale, Index.Equality())),
                Index(t, (t.return_sale, Index.Equality())),
                Index(t, (t.request_key, Index.Equality()),
                    where=t.request_key != Null),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(['draft', 'authorized', 'received'])),
                })
        # one RMA per order of a request: two processes receiving the
        # same request at once cannot both open it
        cls._sql_constraints += [
            ('request_sale_unique', Unique(t, t.request_key, t.sale),
                'otwb_oms.msg_return_request_unique'),
            ]
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'authorized'),
            ('authorized', 'received'),
            ('received', 'done'),
            ('draft', 'cancelled'),
            ('authorized', 'cancelled'),
            }
        cls._buttons.update({
                'authorize': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'receive': {
                    'invisible': Eval('state') != 'authorized',
                    'depends': ['state'],
                    },
                'do': {
                    'invisible': Eval('state') != 'received',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'authorized']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_type(cls):
        return 'refund'

    @fields.depends('sale')
    def on_change_sale(self):
        if self.sale:
            self.party = self.sale.party
            self.channel = self.sale.otwb_channel
            self.company = self.sale.company
        else:
            self.party = self.channel = None

    def get_sale_field(self, name):
        if self.sale and self.sale.warehouse:
            return self.sale.warehouse.id

    def get_shipments(self, name):
        if self.return_sale:
            return [s.id for s in self.return_sale.shipment_returns]
        return []

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Sale = pool.get('sale.sale')
        values = super().preprocess_values(mode, values)
        if values.get('sale'):
            sale = Sale(values['sale'])
            values['party'] = sale.party.id
            values['channel'] = (
                sale.otwb_channel.id if sale.otwb_channel else None)
        return values

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Line = pool.get('otwb.oms.return.line')
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        # Bad quantities are refused before anything is written
        items = []
        for values in vlist:
            for action in values.get('lines') or []:
                if action[0] == 'create':
                    items.extend(
                        (v.get('sale_line'), v.get('quantity'))
                        for v in action[1])
        Line.check_returnable(items)
        sequence = Sequence(ModelData.get_id('otwb_oms', 'sequence_return'))
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            if not values.get('number'):
                values['number'] = sequence.get()
        return super().create(vlist)

    @classmethod
    def copy(cls, returns, default=None):
        default = default.copy() if default else {}
        for name in ('number', 'return_sale', 'replacement_sale',
                'credit_note'):
            default.setdefault(name, None)
        return super().copy(returns, default=default)

    @classmethod
    def check_modification(cls, mode, returns, values=None, external=False):
        super().check_modification(
            mode, returns, values=values, external=external)
        if mode == 'delete':
            for rma in returns:
                if rma.state not in {'draft', 'cancelled'}:
                    raise AccessError(gettext(
                            'otwb_oms.msg_return_delete',
                            rma=rma.rec_name))

    # --- workflow -------------------------------------------------------
    @classmethod
    @ModelView.button
    @Workflow.transition('authorized')
    def authorize(cls, returns):
        "Create the return sales and their customer return shipments"
        pool = Pool()
        Line = pool.get('otwb.oms.return.line')
        for rma in returns:
            if not rma.lines:
                raise UserError(gettext(
                        'otwb_oms.msg_return_no_lines', rma=rma.rec_name))
            if rma.sale.state not in {'processing', 'done'}:
                raise UserError(gettext(
                        'otwb_oms.msg_return_sale_state',
                        rma=rma.rec_name, sale=rma.sale.rec_name,
                        state=rma.sale.state))
        Line.check_returnable(
            [(ln.sale_line.id, ln.quantity)
                for r in returns for ln in r.lines],
            exclude=[ln.id for r in returns for ln in r.lines])
        cls._create_return_sales(returns)

    @classmethod
    @without_check_access
    def _create_return_sales(cls, returns):
        "Tryton's return sale: the order copied with negative quantities"
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        Line = pool.get('otwb.oms.return.line')
        sales, lines = [], []
        for rma in returns:
            default = {
                'origin': str(rma.sale),
                'lines': None,
                'otwb_intake': None,
                'otwb_events': None,
                'otwb_holds': None,
                'invoice_method': 'manual',
                'shipment_method': 'order',
                'comment': rma.comment,
                }
            default = {k: v for k, v in default.items()
                if k in Sale._fields}
            return_sale, = Sale.copy([rma.sale], default=default)
            return_sale.reference = rma.number
            return_sale.save()
            for line in rma.lines:
                line.return_sale_line, = SaleLine.copy([line.sale_line],
                    default={
                        'sale': return_sale.id,
                        'quantity': -line.quantity,
                        })
                lines.append(line)
            rma.return_sale = return_sale
            sales.append(return_sale)
        cls.save(returns)
        Line.save(lines)
        Sale.quote(sales)
        Sale.confirm(sales)
        Sale.process(sales)

    @classmethod
    @ModelView.button
    @Workflow.transition('received')
    def receive(cls, returns):
        """Receive the return shipments; the disposition of each line is
        applied when they are done (see ShipmentOutReturn)."""
        cls._receive_shipments(returns)

    @classmethod
    @without_check_access
    def _receive_shipments(cls, returns):
        Shipment = Pool().get('stock.shipment.out.return')
        shipments = [s for r in returns for s in r.shipments]
        drafts = [s for s in shipments if s.state == 'draft']
        if drafts:
            Shipment.receive(drafts)
        received = [s for s in Shipment.browse(shipments)
            if s.state == 'received']
        if received:
            Shipment.do(received)
        # RMAs whose shipments were done before (from the stock menu) or
        # that had nothing to receive
        cls._received(cls.browse([r.id for r in returns]))

    @classmethod
    @without_check_access
    def _received(cls, returns):
        """Record the disposition of the lines of the returns whose return
        shipments are all done; add 'returned' to the order timeline."""
        pool = Pool()
        Line = pool.get('otwb.oms.return.line')
        Event = pool.get('otwb.oms.order.event')
        lines = []
        for rma in returns:
            if rma.state != 'authorized':
                continue
            if any(s.state not in {'done', 'cancelled'}
                    for s in rma.shipments):
                continue
            if any(ln.location for ln in rma.lines):
                continue  # already recorded
            descriptions = []
            for line in rma.lines:
                line.location = line.final_location()
                lines.append(line)
                descriptions.append('%s × %s → %s' % (
                        line.quantity, line.product.rec_name,
                        line.disposition))
            Event.add([rma.sale], 'returned', source=rma,
                description='%s: %s' % (rma.number, ', '.join(descriptions)))
        Line.save(lines)
        cls.write([r for r in returns if r.state == 'authorized'
                and all(ln.location for ln in r.lines)],
            {'state': 'received'})

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, returns):
        "Settle: refund with a credit note, or ship the replacement"
        cls._refund([r for r in returns if r.type == 'refund'])
        cls._exchange([r for r in returns if r.type == 'exchange'])

    @classmethod
    @without_check_access
    def _refund(cls, returns):
        """Credit note of the returned lines, posted.

        A credit note reverses revenue and receivable, so it only makes
        sense against an invoice.  OMS orders use Tryton's 'manual'
        invoice method: channel orders are often paid on the channel and
        never invoiced by hand, and the billing module invoices logistics
        charges, not goods.  So when the returned lines of the original
        order were not invoiced yet, the order is invoiced first (Tryton's
        manual invoicing, posted): revenue and receivable then show the
        sale, the credit note its reversal, and the customer's balance the
        refund due.  When the order was invoiced already (by hand or by
        another module), only the credit note is created.  The credit note
        is the invoice of the return sale (negative quantities, same
        prices and taxes), so Tryton links its lines to the return sale
        lines.
        """
        if not returns:
            return
        pool = Pool()
        Sale = pool.get('sale.sale')
        Invoice = pool.get('account.invoice')
        Event = pool.get('otwb.oms.order.event')
        originals = []
        for rma in returns:
            if any(ln.sale_line._get_invoiced_quantity()
                    < ln.sale_line.quantity for ln in rma.lines) \
                    and rma.sale not in originals:
                originals.append(rma.sale)
        if originals:
            before = {i.id for s in originals for i in s.invoices}
            Sale.manual_invoice(originals)
            new = [i for s in Sale.browse(originals) for i in s.invoices
                if i.id not in before and i.state == 'draft']
            if new:
                Invoice.post(new)
        return_sales = [r.return_sale for r in returns]
        before = {i.id for s in return_sales for i in s.invoices}
        Sale.manual_invoice(return_sales)
        to_post = []
        returns = cls.browse([r.id for r in returns])
        for rma in returns:
            credit_notes = [i for i in rma.return_sale.invoices
                if i.id not in before]
            if credit_notes:
                rma.credit_note = credit_notes[0]
                to_post.extend(credit_notes)
        cls.save(returns)
        Invoice.post(to_post)
        for rma in cls.browse(returns):
            note = rma.credit_note
            if note:
                Event.add([rma.sale], 'refunded', source=note,
                    description='%s: %s %s %s' % (rma.number, note.number,
                        note.total_amount, note.currency.code))

    @classmethod
    @without_check_access
    def _exchange(cls, returns):
        """Replacement order: same customer, addresses, warehouse and
        channel; one line per returned line for its replacement product
        (the same product when empty) and the returned quantity, at the
        returned line's unit price.

        An exchange is value neutral: the replacement is priced as what
        was returned, neither the return nor the replacement is invoiced,
        so there is no credit note and no price difference to settle (a
        different price is a refund plus a new order).
        """
        if not returns:
            return
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        Event = pool.get('otwb.oms.order.event')
        sales = []
        for rma in returns:
            original = rma.sale
            lines = []
            for line in rma.lines:
                product = line.replacement_product or line.product
                sale_line = SaleLine(
                    type='line', product=product, quantity=line.quantity,
                    unit=line.sale_line.unit, description=None)
                sale_line.on_change_product()
                sale_line.unit = line.sale_line.unit
                sale_line.unit_price = line.sale_line.unit_price
                lines.append(sale_line)
            values = dict(
                company=original.company, party=original.party,
                invoice_address=original.invoice_address,
                shipment_address=original.shipment_address,
                warehouse=original.warehouse, currency=original.currency,
                payment_term=original.payment_term,
                sale_date=None, lines=lines, origin=rma,
                invoice_method='manual', shipment_method='order',
                reference=rma.number,
                comment='Exchange %s' % rma.number)
            for name in ('otwb_channel', 'otwb_external_id',
                    'otwb_service_level'):
                if name in Sale._fields:
                    values[name] = getattr(original, name)
            replacement = Sale(**values)
            replacement.save()
            rma.replacement_sale = replacement
            sales.append(replacement)
        cls.save(returns)
        for rma in returns:
            Event.add([rma.replacement_sale], 'received', source=rma,
                description='replacement for %s' % rma.number)
        Sale.otwb_confirm(sales)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, returns):
        cls._cancel_return_sales([r for r in returns if r.return_sale])

    @classmethod
    @without_check_access
    def _cancel_return_sales(cls, returns):
        "Cancel the return shipments; their moves are ignored on the sale"
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        Shipment = pool.get('stock.shipment.out.return')
        shipments = [s for r in returns for s in r.shipments]
        if any(s.state not in {'draft', 'cancelled'} for s in shipments):
            raise UserError(gettext(
                    'otwb_oms.msg_return_cancel_received',
                    rma=', '.join(r.rec_name for r in returns)))
        Shipment.cancel([s for s in shipments if s.state == 'draft'])
        for rma in returns:
            for line in rma.return_sale.line_lines:
                moves = [m.id for m in line.moves if m.state == 'cancelled']
                if moves:
                    SaleLine.write([line], {
                            'moves_ignored': [('add', moves)]})
        Sale.process([r.return_sale for r in returns])


class ReturnLine(ModelSQL, ModelView):
    "Customer Return Line"
    __string__ = "Customer Return Line"
    __name__ = 'otwb.oms.return.line'
    __string__ = "Customer Return Line"

    _draft = {'readonly': Eval('rma_state') != 'draft'}

    rma = fields.Many2One('otwb.oms.return', "Return", required=True,
        ondelete='CASCADE')
    rma_state = fields.Function(
        fields.Selection(STATES, "Return State"), 'on_change_with_rma_state')
    sale_line = fields.Many2One('sale.line', "Order Line", required=True,
        states=_draft,
        domain=[
            ('sale', '=', Eval('_parent_rma', {}).get('sale', -1)),
            ('type', '=', 'line'),
            ('quantity', '>', 0),
            ])
    product = fields.Many2One('product.product', "Product", readonly=True)
    quantity = fields.Float("Quantity", digits='unit', required=True,
        states=_draft,
        domain=[('quantity', '>', 0)])
    unit = fields.Function(
        fields.Many2One('product.uom', "Unit"), 'on_change_with_unit')
    unit_price = fields.Function(
        fields.Numeric("Unit Price", digits=(16, 4)), 'get_unit_price')
    reason = fields.Selection([(None, "")] + REASONS, "Reason",
        states=_draft, help="Leave empty for the reason of the return.")
    disposition = fields.Selection(DISPOSITIONS, "Disposition",
        required=True, states=_draft,
        help="Restock: back to the warehouse storage.\n"
        "Scrap: to a waste location of the warehouse.")
    replacement_product = fields.Many2One(
        'product.product', "Replacement Product",
        domain=[('salable', '=', True)],
        states={
            'readonly': Eval('rma_state') != 'draft',
            'invisible': Eval('_parent_rma', {}).get('type') != 'exchange',
            },
        help="For an exchange; empty: the same product.")
    location = fields.Many2One('stock.location', "Location", readonly=True,
        help="Where the returned goods ended: storage or waste.")
    return_sale_line = fields.Many2One(
        'sale.line', "Return Sale Line", readonly=True)

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.sale_line, Index.Equality())),
                Index(t, (t.return_sale_line, Index.Equality())),
                })
        cls._order.insert(0, ('rma', 'ASC'))

    @classmethod
    def default_disposition(cls):
        return 'restock'

    @fields.depends('rma', '_parent_rma.state')
    def on_change_with_rma_state(self, name=None):
        return self.rma.state if self.rma else None

    @fields.depends('sale_line')
    def on_change_with_unit(self, name=None):
        if self.sale_line and self.sale_line.unit:
            return self.sale_line.unit.id

    def get_unit_price(self, name):
        return self.sale_line.unit_price if self.sale_line else None

    @fields.depends('sale_line')
    def on_change_sale_line(self):
        if self.sale_line:
            self.product = self.sale_line.product

    def get_rec_name(self, name):
        return '%s: %s × %s' % (self.rma.rec_name, self.quantity,
            self.product.rec_name if self.product else '')

    @classmethod
    def preprocess_values(cls, mode, values):
        SaleLine = Pool().get('sale.line')
        values = super().preprocess_values(mode, values)
        if values.get('sale_line'):
            product = SaleLine(values['sale_line']).product
            values['product'] = product.id if product else None
        return values

    @classmethod
    def create(cls, vlist):
        cls.check_returnable(
            [(v.get('sale_line'), v.get('quantity')) for v in vlist])
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        items, exclude = [], []
        for lines, values in zip(actions, actions):
            if {'quantity', 'sale_line'} & set(values):
                for line in lines:
                    items.append((
                            values.get('sale_line', line.sale_line.id),
                            values.get('quantity', line.quantity)))
                    exclude.append(line.id)
        if items:
            cls.check_returnable(items, exclude=exclude)
        super().write(*args)

    # --- returnable quantities ------------------------------------------
    @classmethod
    def shipped_quantity(cls, sale_line):
        "Quantity of the order line delivered to the customer (done moves)"
        Uom = Pool().get('product.uom')
        quantity = 0
        for move in sale_line.moves:
            if (move.state == 'done'
                    and move.to_location.type == 'customer'
                    and move.from_location.type != 'customer'):
                quantity += Uom.compute_qty(
                    move.unit, move.quantity, sale_line.unit)
        return quantity

    @classmethod
    def returned_quantity(cls, sale_line, exclude=()):
        "Quantity of the order line on RMAs that are not cancelled"
        lines = cls.search([
                ('sale_line', '=', sale_line.id),
                ('rma.state', '!=', 'cancelled'),
                ('id', 'not in', list(exclude)),
                ])
        return sum(ln.quantity for ln in lines)

    @classmethod
    def returnable_quantity(cls, sale_line, exclude=()):
        return (cls.shipped_quantity(sale_line)
            - cls.returned_quantity(sale_line, exclude=exclude))

    @classmethod
    def check_returnable(cls, items, exclude=()):
        """Raise UserError unless every (sale line id, quantity) is
        positive and within the shipped quantity minus what other RMAs
        already return; items on the same order line add up."""
        pool = Pool()
        SaleLine = pool.get('sale.line')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        totals = defaultdict(float)
        for sale_line, quantity in items:
            if not sale_line:
                continue  # required field: refused by Tryton
            if not isinstance(quantity, (int, float)) or quantity <= 0:
                raise UserError(gettext(
                        'otwb_oms.msg_return_quantity_positive',
                        line=SaleLine(sale_line).rec_name,
                        quantity=quantity))
            totals[sale_line] += quantity
        for sale_line in SaleLine.browse(list(totals)):
            quantity = totals[sale_line.id]
            shipped = cls.shipped_quantity(sale_line)
            returned = cls.returned_quantity(sale_line, exclude=exclude)
            limit = shipped - returned
            unit = sale_line.unit
            if unit.round(quantity - limit) > 0:
                raise UserError(gettext(
                        'otwb_oms.msg_return_quantity_exceeded',
                        line=sale_line.rec_name,
                        quantity=lang.format_number_symbol(quantity, unit),
                        limit=lang.format_number_symbol(max(limit, 0), unit),
                        shipped=lang.format_number_symbol(shipped, unit),
                        returned=lang.format_number_symbol(returned, unit)))

    # --- disposition ----------------------------------------------------
    @classmethod
    @without_check_access
    def scrap_location(cls, warehouse):
        """The first waste location of the warehouse; else the module's
        "Returns Scrap" location, linked to the warehouse as a waste
        location (Tryton then accepts it for shipment inventory moves)."""
        pool = Pool()
        Location = pool.get('stock.location')
        ModelData = pool.get('ir.model.data')
        if warehouse.waste_locations:
            return warehouse.waste_locations[0]
        scrap = Location(ModelData.get_id('otwb_oms', 'location_scrap'))
        Location.write([warehouse], {'waste_locations': [('add', [scrap.id])]})
        return scrap

    def final_location(self):
        """Where the goods ended: the destination of the done move that
        follows the receipt (inventory or scrap move), else of the receipt
        """
        Move = Pool().get('stock.move')
        if not self.return_sale_line:
            return None
        for incoming in self.return_sale_line.moves:
            if incoming.state != 'done':
                continue
            following = Move.search([
                    ('origin', '=', str(incoming)),
                    ('state', '=', 'done'),
                    ], order=[('id', 'DESC')], limit=1)
            if following:
                return following[0].to_location
            return incoming.to_location


class ShipmentOutReturn(metaclass=PoolMeta):
    "Apply the RMA dispositions to customer return shipments"
    __name__ = 'stock.shipment.out.return'

    @classmethod
    def _otwb_return_lines(cls, shipments):
        "RMA lines by their return sale line id"
        pool = Pool()
        Line = pool.get('otwb.oms.return.line')
        SaleLine = pool.get('sale.line')
        ids = {m.origin.id for s in shipments for m in s.incoming_moves
            if isinstance(m.origin, SaleLine)}
        if not ids:
            return {}
        return {ln.return_sale_line.id: ln for ln in Line.search([
                    ('return_sale_line', 'in', list(ids)),
                    ])}

    @classmethod
    def create_inventory_moves(cls, shipments):
        "Inventory moves of scrap lines go to a waste location"
        pool = Pool()
        Move = pool.get('stock.move')
        Line = pool.get('otwb.oms.return.line')
        SaleLine = pool.get('sale.line')
        super().create_inventory_moves(shipments)
        shipments = cls.browse(shipments)
        lines = cls._otwb_return_lines(shipments)
        to_write = defaultdict(list)
        for shipment in shipments:
            for move in shipment.inventory_moves:
                incoming = move.origin
                if not incoming or not isinstance(
                        getattr(incoming, 'origin', None), SaleLine):
                    continue
                line = lines.get(incoming.origin.id)
                if line and line.disposition == 'scrap':
                    scrap = Line.scrap_location(shipment.warehouse)
                    to_write[scrap].append(move)
        for location, moves in to_write.items():
            Move.write(moves, {'to_location': location.id})

    @classmethod
    @Workflow.transition('done')
    def do(cls, shipments):
        pool = Pool()
        Move = pool.get('stock.move')
        Line = pool.get('otwb.oms.return.line')
        Return = pool.get('otwb.oms.return')
        super().do(shipments)
        lines = cls._otwb_return_lines(shipments)
        # Receipt straight into storage (no inventory moves): scrap lines
        # are moved from there to the waste location.
        scraps = []
        for shipment in shipments:
            if shipment.inventory_moves:
                continue
            for move in shipment.incoming_moves:
                line = lines.get(getattr(move.origin, 'id', None))
                if (line and line.disposition == 'scrap'
                        and move.state == 'done'):
                    scraps.append(Move(
                            product=move.product, unit=move.unit,
                            quantity=move.quantity,
                            from_location=move.to_location,
                            to_location=Line.scrap_location(
                                shipment.warehouse),
                            company=move.company,
                            effective_date=move.effective_date,
                            planned_date=move.planned_date,
                            origin=move))
        if scraps:
            Move.save(scraps)
            Move.do(scraps)
        rmas = {ln.rma for ln in lines.values()}
        if rmas:
            Return._received(Return.browse(list(rmas)))


class OrderEvent(metaclass=PoolMeta):
    __name__ = 'otwb.oms.order.event'

    @classmethod
    def get_sources(cls):
        Model = Pool().get('ir.model')
        sources = super().get_sources()
        return sources + [(m, Model.get_name(m)) for m in [
                'otwb.oms.return', 'stock.shipment.out.return',
                'account.invoice']]


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    otwb_returns = fields.One2Many(
        'otwb.oms.return', 'sale', "Returns", readonly=True)

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['otwb.oms.return']

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default else {}
        default.setdefault('otwb_returns', None)
        return super().copy(sales, default=default)


class ReturnRequest(Model):
    "Return request from a channel (RPC)"
    __name__ = 'otwb.oms.return.request'
    __string__ = "Customer Return Request"

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'submit': RPC(readonly=False, check_access=False),
                })

    @classmethod
    def submit(cls, request):
        """Open an RMA for a channel order.

        ``request``: ``{'channel', 'external_id', 'request_id', 'reason',
        'comment', 'type' ('refund' by default or 'exchange'), 'lines':
        [{'sku', 'quantity', 'disposition' ('restock' by default or
        'scrap'), 'reason'}]}``.  Returns ``{'status': 'accepted',
        'returns': [{'id', 'number', 'sale'}]}`` (one RMA per warehouse
        order of the channel order) or ``{'status': 'rejected', 'errors':
        [{'field', 'code', 'message', 'value'}]}``; a rejected request
        writes nothing.  The RMAs are drafts for an order manager to
        authorize.

        ``request_id`` (optional, the channel's id of the request) makes
        the call idempotent: the same request sent again is answered
        ``duplicate`` with the RMAs it opened; another request under a used
        id is refused as ``conflict``.
        """
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        Return = pool.get('otwb.oms.return')
        with check_access():  # the RPC itself runs without checks
            ModelAccess.check('otwb.oms.return', 'create')
        with without_check_access():
            key, digest, errors = cls._request_key(request)
            if key and not errors:
                # only the channel's own users learn what a key opened
                errors = cls._channel(request)[1]
            if errors:
                return {'status': 'rejected', 'errors': errors}
            if key:
                done = Return.search([('request_key', '=', key)],
                    order=[('id', 'ASC')])
                if done and done[0].request_hash == digest:
                    return {'status': 'duplicate',
                        'returns': cls._answer(done)}
                elif done:
                    return {'status': 'conflict', 'errors': [{
                                'field': 'request_id',
                                'code': 'idempotency_conflict',
                                'message': "request_id %r was already used "
                                "for a different request" % (
                                    request['request_id']),
                                'value': repr(request['request_id'])[:60],
                                }]}
            plan, errors = cls._plan(request)
            if errors:
                return {'status': 'rejected', 'errors': errors}
            for values in plan:
                values['request_key'] = key
                values['request_hash'] = digest
            returns = Return.create(plan)
            return {'status': 'accepted', 'returns': cls._answer(returns)}

    @staticmethod
    def _answer(returns):
        return [{'id': r.id, 'number': r.number, 'sale': r.sale.id}
            for r in returns]

    @classmethod
    def _request_key(cls, request):
        "The idempotency key and content hash of the request, or errors"
        if not isinstance(request, dict) or request.get(
                'request_id') is None:
            return None, None, []
        request_id = request['request_id']
        if (not isinstance(request_id, str) or not request_id.strip()
                or len(request_id) > 100 or not request_id.isprintable()):
            return None, None, [{'field': 'request_id', 'code': 'invalid',
                    'message': "must be printable text of 1 to 100 "
                    "characters", 'value': repr(request_id)[:60]}]
        try:
            digest = payload_hash(request)
        except (TypeError, ValueError) as exception:
            return None, None, [{'field': 'request', 'code': 'invalid',
                    'message': str(exception), 'value': ''}]
        return '%s/%s' % (request.get('channel'), request_id), digest, []

    @classmethod
    def _channel(cls, request):
        "The channel of the request if the user may use it, or errors"
        pool = Pool()
        Channel = pool.get('otwb.oms.channel')
        Intake = pool.get('otwb.oms.intake')
        code = request.get('channel')
        channels = Channel.search([('code', '=', code)], limit=1) \
            if isinstance(code, str) and searchable(code) else []
        if not channels:
            return None, [{'field': 'channel', 'code': 'unknown_channel',
                    'message': "unknown channel", 'value': repr(code)[:60]}]
        channel, = channels
        user = Transaction().user
        if (user != 0 and Intake._is_integration_user(user)
                and channel.integration_user
                and channel.integration_user.id != user):
            return None, [{'field': 'channel', 'code': 'forbidden_channel',
                    'message': "channel %r is not open to this user" % code,
                    'value': repr(code)[:60]}]
        return channel, []

    @classmethod
    def _plan(cls, request):
        "Values of the RMAs to create, or errors"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Line = pool.get('otwb.oms.return.line')
        errors = []

        def error(field, code, message, value=None):
            errors.append({'field': field, 'code': code, 'message': message,
                    'value': repr(value)[:60]})

        if not isinstance(request, dict):
            error('request', 'invalid', "must be an object", request)
            return None, errors
        channel, refused = cls._channel(request)
        if refused:
            return None, refused
        external_id = request.get('external_id')
        sales = []
        if isinstance(external_id, (str, int)) and searchable(
                str(external_id)):
            sales = Sale.search([
                    ('otwb_channel', '=', channel.id),
                    ('otwb_external_id', '=', str(external_id)),
                    ['OR',
                        ('origin', '=', None),
                        ('origin', 'like', 'otwb.oms.return,%'),
                        ],
                    ('state', 'in', ['processing', 'done']),
                    ], order=[('id', 'ASC')])
        if not sales:
            error('external_id', 'unknown_order',
                "no shipped order with this id on the channel", external_id)
        reason = request.get('reason')
        if reason not in dict(REASONS):
            error('reason', 'invalid', "one of %s" % ', '.join(
                    dict(REASONS)), reason)
        type_ = request.get('type', 'refund')
        if type_ not in dict(TYPES):
            error('type', 'invalid', "refund or exchange", type_)
        comment = request.get('comment')
        if comment is not None and (not isinstance(comment, str)
                or '\x00' in comment or len(comment) > 10_000):
            error('comment', 'invalid',
                "must be text of at most 10,000 characters, without NUL",
                comment)
        lines = request.get('lines')
        if not isinstance(lines, list) or not lines:
            error('lines', 'required', "at least one line", lines)
            lines = []
        by_sale = defaultdict(list)
        used = defaultdict(float)
        for index, item in enumerate(lines):
            field = 'lines[%d]' % index
            if not isinstance(item, dict):
                error(field, 'invalid', "must be an object", item)
                continue
            sku, quantity = item.get('sku'), item.get('quantity')
            disposition = item.get('disposition', 'restock')
            line_reason = item.get('reason')
            if disposition not in dict(DISPOSITIONS):
                error(field + '.disposition', 'invalid',
                    "restock or scrap", disposition)
            if line_reason is not None and line_reason not in dict(REASONS):
                error(field + '.reason', 'invalid', "one of %s" % ', '.join(
                        dict(REASONS)), line_reason)
            if (isinstance(quantity, bool)
                    or not isinstance(quantity, (int, float))
                    or quantity <= 0):
                error(field + '.quantity', 'invalid',
                    "must be a number greater than 0", quantity)
                continue
            sale_lines = [ln for s in sales for ln in s.line_lines
                if ln.quantity > 0 and ln.product and ln.product.code == sku]
            if sales and not sale_lines:
                error(field + '.sku', 'not_in_order',
                    "not a line of the order", sku)
                continue
            remaining = float(quantity)
            for sale_line in sale_lines:
                available = (Line.returnable_quantity(sale_line)
                    - used[sale_line.id])
                take = min(available, remaining)
                if take <= 0:
                    continue
                used[sale_line.id] += take
                remaining -= take
                by_sale[sale_line.sale].append({
                        'sale_line': sale_line.id, 'quantity': take,
                        'disposition': disposition, 'reason': line_reason})
                if remaining <= 0:
                    break
            if sale_lines and remaining > 1e-9:
                error(field + '.quantity', 'exceeds_returnable',
                    "only %s can be returned" % (quantity - remaining),
                    quantity)
        if errors:
            return None, errors
        return [{
                'company': sale.company.id,
                'sale': sale.id,
                'reason': reason,
                'comment': comment,
                'type': type_,
                'lines': [('create', values)],
                } for sale, values in by_sale.items()], []

