# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql.aggregate import Sum
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from . import stock_control
from .engine import allocation
from .engine import holds as holds_engine
from .engine import split as split_engine

EVENT_TYPES = [
    ('received', "Received"),
    ('validated', "Validated"),
    ('allocated', "Allocated"),
    ('picking', "Picking"),
    ('picked', "Picked"),
    ('packed', "Packed"),
    ('shipped', "Shipped"),
    ('in_transit', "In Transit"),
    ('delivered', "Delivered"),
    ('exception', "Exception"),
    ('held', "Held"),
    ('released', "Released"),
    ('returned', "Returned"),
    ('refunded', "Refunded"),
    ('cancelled', "Cancelled"),
    ]


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    otwb_channel = fields.Many2One(
        'otwb.oms.channel', "Channel", readonly=True)
    otwb_external_id = fields.Char("External ID", readonly=True)
    otwb_intake = fields.Many2One(
        'otwb.oms.intake', "Intake", readonly=True, ondelete='RESTRICT')
    otwb_service_level = fields.Selection([
            (None, ""),
            ('standard', "Standard"),
            ('express', "Express"),
            ('same_day', "Same Day"),
            ('economy', "Economy"),
            ], "Service Level", readonly=True)
    otwb_promised_date = fields.Date("Promised Date", readonly=True)
    otwb_events = fields.One2Many(
        'otwb.oms.order.event', 'sale', "Timeline", readonly=True,
        order=[('time', 'ASC'), ('id', 'ASC')])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.otwb_channel, Index.Equality()),
                (t.otwb_external_id, Index.Equality())))

    # --- creation from an intake ----------------------------------------
    @classmethod
    def _otwb_party(cls, order):
        return cls._otwb_parties([order])[0]

    @classmethod
    def _otwb_parties(cls, orders):
        """(party, address) of each channel order: the party with the
        customer's e-mail or a new one, its matching address or a new one;
        the new records of the batch are saved in one go."""
        pool = Pool()
        Party = pool.get('party.party')
        Contact = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        emails = {o.customer.email for o in orders}
        parties = {}
        for contact in Contact.search([
                    ('type', '=', 'email'),
                    ('value', 'in', list(emails)),
                    ], order=[('id', 'ASC')]):
            parties.setdefault(contact.value, contact.party)
        new_parties = []
        for order in orders:
            email = order.customer.email
            if email in parties:
                continue
            mechanisms = [Contact(type='email', value=email)]
            if order.customer.phone:
                mechanisms.append(
                    Contact(type='phone', value=order.customer.phone))
            parties[email] = Party(
                name=order.customer.name, contact_mechanisms=mechanisms,
                addresses=[])
            new_parties.append(parties[email])
        if new_parties:
            Party.save(new_parties)
        countries = {c.code: c for c in Country.search([
                    ('code', 'in', list({o.shipping_address.country
                                for o in orders}))])}
        subdivisions = {}
        codes = {o.shipping_address.subdivision for o in orders
            if o.shipping_address.subdivision}
        if codes:
            for subdivision in Subdivision.search(
                    [('code', 'in', list(codes))]):
                subdivisions.setdefault(subdivision.code, subdivision)
        result, new_addresses, made = [], [], {}
        for order in orders:
            party = parties[order.customer.email]
            a = order.shipping_address
            key = (party.id, a.street, a.city, a.postal_code, a.country)
            address = made.get(key)
            if address is None:
                for existing in party.addresses:
                    if (existing.street == a.street
                            and existing.city == a.city
                            and (existing.postal_code or None)
                            == a.postal_code
                            and existing.country
                            and existing.country.code == a.country):
                        address = existing
                        break
            if address is None:
                address = Address(
                    party=party,
                    party_name=a.name if a.name != party.name else None,
                    street=a.street, city=a.city,
                    postal_code=a.postal_code,
                    country=countries[a.country],
                    subdivision=subdivisions.get(a.subdivision),
                    otwb_latitude=(float(a.latitude)
                        if a.latitude is not None else None),
                    otwb_longitude=(float(a.longitude)
                        if a.longitude is not None else None))
                new_addresses.append(address)
            made[key] = address
            result.append((party, address))
        if new_addresses:
            Address.save(new_addresses)
        return result

    @classmethod
    def _otwb_availability(cls, warehouses, product_ids):
        "Net available quantity per (warehouse id, product id)"
        return stock_control.net_availability(warehouses, product_ids)

    @classmethod
    def otwb_create_from_order(cls, order, channel, intake):
        "Create the sales of one validated channel order"
        return cls.otwb_create_from_orders([(order, channel, intake)])

    @classmethod
    def otwb_create_from_orders(cls, items):
        """Create the sales of validated channel orders, given as (order,
        channel, intake): one per warehouse of each order's fulfilment
        plan.  Orders are allocated one after the other (each sees the
        stock the previous ones took); the records are saved in batches."""
        pool = Pool()
        Event = pool.get('otwb.oms.order.event')
        Hold = pool.get('otwb.oms.hold')
        parties = cls._otwb_parties([order for order, _, _ in items])
        # one stock query for the batch (stock_control caches it)
        cls._otwb_availability(
            {w for _, channel, _ in items
                for w in channel.ordered_warehouses},
            {line.product_id for order, _, _ in items
                for line in order.lines})
        built = []
        for (order, channel, intake), (party, address) in zip(
                items, parties, strict=True):
            built.append(cls._otwb_build_sales(
                    order, channel, intake, party, address))
        pool.get('otwb.oms.stock.control').forget_stock()
        all_sales = [sale for sales, _ in built for sale in sales]
        cls.save(all_sales)
        entries = []
        for (order, channel, intake), (sales, _) in zip(items, built):
            for sale in sales:
                description = "channel %s order %s" % (
                    channel.code, order.external_id)
                if len(sales) > 1:
                    description += " (%s)" % sale.otwb_split
                entries.append((sale, 'received', intake, description))
            entries.extend((sale, 'validated', intake, None)
                for sale in sales)
        Event.add_batch(entries)
        for sales, hold_list in built:
            if hold_list:
                for sale in sales:
                    Hold.add(sale, hold_list)
        return all_sales

    @classmethod
    def _otwb_build_sales(cls, order, channel, intake, party, address):
        """Allocate a channel order and build (unsaved) its sales; return
        them with the holds to open"""
        pool = Pool()
        Line = pool.get('sale.line')
        Product = pool.get('product.product')
        Rule = pool.get('otwb.oms.fulfilment.rule')
        rule = Rule.find(Rule.pattern_for(order, channel))
        warehouses = channel.ordered_warehouses
        policy = 'split'
        if rule and rule.action == 'allocate':
            if rule.warehouses:
                warehouses = [w.warehouse for w in rule.warehouses]
            policy = rule.policy or 'split'
        products = {p.id: p for p in Product.browse(
                    list({line.product_id for line in order.lines}))}
        available = cls._otwb_availability(warehouses, products)
        plan = allocation.plan_fulfilment(
            [allocation.OrderLine(
                    id=line.index, product=line.product_id,
                    quantity=line.quantity)
                for line in order.lines],
            [allocation.Warehouse(
                    id=w.id, latitude=w.otwb_latitude,
                    longitude=w.otwb_longitude)
                for w in warehouses],
            available,
            policy=policy,
            destination=allocation.Destination(
                latitude=order.shipping_address.latitude,
                longitude=order.shipping_address.longitude,
                country=order.shipping_address.country))
        hold_list = cls._otwb_evaluate_holds(order, channel, party, plan)
        if rule and rule.action == 'hold':
            hold_list.insert(0, holds_engine.Hold(
                    'rule', rule.hold_reason or rule.name,
                    {'rule': rule.id}))
        if not hold_list:
            # later orders of this transaction must not promise these units
            allocated = defaultdict(Decimal)
            for g in plan.groups:
                for a in g.lines:
                    allocated[g.warehouse, a.product] += a.quantity
            Control = pool.get('otwb.oms.stock.control')
            Control.guard_allocation(available, allocated)
            Control.record_allocation(allocated)
        groups = [(g.warehouse, {a.line_id: a.quantity for a in g.lines})
            for g in plan.groups]
        if plan.unallocated:
            # Short quantities stay on the first warehouse's sale; Tryton
            # keeps its shipment waiting for stock (a back-order).
            if not groups:
                groups = [(warehouses[0].id, {})]
            first = groups[0][1]
            for item in plan.unallocated:
                first[item.line_id] = first.get(
                    item.line_id, Decimal(0)) + item.quantity
        currency = channel.currency
        by_index = {line.index: line for line in order.lines}
        max_weight = cls._otwb_max_weight(rule)
        # each order line amount is apportioned exactly over the warehouse
        # groups, then over the shipment parts (engine.split)
        shares = {}
        for index, nline in by_index.items():
            holders = [g for g, (_, q) in enumerate(groups) if index in q]
            amounts = split_engine.split_amount(
                nline.amount, [groups[g][1][index] for g in holders],
                currency.digits)
            for g, amount in zip(holders, amounts, strict=True):
                shares[g, index] = amount
        sales = []
        for g, (warehouse_id, quantities) in enumerate(groups):
            parts = cls._otwb_split_lines(products, [
                    (index, by_index[index].product_id, quantities[index],
                        shares[g, index])
                    for index in sorted(quantities)],
                max_weight, currency.digits)
            lines, rounding = [], Decimal(0)
            for number, part in enumerate(parts, 1):
                for pline in part.lines:
                    product = products[pline.product]
                    unit_price, left = cls._otwb_exact_price(
                        pline.quantity, pline.amount, currency)
                    rounding += left
                    line = Line(
                        type='line', product=product,
                        quantity=float(pline.quantity),
                        unit=product.sale_uom,
                        unit_price=unit_price,
                        description=None,
                        otwb_shipment_part=number,
                        otwb_shipment_category=part.category)
                    line.on_change_product()
                    line.unit_price = unit_price
                    lines.append(line)
            if rounding:
                # no unit price of the price digits gives the exact amount
                lines.append(Line(
                        type='line', quantity=1, unit_price=rounding,
                        description=gettext('otwb_oms.msg_split_rounding',
                            order=order.external_id)))
            sale = cls(
                company=channel.company, party=party,
                invoice_address=address, shipment_address=address,
                warehouse=warehouse_id, currency=currency,
                sale_date=None, lines=lines,
                invoice_method='manual', shipment_method='order',
                otwb_channel=channel, otwb_external_id=order.external_id,
                otwb_intake=intake,
                otwb_service_level=order.service_level,
                otwb_promised_date=(
                    order.promised_date.date()
                    if isinstance(order.promised_date, dt.datetime)
                    else order.promised_date),
                otwb_split_part=g + 1, otwb_split_count=len(groups),
                otwb_max_weight=max_weight,
                reference=order.external_id,
                comment=order.notes or None)
            sales.append(sale)
        return sales, hold_list

    @classmethod
    def _otwb_open_balance(cls, party, company):
        """Untaxed amount of the party's confirmed or processing sales not
        yet paid, in currency: one query on the amounts Tryton caches when
        a sale is confirmed"""
        pool = Pool()
        Currency = pool.get('currency.currency')
        Date = pool.get('ir.date')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.currency, Sum(table.untaxed_amount_cache),
                where=(table.party == party.id)
                & table.state.in_(['confirmed', 'processing'])
                & (table.invoice_state != 'paid')
                & (table.company == company.id),
                group_by=[table.currency]))
        balance = Decimal(0)
        with Transaction().set_context(date=Date.today()):
            for currency_id, amount in cursor:
                balance += Currency.compute(
                    Currency(currency_id), Decimal(str(amount or 0)),
                    company.currency)
        return balance

    @classmethod
    def _otwb_evaluate_holds(cls, order, channel, party, plan):
        "Holds of a new order (engine.holds) from the configured thresholds"
        pool = Pool()
        Config = pool.get('otwb.configuration')
        Currency = pool.get('currency.currency')
        Date = pool.get('ir.date')
        config = Config(1)
        company = channel.company
        with Transaction().set_context(date=Date.today()):
            total_company = Currency.compute(
                channel.currency, order.untaxed_amount, company.currency)
        open_balance = Decimal(0)
        orders_same_email = 0
        if party.id and party.id > 0:
            if party.otwb_credit_limit is not None:
                open_balance = cls._otwb_open_balance(party, company)
            window = dt.datetime.now() - dt.timedelta(
                hours=config.oms_velocity_hours or 24)
            orders_same_email = cls.search_count([
                    ('party', '=', party.id),
                    ('create_date', '>=', window),
                    ('otwb_channel', '!=', None),
                    ])
        summary = holds_engine.OrderSummary(
            total=order.untaxed_amount, currency=channel.currency.code,
            prepaid=order.payment.prepaid,
            paid_amount=order.payment.paid_amount,
            credit_limit=party.otwb_credit_limit,
            open_balance=open_balance, total_company=total_company,
            address_missing=tuple(
                m for m in order.address_missing if m != 'coordinates'),
            ordered_quantity=order.total_quantity,
            unallocated_quantity=plan.unallocated_quantity,
            orders_same_email=orders_same_email,
            shipping_country=order.shipping_address.country,
            shipping_postal_code=order.shipping_address.postal_code)
        thresholds = holds_engine.HoldThresholds(
            address_required=('street', 'city', 'postal_code', 'country'),
            hold_on_partial_stock=bool(config.oms_hold_partial_stock),
            default_high_value=config.oms_high_value,
            velocity_window_hours=config.oms_velocity_hours or 24,
            max_orders_per_email=config.oms_max_orders_per_email or 3,
            fraud_score=config.oms_fraud_score or 2)
        return holds_engine.evaluate_holds(summary, thresholds)

    @classmethod
    def otwb_confirm(cls, sales):
        "Quote, confirm and process the sales; reserve their shipments"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        Event = pool.get('otwb.oms.order.event')
        Config = pool.get('otwb.configuration')
        sales = [s for s in cls.browse([s.id for s in sales])
            if not any(h.state == 'open' for h in s.otwb_holds)]
        if not sales:
            return
        cls.quote([s for s in sales if s.state == 'draft'])
        cls.confirm(sales)
        merge_window = Config(1).oms_merge_window
        if merge_window:
            # one at a time: a sale's shipments must be saved before the
            # next sale of the batch looks for a shipment to merge into
            for sale in sorted(sales, key=lambda s: s.id):
                cls.process([sale])
        else:
            cls.process(sales)
        sales = cls.browse([s.id for s in sales])
        Event.add_batch([(sale, 'allocated', sale.warehouse,
                    sale.warehouse.rec_name) for sale in sales])
        shipments = {s for sale in sales for s in sale.shipments
            if s.state == 'waiting'}
        if merge_window:
            # the shipments wait for the orders merged into them; the
            # cron reserves them when the merge window ends
            shipments = [s for s in shipments
                if s.otwb_merge_until is None
                or s.otwb_merge_until <= dt.datetime.now()]
        if shipments:
            Shipment.assign_try(sorted(shipments, key=lambda s: s.id))
        pool.get('otwb.oms.stock.control').reserved()


