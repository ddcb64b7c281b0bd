# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    otwb_tasks = fields.One2Many(
        'otwb.wms.task', 'shipment', "Warehouse Tasks", readonly=True)

    @classmethod
    @Workflow.transition('assigned')
    def assign(cls, shipments):
        super().assign(shipments)
        cls.otwb_create_pick_tasks(shipments)

    @classmethod
    def otwb_create_pick_tasks(cls, shipments):
        "Create one pick task per reserved inventory move without one"
        pool = Pool()
        Task = pool.get('otwb.wms.task')
        existing = {t.move.id for t in Task.search([
                    ('move', 'in', [m.id for s in shipments
                            for m in s.inventory_moves]),
                    ('state', '!=', 'cancelled'),
                    ])}
        tasks = []
        for shipment in shipments:
            if shipment.warehouse_storage == shipment.warehouse_output:
                continue
            moves = [m for m in shipment.inventory_moves
                if m.state == 'assigned' and m.id not in existing]
            moves.sort(key=lambda m: (
                    m.from_location.otwb_aisle or 0,
                    m.from_location.otwb_bay or 0,
                    m.from_location.otwb_level or 0, m.id))
            for seq, move in enumerate(moves, 1):
                tasks.append(Task(
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
                        sequence=seq,
                        ))
        Task.save(tasks)
        return tasks

    @classmethod
    def otwb_check_picked(cls, shipments):
        "Mark picked the assigned shipments whose pick tasks are all done"
        picked = []
        for shipment in cls.browse([s.id for s in shipments]):
            if shipment.state != 'assigned':
                continue
            tasks = [t for t in shipment.otwb_tasks if t.type == 'pick'
                and t.state != 'cancelled']
            if tasks and all(t.state == 'done' for t in tasks):
                picked.append(shipment)
        if picked:
            cls.pick(picked)
        return picked

    @classmethod
    @ModelView.button
    def otwb_pack(cls, shipments):
        """Pack picked shipments: one package per shipment holding all its
        outgoing moves, then mark them packed."""
        pool = Pool()
        Package = pool.get('stock.package')
        PackageType = pool.get('stock.package.type')
        types = PackageType.search([], limit=1, order=[('id', 'ASC')])
        packages = []
        to_pack = [s for s in shipments if s.state == 'picked']
        for shipment in to_pack:
            if shipment.packages:
                continue
            packages.append(Package(
                    company=shipment.company,
                    type=types[0] if types else None,
                    shipment=shipment,
                    moves=[m for m in shipment.outgoing_moves
                        if m.state != 'cancelled'],
                    ))
        Package.save(packages)
        cls.pack(to_pack)
        return to_pack

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'otwb_pack': {
                    'invisible': Eval('state') != 'picked',
                    'depends': ['state'],
                    },
                })
