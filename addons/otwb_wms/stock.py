# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.otwb_base.otwb import OfficeDocument
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction

from .engine import cartonize


class PackageError(ValidationError):
    pass


MEASUREMENT_FIELDS = [
    'length', 'length_uom', 'width', 'width_uom', 'height', 'height_uom',
    'packaging_weight', 'packaging_weight_uom',
    'packaging_volume', 'packaging_volume_uom']


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    otwb_tasks = fields.One2Many(
        'otwb.wms.task', 'shipment', "Warehouse Tasks", readonly=True)
    otwb_pick_distance = fields.Float(
        "Pick Path (m)", digits=(10, 1), readonly=True,
        help="Walking length of the optimised pick path of the shipment, "
        "from the depot back to the depot, on the aisle graph.")

    @classmethod
    @Workflow.transition('assigned')
    def assign(cls, shipments):
        super().assign(shipments)
        cls.otwb_create_pick_tasks(shipments)

    @classmethod
    @Workflow.transition('packed')
    def pack(cls, shipments):
        cls._otwb_check_vas_done(shipments)
        super().pack(shipments)

    @classmethod
    def _otwb_check_vas_done(cls, shipments):
        "Refuse to pack a shipment whose services before packing are open"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        tasks = Task.search([
                ('type', '=', 'vas'),
                ('vas_origin', 'in', [str(s) for s in shipments]),
                ('state', 'not in', ['done', 'cancelled']),
                ('vas_service.before_packing', '=', True),
                ('vas_service.unit', '!=', 'carton'),
                ], order=[('id', 'ASC')])
        if tasks:
            shipment = tasks[0].vas_origin
            tasks = [t for t in tasks if t.vas_origin == shipment]
            raise PackageError(gettext(
                    'otwb_wms.msg_pack_vas_open',
                    shipment=shipment.rec_name,
                    services=', '.join(sorted(
                            {t.vas_service.rec_name for t in tasks})),
                    tasks=', '.join('%d (%s)' % (t.id, t.state)
                        for t in tasks)))

    @classmethod
    def otwb_create_pick_tasks(cls, shipments):
        """Create one pick task per reserved inventory move without one,
        numbered along the optimised pick path of the shipment"""
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        existing = {t.move.id for t in Task.search([
                    ('move', 'in', [m.id for s in shipments
                            for m in s.inventory_moves]),
                    ('state', '!=', 'cancelled'),
                    ])}
        tasks = []
        by_shipment = defaultdict(list)
        for shipment in shipments:
            if shipment.warehouse_storage == shipment.warehouse_output:
                continue
            moves = [m for m in shipment.inventory_moves
                if m.state == 'assigned' and m.id not in existing]
            for move in moves:
                task = Task(
                    type='pick',
                    company=shipment.company,
                    warehouse=shipment.warehouse,
                    product=move.product,
                    lot=getattr(move, 'lot', None),
                    quantity=move.quantity,
                    from_location=move.from_location,
                    to_location=move.to_location,
                    move=move,
                    shipment=shipment,
                    )
                tasks.append(task)
                by_shipment[shipment].append(task)
        Task.save(tasks)
        to_write = []
        for shipment in by_shipment:
            open_tasks = Task.search([
                    ('shipment', '=', str(shipment)),
                    ('type', '=', 'pick'),
                    ('state', '=', 'pending'),
                    ])
            length = Task.sequence_path(open_tasks, shipment.warehouse)
            to_write.extend(([shipment], {
                        'otwb_pick_distance': round(length, 1)}))
        if to_write:
            cls.write(*to_write)
        return tasks

    @classmethod
    def otwb_check_picked(cls, shipments):
        "Mark picked the assigned shipments whose pick tasks are all done"
        picked = []
        for shipment in cls.browse([s.id for s in shipments]):
            if shipment.state != 'assigned':
                continue
            # a failed pick whose move was cancelled is a closed short pick
            tasks = [t for t in shipment.otwb_tasks if t.type == 'pick'
                and t.state != 'cancelled'
                and not (t.state == 'failed' and t.move
                    and t.move.state == 'cancelled')]
            if tasks and all(t.state == 'done' for t in tasks):
                picked.append(shipment)
        if picked:
            cls.pick(picked)
        return picked

    @classmethod
    @ModelView.button
    def otwb_pack(cls, shipments):
        """Pack picked shipments into the boxes chosen by cartonization,
        then mark them packed.

        Box types are the package types with complete dimensions and
        cartonization checked; goods are the outgoing moves in whole units
        of products with dimensions and weight.  A move whose quantity
        spans several boxes is split.  Moves that cannot be cartonized
        (no dimensions, fractional quantity, fit no box) go together into
        one package without type.
        """
        pool = Pool()
        PackageType = pool.get('stock.package.type')
        types = PackageType.search(
            [('otwb_cartonize', '=', True)], order=[('id', 'ASC')])
        box_types = {}
        for type_ in types:
            box = type_.otwb_box_type()
            if box:
                box_types[box.code] = (type_, box)
        to_pack = [s for s in shipments if s.state == 'picked']
        # before any carton is made
        cls._otwb_check_vas_done(to_pack)
        for shipment in to_pack:
            if shipment.packages:
                continue
            shipment._otwb_cartonize(box_types)
        cls.pack(to_pack)
        return to_pack

    def _otwb_pack_item(self, move):
        "The engine item of the move or None"
        pool = Pool()
        Uom = pool.get('product.uom')
        ModelData = pool.get('ir.model.data')
        cm = Uom(ModelData.get_id('product', 'uom_centimeter'))
        kg = Uom(ModelData.get_id('product', 'uom_kilogram'))
        product = move.product
        if move.unit != product.default_uom:
            return None
        qty = move.quantity
        if not qty or qty < 1 or abs(qty - round(qty)) > 1e-9:
            return None
        dims = []
        for name in ('length', 'width', 'height'):
            value = getattr(product, name, None)
            unit = getattr(product, name + '_uom', None)
            if not value or value <= 0 or not unit:
                return None
            dims.append(Uom.compute_qty(unit, value, cm, round=False))
        if not product.weight or product.weight <= 0 \
                or not product.weight_uom:
            return None
        weight = Uom.compute_qty(
            product.weight_uom, product.weight, kg, round=False)
        return cartonize.PackItem(
            sku=move.id, length_cm=dims[0], width_cm=dims[1],
            height_cm=dims[2], weight_kg=weight, qty=int(round(qty)))

    def _otwb_cartonize(self, box_types):
        "Create the packages of the picked shipment with their moves"
        pool = Pool()
        Package = pool.get('stock.package')
        PackageType = pool.get('stock.package.type')
        Move = pool.get('stock.move')
        Uom = pool.get('product.uom')
        ModelData = pool.get('ir.model.data')
        liter = Uom(ModelData.get_id('product', 'uom_liter'))
        moves = [m for m in self.outgoing_moves
            if m.state != 'cancelled' and m.quantity]
        items, loose = {}, []
        for move in moves:
            item = self._otwb_pack_item(move) if box_types else None
            if item:
                items[move.id] = item
            else:
                loose.append(move)
        boxes = []
        if items:
            result = cartonize.cartonize(
                list(items.values()), [b for _, b in box_types.values()])
            boxes = result.boxes
            unpacked = {u.sku for u in result.unpacked}
            loose.extend(m for m in moves if m.id in unpacked)
        packages = []
        for box in boxes:
            type_, _ = box_types[box.box_code]
            package = Package(
                company=self.company, shipment=self, type=type_,
                otwb_fill_rate=round(box.fill_rate, 3))
            for name in MEASUREMENT_FIELDS:
                setattr(package, name, getattr(type_, name))
            if not package.packaging_volume:
                package.packaging_volume = liter.round(
                    box.dimensions_cm[0] * box.dimensions_cm[1]
                    * box.dimensions_cm[2] / 1e3)
                package.packaging_volume_uom = liter
            packages.append(package)
        if loose:
            # a package type is required: the goods that could not be
            # cartonized go together in one package of the first type
            first = PackageType.search([], order=[('id', 'ASC')], limit=1)
            if not first:
                if not packages:
                    return []
                raise PackageError(gettext(
                        'otwb_wms.msg_pack_no_package_type',
                        shipment=self.rec_name))
            packages.append(Package(
                    company=self.company, shipment=self, type=first[0]))
        Package.save(packages)
        # assign the moves, splitting those spread over several boxes
        move_by_id = {m.id: m for m in moves}
        allocations = defaultdict(list)
        for package, box in zip(packages, boxes):
            for move_id, qty in sorted(box.contents.items()):
                allocations[move_id].append((package, qty))
        to_save = []
        for move_id, allocs in allocations.items():
            move = move_by_id[move_id]
            (package, qty), others = allocs[0], allocs[1:]
            for o_package, o_qty in others:
                with Transaction().set_context(_stock_move_split=True):
                    Move.copy([move], {
                            'quantity': float(o_qty),
                            'package': o_package.id,
                            })
            move.quantity = float(qty)
            move.package = package
            to_save.append(move)
        for move in loose:
            move.package = packages[-1]
            to_save.append(move)
        Move.save(to_save)
        return packages

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'otwb_pack': {
                    'invisible': Eval('state') != 'picked',
                    'depends': ['state'],
                    },
                })


