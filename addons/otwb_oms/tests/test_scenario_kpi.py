# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Order KPIs of the dashboard on the demo's journeys: orders per day and
channel, fill rate per channel."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from otwb_tools import demo_data, demo_journeys, flow

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


class KPITestCase(unittest.TestCase):
    "Order KPIs"

    @classmethod
    def setUpClass(cls):
        activate_module(MODULES)

    @with_transaction()
    def test_orders_per_day_and_fill_rate(self):
        pool = Pool()
        OrdersDay = pool.get('otwb.oms.kpi.orders_day')
        FillRate = pool.get('otwb.oms.kpi.fill_rate')
        Sale = pool.get('sale.sale')
        today = pool.get('ir.date').today()
        data = demo_data.load(size=1)
        with Transaction().set_context(company=data.company.id):
            flow.run(planning_seconds=1)
            journeys = demo_journeys.prepare()
            held, = journeys.held
            held_state = Sale(held.id).state

            rows = {(r.date, r.channel.code): (r.orders, r.amount)
                for r in OrdersDay.search([])}
            day = dt.timedelta(days=1)
            # journeys n = 0..8: TAOBAO today, JD yesterday, API the day
            # before; TB-10001 and the 4 waiting orders today (Taobao)
            taobao_today = 1 + 3 + 4 + (held_state != 'draft')
            self.assertEqual(
                {k: v[0] for k, v in rows.items()},
                {(today, 'TAOBAO'): taobao_today, (today - day, 'JD'): 3,
                    (today - 2 * day, 'API'): 3})
            # JD n=1 (2×149 + 79), n=4 (2×99), n=7 (2×59 + 99)
            self.assertEqual(rows[(today - day, 'JD')][1],
                Decimal('298') + 79 + 198 + 118 + 99)

            rates = {r.channel.code: r for r in FillRate.search([])}
            self.assertEqual(sorted(rates), ['API', 'JD', 'TAOBAO'])
            self.assertEqual(rates['JD'].fill_rate, 100.0)
            self.assertEqual(rates['API'].fill_rate, 100.0)
            # Taobao shipped: TB-10001 3, n=0 1, n=3 2, n=6 1 = 7 units;
            # waiting n=100..103: 2 + 4 + 1 + 3 = 10; held n=200: 3
            ordered = 7 + 10 + (3 if held_state != 'draft' else 0)
            self.assertEqual(rates['TAOBAO'].shipped, 7)
            self.assertEqual(rates['TAOBAO'].ordered, ordered)
            self.assertAlmostEqual(
                rates['TAOBAO'].fill_rate, 700 / ordered, places=3)
