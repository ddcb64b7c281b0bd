# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pick faces with a minimum and maximum, refilled from reserve bins."""
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Check, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction

from .task import OPEN_STATES

# zones goods are never taken from to refill a pick face
NOT_RESERVE_ZONES = {'pick_face', 'receiving', 'packing', 'shipping'}


class PickFace(ModelSQL, ModelView):
    "Pick Face"
    __name__ = 'otwb.wms.pick.face'
    __string__ = "Pick Face"

    company = fields.Many2One('company.company', "Company", required=True)
    location = fields.Many2One(
        'stock.location', "Bin", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'storage')])
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE',
        domain=[('type', '=', 'goods')])
    min_quantity = fields.Float(
        "Minimum", required=True, digits=(16, 4),
        help="Below this quantity a replenish task is created.")
    max_quantity = fields.Float(
        "Maximum", required=True, digits=(16, 4),
        help="The replenish task fills the bin up to this quantity.")
    quantity = fields.Function(
        fields.Float("Quantity", digits=(16, 4)), 'get_quantity')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('location_product_unique', Unique(t, t.location, t.product),
                'otwb_wms.msg_pick_face_unique'),
            ('min_max', Check(t, (t.min_quantity >= 0)
                    & (t.max_quantity > t.min_quantity)),
                'otwb_wms.msg_pick_face_min_max'),
            ]
        cls._order.insert(0, ('location', 'ASC'))
        cls._buttons.update({
                'replenish': {},
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def _check_min_max(cls, low, high):
        if low is None or high is None or low < 0 or high <= low:
            raise ValidationError(gettext(
                    'otwb_wms.msg_pick_face_min_max_values',
                    minimum=low, maximum=high))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            cls._check_min_max(
                values.get('min_quantity'), values.get('max_quantity'))
        return values

    @classmethod
    def check_modification(cls, mode, faces, values=None, external=False):
        super().check_modification(
            mode, faces, values=values, external=external)
        if mode == 'write' and values and (
                {'min_quantity', 'max_quantity'} & set(values)):
            for face in faces:
                cls._check_min_max(
                    values.get('min_quantity', face.min_quantity),
                    values.get('max_quantity', face.max_quantity))

    @classmethod
    def _stock(cls, location_ids, product_ids, assign=False, lots=False):
        pool = Pool()
        Product = pool.get('product.product')
        Date = pool.get('ir.date')
        with Transaction().set_context(
                stock_date_end=Date.today(), forecast=False,
                stock_assign=assign):
            return Product.products_by_location(
                list(location_ids), with_childs=False,
                grouping=('product', 'lot') if lots else ('product',),
                grouping_filter=(list(product_ids),))

    @classmethod
    def get_quantity(cls, faces, name):
        stock = cls._stock({f.location.id for f in faces},
            {f.product.id for f in faces})
        return {f.id: stock.get((f.location.id, f.product.id), 0.0)
            for f in faces}

    @classmethod
    def _reserve_bins(cls, warehouse, faces_locations):
        Location = Pool().get('stock.location')
        excluded = set(faces_locations)
        if warehouse.picking_location:
            excluded.add(warehouse.picking_location.id)
        return [loc for loc in Location.search([
                    ('parent', 'child_of',
                        [warehouse.storage_location.id]),
                    ('type', '=', 'storage'),
                    ], order=[('id', 'ASC')])
            if loc.id not in excluded
            and (loc.otwb_zone_type or '') not in NOT_RESERVE_ZONES]

    @classmethod
    def _short_faces(cls, faces):
        """The faces below their minimum without an open replenish task,
        and the quantity of every face"""
        Task = Pool().get('otwb.wms.task')
        open_keys = {(t.to_location.id, t.product.id) for t in Task.search([
                    ('type', '=', 'replenish'),
                    ('state', 'in', list(OPEN_STATES)),
                    ('to_location', 'in', [f.location.id for f in faces]),
                    ])}
        current = cls.get_quantity(faces, 'quantity')
        return [f for f in faces
            if (f.location.id, f.product.id) not in open_keys
            and current[f.id] < f.min_quantity], current

    @classmethod
    @ModelView.button
    def replenish(cls, faces):
        """Create replenish tasks for the faces below their minimum and
        without an open replenish task: from the reserve bins with the most
        unreserved stock (bulk zone first) up to the maximum.  The moves
        are reserved; returns the tasks."""
        pool = Pool()
        Move = pool.get('stock.move')
        Product = pool.get('product.product')
        Task = pool.get('otwb.wms.task')
        Date = pool.get('ir.date')
        faces = [f for f in faces if f.location.warehouse]
        if not faces:
            return []
        short, current = cls._short_faces(faces)
        if short:
            # Two triggers at once (picks completing side by side) would
            # each see no open task and reserve the same reserve stock:
            # the products are locked.  Unless they were locked when the
            # transaction started, it restarts with the lock taken before
            # its snapshot: a replenishment another transaction committed
            # meanwhile is then seen above and not repeated.
            Product.lock(sorted({f.product.id for f in short}))
        by_warehouse = defaultdict(list)
        for face in short:
            by_warehouse[face.location.warehouse].append(face)
        all_faces = {(f.location.id, f.product.id) for f in cls.search([])}
        moves, tasks = [], []
        for warehouse, wfaces in by_warehouse.items():
            face_locs = {loc for loc, _ in all_faces}
            reserve = cls._reserve_bins(warehouse, face_locs)
            if not reserve:
                continue
            # as Tryton's assign_try: no other reservation of this stock
            # runs meanwhile
            Move._assign_try_lock(
                list({f.product.id for f in wfaces}),
                [loc.id for loc in reserve],
                list({f.company.id for f in wfaces}), Date.today(),
                ('product', 'lot'))
            rank = {loc.id: (0 if loc.otwb_zone_type == 'bulk' else 1)
                for loc in reserve}
            available = dict(cls._stock(
                    [loc.id for loc in reserve],
                    {f.product.id for f in wfaces}, assign=True, lots=True))
            for face in wfaces:
                need = face.max_quantity - current[face.id]
                sources = sorted(
                    ((k, q) for k, q in available.items()
                        if k[1] == face.product.id and q > 0),
                    key=lambda i: (rank[i[0][0]], -i[1], i[0][0],
                        i[0][2] or 0))
                for (loc_id, product_id, lot_id), qty in sources:
                    if need <= 1e-9:
                        break
                    take = face.product.default_uom.round(min(qty, need))
                    if take <= 0:
                        continue
                    available[(loc_id, product_id, lot_id)] -= take
                    need -= take
                    move = Move(
                        product=face.product,
                        unit=face.product.default_uom,
                        quantity=take, from_location=loc_id,
                        to_location=face.location, company=face.company,
                        lot=lot_id, planned_date=Date.today())
                    if move.on_change_with_unit_price_required():
                        move.unit_price = (face.product.cost_price
                            or Decimal(0))
                        move.currency = face.company.currency
                    moves.append(move)
                    tasks.append(Task(
                            type='replenish', company=face.company,
                            warehouse=warehouse, product=face.product,
                            lot=lot_id, quantity=take,
                            from_location=loc_id,
                            to_location=face.location, move=move,
                            priority=5))
        Move.save(moves)
        Move.assign(moves)
        for task, move in zip(tasks, moves):
            task.move = move
        Task.save(tasks)
        return tasks

    @classmethod
    def replenish_all(cls):
        "Cron: replenish every pick face below its minimum"
        return cls.replenish(cls.search([]))
