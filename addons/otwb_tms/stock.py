# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from decimal import Decimal

from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from .engine.distance import haversine_km
from .party import check_window
from .vehicle import warehouse_position


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    otwb_stops = fields.One2Many(
        'otwb.tms.trip.stop', 'shipment', "Trip Stops", readonly=True)
    otwb_dangerous_goods = fields.Boolean(
        "Dangerous Goods",
        states={'readonly': Eval('state').in_(['shipped', 'done',
                    'cancelled'])})
    otwb_delivery_from = fields.Time(
        "Deliver From",
        states={'readonly': Eval('state').in_(['shipped', 'done',
                    'cancelled'])},
        help="Earliest time of the day for this shipment (e.g. the slot "
        "the customer booked); empty: the delivery address's window.")
    otwb_delivery_to = fields.Time(
        "Deliver To",
        states={'readonly': Eval('state').in_(['shipped', 'done',
                    'cancelled'])},
        help="Latest time of the day the delivery of this shipment may "
        "start; empty: the delivery address's window.")
    otwb_carrier = fields.Many2One(
        'carrier', "Selected Carrier", readonly=True)
    otwb_carrier_service = fields.Many2One(
        'otwb.tms.carrier.service', "Carrier Service", readonly=True)
    otwb_carrier_cost = fields.Numeric(
        "Carrier Cost", digits=(16, 2), readonly=True)
    otwb_carrier_reason = fields.Text(
        "Why this Carrier", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'otwb_select_carrier': {
                    'invisible': Eval('state').in_(
                        ['shipped', 'done', 'cancelled']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_otwb_dangerous_goods(cls):
        return False

    @classmethod
    def validate_fields(cls, shipments, field_names):
        super().validate_fields(shipments, field_names)
        if field_names & {'otwb_delivery_from', 'otwb_delivery_to'}:
            for shipment in shipments:
                check_window(shipment, shipment.otwb_delivery_from,
                    shipment.otwb_delivery_to, shipment.rec_name)

    @property
    def otwb_weight_kg(self):
        "Gross weight in kg: packages when packed, else the moves"
        Uom = Pool().get('product.uom')
        kg = Uom(Pool().get('ir.model.data').get_id('product', 'uom_kilogram'))
        weight = self.packages_weight if self.packages else self.weight
        unit = self.weight_uom
        if weight is None or unit is None:
            return 0.0
        return Uom.compute_qty(unit, weight, kg, round=False)

    @property
    def otwb_volume_m3(self):
        Uom = Pool().get('product.uom')
        m3 = Uom(Pool().get('ir.model.data').get_id(
                'product', 'uom_cubic_meter'))
        volume = self.packages_volume if self.packages else self.volume
        unit = self.volume_uom
        if volume is None or unit is None:
            return 0.0
        return Uom.compute_qty(unit, volume, m3, round=False)

    @property
    def otwb_declared_value(self):
        "Sum of the outgoing moves' unit price x quantity, or None"
        total, known = Decimal(0), False
        for move in self.outgoing_moves:
            if move.unit_price is not None:
                total += move.unit_price * Decimal(str(move.quantity))
                known = True
        return total.quantize(Decimal('0.01')) if known else None

    def _otwb_sale(self):
        for move in self.outgoing_moves:
            origin = getattr(move, 'origin', None)
            sale = getattr(origin, 'sale', None)
            if sale is not None:
                return sale
        return None

    def otwb_carrier_request(self):
        "The carrier selection request (see CarrierRule.select)"
        pool = Pool()
        Date = pool.get('ir.date')
        Config = pool.get('otwb.configuration')
        address = self.delivery_address
        warehouse = self.warehouse
        sale = self._otwb_sale()
        level = getattr(sale, 'otwb_service_level', None)
        promised = getattr(sale, 'otwb_promised_date', None)
        sla_hours = None
        now = dt.datetime.now()
        if promised:
            end = dt.datetime.combine(promised, dt.time(23, 59))
            sla_hours = max((end - now).total_seconds() / 3600, 0.0)
        distance = None
        w_lat, w_lon = (warehouse_position(warehouse) if warehouse
            else (None, None))
        if (address and address.otwb_latitude is not None
                and w_lat is not None):
            distance = round(haversine_km(
                    w_lat, w_lon,
                    address.otwb_latitude, address.otwb_longitude)
                * Config(1).circuity_factor, 1)
        w_address = warehouse.address if warehouse else None
        return {
            'company': self.company.id,
            'warehouse': warehouse.id if warehouse else None,
            'country': address.country.id
            if address and address.country else None,
            'subdivision': address.subdivision.id
            if address and address.subdivision else None,
            'weight': round(self.otwb_weight_kg, 3),
            'volume': round(self.otwb_volume_m3, 4),
            'dangerous_goods': bool(self.otwb_dangerous_goods),
            'service_level': level,
            'declared_value': self.otwb_declared_value,
            'distance': distance,
            'sla_hours': sla_hours,
            'date': self.planned_date or Date.today(),
            'origin': _address(w_address),
            'destination': _address(address),
            }

    @classmethod
    @ModelView.button
    def otwb_select_carrier(cls, shipments):
        "Choose carrier and service by the selection rules"
        Rule = Pool().get('otwb.tms.carrier.rule')
        to_write = []
        for shipment in shipments:
            choice = Rule.select(shipment.otwb_carrier_request())
            to_write.extend([[shipment], {
                        'otwb_carrier': choice.carrier.id
                        if choice.carrier else None,
                        'otwb_carrier_service': choice.service.id
                        if choice.service else None,
                        'otwb_carrier_cost': choice.cost,
                        'otwb_carrier_reason': choice.reason,
                        }])
        if to_write:
            cls.write(*to_write)


def _address(address):
    if not address:
        return None
    return {
        'country': address.country.code if address.country else None,
        'subdivision': address.subdivision.code
        if address.subdivision else None,
        'postal_code': address.postal_code or None,
        }
