# This file is part of OTWB Suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.tests.test_tryton import ModuleTestCase


class OtwbBmsTestCase(ModuleTestCase):
    "Test OTWB BMS module"
    module = 'otwb_bms'
    extras = ['otwb_oms', 'otwb_wms', 'otwb_tms']


del ModuleTestCase