class PackingSlip(OfficeDocument, Report):
    "Packing Slip"
    __name__ = 'otwb.wms.shipment.out.packing_slip'

    @classmethod
    def execute(cls, ids, data):
        with Transaction().set_context(address_with_party=True):
            return super().execute(ids, data)

    @classmethod
    def lines(cls, shipment):
        "The outgoing moves that leave, by product code"
        return sorted(
            (m for m in shipment.outgoing_moves if m.state != 'cancelled'),
            key=lambda m: (m.product.code or '', m.product.name or '', m.id))

    @classmethod
    def order_references(cls, shipment):
        "The references of the orders the shipment delivers"
        return [shipment.reference] if shipment.reference else []

    @classmethod
    def packages(cls, shipment):
        return sorted(shipment.packages, key=lambda p: (p.number or '', p.id))

    @classmethod
    def total_weight(cls, shipment):
        """(weight, unit) of the packed boxes, or of the goods when the
        shipment has no package"""
        if shipment.packages and shipment.packages_weight is not None:
            return shipment.packages_weight, shipment.weight_uom
        return shipment.weight or 0, shipment.weight_uom

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['lines'] = cls.lines
        context['order_references'] = lambda s: ', '.join(
            cls.order_references(s))
        context['packages'] = cls.packages
        context['total_weight'] = cls.total_weight
        return context