class OrderEvent(ModelSQL, ModelView):
    "Order Timeline Event"
    __string__ = "Order Timeline Event"
    __name__ = 'otwb.oms.order.event'

    sale = fields.Many2One(
        'sale.sale', "Order", required=True, ondelete='CASCADE')
    type = fields.Selection(EVENT_TYPES, "Event", required=True)
    time = fields.DateTime("Time", required=True)
    source = fields.Reference("Source", selection='get_sources')
    description = fields.Char("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.sale, Index.Equality()),
                (t.time, Index.Range())))
        cls._order = [('time', 'ASC'), ('id', 'ASC')]

    @classmethod
    def get_sources(cls):
        Model = Pool().get('ir.model')
        models = ['otwb.oms.intake', 'stock.shipment.out', 'stock.location',
            'sale.sale', 'otwb.wms.task', 'otwb.tms.trip',
            'otwb.tms.trip.stop']
        return [(None, '')] + [(m, Model.get_name(m)) for m in models]

    @classmethod
    def add(cls, sales, type_, source=None, description=None, time=None):
        return cls.add_batch(
            [(s, type_, source, description) for s in sales], time=time)

    @classmethod
    def add_batch(cls, entries, time=None):
        "Save events from (sale, type, source, description) in one go"
        time = time or dt.datetime.now()
        events = [cls(sale=sale, type=type_, time=time,
                source=str(source) if source is not None else None,
                description=(description or '')[:255] or None)
            for sale, type_, source, description in entries]
        cls.save(events)
        return events


