# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Transport KPIs for the dashboard: reporting models over trips and stops
(SQL views built by ``table_query``, read-only)."""
from sql import Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.otwb_base.otwb import audit_columns
from trytond.pool import Pool
from trytond.transaction import Transaction


class TripUtilisation(ModelSQL, ModelView):
    "Trip Utilisation per Day"
    __string__ = "Trip Utilisation per Day"
    __name__ = 'otwb.tms.kpi.utilisation'

    company = fields.Many2One('company.company', "Company")
    date = fields.Date("Date")
    warehouse = fields.Many2One('stock.location', "Warehouse")
    trips = fields.Integer("Trips")
    load_weight = fields.Float("Load (kg)", digits=(16, 1))
    capacity_weight = fields.Float("Capacity (kg)", digits=(16, 1))
    load_volume = fields.Float("Load (m³)", digits=(16, 3))
    capacity_volume = fields.Float("Capacity (m³)", digits=(16, 3))
    utilisation_weight = fields.Float(
        "Weight Utilisation (%)", digits=(5, 1),
        help="Load over capacity of the trips' vehicles.")
    utilisation_volume = fields.Float(
        "Volume Utilisation (%)", digits=(5, 1),
        help="Load over capacity of the trips' vehicles.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        trip = pool.get('otwb.tms.trip').__table__()
        vehicle = pool.get('otwb.tms.vehicle').__table__()
        where = trip.state != 'cancelled'
        company = Transaction().context.get('company')
        if company:
            where &= trip.company == company
        load_w = Sum(Coalesce(trip.load_weight, 0))
        load_v = Sum(Coalesce(trip.load_volume, 0))
        cap_w = Sum(Coalesce(vehicle.capacity_weight, 0))
        cap_v = Sum(Coalesce(vehicle.capacity_volume, 0))
        return (trip
            .join(vehicle, condition=trip.vehicle == vehicle.id)
            .select(
                Min(trip.id).as_('id'), *audit_columns(),
                trip.company.as_('company'),
                trip.date.as_('date'),
                trip.warehouse.as_('warehouse'),
                Count(trip.id).as_('trips'),
                load_w.as_('load_weight'), cap_w.as_('capacity_weight'),
                load_v.as_('load_volume'), cap_v.as_('capacity_volume'),
                Case((cap_w > 0, load_w * 100.0 / cap_w),
                    else_=Null).as_('utilisation_weight'),
                Case((cap_v > 0, load_v * 100.0 / cap_v),
                    else_=Null).as_('utilisation_volume'),
                where=where,
                group_by=[trip.company, trip.date, trip.warehouse]))


class CarrierOnTime(ModelSQL, ModelView):
    "Carrier On-Time Performance"
    __string__ = "Carrier On-Time Performance"
    __name__ = 'otwb.tms.kpi.on_time'

    company = fields.Many2One('company.company', "Company")
    carrier = fields.Many2One('carrier', "Carrier")
    delivered = fields.Integer("Stops Delivered")
    on_time = fields.Integer(
        "On Time", help="Delivered by the promised time "
        "(stops without a promise count as on time).")
    failed = fields.Integer("Failed Stops")
    on_time_rate = fields.Float(
        "On-Time Rate (%)", digits=(5, 1),
        help="On-time stops over stops delivered or failed.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('carrier', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        trip = pool.get('otwb.tms.trip').__table__()
        stop = pool.get('otwb.tms.trip.stop').__table__()
        vehicle = pool.get('otwb.tms.vehicle').__table__()
        carrier = Coalesce(trip.carrier, vehicle.carrier)
        delivered = stop.state == 'delivered'
        on_time = delivered & ((stop.promised_at == Null)
            | (stop.delivered_at <= stop.promised_at))
        where = stop.state.in_(['delivered', 'failed']) & (carrier != Null)
        company = Transaction().context.get('company')
        if company:
            where &= trip.company == company
        n_delivered = Sum(Case((delivered, 1), else_=0))
        n_on_time = Sum(Case((on_time, 1), else_=0))
        n_failed = Sum(Case((stop.state == 'failed', 1), else_=0))
        return (stop
            .join(trip, condition=stop.trip == trip.id)
            .join(vehicle, condition=trip.vehicle == vehicle.id)
            .select(
                Min(stop.id).as_('id'), *audit_columns(),
                trip.company.as_('company'),
                carrier.as_('carrier'),
                n_delivered.as_('delivered'),
                n_on_time.as_('on_time'),
                n_failed.as_('failed'),
                (n_on_time * 100.0 / Count(stop.id)).as_('on_time_rate'),
                where=where,
                group_by=[trip.company, carrier]))
