# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.tests.test_tryton import ModuleTestCase


class OtwbOmsTestCase(ModuleTestCase):
    "Test OTWB OMS module"
    module = 'otwb_oms'
    extras = ['otwb_wms', 'otwb_tms']


del ModuleTestCase