class ShipmentOut(metaclass=PoolMeta):
    "Shipment state changes feed the order timeline"
    __name__ = 'stock.shipment.out'

    def otwb_sales(self):
        return {m.sale for m in self.outgoing_moves + self.inventory_moves
            if m.sale}

    @classmethod
    def _otwb_event(cls, shipments, type_):
        Event = Pool().get('otwb.oms.order.event')
        for shipment in shipments:
            sales = shipment.otwb_sales()
            if sales:
                Event.add(list(sales), type_, source=shipment,
                    description=shipment.number)

    @classmethod
    @Workflow.transition('picked')
    def pick(cls, shipments):
        super().pick(shipments)
        cls._otwb_event(shipments, 'picked')

    @classmethod
    @Workflow.transition('packed')
    def pack(cls, shipments):
        super().pack(shipments)
        cls._otwb_event(shipments, 'packed')

    @classmethod
    @Workflow.transition('shipped')
    def ship(cls, shipments):
        super().ship(shipments)
        cls._otwb_event(shipments, 'shipped')

    @classmethod
    @Workflow.transition('done')
    def do(cls, shipments):
        super().do(shipments)
        cls._otwb_event(shipments, 'delivered')


class PackingSlip(metaclass=PoolMeta):
    "The packing slip names the channel orders the shipment delivers"
    __name__ = 'otwb.wms.shipment.out.packing_slip'

    @classmethod
    def order_references(cls, shipment):
        references = super().order_references(shipment)
        for sale in sorted(shipment.otwb_sales(),
                key=lambda s: (s.number or '', s.id)):
            reference = sale.number or sale.rec_name
            if sale.otwb_external_id:
                reference += ' / ' + ' '.join(filter(None, [
                            sale.otwb_channel.code if sale.otwb_channel
                            else None, sale.otwb_external_id]))
            elif sale.reference:
                reference += ' / ' + sale.reference
            references.append(reference)
        return references
