# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Split channel orders into shipments by handling constraint and weight,
merge the open shipments of one customer (engine.split)."""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .engine import split as split_engine
from .product import otwb_weight_kg


class MergeError(ValidationError):
    pass


class Configuration(metaclass=PoolMeta):
    __name__ = 'otwb.configuration'

    oms_shipment_max_weight = fields.Float(
        "Max Weight per Shipment (kg)", digits=(16, 3),
        domain=['OR',
            ('oms_shipment_max_weight', '=', None),
            ('oms_shipment_max_weight', '>', 0),
            ],
        help="Channel orders heavier than this ship in several shipments; "
        "empty: no limit. A fulfilment rule can set its own.")
    oms_merge_window = fields.Float(
        "Merge Window (hours)", digits=(6, 2), required=True,
        domain=[('oms_merge_window', '>=', 0)],
        help="Orders of one customer to one address from one channel and "
        "warehouse created within this time of the first one ship together; "
        "their shipments wait for the window to end before reservation. "
        "0: no merging.")

    @classmethod
    def default_oms_merge_window(cls):
        return 0


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'

    otwb_shipment_part = fields.Integer(
        "Shipment Part", readonly=True,
        help="The lines of one part ship in one shipment.")
    otwb_shipment_category = fields.Char(
        "Handling", readonly=True,
        help="standard, dangerous, cold, oversize or a combination.")


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    otwb_split_part = fields.Integer("Split Part", readonly=True)
    otwb_split_count = fields.Integer("Split Parts", readonly=True)
    otwb_max_weight = fields.Float(
        "Max Weight per Shipment (kg)", digits=(16, 3), readonly=True,
        help="The limit the channel order was split with.")
    otwb_split = fields.Function(
        fields.Char("Part of Channel Order"), 'get_otwb_split')
    otwb_split_sales = fields.Function(
        fields.Many2Many('sale.sale', None, None, "Sales of Channel Order"),
        'get_otwb_split_sales')

    def get_otwb_split(self, name):
        if not self.otwb_split_count:
            return None
        return gettext('otwb_oms.msg_split_part',
            part=self.otwb_split_part, count=self.otwb_split_count,
            order=self.otwb_external_id or '')

    def get_otwb_split_sales(self, name):
        if not self.otwb_intake:
            return []
        return [s.id for s in self.otwb_intake.sales]

    def _group_shipment_key(self, moves, move):
        key = super()._group_shipment_key(moves, move)
        line, _ = move
        if line.otwb_shipment_part:
            key += (
                ('otwb_constraint',
                    line.otwb_shipment_category or 'standard'),
                ('otwb_shipment_part', line.otwb_shipment_part),
                )
        return key

    def _get_shipment_sale(self, Shipment, key):
        key = tuple((k, v) for k, v in key if k != 'otwb_shipment_part')
        shipment = super()._get_shipment_sale(Shipment, key)
        if (Shipment.__name__ == 'stock.shipment.out'
                and 'otwb_dangerous_goods' in Shipment._fields
                and 'dangerous' in (
                    getattr(shipment, 'otwb_constraint', None) or ''
                    ).split('+')):
            shipment.otwb_dangerous_goods = True
        return shipment

    def create_shipment(self, shipment_type):
        shipments = super().create_shipment(shipment_type)
        if shipment_type == 'out' and shipments and self.otwb_channel:
            Shipment = Pool().get('stock.shipment.out')
            shipments = Shipment._otwb_merge_new(self, shipments)
        return shipments

    @classmethod
    def _otwb_split_lines(cls, products, lines, max_weight, digits):
        """engine.split parts of one warehouse group.

        lines: (order line index, product id, quantity, exact amount)."""
        shipment_lines = []
        for index, product_id, quantity, amount in lines:
            product = products[product_id]
            weight = otwb_weight_kg(product.template, product.sale_uom)
            shipment_lines.append(split_engine.ShipmentLine(
                    id=index, product=product_id, quantity=quantity,
                    amount=amount,
                    unit_weight=Decimal(str(round(weight, 6))),
                    **product.template.otwb_split_flags))
        return split_engine.split_group(
            shipment_lines,
            max_weight=(Decimal(str(max_weight)) if max_weight else None),
            amount_digits=digits)

    @classmethod
    def _otwb_max_weight(cls, rule):
        "Max weight per shipment (kg) for an order, None for no limit"
        Config = Pool().get('otwb.configuration')
        if (rule and rule.action == 'allocate'
                and rule.shipment_max_weight):
            return rule.shipment_max_weight
        return Config(1).oms_shipment_max_weight or None

    @classmethod
    def _otwb_exact_price(cls, quantity, amount, currency):
        """Unit price (price digits) of quantity giving amount; and the
        difference left when no such price exists."""
        Line = Pool().get('sale.line')
        digits = Line.unit_price.digits[1]
        quantity = Decimal(str(float(quantity)))
        unit_price = (amount / quantity).quantize(Decimal(1).scaleb(-digits))
        return unit_price, amount - currency.round(quantity * unit_price)


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    otwb_constraint = fields.Char(
        "Handling", readonly=True,
        help="The handling constraint of the channel order shipment: "
        "standard, dangerous, cold, oversize or a combination.")
    otwb_merge_until = fields.Function(
        fields.DateTime("Merge Window Ends"), 'get_otwb_merge_until')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'otwb_merge': {
                    'invisible': ~Eval('state').in_(['draft', 'waiting']),
                    'depends': ['state'],
                    },
                })

    def _otwb_first_created(self):
        sales = [s for s in self.otwb_sales() if s.otwb_channel]
        if not sales:
            return None
        return min(s.create_date for s in sales)

    def get_otwb_merge_until(self, name):
        Config = Pool().get('otwb.configuration')
        window = Config(1).oms_merge_window
        first = self._otwb_first_created()
        if not window or not first:
            return None
        return (first + dt.timedelta(hours=window)).replace(microsecond=0)

    def _otwb_mergeable(self):
        "Whether moves may still be added to this shipment"
        if self.state not in {'draft', 'waiting'}:
            return False
        if any(m.state not in {'draft', 'staging'}
                for m in self.moves):
            return False
        if getattr(self, 'otwb_tasks', None):
            return False
        return True

    def _otwb_open_order(self, id_=None, sale=None, created=None):
        "engine.split.OpenOrder of the shipment (of sale if given)"
        if sale is None:
            sales = sorted((s for s in self.otwb_sales() if s.otwb_channel),
                key=lambda s: s.create_date)
            if not sales or len({s.otwb_channel for s in sales}) > 1:
                return None
            sale = sales[0]
        return split_engine.OpenOrder(
            id=id_ if id_ is not None else self.id,
            customer=self.customer.id,
            address_key=self.delivery_address.id,
            channel=sale.otwb_channel.id,
            warehouse=self.warehouse.id,
            created=created or sale.create_date)

    @staticmethod
    def _otwb_moves_weight(moves):
        "Weight in kg of the outgoing moves among moves"
        return sum(otwb_weight_kg(m.product.template, m.unit, m.quantity)
            for m in moves if m.state != 'cancelled'
            and m.to_location.type == 'customer')

    @classmethod
    def _otwb_merge_new(cls, sale, shipments):
        """Put the moves of the new shipments of sale into the open
        shipments of earlier orders they may merge with (engine.split)."""
        Config = Pool().get('otwb.configuration')
        window = Config(1).oms_merge_window
        if not window:
            return shipments
        created = sale.create_date or dt.datetime.now()
        result, targets = [], {}
        for shipment in shipments:
            target = None
            if shipment.delivery_address and shipment.warehouse:
                new = shipment._otwb_open_order(
                    id_='new', sale=sale, created=created)
                candidates = cls.search([
                        ('state', 'in', ['draft', 'waiting']),
                        ('company', '=', shipment.company.id),
                        ('customer', '=', shipment.customer.id),
                        ('delivery_address', '=',
                            shipment.delivery_address.id),
                        ('warehouse', '=', shipment.warehouse.id),
                        ('otwb_constraint', '=', shipment.otwb_constraint),
                        ], order=[('id', 'ASC')])
                for candidate in candidates:
                    candidate = targets.get(candidate.id, candidate)
                    if not candidate._otwb_mergeable():
                        continue
                    if sale in candidate.otwb_sales():
                        continue
                    order = candidate._otwb_open_order()
                    if order is None:
                        continue
                    groups = split_engine.merge_orders(
                        [order, new], Decimal(str(window)))
                    if not any('new' in g.order_ids for g in groups):
                        continue
                    max_weight = min((s.otwb_max_weight
                            for s in candidate.otwb_sales() | {sale}
                            if s.otwb_max_weight), default=None)
                    if max_weight and cls._otwb_moves_weight(
                            list(candidate.moves) + list(shipment.moves)
                            ) > max_weight + 1e-9:
                        continue
                    target = candidate
                    break
            if target is None:
                result.append(shipment)
                continue
            target.moves = list(target.moves) + list(shipment.moves)
            targets[target.id] = target
            if target not in result:
                result.append(target)
        return result

    @classmethod
    def otwb_assign_merge_due(cls, now=None):
        """Cron: reserve the waiting channel order shipments whose merge
        window has ended"""
        pool = Pool()
        Config = pool.get('otwb.configuration')
        now = now or dt.datetime.now()
        window = Config(1).oms_merge_window
        if not window:
            # without merging shipments are reserved at confirmation
            return []
        due = []
        for shipment in cls.search([
                    ('state', '=', 'waiting'),
                    ('otwb_constraint', '!=', None),
                    ]):
            first = shipment._otwb_first_created()
            if first is not None and first + dt.timedelta(
                    hours=window) <= now:
                due.append(shipment)
        if due:
            cls.assign_try(due)
        return due

    @classmethod
    @ModelView.button
    def otwb_merge(cls, shipments):
        """Merge open shipments of one customer, address, warehouse and
        handling constraint into the first one"""
        groups = {}
        for shipment in shipments:
            if not shipment._otwb_mergeable():
                raise MergeError(gettext(
                        'otwb_oms.msg_merge_not_open',
                        shipment=shipment.rec_name,
                        state=shipment.state))
            key = (shipment.company.id, shipment.customer.id,
                shipment.delivery_address.id, shipment.warehouse.id)
            groups.setdefault(key, []).append(shipment)
        if len(groups) > 1:
            raise MergeError(gettext('otwb_oms.msg_merge_different',
                    shipments=', '.join(s.rec_name for s in shipments)))
        constraints = {s.otwb_constraint or 'standard' for s in shipments}
        if len(constraints) > 1:
            raise MergeError(gettext('otwb_oms.msg_merge_constraint',
                    constraints=', '.join(sorted(constraints))))
        shipments = sorted(shipments, key=lambda s: s.id)
        if len(shipments) > 1:
            cls._otwb_merge_into(shipments[0], shipments[1:])

    @classmethod
    def _otwb_merge_into(cls, target, sources):
        pool = Pool()
        Move = pool.get('stock.move')
        to_wait = [target] if target.state == 'waiting' else []
        waiting = [s for s in sources if s.state == 'waiting']
        if waiting:
            cls.draft(waiting)
        sources = cls.browse(sources)
        Move.write([m for s in sources for m in s.outgoing_moves], {
                'shipment': str(target)})
        Move.delete([m for s in cls.browse(sources)
                for m in s.inventory_moves])
        cls.delete(cls.browse(sources))
        if to_wait:
            with Transaction().set_context(_skip_warnings=True):
                cls.wait(cls.browse(to_wait))


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('stock.shipment.out|otwb_assign_merge_due',
                "Reserve Merged Order Shipments"))
