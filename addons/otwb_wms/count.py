# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""ABC classification per warehouse, cycle counts and their adjustments.

An inventory policy of a warehouse says how products are ranked (pick
lines or consumption value of the outgoing moves over a period), where
the A/B/C cuts are and how often each class is counted.  Count tasks are
ordinary warehouse tasks of type ``count``; completing them books a
Tryton ``stock.inventory`` of the bin whose lines carry the reason code.

Empty bins are counted too, at their own interval: goods put in a bin
the system thinks empty (a misplaced pallet) are found only by looking.
The count task of an empty bin has no product; the operator who finds
goods there gives the product found (and its lot), and the count books
them into the bin with a positive adjustment and its reason.
"""
import datetime as dt
from collections import defaultdict

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Check, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .engine import abc
from .task import OPEN_STATES, valid_id

COUNT_REASONS = [
    (None, ""),
    ('damaged', "Damaged"),
    ('lost', "Lost"),
    ('found', "Found"),
    ('miscount', "Miscount"),
    ('theft', "Theft"),
    ('expired', "Expired"),
    ('other', "Other"),
    ]
CLASSES = [('A', "A"), ('B', "B"), ('C', "C")]


class InventoryPolicy(ModelSQL, ModelView):
    "Inventory Policy"
    __name__ = 'otwb.wms.inventory.policy'
    __string__ = "Count Policy"

    company = fields.Many2One('company.company', "Company", required=True)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'warehouse')])
    abc_basis = fields.Selection([
            ('frequency', "Pick Frequency"),
            ('value', "Consumption Value"),
            ], "ABC Basis", required=True,
        help="Pick frequency: number of outgoing move lines; consumption "
        "value: quantity times cost price (list price without cost).")
    period_days = fields.Integer(
        "Period (days)", required=True,
        help="The outgoing moves of the last days that are ranked.")
    a_share = fields.Float(
        "A Share (%)", required=True, digits=(5, 2),
        help="The A products together cover at least this share.")
    b_share = fields.Float("B Share (%)", required=True, digits=(5, 2))
    c_share = fields.Function(
        fields.Float("C Share (%)", digits=(5, 2)),
        'on_change_with_c_share')
    count_days_a = fields.Integer("Count A every (days)", required=True)
    count_days_b = fields.Integer("Count B every (days)", required=True)
    count_days_c = fields.Integer("Count C every (days)", required=True)
    count_days_empty = fields.Integer(
        "Count Empty Bins every (days)", required=True,
        help="Bins without stock are counted at this interval, so that "
        "goods put there unrecorded are found.")
    count_priority = fields.Integer(
        "Count Task Priority", required=True,
        help="Lower numbers are claimed first.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('warehouse_unique', Unique(t, t.warehouse),
                'otwb_wms.msg_inventory_policy_unique'),
            ('period_positive', Check(t, t.period_days > 0),
                'otwb_wms.msg_inventory_policy_days'),
            ('count_days_positive', Check(t,
                    (t.count_days_a > 0) & (t.count_days_b > 0)
                    & (t.count_days_c > 0)),
                'otwb_wms.msg_inventory_policy_days'),
            ('count_days_empty_positive',
                Check(t, t.count_days_empty > 0),
                'otwb_wms.msg_inventory_policy_days'),
            ('shares', Check(t, (t.a_share >= 0) & (t.b_share >= 0)
                    & (t.a_share + t.b_share <= 100)),
                'otwb_wms.msg_inventory_policy_shares'),
            ]
        cls._buttons.update({
                'compute_abc': {},
                'generate_counts': {},
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_abc_basis(cls):
        return 'frequency'

    @classmethod
    def default_period_days(cls):
        return 90

    @classmethod
    def default_a_share(cls):
        return 80.0

    @classmethod
    def default_b_share(cls):
        return 15.0

    @classmethod
    def default_count_days_a(cls):
        return 30

    @classmethod
    def default_count_days_b(cls):
        return 90

    @classmethod
    def default_count_days_c(cls):
        return 180

    @classmethod
    def default_count_days_empty(cls):
        return 90

    @classmethod
    def default_count_priority(cls):
        return 30

    @fields.depends('a_share', 'b_share')
    def on_change_with_c_share(self, name=None):
        return max(100.0 - (self.a_share or 0) - (self.b_share or 0), 0.0)

    def get_rec_name(self, name):
        return self.warehouse.rec_name

    @property
    def intervals(self):
        return {'A': self.count_days_a, 'B': self.count_days_b,
            'C': self.count_days_c}

    # --- ABC ------------------------------------------------------------
    def abc_scores(self, today=None):
        """``{product id: score}`` of the outgoing moves of the warehouse
        storage done over the period, plus 0 for the products in stock."""
        pool = Pool()
        Move = pool.get('stock.move')
        Product = pool.get('product.product')
        Date = pool.get('ir.date')
        today = today or Date.today()
        warehouse = self.warehouse
        storage = warehouse.storage_location
        start = today - dt.timedelta(days=self.period_days)
        domain = [
            ('state', '=', 'done'),
            ('effective_date', '>', start),
            ('effective_date', '<=', today),
            ('from_location', 'child_of', [storage.id], 'parent'),
            ('to_location', 'not child_of', [storage.id], 'parent'),
            ['OR',
                ('to_location.type', '=', 'customer'),
                ('to_location', 'child_of',
                    [warehouse.output_location.id], 'parent'),
                ],
            ]
        domain.append(('company', '=', self.company.id))
        scores = defaultdict(float)
        with Transaction().set_context(company=self.company.id):
            moves = Move.search(domain, order=[('id', 'ASC')])
            for move in moves:
                product = move.product
                if self.abc_basis == 'frequency':
                    scores[product.id] += 1
                else:
                    price = (product.cost_price or product.list_price_used
                        or 0)
                    scores[product.id] += float(
                        move.internal_quantity) * float(price)
        with Transaction().set_context(
                stock_date_end=today, forecast=False):
            stock = Product.products_by_location(
                [storage.id], with_childs=True)
        for (_, product_id), quantity in stock.items():
            if quantity:
                scores.setdefault(product_id, 0.0)
        return dict(scores)

    @classmethod
    @ModelView.button
    def compute_abc(cls, policies, today=None):
        """Rank the products of each warehouse and store their class;
        products ranked before but gone from both moves and stock keep
        their row with class C and score 0."""
        pool = Pool()
        ABCClass = pool.get('otwb.wms.abc.class')
        now = dt.datetime.now()
        for policy in policies:
            scores = policy.abc_scores(today=today)
            existing = {c.product.id: c for c in ABCClass.search([
                        ('warehouse', '=', policy.warehouse.id)])}
            for product_id in existing:
                scores.setdefault(product_id, 0.0)
            classes = abc.classify(
                scores, policy.a_share / 100, policy.b_share / 100)
            total = sum(scores.values())
            ranked = sorted(scores, key=lambda p: (-scores[p], p))
            cumulative, to_save = 0.0, []
            for product_id in ranked:
                cumulative += scores[product_id]
                record = existing.get(product_id) or ABCClass(
                    warehouse=policy.warehouse, product=product_id)
                record.abc_class = classes[product_id]
                record.basis = policy.abc_basis
                record.score = round(scores[product_id], 4)
                record.cumulative_share = round(
                    100 * cumulative / total, 2) if total else 0.0
                record.computed_at = now
                to_save.append(record)
            ABCClass.save(to_save)

    @classmethod
    def run_abc(cls):
        "Cron: recompute the ABC classes of every warehouse with a policy"
        cls.compute_abc(cls.search([]))

    # --- cycle counts ---------------------------------------------------
    @classmethod
    @ModelView.button
    def generate_counts(cls, policies, today=None):
        """Create one count task per bin, product and lot in stock whose
        last count is older than its class interval and that has no open
        count task, and one count task without product per empty bin
        whose last count (of any product) is older than the empty bin
        interval and that has no open count task; returns the tasks."""
        pool = Pool()
        Location = pool.get('stock.location')
        Product = pool.get('product.product')
        Task = pool.get('otwb.wms.task')
        ABCClass = pool.get('otwb.wms.abc.class')
        Date = pool.get('ir.date')
        today = today or Date.today()
        tasks = []
        for policy in policies:
            warehouse = policy.warehouse
            bins = Location.search([
                    ('parent', 'child_of',
                        [warehouse.storage_location.id]),
                    ('type', '=', 'storage'),
                    ], order=[('id', 'ASC')])
            bin_ids = [b.id for b in bins]
            # the bins: storage locations without child location
            parents = {loc.parent.id for loc in Location.search([
                        ('parent', 'child_of',
                            [warehouse.storage_location.id]),
                        ('parent', '!=', None),
                        ])}
            leaves = [b for b in bin_ids if b not in parents
                and b != warehouse.storage_location.id]
            with Transaction().set_context(
                    stock_date_end=today, forecast=False,
                    company=policy.company.id):
                stock = Product.products_by_location(
                    bin_ids, with_childs=False,
                    grouping=('product', 'lot'))
            classes = {c.product.id: c.abc_class for c in ABCClass.search([
                        ('warehouse', '=', warehouse.id)])}
            last, open_ = {}, set()
            # a bin's last count of any product, a bin with any open count
            bin_last, bin_open = {}, set()
            for task in Task.search([
                        ('type', '=', 'count'),
                        ('warehouse', '=', warehouse.id),
                        ('from_location', 'in', bin_ids),
                        ('state', 'in', list(OPEN_STATES | {'done'})),
                        ]):
                loc_id = task.from_location.id
                # the goods found in an empty bin were counted there
                product, lot = task.counted_product, task.counted_lot
                key = (loc_id, product.id if product else None,
                    lot.id if lot else None)
                if task.state != 'done':
                    open_.add(key)
                    bin_open.add(loc_id)
                elif task.done_at:
                    if key not in last or task.done_at > last[key]:
                        last[key] = task.done_at
                    if loc_id not in bin_last \
                            or task.done_at > bin_last[loc_id]:
                        bin_last[loc_id] = task.done_at
            for (loc_id, product_id, lot_id), quantity in sorted(
                    stock.items(), key=lambda i: (i[0][0], i[0][1],
                        i[0][2] or 0)):
                key = (loc_id, product_id, lot_id)
                if not quantity or key in open_:
                    continue
                if not abc.count_due(classes.get(product_id),
                        last.get(key), today, policy.intervals):
                    continue
                tasks.append(Task(
                        type='count', company=policy.company,
                        warehouse=warehouse, product=product_id,
                        lot=lot_id, quantity=quantity,
                        from_location=loc_id,
                        priority=policy.count_priority))
            stocked = {loc_id for (loc_id, _, _), quantity in stock.items()
                if quantity}
            # an empty bin has no class: its own interval stands for C
            empty_interval = {'C': policy.count_days_empty}
            for loc_id in leaves:
                if loc_id in stocked or loc_id in bin_open:
                    continue
                if not abc.count_due(None, bin_last.get(loc_id), today,
                        empty_interval):
                    continue
                tasks.append(Task(
                        type='count', company=policy.company,
                        warehouse=warehouse, product=None, lot=None,
                        quantity=0, from_location=loc_id,
                        priority=policy.count_priority))
        Task.save(tasks)
        return tasks

    @classmethod
    def run_counts(cls):
        "Cron: create the count tasks due in every warehouse with a policy"
        cls.generate_counts(cls.search([]))


class ABCClass(ModelSQL, ModelView):
    "ABC Class"
    __name__ = 'otwb.wms.abc.class'
    __string__ = "ABC Class"

    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'warehouse')], readonly=True)
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE',
        readonly=True)
    abc_class = fields.Selection(CLASSES, "Class", required=True,
        readonly=True)
    basis = fields.Selection([
            ('frequency', "Pick Frequency"),
            ('value', "Consumption Value"),
            ], "Basis", readonly=True)
    score = fields.Float("Score", digits=(16, 4), readonly=True,
        help="Pick lines or consumption value over the period.")
    cumulative_share = fields.Float(
        "Cumulative Share (%)", digits=(5, 2), readonly=True)
    computed_at = fields.DateTime("Computed At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('warehouse_product_unique', Unique(t, t.warehouse, t.product),
                'otwb_wms.msg_abc_class_unique'),
            ]
        cls._order = [('warehouse', 'ASC'), ('abc_class', 'ASC'),
            ('score', 'DESC'), ('id', 'ASC')]

    @classmethod
    def get_class(cls, warehouse, product):
        "The class of the product in the warehouse, else None"
        records = cls.search([
                ('warehouse', '=', warehouse.id),
                ('product', '=', product.id),
                ], limit=1)
        return records[0].abc_class if records else None


class Task(metaclass=PoolMeta):
    __name__ = 'otwb.wms.task'

    _count_states = {
        'invisible': Eval('type') != 'count',
        'readonly': ~Eval('state').in_(list(OPEN_STATES)),
        }
    counted_quantity = fields.Float(
        "Counted Quantity", digits=(16, 4), states=_count_states,
        domain=['OR',
            ('counted_quantity', '=', None),
            ('counted_quantity', '>=', 0),
            ],
        help="What the operator found in the bin.")
    count_reason = fields.Selection(
        COUNT_REASONS, "Reason", states=_count_states,
        help="Why the counted quantity differs from the system quantity.")
    expected_quantity = fields.Float(
        "System Quantity", digits=(16, 4), readonly=True,
        states={'invisible': Eval('type') != 'count'},
        help="The stock of the bin when the count was booked.")
    variance = fields.Float(
        "Variance", digits=(16, 4), readonly=True,
        states={'invisible': Eval('type') != 'count'},
        help="Counted minus system quantity.")
    inventory = fields.Many2One(
        'stock.inventory', "Inventory", readonly=True, ondelete='SET NULL',
        states={'invisible': Eval('type') != 'count'})
    _found_states = {
        'invisible': (Eval('type') != 'count') | Eval('product'),
        'readonly': ~Eval('state').in_(list(OPEN_STATES)),
        }
    found_product = fields.Many2One(
        'product.product', "Found Product", states=_found_states,
        domain=[('type', '=', 'goods')],
        help="The goods found in a bin the system thinks empty.")
    found_lot = fields.Many2One(
        'stock.lot', "Found Lot", states=_found_states,
        domain=[('product', '=', Eval('found_product', -1))],
        help="The lot of the goods found in the empty bin.")
    del _count_states, _found_states

    @property
    def counted_product(self):
        "The product a count task counts: its own or the one found"
        return self.product or self.found_product

    @property
    def counted_lot(self):
        return self.lot if self.product else self.found_lot

    @classmethod
    def complete(cls, device, task_id, quantity=None, reason=None,
            product=None):
        """Complete a claimed task; a count task takes the counted
        quantity (any number >= 0) and the reason of its variance; the
        count of an empty bin takes the ``product`` found there (its code
        or id)."""
        if product is not None:
            cls._check_write_access()
            task, = cls._device_tasks(device, [task_id])
            found = cls._found_product(task, product)
            cls.write([task], {'found_product': found.id})
        if reason is not None:
            cls._check_write_access()
            reasons = {r for r, _ in COUNT_REASONS if r}
            if reason not in reasons:
                raise AccessError(gettext(
                        'otwb_wms.msg_invalid_count_reason',
                        reason=repr(reason)[:40],
                        reasons=', '.join(sorted(reasons))))
            task, = cls._device_tasks(device, [task_id])
            if task.type == 'count':
                cls.write([task], {'count_reason': reason})
        return super().complete(device, task_id, quantity=quantity)

    @classmethod
    def _found_product(cls, task, value):
        "The goods product of code or id ``value`` found in the empty bin"
        Product = Pool().get('product.product')
        if task.type != 'count' or task.product:
            raise AccessError(gettext(
                    'otwb_wms.msg_found_product_not_empty_count',
                    task=task.id, value=repr(value)[:40]))
        products = []
        if isinstance(value, str) and value.strip():
            products = Product.search([
                    ('code', '=', value.strip()),
                    ('type', '=', 'goods'),
                    ], limit=1)
        elif valid_id(value):
            products = Product.search([
                    ('id', '=', value),
                    ('type', '=', 'goods'),
                    ], limit=1)
        if not products:
            raise AccessError(gettext(
                    'otwb_wms.msg_invalid_found_product',
                    task=task.id, value=repr(value)[:40]))
        return products[0]

    @classmethod
    def _do(cls, tasks, quantities=None):
        quantities = dict(quantities or {})
        counts = [t for t in tasks if t.type == 'count']
        for task in counts:
            if task.id not in quantities:
                quantities[task.id] = (task.counted_quantity
                    if task.counted_quantity is not None else task.quantity)
        cls._check_counts(counts, quantities)
        super()._do(tasks, quantities)

    @classmethod
    def _system_quantities(cls, tasks):
        "``{task id: quantity}`` of the task's product and lot in its bin"
        pool = Pool()
        Product = pool.get('product.product')
        Date = pool.get('ir.date')
        result = {}
        by_company = defaultdict(list)
        for task in tasks:
            if task.counted_product:
                by_company[task.company].append(task)
            else:
                # an empty bin where nothing was found
                result[task.id] = 0.0
        for company, ctasks in by_company.items():
            with Transaction().set_context(company=company.id):
                today = Date.today()
            with Transaction().set_context(
                    company=company.id, stock_date_end=today,
                    forecast=False):
                stock = Product.products_by_location(
                    list({t.from_location.id for t in ctasks}),
                    with_childs=False, grouping=('product', 'lot'),
                    grouping_filter=(
                        list({t.counted_product.id for t in ctasks}),))
            for task in ctasks:
                lot = task.counted_lot
                result[task.id] = stock.get((task.from_location.id,
                        task.counted_product.id,
                        lot.id if lot else None), 0.0)
        return result

    @classmethod
    def _check_counts(cls, tasks, quantities):
        """Counted quantities >= 0; goods found in an empty bin need their
        product; a variance needs a reason"""
        if not tasks:
            return
        for task in tasks:
            if not task.from_location:
                raise UserError(gettext(
                        'otwb_wms.msg_count_task_incomplete', task=task.id))
        for task in tasks:
            counted = quantities[task.id]
            if counted is None or counted < 0:
                raise UserError(gettext(
                        'otwb_wms.msg_count_quantity_negative',
                        task=task.id, quantity=counted))
            if counted > 0 and not task.counted_product:
                raise UserError(gettext(
                        'otwb_wms.msg_count_found_product_required',
                        task=task.id, quantity=counted,
                        location=task.from_location.rec_name))
        system = cls._system_quantities(tasks)
        for task in tasks:
            counted = quantities[task.id]
            if abs(counted - system[task.id]) > 1e-9 \
                    and not task.count_reason:
                raise UserError(gettext(
                        'otwb_wms.msg_count_reason_required',
                        task=task.id,
                        product=task.counted_product.rec_name,
                        location=task.from_location.rec_name,
                        counted=counted, system=system[task.id]))

    @classmethod
    def _after_done(cls, tasks):
        pool = Pool()
        PickFace = pool.get('otwb.wms.pick.face')
        super()._after_done(tasks)
        counts = [t for t in tasks if t.type == 'count']
        if counts:
            with without_check_access():
                cls._book_counts(counts)
        picks = [t for t in tasks if t.type == 'pick' and t.from_location
            and t.product]
        if picks:
            with without_check_access():
                faces = PickFace.search([
                        ('location', 'in',
                            list({t.from_location.id for t in picks})),
                        ('product', 'in',
                            list({t.product.id for t in picks})),
                        ])
                if faces:
                    PickFace.replenish(faces)

    @classmethod
    def _book_counts(cls, tasks):
        """One confirmed ``stock.inventory`` per company and bin with a
        line per counted product and lot, its reason and task"""
        pool = Pool()
        Inventory = pool.get('stock.inventory')
        Line = pool.get('stock.inventory.line')
        Date = pool.get('ir.date')
        groups = defaultdict(list)
        nothing = []
        for task in tasks:
            if task.counted_product:
                groups[(task.company, task.from_location)].append(task)
            else:
                # an empty bin found empty: nothing to book
                nothing.append(task)
        if nothing:
            cls.write(nothing, {'expected_quantity': 0, 'variance': 0})
        inventories = []
        for (company, location), gtasks in groups.items():
            with Transaction().set_context(company=company.id):
                today = Date.today()
            inventory = Inventory(
                company=company, location=location, date=today,
                empty_quantity='keep',
                lines=[Line(product=t.counted_product, lot=t.counted_lot,
                        quantity=t.done_quantity,
                        otwb_reason=t.count_reason, otwb_task=t)
                    for t in gtasks])
            inventories.append(inventory)
        Inventory.save(inventories)
        Inventory.confirm(inventories)
        to_write = []
        for inventory in inventories:
            for line in inventory.lines:
                expected = line.expected_quantity
                to_write.extend(([line.otwb_task], {
                            'inventory': inventory.id,
                            'expected_quantity': expected,
                            'variance': round(line.quantity - expected, 4),
                            }))
        if to_write:
            cls.write(*to_write)


class InventoryLine(metaclass=PoolMeta):
    __name__ = 'stock.inventory.line'

    otwb_reason = fields.Selection(
        COUNT_REASONS, "Reason",
        states={'readonly': Eval('inventory_state') != 'draft'},
        help="Why the actual quantity differs from the expected one.")
    otwb_task = fields.Many2One(
        'otwb.wms.task', "Count Task", readonly=True, ondelete='SET NULL')
    otwb_variance = fields.Function(
        fields.Float("Variance", digits='unit'), 'get_otwb_variance')

    def get_otwb_variance(self, name):
        if self.quantity is None:
            return None
        return self.quantity - (self.expected_quantity or 0)
