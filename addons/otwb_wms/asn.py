# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Advance shipping notices, receiving with variances, putaway tasks."""
import datetime as dt
import hashlib
import json
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.otwb_base.otwb import searchable
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction

from . import putaway

LOT_KEYS = ('number', 'coil_number', 'heat_number', 'actual_weight',
    'expiry_date')


class ReceiptError(ValidationError):
    pass


class ASN(Workflow, ModelSQL, ModelView):
    "Advance Shipping Notice"
    __name__ = 'otwb.wms.asn'
    __string__ = "Advance Shipping Notice"
    _rec_name = 'number'

    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    number = fields.Char("Number", required=True, states=_states,
        help="The supplier's ASN number; unique per supplier.")
    supplier = fields.Many2One(
        'party.party', "Supplier", required=True, states=_states)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True,
        domain=[('type', '=', 'warehouse')], states=_states)
    expected_date = fields.Date("Expected Date", states=_states)
    over_tolerance = fields.Float(
        "Over-receipt Tolerance (%)", digits=(5, 2), required=True,
        domain=[('over_tolerance', '>=', 0)], states=_states,
        help="Receiving more than expected plus this percentage is refused.")
    lines = fields.One2Many('otwb.wms.asn.line', 'asn', "Lines",
        states={'readonly': ~Eval('state').in_(['draft'])})
    tasks = fields.One2Many('otwb.wms.task', 'shipment', "Tasks",
        readonly=True)
    payload_hash = fields.Char("Payload Hash", readonly=True)
    received_at = fields.DateTime("Received At", readonly=True)
    state = fields.Selection([
            ('draft', "Expected"),
            ('received', "Received"),
            ('done', "Put Away"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('supplier_number_unique', Unique(t, t.supplier, t.number),
                'otwb_wms.msg_asn_unique'),
            ]
        cls._sql_indexes.add(Index(
                t, (t.state, Index.Equality(cardinality='low')),
                where=t.state.in_(['draft', 'received'])))
        cls._order = [('expected_date', 'ASC NULLS LAST'), ('id', 'ASC')]
        cls._transitions |= {
            ('draft', 'received'),
            ('received', 'done'),
            ('draft', 'cancelled'),
            }
        cls._buttons.update({
                'receive': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })
        cls.__rpc__.update({
                'submit': RPC(readonly=False),
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_over_tolerance(cls):
        return 10.0

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, asns):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('received')
    def receive(cls, asns):
        """Receive the lines: good quantity into the warehouse input with
        its lot, damaged quantity to lost and found, then putaway tasks
        to the bins chosen by the putaway rules."""
        pool = Pool()
        Line = pool.get('otwb.wms.asn.line')
        for asn in asns:
            for line in asn.lines:
                line.check_receipt()
        lines = [line for a in asns for line in a.lines]
        for line in lines:
            line.do_receipt()
        Line.save(lines)
        cls.write(list(asns), {'received_at': dt.datetime.now()})
        cls.check_done(asns)

    @classmethod
    def check_done(cls, asns):
        "Mark done the received ASNs whose putaway tasks are all closed"
        to_do = []
        for asn in cls.browse([a.id for a in asns]):
            if asn.state == 'received' and all(
                    t.state in {'done', 'cancelled'} for t in asn.tasks):
                to_do.append(asn)
        if to_do:
            cls.done(to_do)

    @classmethod
    @Workflow.transition('done')
    def done(cls, asns):
        pass

    # --- RPC ------------------------------------------------------------
    @classmethod
    def submit(cls, payloads):
        """Create ASNs from payloads, idempotent on (supplier, number).

        A payload is ``{'supplier': party code, 'number': str,
        'warehouse': location code, 'expected_date': 'YYYY-MM-DD',
        'lines': [{'sku': product code, 'quantity': number, 'lot':
        {'number', 'coil_number', 'heat_number', 'actual_weight',
        'expiry_date'}}]}``.  Returns per payload ``{'index', 'status':
        'accepted' | 'duplicate' | 'conflict' | 'rejected', 'asn', 'errors':
        [{'field', 'code', 'message'}]}``; a rejected payload changes
        nothing.
        """
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        ModelAccess.check(cls.__name__, 'create')
        if not isinstance(payloads, (list, tuple)) or len(payloads) > 1000:
            raise ReceiptError(gettext('otwb_wms.msg_asn_payloads'))
        results = []
        for index, payload in enumerate(payloads):
            values, errors = cls._validate_payload(payload)
            result = {'index': index, 'asn': None, 'errors': errors}
            if errors:
                result['status'] = 'rejected'
                results.append(result)
                continue
            digest = hashlib.sha256(json.dumps(
                    payload, sort_keys=True, default=str).encode()
                ).hexdigest()
            existing = cls.search([
                    ('supplier', '=', values['supplier']),
                    ('number', '=', values['number']),
                    ], limit=1)
            if existing:
                asn, = existing
                result['asn'] = asn.id
                if asn.payload_hash == digest:
                    result['status'] = 'duplicate'
                else:
                    result['status'] = 'conflict'
                    result['errors'] = [{
                            'field': 'number', 'code': 'idempotency_conflict',
                            'message': "ASN %s of this supplier exists "
                            "with other content" % values['number']}]
                results.append(result)
                continue
            values['payload_hash'] = digest
            asn, = cls.create([values])
            result.update(status='accepted', asn=asn.id)
            results.append(result)
        return results

    @classmethod
    def _validate_payload(cls, payload):
        pool = Pool()
        Party = pool.get('party.party')
        Location = pool.get('stock.location')
        Product = pool.get('product.product')
        errors = []

        def error(field, code, message):
            errors.append({'field': field, 'code': code, 'message': message})

        if not isinstance(payload, dict):
            error('', 'not_an_object', "payload must be an object")
            return None, errors
        values = {'company': Transaction().context.get('company')}
        if not values['company']:
            error('', 'no_company', "no company in the context")
        supplier = payload.get('supplier')
        parties = Party.search([('code', '=', supplier)], limit=1) \
            if searchable(supplier) else []
        if not parties:
            error('supplier', 'unknown_supplier',
                "no party with code %r" % (supplier,))
        else:
            values['supplier'] = parties[0].id
        number = payload.get('number')
        if not searchable(number, 64) or not number.strip():
            error('number', 'invalid', "must be a text of 1 to 64 "
                "characters without control characters")
        else:
            values['number'] = number.strip()
        code = payload.get('warehouse')
        warehouses = Location.search([
                ('code', '=', code), ('type', '=', 'warehouse')], limit=1) \
            if searchable(code) else []
        if not warehouses:
            error('warehouse', 'unknown_warehouse',
                "no warehouse with code %r" % (code,))
        else:
            values['warehouse'] = warehouses[0].id
        if payload.get('expected_date') is not None:
            try:
                values['expected_date'] = dt.date.fromisoformat(
                    payload['expected_date'])
            except (TypeError, ValueError):
                error('expected_date', 'invalid_date',
                    "expected YYYY-MM-DD, got %r"
                    % (payload['expected_date'],))
        lines = payload.get('lines')
        if not isinstance(lines, list) or not lines or len(lines) > 1000:
            error('lines', 'invalid', "must be a list of 1 to 1000 lines")
            lines = []
        vlines = []
        for i, line in enumerate(lines):
            field = 'lines[%d]' % i
            if not isinstance(line, dict):
                error(field, 'not_an_object', "line must be an object")
                continue
            sku = line.get('sku')
            products = Product.search([('code', '=', sku)], limit=1) \
                if searchable(sku) else []
            if not products:
                error(field + '.sku', 'unknown_sku',
                    "no product with code %r" % (sku,))
            qty = line.get('quantity')
            if isinstance(qty, bool) or not isinstance(qty, (int, float)) \
                    or qty != qty or qty <= 0 or qty > 1e9:
                error(field + '.quantity', 'not_positive',
                    "must be a number > 0, got %r" % (qty,))
            lot = line.get('lot') or {}
            if not isinstance(lot, dict) or set(lot) - set(LOT_KEYS):
                error(field + '.lot', 'invalid',
                    "must be an object with keys among %s"
                    % ', '.join(LOT_KEYS))
                lot = {}
            lvalues = {}
            for key in ('number', 'coil_number', 'heat_number'):
                if lot.get(key) is not None:
                    if not searchable(lot[key], 64):
                        error('%s.lot.%s' % (field, key), 'invalid',
                            "must be a text of 1 to 64 characters without "
                            "control characters")
                    else:
                        lvalues['lot_number' if key == 'number'
                            else key] = lot[key]
            weight = lot.get('actual_weight')
            if weight is not None:
                if isinstance(weight, bool) or not isinstance(
                        weight, (int, float)) or not weight > 0:
                    error(field + '.lot.actual_weight', 'not_positive',
                        "must be a number of kg > 0, got %r" % (weight,))
                else:
                    lvalues['actual_weight'] = float(weight)
            if lot.get('expiry_date') is not None:
                try:
                    lvalues['expiry_date'] = dt.date.fromisoformat(
                        lot['expiry_date'])
                except (TypeError, ValueError):
                    error(field + '.lot.expiry_date', 'invalid_date',
                        "expected YYYY-MM-DD, got %r" % (lot['expiry_date'],))
            if products and not any(
                    e['field'].startswith(field) for e in errors):
                vlines.append(dict(lvalues, product=products[0].id,
                        expected_quantity=float(qty)))
        values['lines'] = [('create', vlines)]
        return values, errors


class ASNLine(ModelSQL, ModelView):
    "Advance Shipping Notice Line"
    __name__ = 'otwb.wms.asn.line'
    __string__ = "ASN Line"

    _states = {'readonly': Eval('asn_state') != 'draft'}

    asn = fields.Many2One('otwb.wms.asn', "ASN", required=True,
        ondelete='CASCADE')
    asn_state = fields.Function(
        fields.Selection('get_asn_states', "ASN State"),
        'on_change_with_asn_state')
    product = fields.Many2One('product.product', "Product", required=True,
        domain=[('type', '=', 'goods')], states=_states)
    unit = fields.Function(fields.Many2One('product.uom', "Unit"),
        'on_change_with_unit')
    expected_quantity = fields.Float("Expected", digits='unit',
        required=True, states=_states)
    received_quantity = fields.Float("Received", digits='unit',
        states=_states, help="Empty when received as expected.")
    damaged_quantity = fields.Float("Damaged", digits='unit',
        states=_states, help="Part of the received quantity.")
    variance = fields.Function(fields.Float("Variance", digits='unit'),
        'get_variance')
    variance_type = fields.Function(fields.Selection([
                ('exact', "Exact"),
                ('over', "Over"),
                ('under', "Under"),
                ], "Variance Type"), 'get_variance')
    lot_number = fields.Char("Lot Number", states=_states)
    coil_number = fields.Char("Coil Number", states=_states)
    heat_number = fields.Char("Heat Number", states=_states)
    actual_weight = fields.Float("Actual Weight (kg)", digits=(12, 3),
        states=_states)
    expiry_date = fields.Date("Expiry Date", states=_states)
    lot = fields.Many2One('stock.lot', "Lot", readonly=True)
    moves = fields.One2Many('stock.move', 'origin', "Moves", readonly=True)
    unplaced_quantity = fields.Float("Not Put Away", digits='unit',
        readonly=True)
    putaway_note = fields.Char("Putaway Note", readonly=True)

    del _states

    @classmethod
    def get_asn_states(cls):
        return Pool().get('otwb.wms.asn').fields_get(
            ['state'])['state']['selection']

    @fields.depends('asn', '_parent_asn.state')
    def on_change_with_asn_state(self, name=None):
        return self.asn.state if self.asn else None

    @fields.depends('product')
    def on_change_with_unit(self, name=None):
        return self.product.default_uom if self.product else None

    @property
    def quantity_received(self):
        if self.received_quantity is None:
            return self.expected_quantity
        return self.received_quantity

    def get_variance(self, name):
        variance = self.quantity_received - (self.expected_quantity or 0)
        # fractional quantities (tonnes) must keep the unit's digits
        variance = self.product.default_uom.round(variance) \
            if self.product else round(variance, 4)
        if name == 'variance':
            return variance
        if abs(variance) < 1e-9:
            return 'exact'
        return 'over' if variance > 0 else 'under'

    def check_receipt(self):
        received = self.quantity_received
        damaged = self.damaged_quantity or 0
        if received < 0 or damaged < 0 or damaged > received:
            raise ReceiptError(gettext(
                    'otwb_wms.msg_asn_line_quantities',
                    line=self.rec_name, received=received, damaged=damaged))
        limit = self.expected_quantity * (
            1 + (self.asn.over_tolerance or 0) / 100)
        if received > limit + 1e-9:
            raise ReceiptError(gettext(
                    'otwb_wms.msg_asn_over_tolerance',
                    line=self.rec_name, received=received,
                    expected=self.expected_quantity,
                    tolerance=self.asn.over_tolerance, limit=round(limit, 4)))

    def get_rec_name(self, name):
        return '%s / %s' % (self.asn.number, self.product.rec_name)

    def _get_lot(self):
        pool = Pool()
        Lot = pool.get('stock.lot')
        if not any([self.lot_number, self.coil_number, self.heat_number,
                    self.actual_weight, self.expiry_date]):
            return None
        number = (self.lot_number or self.coil_number
            or '%s-%s' % (self.asn.number, self.id))
        lot = Lot(product=self.product, number=number,
            otwb_coil_number=self.coil_number,
            otwb_heat_number=self.heat_number,
            otwb_actual_weight=self.actual_weight,
            otwb_expiry_date=self.expiry_date)
        lot.save()
        return lot

    def _move(self, quantity, from_location, to_location, lot):
        pool = Pool()
        Move = pool.get('stock.move')
        asn = self.asn
        move = Move(
            product=self.product, unit=self.product.default_uom,
            quantity=quantity, from_location=from_location,
            to_location=to_location, company=asn.company, lot=lot,
            origin=self, planned_date=asn.expected_date,
            effective_date=Pool().get('ir.date').today())
        if move.on_change_with_unit_price_required():
            move.unit_price = self.product.cost_price or Decimal(0)
            move.currency = asn.company.currency
        return move

    def do_receipt(self):
        """Book the receipt and create the putaway tasks of the line"""
        pool = Pool()
        Move = pool.get('stock.move')
        Task = pool.get('otwb.wms.task')
        asn = self.asn
        warehouse = asn.warehouse
        supplier = asn.supplier.supplier_location
        received = self.quantity_received
        damaged = self.damaged_quantity or 0
        good = received - damaged
        self.lot = self._get_lot()
        moves = []
        if good > 0:
            moves.append(self._move(
                    good, supplier, warehouse.input_location, self.lot))
        if damaged > 0:
            moves.append(self._move(
                    damaged, supplier, warehouse.lost_found_location,
                    self.lot))
        Move.save(moves)
        Move.do(moves)
        self.unplaced_quantity = 0
        self.putaway_note = None
        if good <= 0:
            return
        rule, lines, unplaced, reason = putaway.plan(
            warehouse, self.product, good, self.lot)
        to_bins = [self._move(qty, warehouse.input_location, loc, self.lot)
            for loc, qty in lines]
        for move in to_bins:
            move.effective_date = None
        Move.save(to_bins)
        tasks = [Task(type='putaway', company=asn.company,
                warehouse=warehouse, product=self.product, lot=self.lot,
                quantity=move.quantity, from_location=move.from_location,
                to_location=move.to_location, move=move, shipment=asn)
            for move in to_bins]
        Task.save(tasks)
        self.unplaced_quantity = unplaced
        if unplaced:
            self.putaway_note = (reason or '')[:200]


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['otwb.wms.asn.line']


