# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Views the web client can draw.

The Tryton web client (sao 8.0) has no list column for date-time fields:
a list with a ``datetime`` field fails to open ("ColumnFactory is not a
constructor").  Tryton's own lists show such a field twice, with
``widget="date"`` and ``widget="time"``; every OTWB list must too.
"""
import unittest

from lxml import etree
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

MODULES = ['otwb_oms', 'otwb_wms', 'otwb_tms', 'otwb_bms']


class WebViewsTestCase(unittest.TestCase):
    "OTWB views drawable by the web client"

    @classmethod
    def setUpClass(cls):
        activate_module(MODULES)

    @with_transaction()
    def test_no_datetime_list_column(self):
        "No OTWB list shows a date-time field without a date/time widget"
        pool = Pool()
        View = pool.get('ir.ui.view')
        bad = []
        views = View.search([
                ('module', 'in', ['otwb_base'] + MODULES),
                ('type', '=', 'tree'),
                ])
        self.assertTrue(views)
        for view in views:
            Model = pool.get(view.model)
            result = Model.fields_view_get(view.id, 'tree')
            arch = etree.fromstring(result['arch'])
            for field in arch.iter('field'):
                type_ = result['fields'][field.get('name')]['type']
                if (type_ in {'datetime', 'timestamp'}
                        and not field.get('widget')):
                    bad.append('%s %s: %s' % (
                            view.module, view.name, field.get('name')))
        self.assertEqual(bad, [])

    @with_transaction()
    def test_every_view_opens(self):
        """Every OTWB view is built with its fields (lists, forms, graphs)
        and every action of a board view exists"""
        pool = Pool()
        View = pool.get('ir.ui.view')
        ModelData = pool.get('ir.model.data')
        views = View.search([
                ('module', 'in', ['otwb_base'] + MODULES),
                ('inherit', '=', None),
                ])
        types = set()
        for view in views:
            types.add(view.type)
            if view.type == 'board':
                for action in etree.fromstring(view.arch).iter('action'):
                    module, xml_id = action.get('name').split('.')
                    self.assertTrue(ModelData.get_id(module, xml_id),
                        action.get('name'))
                continue
            Model = pool.get(view.model)
            result = Model.fields_view_get(view.id, view.type)
            arch = etree.fromstring(result['arch'])
            for field in arch.iter('field'):
                self.assertIn(field.get('name'), result['fields'],
                    '%s %s' % (view.module, view.name))
        self.assertLessEqual({'tree', 'form', 'graph', 'board'}, types)
